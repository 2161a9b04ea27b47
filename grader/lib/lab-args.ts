// Which lab a classroom command (hint, status, reset) is about: the one named, or else the
// one graded last, which is usually the one being worked on.
import type { CourseLayout } from "./layout.ts";
import { resolveLab, type LabInfo } from "./registry.ts";
import { loadLabResult } from "./results.ts";

/** The lab `name` names; without a name, the lab graded most recently (undefined if none was). */
export function labNamedOrLast(layout: CourseLayout, labs: readonly LabInfo[], name: string | undefined): LabInfo | undefined {
  if (name !== undefined) return resolveLab(labs, name);
  let last: { lab: LabInfo; at: number } | undefined;
  for (const lab of labs) {
    const at = Date.parse(loadLabResult(layout, lab.id)?.timestamp ?? "");
    if (Number.isFinite(at) && (!last || at > last.at)) last = { lab, at };
  }
  return last?.lab;
}
