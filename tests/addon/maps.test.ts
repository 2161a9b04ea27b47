// Maps of every kind the course uses, filled by a real program and by user space.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BpfObject, possibleCpus, sumPerCpu } from "#bpf";
import { addonFixture, killTargets, requireBpf, Target } from "../helpers/kernel.ts";

interface Stats { calls: bigint; last_tid: number; comm: string }

describe.skipIf(!requireBpf())("maps", () => {
  let path: string;
  beforeAll(async () => { path = await addonFixture("maps"); });
  afterEach(killTargets);

  /** An object loaded and attached for `target`, after it made `calls` getppid calls. */
  async function counted(target: Target, calls: number): Promise<BpfObject> {
    const obj = BpfObject.open(path);
    obj.setGlobal("target_pid", target.pid).load();
    obj.program("on_getppid").attach();
    await target.getppid(calls);
    return obj;
  }

  it("array, hash with struct values, percpu array, percpu hash and LRU hash agree on a count", async () => {
    const target = await Target.start();
    using obj = await counted(target, 37);
    expect(obj.map<number, bigint>("counters").get(0)).toBe(37n);
    expect(obj.map<number, bigint>("counters").get(1)).toBe(0n);

    const stats = obj.map<number, Stats>("per_pid").get(target.pid);
    expect(stats).toEqual({ calls: 37n, last_tid: target.pid, comm: "target" });

    const perCpu = obj.map<number, bigint[]>("percpu_calls").get(0)!;
    expect(perCpu).toHaveLength(possibleCpus());
    expect(perCpu.every((v) => typeof v === "bigint")).toBe(true);
    expect(sumPerCpu(perCpu)).toBe(37n);

    const perCpuHash = obj.map<number, bigint[]>("percpu_per_pid").get(target.pid)!;
    expect(perCpuHash).toHaveLength(possibleCpus());
    expect(sumPerCpu(perCpuHash)).toBe(37n);

    expect(obj.map<number, bigint>("lru_per_pid").get(target.pid)).toBe(37n);
  });

  it("get/set/delete/has with update modes on a hash", () => {
    using obj = BpfObject.open(path).load();
    const m = obj.map<number, Stats>("per_pid");
    const value: Stats = { calls: 2n ** 63n + 5n, last_tid: 4_000_000_000, comm: "héllo wörld" };
    expect(m.has(1)).toBe(false);
    expect(m.get(1)).toBeUndefined();
    m.set(1, value);
    expect(m.has(1)).toBe(true);
    expect(m.get(1)).toEqual(value);
    expect(() => m.set(1, value, "noexist")).toThrow(/EEXIST|exists/);
    expect(() => m.set(2, value, "exist")).toThrow(/ENOENT|No such/);
    m.set(1, { calls: 1n, last_tid: 1, comm: "" }, "exist");
    expect(m.get(1)).toEqual({ calls: 1n, last_tid: 1, comm: "" });
    expect(m.delete(1)).toBe(true);
    expect(m.delete(1)).toBe(false);
    expect(m.has(1)).toBe(false);
  });

  it("per-CPU values are written one per possible CPU, or one value for all", () => {
    using obj = BpfObject.open(path).load();
    const m = obj.map<number, bigint[]>("percpu_per_pid");
    const cpus = possibleCpus();
    const each = Array.from({ length: cpus }, (_, i) => BigInt(i + 1) * 10n);
    m.set(5, each);
    expect(m.get(5)).toEqual(each);
    expect(sumPerCpu(m.get(5)!)).toBe(each.reduce((a, b) => a + b));
    m.set(6, 3n as unknown as bigint[]);
    expect(m.get(6)).toEqual(Array(cpus).fill(3n));
    expect(() => m.set(7, [1n, 2n, 3n, 4n, 5n].slice(0, cpus + 1))).toThrow(new RegExp(`array of ${cpus}`));
  });

  it("raw Buffer keys and values work on any map", () => {
    using obj = BpfObject.open(path).load();
    const m = obj.map("per_pid");
    const key = Buffer.from([0x39, 0x30, 0, 0]); // 12345 little-endian
    const value = Buffer.alloc(32);
    value.writeBigUInt64LE(9n, 0);
    value.write("raw", 12);
    m.set(key, value);
    expect(m.getRaw(key)!.equals(value)).toBe(true);
    expect(m.get(12345)).toEqual({ calls: 9n, last_tid: 0, comm: "raw" });
    expect(m.has(key)).toBe(true);
    expect(m.delete(key)).toBe(true);
  });

  it("keys() and entries() see each key once, also when deleting during iteration", () => {
    using obj = BpfObject.open(path).load();
    const m = obj.map<number, bigint>("scratch");
    for (let i = 0; i < 3000; i++) m.set(i * 7, BigInt(i));
    const keys = [...m.keys()];
    expect(keys).toHaveLength(3000);
    expect(new Set(keys).size).toBe(3000);
    expect(new Map(m.entries()).get(700)).toBe(100n);

    // Delete every other key as we go: get_next_key on a deleted key restarts the walk.
    const seen: number[] = [];
    for (const k of m.keys()) {
      seen.push(k);
      if (k % 2 === 0) m.delete(k);
    }
    expect(seen).toHaveLength(3000);
    expect(new Set(seen).size).toBe(3000);
    expect([...m.keys()].sort((a, b) => a - b)).toEqual(keys.filter((k) => k % 2 !== 0).sort((a, b) => a - b));

    // Delete everything while iterating entries.
    const drained: Array<[number, bigint]> = [];
    for (const [k, v] of m.entries()) { drained.push([k, v]); m.delete(k); }
    expect(drained).toHaveLength(1500);
    expect([...m.keys()]).toEqual([]);
  });

  it("dump() equals entries() on a 10k-entry hash (batch path)", () => {
    using obj = BpfObject.open(path).load();
    const m = obj.map<number, bigint>("scratch");
    for (let i = 0; i < 10_000; i++) m.set(i, BigInt(i) * 3n + 1n);
    const dumped = m.dump();
    expect(dumped).toHaveLength(10_000);
    const sort = (a: [number, bigint], b: [number, bigint]) => a[0] - b[0];
    expect([...dumped].sort(sort)).toEqual([...m.entries()].sort(sort));
    expect(dumped.find(([k]) => k === 4321)?.[1]).toBe(4321n * 3n + 1n);
    // The batch path really exists for this map type (else dump() would silently iterate).
    expect(m.nativeMap.lookupBatch(100).count).toBe(10_000);
  });

  it("dump() works on arrays, per-CPU maps, and falls back on a map without batch support", () => {
    using obj = BpfObject.open(path).load();
    expect(obj.map("counters").dump()).toEqual([...obj.map("counters").entries()]);
    expect(obj.map("counters").dump()).toHaveLength(8);
    const perCpu = obj.map("percpu_per_pid");
    perCpu.set(3, 4n);
    expect(perCpu.dump()).toEqual([[3, Array(possibleCpus()).fill(4n)]]);

    const devices = obj.map<number, number>("devices");
    expect(() => devices.nativeMap.lookupBatch()).toThrow(/ENOTSUPP|not supported/); // what forces the fallback
    for (const k of [10, 20, 30]) devices.set(k, 1); // ifindex 1: lo
    expect(devices.dump().sort((a, b) => a[0] - b[0])).toEqual([[10, 1], [20, 1], [30, 1]]);

    const trie = obj.map<{ prefixlen: number; addr: number[] }, number>("trie");
    trie.set({ prefixlen: 24, addr: [10, 1, 2, 0] }, 1);
    trie.set({ prefixlen: 16, addr: [192, 168, 0, 0] }, 2);
    const dumped = trie.dump().sort((a, b) => a[1] - b[1]);
    expect(dumped).toEqual([[{ prefixlen: 24, addr: [10, 1, 2, 0] }, 1], [{ prefixlen: 16, addr: [192, 168, 0, 0] }, 2]]);
    expect(trie.get({ prefixlen: 32, addr: [10, 1, 2, 99] })).toBe(1); // longest-prefix match

    const trie6 = obj.map<{ prefixlen: number; addr: number[] }, number>("trie6");
    const prefixes = Array.from({ length: 40 }, (_, i) => ({ prefixlen: 128, addr: [0x20, 0x01, ...Array(13).fill(0), i] }));
    prefixes.forEach((key, i) => trie6.set(key, i));
    const dumped6 = trie6.dump().sort((a, b) => a[1] - b[1]);
    expect(dumped6).toEqual(prefixes.map((key, i) => [key, i]));
  });

  it("the same handle comes back for a name, and closing it is local to the handle", () => {
    using obj = BpfObject.open(path).load();
    const a = obj.map("counters");
    expect(obj.map("counters")).toBe(a);
    a.close();
    a.close(); // twice is fine
    expect(() => a.get(0)).toThrow(expect.objectContaining({ code: "ERR_CLOSED" }));
    expect(obj.map<number, bigint>("counters").get(0)).toBe(0n); // a fresh handle
  });
});
