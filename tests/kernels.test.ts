// The kernel matrix, as CI runs it: every lab's reference solution graded to full marks under
// Debian's 6.1 and 6.12 (booted under QEMU, BPF objects compiled on the host) and under the
// host's own kernel, through the real command line (`npm run grade -- --kernel all
// --solution`), which records .grades/matrix.json; the docs' compatibility page is made from
// that record. Measured on 2 busy cores under TCG: about 3 minutes per Debian kernel.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compatibilityMarkdown } from "../docs/compatibility.ts";
import { kernelFeatures } from "../grader/lib/features.ts";
import { courseLayout, repoRoot } from "../grader/lib/layout.ts";
import { tsxCommand } from "../grader/lib/loader.ts";
import { allKernels, matrixFile, parseKernels, type MatrixRecord } from "../grader/lib/matrix.ts";
import { ProcessGroup, liveGroupMembers } from "../grader/lib/processes.ts";
import { discoverLabs } from "../grader/lib/registry.ts";
import { KERNEL_SERIES } from "../vm/kernels.ts";
import { vmUnavailableReason } from "../vm/run.ts";

/** Why the matrix cannot run here, or undefined when it can. */
function matrixUnavailableReason(): string | undefined {
  if (!existsSync("/sys/kernel/btf/vmlinux")) return "this kernel has no BTF: the host column of the matrix cannot run";
  return vmUnavailableReason();
}

/** Under CI a missing prerequisite fails the matrix; on a laptop it is skipped. */
function requireVm(): boolean {
  const reason = matrixUnavailableReason();
  if (!reason) return true;
  if (process.env.CI) throw new Error(`the kernel matrix cannot run: ${reason}`);
  return false;
}

/** QEMU processes (pid -> command line) whose shared project directory is this repository. */
function ourQemus(): Map<number, string> {
  const found = new Map<number, string>();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.startsWith("qemu-system") && cmdline.includes(`path=${repoRoot()},`)) found.set(Number(pid), cmdline);
    } catch {
      // gone while we looked
    }
  }
  return found;
}

