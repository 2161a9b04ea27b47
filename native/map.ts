// Maps: the kernel's key/value stores, shared between BPF programs and user space.
// Keys and values are decoded from the map's BTF into plain objects (u32 -> number,
// u64 -> bigint, char[] -> string, structs -> objects); a Buffer always works as raw bytes.
import type { NativeMap, NativeMapInfo } from "./addon.ts";
import { addon } from "./addon.ts";
import type { Btf, Codec } from "./btf.ts";
import { BpfError } from "./errors.ts";

/** How set() treats an existing key: "any" (default), only if absent, only if present. */
export type UpdateMode = "any" | "noexist" | "exist";
const updateFlags: Record<UpdateMode, number> = { any: 0, noexist: 1, exist: 2 };

const perCpuTypes = new Set(["percpu_array", "percpu_hash", "lru_percpu_hash", "percpu_cgroup_storage"]);

/** Keys or values a map with no BTF for them gets: integers by size, else raw bytes. */
function fallbackCodec(size: number): Codec {
  const raw: Codec<Buffer> = {
    size, typeName: `${size} bytes`,
    decode: (buf, offset = 0) => Buffer.from(buf.subarray(offset, offset + size)),
    encode: (value, target = Buffer.alloc(size), offset = 0) => { target.set(value, offset); return target; },
  };
  if (size !== 4 && size !== 8) return raw as Codec;
  const u32: Codec<number> = {
    size, typeName: "u32",
    decode: (buf, offset = 0) => Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readUInt32LE(offset),
    encode: (value, target = Buffer.alloc(4), offset = 0) => { target.writeUInt32LE(value, offset); return target; },
  };
  const u64: Codec<bigint> = {
    size, typeName: "u64",
    decode: (buf, offset = 0) => Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readBigUInt64LE(offset),
    encode: (value, target = Buffer.alloc(8), offset = 0) => { target.writeBigUInt64LE(BigInt(value), offset); return target; },
  };
  return (size === 4 ? u32 : u64) as Codec;
}

function decoderOver<T>(codec: Codec<T>, buf: Uint8Array): (offset: number) => T {
  return codec.decoderFor?.(buf) ?? ((offset) => codec.decode(buf, offset));
}

/**
 * A BPF map. Per-CPU maps (PERCPU_ARRAY, PERCPU_HASH, ...) read and write one value per
 * *possible* CPU: `get()` returns an array indexed by CPU number; see sumPerCpu().
 * Iteration tolerates entries being deleted by the kernel meanwhile (each key once).
 * All methods throw once the map (or its BpfObject) is closed.
 */
export class BpfMap<K = unknown, V = unknown> implements Disposable, Iterable<[K, V]> {
  readonly name: string;
  /** Kernel map type in lower case, e.g. "hash", "array", "percpu_array", "ringbuf". */
  readonly type: string;
  readonly keySize: number;
  /** Size of one value as declared (for per-CPU maps: one CPU's value). */
  readonly valueSize: number;
  readonly maxEntries: number;
  /** True for per-CPU maps, whose values are arrays with one entry per possible CPU. */
  readonly perCpu: boolean;
  /** Number of possible CPUs (the length of per-CPU value arrays). */
  readonly cpus: number;
  /** Codec for one key, from BTF when the map declares its key type. */
  readonly keyCodec: Codec<K>;
  /** Codec for one value (one CPU's value for per-CPU maps). */
  readonly valueCodec: Codec;

  private readonly stride: number;
  private readonly scratchKey: Buffer;
  private readonly scratchValue: Buffer;
  /** lookup(scratchKey) into scratchValue, as a native function with nothing to unpack: the hot path. */
  private readonly lookupScratch: () => boolean;
  private readonly writeScratchKey: (key: K) => void;
  private readonly readScratchValue: (offset: number) => V;

