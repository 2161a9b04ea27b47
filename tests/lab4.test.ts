// Lab 4 graded on the real kernel: the reference solution gets each CPU's count and the total
// exact while other processes call getppid() on every CPU; the starter and a loader that
// shows CPU 0's count as the total lose the checks about them, with messages that say what
// was expected and seen; and nothing of the lab (loader, pinned workload, BPF program)
// survives a grade.
import { expect, it } from "vitest";
import { LabUnderTest, describeOnKernel } from "./helpers/lab-grading.ts";

const lab = new LabUnderTest("lab4", { programs: ["count_getppid"], workloadComm: "lab4-pinned" });

describeOnKernel(lab, () => {
  it("the reference solution scores full marks while other processes call getppid() on every CPU", async () => {
    const loop = "while :; do /usr/bin/python3 -c 'import os; [os.getppid() for _ in range(2000)]'; done";
    await lab.gradeSolution(["taskset", "-c", "0", "sh", "-c", loop], ["taskset", "-c", "1", "sh", "-c", loop]);
  });

  it("the untouched starter scores less, and says what it expected and saw", async () => {
    const { report, failed } = await lab.gradeStarter();
    expect(report).toMatch(/^loads and attaches: OK/m);
    expect(failed).toEqual(["counts each CPU's calls in that CPU's slot", "prints the sum over all CPUs"]);
    expect(report).toMatch(/MISSING cpu\d: wanted \d+, no row/);
    expect(report).toMatch(/expected: pid \d+ called getppid\(\) \d+ times on CPU \d, then /);
    expect(report).toMatch(/getppid\(\) calls of pid \d+ per CPU:/);
    expect(report).toContain('hint: read hints 1 and 2 in labs/lab4-percpu-maps/README.md (section "Hints")');
  });

  it("a total that is CPU 0's count alone fails the sum check only, and the hint says so", async () => {
    const dir = lab.variantOfSolution("percpu.ts", (loader) => loader.replace("sumPerCpu(perCpu)", "perCpu[0]!"));
    const { result, failed } = await lab.grade(dir, true);
    expect(failed).toEqual(["prints the sum over all CPUs"]);
    const sum = result.checks.find((c) => c.name === "prints the sum over all CPUs");
    expect(sum?.failure?.message).toMatch(/^total: wanted (\d+), saw \d+$/);
    expect(sum?.failure?.hint).toMatch(/^\d+ is what CPU 0 alone counted: add up the values of every CPU/);
  });
});
