// Lab 4 (per-CPU maps): the loader prints, every second, how many getppid() calls of one
// process (--pid) each CPU counted, and their sum. Workload: grader/workloads/lab4-pinned.c
// moves itself from CPU to CPU in a random order, calling getppid() a random number of
// times on each; each CPU's count and the total must show exactly.
import { readFileSync } from "node:fs";
import { compileWorkload, startHeld } from "../lib/compiled-workload.ts";
import { CheckFailure } from "../lib/failure.ts";
import { check, defineLab, once, type CheckContext } from "../lib/lab.ts";
import { randomInt } from "../lib/workload.ts";
import { nextTable, numbersIn, shown, type Table } from "./loader-table.ts";

const format = "'getppid() calls of pid 4242 per CPU:' then indented rows '  cpu0   1200', '  cpu1   300', '  total  1500'";

/** The CPUs this machine has online ("0-1,4" -> [0, 1, 4]). */
function onlineCpus(): number[] {
  return readFileSync("/sys/devices/system/cpu/online", "utf8").trim().split(",").flatMap((range) => {
    const [first, last = first] = range.split("-").map(Number);
    return Array.from({ length: last! - first! + 1 }, (_, i) => first! + i);
  });
}

/** Two stints on each of up to two online CPUs, in random order: "1:300 0:1200 1:77 0:5". */
function plan(): Array<{ cpu: number; calls: number }> {
  const cpus = onlineCpus().slice(0, 2);
  const stints = [...cpus, ...cpus].map((cpu) => ({ cpu, calls: randomInt(100, 20000), order: Math.random() }));
  return stints.sort((x, y) => x.order - y.order).map(({ cpu, calls }) => ({ cpu, calls }));
}

/** The workload, paused; the loader started with its pid. */
const started = once(async (t: CheckContext) => {
  const { binary } = await compileWorkload(t.workload, "lab4-pinned.c");
  const stints = plan();
  const workload = await startHeld(binary, stints.map((s) => `${s.cpu}:${s.calls}`), "sigstop");
  try {
    return { loader: await t.loader({ args: ["--pid", String(workload.pid)] }), workload, stints };
  } catch (err) {
    await workload.stop();
    throw err;
  }
});

/** The workload runs to the end; then the loader's next table is read. */
const counted = once(async (t: CheckContext) => {
  const { loader, workload, stints } = await started(t);
  try {
    await workload.release();
  } finally {
    await workload.stop();
  }
  const perCpu = new Map<number, number>();
  for (const s of stints) perCpu.set(s.cpu, (perCpu.get(s.cpu) ?? 0) + s.calls);
  return { table: await nextTable(loader, format), pid: workload.pid, stints, perCpu, total: stints.reduce((n, s) => n + s.calls, 0) };
});

const labelled = (label: string) => (row: string) => new RegExp(`^\\s*${label}(?!\\w)`).test(row);
const lastNumber = (row: string) => numbersIn(row).at(-1);

function rowCount(table: Table, label: string): number | undefined {
  const rows = table.rows.filter(labelled(label));
  return rows.length === 1 ? lastNumber(rows[0]!) : undefined;
}

const workloadStory = (pid: number, stints: ReadonlyArray<{ cpu: number; calls: number }>) =>
  `pid ${pid} called getppid() ${stints.map((s) => `${s.calls} times on CPU ${s.cpu}`).join(", then ")}`;

export default defineLab({
  loader: "percpu.ts",
  attachments: 1,
  requires: ["btf", "tracepoint", "percpu-array"],
  checks: [
    check("loads and attaches", 1, async (t) => void (await started(t)), { hint: 1 }),

    check("counts each CPU's calls in that CPU's slot", 3, async (t) => {
      const { table, pid, stints, perCpu } = await counted(t);
      const missing = [...perCpu]
        .filter(([cpu, calls]) => rowCount(table, `cpu${cpu}`) !== calls)
        .map(([cpu, calls]) => `cpu${cpu}: wanted ${calls}, ${table.rows.some(labelled(`cpu${cpu}`)) ? `saw ${rowCount(table, `cpu${cpu}`) ?? "no single number"}` : "no row"}`);
      if (missing.length === 0) return;
      const anyCpuRow = table.rows.some(labelled("cpu\\d+"));
      throw new CheckFailure(`${missing.length} of ${perCpu.size} CPUs counted wrong`, {
        expected: `${workloadStory(pid, stints)}: one row per CPU with its sum, ${format}`,
        ...shown(table, labelled("cpu\\d+"), (row) => [...perCpu].some(([cpu, calls]) => labelled(`cpu${cpu}`)(row) && lastNumber(row) === calls)),
        missing,
        hint: anyCpuRow ? [2, 3] : [1, 2],
      });
    }),

    check("prints the sum over all CPUs", 2, async (t) => {
      const { table, pid, stints, total } = await counted(t);
      const seen = rowCount(table, "total");
      if (seen === total) return;
      const oneCpu = [...new Set(stints.map((s) => s.cpu))].find((cpu) => seen === stints.filter((s) => s.cpu === cpu).reduce((n, s) => n + s.calls, 0));
      throw new CheckFailure(`total: wanted ${total}, ${table.rows.some(labelled("total")) ? `saw ${seen ?? "no single number"}` : "no row"}`, {
        expected: `${workloadStory(pid, stints)}: a row '  total  ${total}'`,
        ...shown(table, labelled("total"), (row) => lastNumber(row) === total),
        hint: oneCpu !== undefined ? `${seen} is what CPU ${oneCpu} alone counted: add up the values of every CPU (hint 4)` : [1, 4],
      });
    }, { hint: [1, 4] }),
  ],
});