  /** @internal */
  constructor(private readonly native: NativeMap, info: NativeMapInfo, btf: Btf | undefined, private readonly onClose?: (map: BpfMap<K, V>) => void) {
    this.name = info.name;
    this.type = info.type;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.perCpu = perCpuTypes.has(info.type);
    this.cpus = this.perCpu ? addon.numPossibleCpus() : 1;
    this.stride = this.perCpu ? Math.ceil(info.valueSize / 8) * 8 : info.valueSize;
    this.keyCodec = (btf && info.btfKeyTypeId ? btf.codec(info.btfKeyTypeId) : fallbackCodec(info.keySize)) as Codec<K>;
    this.valueCodec = btf && info.btfValueTypeId ? btf.codec(info.btfValueTypeId) : fallbackCodec(info.valueSize);
    this.scratchKey = Buffer.alloc(info.keySize);
    this.scratchValue = Buffer.alloc(native.valueSize);
    this.lookupScratch = native.bindLookup(this.scratchKey, this.scratchValue);
    const { keyCodec, scratchKey } = this;
    this.writeScratchKey = keyCodec.encoderFor?.(scratchKey) ?? ((key) => this.encodeKey(key, scratchKey));
    this.readScratchValue = this.valueReader(this.scratchValue);
  }

  /** Key bytes for a key: a Buffer is taken as is (its size is checked by the addon). */
  encodeKey(key: K | Buffer, target?: Buffer): Buffer {
    if (Buffer.isBuffer(key)) return key;
    const out = target ?? Buffer.alloc(this.keySize);
    // A reused target may hold the previous key's bytes in padding or absent members.
    if (target && !this.keyCodec.writesEveryByte) target.fill(0);
    return this.keyCodec.encode(key as K, out, 0);
  }

  /** Value bytes: per-CPU maps take an array (one per possible CPU) or one value for all. */
  encodeValue(value: V | Buffer): Buffer {
    if (Buffer.isBuffer(value)) return value;
    const out = Buffer.alloc(this.native.valueSize);
    if (!this.perCpu) return this.valueCodec.encode(value, out, 0);
    const values = Array.isArray(value) ? value : Array.from({ length: this.cpus }, () => value);
    if (values.length !== this.cpus) {
      throw new TypeError(`map '${this.name}' is per-CPU: give one value or an array of ${this.cpus} (one per possible CPU), got ${values.length}`);
    }
    values.forEach((v, cpu) => this.valueCodec.encode(v, out, cpu * this.stride));
    return out;
  }

  decodeKey(bytes: Uint8Array, offset = 0): K { return this.keyCodec.decode(bytes, offset); }

  /** Decodes a value as the kernel returns it (all CPUs' slots for per-CPU maps). */
  decodeValue(bytes: Uint8Array, offset = 0): V {
    if (!this.perCpu) return this.valueCodec.decode(bytes, offset) as V;
    return this.valueReader(bytes)(offset);
  }

  /** Reads values at any offset of `bytes`, checking the buffer once (for dumps). */
  private valueReader(bytes: Uint8Array): (offset: number) => V {
    const read = decoderOver(this.valueCodec, bytes);
    if (!this.perCpu) return read as (offset: number) => V;
    const { cpus, stride } = this;
    return (offset) => Array.from({ length: cpus }, (_, cpu) => read(offset + cpu * stride)) as V;
  }

  /** The value for `key`, or undefined when absent. */
  get(key: K | Buffer): V | undefined {
    if (Buffer.isBuffer(key)) return this.native.lookupInto(key, this.scratchValue) ? this.readScratchValue(0) : undefined;
    this.writeScratchKey(key);
    return this.lookupScratch() ? this.readScratchValue(0) : undefined;
  }

  /** The raw value bytes for `key` (a fresh Buffer), or undefined when absent. */
  getRaw(key: K | Buffer): Buffer | undefined {
    return this.native.lookup(this.encodeKey(key)) ?? undefined;
  }

  /** Creates or replaces an entry (see UpdateMode). Arrays cannot delete, only overwrite. */
  set(key: K | Buffer, value: V | Buffer, mode: UpdateMode = "any"): void {
    this.native.update(this.encodeKey(key), this.encodeValue(value), updateFlags[mode]);
  }

