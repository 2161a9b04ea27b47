// Runs one command under a given kernel: "host" runs it here; a Debian kernel boots a QEMU
// guest that sees the host's filesystem, runs the command as root, streams its output back
// and reports its exit status. Nothing outlives the call: QEMU is killed on timeout or abort.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { constants as osConstants, release as hostRelease, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Writable } from "node:stream";
import { baseInitramfs, busyboxPath, jobArchive } from "./initramfs.ts";
import { prepareKernel, type PreparedKernel } from "./kernels.ts";
import { chooseAccelerator, qemuArgs, type GuestSockets } from "./qemu.ts";

/** The repository root: shared read-write with the guest unless told otherwise. */
export const defaultProjectDir = dirname(dirname(fileURLToPath(import.meta.url)));

/** Environment variables every command receives from the caller's environment, when set. */
export const ALWAYS_PASSED_ENV = ["PATH", "HOME", "CI", "TERM", "LANG", "NO_COLOR", "FORCE_COLOR"] as const;

/** Set in the guest command's environment to the guest's `uname -r`. */
export const GUEST_MARKER_ENV = "EBPF_VM_KERNEL";
/** Set in the guest command's environment to "tcg" or "kvm": how much slower than native it runs. */
export const GUEST_ACCELERATOR_ENV = "EBPF_VM_ACCELERATOR";

export interface RunOptions {
  /** "6.1", "6.12", a full linux-image-… package name, or "host" (run here, no VM). */
  readonly kernel: string;
  /** The program and its arguments; looked up on the guest's PATH (the host's). */
  readonly command: readonly string[];
  /** Working directory (same path in the guest). Default: process.cwd(). */
  readonly cwd?: string;
  /** Shared read-write at the same path in the guest (the rest of / is read-only with an in-memory overlay). Default: the repository. */
  readonly projectDir?: string;
  /** Names of further environment variables to pass through from this process. */
  readonly passEnv?: readonly string[];
  /** Variables to set in the command's environment (win over passed-through ones). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where the command's stdout/stderr go as they arrive. Default: this process's; null discards. */
  readonly stdout?: Writable | null;
  readonly stderr?: Writable | null;
  /** Also keep stdout/stderr in the result. */
  readonly capture?: boolean;
  /** Receives the guest's serial console (kernel messages, init errors). */
  readonly console?: Writable;
  /** Kill the command (and VM) after this long from when the command starts. Default 10 minutes. */
  readonly timeoutMs?: number;
  /** A guest that has not started the command by then counts as a failed boot. Default 60 s. */
  readonly bootTimeoutMs?: number;
  readonly memoryMiB?: number;
  readonly cpus?: number;
  /** Aborting kills the command (and VM); the result then has `aborted: true`. */
  readonly signal?: AbortSignal;
  /** Progress notes (download, retry). Default: stderr, prefixed "vm: ". */
  readonly log?: (line: string) => void;
}

export interface RunTimings {
  /** Fetching/unpacking the kernel (0 when cached) and building the initramfs. */
  readonly prepareMs: number;
  /** QEMU launch until the guest started the command (0 on the host). */
  readonly bootMs: number;
  /** The command itself, as seen from the host. */
  readonly commandMs: number;
  readonly totalMs: number;
}

export interface RunResult {
  /** The command's exit status (128+n when killed by signal n); null after a timeout or abort. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** `uname -r` of the kernel the command ran on. */
  readonly release: string;
  /** The Debian package, or "host". */
  readonly packageName: string;
  /** 2 when the first boot failed and was retried. */
  readonly attempts: number;
  readonly accelerator: "kvm" | "tcg" | "none";
  /** Only filled with `capture: true`. */
  readonly stdout: string;
  readonly stderr: string;
  readonly timings: RunTimings;
}

/** The guest did not get as far as starting the command (twice: each boot is retried once). */
export class VmBootError extends Error {
  constructor(message: string, readonly consoleTail: string) {
    super(consoleTail ? `${message}\n--- guest console (last lines) ---\n${consoleTail}` : message);
    this.name = "VmBootError";
  }
}

/** The guest died after starting the command (a kernel panic, say); never retried. */
export class VmCrashError extends VmBootError {
  constructor(message: string, consoleTail: string) {
    super(message, consoleTail);
    this.name = "VmCrashError";
  }
}

/** Why this host cannot boot a guest (a sentence with the fix), or undefined when it can. */
export function vmUnavailableReason(): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64") return `the VM runner needs an x86_64 Linux host, this is ${process.platform}/${process.arch}`;
  if (process.getuid?.() !== 0) return "the VM runner needs root (9p passthrough, guest root)";
  const path = (process.env.PATH ?? "").split(":");
  if (!path.some((dir) => existsSync(join(dir, "qemu-system-x86_64")))) return "qemu-system-x86_64 is not installed: run bash vm/provision-vm.sh";
  if (!existsSync(busyboxPath())) return "busybox-static is not installed: run bash vm/provision-vm.sh";
  return undefined;
}

