// Child processes in their own process groups, so one kill(-pgid) reaches everything a
// student's loader (or a workload) started, and nothing survives the grader.
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { onInterrupt } from "./cleanup.ts";

export interface GroupExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES...). */
  error?: Error;
}

export interface GroupOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
}

/** Every group not yet stopped: the synchronous last resort below kills them on exit. */
const liveGroups = new Set<ProcessGroup>();

process.on("exit", () => {
  for (const group of liveGroups) group.killNow();
});

export class ProcessGroup {
  readonly child: ChildProcess;
  /** Resolves when the group leader has exited (or failed to start); never rejects. */
  readonly exited: Promise<GroupExit>;
  private exitInfo: GroupExit | undefined;
  private readonly forgetInterrupt: () => void;

  private constructor(command: string, args: readonly string[], options: GroupOptions) {
    // detached: setsid(), so the child leads a new process group (pgid = its pid) and a
    // terminal's Ctrl-C reaches the grader only; the grader then stops the group itself.
    this.child = spawn(command, args, { ...options, detached: true, stdio: options.stdio ?? "pipe" });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => resolve((this.exitInfo = { code, signal })));
      this.child.once("error", (error) => resolve((this.exitInfo ??= { code: null, signal: null, error })));
    });
    liveGroups.add(this);
    this.forgetInterrupt = onInterrupt(() => this.stop());
  }

  /** Starts `command` as the leader of a new process group. Start failures surface in `exited`. */
  static spawn(command: string, args: readonly string[], options: GroupOptions = {}): ProcessGroup {
    return new ProcessGroup(command, args, options);
  }

  /** The leader's pid, which is also the group id; undefined if the process never started. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** How the leader ended, once it has. */
  get exit(): GroupExit | undefined {
    return this.exitInfo;
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.exitInfo === undefined;
  }

  /**
   * Stops the whole group: SIGINT first (a loader detaches cleanly on Ctrl-C), SIGKILL to
   * every member still there after `graceMs`, then waits until no member is left alive.
   * Safe to call any number of times, and after the leader has exited on its own.
   */
  async stop(graceMs = 1000): Promise<void> {
    const pgid = this.child.pid;
    if (pgid !== undefined) {
      if (this.running) {
        signalGroup(pgid, "SIGINT");
        await Promise.race([this.exited, delay(graceMs)]);
      }
      // Members may outlive the leader (a loader's own children), so kill the group regardless.
      signalGroup(pgid, "SIGKILL");
      await this.exited;
      await waitUntil(() => liveGroupMembers(pgid).length === 0, 2000);
    }
    liveGroups.delete(this);
    this.forgetInterrupt();
  }

  /** Synchronous SIGKILL to the group, for process exit when nothing can be awaited. */
  killNow(): void {
    if (this.child.pid !== undefined) signalGroup(this.child.pid, "SIGKILL");
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already empty, which is what we wanted.
  }
}

/** Pids of the processes in group `pgid` that are still running (zombies excluded), from /proc. */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") members.push(Number(name));
  }
  return members;
}

interface ProcStat {
  state: string;
  pgrp: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, pgrp: Number(fields[2]) };
  } catch {
    return undefined; // the process ended while we were looking
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 50 ms until it holds (true) or `timeoutMs` passes (false). */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (Date.now() >= deadline) return false;
    await delay(50);
  }
}
