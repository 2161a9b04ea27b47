// `npm run bench -- --json` in its quick form: the C programs build, both sides of each
// comparison run for real, and the JSON has the three comparisons. Speed is not asserted here
// (a timed assertion on a shared machine is noise); correctness is: the bench itself fails
// when a consumer loses or reorders records or a dump comes back wrong.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot, requireBpf } from "./helpers/kernel.ts";

const run = promisify(execFile);

describe.skipIf(!requireBpf())("npm run bench", () => {
  it("--quick --json prints lookup, dump and ring buffer rows, JS against C", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "bench/bench.ts", "--quick", "--json"], { cwd: repoRoot, timeout: 120_000 });
    const rows = JSON.parse(stdout) as Array<{ name: string; js: number; c: number; unit: string; ratio: number | null }>;
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(["ARRAY lookup", "HASH dump, 100k entries", "ring buffer consumed", "ring buffer lost, all trials"]));
    for (const row of rows.filter((r) => r.ratio !== null)) {
      expect(row.js, row.name).toBeGreaterThan(0);
      expect(row.c, row.name).toBeGreaterThan(0);
      // One quick trial: the ratio is that trial's JS/C (a rate) or C/JS (a time or a cost).
      const lowerIsBetter = row.unit === "ms" || row.unit === "ns";
      expect(row.ratio, row.name).toBeCloseTo(lowerIsBetter ? row.c / row.js : row.js / row.c, 2);
    }
    // With a 4 MiB ring and a consumer draining every millisecond, nothing may be lost.
    expect(rows.find((r) => r.name === "ring buffer lost, all trials")).toMatchObject({ js: 0 });
  });
});