const liveChildren = new Set<ChildProcess>();
// A runner that throws or is interrupted must not leave a VM behind.
process.once("exit", () => liveChildren.forEach((child) => child.kill("SIGKILL")));

function commandEnv(options: RunOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...ALWAYS_PASSED_ENV, ...(options.passEnv ?? [])]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, options.env);
  for (const name of Object.keys(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a valid environment variable name: "${name}"`);
  }
  return env;
}

/** Collects a stream's chunks when asked, and forwards them to a writable (unless null). */
function sink(target: Writable | null | undefined, fallback: Writable, capture: boolean) {
  const chunks: Buffer[] = [];
  const out = target === undefined ? fallback : target;
  return {
    write(chunk: Buffer) {
      out?.write(chunk);
      if (capture) chunks.push(chunk);
    },
    text: () => Buffer.concat(chunks).toString("utf8"),
  };
}

/** Runs a command under the requested kernel; see RunOptions. Throws VmBootError or KernelFetchError. */
export async function runInKernel(options: RunOptions): Promise<RunResult> {
  if (options.command.length === 0) throw new Error("runInKernel: no command given");
  return options.kernel === "host" ? runOnHost(options) : runInVm(options);
}

async function runOnHost(options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const capture = options.capture ?? false;
  const stdout = sink(options.stdout, process.stdout, capture);
  const stderr = sink(options.stderr, process.stderr, capture);
  const [program, ...args] = options.command as [string, ...string[]];
  // A process group of its own, so a timeout kills the command's children too.
  const child = spawn(program, args, { cwd: options.cwd ?? process.cwd(), env: commandEnv(options), stdio: ["ignore", "pipe", "pipe"], detached: true });
  liveChildren.add(child);
  child.stdout.on("data", stdout.write);
  child.stderr.on("data", stderr.write);
  let timedOut = false;
  let aborted = false;
  const killGroup = () => {
    try { process.kill(-child.pid!, "SIGKILL"); } catch { /* already gone */ }
  };
  const timer = setTimeout(() => { timedOut = true; killGroup(); }, options.timeoutMs ?? 600_000);
  const onAbort = () => { aborted = true; killGroup(); };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
  }).finally(() => {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    liveChildren.delete(child);
  });
  const totalMs = Date.now() - started;
  return {
    exitCode: timedOut || aborted ? null : exitCode, timedOut, aborted, release: hostRelease(), packageName: "host", attempts: 1, accelerator: "none",
    stdout: stdout.text(), stderr: stderr.text(), timings: { prepareMs: 0, bootMs: 0, commandMs: totalMs, totalMs },
  };
}

function signalNumber(signal: NodeJS.Signals): number {
  return (osConstants.signals as Record<string, number>)[signal] ?? 0;
}

type Attempt =
  | { kind: "exited"; exitCode: number; bootMs: number; commandMs: number }
  | { kind: "killed"; why: "timeout" | "abort"; bootMs: number; commandMs: number }
  | { kind: "boot-failed"; reason: string; consoleTail: string };

async function runInVm(options: RunOptions): Promise<RunResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  const kernel = prepareKernel(options.kernel, log);
  const base = baseInitramfs(kernel);
  const prepareMs = Date.now() - started;
  const capture = options.capture ?? false;
  const stdout = sink(options.stdout, process.stdout, capture);
  const stderr = sink(options.stderr, process.stderr, capture);
  let accelerator = chooseAccelerator();

  let attempts = 0;
  for (;;) {
    attempts++;
    const outcome = await bootOnce(kernel, base, options, accelerator, stdout.write, stderr.write);
    if (outcome.kind === "boot-failed") {
      if (attempts < 2 && !options.signal?.aborted) {
        // Some hosts offer a /dev/kvm that cannot run a stock kernel: the retry emulates instead.
        const fallback = accelerator === "kvm" && !process.env.EBPF_VM_ACCEL;
        if (fallback) accelerator = "tcg";
        log(`vm: the ${kernel.release} guest failed to boot (${outcome.reason}); retrying once${fallback ? " with TCG" : ""}`);
        continue;
      }
      throw new VmBootError(`the ${kernel.release} guest failed to boot ${attempts === 1 ? "" : "twice "}(${outcome.reason})`, outcome.consoleTail);
    }
    const done = outcome.kind === "exited";
    return {
      exitCode: done ? outcome.exitCode : null,
      timedOut: !done && outcome.why === "timeout",
      aborted: !done && outcome.why === "abort",
      release: kernel.release,
      packageName: kernel.packageName,
      attempts,
      accelerator,
      stdout: stdout.text(),
      stderr: stderr.text(),
      timings: { prepareMs, bootMs: outcome.bootMs, commandMs: outcome.commandMs, totalMs: Date.now() - started },
    };
  }
}

/** A unix socket server that takes QEMU's one connection for a chardev and hands over its bytes. */
function listen(path: string, onData: (chunk: Buffer) => void): Promise<{ server: Server; closed: () => Promise<void> }> {
  let socket: Socket | undefined;
  let socketClosed: Promise<void> = Promise.resolve();
  const server = createServer((s) => {
    socket = s;
    socketClosed = new Promise((resolve) => s.once("close", () => resolve()));
    s.on("data", onData);
    s.on("error", () => { /* QEMU went away; the exit handler reports it */ });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () =>
      resolve({
        server,
        closed: async () => {
          await socketClosed;
          socket?.destroy();
          await new Promise<void>((r) => server.close(() => r()));
        },
      }),
    );
  });
}

const CONSOLE_TAIL_BYTES = 4000;

async function bootOnce(
  kernel: PreparedKernel,
  base: Buffer,
  options: RunOptions,
  accelerator: "kvm" | "tcg",
  onStdout: (chunk: Buffer) => void,
  onStderr: (chunk: Buffer) => void,
): Promise<Attempt> {
  const dir = mkdtempSync(join(tmpdir(), "ebpf-vm-"));
  try {
    const projectDir = options.projectDir ?? defaultProjectDir;
    const initramfs = join(dir, "initramfs.cpio");
    // EBPF_VM_KERNEL tells a program it already runs in a guest (a grader must not boot another).
    const env = { ...commandEnv(options), [GUEST_MARKER_ENV]: kernel.release, [GUEST_ACCELERATOR_ENV]: accelerator };
    const job = { command: options.command, env, cwd: options.cwd ?? process.cwd(), projectDir };
    writeFileSync(initramfs, Buffer.concat([base, jobArchive(kernel, job)]));

    let consoleTail = "";
    let statusText = "";
    const sockets: GuestSockets = {
      console: join(dir, "console.sock"),
      stdout: join(dir, "stdout.sock"),
      stderr: join(dir, "stderr.sock"),
      status: join(dir, "status.sock"),
    };
    const servers = await Promise.all([
      listen(sockets.console, (chunk) => {
        options.console?.write(chunk);
        consoleTail = (consoleTail + chunk.toString("utf8")).slice(-CONSOLE_TAIL_BYTES);
      }),
      listen(sockets.stdout, onStdout),
      listen(sockets.stderr, onStderr),
      listen(sockets.status, (chunk) => {
        statusText += chunk.toString("utf8");
        onStatus();
      }),
    ]);

    const launched = Date.now();
    let commandStarted = 0;
    let killedFor: "timeout" | "abort" | "boot-timeout" | undefined;
    const qemu = spawn("qemu-system-x86_64", qemuArgs({
      vmlinux: kernel.vmlinux, initramfs, projectDir, sockets, accelerator,
      memoryMiB: options.memoryMiB ?? 1024, cpus: options.cpus ?? 2,
    }), { stdio: ["ignore", "ignore", "pipe"] });
    liveChildren.add(qemu);
    let qemuStderr = "";
    qemu.stderr!.on("data", (chunk: Buffer) => { qemuStderr = (qemuStderr + chunk.toString("utf8")).slice(-CONSOLE_TAIL_BYTES); });
    const kill = (why: typeof killedFor) => {
      killedFor ??= why;
      qemu.kill("SIGKILL");
    };

    let timer = setTimeout(() => kill("boot-timeout"), options.bootTimeoutMs ?? 60_000);
    function onStatus() {
      if (!commandStarted && /^started$/m.test(statusText)) {
        commandStarted = Date.now();
        clearTimeout(timer);
        timer = setTimeout(() => kill("timeout"), options.timeoutMs ?? 600_000);
      }
    }
    const onAbort = () => kill("abort");
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const spawnError = await new Promise<Error | undefined>((resolve) => {
      qemu.once("error", resolve);
      qemu.once("exit", () => resolve(undefined));
    });
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    liveChildren.delete(qemu);
    if (spawnError) {
      servers.forEach((s) => s.server.close());
      throw new Error(`cannot run qemu-system-x86_64 (${spawnError.message}): install it with bash vm/provision-vm.sh`);
    }
    // Every byte QEMU forwarded is read before the outcome is decided.
    await Promise.all(servers.map((s) => s.closed()));

    const bootMs = commandStarted ? commandStarted - launched : Date.now() - launched;
    const commandMs = commandStarted ? Date.now() - commandStarted : 0;
    const exit = /^exit (\d+)$/m.exec(statusText);
    if (exit) return { kind: "exited", exitCode: Number(exit[1]), bootMs, commandMs };
    if (killedFor === "timeout" || killedFor === "abort") return { kind: "killed", why: killedFor, bootMs, commandMs };
    const failed = /^boot-failed (.*)$/m.exec(statusText)?.[1];
    const reason = failed
      ?? (killedFor === "boot-timeout" ? `the command had not started after ${options.bootTimeoutMs ?? 60_000} ms`
      : commandStarted ? "the guest stopped while the command ran (kernel panic?)"
      : `QEMU exited before the guest started the command${qemuStderr.trim() ? `: ${qemuStderr.trim()}` : ""}`);
    if (commandStarted) {
      // Past the start line the command may have had effects: report, do not retry.
      throw new VmCrashError(`the ${kernel.release} guest died: ${reason}`, consoleTail.trim());
    }
    return { kind: "boot-failed", reason, consoleTail: consoleTail.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
