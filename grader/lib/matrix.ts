// Grading under several kernels (`npm run grade -- --kernel all`): Debian's 6.1 and 6.12
// booted under QEMU (vm/), and the host's own. BPF objects are compiled here first: a CO-RE
// object built once loads on every kernel, while clang in an emulated guest takes seconds a
// file. Each kernel then runs the same grade command; what each scored, with its release, its
// BPF features and the toolchain, becomes one record, .grades/matrix.json, from which the
// docs' compatibility page is made.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { KERNEL_SERIES } from "../../vm/kernels.ts";
import { runInKernel, type RunResult } from "../../vm/run.ts";
import { buildLab } from "./build.ts";
import { onInterrupt } from "./cleanup.ts";
import { shellQuote } from "./host.ts";
import type { CourseLayout } from "./layout.ts";
import { tsxCommand } from "./loader.ts";
import { writeOwnedFile } from "./owner.ts";
import { labDir, type LabInfo } from "./registry.ts";
import type { Output } from "./report.ts";
import type { GradeReport, LabResult } from "./results.ts";

/** What `--kernel all` means: every Debian series vm/ knows, then the host's own kernel. */
export const allKernels: readonly string[] = [...KERNEL_SERIES.map((s) => s.alias), "host"];

/** "all", one kernel, or a comma-separated list ("6.1,host") -> the kernels, in that order, each once. */
export function parseKernels(value: string): string[] {
  const asked = value.split(",").map((k) => k.trim()).filter((k) => k !== "");
  const kernels = [...new Set(asked.flatMap((k) => (k === "all" ? allKernels : [k])))];
  const unknown = kernels.filter((k) => !allKernels.includes(k) && !k.startsWith("linux-image-"));
  if (kernels.length === 0 || unknown.length > 0) {
    throw new Error(`--kernel takes ${allKernels.join(", ")}, all, a comma-separated list or a linux-image-… package${unknown.length > 0 ? `, not '${unknown.join(", ")}'` : ""}`);
  }
  return kernels;
}

/** One kernel's row of the matrix. */
export interface KernelGrade {
  /** As asked: "6.1", "6.12", "host". */
  kernel: string;
  /** Its `uname -r`. */
  release: string;
  /** The Debian package it booted from, or "host". */
  packageName: string;
  accelerator: RunResult["accelerator"];
  /** 2 when the first boot failed and was retried once; `retried` says why it failed. */
  attempts: number;
  retried?: string;
  bootSeconds: number;
  gradeSeconds: number;
  /** Each feature of grader/lib/features.ts as the kernel answered, when the probe ran. */
  features?: Record<string, boolean>;
  /** Per lab, as the grader inside recorded it; empty when the kernel could not grade. */
  labs: LabResult[];
  score: number;
  max: number;
  /** Why the grade on this kernel did not complete: a boot that failed twice, a timeout, a crash. */
  error?: string;
}

export interface MatrixRecord {
  /** ISO 8601, when the last kernel finished. */
  timestamp: string;
  /** Graded solutions/ (the reference) rather than labs/. */
  solution: boolean;
  /** Where the BPF objects were compiled and what loaded them: the same for every kernel. */
  toolchain: { clang: string; libbpf: string; node: string; hostRelease: string };
  kernels: KernelGrade[];
}

export interface MatrixOptions {
  layout: CourseLayout;
  kernels: readonly string[];
  labs: readonly LabInfo[];
  solution: boolean;
  verbose: boolean;
  /** Where the running commentary and each kernel's grade output go. */
  people: Output;
  /** Per kernel, for the whole grade (boot excluded). Default 30 minutes. */
  timeoutMs?: number;
}

const gradeScript = fileURLToPath(new URL("../grade.ts", import.meta.url));
const featuresScript = fileURLToPath(new URL("./features.ts", import.meta.url));

/** Where a matrix run is recorded: the docs' compatibility page reads it. */
export function matrixFile(layout: CourseLayout): string {
  return join(layout.gradesDir, "matrix.json");
}

/** True when every kernel graded every lab to full marks. */
export function matrixPassed(record: MatrixRecord): boolean {
  return record.kernels.length > 0 && record.kernels.every((k) => !k.error && k.labs.length > 0 && k.score === k.max);
}

/** Grades `labs` under each kernel in turn, prints a summary, writes .grades/matrix.json, and returns the record. */
export async function gradeOnKernels(options: MatrixOptions): Promise<MatrixRecord> {
  const { layout, people } = options;
  // Compiled once, here: the graders inside find every object up to date.
  for (const lab of options.labs) await buildLab(labDir(layout, lab, options.solution));
  const toolchain = await describeToolchain();
  const kernels: KernelGrade[] = [];
  for (const kernel of options.kernels) kernels.push(await gradeOnKernel(kernel, options));
  const record: MatrixRecord = { timestamp: new Date().toISOString(), solution: options.solution, toolchain, kernels };
  writeOwnedFile(matrixFile(layout), `${JSON.stringify(record, null, 2)}\n`);
  for (const line of matrixSummary(record, options.labs)) people.write(`${line}\n`);
  return record;
}

