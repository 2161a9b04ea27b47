// `npm run grade [lab ...]`: grades labs on the real kernel and prints Score: N/M.
// Exit code: 0 at full marks, 1 below, 2 when grading could not start.
import { existsSync } from "node:fs";
import { relative } from "node:path";
import { parseOrExit } from "./lib/args.ts";
import { exitOnSignals } from "./lib/cleanup.ts";
import { cliLayout } from "./lib/layout.ts";
import { checksFile, discoverLabs, resolveLab, type LabInfo } from "./lib/registry.ts";
import { echoLoader, silentReporter, textReporter, writeScore } from "./lib/report.ts";
import { exitCode, saveLabResult, summarize, type LabResult } from "./lib/results.ts";
import { gradeLab } from "./lib/runner.ts";
import { preflightProblems } from "./preflight.ts";

const usage = `usage: npm run grade [lab ...] [-- --solution --json --verbose]
  lab         lab1, 1, lab01 or its name (hello); no lab grades them all
  --solution  grade solutions/ instead of labs/
  --json      print the results as JSON (they are always saved in .grades/<lab>.json)
  --verbose   show everything the loader prints`;

function fail(message: string): never {
  console.error(`grade: ${message}`);
  process.exit(2);
}

const args = parseOrExit(process.argv.slice(2), usage);
const problems = preflightProblems(["npm run grade", ...args.labs].join(" "));
if (problems.length > 0) fail(`this machine is not ready for the labs:\n  ${problems.join("\n  ")}`);

const layout = cliLayout();
const available = discoverLabs(layout);
let requested: LabInfo[];
try {
  requested = [...new Set(args.labs.map((name) => resolveLab(available, name)))];
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
// A lab whose checks are not written yet: an error when asked for by name, a note otherwise.
const hasChecks = (lab: LabInfo) => existsSync(checksFile(layout, lab));
const unchecked = (requested.length > 0 ? requested : available).filter((lab) => !hasChecks(lab));
const noChecks = (lab: LabInfo) => `${lab.id}: no checks yet (${relative(layout.root, checksFile(layout, lab))})`;
if (requested.length > 0 && unchecked.length > 0) fail(unchecked.map(noChecks).join("\n"));
for (const lab of unchecked) console.error(`grade: skipping ${noChecks(lab)}`);
const labs = requested.length > 0 ? requested : available.filter(hasChecks);
if (labs.length === 0) fail(`no labs to grade in ${layout.labsDir}`);

exitOnSignals();
// `npm run grade | head` closes our stdout early: stop quietly (exit handlers still kill and remove everything).
process.stdout.on("error", (err: NodeJS.ErrnoException) => process.exit(err.code === "EPIPE" ? 1 : 2));
const results: LabResult[] = [];
try {
  for (const lab of labs) {
    const result = await gradeLab(lab, {
      layout,
      solution: args.solution,
      reporter: args.json ? silentReporter : textReporter(),
      ...(args.verbose && { echo: echoLoader(args.json ? process.stderr : process.stdout) }),
    });
    saveLabResult(layout, result);
    results.push(result);
  }
} catch (err) {
  // A broken checks file or a grader bug: not the student's fault, so say so plainly.
  fail(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
}

const report = summarize(results);
if (args.json) console.log(JSON.stringify(report, null, 2));
else writeScore(report);
process.exit(exitCode(report));
