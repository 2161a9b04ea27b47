// Lab 4 graded on the real kernel: the reference solution gets each CPU's count and the total
// exact while other processes call getppid() on every CPU; the starter and a loader that
// shows CPU 0's count as the total lose the checks about them, with messages that say what
// was expected and seen; and nothing of the lab (loader, pinned workload, BPF program)
// survives a grade.
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
const lab = resolveLab(discoverLabs(layout), "lab4");
const solutionDir = labDir(layout, lab, true);
const programName = "count_getppid";

const problems = preflightProblems("npm test");
const onKernel = problems.length === 0 || process.env.CI ? describe.sequential : describe.skip;

async function labProgramIds(): Promise<number[]> {
  const programs = (await $`bpftool prog show -j`.quiet()).json<Array<{ id: number; name?: string }>>();
  return programs.filter((p) => p.name === programName).map((p) => p.id);
}

/** Live processes whose command line mentions `dir` (a loader) or whose name is the workload's. */
function leftovers(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      const state = /^State:\s*(\w)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      if (state !== "Z" && (comm.startsWith("lab4-pinned") || readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir))) found.push(`${pid} ${comm}`);
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** Grades `dir` as lab 4 and checks that no loader, workload or new program is left after. */
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
  expect(left, `${programName} programs still loaded after grading`).toEqual([]);
  return { result, report, failed: result.checks.filter((c) => !c.passed).map((c) => c.name) };
}

/** A copy of the solution in a temp dir, its loader changed by `edit`. */
function variantOfSolution(edit: (loader: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "lab4-variant-"));
  cpSync(solutionDir, dir, { recursive: true, filter: (src) => !src.endsWith(".bpf.o") });
  const loader = join(dir, "percpu.ts");
  const source = readFileSync(loader, "utf8");
  const edited = edit(source);
  expect(edited).not.toBe(source);
  // Outside the repository: make the loader an ES module and point "#bpf" at the library.
  writeFileSync(join(dir, "package.json"), `{ "type": "module" }\n`);
  const native = pathToFileURL(join(repoRoot(), "native", "index.ts")).href;
  writeFileSync(loader, edited.replace(`from "#bpf"`, `from "${native}"`));
  return dir;
}

onKernel("lab 4 on the real kernel", () => {
  beforeAll(() => {
    if (problems.length > 0) throw new Error(`BPF is not usable on this machine, so lab 4 cannot be tested:\n  ${problems.join("\n  ")}`);
  });

  const variants: string[] = [];
  afterAll(() => variants.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("the reference solution scores full marks while other processes call getppid() on every CPU", async () => {
    const loop = "while :; do /usr/bin/python3 -c 'import os; [os.getppid() for _ in range(2000)]'; done";
    const noise = [0, 1].map((cpu) => ProcessGroup.spawn("taskset", ["-c", String(cpu), "sh", "-c", loop], { stdio: "ignore" }));
    try {
      const { result, report } = await grade(solutionDir, true);
      expect(result.max).toBeGreaterThan(0);
      expect(result.score, report).toBe(result.max);
    } finally {
      await Promise.all(noise.map((group) => group.stop()));
    }
  });

  it("the untouched starter scores less, and says what it expected and saw", async () => {
    const { result, report, failed } = await grade(labDir(layout, lab, false), false);
    expect(result.score).toBeLessThan(result.max);
    expect(report).toMatch(/^loads and attaches: OK/m);
    expect(failed).toEqual(["counts each CPU's calls in that CPU's slot", "prints the sum over all CPUs"]);
    expect(report).toMatch(/MISSING cpu\d: wanted \d+, no row/);
    expect(report).toMatch(/expected: pid \d+ called getppid\(\) \d+ times on CPU \d, then /);
    expect(report).toMatch(/getppid\(\) calls of pid \d+ per CPU:/);
    expect(report).toContain('hint: read hints 1 and 2 in labs/lab4-percpu-maps/README.md (section "Hints")');
  });

  it("a total that is CPU 0's count alone fails the sum check only, and the hint says so", async () => {
    const dir = variantOfSolution((loader) => loader.replace("sumPerCpu(perCpu)", "perCpu[0]!"));
    variants.push(dir);
    const { result, failed } = await grade(dir, true);
    expect(failed).toEqual(["prints the sum over all CPUs"]);
    const sum = result.checks.find((c) => c.name === "prints the sum over all CPUs");
    expect(sum?.failure?.message).toMatch(/^total: wanted (\d+), saw \d+$/);
    expect(sum?.failure?.hint).toMatch(/^\d+ is what CPU 0 alone counted: add up the values of every CPU/);
  });
});
