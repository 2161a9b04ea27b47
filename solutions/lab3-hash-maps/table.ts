// Prints lab 3's table: a title line, a header, then one row per process. `npm run grade lab3`
// reads this format, so you don't need to (and shouldn't) change this file.

/** `struct proc_opens` from opens.bpf.c, as the library decodes it (u64 -> bigint). */
export interface ProcOpens {
  opens: bigint;
  /** bpf_ktime_get_ns() values: nanoseconds since boot (CLOCK_MONOTONIC). */
  first_seen_ns: bigint;
  last_seen_ns: bigint;
  comm: string;
}

/** One row of the table: a map entry, its key (the process id) and its value. */
export interface ProcessRow extends ProcOpens {
  pid: number;
}

/** "1.234": how long before `now` a bpf_ktime_get_ns() timestamp was, in seconds. */
function secondsAgo(timestampNs: bigint, nowNs: bigint): string {
  const ago = nowNs > timestampNs ? nowNs - timestampNs : 0n;
  return (Number(ago / 1_000_000n) / 1000).toFixed(3);
}

/**
 * Prints `rows` in the order given, e.g.
 *
 *     [14:03:07] 3 processes in opens_by_pid (max 10240)
 *         PID   OPENS  FIRST(s ago)  LAST(s ago)  COMM
 *        4242      37         1.520        0.010  lab3-qwertyui
 */
export function printTable(rows: readonly ProcessRow[], map: { name: string; maxEntries: number }): void {
  // process.hrtime reads CLOCK_MONOTONIC, the clock bpf_ktime_get_ns() reads in the kernel.
  const now = process.hrtime.bigint();
  const time = new Date().toTimeString().slice(0, 8);
  const lines = [
    `[${time}] ${rows.length} process${rows.length === 1 ? "" : "es"} in ${map.name} (max ${map.maxEntries})`,
    `${"PID".padStart(7)} ${"OPENS".padStart(7)}  FIRST(s ago)  LAST(s ago)  COMM`,
    ...rows.map((r) =>
      [
        String(r.pid).padStart(7),
        String(r.opens).padStart(7),
        secondsAgo(r.first_seen_ns, now).padStart(13),
        secondsAgo(r.last_seen_ns, now).padStart(12),
        "",
        r.comm,
      ].join(" "),
    ),
  ];
  // One write per table: its lines arrive together, never interleaved with other output.
  process.stdout.write(lines.join("\n") + "\n\n");
}
