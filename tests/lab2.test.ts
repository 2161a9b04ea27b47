// Lab 2 graded on the real kernel: the reference solution counts exactly while other
// processes make the same syscalls; the starter and a program without the pid filter lose
// the checks about them, with messages that say what was expected and seen; and nothing of
// the lab (loader, paused workload, BPF program) survives a grade.
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
const lab = resolveLab(discoverLabs(layout), "lab2");
const solutionDir = labDir(layout, lab, true);
const programName = "count_syscalls";

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
      if (state !== "Z" && (comm.startsWith("lab2-syscalls") || readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir))) found.push(`${pid} ${comm}`);
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** Grades `dir` as lab 2 and checks that no loader, workload or new program is left after. */
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

/** A copy of the solution in a temp dir, its BPF source changed by `edit`. */
function variantOfSolution(edit: (source: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "lab2-variant-"));
  cpSync(solutionDir, dir, { recursive: true, filter: (src) => !src.endsWith(".bpf.o") });
  const bpf = join(dir, "syscalls.bpf.c");
  const edited = edit(readFileSync(bpf, "utf8"));
  expect(edited).not.toBe(readFileSync(bpf, "utf8"));
  writeFileSync(bpf, edited);
  // Outside the repository: make the loader an ES module and point "#bpf" at the library.
  writeFileSync(join(dir, "package.json"), `{ "type": "module" }\n`);
  const loader = join(dir, "syscalls.ts");
  const native = pathToFileURL(join(repoRoot(), "native", "index.ts")).href;
  writeFileSync(loader, readFileSync(loader, "utf8").replace(`from "#bpf"`, `from "${native}"`));
  return dir;
}

// Another process making every syscall the grader may choose, all the time.
const noiseLoop = `import os, time
while True:
    os.getppid(); os.getuid(); os.getgid(); os.geteuid(); os.getegid(); os.sched_yield()
    time.sleep(0.0005)`;

onKernel("lab 2 on the real kernel", () => {
  beforeAll(() => {
    if (problems.length > 0) throw new Error(`BPF is not usable on this machine, so lab 2 cannot be tested:\n  ${problems.join("\n  ")}`);
  });

  const variants: string[] = [];
  afterAll(() => variants.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("the reference solution scores full marks while other processes make the same syscalls", async () => {
    const noise = ProcessGroup.spawn("/usr/bin/python3", ["-c", noiseLoop], { stdio: "ignore" });
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
    expect(report).toMatch(/^loads and attaches \(the verifier accepts the map lookup\): OK/m);
    expect(failed).toContain("counts a syscall of the --pid process exactly");
    expect(report).toContain("the loader printed no complete table within");
    expect(report).toMatch(/expected: a table every second: 'Top system calls of pid 4242:'/);
    expect(report).toMatch(/counting system calls of pid \d+ \(Ctrl-C to stop\)/);
    expect(report).toContain('hint: read hints 3 and 4 in labs/lab2-array-maps/README.md (section "Hints")');
  });

  it("without the pid filter the counts include other processes, and the hint says so", async () => {
    const dir = variantOfSolution((source) => source.replace("\tif (target_pid && current_tgid() != target_pid)\n\t\treturn 0;\n", ""));
    variants.push(dir);
    const { result, failed } = await grade(dir, true);
    expect(failed).toEqual(expect.arrayContaining(["counts a syscall of the --pid process exactly", "counts nothing of other processes"]));
    expect(failed).not.toContain("loads and attaches (the verifier accepts the map lookup)");
    const exact = result.checks.find((c) => c.name === "counts a syscall of the --pid process exactly");
    expect(exact?.failure?.message).toMatch(/^\w+: wanted \d+, its row says \d+$/);
    expect(exact?.failure?.hint).toMatch(/^\d+ is more than pid \d+ made: calls of other processes are counted too/);
  });

  it("a lookup used without its NULL check is rejected by the verifier, and nothing else runs", async () => {
    const dir = variantOfSolution((source) => source.replace("\tif (!count)\n\t\treturn 0;\n", ""));
    variants.push(dir);
    const { result, report } = await grade(dir, true);
    expect(result.score).toBe(0);
    expect(report).toMatch(/^loads and attaches \(the verifier accepts the map lookup\): FAIL/m);
    expect(report).toContain("invalid mem access 'map_value_or_null'");
  });
});