  /** Removes `key`; false when it was not there. */
  delete(key: K | Buffer): boolean { return this.native.delete(this.encodeKey(key)); }

  has(key: K | Buffer): boolean {
    if (Buffer.isBuffer(key)) return this.native.lookupInto(key, this.scratchValue);
    this.writeScratchKey(key);
    return this.lookupScratch();
  }

  /**
   * Raw key bytes, each key once, even if entries are deleted during the walk (by the caller
   * or by a BPF program). A map that churns faster than the walk can stop it early.
   */
  *rawKeys(): IterableIterator<Buffer> {
    const seen = new Set<string>();
    // The next key is fetched before the current one is handed out: the caller may delete the
    // current key, and get_next_key on a missing key restarts a hash map from its first key.
    // Restarts (the kernel deleted our cursor) revisit keys: `seen` skips them, the bound ends
    // a walk that could otherwise chase a churning map forever.
    let next = this.native.nextKey(null);
    for (let steps = 0; next && steps < (this.maxEntries + 1) * 4; steps++) {
      const current: Buffer = next;
      next = this.native.nextKey(current);
      const id = current.toString("latin1");
      if (seen.has(id)) continue;
      seen.add(id);
      yield current;
    }
  }

  *keys(): IterableIterator<K> {
    for (const key of this.rawKeys()) yield this.decodeKey(key);
  }

  /** [key, value] pairs; entries deleted between finding the key and reading it are skipped. */
  *entries(): IterableIterator<[K, V]> {
    for (const key of this.rawKeys()) {
      const value = this.native.lookup(key);
      if (value) yield [this.decodeKey(key), this.decodeValue(value)];
    }
  }

  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> { return this.entries(); }

  /**
   * Every entry at once, with BPF_MAP_LOOKUP_BATCH (one syscall per chunk instead of two per
   * entry) where the kernel supports it for this map type, else by iteration.
   */
  dump(): Array<[K, V]> {
    let batch: { keys: Buffer; values: Buffer; count: number };
    try {
      batch = this.native.lookupBatch(4096);
    } catch (err) {
      if (err instanceof BpfError && ["EINVAL", "ENOTSUPP", "EOPNOTSUPP", "ENOSYS"].includes(err.code)) return [...this.entries()];
      throw err;
    }
    const { count, keys, values } = batch;
    if (count === 0) return [];
    // One decoder per buffer, not a checked decode() per entry: a dump may hold millions.
    const keyAt = decoderOver(this.keyCodec, keys);
    const valueAt = this.valueReader(values);
    const { keySize } = this;
    const valueBytes = this.native.valueSize;
    const out: Array<[K, V]> = new Array(count);
    for (let i = 0; i < count; i++) out[i] = [keyAt(i * keySize), valueAt(i * valueBytes)];
    return out;
  }

  /** The map's fd (for the addon's ring buffer and for tools). */
  get fd(): number { return this.native.fd; }
  get closed(): boolean { return this.native.closed; }

  /** @internal */
  get nativeMap(): NativeMap { return this.native; }

  /** Releases this handle (the map itself lives while its object or programs use it). */
  close(): void {
    if (this.native.closed) return;
    this.native.close();
    this.onClose?.(this);
  }

  [Symbol.dispose](): void { this.close(); }
}

type Summable = number | bigint | boolean | string | Summable[] | { [field: string]: Summable };

/**
 * Adds up per-CPU values: numbers and bigints are summed, objects field by field, arrays
 * element by element (strings and booleans keep the first CPU's value).
 */
export function sumPerCpu<T>(values: readonly T[]): T {
  if (values.length === 0) throw new TypeError("sumPerCpu() needs at least one value");
  return values.reduce((acc, v) => add(acc as Summable, v as Summable) as T);
}

function add(a: Summable, b: Summable): Summable {
  if (typeof a === "number" && typeof b === "number") return a + b;
  if (typeof a === "bigint" && typeof b === "bigint") return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return a.map((x, i) => add(x, b[i]!));
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    return Object.fromEntries(Object.entries(a).map(([k, x]) => [k, add(x, b[k]!)]));
  }
  return a;
}
