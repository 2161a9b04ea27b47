// Comparison 2: reading a whole 100k-entry HASH (u32 -> u64), JS `map.dump()` (batch lookups,
// then decoding every key and value) against a C `bpf_map_lookup_batch` loop. Each side loads
// its own copy of maps.bpf.o and fills it (untimed) with value = 3 * key.
import { BpfObject } from "#bpf";
import { CWorker } from "./c-programs.ts";
import { lowerIsBetter, type Result } from "./report.ts";
import type { BenchContext } from "./settings.ts";
import { fastestPairedWindows } from "./stats.ts";

export async function compareDump(ctx: BenchContext): Promise<Result[]> {
  const { settings } = ctx;
  using obj = BpfObject.open(ctx.mapsObject).load();
  const map = obj.map<number, bigint>("dump_hash");
  for (let key = 0; key < map.maxEntries; key++) map.set(key, BigInt(key) * 3n, "noexist");
  using worker = new CWorker(ctx.programs.dump, [ctx.mapsObject]);

  /** Milliseconds for one dump() through the addon. */
  const dumpInJs = (): number => {
    const start = performance.now();
    const entries = map.dump();
    const elapsed = performance.now() - start;
    // Checked outside the timed part: a dump that lost entries must not look fast.
    if (entries.length !== map.maxEntries) throw new Error(`dump() returned ${entries.length} entries, expected ${map.maxEntries}`);
    const [key, value] = entries[entries.length >> 1]!;
    if (value !== BigInt(key) * 3n) throw new Error(`dump() decoded key ${key} with value ${value}, expected ${BigInt(key) * 3n}`);
    return elapsed;
  };
  const dumpInC = async (): Promise<number> => {
    const answer = await worker.request<{ seconds: number; entries: number }>("dump");
    if (answer.entries !== map.maxEntries) throw new Error(`C dump read ${answer.entries} entries, expected ${map.maxEntries}`);
    return answer.seconds * 1e3;
  };

  dumpInJs(); // untimed: V8 compiles the decoders
  await dumpInC();
  const times = { js: [] as number[], c: [] as number[] };
  for (let trial = 0; trial < settings.trials; trial++) {
    const fastest = await fastestPairedWindows(settings.dumpRepetitions, dumpInJs, dumpInC);
    times.js.push(fastest.js);
    times.c.push(fastest.c);
  }
  ctx.log(`dump ms       JS ${times.js.map((t) => t.toFixed(1)).join(" ")}  C ${times.c.map((t) => t.toFixed(1)).join(" ")}`);
  return [lowerIsBetter("HASH dump, 100k entries", "ms", times, 1.3)];
}
