// The grade as data: what --json prints and what lands in .grades/<lab>.json.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MarkedLine } from "./failure.ts";
import type { CourseLayout } from "./layout.ts";
import { writeOwnedFile } from "./owner.ts";

export interface FailureReport {
  message: string;
  expected?: string;
  seenTitle?: string;
  seen?: MarkedLine[];
  missing?: string[];
  /** Facts about the machine that may explain the failure (another trace pipe reader...). */
  notes?: string[];
  /** Where to look next, already phrased for the student. */
  hint?: string;
}

export interface CheckResult {
  name: string;
  points: number;
  passed: boolean;
  seconds: number;
  failure?: FailureReport;
}

export interface LabResult {
  lab: string;
  slug: string;
  /** The graded directory, relative to the course root: labs/lab1-hello or solutions/lab1-hello. */
  dir: string;
  solution: boolean;
  /** ISO 8601, when grading finished. */
  timestamp: string;
  score: number;
  max: number;
  /** Absent when the lab's BPF code compiled; clang's diagnostics otherwise. */
  buildError?: string;
  /** The kernel features the lab requires and the kernel lacks, as sentences; no check ran. */
  unsupported?: string[];
  checks: CheckResult[];
}

export interface GradeReport {
  score: number;
  max: number;
  labs: LabResult[];
}

export function summarize(labs: LabResult[]): GradeReport {
  return {
    score: labs.reduce((sum, lab) => sum + lab.score, 0),
    max: labs.reduce((sum, lab) => sum + lab.max, 0),
    labs,
  };
}

/** The exit code of a grading run: 0 only at full marks. */
export function exitCode(report: GradeReport): number {
  return report.labs.length > 0 && report.score === report.max ? 0 : 1;
}

/**
 * Writes `.grades/lab1.json` (or `lab1.solution.json` when grading the reference solution,
 * so that never overwrites a student's record); returns the path.
 */
export function saveLabResult(layout: CourseLayout, result: LabResult): string {
  const file = resultFile(layout, result.lab, result.solution);
  writeOwnedFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** The last saved result of a lab (`lab1`), or undefined if it was never graded (or the file is unreadable). */
export function loadLabResult(layout: CourseLayout, labId: string, solution = false): LabResult | undefined {
  try {
    const result = JSON.parse(readFileSync(resultFile(layout, labId, solution), "utf8")) as Partial<LabResult>;
    return typeof result.score === "number" && typeof result.max === "number" && typeof result.timestamp === "string" ? (result as LabResult) : undefined;
  } catch {
    return undefined;
  }
}

function resultFile(layout: CourseLayout, labId: string, solution: boolean): string {
  return join(layout.gradesDir, `${labId}${solution ? ".solution" : ""}.json`);
}
