// Lab 5 graded on the real kernel: the reference solution earns full marks while other
// processes open files around it; the starter fails with messages that say what was expected
// and seen; two plausible mistakes with the drop counter (never counting, counting every
// event) lose exactly the checks about it; and nothing of the lab (loaders, workload, BPF
// program) survives a grade.
import { expect, it } from "vitest";
import { LabUnderTest, describeOnKernel } from "./helpers/lab-grading.ts";

const lab = new LabUnderTest("lab5", { programs: ["handle_openat"], workloadComm: "lab5-" });
const dropChecks = ["reports events dropped when the ring is full", "counts drops exactly: received + dropped = opened"];
const countsDrop = "\tif (!e) {\n\t\t__sync_fetch_and_add(&dropped, 1);\n\t\treturn 0;\n\t}\n";

describeOnKernel(lab, () => {
  it("the reference solution scores full marks while other processes open files too", async () => {
    await lab.gradeSolution(["sh", "-c", "while :; do cat /etc/hostname /etc/passwd >/dev/null; sleep 0.01; done"]);
  });

  it("the untouched starter scores less, and says what it expected and saw", async () => {
    const { result, report, failed } = await lab.gradeStarter();
    expect(report).toMatch(/^loads and attaches: OK/m);
    expect(failed).toEqual(result.checks.map((c) => c.name).filter((name) => name !== "loads and attaches"));
    expect(report).toMatch(/MISSING \/\S+\/open-[a-z]+ with pid \d+, uid \d+ and comm lab5-[a-z]+: wanted 1 line, saw 0/);
    expect(report).toMatch(/none of the burst's \d+ opens was printed/);
    expect(report).toContain("the loader printed no line about dropped events");
    expect(report).toMatch(/0 received \+ 0 dropped = 0, not \d+/);
    expect(report).toContain('hint: read hint 2 in labs/lab5-ring-buffer/README.md (section "Hints")');
  });

  it("a program that never counts drops fails the two drop checks only", async () => {
    const dir = lab.variantOfSolution("opensnoop.bpf.c", (source) => source.replace(countsDrop, "\tif (!e)\n\t\treturn 0;\n"));
    const { result, failed } = await lab.grade(dir, true);
    expect(failed).toEqual(dropChecks);
    expect(result.checks.find((c) => c.name === dropChecks[0])?.failure?.message).toBe("the loader reported 0 dropped events");
  });

  it("a program that counts every event as dropped fails the exact count only", async () => {
    const dir = lab.variantOfSolution("opensnoop.bpf.c", (source) => source.replace(countsDrop, "\t__sync_fetch_and_add(&dropped, 1);\n\tif (!e)\n\t\treturn 0;\n"));
    const { result, failed } = await lab.grade(dir, true);
    expect(failed).toEqual([dropChecks[1]]);
    expect(result.checks.find((c) => c.name === dropChecks[1])?.failure?.message).toMatch(/^\d+ received \+ \d+ dropped = \d+, not \d+$/);
  });
});
