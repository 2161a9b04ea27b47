// Lab 5 (ring buffer): every openat() reaches the loader as one {pid, uid, comm, filename}
// record through a BPF ring buffer: in order, none lost while the ring has room, and every
// record that did not fit counted. Workload: grader/workloads/lab5-opener.c, compiled under a
// random name (its comm), run as a random uid, trying to open random paths (they need not
// exist: the tracepoint fires on the attempt).
import { basename, join } from "node:path";
import { CheckFailure, type MarkedLine } from "../lib/failure.ts";
import { check, defineLab, once, type CheckContext, type Hint } from "../lib/lab.ts";
import { mentionsPath, mentionsNumber, plural, type LineExpectation } from "../lib/match.ts";
import type { LoaderProcess } from "../lib/loader.ts";
import { startHeld } from "../lib/compiled-workload.ts";
import { waitUntil } from "../lib/processes.ts";
import { scaled } from "../lib/timing.ts";
import { randomInt, randomName } from "../lib/workload.ts";
import { BurstTally, compileOpener, randomUid, signalLoader, startAnotherLoader, stopsGrowing } from "./lab5-support.ts";

const loaderFile = "opensnoop.ts";
const example = "pid 4242 uid 31337 comm lab5-abcdefgh file /tmp/grade-x/open-abcdefgh";
/** The starter's ring (8 MiB) holds about 29000 records of 288 bytes: a flood must exceed it. */
const floodSize = { min: 40_000, max: 60_000 };

/** A few random paths opened one by one; waits until the loader has printed about each. */
const namedOpens = once(async (t: CheckContext) => {
  const loader = await t.loader();
  const program = await compileOpener(t.workload);
  const dir = await t.workload.tempDir();
  const files = Array.from({ length: randomInt(3, 6) }, () => join(dir, `open-${randomName()}`));
  const uid = randomUid();
  const run = await t.workload.run(program.binary, [String(uid), ...files]);
  if (run.code !== 0) throw new Error(`the workload ${run.file} failed (exit code ${run.code}): ${run.stderr.trim()}`);
  const who = { pid: run.pid, uid, comm: program.comm };
  await loader.waitForLines(files.map((file) => ({ label: file, matches: (line: string) => mentionsPath(line, file) })));
  return { loader, files, who, dir };
});

/** Thousands of opens as fast as a C loop goes, while the lab's loader runs normally. */
const burst = once(async (t: CheckContext) => {
  const loader = await t.loader();
  const program = await compileOpener(t.workload);
  const count = randomInt(5_000, 20_000);
  const prefix = join(await t.workload.tempDir(), `burst-${randomName()}-`);
  const run = await t.workload.run(program.binary, [String(randomUid()), "--burst", String(count), prefix]);
  if (run.code !== 0) throw new Error(`the workload ${run.file} failed (exit code ${run.code}): ${run.stderr.trim()}`);
  const tally = new BurstTally(prefix, run.pid);
  await loader.waitForOutput((lines) => tally.update(lines).lines >= count, scaled(10_000));
  return { count, tally: tally.update(loader.stdout) };
});

/**
 * More opens than the ring holds, by one process, while a loader that traces only that
 * process (--pid) is paused (SIGSTOP): a consumer that reads nothing, as in a long GC pause.
 * The ring fills, the rest must be counted as dropped; then the loader resumes, catches up,
 * and is stopped with Ctrl-C (SIGINT) so it reports its final count.
 */
const flood = once(async (t: CheckContext) => {
  const program = await compileOpener(t.workload);
  const count = randomInt(floodSize.min, floodSize.max);
  const prefix = join(await t.workload.tempDir(), `flood-${randomName()}-`);
  // The workload waits for a line on stdin: its pid is known before it opens anything.
  const work = await startHeld(program.binary, [String(randomUid()), "--burst", String(count), prefix], "stdin");
  let loader: LoaderProcess | undefined;
  try {
    loader = await startAnotherLoader(t.dir, loaderFile, ["--pid", String(work.pid)]);
    signalLoader(loader, "SIGSTOP");
    await work.release();
    signalLoader(loader, "SIGCONT");
    const tally = new BurstTally(prefix, work.pid);
    const output = loader.stdout;
    const caughtUp = stopsGrowing(output, scaled(2_000));
    await waitUntil(() => tally.update(output).lines + (tally.lastDropReport ?? 0) >= count || caughtUp(), scaled(10_000));
    await loader.stop(); // resolves once its last lines (the drop count) are read
    return { count, pid: work.pid, tally: tally.update(loader.stdout), loader };
  } finally {
    if (loader) {
      signalLoader(loader, "SIGCONT"); // a stopped process cannot act on SIGINT
      await loader.stop();
    }
    await work.stop();
  }
});

/** The loader's lines that mention `dir`, for a failure report. */
function linesAbout(stdout: readonly string[], dir: string, what: string): { seenTitle: string; seen: MarkedLine[] } {
  const lines = stdout.filter((line) => line.includes(dir));
  if (lines.length === 0) return { seenTitle: `loader output: no line names ${what}`, seen: [] };
  return { seenTitle: `loader output about ${what}, in order`, seen: lines.slice(0, 20).map((text): MarkedLine => ({ mark: "-", text })) };
}

