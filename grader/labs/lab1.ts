// Lab 1 (hello): every execve() on the machine is reported with the file being executed and
// the id of the process executing it. Workload: fresh copies of /bin/true with random names,
// each run a random number of times, plus one exec'd from a second thread (whose thread id
// is not its process id).
import { check, defineLab, once, type CheckContext } from "../lib/lab.ts";
import { mentionsNumber, mentionsPath, type LineExpectation } from "../lib/match.ts";
import { randomInt, type ProcessRun } from "../lib/workload.ts";

const example = "hello from execve: pid 4242 file /tmp/grade-x/prog-abc";
const saysHello = (line: string) => line.includes("hello from execve");

/** Runs the workload once per grading, then waits until the loader has printed about it. */
const execs = once(async (t: CheckContext) => {
  const loader = await t.loader();
  const runs: ProcessRun[] = [];
  for (const program of await t.workload.executables(randomInt(2, 4))) {
    for (let n = randomInt(1, 3); n > 0; n--) runs.push(await t.workload.run(program));
  }
  const [lonely] = await t.workload.executables(1);
  const threaded = await t.workload.runFromThread(lonely!);
  await loader.waitForLines(linesNaming([...runs, threaded]));
  return { loader, runs, threaded, dir: await t.workload.tempDir() };
});

/** Per program: as many lines naming it as times it ran. */
function linesNaming(runs: readonly ProcessRun[]): LineExpectation[] {
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.file, (counts.get(run.file) ?? 0) + 1);
  return [...counts].map(([file, count]) => ({ label: `lines naming ${file}`, count, matches: (line) => mentionsPath(line, file) }));
}

function lineWithPid(run: ProcessRun, pid: number): LineExpectation {
  return { label: `${run.file} with pid ${pid}`, count: 1, matches: (line) => mentionsPath(line, run.file) && mentionsNumber(line, pid) };
}

export default defineLab({
  loader: "hello.ts",
  attachments: 1,
  requires: ["btf", "tracepoint", "probe-read-user-str"],
  checks: [
    check("loads and attaches", 1, async (t) => void (await t.loader()), { hint: 1 }),

    check("reports each exec with its file name", 3, async (t) => {
      const { loader, runs, threaded, dir } = await execs(t);
      loader.expectLines(linesNaming([...runs, threaded]), {
        expected: `one line per exec naming the file executed, like "${example}"`,
        relevant: (line) => line.includes(dir),
        hint: loader.stdout.some(saysHello) ? 2 : [1, 4],
      });
    }),

    check("reports each exec with its pid", 3, async (t) => {
      const { loader, runs, dir } = await execs(t);
      loader.expectLines(runs.map((run) => lineWithPid(run, run.pid)), {
        expected: `each exec's line shows the pid of the process that called execve, like "${example}"`,
        relevant: (line) => line.includes(dir),
        hint: 3,
      });
    }),

    check("reports the process id (tgid), not the thread id", 2, async (t) => {
      const { loader, threaded } = await execs(t);
      const showsTid = loader.stdout.some((line) => mentionsPath(line, threaded.file) && mentionsNumber(line, threaded.tid));
      loader.expectLines([lineWithPid(threaded, threaded.pid)], {
        expected: `${threaded.file} was executed by thread ${threaded.tid} of process ${threaded.pid}: its line shows ${threaded.pid}`,
        relevant: (line) => mentionsPath(line, threaded.file),
        hint: showsTid
          ? `your line shows the thread id ${threaded.tid}: bpf_get_current_pid_tgid() holds the process id in its upper 32 bits (hint 3 in the README)`
          : 3,
      });
    }),
  ],
});
