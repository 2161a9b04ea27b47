// Ring buffer: the BPF program reserves a record, fills it and submits it; user space reads the
// records in order. Reading never blocks the event loop: the addon watches the ring's epoll fd
// on the loop thread and copies up to `maxPerTick` records into one reused Buffer per drain.
import type { NativeRingBuffer } from "./addon.ts";
import { addon } from "./addon.ts";
import type { Codec } from "./btf.ts";
import { closedError } from "./errors.ts";
import type { BpfMap } from "./map.ts";
import { AsyncQueue } from "./queue.ts";

export interface RingBufferOptions<T> {
  /** Decodes each record; the default hands out raw Buffers. BpfObject.ringBuffer() builds one from a BTF type name. */
  codec?: Codec<T>;
  /** Records drained per event-loop turn at most (default 8192), so a flood cannot starve the loop. */
  maxPerTick?: number;
  /**
   * Also drain every `pollIntervalMs` milliseconds. Needed when the BPF side submits with
   * BPF_RB_NO_WAKEUP (cheaper for the producer: no wakeup per record, so no epoll event).
   */
  pollIntervalMs?: number;
  /** Records queued for a `for await` loop before reading pauses (default 65536). */
  highWater?: number;
}

/** A batch of records as copied from the ring in one drain, valid until the consumer's callback returns. */
export class RecordBatch {
  /** The length words, read in place: the addon writes them in host byte order, 4-aligned. */
  private readonly words: Uint32Array;

  /** @internal */
  constructor(
    /** The records, each as [u32 length, host byte order][bytes][padding to 4]. */
    readonly buffer: Buffer,
  ) {
    const aligned = buffer.byteOffset % 4 === 0 ? buffer : Buffer.from(buffer); // a fresh copy is aligned
    this.buffer = aligned;
    this.words = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length >>> 2);
  }

  /**
   * Calls `visit(buffer, offset, length)` for each record, creating no object per record: the
   * way to keep up with millions of records a second (decode fields straight from `buffer`).
   */
  forEachRecord(visit: (buffer: Buffer, offset: number, length: number) => void): void {
    const { buffer, words } = this;
    for (let at = 0; at + 4 <= buffer.length;) {
      const length = words[at >>> 2]!;
      visit(buffer, at + 4, length);
      at += 4 + ((length + 3) & ~3);
    }
  }

  /** Each record's bytes, as views into `buffer` (copy them to keep them past the callback). */
  *[Symbol.iterator](): IterableIterator<Buffer> {
    const records: Buffer[] = [];
    this.forEachRecord((buffer, offset, length) => records.push(buffer.subarray(offset, offset + length)));
    yield* records;
  }

  get count(): number {
    let n = 0;
    this.forEachRecord(() => n++);
    return n;
  }
}

/**
 * Consumes a BPF_MAP_TYPE_RINGBUF map. Use one of: `onRecord(cb)`, `onBatch(cb)` (fastest: one
 * call per drain), or `for await (const record of ring)`. Records arrive in submission order.
 * Closing stops delivery; a pending `for await` ends. Records the producer could not reserve
 * were never in the ring: count them on the BPF side.
 */
export class RingBuffer<T = Buffer> implements Disposable, AsyncIterable<T> {
  private readonly native: NativeRingBuffer;
  private readonly codec: Codec<T> | undefined;
  private readonly maxPerTick: number;
  private readonly highWater: number;
  private timer: NodeJS.Timeout | undefined;
  private sink: ((batch: RecordBatch) => void) | undefined;
  private queue: AsyncQueue<T> | undefined;
  private paused = false;
  /** Where drains land: reused (a fresh Buffer per drain cost a page fault per 4 KiB), grown to the largest batch. */
  private spare = Buffer.allocUnsafeSlow(64 * 1024);
  private delivering = false;

  constructor(map: BpfMap, private readonly options: RingBufferOptions<T> = {}) {
    if (map.type !== "ringbuf") throw new TypeError(`map '${map.name}' is a ${map.type} map, not a ringbuf`);
    this.native = new addon.NativeRingBuffer(map.nativeMap);
    this.codec = options.codec;
    this.maxPerTick = options.maxPerTick ?? 8192;
    this.highWater = options.highWater ?? 65536;
  }

  private decode(record: Buffer): T {
    if (!this.codec) return Buffer.from(record) as T;
    if (record.length >= this.codec.size) return this.codec.decode(record, 0);
    const padded = Buffer.alloc(this.codec.size); // a short record decodes with zeros after its end
    record.copy(padded);
    return this.codec.decode(padded, 0);
  }

  /** Drains now, delivering up to `max` records; returns how many were delivered. */
  poll(max: number = this.maxPerTick): number {
    // A poll() from inside a consumer's callback must not overwrite the batch being delivered.
    const drained = this.native.drain(max, this.delivering ? undefined : this.spare);
    if (drained === 0) return 0;
    let bytes: Buffer;
    if (typeof drained === "number") {
      bytes = this.spare.subarray(0, drained);
    } else {
      bytes = drained;
      if (!this.delivering) this.spare = Buffer.allocUnsafeSlow(drained.length); // room for a batch this big next time
    }
    const batch = new RecordBatch(bytes);
    this.delivering = true;
    try {
      this.sink?.(batch);
    } finally {
      this.delivering = false;
    }
    return batch.count;
  }

  private start(sink: (batch: RecordBatch) => void): void {
    if (this.native.closed) throw closedError("ring buffer");
    if (this.sink) throw new Error("this ring buffer already has a consumer: use one of onRecord, onBatch or for-await");
    this.sink = sink;
    this.resume();
  }

  private resume(): void {
    if (this.native.closed) return;
    this.paused = false;
    this.native.start(() => { this.poll(); });
    const interval = this.options.pollIntervalMs;
    if (interval && !this.timer) this.timer = setInterval(() => { if (!this.paused) this.poll(); }, interval);
  }

  private pause(): void {
    this.paused = true;
    this.native.stop();
  }

  /** Calls `callback` with each decoded record. */
  onRecord(callback: (record: T) => void): this {
    this.start((batch) => { for (const record of batch) callback(this.decode(record)); });
    return this;
  }

  /**
   * Calls `callback` once per drain with the raw records: the high-rate path. The batch's
   * bytes are reused by the next drain: copy what you keep past the callback.
   */
  onBatch(callback: (batch: RecordBatch) => void): this {
    this.start(callback);
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (!this.queue) {
      const queue = new AsyncQueue<T>(this.highWater, (full) => (full ? this.pause() : this.resume()), () => this.close());
      this.start((batch) => { for (const record of batch) queue.push(this.decode(record)); });
      this.queue = queue;
    }
    return this.queue;
  }

  get closed(): boolean { return this.native.closed; }

  /** Stops reading and frees the consumer. Safe to call twice. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.native.close();
    this.queue?.end();
  }

  [Symbol.dispose](): void { this.close(); }
}
