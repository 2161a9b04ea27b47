// `npm run bench [-- --json] [-- --quick]`: the addon against the same work in C with libbpf,
// in one run. Prints a table (or, with --json, only [{name, js, c, unit, ratio}] on stdout).
// Missed targets do not fail the run: timings on a shared machine are information, not tests.
// A consumer that loses or reorders data, or a wrong dump, does fail it.
import { parseArgs } from "node:util";
import { compileBpf } from "../bpf/compile.ts";
import { libbpfVersion } from "#bpf";
import { buildCPrograms } from "./c-programs.ts";
import { compareDump } from "./dump.ts";
import { compareLookup } from "./lookup.ts";
import { toJson, toTable, type Result } from "./report.ts";
import { compareRingBuffer } from "./ringbuf.ts";
import { fullSettings, quickSettings, type BenchContext } from "./settings.ts";

const { values: flags } = parseArgs({ options: { json: { type: "boolean", default: false }, quick: { type: "boolean", default: false } } });
const log = (line: string) => process.stderr.write(`${line}\n`);
const started = performance.now();

const ctx: BenchContext = {
  settings: flags.quick ? quickSettings : fullSettings,
  programs: await buildCPrograms(),
  mapsObject: await compileBpf(new URL("./maps.bpf.c", import.meta.url).pathname),
  ringbufObject: await compileBpf(new URL("./ringbuf.bpf.c", import.meta.url).pathname),
  log,
};
log(`bench: addon vs C, libbpf ${libbpfVersion}, ${ctx.settings.trials} trial(s) per side${flags.quick ? " (quick)" : ""}`);

const results: Result[] = [];
for (const compare of [compareLookup, compareDump, compareRingBuffer]) results.push(...(await compare(ctx)));

log(`bench: ${((performance.now() - started) / 1e3).toFixed(1)} s`);
if (flags.json) {
  log(toTable(results));
  process.stdout.write(`${toJson(results)}\n`);
} else {
  process.stdout.write(`${toTable(results)}\n`);
}
