// Workloads written in C (grader/workloads/*.c): compiled with gcc once per lab run into the
// run's temp dir under a random name, which becomes the name (comm) of its processes, and run
// in their own process group. A workload that must be counted from its very first action is
// held before it (stopped by itself, or waiting for a line on stdin) until the grader has a
// loader tracing its pid, then released.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describeExit } from "./loader.ts";
import { ProcessGroup, waitUntil } from "./processes.ts";
import { scaled } from "./timing.ts";
import { randomName, type Workload } from "./workload.ts";

const run = promisify(execFile);

export interface CompiledWorkload {
  binary: string;
  /** What the kernel calls its processes: the file name, cut to 15 characters. */
  comm: string;
}

export interface CompileOptions {
  /** How the file name begins, before a random word; defaults to the source's name. */
  prefix?: string;
  /** More gcc arguments, such as -pthread. */
  gccArgs?: readonly string[];
}

const compiled = new WeakMap<Workload, Map<string, Promise<CompiledWorkload>>>();

/** Compiles grader/workloads/`source`, once per lab run: later calls get the same binary. */
export function compileWorkload(workload: Workload, source: string, options: CompileOptions = {}): Promise<CompiledWorkload> {
  let bySource = compiled.get(workload);
  if (!bySource) compiled.set(workload, (bySource = new Map()));
  let binary = bySource.get(source);
  if (!binary) bySource.set(source, (binary = compile(workload, source, options)));
  return binary;
}

async function compile(workload: Workload, source: string, options: CompileOptions): Promise<CompiledWorkload> {
  const file = fileURLToPath(new URL(`../workloads/${source}`, import.meta.url));
  const binary = join(await workload.tempDir(), `${options.prefix ?? source.replace(/\.c$/, "")}-${randomName()}`);
  await run("gcc", ["-O2", ...(options.gccArgs ?? []), "-o", binary, file]).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`cannot compile the workload ${file} with gcc: ${err.stderr?.trim() || err.message}`);
  });
  return { binary, comm: basename(binary).slice(0, 15) };
}

export interface WorkloadProcess {
  group: ProcessGroup;
  /** What it has written to stderr so far, for error messages. */
  stderr(): string;
}

/** Starts `binary args...` as a new process group; stdin and stdout are pipes when asked for. */
export function spawnWorkload(binary: string, args: readonly string[], pipes: { stdin?: boolean; stdout?: boolean } = {}): WorkloadProcess {
  const group = ProcessGroup.spawn(binary, args, { stdio: [pipes.stdin ? "pipe" : "ignore", pipes.stdout ? "pipe" : "ignore", "pipe"] });
  let stderr = "";
  group.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return { group, stderr: () => stderr };
}

/**
 * How a workload waits for the grader: "sigstop", it stops itself (SIGSTOP) first thing and
 * is released with SIGCONT; "stdin", it reads a line from stdin first.
 */
export type Hold = "sigstop" | "stdin";

export interface HeldProcess {
  pid: number;
  /** Lets it go and waits until it has exited; throws unless it exits with 0 in time. */
  release(): Promise<void>;
  /** Kills whatever is left of it (safe after release()). */
  stop(): Promise<void>;
}

/** Starts `binary args...` and resolves once it is held before its first counted action. */
export async function startHeld(binary: string, args: readonly string[], hold: Hold): Promise<HeldProcess> {
  const { group, stderr } = spawnWorkload(binary, args, { stdin: hold === "stdin" });
  const pid = group.pid;
  const held =
    pid !== undefined &&
    (hold === "stdin" || (await waitUntil(() => group.exit !== undefined || processState(pid) === "T", scaled(5000)))) &&
    group.exit === undefined;
  if (!held) {
    const why = group.exit ? describeExit(group.exit) : pid === undefined ? describeExit(await group.exited) : "it never stopped itself";
    await group.stop();
    throw new Error(`the workload ${binary} did not start and wait for the grader: ${stderr().trim() || why}`);
  }
  return {
    pid,
    async release() {
      if (hold === "stdin") group.child.stdin?.end("go\n");
      else process.kill(pid, "SIGCONT");
      const exit = (await waitUntil(() => group.exit !== undefined, scaled(10_000))) ? group.exit : undefined;
      if (exit?.code !== 0) throw new Error(`the workload ${binary} ${exit ? describeExit(exit) : "ran too long"}: ${stderr().trim()}`);
    },
    stop: () => group.stop(),
  };
}

/** The state letter of `/proc/<pid>/stat` (T: stopped), or undefined once the process is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}
