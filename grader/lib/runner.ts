// Grading one lab: build its BPF code, run its checks in order against one shared loader,
// time and score each, and always clean up.
import { relative } from "node:path";
import { pathToFileURL } from "node:url";
import { buildLab } from "./build.ts";
import { LabRun } from "./context.ts";
import { CheckFailure } from "./failure.ts";
import { unmetRequirements } from "./features.ts";
import { isLabSpec, type Check, type Hint, type LabSpec } from "./lab.ts";
import type { CourseLayout } from "./layout.ts";
import type { OutputLine } from "./loader.ts";
import { checksFile, labDir, type LabInfo } from "./registry.ts";
import type { Reporter } from "./report.ts";
import type { CheckResult, FailureReport, LabResult } from "./results.ts";
import { defaultCheckTimeoutMs, scaled, secondsSince } from "./timing.ts";
import { otherTracePipeReaders, tracePipePath } from "./tracefs.ts";

export interface GradeOptions {
  layout: CourseLayout;
  /** Grade solutions/ instead of labs/. */
  solution: boolean;
  reporter: Reporter;
  /** Receives every line the loader prints (--verbose). */
  echo?: (line: OutputLine) => void;
  /** Grade this directory instead of the lab's own (tests grade modified copies this way). */
  dir?: string;
}

/** Loads `grader/labs/labN.ts`; a missing or malformed file is the course's bug, so it throws. */
export async function loadLabSpec(layout: CourseLayout, lab: LabInfo): Promise<LabSpec> {
  const file = checksFile(layout, lab);
  const module: { default?: unknown } = await import(pathToFileURL(file).href).catch((err: unknown) => {
    throw new Error(`cannot load the checks for ${lab.id} from ${relative(layout.root, file)}: ${String(err)}`);
  });
  if (!isLabSpec(module.default)) throw new Error(`${relative(layout.root, file)} must \`export default defineLab({...})\``);
  return module.default;
}

export async function gradeLab(lab: LabInfo, options: GradeOptions): Promise<LabResult> {
  const { layout, reporter } = options;
  const spec = await loadLabSpec(layout, lab);
  const dir = options.dir ?? labDir(layout, lab, options.solution);
  const shownDir = relative(layout.root, dir) || dir;
  reporter.labStarted(lab, shownDir);

  const checks: CheckResult[] = [];
  const notRun = (message: string) => {
    for (const c of spec.checks) {
      checks.push({ name: c.name, points: c.points, passed: false, seconds: 0, failure: { message } });
      reporter.checkFinished(checks.at(-1)!);
    }
  };
  // The kernel first: no build or loader can make up for a feature it lacks.
  const unsupported = (await unmetRequirements(spec.requires ?? [], lab.id)).map((u) => u.message);
  const build = unsupported.length > 0 ? undefined : await buildLab(dir);
  if (!build) {
    reporter.kernelLacks(unsupported);
    notRun(`not run: ${unsupported.join("; ")}`);
  } else if (!build.ok) {
    reporter.buildFailed(build.message);
    notRun("not run: the BPF code did not compile (clang's errors are above)");
  } else {
    const run = new LabRun(spec, { dir, root: layout.root, ...(options.echo && { echo: options.echo }) });
    const hintFor = hintPhraser(relative(layout.root, labDir(layout, lab, false)), lab.id);
    const explained = new Map<unknown, string>();
    try {
      for (const c of spec.checks) {
        const result = await runCheck(c, run, hintFor, explained);
        checks.push(result);
        reporter.checkFinished(result);
      }
    } finally {
      await run.close();
    }
  }

  const result: LabResult = {
    lab: lab.id,
    slug: lab.slug,
    dir: shownDir,
    solution: options.solution,
    timestamp: new Date().toISOString(),
    score: checks.reduce((sum, c) => sum + (c.passed ? c.points : 0), 0),
    max: spec.checks.reduce((sum, c) => sum + c.points, 0),
    ...(build && !build.ok && { buildError: build.message }),
    ...(unsupported.length > 0 && { unsupported }),
    checks,
  };
  reporter.labFinished(result);
  return result;
}

/**
 * Runs one check under its time limit. `explained` remembers which check first reported a
 * shared failure (a loader that never started, a workload that broke), so the checks after
 * it say "see <that check>" instead of repeating the same screenful.
 */
async function runCheck(c: Check, run: LabRun, hintFor: (hint: Hint) => string, explained: Map<unknown, string>): Promise<CheckResult> {
  const start = performance.now();
  const timeoutMs = scaled(c.timeoutMs ?? defaultCheckTimeoutMs);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckFailure(`timed out after ${timeoutMs / 1000}s`)), timeoutMs);
    });
    await Promise.race([Promise.resolve().then(() => c.run(run)), timeout]);
    return { name: c.name, points: c.points, passed: true, seconds: secondsSince(start) };
  } catch (err) {
    const first = explained.get(err);
    let failure: FailureReport;
    if (first !== undefined) {
      failure = { message: `not run: ${errorMessage(err)} (see '${first}' above)` };
    } else {
      explained.set(err, c.name);
      failure = describeFailure(err, c, hintFor);
      const notes = failureNotes(run);
      if (notes.length > 0) failure.notes = notes;
    }
    return { name: c.name, points: c.points, passed: false, seconds: secondsSince(start), failure };
  } finally {
    clearTimeout(timer);
  }
}

function describeFailure(err: unknown, c: Check, hintFor: (hint: Hint) => string): FailureReport {
  if (!(err instanceof CheckFailure)) return { message: `error: ${errorMessage(err)}` };
  const { hint: ownHint, ...details } = err.details;
  const hint = ownHint ?? c.hint;
  return { message: err.message, ...details, ...(hint !== undefined && { hint: hintFor(hint) }) };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Turns hint numbers into where to find them: the lab README's Hints section, or `npm run hint`. */
function hintPhraser(labDirShown: string, labId: string): (hint: Hint) => string {
  return (hint) => {
    if (typeof hint === "string") return hint;
    const numbers = typeof hint === "number" ? [hint] : hint;
    const which = numbers.length === 1 ? `hint ${numbers[0]}` : `hints ${numbers.slice(0, -1).join(", ")} and ${numbers.at(-1)}`;
    return `read ${which} in ${labDirShown}/README.md (section "Hints"), or type: npm run hint ${labId} ${numbers[0]}`;
  };
}

/** Circumstances outside the student's code that can make any check fail. */
function failureNotes(run: LabRun): string[] {
  const readers = otherTracePipeReaders(run.loaderPid === undefined ? [] : [run.loaderPid]);
  return readers.map(
    (r) => `${r.command} (pid ${r.pid}) has ${tracePipePath} open: the trace pipe serves one reader at a time, so your loader cannot open it or misses lines; stop it (kill ${r.pid})`,
  );
}
