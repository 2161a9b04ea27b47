// Lab 3's plumbing, kept out of lab3.ts so the checks read on one screen: the opener workload
// (grader/workloads/lab3-opener.c), the loader's printed tables, and the map read from
// outside the loader with bpftool.
import { execFile } from "node:child_process";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { mapIds } from "../lib/attachments.ts";
import { compileWorkload, spawnWorkload, type CompiledWorkload } from "../lib/compiled-workload.ts";
import { CheckFailure } from "../lib/failure.ts";
import type { LoaderProcess } from "../lib/loader.ts";
import { delay } from "../lib/processes.ts";
import { defaultOutputWaitMs, scaled } from "../lib/timing.ts";
import type { Workload } from "../lib/workload.ts";
import { lastLines, tableAfterNext } from "./loader-table.ts";

const run = promisify(execFile);

/** The opener, compiled once per lab run under a random name lab3-xxxxxxxx (its comm). */
export const compileOpener = (workload: Workload): Promise<CompiledWorkload> =>
  compileWorkload(workload, "lab3-opener.c", { prefix: "lab3", gccArgs: ["-pthread"] });

/** One forked child of the opener: `counts[0]` files from its main thread, then one count per extra thread. */
export interface Child {
  pid: number;
  tids: number[];
  counts: number[];
  total: number;
}

export interface OpenerRun {
  children: Child[];
  /** performance.now() when the opener was started, and when all its children were ready. */
  startedMs: number;
  readyMs: number;
  /** Children the opener reported as exited (all of them once it has ended). */
  exitedPids: number[];
  /** Lets every child exit and waits until the opener has reaped them all. */
  release(): Promise<void>;
  /** Stops whatever is left of the opener's process group. */
  stop(): Promise<void>;
}

/**
 * Starts the opener with `args` (DIR TAG COUNTS... or DIR TAG --churn N) and waits until every
 * child is ready (for --churn: until the opener has ended).
 */
export async function runOpener(binary: string, args: readonly string[]): Promise<OpenerRun> {
  const startedMs = performance.now();
  const { group, stderr } = spawnWorkload(binary, args, { stdin: true, stdout: true });
  const lines: string[] = [];
  let stdoutClosed = !group.child.stdout;
  if (group.child.stdout) {
    createInterface({ input: group.child.stdout }).on("line", (line) => lines.push(line)).on("close", () => (stdoutClosed = true));
  }
  const churn = args.includes("--churn");
  const specs = churn ? [] : args.slice(2);
  const readyLines = () => lines.filter((l) => l.startsWith("ready "));
  const exitedPids = () => lines.filter((l) => l.startsWith("exited ")).map((l) => Number(l.split(" ")[1]));

  const deadline = Date.now() + scaled(15_000);
  while (churn ? !(group.exit && stdoutClosed) : readyLines().length < specs.length && !group.exit) {
    if (Date.now() > deadline) break;
    await delay(20);
  }
  if (churn ? !group.exit || group.exit.code !== 0 : readyLines().length < specs.length) {
    await group.stop();
    const how = group.exit ? `ended (code ${group.exit.code})` : "timed out";
    throw new Error(`the lab 3 workload ${how}: ${stderr().trim() || "no error output"}`);
  }

  const children = readyLines().map((line): Child => {
    const [index, pid, ...tids] = line.split(" ").slice(1).map(Number);
    const counts = specs[index!]!.split(",").map(Number);
    return { pid: pid!, tids, counts, total: counts.reduce((a, b) => a + b, 0) };
  }).sort((a, b) => a.pid - b.pid);
  const result: OpenerRun = {
    children, startedMs, readyMs: performance.now(),
    get exitedPids() { return exitedPids(); },
    async release() {
      group.child.stdin?.end();
      const deadline = Date.now() + scaled(10_000);
      while (!(group.exit && stdoutClosed) && Date.now() < deadline) await delay(20);
    },
    stop: () => group.stop(),
  };
  return result;
}

/** One table as the loader printed it (see table.ts in the lab). */
export interface Table {
  /** Its first line, "[14:03:07] 3 processes in opens_by_pid (max 10240)". */
  title: string;
  /** The column names line. */
  header: string;
  lines: string[];
  rows: Row[];
  /** performance.now() when its first line reached the grader. */
  receivedMs: number;
}

export interface Row {
  pid: number;
  opens: number;
  firstAgo: number;
  lastAgo: number;
  comm: string;
  line: string;
}

const titlePattern = /^\[\d\d:\d\d:\d\d\] \d+ process(es)? in /;
const rowPattern = /^\s*(\d+)\s+(\d+)\s+(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)  (.*)$/;

/** The first table the loader read from the map entirely after this call (see tableAfterNext); throws a CheckFailure if none comes. */
export async function waitForNextTable(loader: LoaderProcess): Promise<Table> {
  const table = await tableAfterNext(loader, (line) => titlePattern.test(line));
  if (!table) {
    throw new CheckFailure(`the loader printed no new table within ${scaled(defaultOutputWaitMs) / 1000}s`, {
      expected: "a table every second, starting with a line like '[14:03:07] 3 processes in opens_by_pid (max 10240)' (table.ts prints it)",
      seenTitle: "the loader's last lines",
      seen: lastLines(loader),
    });
  }
  const { lines, receivedMs } = table;
  const rows = lines.flatMap((line): Row[] => {
    const m = rowPattern.exec(line);
    return m ? [{ pid: Number(m[1]), opens: Number(m[2]), firstAgo: Number(m[3]), lastAgo: Number(m[4]), comm: m[5]!.trim(), line }] : [];
  });
  return { title: lines[0]!.slice(1, 9), header: lines[1] ?? "", lines, rows, receivedMs };
}

export type MapRead = { entries: Set<number>; maxEntries: number } | { error: string };

async function bpftoolJson<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await run("bpftool", ["-j", ...args], { maxBuffer: 256 << 20 });
  return JSON.parse(stdout) as T;
}

/**
 * The keys of the loader's map called `name`, read by the kernel's map id with bpftool: what
 * the BPF program left there, whatever the loader prints. Keys are u32, little-endian.
 */
export async function readMapByName(loader: LoaderProcess, name: string): Promise<MapRead> {
  const pid = loader.pid;
  if (pid === undefined || loader.ended) return { error: `the loader is not running (it ${loader.ended ?? "never started"})` };
  const shown: string[] = [];
  for (const id of mapIds(pid)) {
    const info = await bpftoolJson<{ name?: string; type: string; max_entries: number; bytes_key: number }>(["map", "show", "id", String(id)]);
    shown.push(`${info.name ?? "?"} (${info.type})`);
    if (info.name !== name) continue;
    if (info.bytes_key !== 4) return { error: `${name} has ${info.bytes_key}-byte keys; keep its key a __u32 process id` };
    const dump = await bpftoolJson<Array<{ key: string[] }>>(["map", "dump", "id", String(id)]);
    const entries = new Set(dump.map((e) => Buffer.from(e.key.map((b) => Number.parseInt(b, 16))).readUInt32LE(0)));
    return { entries, maxEntries: info.max_entries };
  }
  return { error: `the loader holds no map called ${name} (its maps: ${shown.join(", ") || "none"}); keep the map's name` };
}
