// The vocabulary of a lab's checks file (grader/labs/labN.ts): defineLab, check, once.
// A checks file declares; everything that runs, times and prints lives in the library.
import { isFeatureName, type Requirement } from "./features.ts";
import type { LoaderProcess } from "./loader.ts";
import type { Workload } from "./workload.ts";

export interface LoaderStart {
  /** Command-line arguments for the loader (e.g. a random interface name). */
  args?: readonly string[];
}

/** What a check gets: the lab's running loader and a workload to exercise it with. */
export interface CheckContext {
  /**
   * The lab's loader, started on first use and resolved once it holds the lab's number of
   * BPF attachments; every later call returns the same process (one loader per lab run, so
   * a later call asking for other `args` throws). Throws a CheckFailure (with the loader's
   * stderr) if the loader exits or times out first.
   */
  loader(start?: LoaderStart): Promise<LoaderProcess>;
  /** The directory being graded (labs/labN-slug or solutions/labN-slug), e.g. to open its BPF objects. */
  readonly dir: string;
  /** Temp files and processes for this lab run, cleaned up after the last check. */
  readonly workload: Workload;
}

/** A hint number (or numbers) in the lab README's "Hints" section, or the words of a hint. */
export type Hint = number | readonly number[] | string;

export type CheckFn = (t: CheckContext) => Promise<void> | void;

export interface CheckOptions {
  /** Which hints in the lab README's "Hints" section help (by number), or the hint itself. */
  hint?: Hint;
  /** Fails the check if it runs longer; defaults to timing.defaultCheckTimeoutMs. */
  timeoutMs?: number;
}

export interface Check extends CheckOptions {
  name: string;
  points: number;
  run: CheckFn;
}

export interface LabSpec {
  /** The loader file, relative to the lab directory: "hello.ts". */
  loader: string;
  /** How many BPF attachments (links) the loader holds once it is ready. */
  attachments: number;
  /** How long the loader may take to get there; defaults to timing.defaultReadyTimeoutMs. */
  readyTimeoutMs?: number;
  /**
   * Kernel features the lab cannot work without ("ringbuf", "xdp-link": see features.ts).
   * Probed before grading: on a kernel that lacks one, no check runs and the result says which.
   */
  requires?: readonly Requirement[];
  checks: readonly Check[];
}

/** Declares one check: passing it earns `points`; it passes unless `run` throws. */
export function check(name: string, points: number, run: CheckFn, options: CheckOptions = {}): Check {
  return { name, points, run, ...options };
}

/** Declares a lab; validates it at once so a mistake in a checks file is reported at load time. */
export function defineLab(spec: LabSpec): LabSpec {
  const problems: string[] = [];
  if (!spec.loader) problems.push("loader is empty");
  if (!Number.isInteger(spec.attachments) || spec.attachments < 0) problems.push("attachments must be an integer >= 0");
  if (spec.checks.length === 0) problems.push("no checks");
  for (const r of spec.requires ?? []) {
    if (typeof r === "string" && !isFeatureName(r)) problems.push(`requires '${r}', which is not a known kernel feature (grader/lib/features.ts)`);
  }
  const names = new Set<string>();
  for (const c of spec.checks) {
    if (!Number.isInteger(c.points) || c.points <= 0) problems.push(`check '${c.name}': points must be a positive integer`);
    if (names.has(c.name)) problems.push(`check '${c.name}' is declared twice`);
    names.add(c.name);
  }
  if (problems.length > 0) throw new Error(`invalid lab definition: ${problems.join("; ")}`);
  return spec;
}

/** Whether `value` looks like what defineLab returns (what a checks file must export by default). */
export function isLabSpec(value: unknown): value is LabSpec {
  const spec = value as Partial<LabSpec> | null;
  return typeof spec?.loader === "string" && typeof spec.attachments === "number" && Array.isArray(spec.checks);
}

/**
 * Wraps a workload shared by several checks (xv6's parent tests): it runs once per lab run,
 * on first use, and every check gets the same result, or the same failure.
 */
export function once<T>(fn: (t: CheckContext) => Promise<T>): (t: CheckContext) => Promise<T> {
  const results = new WeakMap<CheckContext, Promise<T>>();
  return (t) => {
    let result = results.get(t);
    if (!result) results.set(t, (result = fn(t)));
    return result;
  };
}
