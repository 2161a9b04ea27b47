// Printing a grade for a person: one line per check as it finishes, details under a failure,
// `Score: N/M` at the end. The same data goes to JSON through results.ts.
import type { OutputLine } from "./loader.ts";
import type { LabInfo } from "./registry.ts";
import type { CheckResult, FailureReport, GradeReport, LabResult } from "./results.ts";

export interface Reporter {
  labStarted(lab: LabInfo, dir: string): void;
  buildFailed(message: string): void;
  /** The kernel lacks features the lab requires (one sentence each); its checks will not run. */
  kernelLacks(messages: readonly string[]): void;
  checkFinished(result: CheckResult): void;
  labFinished(result: LabResult): void;
}

/** Where a report goes: process.stdout, or anything that collects text (tests). */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

type Write = (text: string) => void;

/** Colors only for a terminal, and never when NO_COLOR is set. */
export function painter(stream: Output) {
  const on = stream.isTTY === true && !process.env.NO_COLOR;
  const paint = (code: number) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { green: paint(32), red: paint(31), yellow: paint(33), dim: paint(2), bold: paint(1) };
}

export type Painter = ReturnType<typeof painter>;

const indent = "    ";

export function textReporter(stream: Output = process.stdout): Reporter {
  const write: Write = (text) => stream.write(`${text}\n`);
  const c = painter(stream);
  return {
    labStarted(lab, dir) {
      write(c.bold(`== ${lab.id} (${lab.slug}): ${dir} ==`));
    },
    buildFailed(message) {
      write(`build: ${c.red("FAIL")}, the BPF code did not compile; clang said:`);
      for (const line of message.split("\n")) write(`${indent}${line}`);
    },
    kernelLacks(messages) {
      for (const message of messages) write(`kernel: ${c.yellow("UNSUPPORTED")}, ${message}`);
    },
    checkFinished(result) {
      const verdict = result.passed ? c.green("OK") : c.red("FAIL");
      write(`${result.name}: ${verdict} ${c.dim(`(${result.seconds}s)`)}`);
      if (result.failure) writeFailure(write, result.failure, c);
    },
    labFinished(result) {
      write(`${result.lab} score: ${result.score}/${result.max}`);
    },
  };
}

function writeFailure(write: Write, failure: FailureReport, c: Painter): void {
  for (const line of failureLines(failure, c)) write(`${indent}${line}`);
}

/**
 * A failure as lines, the way the grader prints it: message, expected, marked output,
 * MISSING items, notes, hint. Without a painter the lines are plain text (for reports).
 */
export function failureLines(failure: FailureReport, c: Painter = painter({ write: () => {} })): string[] {
  const lines = [failure.message];
  if (failure.expected) lines.push(`expected: ${failure.expected}`);
  if (failure.seenTitle) lines.push(`${failure.seenTitle}:`);
  for (const line of failure.seen ?? []) {
    const mark = line.mark === "+" ? c.green("+") : line.mark === "-" || line.mark === "!" ? c.red(line.mark) : "|";
    lines.push(`  ${mark} ${line.text}`);
  }
  for (const missing of failure.missing ?? []) lines.push(`${c.red("MISSING")} ${missing}`);
  for (const note of failure.notes ?? []) lines.push(`${c.yellow("note:")} ${note}`);
  if (failure.hint) lines.push(`${c.yellow("hint:")} ${failure.hint}`);
  return lines;
}

/** The closing line, xv6 style. */
export function writeScore(report: GradeReport, stream: Output = process.stdout): void {
  stream.write(`Score: ${report.score}/${report.max}\n`);
}

/** Reports nothing: for --json, where the whole result is printed at the end. */
export const silentReporter: Reporter = {
  labStarted() {},
  buildFailed() {},
  kernelLacks() {},
  checkFinished() {},
  labFinished() {},
};

/** --verbose: every line of the loader's output as it arrives, marked by stream. */
export function echoLoader(stream: Output): (line: OutputLine) => void {
  return ({ stream: from, text }) => stream.write(`${indent}loader ${from === "stderr" ? "!" : "|"} ${text}\n`);
}
