// Lab 6 graded on the real kernel: the reference solution earns full marks, the starter and a
// parser that assumes 20-byte IPv4 headers do not, and no namespace, veth, XDP program or
// loader survives a grade, even one interrupted half-way.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { repoRoot } from "../grader/lib/layout.ts";
import { tsxCommand } from "../grader/lib/loader.ts";
import { ProcessGroup } from "../grader/lib/processes.ts";
import { eventually } from "./helpers/kernel.ts";
import { LabUnderTest, describeOnKernel } from "./helpers/lab-grading.ts";

/** The prefix grader/labs/lab6.ts gives its namespaces and interfaces. */
const netPrefix = "lab6fw";

const namespaceNames = () => (existsSync("/run/netns") ? readdirSync("/run/netns") : []).filter((n) => n.startsWith(`${netPrefix}-`));
const tagOf = (namespace: string) => namespace.split("-").at(-1)!;

/**
 * Namespaces the grader with pid `pid` created and did not remove, and host interfaces of
 * ours with no namespace left (those of a concurrent run, whose namespace lives, are not ours).
 */
function networkLeftovers(pid: number): string[] {
  const all = namespaceNames();
  const mine = all.filter((n) => n.startsWith(`${netPrefix}-${pid}-`));
  const othersTags = new Set(all.filter((n) => !mine.includes(n)).map(tagOf));
  const links = readdirSync("/sys/class/net").filter((l) => l.startsWith(netPrefix) && !othersTags.has(l.slice(netPrefix.length, -1)));
  return [...mine, ...links];
}

// 3 s for the kernel to free the XDP program, as this test has always allowed (2 s elsewhere).
const lab = new LabUnderTest("lab6", { programs: ["xdp_firewall"], otherLeftovers: networkLeftovers, releaseMs: 3000 });

describeOnKernel(lab, () => {
  it("the reference solution scores full marks and leaves nothing behind", async () => {
    const { result } = await lab.gradeSolution();
    expect(result.max).toBe(20);
  });

  it("the untouched starter scores less, with expected and seen for each failure", async () => {
    const { report } = await lab.gradeStarter();
    expect(report).toMatch(/^attaches to the interface given with --iface: OK/m);
    expect(report).toMatch(/^IPv4 UDP to other ports all arrives: OK/m);
    expect(report).toMatch(/^IPv4 UDP to blocked ports is dropped: FAIL/m);
    expect(report).toMatch(/IPv4 UDP to port \d+ \(blocked\): sent (\d+), received \1, expected 0/);
    expect(report).toMatch(/IPv6 UDP to blocked port \d+: expected XDP_DROP, got XDP_PASS/);
    expect(report).toMatch(/ipv4 \(slot 0\): expected \d+, seen 0/);
    expect(report).toContain('hint: read hint 4 in labs/lab6-xdp-firewall/README.md (section "Hints")');
  });

  it("a parser that assumes a 20-byte IPv4 header fails the IP options checks only", async () => {
    const dir = lab.variantOfSolution("firewall.bpf.c", (source) => source.replace("header_len = ip->ihl * 4;", "header_len = sizeof(*ip);"));
    const { failed, report } = await lab.grade(dir, true);
    expect(failed, report).toEqual(["IPv4 with options: the UDP header starts after ihl * 4 bytes", "counts crafted frames in the right slots"]);
  });

  it("a grader interrupted in the middle of the live traffic removes its namespace and loader", async () => {
    const before = await lab.programIds();
    const { command, args } = tsxCommand(join(repoRoot(), "grader", "grade.ts"));
    const grader = ProcessGroup.spawn(command, [...args, "lab6", "--solution"], { cwd: repoRoot(), stdio: "ignore" });
    try {
      const pid = grader.pid!;
      // Interrupt once the firewall is attached inside the grader's own namespace.
      const attached = await eventually(async () => (await lab.programIds()).some((id) => !before.includes(id)) && networkLeftovers(pid).length > 0, 40_000);
      expect(attached, "the grader never got as far as attaching the firewall").toBe(true);
      process.kill(pid, "SIGINT");
      const exit = await grader.exited;
      expect(exit.code).toBe(130);
      await lab.expectNothingLeft(before, lab.solutionDir, pid);
    } finally {
      await grader.stop();
    }
  });
});
