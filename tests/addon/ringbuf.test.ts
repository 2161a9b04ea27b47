// Ring buffers: records decode by BTF type and arrive in order in every consumer mode; a flood
// is consumed without loss when the ring can hold it, and losses are counted when it cannot.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BpfObject, RecordBatch, type RingBuffer } from "#bpf";
import { addonFixture, killTargets, requireBpf, Target, waitFor } from "../helpers/kernel.ts";

interface Event { pid: number; seq: number; marker: bigint; comm: string }

describe.skipIf(!requireBpf())("ring buffer", () => {
  let mapsPath: string;
  let floodPath: string;
  beforeAll(async () => { [mapsPath, floodPath] = await Promise.all([addonFixture("maps"), addonFixture("flood")]); });
  afterEach(killTargets);

  /** The maps fixture loaded and attached for `target`, with a ring reader for "events". */
  function open(target: Target, options: { noWakeup?: boolean; maxPerTick?: number; pollIntervalMs?: number } = {}) {
    const obj = BpfObject.open(mapsPath);
    obj.setGlobal("target_pid", target.pid).setGlobal("no_wakeup", options.noWakeup ?? false).load();
    const { noWakeup: _, ...ringOptions } = options;
    const ring = obj.ringBuffer<Event>("events", { recordType: "struct event", ...ringOptions });
    obj.program("on_getppid").attach();
    return { obj, ring };
  }

  /** Each batch's size and every record's sequence number, as onBatch delivers them. */
  const collectBatches = (ring: RingBuffer<Event>) => {
    const sizes: number[] = [];
    const seqs: number[] = [];
    ring.onBatch((batch) => {
      sizes.push(batch.count);
      for (const r of batch) seqs.push(r.readUInt32LE(4));
    });
    return { sizes, seqs };
  };

  const expectInOrder = (events: Event[], pid: number, n: number) => {
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(events.every((e) => e.pid === pid && e.comm === "target" && e.marker === 0n)).toBe(true);
  };

  it("onRecord: records decode by 'struct event' and arrive in order", async () => {
    const target = await Target.start();
    const { obj, ring } = open(target);
    using _obj = obj;
    const events: Event[] = [];
    ring.onRecord((e) => events.push(e));
    await target.getppid(50);
    await waitFor(() => events.length >= 50, "50 records");
    expectInOrder(events, target.pid, 50);
    expect(() => ring.onBatch(() => {})).toThrow(/already has a consumer/);
  });

  it("onBatch: raw records in batches, in order", async () => {
    const target = await Target.start();
    const { obj, ring } = open(target);
    using _obj = obj;
    const seqs: number[] = [];
    ring.onBatch((batch) => {
      expect(batch).toBeInstanceOf(RecordBatch);
      for (const record of batch) {
        expect(record.length).toBe(32); // sizeof(struct event)
        seqs.push(record.readUInt32LE(4));
      }
    });
    await target.getppid(40);
    await waitFor(() => seqs.length >= 40, "40 records");
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it("for await: delivers in order, and ends when the ring is closed", async () => {
    const target = await Target.start();
    const { obj, ring } = open(target);
    using _obj = obj;
    const events: Event[] = [];
    const loop = (async () => { for await (const e of ring) events.push(e); })();
    await target.getppid(30);
    await waitFor(() => events.length >= 30, "30 records");
    ring.close();
    await loop; // would hang (and time out) if close() did not end the iteration
    expectInOrder(events, target.pid, 30);
    expect(ring.closed).toBe(true);
  });

  it("for await: break closes the ring", async () => {
    const target = await Target.start();
    const { obj, ring } = open(target);
    using _obj = obj;
    await target.getppid(10);
    let seen = 0;
    for await (const e of ring) {
      expect(e.seq).toBe(++seen);
      if (seen === 5) break;
    }
    expect(ring.closed).toBe(true);
  });

  it("maxPerTick caps how many records one drain delivers", async () => {
    const target = await Target.start();
    const { obj, ring } = open(target, { maxPerTick: 10 });
    using _obj = obj;
    await target.getppid(95); // all in the ring before anyone reads
    const { sizes, seqs } = collectBatches(ring);
    await waitFor(() => seqs.length >= 95, "95 records");
    expect(Math.max(...sizes)).toBe(10);
    expect(sizes.length).toBeGreaterThanOrEqual(10);
    expect(seqs).toEqual(Array.from({ length: 95 }, (_, i) => i + 1));
    expect(ring.poll(3)).toBe(0); // nothing left
  });

  it("drains land in one reused buffer: a batch bigger than it arrives whole, and it grows", async () => {
    const target = await Target.start();
    const { obj, ring } = open(target, { maxPerTick: 10_000 });
    using _obj = obj;
    await target.getppid(3000); // 3000 x 36 bytes: more than the 64 KiB the ring starts with
    const { sizes, seqs } = collectBatches(ring);
    await waitFor(() => seqs.length >= 3000, "3000 records");
    await target.getppid(3000); // now fits in the grown buffer
    await waitFor(() => seqs.length >= 6000, "6000 records");
    expect(sizes[0]).toBe(3000);
    expect(seqs).toEqual(Array.from({ length: 6000 }, (_, i) => i + 1));
  });

  it("poll() inside a consumer's callback does not overwrite the batch being delivered", async () => {
    const target = await Target.start();
    const { obj, ring } = open(target, { maxPerTick: 100 });
    using _obj = obj;
    await target.getppid(200);
    const outer: number[] = [];
    const inner: number[] = [];
    let depth = 0;
    ring.onBatch((batch) => {
      depth++;
      try {
        if (depth === 1 && outer.length === 0) {
          expect(ring.poll()).toBe(100); // records 101-200, delivered one level down, right now
          for (const r of batch) outer.push(r.readUInt32LE(4)); // read after the nested drain
        } else {
          for (const r of batch) inner.push(r.readUInt32LE(4));
        }
      } finally {
        depth--;
      }
    });
    await waitFor(() => outer.length >= 100, "the outer batch");
    expect(outer).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(inner).toEqual(Array.from({ length: 100 }, (_, i) => i + 101));
  });

  it("pollIntervalMs drains records submitted with BPF_RB_NO_WAKEUP", async () => {
    const target = await Target.start();
    const { obj, ring } = open(target, { noWakeup: true, pollIntervalMs: 5 });
    using _obj = obj;
    const events: Event[] = [];
    ring.onRecord((e) => events.push(e));
    await target.getppid(20);
    await waitFor(() => events.length >= 20, "20 records drained by the timer");
    expectInOrder(events, target.pid, 20);
  });

  /** Runs 200k getppid calls into the flood fixture; returns what arrived and the BPF counters. */
  async function flood(useTiny: boolean) {
    const calls = 200_000;
    const target = await Target.start();
    using obj = BpfObject.open(floodPath);
    obj.setGlobal("target_pid", target.pid).setGlobal("use_tiny", useTiny).load();
    using ring: RingBuffer = obj.ringBuffer(useTiny ? "tiny_ring" : "big_ring");
    let received = 0;
    let lastSeq = -1;
    let outOfOrder = 0;
    ring.onBatch((batch) => {
      for (const r of batch) {
        const seq = r.readUInt32LE(0);
        if (seq <= lastSeq) outOfOrder++;
        lastSeq = seq;
        received++;
      }
    });
    using _link = obj.program("flood_getppid").attach();
    await target.getppid(calls);
    const produced = obj.getGlobal<number>("produced");
    expect(produced).toBe(calls);
    await waitFor(() => received + obj.getGlobal<number>("dropped") >= calls, "every record received or counted as dropped", 30_000);
    return { calls, received, dropped: obj.getGlobal<number>("dropped"), outOfOrder };
  }

  it("a flood of 200k records into a big enough ring arrives complete, in order", async () => {
    const { calls, received, dropped, outOfOrder } = await flood(false);
    expect({ received, dropped, outOfOrder }).toEqual({ received: calls, dropped: 0, outOfOrder: 0 });
  });

  it("a flood into a 4 KiB ring drops records and counts every one of them", async () => {
    const { calls, received, dropped, outOfOrder } = await flood(true);
    expect(dropped).toBeGreaterThan(0);
    expect(received).toBeGreaterThan(0);
    expect(received + dropped).toBe(calls);
    expect(outOfOrder).toBe(0);
  });
});
