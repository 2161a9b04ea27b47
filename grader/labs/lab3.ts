// Lab 3 (hash maps): the loader's table shows, per process, how many files all its threads
// opened, its name and when it first and last opened one; an entry leaves the map when its
// process exits. Workload: grader/workloads/lab3-opener.c, compiled under a random name,
// forks children that open random numbers of randomly named files (some from several
// threads) and wait until the grader lets them exit.
// What is read where: counts, names, times and order from a table the loader read from the
// map after the children were ready; deletions from the map itself (bpftool, through the
// loader's own map fd) and from the loader's next table.
import { existsSync } from "node:fs";
import { check, defineLab, once, type CheckContext } from "../lib/lab.ts";
import { CheckFailure, type MarkedLine } from "../lib/failure.ts";
import { plural } from "../lib/match.ts";
import { scaled } from "../lib/timing.ts";
import { randomInt, randomName } from "../lib/workload.ts";
import { compileOpener, readMapByName, waitForNextTable, runOpener, type Child, type MapRead, type Row, type Table } from "./lab3-support.ts";

const mapName = "opens_by_pid";
const tableFormat = "rows like '  4242      37         1.520        0.010  lab3-abcdefgh' (PID OPENS FIRST LAST COMM)";
/** Seconds of leeway for the FIRST/LAST columns: the table reaches the grader a little after it is printed. */
const slackSeconds = scaled(1000) / 1000;

/** The shared workload: started once per grading, observed at every step. */
const openers = once(async (t: CheckContext) => {
  const loader = await t.loader();
  const opener = await compileOpener(t.workload);
  const single = [randomInt(3, 40), randomInt(3, 40)].map(String);
  const threaded = [0, 1].map(() => ["0", ...Array.from({ length: randomInt(2, 4) }, () => String(randomInt(2, 25)))].join(","));
  const run = await runOpener(opener.binary, [await t.workload.tempDir(), randomName(), ...single, ...threaded]);
  try {
    const alive = await waitForNextTable(loader);
    const mapWhileAlive = await readMapByName(loader, mapName);
    await run.release();
    const mapAfterExit = await readMapByName(loader, mapName);
    const tableAfterExit = await waitForNextTable(loader);
    return { loader, comm: opener.comm, run, alive, mapWhileAlive, mapAfterExit, tableAfterExit };
  } finally {
    await run.stop();
  }
});

const isThreaded = (c: Child) => c.tids.length > 0;
const processes = (n: number) => `${n} process${n === 1 ? "" : "es"}`;

/** The table's lines about `children` (+ right, - wrong), or its first lines when none is. */
function seenIn(table: Table, children: readonly Child[], right: (c: Child, row: Row) => boolean): { seenTitle: string; seen: MarkedLine[] } {
  const marked: MarkedLine[] = [];
  for (const row of table.rows) {
    const owner = children.find((c) => c.pid === row.pid || c.tids.includes(row.pid));
    if (owner) marked.push({ mark: owner.pid === row.pid && right(owner, row) ? "+" : "-", text: row.line });
  }
  if (marked.length > 0) return { seenTitle: `the loader's table at ${table.title} (rows about the workload)`, seen: [{ mark: " ", text: table.header }, ...marked] };
  const first = table.lines.slice(0, 8).map((text): MarkedLine => ({ mark: " ", text }));
  return { seenTitle: `the loader's table has no row about the workload; it begins`, seen: first };
}

function describe(c: Child): string {
  if (!isThreaded(c)) return `pid ${c.pid} opened ${plural(c.total, "file")} from its main thread`;
  return `pid ${c.pid} opened ${plural(c.total, "file")} from threads ${c.tids.join(", ")} (${c.counts.slice(1).join(" + ")})`;
}

