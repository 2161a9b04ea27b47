// `npm run status`: every lab with its last score (from .grades/<lab>.json), like a
// progress board. Reads files only: no root, no kernel.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { cliLayout } from "./lib/layout.ts";
import { progressBoard, type LabProgress } from "./lib/progress.ts";
import { readLabReadme, readmeTitle } from "./lib/readme.ts";
import { checksFile, discoverLabs } from "./lib/registry.ts";
import { painter } from "./lib/report.ts";
import { formatReport, reportFormats, type ReportFormat } from "./lib/report-formats.ts";
import { loadLabResult, summarize, type LabResult } from "./lib/results.ts";
import { loadLabSpec } from "./lib/runner.ts";

const usage = `usage: npm run status                        every lab with its last score
       npm run -s status -- --report FORMAT   the last grades as a ${reportFormats.join("|")} report (CI job summaries)`;

let report: ReportFormat | undefined;
try {
  const { values } = parseArgs({ options: { report: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (values.report !== undefined && !(reportFormats as readonly string[]).includes(values.report)) throw new Error(`--report must be one of ${reportFormats.join(", ")}`);
  report = values.report as ReportFormat | undefined;
} catch (err) {
  console.error(`status: ${err instanceof Error ? err.message : String(err)}\n${usage}`);
  process.exit(2);
}

const layout = cliLayout();
const labs = discoverLabs(layout);
if (labs.length === 0) {
  console.error(`status: no labs in ${layout.labsDir}`);
  process.exit(2);
}

if (report) {
  // The saved grades, as `npm run grade -- --report` would have written them.
  const saved = labs.map((lab) => loadLabResult(layout, lab.id)).filter((r): r is LabResult => r !== undefined);
  process.stdout.write(formatReport(summarize(saved), report));
  process.exit(0);
}

const rows: LabProgress[] = [];
for (const lab of labs) {
  const last = loadLabResult(layout, lab.id);
  const row: LabProgress = { lab, title: readmeTitle(readLabReadme(layout, lab)) ?? lab.slug, ...(last && { last }) };
  // What an ungraded lab is worth comes from its checks (a checks file being written may not load yet).
  if (!last && existsSync(checksFile(layout, lab))) {
    const spec = await loadLabSpec(layout, lab).catch(() => undefined);
    if (spec) row.max = spec.checks.reduce((sum, c) => sum + c.points, 0);
  }
  rows.push(row);
}
console.log(progressBoard(rows, new Date(), painter(process.stdout)).join("\n"));
if (rows.some((r) => !r.last)) console.log("\nnpm run grade <lab> grades a lab; npm run hint <lab> when you are stuck");
