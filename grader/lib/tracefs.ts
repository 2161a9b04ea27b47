// The trace pipe is one stream for the whole machine and reading consumes it. A second
// reader (a `cat trace_pipe` left running in another terminal) steals lines, and on 6.18 the
// kernel refuses a second open outright (EBUSY): worth naming when a check fails.
import { readdirSync, readlinkSync } from "node:fs";

export const tracePipePath = "/sys/kernel/tracing/trace_pipe";

export interface Reader {
  pid: number;
  command: string;
}

/** Processes other than `exclude` that hold the trace pipe open. */
export function otherTracePipeReaders(exclude: readonly number[] = []): Reader[] {
  const readers: Reader[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || exclude.includes(pid) || pid === process.pid) continue;
    if (holdsOpen(pid, tracePipePath)) readers.push({ pid, command: commandOf(pid) });
  }
  return readers;
}

function holdsOpen(pid: number, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
  } catch {
    return false; // gone, or a kernel thread
  }
}

function commandOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`).split("/").pop() ?? "?";
  } catch {
    return "?";
  }
}