function expectCounts(table: Table, children: readonly Child[], expected: string, hint: (seen: string[]) => number | number[] | string): void {
  const missing: string[] = [];
  for (const c of children) {
    const row = table.rows.find((r) => r.pid === c.pid);
    if (row?.opens !== c.total) missing.push(`${describe(c)}: wanted a row '${c.pid} ${c.total} ...', ${row ? `its row says ${row.opens}` : "no row has that pid"}`);
  }
  if (missing.length === 0) return;
  throw new CheckFailure(`${missing.length} of ${processes(children.length)} counted wrong`, {
    expected, ...seenIn(table, children, (c, row) => row.opens === c.total), missing, hint: hint(missing),
  });
}

function mapProblems(read: MapRead, wanted: (pid: number) => boolean, children: readonly Child[], describeWrong: (c: Child) => string): string[] {
  if ("error" in read) return [read.error];
  return children.filter((c) => read.entries.has(c.pid) !== wanted(c.pid)).map(describeWrong);
}

export default defineLab({
  loader: "opens.ts",
  attachments: 2,
  requires: ["btf", "tracepoint"],
  checks: [
    check("loads and attaches both programs", 1, async (t) => void (await t.loader()), { hint: 2 }),

    check("counts every file a process opens", 3, async (t) => {
      const { alive, run } = await openers(t);
      expectCounts(alive, run.children.filter((c) => !isThreaded(c)), `one row per process, ${tableFormat}, with OPENS exactly the number of files it opened`, () =>
        alive.rows.length === 0 ? [2, 5] : 2);
    }),

    check("counts the files of all threads under the process id", 3, async (t) => {
      const { alive, run } = await openers(t);
      const threaded = run.children.filter(isThreaded);
      const tidRows = alive.rows.filter((r) => threaded.some((c) => c.tids.includes(r.pid)));
      expectCounts(alive, threaded, `one row per process (keyed by its tgid), its OPENS the sum over its threads; no row for a thread id`, () =>
        tidRows.length > 0
          ? `the table has rows for thread ids (${tidRows.map((r) => r.pid).join(", ")}): key the map by the process id, the upper half of bpf_get_current_pid_tgid() (hint 1)`
          : alive.rows.length === 0 ? [2, 5]
          : threaded.some((c) => !alive.rows.some((r) => r.pid === c.pid))
            ? "no row for a process whose threads have exited while it still runs: was its entry deleted when a thread exited? (hint 4)"
            : "the counts are short: did two threads' increments overwrite each other? (hint 3)");
    }),

    check("shows each process's name and when it first and last opened a file", 2, async (t) => {
      const { alive, run, comm } = await openers(t);
      const received = (alive.receivedMs - run.startedMs) / 1000;
      const sinceReady = (alive.receivedMs - run.readyMs) / 1000;
      const inRange = (s: number) => s >= sinceReady - slackSeconds && s <= received + slackSeconds;
      const timesRight = (row: Row) => inRange(row.firstAgo) && inRange(row.lastAgo) && row.lastAgo <= row.firstAgo;
      const missing: string[] = [];
      const shown = run.children.filter((c) => alive.rows.some((r) => r.pid === c.pid));
      if (shown.length === 0) missing.push(`none of the workload's processes (${run.children.map((c) => c.pid).join(", ")}) has a row`);
      for (const c of shown) {
        const row = alive.rows.find((r) => r.pid === c.pid)!;
        if (row.comm !== comm) missing.push(`pid ${c.pid}: COMM should be '${comm}', is '${row.comm}'`);
        else if (!timesRight(row))
          missing.push(`pid ${c.pid}: FIRST and LAST should be between ${Math.max(0, sinceReady - slackSeconds).toFixed(3)} and ${(received + slackSeconds).toFixed(3)} seconds ago, LAST <= FIRST; they are ${row.firstAgo.toFixed(3)} and ${row.lastAgo.toFixed(3)}`);
      }
      if (missing.length === 0) return;
      throw new CheckFailure(shown.length === 0 ? "no row to judge" : `${missing.length} of ${processes(shown.length)} shown have a wrong name or time`, {
        expected: `COMM '${comm}' (the workload's name); FIRST and LAST: bpf_ktime_get_ns() at its first and latest open, shown as seconds ago`,
        ...seenIn(alive, run.children, (_, row) => row.comm === comm && timesRight(row)), missing, hint: 2,
      });
    }),

    check("sorts the table by opens, most first", 1, async (t) => {
      const { alive, run } = await openers(t);
      const ours = alive.rows.filter((r) => run.children.some((c) => c.pid === r.pid));
      const unsorted = alive.rows.findIndex((r, i) => i > 0 && r.opens > alive.rows[i - 1]!.opens);
      if (ours.length >= 2 && unsorted < 0) return;
      throw new CheckFailure(ours.length < 2 ? "too few rows about the workload to judge the order" : `row ${unsorted + 1} has more opens than the row above it`, {
        expected: "rows in decreasing order of OPENS",
        seenTitle: `the loader's table at ${alive.title}`,
        seen: alive.lines.slice(0, 12).map((text, i) => ({ mark: unsorted >= 0 && i === unsorted + 2 ? "-" : " ", text })),
        hint: 5,
      });
    }),

    check("deletes a process's entry when the process exits, not when a thread does", 3, async (t) => {
      const { run, alive, mapWhileAlive, mapAfterExit, tableAfterExit } = await openers(t);
      const missing = [
        ...mapProblems(mapWhileAlive, () => true, run.children, (c) =>
          `${describe(c)} and was still running${isThreaded(c) ? " (only its threads had exited)" : ""}: ${mapName} has no entry for it`),
        ...mapProblems(mapAfterExit, () => false, run.children, (c) => `pid ${c.pid} had exited: ${mapName} still has its entry`),
        ...run.children.filter((c) => tableAfterExit.rows.some((r) => r.pid === c.pid)).map((c) => `pid ${c.pid} had exited: the loader's next table (${tableAfterExit.title}) still shows it`),
      ];
      if (missing.length === 0) return;
      const recordedNone = !("error" in mapWhileAlive) && run.children.every((c) => !mapWhileAlive.entries.has(c.pid) && !c.tids.some((tid) => mapWhileAlive.entries.has(tid)));
      throw new CheckFailure(`the entries of the workload's processes did not come and go with the processes`, {
        expected: `an entry in ${mapName} (read with bpftool) while a process runs, none once it has exited, and no row in the next table`,
        missing,
        hint: recordedNone && run.children.every((c) => !alive.rows.some((r) => r.pid === c.pid)) ? `${mapName} held none of the workload's processes: count opens first (tasks 1 and 2, hint 2)` : 4,
      });
    }),

    check("keeps the map from filling up: 200 short-lived processes leave no entry", 2, async (t) => {
      const { loader, run, mapWhileAlive } = await openers(t);
      if ("error" in mapWhileAlive || !run.children.every((c) => mapWhileAlive.entries.has(c.pid))) {
        throw new CheckFailure(`not run: ${mapName} did not hold the workload's running processes (see the check above)`);
      }
      const opener = await compileOpener(t.workload);
      const churn = await runOpener(opener.binary, [await t.workload.tempDir(), randomName(), "--churn", "200"]);
      await churn.stop();
      const after = await readMapByName(loader, mapName);
      if ("error" in after) throw new CheckFailure(after.error);
      // A pid the kernel has already given to a new process may rightly be back in the map.
      const left = churn.exitedPids.filter((pid) => after.entries.has(pid) && !existsSync(`/proc/${pid}`));
      if (churn.exitedPids.length === 200 && left.length === 0) return;
      throw new CheckFailure(churn.exitedPids.length < 200 ? `the churn workload reported ${churn.exitedPids.length} of 200 processes` : `${left.length} of 200 exited processes still have an entry`, {
        expected: `no entry left for any of them (${mapName} holds ${after.entries.size} of its ${after.maxEntries} entries now)`,
        missing: left.slice(0, 5).map((pid) => `pid ${pid} exited, its entry is still there`),
        hint: 4,
      });
    }),
  ],
});
