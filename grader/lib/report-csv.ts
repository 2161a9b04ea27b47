// One row per check, for a spreadsheet: lab,check,points,max,passed (points earned, out of max).
import type { GradeReport } from "./results.ts";

export function csvReport(report: GradeReport): string {
  const rows = [["lab", "check", "points", "max", "passed"]];
  for (const lab of report.labs) {
    for (const c of lab.checks) rows.push([lab.lab, c.name, String(c.passed ? c.points : 0), String(c.points), String(c.passed)]);
  }
  return rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
