// Lab 3 graded on the real kernel: the reference solution earns full marks while other
// processes open files around it; the starter and three plausible mistakes (a thread-id key,
// deleting on every thread's exit, never deleting) lose exactly the checks about them; and
// nothing of the lab (loader, workload process, BPF program) survives a grade.
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
const lab = resolveLab(discoverLabs(layout), "lab3");
const solutionDir = labDir(layout, lab, true);
const programNames = ["count_open", "forget_exited"];

const problems = preflightProblems("npm test");
const onKernel = problems.length === 0 || process.env.CI ? describe.sequential : describe.skip;

async function labProgramIds(): Promise<number[]> {
  const programs = (await $`bpftool prog show -j`.quiet()).json<Array<{ id: number; name?: string }>>();
  return programs.filter((p) => programNames.includes(p.name ?? "")).map((p) => p.id);
}

/** Pids of live processes whose command line mentions `text`, or whose name starts with lab3- (the workload). */
function leftovers(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      const state = /^State:\s*(\w)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      if (state !== "Z" && (comm.startsWith("lab3-") || readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text))) found.push(`${pid} ${comm}`);
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** Grades `dir` as lab 3 and checks that no loader, workload or new program is left after. */
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
  expect(left, "lab 3 programs still loaded after grading").toEqual([]);
  return { result, report, failed: result.checks.filter((c) => !c.passed).map((c) => c.name) };
}

/** A copy of the solution in a temp dir, its BPF source changed by `edit`. */
function variantOfSolution(edit: (source: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "lab3-variant-"));
  cpSync(solutionDir, dir, { recursive: true, filter: (src) => !src.endsWith(".bpf.o") });
  const bpf = join(dir, "opens.bpf.c");
  const edited = edit(readFileSync(bpf, "utf8"));
  expect(edited).not.toBe(readFileSync(bpf, "utf8"));
  writeFileSync(bpf, edited);
  // Outside the repository: make the loader an ES module and point "#bpf" at the library.
  writeFileSync(join(dir, "package.json"), `{ "type": "module" }\n`);
  const loader = join(dir, "opens.ts");
  const native = pathToFileURL(join(repoRoot(), "native", "index.ts")).href;
  writeFileSync(loader, readFileSync(loader, "utf8").replace(`from "#bpf"`, `from "${native}"`));
  return dir;
}

onKernel("lab 3 on the real kernel", () => {
  beforeAll(() => {
    if (problems.length > 0) throw new Error(`BPF is not usable on this machine, so lab 3 cannot be tested:\n  ${problems.join("\n  ")}`);
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
    const { result, report } = await grade(labDir(layout, lab, false), false);
    expect(result.score).toBeLessThan(result.max);
    expect(report).toMatch(/^loads and attaches both programs: OK/m);
    expect(report).toMatch(/^counts every file a process opens: FAIL/m);
    expect(report).toMatch(/MISSING pid \d+ opened \d+ files from its main thread: wanted a row '\d+ \d+ \.\.\.', no row has that pid/);
    expect(report).toMatch(/MISSING pid \d+ opened \d+ files from threads [\d, ]+ \([\d +]+\) and was still running \(only its threads had exited\): opens_by_pid has no entry for it/);
    expect(report).toContain('hint: read hints 2 and 5 in labs/lab3-hash-maps/README.md (section "Hints")');
  });

  it("keying by thread id fails the threads check, and the hint says so", async () => {
    const dir = variantOfSolution((source) => source.replace("__u32 pid = current_tgid();\n\t__u64 now", "__u32 pid = current_tid();\n\t__u64 now"));
    variants.push(dir);
    const { result, failed } = await grade(dir, true);
    expect(failed).toContain("counts the files of all threads under the process id");
    expect(failed).not.toContain("counts every file a process opens");
    const threads = result.checks.find((c) => c.name === "counts the files of all threads under the process id");
    expect(threads?.failure?.hint).toMatch(/^the table has rows for thread ids \(\d+/);
  });

  it("deleting when any thread exits loses the counts of processes that outlive their threads", async () => {
    const dir = variantOfSolution((source) => source.replace("\tif (current_tid() != current_tgid())\n\t\treturn 0;\n", ""));
    variants.push(dir);
    const { failed } = await grade(dir, true);
    expect(failed).toEqual(expect.arrayContaining([
      "counts the files of all threads under the process id",
      "deletes a process's entry when the process exits, not when a thread does",
    ]));
    expect(failed).not.toContain("counts every file a process opens");
  });

  it("never deleting fails exactly the deletion and fill-up checks", async () => {
    const dir = variantOfSolution((source) => source.replace("\tbpf_map_delete_elem(&opens_by_pid, &pid);\n", ""));
    variants.push(dir);
    const { failed } = await grade(dir, true);
    expect(failed).toEqual([
      "deletes a process's entry when the process exits, not when a thread does",
      "keeps the map from filling up: 200 short-lived processes leave no entry",
    ]);
  });
});
