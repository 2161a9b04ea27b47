// Lab 1 graded on the real kernel: the reference solution earns full marks with other
// processes busy around it, the starter and a subtly wrong program do not, and nothing of
// the lab (process or BPF program) survives a grade or a killed loader.
import { join } from "node:path";
import { expect, it } from "vitest";
import { programIds } from "../grader/lib/attachments.ts";
import { repoRoot } from "../grader/lib/layout.ts";
import { LoaderProcess } from "../grader/lib/loader.ts";
import { eventually, loadedPrograms } from "./helpers/kernel.ts";
import { LabUnderTest, describeOnKernel } from "./helpers/lab-grading.ts";

const programName = "handle_execve";
const lab = new LabUnderTest("lab1", { programs: [programName] });

describeOnKernel(lab, () => {
  it("the reference solution scores full marks while other processes exec too", async () => {
    // Background activity like a real machine's: a shell starting programs all the time.
    await lab.gradeSolution(["sh", "-c", "while :; do /bin/true; sleep 0.01; done"]);
  });

  it("the untouched starter scores less, and the report names the failing checks", async () => {
    const { report } = await lab.gradeStarter();
    expect(report).toMatch(/^loads and attaches: OK/m);
    expect(report).toMatch(/^reports each exec with its file name: FAIL/m);
    expect(report).toMatch(/MISSING lines naming \/\S+\/prog-[a-z]+: wanted \d lines?, saw 0/);
    expect(report).toContain('hint: read hints 1 and 4 in labs/lab1-hello/README.md (section "Hints")');
  });

  it("a program that prints the thread id instead of the process id fails that check only", async () => {
    const dir = lab.variantOfSolution("hello.bpf.c", (source) => source.replace("bpf_get_current_pid_tgid() >> 32", "(__u32)bpf_get_current_pid_tgid()"));
    const { result } = await lab.grade(dir, true);
    const failed = result.checks.filter((c) => !c.passed);
    expect(failed.map((c) => c.name)).toEqual(["reports the process id (tgid), not the thread id"]);
    expect(failed[0]!.failure?.hint).toMatch(/^your line shows the thread id \d+/);
  });

  it("a loader killed with SIGKILL leaves no program behind", async () => {
    const loader = LoaderProcess.start(join(lab.solutionDir, "hello.ts"), { cwd: repoRoot() });
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
