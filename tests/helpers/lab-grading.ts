// A lab graded from a test exactly as `npm run grade` grades it, then proof that the grade
// left nothing behind: no loader or workload process, no BPF program of the lab. Plus
// variants of the reference solution with one plausible mistake each, to grade the same way.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { courseLayout, repoRoot } from "../../grader/lib/layout.ts";
import { ProcessGroup } from "../../grader/lib/processes.ts";
import { discoverLabs, labDir, resolveLab, type LabInfo } from "../../grader/lib/registry.ts";
import { textReporter } from "../../grader/lib/report.ts";
import type { LabResult } from "../../grader/lib/results.ts";
import { gradeLab } from "../../grader/lib/runner.ts";
import { preflightProblems } from "../../grader/preflight.ts";
import { eventually, loadedPrograms } from "./kernel.ts";

export interface LabTraces {
  /** The lab's BPF programs, by the names `bpftool prog show` gives them. */
  programs: readonly string[];
  /** How the workload's processes' names (comm) begin, for labs that run one. */
  workloadComm?: string;
  /** What else a grade must remove (lab 6: its namespaces and veths), given the grader's pid. */
  otherLeftovers?: (graderPid: number) => string[];
  /** How long the kernel may take to free a program once its last fd has closed. */
  releaseMs?: number;
}

export interface Graded {
  result: LabResult;
  /** The text report, as a student sees it. */
  report: string;
  /** Names of the checks that failed. */
  failed: string[];
}

const layout = courseLayout();
const problems = preflightProblems("npm test");
const variants: string[] = [];

export class LabUnderTest {
  readonly info: LabInfo;
  readonly solutionDir: string;
  readonly starterDir: string;

  constructor(id: string, private readonly traces: LabTraces) {
    this.info = resolveLab(discoverLabs(layout), id);
    this.solutionDir = labDir(layout, this.info, true);
    this.starterDir = labDir(layout, this.info, false);
  }

  /** Ids of the lab's programs loaded in the kernel now, whoever loaded them. */
  async programIds(): Promise<number[]> {
    return (await loadedPrograms()).filter((p) => this.traces.programs.includes(p.name ?? "")).map((p) => p.id);
  }

  /** Grades `dir` (as the solution or as a student's copy) and asserts that nothing of it is left after. */
  async grade(dir: string, solution: boolean): Promise<Graded> {
    const before = await this.programIds();
    let report = "";
    const result = await gradeLab(this.info, { layout, solution, dir, reporter: textReporter({ write: (text: string) => (report += text) }) });
    await this.expectNothingLeft(before, dir);
    return { result, report, failed: result.checks.filter((c) => !c.passed).map((c) => c.name) };
  }

  /**
   * Grades the reference solution while each `noise` command (an argv) runs in the background,
   * doing what the lab's programs watch for as other processes on a real machine would, and
   * asserts full marks.
   */
  async gradeSolution(...noise: ReadonlyArray<readonly [string, ...string[]]>): Promise<Graded> {
    const groups = noise.map(([command, ...args]) => ProcessGroup.spawn(command, args, { stdio: "ignore" }));
    try {
      const graded = await this.grade(this.solutionDir, true);
      expect(graded.result.max).toBeGreaterThan(0);
      expect(graded.result.score, graded.report).toBe(graded.result.max);
      return graded;
    } finally {
      await Promise.all(groups.map((group) => group.stop()));
    }
  }

  /** Grades the untouched starter and asserts that it scores less than full marks. */
  async gradeStarter(): Promise<Graded> {
    const graded = await this.grade(this.starterDir, false);
    expect(graded.result.score).toBeLessThan(graded.result.max);
    return graded;
  }

  /**
   * Asserts that no process runs from `dir` or under the workload's name, nothing else the
   * grader with pid `graderPid` made is left, and no program of the lab is loaded that was
   * not in `before` (once the kernel has had time to free them).
   */
  async expectNothingLeft(before: readonly number[], dir: string, graderPid = process.pid): Promise<void> {
    expect(leftoverProcesses(dir, this.traces.workloadComm), "processes left after grading").toEqual([]);
    if (this.traces.otherLeftovers) expect(this.traces.otherLeftovers(graderPid), "left after grading").toEqual([]);
    const added = async () => (await this.programIds()).filter((id) => !before.includes(id));
    await eventually(async () => (await added()).length === 0, this.traces.releaseMs);
    expect(await added(), `programs named ${this.traces.programs.join(" or ")} still loaded after grading`).toEqual([]);
  }

  /**
   * A copy of the reference solution in a temp dir (removed after the suite) with `edit`
   * applied to its file `file`, which it must change. It is graded like a student's copy.
   */
  variantOfSolution(file: string, edit: (text: string) => string): string {
    const dir = mkdtempSync(join(tmpdir(), `${this.info.id}-variant-`));
    variants.push(dir);
    cpSync(this.solutionDir, dir, { recursive: true, filter: (src) => !src.endsWith(".bpf.o") });
    const original = readFileSync(join(dir, file), "utf8");
    const edited = edit(original);
    expect(edited, `the edit did not change ${file}`).not.toBe(original);
    writeFileSync(join(dir, file), edited);
    // Outside the repository the loader is not an ES module and the "#bpf" alias does not
    // resolve: declare the one, and point the import at the library itself.
    writeFileSync(join(dir, "package.json"), `{ "type": "module" }\n`);
    const native = pathToFileURL(join(repoRoot(), "native", "index.ts")).href;
    for (const ts of readdirSync(dir).filter((name) => name.endsWith(".ts"))) {
      writeFileSync(join(dir, ts), readFileSync(join(dir, ts), "utf8").replace(`from "#bpf"`, `from "${native}"`));
    }
    return dir;
  }
}

/**
 * `describe`, one test at a time, for a lab's tests on the real kernel. Where BPF is not
 * usable they are skipped, except under CI, where every test fails saying why.
 */
export function describeOnKernel(lab: LabUnderTest, body: () => void): void {
  const name = `lab ${lab.info.number}`;
  const run = problems.length === 0 || process.env.CI ? describe.sequential : describe.skip;
  run(`${name} on the real kernel`, () => {
    beforeAll(() => {
      if (problems.length > 0) throw new Error(`BPF is not usable on this machine, so ${name} cannot be tested:\n  ${problems.join("\n  ")}`);
    });
    afterAll(() => variants.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
    body();
  });
}

/**
 * Live processes (as "pid comm") whose command line mentions `dir` (a loader run from it) or
 * whose name begins with `comm` (a workload); never this test process.
 */
export function leftoverProcesses(dir: string, comm?: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)) {
    try {
      const name = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      const state = /^State:\s*(\w)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      const workload = comm !== undefined && name.startsWith(comm);
      if (state !== "Z" && (workload || readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir))) found.push(`${pid} ${name}`);
    } catch {
      // gone while we looked
    }
  }
  return found;
}
