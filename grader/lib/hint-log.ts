// Which hints a student has seen, so `npm run hint` gives the next one, one at a time
// (rustlings' way): `.grades/hints.json` maps a lab to how many parts of each hint were shown.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Hint } from "./hints.ts";
import type { CourseLayout } from "./layout.ts";
import { writeOwnedFile } from "./owner.ts";

/** lab id → hint number → parts shown (1: the hint itself, 2: also its first "Still stuck?"). */
export type HintLog = Record<string, Record<string, number>>;

function logFile(layout: CourseLayout): string {
  return join(layout.gradesDir, "hints.json");
}

/** The log, or an empty one if there is none yet (or it is unreadable: hints are no secret). */
export function loadHintLog(layout: CourseLayout): HintLog {
  try {
    const log: unknown = JSON.parse(readFileSync(logFile(layout), "utf8"));
    return log !== null && typeof log === "object" && !Array.isArray(log) ? (log as HintLog) : {};
  } catch {
    return {};
  }
}

export function saveHintLog(layout: CourseLayout, log: HintLog): void {
  writeOwnedFile(logFile(layout), `${JSON.stringify(log, null, 2)}\n`);
}

export interface HintStep {
  hint: Hint;
  /** Index into hint.parts. */
  part: number;
}

/**
 * What to show next. With `number`: the next part of that hint (its last part again once
 * all are shown). Without: the first hint not shown at all; undefined when all have been.
 */
export function nextHint(hints: readonly Hint[], shown: Readonly<Record<string, number>>, number?: number): HintStep | undefined {
  if (number !== undefined) {
    const hint = hints.find((h) => h.number === number);
    return hint && { hint, part: Math.min(shown[number] ?? 0, hint.parts.length - 1) };
  }
  const hint = hints.find((h) => (shown[h.number] ?? 0) === 0);
  return hint && { hint, part: 0 };
}

/** Every part shown so far, in hint order: what `--all` prints again. */
export function shownSoFar(hints: readonly Hint[], shown: Readonly<Record<string, number>>): HintStep[] {
  return hints.flatMap((hint) => Array.from({ length: Math.min(shown[hint.number] ?? 0, hint.parts.length) }, (_, part) => ({ hint, part })));
}
