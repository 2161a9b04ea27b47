// The labs of a course: discovered from `labs/labN-slug/` directories, addressed by any
// name a student is likely to type (lab1, 1, lab01, hello, lab1-hello).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { CourseLayout } from "./layout.ts";

export interface LabInfo {
  /** 1 for `lab1-hello`. */
  number: number;
  /** "hello" for `lab1-hello`. */
  slug: string;
  /** Canonical name used in output and result files: "lab1". */
  id: string;
  /** Directory name shared by labs/ and solutions/: "lab1-hello". */
  dirName: string;
}

const labDirPattern = /^lab(\d+)-([a-z0-9][a-z0-9-]*)$/;

/** Every lab under `layout.labsDir`, in lab order. */
export function discoverLabs(layout: CourseLayout): LabInfo[] {
  if (!existsSync(layout.labsDir)) return [];
  const labs: LabInfo[] = [];
  for (const entry of readdirSync(layout.labsDir, { withFileTypes: true })) {
    const m = entry.isDirectory() ? labDirPattern.exec(entry.name) : null;
    if (!m) continue;
    const number = Number(m[1]);
    labs.push({ number, slug: m[2]!, id: `lab${number}`, dirName: entry.name });
  }
  return labs.sort((a, b) => a.number - b.number);
}

export class UnknownLabError extends Error {
  constructor(readonly requested: string, readonly available: readonly LabInfo[]) {
    const names = available.map((lab) => `${lab.id} (${lab.slug})`).join(", ") || "none found";
    super(`no lab called '${requested}'; available labs: ${names}`);
    this.name = "UnknownLabError";
  }
}

/** Finds a lab by number (1, lab1, lab01), slug (hello) or directory name (lab1-hello). */
export function resolveLab(labs: readonly LabInfo[], requested: string): LabInfo {
  const name = requested.trim().toLowerCase().replace(/\/$/, "");
  const number = /^(?:lab)?0*(\d+)$/.exec(name);
  const found = labs.find((lab) =>
    number ? lab.number === Number(number[1]) : lab.slug === name || lab.dirName === name,
  );
  if (!found) throw new UnknownLabError(requested, labs);
  return found;
}

/** The directory graded for a lab: the student's copy, or the reference solution. */
export function labDir(layout: CourseLayout, lab: LabInfo, solution: boolean): string {
  return join(solution ? layout.solutionsDir : layout.labsDir, lab.dirName);
}

/** The lab's checks file, `grader/labs/labN.ts`. */
export function checksFile(layout: CourseLayout, lab: LabInfo): string {
  return join(layout.checksDir, `${lab.id}.ts`);
}
