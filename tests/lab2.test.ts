// Lab 2 graded on the real kernel: the reference solution counts exactly while other
// processes make the same syscalls; the starter and a program without the pid filter lose
// the checks about them, with messages that say what was expected and seen; and nothing of
// the lab (loader, paused workload, BPF program) survives a grade.
import { expect, it } from "vitest";
import { LabUnderTest, describeOnKernel } from "./helpers/lab-grading.ts";

const lab = new LabUnderTest("lab2", { programs: ["count_syscalls"], workloadComm: "lab2-syscalls" });

// Another process making every syscall the grader may choose, all the time.
const noiseLoop = `import os, time
while True:
    os.getppid(); os.getuid(); os.getgid(); os.geteuid(); os.getegid(); os.sched_yield()
    time.sleep(0.0005)`;

describeOnKernel(lab, () => {
  it("the reference solution scores full marks while other processes make the same syscalls", async () => {
    await lab.gradeSolution(["/usr/bin/python3", "-c", noiseLoop]);
  });

  it("the untouched starter scores less, and says what it expected and saw", async () => {
    const { report, failed } = await lab.gradeStarter();
    expect(report).toMatch(/^loads and attaches \(the verifier accepts the map lookup\): OK/m);
    expect(failed).toContain("counts a syscall of the --pid process exactly");
    expect(report).toContain("the loader printed no complete table within");
    expect(report).toMatch(/expected: a table every second: 'Top system calls of pid 4242:'/);
    expect(report).toMatch(/counting system calls of pid \d+ \(Ctrl-C to stop\)/);
    expect(report).toContain('hint: read hints 3 and 4 in labs/lab2-array-maps/README.md (section "Hints")');
  });

  it("without the pid filter the counts include other processes, and the hint says so", async () => {
    const dir = lab.variantOfSolution("syscalls.bpf.c", (source) => source.replace("\tif (target_pid && current_tgid() != target_pid)\n\t\treturn 0;\n", ""));
    const { result, failed } = await lab.grade(dir, true);
    expect(failed).toEqual(expect.arrayContaining(["counts a syscall of the --pid process exactly", "counts nothing of other processes"]));
    expect(failed).not.toContain("loads and attaches (the verifier accepts the map lookup)");
    const exact = result.checks.find((c) => c.name === "counts a syscall of the --pid process exactly");
    expect(exact?.failure?.message).toMatch(/^\w+: wanted \d+, its row says \d+$/);
    expect(exact?.failure?.hint).toMatch(/^\d+ is more than pid \d+ made: calls of other processes are counted too/);
  });

  it("a lookup used without its NULL check is rejected by the verifier, and nothing else runs", async () => {
    const dir = lab.variantOfSolution("syscalls.bpf.c", (source) => source.replace("\tif (!count)\n\t\treturn 0;\n", ""));
    const { result, report } = await lab.grade(dir, true);
    expect(result.score).toBe(0);
    expect(report).toMatch(/^loads and attaches \(the verifier accepts the map lookup\): FAIL/m);
    expect(report).toContain("invalid mem access 'map_value_or_null'");
  });
});
