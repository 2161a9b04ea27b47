// Lab 5 graded on the real kernel: the reference solution earns full marks while other
// processes open files around it; the starter fails with messages that say what was expected
// and seen; two plausible mistakes with the drop counter (never counting, counting every
// event) lose exactly the checks about it; and nothing of the lab (loaders, workload, BPF
// program) survives a grade.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { $ } from "zx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { courseLayout, repoRoot } from "../grader/lib/layout.ts";
import { ProcessGroup, delay } from "../grader/lib/processes.ts";
import { discoverLabs, labDir, resolveLab } from "../grader/lib/registry.ts";
import { textReporter } from "../grader/lib/report.ts";
import type { LabResult } from "../grader/lib/results.ts";
import { gradeLab } from "../grader/lib/runner.ts";
import { preflightProblems } from "../grader/preflight.ts";

const layout = courseLayout();
const lab = resolveLab(discoverLabs(layout), "lab5");
const solutionDir = labDir(layout, lab, true);
const programName = "handle_openat";
const dropChecks = ["reports events dropped when the ring is full", "counts drops exactly: received + dropped = opened"];

const problems = preflightProblems("npm test");
const onKernel = problems.length === 0 || process.env.CI ? describe.sequential : describe.skip;

async function labProgramIds(): Promise<number[]> {
  const programs = (await $`bpftool prog show -j`.quiet()).json<Array<{ id: number; name?: string }>>();
  return programs.filter((p) => p.name === programName).map((p) => p.id);
}

/** Live processes whose command line mentions `text` (loaders), or named lab5-* (the workload). */
function leftovers(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      const state = /^State:\s*(\w)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      if (state !== "Z" && (comm.startsWith("lab5-") || readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text))) found.push(`${pid} ${comm}`);
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** Grades `dir` as lab 5 and checks that no loader, workload or new program is left after. */
async function grade(dir: string, solution: boolean): Promise<{ result: LabResult; report: string; failed: string[] }> {
  const before = new Set(await labProgramIds());
  let report = "";
  const result = await gradeLab(lab, { layout, solution, dir, reporter: textReporter({ write: (text: string) => (report += text) }) });
  expect(leftovers(dir), "processes left after grading").toEqual([]);
  let left: number[] = [];
  for (let tries = 0; tries < 40; tries++) {
    left = (await labProgramIds()).filter((id) => !before.has(id));
    if (left.length === 0) break;
    await delay(50); // the kernel frees a program shortly after its last fd closes
  }
  expect(left, "lab 5 programs still loaded after grading").toEqual([]);
  return { result, report, failed: result.checks.filter((c) => !c.passed).map((c) => c.name) };
}

/** A copy of the solution in a temp dir, its BPF source changed by `edit`. */
function variantOfSolution(edit: (source: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "lab5-variant-"));
  cpSync(solutionDir, dir, { recursive: true, filter: (src) => !src.endsWith(".bpf.o") });
  const bpf = join(dir, "opensnoop.bpf.c");
  const edited = edit(readFileSync(bpf, "utf8"));
  expect(edited).not.toBe(readFileSync(bpf, "utf8"));
  writeFileSync(bpf, edited);
  // Outside the repository: make the loader an ES module and point "#bpf" at the library.
  writeFileSync(join(dir, "package.json"), `{ "type": "module" }\n`);
  const loader = join(dir, "opensnoop.ts");
  const native = pathToFileURL(join(repoRoot(), "native", "index.ts")).href;
  writeFileSync(loader, readFileSync(loader, "utf8").replace(`from "#bpf"`, `from "${native}"`));
  return dir;
}

const countsDrop = "\tif (!e) {\n\t\t__sync_fetch_and_add(&dropped, 1);\n\t\treturn 0;\n\t}\n";

onKernel("lab 5 on the real kernel", () => {
  beforeAll(() => {
    if (problems.length > 0) throw new Error(`BPF is not usable on this machine, so lab 5 cannot be tested:\n  ${problems.join("\n  ")}`);
  });

  const variants: string[] = [];
  afterAll(() => variants.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("the reference solution scores full marks while other processes open files too", async () => {
    const noise = ProcessGroup.spawn("sh", ["-c", "while :; do cat /etc/hostname /etc/passwd >/dev/null; sleep 0.01; done"], { stdio: "ignore" });
    try {
      const { result, report } = await grade(solutionDir, true);
      expect(result.max).toBeGreaterThan(0);
      expect(result.score, report).toBe(result.max);
    } finally {
      await noise.stop();
    }
  });

  it("the untouched starter scores less, and says what it expected and saw", async () => {
    const { result, report, failed } = await grade(labDir(layout, lab, false), false);
    expect(result.score).toBeLessThan(result.max);
    expect(report).toMatch(/^loads and attaches: OK/m);
    expect(failed).toEqual(result.checks.map((c) => c.name).filter((name) => name !== "loads and attaches"));
    expect(report).toMatch(/MISSING \/\S+\/open-[a-z]+ with pid \d+, uid \d+ and comm lab5-[a-z]+: wanted 1 line, saw 0/);
    expect(report).toMatch(/none of the burst's \d+ opens was printed/);
    expect(report).toContain("the loader printed no line about dropped events");
    expect(report).toMatch(/0 received \+ 0 dropped = 0, not \d+/);
    expect(report).toContain('hint: read hint 2 in labs/lab5-ring-buffer/README.md (section "Hints")');
  });

  it("a program that never counts drops fails the two drop checks only", async () => {
    const dir = variantOfSolution((source) => source.replace(countsDrop, "\tif (!e)\n\t\treturn 0;\n"));
    variants.push(dir);
    const { result, failed } = await grade(dir, true);
    expect(failed).toEqual(dropChecks);
    expect(result.checks.find((c) => c.name === dropChecks[0])?.failure?.message).toBe("the loader reported 0 dropped events");
  });

  it("a program that counts every event as dropped fails the exact count only", async () => {
    const dir = variantOfSolution((source) => source.replace(countsDrop, "\t__sync_fetch_and_add(&dropped, 1);\n\tif (!e)\n\t\treturn 0;\n"));
    variants.push(dir);
    const { result, failed } = await grade(dir, true);
    expect(failed).toEqual([dropChecks[1]]);
    expect(result.checks.find((c) => c.name === dropChecks[1])?.failure?.message).toMatch(/^\d+ received \+ \d+ dropped = \d+, not \d+$/);
  });
});
