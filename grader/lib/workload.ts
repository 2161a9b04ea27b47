// What a check does to the machine so the student's program has something to see: files and
// processes with unpredictable names and counts (xv6's random_str), so that no hard-coded
// output can pass. Everything is removed or stopped by dispose().
import { randomInt as cryptoRandomInt } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { copyFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onInterrupt } from "./cleanup.ts";
import { ProcessGroup } from "./processes.ts";

/** A random integer in [min, max], both included. */
export function randomInt(min: number, max: number): number {
  return cryptoRandomInt(min, max + 1);
}

/** A random lowercase word: no digits, so it never looks like a pid in the output. */
export function randomName(length = 8): string {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  return Array.from({ length }, () => letters[cryptoRandomInt(letters.length)]).join("");
}

export interface ProcessRun {
  /** The path that was executed. */
  file: string;
  /** Its process id (which is also its thread group id, tgid). */
  pid: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ThreadRun extends ProcessRun {
  /** Id of the thread that called execve: a non-main thread, so it differs from `pid`. */
  tid: number;
}

// Runs argv[1] through execve from a second thread: the kernel sees a caller whose thread id
// is not its process id, which is what tells `pid_tgid >> 32` apart from the lower half.
const execFromThread = `
import os, sys, threading
def run():
    print(threading.get_native_id(), flush=True)
    os.execv(sys.argv[1], [sys.argv[1]])
t = threading.Thread(target=run)
t.start()
t.join()
sys.exit(127)  # only reached if execv failed
`;

/** Temp directories not yet disposed of: removed synchronously if the grader exits abruptly. */
const liveDirs = new Set<string>();

process.on("exit", () => {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

export class Workload {
  private dir: string | undefined;
  private readonly forgetInterrupt = onInterrupt(() => this.dispose());

  /** A private temp directory for this lab run, created on first use. */
  async tempDir(): Promise<string> {
    // Synchronously, so no exit can fall between creating the directory and recording it.
    this.dir ??= mkdtempSync(join(tmpdir(), "grade-"));
    liveDirs.add(this.dir);
    return this.dir;
  }

  /** `count` copies of `original` (default /bin/true) under fresh random names in the temp dir. */
  async executables(count: number, original = "/bin/true"): Promise<string[]> {
    const dir = await this.tempDir();
    const files = Array.from({ length: count }, () => join(dir, `prog-${randomName()}`));
    await Promise.all(files.map((file) => copyFile(original, file)));
    return files;
  }

  /** Runs `file` to completion in its own process group; rejects if it cannot be started. */
  async run(file: string, args: readonly string[] = []): Promise<ProcessRun> {
    const group = ProcessGroup.spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    group.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    group.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    try {
      const exit = await group.exited;
      if (exit.error || group.pid === undefined) throw startError(file, exit.error);
      return { file, pid: group.pid, code: exit.code, stdout, stderr };
    } finally {
      await group.stop();
    }
  }

  /** Executes `file` from a second thread of a python3 process (see execFromThread). */
  async runFromThread(file: string): Promise<ThreadRun> {
    const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    const run = await this.run(python, ["-c", execFromThread, file]);
    const tid = Number.parseInt(run.stdout, 10);
    if (run.code !== 0 || !Number.isInteger(tid)) {
      throw new Error(`could not exec ${file} from a thread (python3 exited with code ${run.code}): ${run.stderr.trim()}`);
    }
    return { ...run, file, tid };
  }

  /** Removes the temp directory. Processes are already stopped: run() waits for them. */
  async dispose(): Promise<void> {
    this.forgetInterrupt();
    const dir = this.dir;
    this.dir = undefined;
    if (!dir) return;
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  }
}

function startError(file: string, cause: Error | undefined): Error {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const why = code === "EACCES" ? ` (is ${tmpdir()} mounted noexec? set TMPDIR to another directory)` : "";
  return new Error(`could not run ${file}: ${cause?.message ?? "no pid"}${why}`);
}