describe.skipIf(!requireVm())("the kernel matrix: every solution on 6.1, 6.12 and the host", () => {
  it("grades all six labs to full marks on each kernel, records it, and leaves nothing running", async () => {
    const layout = courseLayout();
    const labs = discoverLabs(layout);
    expect(labs.map((l) => l.id)).toEqual(["lab1", "lab2", "lab3", "lab4", "lab5", "lab6"]);
    const before = ourQemus();
    const started = Date.now();
    const { command, args } = tsxCommand(join(repoRoot(), "grader", "grade.ts"), ["--kernel", "all", "--solution", "--json"]);
    const grade = ProcessGroup.spawn(command, args, { cwd: repoRoot(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    grade.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    grade.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    let exit: Awaited<typeof grade.exited>;
    try {
      exit = await grade.exited;
    } finally {
      await grade.stop();
    }
    const minutes = (Date.now() - started) / 60_000;
    console.log(`kernel matrix: ${minutes.toFixed(1)} minutes\n${stderr.split("\n").filter((l) => /^(Kernel matrix|  \S|vm: )/.test(l)).join("\n")}`);

    expect(liveGroupMembers(grade.pid!), "processes of the grade still running").toEqual([]);
    const leftover = [...ourQemus().keys()].filter((pid) => !before.has(pid));
    expect(leftover, "QEMU processes left behind").toEqual([]);

    expect(exit.code, stderr.slice(-6000)).toBe(0);
    const record = JSON.parse(stdout) as MatrixRecord;
    expect(JSON.parse(readFileSync(matrixFile(layout), "utf8"))).toEqual(record);
    expect(record.solution).toBe(true);
    expect(record.kernels.map((k) => k.kernel)).toEqual(["6.1", "6.12", "host"]);
    const [k61, k612, host] = record.kernels;
    expect(k61!.release).toMatch(/^6\.1\.\d+-\d+-amd64$/);
    expect(k612!.release).toMatch(/^6\.12\.\d+\+deb12-amd64$/);
    expect(host!.release).toBe(release());
    for (const k of record.kernels) {
      expect(k.error, `${k.kernel}: ${k.error}`).toBeUndefined();
      expect(k.labs.map((l) => l.lab), k.kernel).toEqual(labs.map((l) => l.id));
      for (const lab of k.labs) {
        const failed = lab.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure?.message}`);
        expect(failed, `${lab.lab} on ${k.kernel} (${k.release})`).toEqual([]);
        expect(lab.score, `${lab.lab} on ${k.kernel}`).toBe(lab.max);
      }
      // Every kernel was asked, from inside, what it offers BPF.
      expect(Object.keys(k.features ?? {}).sort(), k.kernel).toEqual(Object.keys(kernelFeatures).sort());
      expect(k.features, k.kernel).toMatchObject({ btf: true, ringbuf: true, "xdp-link": true });
      // A retried boot is reported, never hidden.
      if (k.attempts > 1) expect(k.retried, k.kernel).toMatch(/failed to boot/);
    }
    expect(record.toolchain.libbpf).toMatch(/^\d+\.\d+/);
    expect(record.toolchain.clang).toMatch(/^\d+\.\d+/);

    // The docs page is made from this very record.
    const page = compatibilityMarkdown(repoRoot());
    for (const k of record.kernels) expect(page).toContain(`\`${k.release}\``);
    expect(page).toContain(`clang ${record.toolchain.clang}, libbpf ${record.toolchain.libbpf}`);
  }, 30 * 60_000);
});

describe("the compatibility page and --kernel", () => {
  const root = mkdtempSync(join(tmpdir(), "compat-test-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("says there is no matrix run yet, and how to make one, when there is no record", () => {
    const page = compatibilityMarkdown(root);
    expect(page).toContain("**No matrix run yet**");
    expect(page).toContain("npm run grade -- --kernel all --solution");
  });

  it("shows each kernel's scores, unsupported labs, a retried boot and the features, from the record", () => {
    const lab = (id: string, score: number, unsupported?: string[]) =>
      ({ lab: id, slug: `s${id}`, dir: "", solution: true, timestamp: "", score, max: 4, checks: [], ...(unsupported && { unsupported }) });
    const record: MatrixRecord = {
      timestamp: "2030-01-02T03:04:05.000Z", solution: true,
      toolchain: { clang: "14.0.6", libbpf: "1.1", node: "20.1.0", hostRelease: "6.18.1" },
      kernels: [
        { kernel: "5.4", release: "5.4.0-old", packageName: "linux-image-5.4", accelerator: "tcg", attempts: 2, retried: "the 5.4 guest failed to boot (x); retrying once",
          bootSeconds: 9, gradeSeconds: 100, features: { ringbuf: false }, labs: [lab("lab1", 4), lab("lab5", 0, ["this kernel lacks ring buffers"])], score: 4, max: 8 },
        { kernel: "host", release: "6.18.1", packageName: "host", accelerator: "none", attempts: 1, bootSeconds: 0, gradeSeconds: 20, labs: [lab("lab1", 3), lab("lab5", 4)], score: 7, max: 8 },
      ],
    };
    mkdirSync(join(root, ".grades"), { recursive: true });
    writeFileSync(join(root, ".grades", "matrix.json"), JSON.stringify(record));
    const page = compatibilityMarkdown(root);
    expect(page).toContain("2030-01-02 03:04:05 UTC");
    expect(page).toContain("clang 14.0.6, libbpf 1.1");
    expect(page).toMatch(/\| 5\.4 \(linux-image-5\.4, QEMU tcg\) \| `5\.4\.0-old` \| ✅ 4\/4 \| ⚠️ unsupported \| ❌ 4\/8 \|/);
    expect(page).toMatch(/\| host \| `6\.18\.1` \| ❌ 3\/4 \| ✅ 4\/4 \| ❌ 7\/8 \|/);
    expect(page).toContain("- 5.4: its first boot failed and was retried once (the 5.4 guest failed to boot (x); retrying once).");
    expect(page).toContain("- 5.4, lab5: this kernel lacks ring buffers.");
    expect(page).toMatch(/\| BPF ring buffer maps [^|]+\| Linux 5\.8 \| \*\*no\*\* \| \? \|/);
  });

  it("--kernel all means the Debian series, then the host; lists are kept in order, once each", () => {
    expect(parseKernels("all")).toEqual([...KERNEL_SERIES.map((s) => s.alias), "host"]);
    expect(allKernels).toEqual(["6.1", "6.12", "host"]);
    expect(parseKernels("host,6.1,host")).toEqual(["host", "6.1"]);
    expect(() => parseKernels("5.4")).toThrow(/--kernel takes 6\.1, 6\.12, host, all.*not '5\.4'/);
  });
});
