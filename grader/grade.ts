// `npm run grade [lab ...]`: grades labs on the real kernel and prints Score: N/M.
// Exit code: 0 at full marks, 1 below, 2 when grading could not start.
// On a machine that cannot load BPF (not root, not Linux) it grades under sudo or in the
// course VM instead (lib/host.ts decides where), with the same arguments.
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GUEST_MARKER_ENV } from "../vm/run.ts";
import { parseOrExit, toArgv, type CliArgs } from "./lib/args.ts";
import { exitOnSignals } from "./lib/cleanup.ts";
import { decideWhereToGrade, gradeElsewhere } from "./lib/forward.ts";
import { nowhereAdvice } from "./lib/host.ts";
import { cliLayout, type CourseLayout } from "./lib/layout.ts";
import { writeOwnedFile } from "./lib/owner.ts";
import { checksFile, discoverLabs, labDir, resolveLab, type LabInfo } from "./lib/registry.ts";
import { formatReport } from "./lib/report-formats.ts";
import { echoLoader, silentReporter, textReporter, writeScore, type Output } from "./lib/report.ts";
import { exitCode, saveLabResult, summarize, type LabResult } from "./lib/results.ts";
import { gradeOnKernels, matrixPassed, parseKernels } from "./lib/matrix.ts";
import { gradeLab } from "./lib/runner.ts";
import { watchDir } from "./lib/watch.ts";
import { preflightProblems } from "./preflight.ts";

const usage = `usage: npm run grade [lab ...] [-- --solution --json --verbose]
       npm run grade -- --watch lab
       npm run grade -- --all --report junit|csv|json|markdown [--out file]
       npm run grade -- --kernel 6.1|6.12|host|all [lab ...] [--solution]
  lab         lab1, 1, lab01 or its name (hello); no lab grades them all
  --solution  grade solutions/ instead of labs/
  --json      print the results as JSON (they are always saved in .grades/<lab>.json)
  --verbose   show everything the loader prints
  --watch     grade the lab again each time you save one of its files (Ctrl-C stops)
  --all       grade every lab that has checks (what no lab name does too)
  --report    also write the whole grade as a JUnit XML, CSV, JSON or Markdown report
  --out       the report's file, relative to the course root (default: standard output)
  --kernel    grade under Debian's 6.1 or 6.12 kernel (booted under QEMU), the host's, or all
              three (or a list: 6.1,host); records .grades/matrix.json for the docs
Not root, or not on Linux? It grades under sudo, or in the course VM (vagrant), by itself.`;

function fail(message: string): never {
  console.error(`grade: ${message}`);
  process.exit(2);
}

const args = parseOrExit(process.argv.slice(2), usage);
if (args.all && args.labs.length > 0) fail("--all grades every lab: name labs, or use --all, not both");
if (args.watch && (args.json || args.report || args.all)) fail("--watch grades one lab in the terminal: leave out --json, --report and --all");
if (args.kernel !== undefined && (args.watch || args.report)) fail("--kernel grades under each kernel and records .grades/matrix.json: leave out --watch and --report");
if (args.kernel !== undefined && process.env[GUEST_MARKER_ENV]) fail(`--kernel boots kernels from the host; this already runs inside the ${process.env[GUEST_MARKER_ENV]} guest`);
let kernels: string[] | undefined;
try {
  kernels = args.kernel === undefined ? undefined : parseKernels(args.kernel);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

// Where BPF can load: here, under sudo, or in the VM.
const place = decideWhereToGrade();
if (place.where === "nowhere") {
  console.error(nowhereAdvice(place, toArgv(args)).join("\n"));
  process.exit(2);
}
if (place.where !== "here") process.exit(await gradeElsewhere(place, toArgv(args), fileURLToPath(import.meta.url)));

const problems = preflightProblems(["npm run grade", ...args.labs].join(" "));
if (problems.length > 0) fail(`this machine is not ready for the labs:\n  ${problems.join("\n  ")}`);

const layout = cliLayout();
const labs = labsToGrade(layout, args);

exitOnSignals();
// `npm run grade | head` closes our stdout early: stop quietly (exit handlers still kill and remove everything).
process.stdout.on("error", (err: NodeJS.ErrnoException) => process.exit(err.code === "EPIPE" ? 1 : 2));

if (kernels) {
  process.exit(await gradeUnderKernels(layout, labs, args, kernels));
} else if (args.watch) {
  if (labs.length !== 1) fail(`--watch grades one lab: name it, as in npm run grade -- --watch ${labs[0]?.id ?? "lab1"}`);
  await watchLab(layout, labs[0]!, args);
} else {
  process.exit(await gradeAll(layout, labs, args));
}

/** The labs named on the command line, or every lab that has checks. */
function labsToGrade(layout: CourseLayout, args: CliArgs): LabInfo[] {
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
  return labs;
}

/** Grades `labs` once, saves and prints (or reports) the results; returns the exit code. */
async function gradeAll(layout: CourseLayout, labs: readonly LabInfo[], args: CliArgs): Promise<number> {
  // Machine-readable output on stdout keeps stdout to itself: the running commentary goes to stderr.
  const dataOnStdout = args.json || (args.report !== undefined && args.out === undefined);
  const people: Output = dataOnStdout ? process.stderr : process.stdout;
  const results: LabResult[] = [];
  try {
    for (const lab of labs) {
      const result = await gradeLab(lab, {
        layout,
        solution: args.solution,
        reporter: args.json ? silentReporter : textReporter(people),
        ...(args.verbose && { echo: echoLoader(people) }),
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
  else writeScore(report, people);
  if (args.report) {
    const text = formatReport(report, args.report);
    if (args.out === undefined) process.stdout.write(text);
    else {
      const file = resolve(args.out);
      writeOwnedFile(file, text);
      const shown = relative(process.cwd(), file);
      console.error(`grade: wrote the ${args.report} report to ${shown.startsWith("..") ? file : shown}`);
    }
  }
  return exitCode(report);
}

/** Grades `labs` under each kernel (booting the Debian ones under QEMU); 0 only when every kernel gives full marks. */
async function gradeUnderKernels(layout: CourseLayout, labs: readonly LabInfo[], args: CliArgs, kernels: readonly string[]): Promise<number> {
  const people: Output = args.json ? process.stderr : process.stdout;
  try {
    const record = await gradeOnKernels({ layout, labs, kernels, solution: args.solution, verbose: args.verbose, people });
    if (args.json) console.log(JSON.stringify(record, null, 2));
    return matrixPassed(record) ? 0 : 1;
  } catch (err) {
    fail(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}

/** Grades `lab` now and after every save of its files, until Ctrl-C (exitOnSignals cleans up). */
async function watchLab(layout: CourseLayout, lab: LabInfo, args: CliArgs): Promise<void> {
  const dir = labDir(layout, lab, args.solution);
  const shown = relative(layout.root, dir);
  const gradeOnce = async (changed: readonly string[]) => {
    if (process.stdout.isTTY) process.stdout.write("\x1b[2J\x1b[H"); // a fresh screen per grade
    if (changed.length > 0) console.log(`grade: ${changed.join(", ")} changed`);
    try {
      const result = await gradeLab(lab, {
        layout,
        solution: args.solution,
        reporter: textReporter(),
        ...(args.verbose && { echo: echoLoader(process.stdout) }),
      });
      saveLabResult(layout, result);
      writeScore(summarize([result]));
    } catch (err) {
      console.error(`grade: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    console.log(`grade: watching ${shown}: save a file to grade again, Ctrl-C to stop`);
  };
  await gradeOnce([]);
  watchDir(dir, gradeOnce);
}
