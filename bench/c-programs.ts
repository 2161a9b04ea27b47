// The C side of each comparison: small programs over plain libbpf, built with gcc into
// bench/out/ and run as child processes that print one JSON line.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const benchDir = dirname(fileURLToPath(import.meta.url));
const sourceDir = join(benchDir, "c");
const outDir = join(benchDir, "out");

export const cProgramNames = ["lookup", "dump", "producer", "ringbuf"] as const;
export type CProgramName = (typeof cProgramNames)[number];
export type CPrograms = Record<CProgramName, string>;

function isUpToDate(output: string, inputs: string[]): boolean {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return inputs.every((input) => statSync(input).mtimeMs <= built);
}

/** Builds every C program that is missing or older than its source; returns their paths. */
export async function buildCPrograms(): Promise<CPrograms> {
  mkdirSync(outDir, { recursive: true });
  const header = join(sourceDir, "bench.h");
  const built = {} as CPrograms;
  for (const name of cProgramNames) {
    const source = join(sourceDir, `${name}.c`);
    const output = join(outDir, name);
    if (!isUpToDate(output, [source, header])) {
      try {
        await run("gcc", ["-O2", "-Wall", "-Wextra", "-o", output, source, "-lbpf", "-lelf", "-lz"]);
      } catch (err) {
        const e = err as { code?: string; stderr?: string };
        if (e.code === "ENOENT") throw new Error("gcc not found: run `sudo bash scripts/provision.sh`");
        throw new Error(`cannot build ${source} (needs libbpf-dev, libelf-dev, zlib1g-dev):\n${e.stderr ?? String(err)}`);
      }
    }
    built[name] = output;
  }
  return built;
}

/** Runs a C program and parses the one JSON line it prints; its stderr becomes the error. */
export async function runCProgram<T>(path: string, args: Array<string | number>): Promise<T> {
  try {
    const { stdout } = await run(path, args.map(String), { timeout: 60_000 });
    return JSON.parse(stdout) as T;
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new Error(`${path} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/**
 * A C program kept running between measurements: each request is one line on its stdin, each
 * answer one JSON line on its stdout. Lets the bench alternate C and JS in short windows.
 */
export class CWorker implements Disposable {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly answers: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = [];
  private stderr = "";
  private failure: Error | undefined;

  constructor(path: string, args: Array<string | number>) {
    this.child = spawn(path, args.map(String), { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (chunk: Buffer) => { this.stderr += chunk.toString(); });
    createInterface({ input: this.child.stdout }).on("line", (line) => this.answers.shift()?.resolve(line));
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const pending of this.answers.splice(0)) pending.reject(this.failure);
    };
    this.child.on("error", fail);
    this.child.on("exit", (code, signal) => fail(new Error(`${path} exited (${signal ?? code}): ${this.stderr.trim()}`)));
  }

  /** Sends one request line and waits for the JSON answer. */
  request<T>(line: string | number): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<string>((resolve, reject) => {
      this.answers.push({ resolve, reject });
      this.child.stdin.write(`${line}\n`);
    }).then((answer) => JSON.parse(answer) as T);
  }

  /** Ends its input (it exits by itself) and kills it if it has not. */
  close(): void {
    this.child.stdin.end();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }

  [Symbol.dispose](): void { this.close(); }
}
