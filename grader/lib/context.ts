// One lab run: the CheckContext every check of the lab shares. It starts the student's
// loader on first use, decides when it is ready (it holds its BPF attachments), and turns
// an early exit or a timeout into a failure that shows the loader's own error output.
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { CheckFailure, type MarkedLine } from "./failure.ts";
import type { CheckContext, LabSpec, LoaderStart } from "./lab.ts";
import { LoaderProcess, type OutputLine, type Readiness } from "./loader.ts";
import { plural } from "./match.ts";
import { stderrExcerpt } from "./stderr.ts";
import { defaultReadyTimeoutMs, scaled } from "./timing.ts";
import { Workload } from "./workload.ts";

export interface LabRunOptions {
  /** The directory being graded (labs/labN-slug or solutions/labN-slug). */
  dir: string;
  /** The course root: the loader's cwd, and the base of paths in messages. */
  root: string;
  echo?: (line: OutputLine) => void;
}

export class LabRun implements CheckContext {
  readonly workload = new Workload();
  private process: LoaderProcess | undefined;
  private ready: Promise<LoaderProcess> | undefined;
  private args: readonly string[] = [];

  constructor(
    private readonly spec: LabSpec,
    private readonly options: LabRunOptions,
  ) {}

  get dir(): string {
    return this.options.dir;
  }

  loader(start: LoaderStart = {}): Promise<LoaderProcess> {
    if (this.ready) {
      // Without args a check takes the loader as it runs; asking for others is a checks-file bug.
      const differs = start.args !== undefined && start.args.join("\0") !== this.args.join("\0");
      if (!differs) return this.ready;
      return Promise.reject(new Error(`the loader already runs with arguments [${this.args.join(" ")}]; a lab run has one loader`));
    }
    this.args = start.args ?? [];
    this.ready = this.start();
    return this.ready;
  }

  /** Pid of the loader while one was started, for telling it apart from other processes. */
  get loaderPid(): number | undefined {
    return this.process?.pid;
  }

  /** Stops the loader's process group and removes the workload's files. */
  async close(): Promise<void> {
    await this.process?.stop();
    await this.workload.dispose();
  }

  private async start(): Promise<LoaderProcess> {
    const file = join(this.options.dir, this.spec.loader);
    const shown = relative(this.options.root, file);
    if (!existsSync(file)) throw new CheckFailure(`there is no loader at ${shown}`);
    const loader = LoaderProcess.start(file, { cwd: this.options.root, args: this.args, ...(this.options.echo && { echo: this.options.echo }) });
    this.process = loader;
    const timeoutMs = scaled(this.spec.readyTimeoutMs ?? defaultReadyTimeoutMs);
    const readiness = await loader.waitForAttachments(this.spec.attachments, timeoutMs);
    if (readiness.state === "attached") return loader;
    throw notReady(readiness, loader, this.spec.attachments, [shown, ...this.args], timeoutMs);
  }
}

function notReady(readiness: Exclude<Readiness, { state: "attached" }>, loader: LoaderProcess, wanted: number, command: readonly string[], timeoutMs: number): CheckFailure {
  const expected = `node --import tsx ${command.join(" ")} keeps running and holds ${plural(wanted, "BPF attachment")} (one per attached program)`;
  const seen: MarkedLine[] = [
    ...loader.stdout.slice(-10).map((text): MarkedLine => ({ mark: " ", text })),
    ...stderrExcerpt(loader.stderr),
  ];
  const seenTitle = seen.length > 0 ? "loader output (! is stderr)" : "loader output: nothing at all";
  const message =
    readiness.state === "exited"
      ? `the loader ${readiness.how} before attaching`
      : `after ${timeoutMs / 1000}s the loader held ${readiness.attachments} of ${plural(wanted, "BPF attachment")}`;
  return new CheckFailure(message, { expected, seenTitle, seen });
}
