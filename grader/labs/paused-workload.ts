// Plumbing shared by labs 2 and 4, kept out of their checks files: a workload that must be
// counted from its very first system call (grader/workloads/lab2-syscalls.c, lab4-pinned.c),
// and the table the loader prints every second.
//
// The loader takes the workload's pid (--pid), so the workload must exist before the loader
// starts, yet make none of its counted calls before the loader has attached. The workload
// stops itself (SIGSTOP) first thing; the grader starts the loader with its pid, waits for
// the attachment, then lets it run (SIGCONT).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CheckFailure, type MarkedLine } from "../lib/failure.ts";
import type { LoaderProcess } from "../lib/loader.ts";
import { ProcessGroup, delay, waitUntil } from "../lib/processes.ts";
import { defaultOutputWaitMs, scaled } from "../lib/timing.ts";
import { randomName, type Workload } from "../lib/workload.ts";

const run = promisify(execFile);

export interface PausedProcess {
  pid: number;
  /** Lets it go (SIGCONT) and waits until it has exited; throws unless it exits with 0. */
  finish(): Promise<void>;
  /** Kills whatever is left of it (safe after finish()). */
  stop(): Promise<void>;
}

/** Compiles grader/workloads/`source` into the run's temp dir, under a random name. */
export async function compileWorkload(workload: Workload, source: string): Promise<string> {
  const file = fileURLToPath(new URL(`../workloads/${source}`, import.meta.url));
  const binary = join(await workload.tempDir(), `${source.replace(/\.c$/, "")}-${randomName(6)}`);
  await run("gcc", ["-O2", "-o", binary, file]).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`cannot compile the workload ${file} with gcc: ${err.stderr?.trim() || err.message}`);
  });
  return binary;
}

/** Starts `binary args...` and resolves once it has stopped itself, before its first counted call. */
export async function startPaused(binary: string, args: readonly string[]): Promise<PausedProcess> {
  const group = ProcessGroup.spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  group.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const pid = group.pid;
  const stopped = pid !== undefined && (await waitUntil(() => group.exit !== undefined || processState(pid) === "T", scaled(5000)));
  if (!stopped || group.exit || pid === undefined) {
    await group.stop();
    throw new Error(`the workload ${binary} did not start and pause: ${stderr.trim() || describe(group)}`);
  }
  return {
    pid,
    async finish() {
      process.kill(pid, "SIGCONT");
      const exit = await Promise.race([group.exited, delay(scaled(10_000)).then(() => undefined)]);
      if (exit?.code !== 0) throw new Error(`the workload ${binary} ${exit ? `ended with code ${exit.code}` : "ran too long"}: ${stderr.trim()}`);
    },
    stop: () => group.stop(),
  };
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

function describe(group: ProcessGroup): string {
  return group.exit ? `it exited with code ${group.exit.code}` : "it never stopped itself";
}

/** A table as the loader printed it: a title line at the left margin, then indented rows. */
export interface Table {
  title: string;
  rows: string[];
}

const isTitle = (line: string) => /^\S/.test(line);

/**
 * The first table the loader read from its map entirely after this call: tables arrive every
 * second, and the one that begins first may have been read just before, so it is skipped; the
 * one after it is complete once a third begins. Throws a CheckFailure (showing `format`) if
 * no such table comes.
 */
export async function nextTable(loader: LoaderProcess, format: string): Promise<Table> {
  const from = loader.stdout.length;
  const titles = () => loader.stdout.slice(from).flatMap((line, i) => (isTitle(line) ? [from + i] : []));
  const waitMs = scaled(defaultOutputWaitMs);
  if (!(await loader.waitForOutput(() => titles().length >= 3, waitMs))) {
    const seen = [
      ...loader.stdout.slice(-8).map((text): MarkedLine => ({ mark: " ", text })),
      ...loader.stderr.slice(-8).map((text): MarkedLine => ({ mark: "!", text })),
    ];
    throw new CheckFailure(`the loader printed no complete table within ${waitMs / 1000}s after the workload ended`, {
      expected: `a table every second: ${format}`,
      seenTitle: seen.length > 0 ? `the loader's last lines${loader.ended ? `; it ${loader.ended}` : ""} (! is stderr)` : "the loader printed nothing",
      seen,
    });
  }
  const [, start, end] = titles();
  return { title: loader.stdout[start!]!, rows: loader.stdout.slice(start! + 1, end).filter((line) => line.trim() !== "") };
}

/** The numbers standing alone in a row: "  cpu1   300" -> [300] (the 1 of cpu1 is part of a word). */
export function numbersIn(row: string): number[] {
  return [...row.matchAll(/(?<![\w.])\d+(?![\w.])/g)].map((m) => Number(m[0]));
}

/** The table as failure context: its title and rows, the ones `good` approves marked +. */
export function shown(table: Table, relevant: (row: string) => boolean, good: (row: string) => boolean): { seenTitle: string; seen: MarkedLine[] } {
  return {
    seenTitle: "the loader's table, read after the workload had ended (+ as expected, - not)",
    seen: [
      { mark: " ", text: table.title },
      ...table.rows.map((text): MarkedLine => ({ mark: relevant(text) ? (good(text) ? "+" : "-") : " ", text })),
    ],
  };
}
