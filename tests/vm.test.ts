// The VM runner (vm/) for real: fetches Debian's 6.1 and 6.12 kernels, boots each under QEMU
// and runs commands in it: uname, a failing command, Node, and a CO-RE BPF object loaded
// through the addon, attached and counted on the guest kernel. Slow by nature (TCG): one
// boot per check, and everything a kernel must prove is done in one boot.
// Measured (2 shared cores, TCG): boot 6-20 s, `node -e` 1-12 s, tsx + BPF 7-30 s, by load.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareKernel, type PreparedKernel } from "../vm/kernels.ts";
import { runInKernel, vmUnavailableReason } from "../vm/run.ts";
import { addonFixture, repoRoot } from "./helpers/kernel.ts";

/** Under CI a missing prerequisite fails the suite; on a laptop it skips it. */
function requireVm(): boolean {
  const reason = vmUnavailableReason();
  if (!reason) return true;
  if (process.env.CI) throw new Error(`VM tests cannot run: ${reason}`);
  return false;
}

/** Children of this process that are QEMU: there must be none after each run. */
function qemuChildren(): number[] {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const [, comm, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat) ?? [];
      const ppid = Number(rest?.split(" ")[1]);
      return comm?.startsWith("qemu-system") && ppid === process.pid ? [Number(pid)] : [];
    } catch {
      return []; // exited while we looked
    }
  });
}

describe.skipIf(!requireVm())("VM runner", () => {
  const scratchRoot = join(repoRoot, "tmp");
  let scratch: string;
  beforeAll(async () => {
    // The BPF object is compiled on the host (clang in a TCG guest takes 10 s a file).
    await addonFixture("maps");
    mkdirSync(scratchRoot, { recursive: true });
    scratch = mkdtempSync(join(scratchRoot, "vm-test-"));
  });
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    expect(qemuChildren()).toEqual([]);
  });

  describe.each(["6.1", "6.12"])("Debian kernel %s", (series) => {
    let kernel: PreparedKernel;

    beforeAll(() => {
      const started = Date.now();
      // Throws KernelFetchError (e.g. no route to Debian's mirror) with the apt output: a failure, not a skip.
      kernel = prepareKernel(series, (line) => console.log(line));
      console.log(`vm test: ${kernel.packageName} ready in ${Date.now() - started} ms`);
    }, 600_000);

    it("runs uname, node and a CO-RE BPF program on the guest kernel, with the host's files", async () => {
      const marker = randomBytes(6).toString("hex");
      const fromGuest = join(scratch, `from-guest-${series}`);
      const overlayOnly = `/etc/ebpf-vm-test-${marker}`;
      const script = [
        "set -e",
        "uname -r",
        'echo "env=$VM_TEST_MARKER in=$EBPF_VM_KERNEL"',
        // Written through the overlay: must not reach the host.
        `echo x > ${overlayOnly} && echo overlay-write-ok`,
        // Written to the shared project directory: must reach the host.
        `echo "${marker}" > ${fromGuest}`,
        "grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts && echo tracefs-mounted",
        "grep -q ' /sys/fs/bpf bpf ' /proc/mounts && echo bpffs-mounted",
        't=$(date +%s%N)',
        `node -e 'console.log("node says " + process.argv[1])' ${marker}`,
        'echo "node-ms=$(( ($(date +%s%N) - t) / 1000000 ))"; t=$(date +%s%N)',
        "node --import tsx vm/smoke.ts",
        'echo "smoke-ms=$(( ($(date +%s%N) - t) / 1000000 ))"',
      ].join("\n");
      const result = await runInKernel({
        kernel: series,
        command: ["sh", "-c", script],
        cwd: repoRoot,
        env: { VM_TEST_MARKER: marker },
        capture: true,
        stdout: null,
        timeoutMs: 240_000,
      });
      console.log(`vm test ${series}: ${JSON.stringify(result.timings)} attempts=${result.attempts}\n${result.stdout}${result.stderr}`);
      expect(result.exitCode, result.stderr).toBe(0);

      const lines = result.stdout.trim().split("\n");
      expect(lines[0]).toBe(kernel.release);
      expect(result.release).toBe(kernel.release);
      expect(kernel.release).not.toBe(release());
      expect(kernel.release.startsWith(`${series}.`)).toBe(true);
      expect(lines).toContain(`env=${marker} in=${kernel.release}`);
      expect(lines).toContain("overlay-write-ok");
      expect(existsSync(overlayOnly)).toBe(false);
      expect(readFileSync(fromGuest, "utf8").trim()).toBe(marker);
      expect(lines).toContain("tracefs-mounted");
      expect(lines).toContain("bpffs-mounted");
      expect(lines).toContain(`node says ${marker}`);

      const smokeLine = lines.find((l) => l.startsWith("{"));
      expect(smokeLine, "vm/smoke.ts printed no report").toBeDefined();
      const smoke = JSON.parse(smokeLine!) as { calls: number; counter: string; ringEvents: number; ok: boolean };
      expect(smoke.calls).toBeGreaterThanOrEqual(5);
      expect(BigInt(smoke.counter)).toBe(BigInt(smoke.calls));
      expect(smoke.ringEvents).toBe(smoke.calls);
      expect(qemuChildren()).toEqual([]);
    }, 300_000);

  });

  // The exit path is the same guest script on every kernel: one boot proves it.
  it("returns the command's exit status (false -> 1)", async () => {
    const result = await runInKernel({ kernel: "6.1", command: ["false"], capture: true, stdout: null, stderr: null, timeoutMs: 60_000 });
    expect(result.exitCode).toBe(1);
    expect(result.timedOut).toBe(false);
    expect(result.release.startsWith("6.1.")).toBe(true);
    expect(qemuChildren()).toEqual([]);
  }, 180_000);

  it("kills the guest when the command outlives its timeout", async () => {
    const started = Date.now();
    const result = await runInKernel({ kernel: "6.12", command: ["sleep", "600"], capture: true, stdout: null, stderr: null, timeoutMs: 2_000 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(Date.now() - started).toBeLessThan(120_000);
    expect(qemuChildren()).toEqual([]);
  }, 180_000);

  it("runs on the host with --kernel host: exit status and only the listed environment", async () => {
    process.env.VM_TEST_SECRET = "not-passed";
    process.env.VM_TEST_PASSED = "passed";
    try {
      const env = await runInKernel({ kernel: "host", command: ["env"], passEnv: ["VM_TEST_PASSED"], capture: true, stdout: null });
      expect(env.exitCode).toBe(0);
      expect(env.stdout).toContain("VM_TEST_PASSED=passed");
      expect(env.stdout).not.toContain("VM_TEST_SECRET");
      expect(env.release).toBe(release());
      const failed = await runInKernel({ kernel: "host", command: ["false"], capture: true, stdout: null });
      expect(failed.exitCode).toBe(1);
    } finally {
      delete process.env.VM_TEST_SECRET;
      delete process.env.VM_TEST_PASSED;
    }
  });
});
