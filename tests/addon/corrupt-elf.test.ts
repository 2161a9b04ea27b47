// A damaged BPF object must become a BpfError, never a crash of Node. Before the addon checked
// the image (native/src/elf_check.cc), libbpf 1.1 segfaulted on about 1 in 350 randomly damaged
// copies of maps.bpf.o and hung on a self-referring BTF type. The cases run in a child process,
// so a crash is reported here instead of killing the test runner.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { addonFixture, addonFixtures, repoRoot, requireBpf, runNodeToEnd } from "../helpers/kernel.ts";

// Seeds of corrupt-elf.ts that crashed libbpf 1.1 inside bpf_object__open_*() (mostly in .maps
// parsing, on a BTF type id out of range) before the checks existed, with maps.bpf.o as clang 14
// builds it (the build gives the same bytes in any checkout, see bpf/compile.ts). Another
// compiler or vmlinux.h may move the bytes so that a seed no longer hits the bug; the
// targeted cases reproduce the same damage by meaning, so only they must name it.
const crashSeeds = [443, 463, 1634, 1872, 1956, 2594];
const randomSeeds = "0-1000";

describe.skipIf(!requireBpf())("damaged BPF objects", () => {
  let mapsPath: string;
  beforeAll(async () => { mapsPath = await addonFixture("maps"); });

  it("open and load either work or throw BpfError for 1000 random corruptions, the known crash seeds and targeted damage", async () => {
    const child = join(addonFixtures, "corrupt-elf-child.ts");
    const args = ["--import", "tsx", child, mapsPath, randomSeeds, crashSeeds.join(","), "targeted"];
    const result = await runNodeToEnd(args, { cwd: repoRoot, timeout: 50_000, maxBuffer: 16 << 20 });
    const lines = result.stdout.split("\n");
    // The case a crash or hang interrupted is the last one started and never finished.
    const last = lines.filter((l) => /^(case|ok|FAIL) /.test(l)).at(-1) ?? "";
    expect(result.signal, `child died of ${result.signal} during:\n${last}`).toBeNull();
    expect(lines.filter((l) => l.startsWith("FAIL ")), "cases that threw something other than BpfError").toEqual([]);
    expect(result.code).toBe(0);

    const outcomes = lines.filter((l) => l.startsWith("ok "));
    expect(outcomes).toHaveLength(1000 + crashSeeds.length + 14);
    for (const seed of crashSeeds) expect(outcomes.some((l) => l.startsWith(`ok ${seed}:`)), `seed ${seed} ran to an end`).toBe(true);
    // Each targeted case is refused at open with a reason naming the damage.
    const targeted = outcomes.filter((l) => l.startsWith("ok -1:"));
    expect(targeted.every((l) => /open refused \(open ELIBBPF\).*the object is damaged/.test(l)), targeted.join("\n")).toBe(true);
    // The mutations are not all fatal: some objects still open and load for real.
    expect(outcomes.filter((l) => / loaded$/.test(l)).length).toBeGreaterThan(100);
  });
});
