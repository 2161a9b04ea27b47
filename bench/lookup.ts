// Comparison 1: single ARRAY lookups, JS `map.get(key)` against C `bpf_map_lookup_elem`.
// Each side loads its own copy of maps.bpf.o, writes value = key, then cycles keys 0..1023.
import { BpfObject } from "#bpf";
import { CWorker } from "./c-programs.ts";
import { higherIsBetter, type Result } from "./report.ts";
import type { BenchContext } from "./settings.ts";
import { fastestPairedWindows } from "./stats.ts";

const entries = 1024;

export async function compareLookup(ctx: BenchContext): Promise<Result[]> {
  const { settings } = ctx;
  using obj = BpfObject.open(ctx.mapsObject).load();
  const map = obj.map<number, bigint>("lookup_array");
  for (let key = 0; key < entries; key++) map.set(key, BigInt(key));
  using worker = new CWorker(ctx.programs.lookup, [ctx.mapsObject]);

  let sum = 0n;
  /** Seconds for `count` lookups through the addon. */
  const lookupsInJs = (count: number): number => {
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const value = map.get(i & (entries - 1));
      if (value === undefined) throw new Error(`ARRAY lookup of key ${i & (entries - 1)} found nothing`);
      sum += value;
    }
    return (performance.now() - start) / 1e3;
  };
  const lookupsInC = async (count: number): Promise<number> => (await worker.request<{ seconds: number }>(count)).seconds;

  // Untimed: lets V8 compile the JS path and both sides fault in what they touch.
  lookupsInJs(settings.lookupWarmup);
  await lookupsInC(settings.lookupWarmup);

  const rates = { js: [] as number[], c: [] as number[] };
  for (let trial = 0; trial < settings.trials; trial++) {
    const per = settings.lookupsPerWindow;
    const fastest = await fastestPairedWindows(settings.lookupWindows, () => lookupsInJs(per), () => lookupsInC(per));
    rates.js.push(per / fastest.js);
    rates.c.push(per / fastest.c);
  }
  if (sum === 0n) throw new Error("every lookup returned 0: the map was not filled");
  ctx.log(`lookup ops/s  JS ${rates.js.map(Math.round).join(" ")}  C ${rates.c.map(Math.round).join(" ")}`);
  return [higherIsBetter("ARRAY lookup", "ops/s", rates, 0.85)];
}
