// Lab 3 graded on the real kernel: the reference solution earns full marks while other
// processes open files around it; the starter and three plausible mistakes (a thread-id key,
// deleting on every thread's exit, never deleting) lose exactly the checks about them; and
// nothing of the lab (loader, workload process, BPF program) survives a grade.
import { expect, it } from "vitest";
import { LabUnderTest, describeOnKernel } from "./helpers/lab-grading.ts";

const lab = new LabUnderTest("lab3", { programs: ["count_open", "forget_exited"], workloadComm: "lab3-" });

describeOnKernel(lab, () => {
  it("the reference solution scores full marks while other processes open files too", async () => {
    await lab.gradeSolution(["sh", "-c", "while :; do cat /etc/hostname /etc/passwd >/dev/null; sleep 0.01; done"]);
  });

  it("the untouched starter scores less, and says what it expected and saw", async () => {
    const { report } = await lab.gradeStarter();
    expect(report).toMatch(/^loads and attaches both programs: OK/m);
    expect(report).toMatch(/^counts every file a process opens: FAIL/m);
    expect(report).toMatch(/MISSING pid \d+ opened \d+ files from its main thread: wanted a row '\d+ \d+ \.\.\.', no row has that pid/);
    expect(report).toMatch(/MISSING pid \d+ opened \d+ files from threads [\d, ]+ \([\d +]+\) and was still running \(only its threads had exited\): opens_by_pid has no entry for it/);
    expect(report).toContain('hint: read hints 2 and 5 in labs/lab3-hash-maps/README.md (section "Hints")');
  });

  it("keying by thread id fails the threads check, and the hint says so", async () => {
    const dir = lab.variantOfSolution("opens.bpf.c", (source) => source.replace("__u32 pid = current_tgid();\n\t__u64 now", "__u32 pid = current_tid();\n\t__u64 now"));
    const { result, failed } = await lab.grade(dir, true);
    expect(failed).toContain("counts the files of all threads under the process id");
    expect(failed).not.toContain("counts every file a process opens");
    const threads = result.checks.find((c) => c.name === "counts the files of all threads under the process id");
    expect(threads?.failure?.hint).toMatch(/^the table has rows for thread ids \(\d+/);
  });

  it("deleting when any thread exits loses the counts of processes that outlive their threads", async () => {
    const dir = lab.variantOfSolution("opens.bpf.c", (source) => source.replace("\tif (current_tid() != current_tgid())\n\t\treturn 0;\n", ""));
    const { failed } = await lab.grade(dir, true);
    expect(failed).toEqual(expect.arrayContaining([
      "counts the files of all threads under the process id",
      "deletes a process's entry when the process exits, not when a thread does",
    ]));
    expect(failed).not.toContain("counts every file a process opens");
  });

  it("never deleting fails exactly the deletion and fill-up checks", async () => {
    const dir = lab.variantOfSolution("opens.bpf.c", (source) => source.replace("\tbpf_map_delete_elem(&opens_by_pid, &pid);\n", ""));
    const { failed } = await lab.grade(dir, true);
    expect(failed).toEqual([
      "deletes a process's entry when the process exits, not when a thread does",
      "keeps the map from filling up: 200 short-lived processes leave no entry",
    ]);
  });
});
