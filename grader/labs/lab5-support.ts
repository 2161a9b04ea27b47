// Lab 5's plumbing, kept out of lab5.ts so the checks read on one screen: the opener workload
// (grader/workloads/lab5-opener.c), counting a burst's lines as they arrive, and a second copy
// of the student's loader, started with --pid, paused and resumed at will.
import { join } from "node:path";
import { compileWorkload, type CompiledWorkload } from "../lib/compiled-workload.ts";
import { CheckFailure, type MarkedLine } from "../lib/failure.ts";
import { LoaderProcess } from "../lib/loader.ts";
import { mentionsNumber } from "../lib/match.ts";
import { stderrExcerpt } from "../lib/stderr.ts";
import { defaultReadyTimeoutMs, scaled } from "../lib/timing.ts";
import { randomInt, type Workload } from "../lib/workload.ts";

/** The opener, compiled once per lab run under a random name lab5-xxxxxxxx (its comm). */
export const compileOpener = (workload: Workload): Promise<CompiledWorkload> => compileWorkload(workload, "lab5-opener.c", { prefix: "lab5" });

/** A uid no real account uses, so the lines it appears on are the workload's. */
export const randomUid = (): number => randomInt(20_000, 60_000);

/** Counts, line by line as they arrive, the loader's lines about one burst of opens. */
export class BurstTally {
  /** Lines naming a path of the burst. */
  lines = 0;
  /** Of those, lines that do not show the workload's pid. */
  wrongPid = 0;
  readonly distinct = new Set<number>();
  readonly samples: string[] = [];
  /** The number on the last line mentioning drops, if any. */
  lastDropReport: number | undefined;
  private scanned = 0;
  private readonly pathIndex: RegExp;

  constructor(readonly prefix: string, readonly pid: number) {
    this.pathIndex = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\d+)`);
  }

  update(stdout: readonly string[]): this {
    for (; this.scanned < stdout.length; this.scanned++) {
      const line = stdout[this.scanned]!;
      const index = this.pathIndex.exec(line);
      if (index) {
        this.lines++;
        this.distinct.add(Number(index[1]));
        if (!mentionsNumber(line, this.pid)) this.wrongPid++;
        if (this.samples.length < 5) this.samples.push(line);
      } else if (/\bdrop/i.test(line)) {
        const number = /\d+/.exec(line);
        if (number) this.lastDropReport = Number(number[0]);
      }
    }
    return this;
  }
}

/** A test that turns true once `lines` has not grown for `ms`: the loader has caught up (or gave up). */
export function stopsGrowing(lines: readonly string[], ms: number): () => boolean {
  let length = lines.length;
  let since = Date.now();
  return () => {
    if (lines.length !== length) {
      length = lines.length;
      since = Date.now();
    }
    return Date.now() - since >= ms;
  };
}

/**
 * Starts a second copy of the lab's loader, `node --import tsx <dir>/<file> ...args`, besides
 * the one the grader runs for every check, and resolves once it holds a BPF attachment.
 */
export async function startAnotherLoader(dir: string, file: string, args: readonly string[]): Promise<LoaderProcess> {
  const loader = LoaderProcess.start(join(dir, file), { cwd: dir, args });
  const readiness = await loader.waitForAttachments(1, scaled(defaultReadyTimeoutMs));
  if (readiness.state === "attached") return loader;
  await loader.stop();
  const command = `node --import tsx ${file} ${args.join(" ")}`;
  throw new CheckFailure(`${command} ${readiness.state === "exited" ? readiness.how : "did not attach in time"}`, {
    expected: `${command} attaches and keeps running until Ctrl-C`,
    seenTitle: "its output (! is stderr)",
    seen: [...loader.stdout.slice(-5).map((text): MarkedLine => ({ mark: " ", text })), ...stderrExcerpt(loader.stderr, `run it yourself: node --import tsx ${join(dir, file)} --pid 1`)],
    hint: "the grader starts a second copy of your loader with --pid <the workload's pid>: keep the --pid option of the starter",
  });
}


/** Sends `signal` to the loader's process group (SIGSTOP pauses it, SIGCONT resumes it). */
export function signalLoader(loader: LoaderProcess, signal: "SIGSTOP" | "SIGCONT"): void {
  try {
    if (loader.pid !== undefined) process.kill(-loader.pid, signal);
  } catch {
    // Already gone: nothing left to pause or resume.
  }
}
