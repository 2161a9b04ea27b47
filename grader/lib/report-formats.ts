// `--report FORMAT`: the whole grade as one file, for an instructor's tools (a CI test
// report, a spreadsheet, a job summary) rather than for the student's terminal.
import type { GradeReport } from "./results.ts";
import { csvReport } from "./report-csv.ts";
import { junitReport } from "./report-junit.ts";
import { markdownReport } from "./report-markdown.ts";

export const reportFormats = ["junit", "csv", "json", "markdown"] as const;
export type ReportFormat = (typeof reportFormats)[number];

/** The report's text in `format`; ends with a newline. */
export function formatReport(report: GradeReport, format: ReportFormat): string {
  switch (format) {
    case "junit":
      return junitReport(report);
    case "csv":
      return csvReport(report);
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "markdown":
      return markdownReport(report);
  }
}