async function gradeOnKernel(kernel: string, options: MatrixOptions): Promise<KernelGrade> {
  const { layout, people } = options;
  const scratch = join(layout.gradesDir, "kernels");
  mkdirSync(scratch, { recursive: true });
  const reportFile = join(scratch, `${kernel}.report.json`);
  const featuresFile = join(scratch, `${kernel}.features.json`);
  for (const file of [reportFile, featuresFile]) rmSync(file, { force: true });

  const node = (file: string, args: readonly string[]) => {
    const { command, args: all } = tsxCommand(file, args);
    return [command, ...all].map(shellQuote).join(" ");
  };
  const gradeArgs = [...options.labs.map((l) => l.id), ...(options.solution ? ["--solution"] : []), ...(options.verbose ? ["--verbose"] : []), "--report", "json", "--out", reportFile];
  // The probe's failure must not stop the grade: it only adds the features column.
  const script = `${node(featuresScript, [])} > ${shellQuote(featuresFile)} || true\nexec ${node(gradeScript, gradeArgs)}`;

  people.write(`== kernel ${kernel}${kernel === "host" ? "" : " (booting it under QEMU)"} ==\n`);
  const retries: string[] = [];
  const abort = new AbortController();
  const forgetInterrupt = onInterrupt(() => abort.abort());
  const started = Date.now();
  let run: RunResult;
  try {
    run = await runInKernel({
      kernel,
      command: ["sh", "-c", script],
      cwd: layout.root,
      projectDir: layout.root,
      passEnv: ["GRADER_TIME_SCALE"],
      env: { GRADER_ROOT: layout.root },
      stdout: textSink(people),
      timeoutMs: options.timeoutMs ?? 30 * 60_000,
      signal: abort.signal,
      log: (line) => {
        if (/retrying/.test(line)) retries.push(line.replace(/^vm: /, ""));
        process.stderr.write(`${line}\n`);
      },
    });
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    people.write(`kernel ${kernel}: could not grade: ${error}\n`);
    return { kernel, release: "?", packageName: "?", accelerator: "none", attempts: 2, bootSeconds: 0, gradeSeconds: (Date.now() - started) / 1000, labs: [], score: 0, max: 0, error };
  } finally {
    forgetInterrupt();
  }

  const report = readJson<GradeReport>(reportFile);
  const features = readJson<{ features: Record<string, boolean> }>(featuresFile)?.features;
  const error = run.timedOut ? `timed out after ${(options.timeoutMs ?? 30 * 60_000) / 60_000} minutes`
    : run.aborted ? "interrupted"
    : !report ? `the grader exited with code ${run.exitCode} without a report`
    : undefined;
  const grade: KernelGrade = {
    kernel,
    release: run.release,
    packageName: run.packageName,
    accelerator: run.accelerator,
    attempts: run.attempts,
    ...(retries.length > 0 && { retried: retries.join("; ") }),
    bootSeconds: seconds(run.timings.bootMs),
    gradeSeconds: seconds(run.timings.commandMs),
    ...(features && { features }),
    labs: report?.labs ?? [],
    score: report?.score ?? 0,
    max: report?.max ?? 0,
    ...(error && { error }),
  };
  if (grade.attempts > 1) people.write(`kernel ${kernel}: the first boot failed and was retried once (${grade.retried ?? "see above"})\n`);
  return grade;
}

/** The summary table: one row per kernel, one column per lab. */
export function matrixSummary(record: MatrixRecord, labs: readonly LabInfo[]): string[] {
  const header = ["kernel", "release", ...labs.map((l) => l.id), "score", "time"];
  const rows = record.kernels.map((k) => {
    const cells = labs.map((lab) => labCell(k.labs.find((r) => r.lab === lab.id)));
    const time = `${minutes(k.bootSeconds + k.gradeSeconds)}${k.accelerator === "none" ? "" : ` (${k.accelerator}, boot ${Math.round(k.bootSeconds)}s)`}`;
    return [k.kernel, k.release, ...cells, k.error ? "ERROR" : `${k.score}/${k.max}`, time];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join("  ")}`.trimEnd();
  const notes = record.kernels.flatMap((k) => [
    ...(k.error ? [`  ${k.kernel}: ${k.error.split("\n")[0]}`] : []),
    ...(k.attempts > 1 ? [`  ${k.kernel}: booted on the second attempt (${k.retried ?? "the first boot failed"})`] : []),
    ...k.labs.flatMap((l) => (l.unsupported ?? []).map((u) => `  ${k.kernel} ${l.lab}: ${u}`)),
  ]);
  const verdict = matrixPassed(record) ? "every kernel, full marks" : "NOT every kernel at full marks";
  return [
    `Kernel matrix (${record.solution ? "solutions" : "labs"}; clang ${record.toolchain.clang}, libbpf ${record.toolchain.libbpf}): ${verdict}`,
    line(header),
    ...rows.map(line),
    ...notes,
  ];
}

/** "9/9", "UNSUPPORTED" when the kernel lacks a feature the lab requires, "-" when it was not graded. */
export function labCell(result: LabResult | undefined): string {
  if (!result) return "-";
  if (result.unsupported?.length) return "UNSUPPORTED";
  return `${result.score}/${result.max}`;
}

async function describeToolchain(): Promise<MatrixRecord["toolchain"]> {
  const { libbpfVersion } = await import("#bpf");
  let clang = "unknown";
  try {
    const first = execFileSync("clang", ["--version"], { encoding: "utf8" }).split("\n")[0] ?? "";
    clang = /version (\S+)/.exec(first)?.[1] ?? first;
  } catch {
    // no clang: the build above has already said so, lab by lab
  }
  return { clang, libbpf: libbpfVersion.replace(/^v/, ""), node: process.versions.node, hostRelease: release() };
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

function textSink(out: Output): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.write(chunk.toString("utf8"));
      done();
    },
  });
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
const minutes = (s: number) => (s < 60 ? `${Math.round(s)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`);
