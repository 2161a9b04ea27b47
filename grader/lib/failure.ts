// A failed check: what was expected, what was seen, what to try. Checks throw it; the
// report prints it. Its fields are the student-facing interface of every check.

import type { Hint } from "./lab.ts";

/** How a line of the loader's output is shown under a failure. */
export type Mark =
  | "+" // matched something the check expected
  | "-" // about the check's workload, but not what was expected
  | " " // context: what the loader printed last
  | "!"; // the loader's stderr

export interface MarkedLine {
  mark: Mark;
  text: string;
}

export interface FailureDetails {
  /** What the check wanted, in one sentence. */
  expected?: string;
  /** Title above `seen`, e.g. "loader output (lines about the test programs)". */
  seenTitle?: string;
  /** The relevant lines of the loader's output, marked. */
  seen?: MarkedLine[];
  /** Each thing that was expected and not found. */
  missing?: string[];
  /** A hint for this particular failure; replaces the check's declared hint. */
  hint?: Hint;
}

export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly details: FailureDetails = {},
  ) {
    super(message);
    this.name = "CheckFailure";
  }
}
