// JUnit XML, which CI systems show as a test report: one <testsuite> per lab, one
// <testcase> per check, and a failed check's <failure> carries what the terminal shows
// (message, expected, seen, missing, hint).
import { failureLines } from "./report.ts";
import type { GradeReport, LabResult } from "./results.ts";

export function junitReport(report: GradeReport): string {
  const checks = report.labs.flatMap((lab) => lab.checks);
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="grade" tests="${checks.length}" failures="${failures(checks)}" time="${seconds(checks)}">`,
    ...report.labs.flatMap(testsuite),
    `</testsuites>`,
  ];
  return `${lines.join("\n")}\n`;
}

function testsuite(lab: LabResult): string[] {
  const attributes = `name="${xml(`${lab.lab} (${lab.slug})`)}" tests="${lab.checks.length}" failures="${failures(lab.checks)}" errors="0" time="${seconds(lab.checks)}" timestamp="${xml(lab.timestamp)}"`;
  return [
    `  <testsuite ${attributes}>`,
    `    <properties>`,
    `      <property name="dir" value="${xml(lab.dir)}"/>`,
    `      <property name="score" value="${lab.score}"/>`,
    `      <property name="max" value="${lab.max}"/>`,
    `    </properties>`,
    ...lab.checks.map((c) => {
      const open = `    <testcase classname="${xml(lab.lab)}" name="${xml(c.name)}" time="${c.seconds}"`;
      if (!c.failure) return `${open}/>`;
      const body = failureLines(c.failure).join("\n");
      return `${open}>\n      <failure message="${xml(c.failure.message)}" type="check failed (${c.points} points)">${xml(body)}</failure>\n    </testcase>`;
    }),
    ...(lab.buildError ? [`    <system-err>${xml(`the BPF code did not compile; clang said:\n${lab.buildError}`)}</system-err>`] : []),
    `  </testsuite>`,
  ];
}

function failures(checks: readonly { passed: boolean }[]): number {
  return checks.filter((c) => !c.passed).length;
}

function seconds(checks: readonly { seconds: number }[]): string {
  return checks.reduce((sum, c) => sum + c.seconds, 0).toFixed(1);
}

/**
 * Escapes text for an attribute or element. A loader's output may hold control characters
 * (colors, stray bytes) that XML 1.0 forbids even escaped: they become U+FFFD.
 */
export function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}