/** Every line the checks below expect for the named opens: one per file, showing who opened it. */
function linesForOpens(files: readonly string[], who: { pid: number; uid: number; comm: string }): LineExpectation[] {
  return files.map((file) => ({
    label: `${file} with pid ${who.pid}, uid ${who.uid} and comm ${who.comm}`,
    count: 1,
    matches: (line) => mentionsPath(line, file) && mentionsNumber(line, who.pid) && mentionsNumber(line, who.uid) && line.includes(who.comm),
  }));
}

function burstFailure(message: string, count: number, tally: BurstTally, expected: string, hint: Hint): CheckFailure {
  const firstMissing = Array.from({ length: count }, (_, i) => i).find((i) => !tally.distinct.has(i));
  return new CheckFailure(message, {
    expected,
    seenTitle: tally.lines === 0 ? `loader output: no line names ${tally.prefix}<n>` : `${plural(tally.lines, "line")} naming ${tally.prefix}<n> (${tally.distinct.size} different), for example`,
    seen: tally.samples.map((text): MarkedLine => ({ mark: "+", text })),
    ...(firstMissing !== undefined && tally.lines > 0 && { missing: [`${tally.prefix}${firstMissing} (the first one missing)`] }),
    hint,
  });
}

export default defineLab({
  loader: loaderFile,
  attachments: 1,
  requires: ["btf", "tracepoint", "ringbuf", "probe-read-user-str"],
  checks: [
    check("loads and attaches", 1, async (t) => void (await t.loader()), { hint: 1 }),

    check("reports each open once, with pid, uid, comm and file name", 3, async (t) => {
      const { loader, files, who, dir } = await namedOpens(t);
      const named = loader.stdout.some((line) => files.some((file) => mentionsPath(line, file)));
      loader.expectLines(linesForOpens(files, who), {
        expected: `one line per open, like "${example}"`,
        relevant: (line) => line.includes(dir),
        hint: named ? 3 : 2,
      });
    }),

    check("reports the opens in the order they happened", 1, async (t) => {
      const { loader, files, dir } = await namedOpens(t);
      const positions = files.map((file) => loader.stdout.findIndex((line) => mentionsPath(line, file)));
      if (positions.every((at, i) => at >= 0 && (i === 0 || at > positions[i - 1]!))) return;
      throw new CheckFailure("the opens are missing or out of order", {
        expected: `lines naming ${files.map((f) => basename(f)).join(", ")}, in that order`,
        ...linesAbout(loader.stdout, dir, "the opened files"),
        hint: positions.some((at) => at >= 0) ? 4 : 2,
      });
    }),

    check("a burst of thousands of opens arrives with none lost", 3, async (t) => {
      const { count, tally } = await burst(t);
      const expected = `${count} lines, one per path ${tally.prefix}0 to ${tally.prefix}${count - 1}, with pid ${tally.pid}`;
      if (tally.lines === 0) throw burstFailure(`none of the burst's ${count} opens was printed`, count, tally, expected, 2);
      if (tally.distinct.size < count) throw burstFailure(`only ${tally.distinct.size} of ${count} opens arrived`, count, tally, expected, 6);
      if (tally.lines !== count) throw burstFailure(`${tally.lines} lines for ${count} opens: some printed twice`, count, tally, expected, 4);
      if (tally.wrongPid > 0) throw burstFailure(`${tally.wrongPid} lines do not show pid ${tally.pid}`, count, tally, expected, 3);
    }),

    check("reports events dropped when the ring is full", 2, async (t) => {
      const { count, pid, tally, loader } = await flood(t);
      const dropped = tally.lastDropReport;
      if (dropped !== undefined && dropped > 0) return;
      throw new CheckFailure(dropped === undefined ? "the loader printed no line about dropped events" : `the loader reported ${dropped} dropped events`, {
        expected: `with --pid ${pid} and the loader paused while ${count} opens happened (the ring holds ~29000), a line like "dropped ${count - 29_000} events", when the count changes and at exit`,
        seenTitle: `the loader's last lines (it printed ${plural(tally.lines, "line")} about the opens)`,
        seen: loader.stdout.slice(-8).map((text): MarkedLine => ({ mark: " ", text })),
        hint: 5,
      });
    }),

    check("counts drops exactly: received + dropped = opened", 2, async (t) => {
      const { count, pid, tally, loader } = await flood(t);
      const dropped = tally.lastDropReport ?? 0;
      if (tally.lines + dropped === count && tally.wrongPid === 0) return;
      const wrongPid = tally.wrongPid > 0 ? `; ${plural(tally.wrongPid, "line")} show another pid than ${pid}` : "";
      throw new CheckFailure(`${tally.lines} received + ${dropped} dropped = ${tally.lines + dropped}, not ${count}${wrongPid}`, {
        expected: `pid ${pid} tried ${count} opens (loader started with --pid ${pid}): every one is either printed or counted as dropped, once`,
        seenTitle: "the loader's last lines",
        seen: loader.stdout.slice(-8).map((text): MarkedLine => ({ mark: " ", text })),
        hint: tally.lines === 0 ? 4 : 5,
      });
    }),
  ],
});
