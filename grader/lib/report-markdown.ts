// Markdown for a CI job summary ($GITHUB_STEP_SUMMARY): the score per lab in a table, then
// each failed check with its message and hint (the full details are in the JUnit report).
import { progressBar } from "./progress-bar.ts";
import type { GradeReport } from "./results.ts";

export function markdownReport(report: GradeReport): string {
  const lines = [`## Grade: ${report.score}/${report.max}`, "", "| Lab | Score | Progress | Failed checks |", "| --- | ---: | --- | ---: |"];
  for (const lab of report.labs) {
    const failed = lab.checks.filter((c) => !c.passed).length;
    lines.push(`| ${cell(`${lab.lab} (${lab.slug})`)} | ${lab.score}/${lab.max} | \`${progressBar(lab.score, lab.max, 10)}\` | ${failed} |`);
  }
  lines.push(`| **Total** | **${report.score}/${report.max}** | \`${progressBar(report.score, report.max, 10)}\` | ${report.labs.flatMap((l) => l.checks).filter((c) => !c.passed).length} |`);
  for (const lab of report.labs) {
    const failed = lab.checks.filter((c) => c.failure);
    if (failed.length === 0) continue;
    lines.push("", `### ${lab.lab} (${lab.slug}): ${lab.score}/${lab.max}`, "");
    if (lab.buildError) lines.push("The BPF code did not compile:", "", "```", lab.buildError, "```", "");
    for (const c of failed) {
      const hint = c.failure?.hint ? ` (hint: ${inline(c.failure.hint)})` : "";
      lines.push(`- **${inline(c.name)}** (${c.points} points): ${inline(c.failure?.message ?? "")}${hint}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Text inside a table cell: a pipe would end the cell, a newline the row. */
function cell(text: string): string {
  return inline(text).replaceAll("|", "\\|");
}

function inline(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replaceAll("<", "&lt;");
}
