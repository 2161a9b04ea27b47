// Matching a loader's output against what a workload should have produced, and turning a
// mismatch into a failure that shows the relevant lines (xv6 gradelib's GOOD/BAD/MISSING).
import { CheckFailure, type MarkedLine } from "./failure.ts";
import type { Hint } from "./lab.ts";
import { stderrExcerpt } from "./stderr.ts";

export interface LineExpectation {
  /** What the line should show, in words: "/tmp/x/prog-ab with pid 4242". */
  label: string;
  matches(line: string): boolean;
  /** Exactly how many lines must match; without it, at least one. */
  count?: number;
}

/** What a loader has produced so far. */
export interface LoaderOutput {
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
  /** "exited with code 1" once the loader has ended, else undefined. */
  readonly ended: string | undefined;
}

export interface ExpectOptions {
  /** What the check wanted, in one sentence. */
  expected: string;
  /** Lines worth showing besides the matching ones (e.g. every line about the workload). */
  relevant?: (line: string) => boolean;
  /** Overrides the check's declared hint. */
  hint?: Hint;
}

const shownLines = 20;

/** Throws a CheckFailure unless every expectation holds on the loader's stdout. */
export function expectLines(output: LoaderOutput, expectations: readonly LineExpectation[], options: ExpectOptions): void {
  const missing = unmet(output.stdout, expectations);
  if (missing.length === 0) return;
  throw new CheckFailure(`${missing.length} of ${expectations.length} expected items missing from the loader's output`, {
    expected: options.expected,
    ...excerpt(output, expectations, options.relevant),
    missing,
    ...(options.hint !== undefined && { hint: options.hint }),
  });
}

/** True once every expectation has at least its count of lines: the output has caught up. */
export function caughtUp(lines: readonly string[], expectations: readonly LineExpectation[]): boolean {
  return expectations.every((e) => countMatches(lines, e) >= (e.count ?? 1));
}

/** One description per expectation that does not hold. */
export function unmet(lines: readonly string[], expectations: readonly LineExpectation[]): string[] {
  const problems: string[] = [];
  for (const e of expectations) {
    const seen = countMatches(lines, e);
    const ok = e.count === undefined ? seen >= 1 : seen === e.count;
    if (!ok) problems.push(`${e.label}: wanted ${e.count === undefined ? "a line" : plural(e.count, "line")}, saw ${seen}`);
  }
  return problems;
}

function countMatches(lines: readonly string[], e: LineExpectation): number {
  return lines.reduce((n, line) => (e.matches(line) ? n + 1 : n), 0);
}

/** The lines to show under a failure: matching (+) and relevant (-) ones, or the last lines printed. */
export function excerpt(
  output: LoaderOutput,
  expectations: readonly LineExpectation[],
  relevant: (line: string) => boolean = () => false,
): { seenTitle: string; seen: MarkedLine[] } {
  const marked: MarkedLine[] = [];
  for (const text of output.stdout) {
    if (expectations.some((e) => e.matches(text))) marked.push({ mark: "+", text });
    else if (relevant(text)) marked.push({ mark: "-", text });
  }
  let seenTitle: string;
  let seen: MarkedLine[];
  if (marked.length > 0) {
    seenTitle = "loader output about this check (+ as expected, - not as expected)";
    seen = truncate(marked);
  } else if (output.stdout.length > 0) {
    const last = output.stdout.slice(-10);
    seenTitle = `loader output: nothing about this check; its last ${plural(last.length, "line")} of ${output.stdout.length}`;
    seen = last.map((text) => ({ mark: " ", text }));
  } else {
    seenTitle = "loader output: the loader printed nothing";
    seen = [];
  }
  if (output.ended !== undefined) {
    seenTitle += `; the loader ${output.ended}`;
    seen.push(...stderrExcerpt(output.stderr));
  }
  return { seenTitle, seen };
}

function truncate(lines: MarkedLine[]): MarkedLine[] {
  if (lines.length <= shownLines) return lines;
  return [...lines.slice(0, shownLines), { mark: " ", text: `... ${lines.length - shownLines} more` }];
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `path` appears in `line` as a whole word (not as the prefix of a longer path). */
export function mentionsPath(line: string, path: string): boolean {
  return new RegExp(`(?:^|[\\s=:"'(\\[<])${escapeRegExp(path)}(?=$|[\\s"')\\],;>])`).test(line);
}

/** `n` appears in `line` as a number of its own: not inside a longer number, word or path. */
export function mentionsNumber(line: string, n: number): boolean {
  return new RegExp(`(?<![\\w./-])${n}(?!\\w|[./-]\\w)`).test(line);
}
