// Lab 2 (array maps): the loader counts system calls by number for one process (--pid) and
// prints the busiest, by name, every second. Workload: grader/workloads/lab2-syscalls.c makes
// random numbers of three randomly chosen cheap syscalls: the target (the --pid) makes A and
// B, a decoy makes A and C at the same time. Only the target's counts may show, exactly.
import { compileWorkload, startHeld } from "../lib/compiled-workload.ts";
import { CheckFailure } from "../lib/failure.ts";
import { check, defineLab, once, type CheckContext } from "../lib/lab.ts";
import { randomInt } from "../lib/workload.ts";
import { nextTable, numbersIn, shown, type Table } from "./loader-table.ts";

const format = "'Top system calls of pid 4242:' then one indented row per syscall, like '  getppid   1234'";
const cheapSyscalls = ["getppid", "getuid", "getgid", "geteuid", "getegid", "sched_yield"];

/** Three different syscalls, in random order. */
function pickThree(): [string, string, string] {
  const pool = [...cheapSyscalls];
  const pick = () => pool.splice(randomInt(0, pool.length - 1), 1)[0]!;
  return [pick(), pick(), pick()];
}

/** The target and the decoy, paused; the loader started with the target's pid. */
const started = once(async (t: CheckContext) => {
  const { binary } = await compileWorkload(t.workload, "lab2-syscalls.c");
  const [a, b, c] = pickThree();
  const target = { [a]: randomInt(1000, 20000), [b]: randomInt(100, 5000) };
  // Enough calls that an unfiltered count of C makes the top ten even on a busy machine.
  const decoy = { [a]: randomInt(20000, 60000), [c]: randomInt(20000, 60000) };
  const spec = (calls: Record<string, number>) => Object.entries(calls).map(([name, n]) => `${name}:${n}`);
  const processes = [await startHeld(binary, spec(target), "sigstop")];
  try {
    processes.push(await startHeld(binary, spec(decoy), "sigstop"));
    const loader = await t.loader({ args: ["--pid", String(processes[0]!.pid)] });
    return { loader, processes, a, b, c, target, decoy, pid: processes[0]!.pid };
  } catch (err) {
    await Promise.all(processes.map((p) => p.stop()));
    throw err;
  }
});

/** Both processes run to the end; then the loader's next table is read. */
const counted = once(async (t: CheckContext) => {
  const run = await started(t);
  try {
    await Promise.all(run.processes.map((p) => p.release()));
  } finally {
    await Promise.all(run.processes.map((p) => p.stop()));
  }
  return { ...run, table: await nextTable(run.loader, format) };
});

const names = (syscall: string) => (row: string) => new RegExp(`(?<!\\w)${syscall}(?!\\w)`).test(row);

/** The count the table shows for `syscall` (0 without a row), and whether there is one row for it. */
function countIn(table: Table, syscall: string): { count: number | undefined; rows: number } {
  const rows = table.rows.filter(names(syscall));
  return { count: rows.length === 1 ? numbersIn(rows[0]!).at(-1) : undefined, rows: rows.length };
}

function expectCount(table: Table, pid: number, syscall: string, wanted: number, decoyMade: number): void {
  const { count, rows } = countIn(table, syscall);
  if (rows === 1 && count === wanted) return;
  const seen = rows === 0 ? "no row names it" : rows > 1 ? `${rows} rows name it` : `its row says ${count ?? "no number"}`;
  const hint =
    rows === 0 ? (table.rows.length === 0 ? [3, 4] : 4)
    : count !== undefined && count >= wanted + decoyMade ? `${count} is more than pid ${pid} made: calls of other processes are counted too, so target_pid is not set or not checked (hint 2)`
    : count !== undefined && count < wanted ? "some calls were lost: are two CPUs adding to the same slot without __sync_fetch_and_add()? (hint 3)"
    : [2, 3];
  throw new CheckFailure(`${syscall}: wanted ${wanted}, ${seen}`, {
    expected: `pid ${pid} called ${syscall}() exactly ${wanted} times (another process called it ${decoyMade} times meanwhile): one row '${syscall} ${wanted}'`,
    ...shown(table, names(syscall), (row) => numbersIn(row).at(-1) === wanted),
    hint,
  });
}

export default defineLab({
  loader: "syscalls.ts",
  attachments: 1,
  requires: ["btf", "tracepoint"],
  checks: [
    check("loads and attaches (the verifier accepts the map lookup)", 1, async (t) => void (await started(t)), { hint: 1 }),

    check("counts a syscall of the --pid process exactly", 3, async (t) => {
      const { table, pid, a, target, decoy } = await counted(t);
      expectCount(table, pid, a, target[a]!, decoy[a]!);
    }, { hint: [3, 4] }),

    check("counts each syscall in its own slot", 2, async (t) => {
      const { table, pid, b, target } = await counted(t);
      expectCount(table, pid, b, target[b]!, 0);
    }, { hint: [3, 4] }),

    check("counts nothing of other processes", 2, async (t) => {
      const { table, pid, c, decoy } = await counted(t);
      const { count, rows } = countIn(table, c);
      if (rows === 0 || count === 0) return;
      throw new CheckFailure(`${c}: pid ${pid} never called it, yet the table shows it`, {
        expected: `no row for ${c} (or 0): only another process called it (${decoy[c]} times)`,
        ...shown(table, names(c), () => false),
        hint: 2,
      });
    }, { hint: [2, 4] }),
  ],
});
