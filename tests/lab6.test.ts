// Lab 6 graded on the real kernel: the reference solution earns full marks, the starter and a
// parser that assumes 20-byte IPv4 headers do not, and no namespace, veth, XDP program or
// loader survives a grade, even one interrupted half-way.
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { $ } from "zx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { courseLayout, repoRoot } from "../grader/lib/layout.ts";
import { tsxCommand } from "../grader/lib/loader.ts";
import { ProcessGroup, delay } from "../grader/lib/processes.ts";
import { discoverLabs, labDir, resolveLab } from "../grader/lib/registry.ts";
import { textReporter } from "../grader/lib/report.ts";
import type { LabResult } from "../grader/lib/results.ts";
import { gradeLab } from "../grader/lib/runner.ts";
import { preflightProblems } from "../grader/preflight.ts";

const layout = courseLayout();
const lab = resolveLab(discoverLabs(layout), "lab6");
const solutionDir = labDir(layout, lab, true);
const programName = "xdp_firewall";
/** The prefix grader/labs/lab6.ts gives its namespaces and interfaces. */
const netPrefix = "lab6fw";

// On a machine without BPF these tests cannot run; in CI that is an error, never a skip.
const problems = preflightProblems("npm test");
const onKernel = problems.length === 0 || process.env.CI ? describe.sequential : describe.skip;

interface LoadedProgram {
  id: number;
  name?: string;
}

async function xdpPrograms(): Promise<number[]> {
  const all = (await $`bpftool prog show -j`.quiet()).json<LoadedProgram[]>();
  return all.filter((p) => p.name === programName).map((p) => p.id);
}

const namespaceNames = () => (existsSync("/run/netns") ? readdirSync("/run/netns") : []).filter((n) => n.startsWith(`${netPrefix}-`));
const tagOf = (namespace: string) => namespace.split("-").at(-1)!;

/**
 * Namespaces the grader with pid `pid` created and did not remove, and host interfaces of
 * ours with no namespace left (those of a concurrent run, whose namespace lives, are not ours).
 */
function leftovers(pid: number): string[] {
  const all = namespaceNames();
  const mine = all.filter((n) => n.startsWith(`${netPrefix}-${pid}-`));
  const othersTags = new Set(all.filter((n) => !mine.includes(n)).map(tagOf));
  const links = readdirSync("/sys/class/net").filter((l) => l.startsWith(netPrefix) && !othersTags.has(l.slice(netPrefix.length, -1)));
  return [...mine, ...links];
}

/** Polls `condition` (for 3 s by default: the kernel frees a program shortly after its last fd closes). */
async function eventually(condition: () => Promise<boolean> | boolean, timeoutMs = 3000): Promise<boolean> {
  for (let tries = 0; tries < timeoutMs / 50; tries++) {
    if (await condition()) return true;
    await delay(50);
  }
  return condition();
}

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

/** Asserts that nothing of lab 6 that `before` did not have is left: programs, processes, network. */
async function expectNothingLeft(before: readonly number[], dir: string, graderPid: number): Promise<void> {
  expect(processesRunningFrom(dir)).toEqual([]);
  expect(leftovers(graderPid)).toEqual([]);
  const released = await eventually(async () => (await xdpPrograms()).every((id) => before.includes(id)));
  expect(released, `${programName} programs still loaded: ${(await xdpPrograms()).filter((id) => !before.includes(id))}`).toBe(true);
}

async function grade(dir: string, solution: boolean): Promise<{ result: LabResult; report: string }> {
  const before = await xdpPrograms();
  let report = "";
  const result = await gradeLab(lab, { layout, solution, dir, reporter: textReporter({ write: (text: string) => (report += text) }) });
  await expectNothingLeft(before, dir, process.pid);
  return { result, report };
}

/** A copy of the solution in a temp dir with `edit` applied to its BPF source. */
function variantOfSolution(edit: (source: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "lab6-variant-"));
  cpSync(solutionDir, dir, { recursive: true, filter: (src) => !src.endsWith(".bpf.o") });
  const bpf = join(dir, "firewall.bpf.c");
  const edited = edit(readFileSync(bpf, "utf8"));
  expect(edited).not.toBe(readFileSync(bpf, "utf8"));
  writeFileSync(bpf, edited);
  // Outside the repository the loader is not an ES module and "#bpf" does not resolve.
  writeFileSync(join(dir, "package.json"), `{ "type": "module" }\n`);
  const loader = join(dir, "firewall.ts");
  const native = pathToFileURL(join(repoRoot(), "native", "index.ts")).href;
  writeFileSync(loader, readFileSync(loader, "utf8").replace(`from "#bpf"`, `from "${native}"`));
  return dir;
}

onKernel("lab 6 on the real kernel", () => {
  beforeAll(() => {
    if (problems.length > 0) throw new Error(`BPF is not usable on this machine, so lab 6 cannot be tested:\n  ${problems.join("\n  ")}`);
  });

  const variants: string[] = [];
  afterAll(() => variants.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("the reference solution scores full marks and leaves nothing behind", async () => {
    const { result, report } = await grade(solutionDir, true);
    expect(result.score, report).toBe(result.max);
    expect(result.max).toBe(20);
  });

  it("the untouched starter scores less, with expected and seen for each failure", async () => {
    const { result, report } = await grade(labDir(layout, lab, false), false);
    expect(result.score).toBeLessThan(result.max);
    expect(report).toMatch(/^attaches to the interface given with --iface: OK/m);
    expect(report).toMatch(/^IPv4 UDP to other ports all arrives: OK/m);
    expect(report).toMatch(/^IPv4 UDP to blocked ports is dropped: FAIL/m);
    expect(report).toMatch(/IPv4 UDP to port \d+ \(blocked\): sent (\d+), received \1, expected 0/);
    expect(report).toMatch(/IPv6 UDP to blocked port \d+: expected XDP_DROP, got XDP_PASS/);
    expect(report).toMatch(/ipv4 \(slot 0\): expected \d+, seen 0/);
    expect(report).toContain('hint: read hint 4 in labs/lab6-xdp-firewall/README.md (section "Hints")');
  });

  it("a parser that assumes a 20-byte IPv4 header fails the IP options checks only", async () => {
    const dir = variantOfSolution((source) => source.replace("header_len = ip->ihl * 4;", "header_len = sizeof(*ip);"));
    variants.push(dir);
    const { result, report } = await grade(dir, true);
    const failed = result.checks.filter((c) => !c.passed).map((c) => c.name);
    expect(failed, report).toEqual(["IPv4 with options: the UDP header starts after ihl * 4 bytes", "counts crafted frames in the right slots"]);
  });

  it("a grader interrupted in the middle of the live traffic removes its namespace and loader", async () => {
    const before = await xdpPrograms();
    const { command, args } = tsxCommand(join(repoRoot(), "grader", "grade.ts"));
    const grader = ProcessGroup.spawn(command, [...args, "lab6", "--solution"], { cwd: repoRoot(), stdio: "ignore" });
    try {
      const pid = grader.pid!;
      // Interrupt once the firewall is attached inside the grader's own namespace.
      const attached = await eventually(async () => (await xdpPrograms()).some((id) => !before.includes(id)) && leftovers(pid).length > 0, 40_000);
      expect(attached, "the grader never got as far as attaching the firewall").toBe(true);
      process.kill(pid, "SIGINT");
      const exit = await grader.exited;
      expect(exit.code).toBe(130);
      await expectNothingLeft(before, solutionDir, pid);
    } finally {
      await grader.stop();
    }
  });
});
