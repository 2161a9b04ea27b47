// Misuse never crashes Node and always explains itself: each case in-process, then all of
// them in a child process whose clean exit proves nothing segfaulted.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { BpfObject, TracePipe } from "#bpf";
import { checkCase, misuseCases, type FixturePaths } from "../fixtures/addon/misuse-cases.ts";
import { addonFixture, addonFixtures, repoRoot, requireBpf } from "../helpers/kernel.ts";

const run = promisify(execFile);

describe.skipIf(!requireBpf())("misuse", () => {
  const paths: FixturePaths = { maps: "", probes: "", textFile: join(addonFixtures, "maps.bpf.c") };
  beforeAll(async () => { [paths.maps, paths.probes] = await Promise.all([addonFixture("maps"), addonFixture("probes")]); });

  // The cases need the paths, known only after beforeAll: build the list lazily by name.
  const names = misuseCases({ maps: "", probes: "", textFile: "" }).map((c) => c.name);
  it.each(names)("%s", (name) => {
    const c = misuseCases(paths).find((x) => x.name === name)!;
    expect(checkCase(c)).toBeUndefined();
  });

  it("close() twice and `using` disposal are safe on every handle", () => {
    let outer: BpfObject;
    {
      using obj = BpfObject.open(paths.maps).load();
      outer = obj;
      using map = obj.map("counters");
      using link = obj.program("on_getppid").attach();
      using ring = obj.ringBuffer("events");
      using pipe = TracePipe.open();
      for (const handle of [map, link, ring, pipe]) {
        handle.close();
        handle.close();
        expect(handle.closed).toBe(true);
      }
    }
    expect(outer.closed).toBe(true);
    outer.close();
  });

  it("a child process running every misuse case (and dropping handles to the GC) exits cleanly", async () => {
    const script = join(addonFixtures, "misuse-child.ts");
    const { stdout } = await run(process.execPath, ["--expose-gc", "--import", "tsx", script, paths.maps, paths.probes, paths.textFile], { cwd: repoRoot, timeout: 50_000 })
      .catch((err: { code?: number; signal?: string; stdout?: string; stderr?: string }) => {
        throw new Error(`misuse child failed (exit ${err.code}, signal ${err.signal}):\n${err.stdout}\n${err.stderr}`);
      });
    expect(stdout).toContain("all misuse cases failed cleanly");
    expect(stdout).toContain("ok for-await ended: ended");
    expect(stdout.split("\n").filter((l) => l.startsWith("ok ")).length).toBe(names.length + 1);
  });
});
