// A student's loader, run exactly as `npm run lab` runs it (`node --import tsx hello.ts`), in
// its own process group, with its output captured line by line as it arrives.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { once } from "node:events";
import { pathToFileURL } from "node:url";
import { countAttachments } from "./attachments.ts";
import { caughtUp, expectLines, type ExpectOptions, type LineExpectation, type LoaderOutput } from "./match.ts";
import { ProcessGroup, delay, type GroupExit } from "./processes.ts";
import { defaultOutputWaitMs, scaled } from "./timing.ts";

export interface OutputLine {
  stream: "stdout" | "stderr";
  text: string;
}

export type Readiness =
  | { state: "attached" }
  | { state: "exited"; how: string }
  | { state: "timeout"; attachments: number };

export interface LoaderOptions {
  cwd: string;
  /** Command-line arguments for the loader. */
  args?: readonly string[];
  /** Called with every line as it arrives (for --verbose). */
  echo?: (line: OutputLine) => void;
}

/** The `node` arguments that run a TypeScript file the way the course does everywhere. */
export function tsxCommand(file: string, args: readonly string[] = []): { command: string; args: string[] } {
  // tsx resolved from this repository (not the cwd), as a URL: `--import` wants a specifier.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return { command: process.execPath, args: ["--import", tsx, file, ...args] };
}

export class LoaderProcess implements LoaderOutput {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  private readonly group: ProcessGroup;
  /** Resolves once both output streams are fully read. */
  private readonly drained: Promise<unknown>;
  /** Wakes up waitForOutput() on every new line and on exit. */
  private readonly waiters = new Set<() => void>();

  private constructor(file: string, options: LoaderOptions) {
    const { command, args } = tsxCommand(file, options.args);
    this.group = ProcessGroup.spawn(command, args, { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    const streams = [
      this.capture("stdout", this.stdout, options.echo),
      this.capture("stderr", this.stderr, options.echo),
    ];
    this.drained = Promise.all(streams);
    void this.group.exited.then(() => this.wake());
  }

  /** Starts `file` under tsx. Never throws: a failure to start shows up as an early exit. */
  static start(file: string, options: LoaderOptions): LoaderProcess {
    return new LoaderProcess(file, options);
  }

  get pid(): number | undefined {
    return this.group.pid;
  }

  /** How the loader ended, in words ("exited with code 1"), or undefined while it runs. */
  get ended(): string | undefined {
    const exit = this.group.exit;
    return exit && describeExit(exit);
  }

  /**
   * Polls the loader's fds every 50 ms until it holds `count` BPF attachments. Resolves
   * "exited" (after reading all its output, so the caller can show its stderr) if it ends
   * first, "timeout" if `timeoutMs` passes.
   */
  async waitForAttachments(count: number, timeoutMs: number): Promise<Readiness> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pid = this.group.pid;
      const exit = this.group.exit;
      if (pid === undefined || exit) {
        await Promise.race([this.drained, delay(1000)]);
        return { state: "exited", how: describeExit(exit ?? (await this.group.exited)) };
      }
      const attachments = countAttachments(pid);
      if (attachments >= count) return { state: "attached" };
      if (Date.now() >= deadline) return { state: "timeout", attachments };
      await delay(50);
    }
  }

  /** Waits until `condition` holds on stdout (true), or the loader ends or `timeoutMs` passes (false). */
  async waitForOutput(condition: (stdout: readonly string[]) => boolean, timeoutMs = scaled(defaultOutputWaitMs)): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this.stdout)) {
      if (this.group.exit || Date.now() >= deadline) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, deadline - Date.now());
        this.waiters.add(wake);
      });
    }
    return true;
  }

  /** Waits until every expectation has its count of lines (or the wait times out). */
  waitForLines(expectations: readonly LineExpectation[], timeoutMs?: number): Promise<boolean> {
    return this.waitForOutput((lines) => caughtUp(lines, expectations), timeoutMs);
  }

  /** Throws a CheckFailure showing the relevant output unless every expectation holds. */
  expectLines(expectations: readonly LineExpectation[], options: ExpectOptions): void {
    expectLines(this, expectations, options);
  }

  /**
   * Stops the loader's whole process group (SIGINT, then SIGKILL) and resolves once its output
   * has been read to the end (at most a second more), so what it printed on the way out (a
   * final count, say) is in `stdout` when this resolves.
   */
  async stop(): Promise<void> {
    await this.group.stop();
    await Promise.race([this.drained, delay(1000)]);
  }

  private async capture(stream: OutputLine["stream"], into: string[], echo: LoaderOptions["echo"]): Promise<void> {
    const source = this.group.child[stream];
    if (!source) return;
    const lines = createInterface({ input: source, crlfDelay: Infinity });
    lines.on("line", (text) => {
      into.push(text);
      echo?.({ stream, text });
      this.wake();
    });
    await once(lines, "close");
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

export function describeExit(exit: GroupExit): string {
  if (exit.error) return `could not start (${exit.error.message})`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}
