// Shared helpers for tests that load real BPF programs: the "can this machine run BPF?" gate,
// fixture compilation, a driven target process to filter on, and polling with deadlines.
import { execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { compileBpf } from "../../bpf/compile.ts";

const run = promisify(execFile);

/** Root of the repository, for paths that tests hand to child processes. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
/** Directory of the addon test fixtures. */
export const addonFixtures = join(repoRoot, "tests/fixtures/addon");

/** How a child process ended: its output, and its exit code (0 when it succeeded) or the signal that killed it. */
export interface Finished { stdout: string; stderr: string; code: number | string | null; signal: string | null }

/** Runs `node <args>` to its end and says how it ended, where execFile would reject on a failure. */
export function runNodeToEnd(args: readonly string[], options: { cwd: string; timeout: number; maxBuffer?: number }): Promise<Finished> {
  return run(process.execPath, [...args], { maxBuffer: 64 << 20, ...options })
    .then(({ stdout, stderr }): Finished => ({ stdout, stderr, code: 0, signal: null }))
    .catch((err: { stdout?: string; stderr?: string; code?: number | string; signal?: string }): Finished => ({
      stdout: err.stdout ?? "", stderr: err.stderr ?? "", code: err.code ?? null, signal: err.signal ?? null,
    }));
}

/** Why BPF cannot run here, or undefined when it can. */
export function bpfUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return `BPF needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return "BPF tests need root: run them as root (sudo) or inside the course VM";
  if (!existsSync("/sys/kernel/btf/vmlinux")) return "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): use the course VM";
  return undefined;
}

/**
 * True when BPF tests can run. Where they cannot: throws under CI (a kernel test must fail
 * there, never skip), else returns false so a developer's laptop skips them.
 * Use as `describe.skipIf(!requireBpf())(...)`.
 */
export function requireBpf(): boolean {
  const reason = bpfUnavailableReason();
  if (!reason) return true;
  if (process.env.CI) throw new Error(`BPF tests cannot run: ${reason}`);
  return false;
}

/** Compiles tests/fixtures/addon/<name>.bpf.c (when stale) and returns the object's path. */
export function addonFixture(name: string): Promise<string> {
  return compileBpf(join(addonFixtures, `${name}.bpf.c`));
}

/** Polls `check` until it returns a value other than undefined/false, or throws after the deadline. */
export async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000, everyMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Polls the async `condition` every 50 ms for up to `timeoutMs`, then once more: true as soon
 * as it holds, false if it never did (for things the kernel does shortly after, not at once).
 */
export async function eventually(condition: () => Promise<boolean> | boolean, timeoutMs = 2000): Promise<boolean> {
  for (let tries = 0; tries < timeoutMs / 50; tries++) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

/** The syscall number of getppid on this machine (raw tracepoints see numbers, not names). */
export function getppidSyscallNumber(): number {
  const numbers: Record<string, number> = { x64: 110, arm64: 173, riscv64: 173 };
  const nr = numbers[process.arch];
  if (nr === undefined) throw new Error(`no getppid syscall number known for ${process.arch}`);
  return nr;
}

let targetBinary: string | undefined;

/**
 * Builds tests/fixtures/addon/target.c with gcc into a temporary directory named after the
 * source's hash: test processes share one build, and a changed source gets a fresh one.
 */
export function buildTarget(): string {
  if (targetBinary) return targetBinary;
  const source = join(addonFixtures, "target.c");
  const hash = createHash("sha256").update(readFileSync(source)).digest("hex").slice(0, 12);
  const out = join(tmpdir(), `addon-target-${hash}`, "target");
  if (!existsSync(out)) {
    mkdirSync(dirname(out), { recursive: true });
    // -O0 -fno-builtin: the probed function and the syscall loop must survive compilation.
    // Build beside, then rename: a concurrent test process never runs a half-written file.
    const partial = `${out}.${process.pid}`;
    execFileSync("gcc", ["-O0", "-fno-builtin", "-g", "-o", partial, source]);
    renameSync(partial, out);
  }
  targetBinary = out;
  return out;
}

const liveTargets = new Set<Target>();

/**
 * The C target process (target.c), driven over stdin so BPF programs can filter on its pid.
 * `getppid(n)` makes n getppid() syscalls; `callProbe(n)` calls addon_probe_target(0..n-1).
 */
export class Target {
  readonly child: ChildProcessWithoutNullStreams;
  readonly binary: string;
  private readonly replies: string[] = [];
  private readonly waiters: Array<(line: string) => void> = [];
  private exited = false;

  private constructor(binary: string) {
    this.binary = binary;
    this.child = spawn(binary, [], { stdio: "pipe" });
    liveTargets.add(this);
    this.child.on("exit", () => { this.exited = true; liveTargets.delete(this); });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(line);
      else this.replies.push(line);
    });
  }

  /** Starts a target and waits until it is ready for commands. */
  static async start(): Promise<Target> {
    const target = new Target(buildTarget());
    const first = await target.reply();
    if (first !== "ready") throw new Error(`target said '${first}' instead of 'ready'`);
    return target;
  }

  get pid(): number { return this.child.pid!; }

  private reply(timeoutMs = 20_000): Promise<string> {
    const queued = this.replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("target did not answer in time")), timeoutMs);
      this.waiters.push((line) => { clearTimeout(timer); resolve(line); });
    });
  }

  private async command(letter: string, n: number): Promise<void> {
    if (this.exited) throw new Error("target has exited");
    this.child.stdin.write(`${letter} ${n}\n`);
    const answer = await this.reply();
    if (!answer.startsWith("ok")) throw new Error(`target answered '${answer}'`);
  }

  /** n getppid() syscalls, done when this resolves. */
  getppid(n: number): Promise<void> { return this.command("p", n); }

  /** n calls addon_probe_target(i) for i = 0..n-1 (returns 2*i each). */
  callProbe(n: number): Promise<void> { return this.command("u", n); }

  kill(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }
}

/** Kills every target still running (for afterEach/afterAll: nothing may outlive a test). */
export function killTargets(): void {
  for (const target of liveTargets) target.kill();
}

export interface BpftoolProg { id: number; name?: string; type: string; pids?: Array<{ pid: number; comm: string }> }

/** Programs loaded in the kernel, as `bpftool prog show -j` lists them. */
export async function loadedPrograms(): Promise<BpftoolProg[]> {
  const { stdout } = await run("bpftool", ["prog", "show", "-j"], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as BpftoolProg[];
}

/** A random u64 that will not occur by chance in the kernel's output. */
export function randomMarker(): bigint {
  return (BigInt(Math.floor(Math.random() * 2 ** 31)) << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32)) | 1n;
}
