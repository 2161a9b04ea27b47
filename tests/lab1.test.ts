// Lab 1 graded on the real kernel: the reference solution earns full marks with other
// processes busy around it, the starter and a subtly wrong program do not, and nothing of
// the lab (process or BPF program) survives a grade or a killed loader.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { $ } from "zx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { programIds } from "../grader/lib/attachments.ts";
import { courseLayout, repoRoot } from "../grader/lib/layout.ts";
import { LoaderProcess } from "../grader/lib/loader.ts";
import { ProcessGroup, delay } from "../grader/lib/processes.ts";
import { discoverLabs, labDir, resolveLab } from "../grader/lib/registry.ts";
import { textReporter } from "../grader/lib/report.ts";
import type { LabResult } from "../grader/lib/results.ts";
import { gradeLab } from "../grader/lib/runner.ts";
import { preflightProblems } from "../grader/preflight.ts";

const layout = courseLayout();
const lab = resolveLab(discoverLabs(layout), "lab1");
const solutionDir = labDir(layout, lab, true);
const programName = "handle_execve";

// On a machine without BPF these tests cannot run; in CI that is an error, never a skip.
const problems = preflightProblems("npm test");
const onKernel = problems.length === 0 || process.env.CI ? describe.sequential : describe.skip;

interface LoadedProgram {
  id: number;
  name?: string;
}

async function loadedPrograms(): Promise<LoadedProgram[]> {
  return (await $`bpftool prog show -j`.quiet()).json<LoadedProgram[]>();
}

/** Ids of our lab's programs loaded now that were not loaded at `before`. */
async function newLabPrograms(before: readonly LoadedProgram[]): Promise<number[]> {
  const old = new Set(before.map((p) => p.id));
  return (await loadedPrograms()).filter((p) => p.name === programName && !old.has(p.id)).map((p) => p.id);
}

/** Polls `condition` for up to 2 s: the kernel frees a program shortly after its last fd closes, not instantly. */
async function eventually(condition: () => Promise<boolean>): Promise<boolean> {
  for (let tries = 0; tries < 40; tries++) {
    if (await condition()) return true;
    await delay(50);
  }
  return condition();
}

/** Pids of processes whose command line mentions `dir` (a lab's loader). */
function processesRunningFrom(dir: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Grades `dir` as lab 1, collecting the text report; asserts nothing of the lab is left after. */
async function gradeAndCheckCleanup(dir: string, solution: boolean): Promise<{ result: LabResult; report: string }> {
  const before = await loadedPrograms();
  let report = "";
  const result = await gradeLab(lab, { layout, solution, dir, reporter: textReporter({ write: (text: string) => (report += text) }) });
  expect(processesRunningFrom(dir)).toEqual([]);
  const cleared = await eventually(async () => (await newLabPrograms(before)).length === 0);
  expect(cleared, `programs named ${programName} still loaded after grading: ${await newLabPrograms(before)}`).toBe(true);
  return { result, report };
}

/** A copy of the solution in a temp dir with `edit` applied to its BPF source. */
function variantOfSolution(edit: (source: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "lab1-variant-"));
  cpSync(solutionDir, dir, { recursive: true, filter: (src) => !src.endsWith(".bpf.o") });
  const bpf = join(dir, "hello.bpf.c");
  const edited = edit(readFileSync(bpf, "utf8"));
  expect(edited).not.toBe(readFileSync(bpf, "utf8"));
  writeFileSync(bpf, edited);
  // Outside the repository the loader is not an ES module, and the "#bpf" alias does not
  // resolve: declare the one, and point the import at the library itself.
  writeFileSync(join(dir, "package.json"), `{ "type": "module" }\n`);
  const loader = join(dir, "hello.ts");
  const native = pathToFileURL(join(repoRoot(), "native", "index.ts")).href;
  writeFileSync(loader, readFileSync(loader, "utf8").replace(`from "#bpf"`, `from "${native}"`));
  return dir;
}

onKernel("lab 1 on the real kernel", () => {
  beforeAll(() => {
    if (problems.length > 0) throw new Error(`BPF is not usable on this machine, so lab 1 cannot be tested:\n  ${problems.join("\n  ")}`);
  });

  const variants: string[] = [];
  afterAll(() => variants.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("the reference solution scores full marks while other processes exec too", async () => {
    // Background activity like a real machine's: a shell starting programs all the time.
    const noise = ProcessGroup.spawn("sh", ["-c", "while :; do /bin/true; sleep 0.01; done"], { stdio: "ignore" });
    try {
      const { result, report } = await gradeAndCheckCleanup(solutionDir, true);
      expect(result.score, report).toBe(result.max);
      expect(result.max).toBeGreaterThan(0);
    } finally {
      await noise.stop();
    }
  });

  it("the untouched starter scores less, and the report names the failing checks", async () => {
    const { result, report } = await gradeAndCheckCleanup(labDir(layout, lab, false), false);
    expect(result.score).toBeLessThan(result.max);
    expect(report).toMatch(/^loads and attaches: OK/m);
    expect(report).toMatch(/^reports each exec with its file name: FAIL/m);
    expect(report).toMatch(/MISSING lines naming \/\S+\/prog-[a-z]+: wanted \d lines?, saw 0/);
    expect(report).toContain('hint: read hints 1 and 4 in labs/lab1-hello/README.md (section "Hints")');
  });

  it("a program that prints the thread id instead of the process id fails that check only", async () => {
    const dir = variantOfSolution((source) => source.replace("bpf_get_current_pid_tgid() >> 32", "(__u32)bpf_get_current_pid_tgid()"));
    variants.push(dir);
    const { result } = await gradeAndCheckCleanup(dir, true);
    const failed = result.checks.filter((c) => !c.passed);
    expect(failed.map((c) => c.name)).toEqual(["reports the process id (tgid), not the thread id"]);
    expect(failed[0]!.failure?.hint).toMatch(/^your line shows the thread id \d+/);
  });

  it("a loader killed with SIGKILL leaves no program behind", async () => {
    const loader = LoaderProcess.start(join(solutionDir, "hello.ts"), { cwd: repoRoot() });
    try {
      expect(await loader.waitForAttachments(1, 30_000), loader.stderr.join("\n")).toEqual({ state: "attached" });
      const ids = programIds(loader.pid!);
      const named = (await loadedPrograms()).filter((p) => ids.includes(p.id)).map((p) => p.name);
      expect(named).toEqual([programName]);
      process.kill(-loader.pid!, "SIGKILL");
      const released = await eventually(async () => !(await loadedPrograms()).some((p) => ids.includes(p.id)));
      expect(released, `program ids ${ids.join(", ")} (${programName}) still loaded after SIGKILL`).toBe(true);
    } finally {
      await loader.stop();
    }
  });
});
