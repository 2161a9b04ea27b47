// The trace pipe: where bpf_printk() output goes (/sys/kernel/tracing/trace_pipe). It is one
// stream for the whole machine and reading consumes it: two readers split the lines between
// them. Filter by pid or by a marker of your own.
import type { NativeTracePipe } from "./addon.ts";
import { addon } from "./addon.ts";
import { AsyncQueue } from "./queue.ts";

/** One parsed trace_pipe line. */
export interface TraceLine {
  /** Task name (comm) of the thread that printed. */
  comm: string;
  /** Thread id of the printer (for a single-threaded process, its pid). */
  pid: number;
  cpu: number;
  /** Seconds since boot. */
  timestamp: number;
  /** Event name, "bpf_trace_printk" for bpf_printk. */
  event: string;
  /** The printed text. */
  message: string;
  /** The whole line as the kernel wrote it. */
  raw: string;
}

// "  bash-1234    [001] d..31  5678.901234: bpf_trace_printk: hello"
// Names may contain spaces and dashes; the flags column is absent on some kernels.
const lineFormat = /^\s*(.*?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(?:\S{4,5}\s+)?(\d+\.\d+):\s+([\w:]+):\s?(.*)$/;

/** Parses one trace_pipe line, or returns undefined for lines of another shape. */
export function parseTraceLine(raw: string): TraceLine | undefined {
  const m = lineFormat.exec(raw);
  if (!m) return undefined;
  return { comm: m[1]!, pid: Number(m[2]), cpu: Number(m[3]), timestamp: Number(m[4]), event: m[5]!, message: m[6]!, raw };
}

/**
 * Reads bpf_printk output without blocking: `for await (const line of pipe)` or `onLine(cb)`.
 * Lines of unknown shape are skipped. Closing ends a pending `for await`.
 */
export class TracePipe implements Disposable, AsyncIterable<TraceLine> {
  private readonly native: NativeTracePipe;
  private partial = "";
  private sink: ((line: TraceLine) => void) | undefined;
  private queue: AsyncQueue<TraceLine> | undefined;

  private constructor(path?: string) {
    this.native = path === undefined ? new addon.NativeTracePipe() : new addon.NativeTracePipe(path);
  }

  /** Opens /sys/kernel/tracing/trace_pipe (or `path`). Needs root and tracefs mounted. */
  static open(options: { path?: string } = {}): TracePipe {
    return new TracePipe(options.path);
  }

  private readAvailable(): void {
    const text = this.partial + this.native.read();
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const raw of lines) {
      const line = parseTraceLine(raw);
      if (line) this.sink?.(line);
    }
  }

  private start(sink: (line: TraceLine) => void): void {
    if (this.sink) throw new Error("this trace pipe already has a reader: use onLine or for-await, once");
    this.sink = sink;
    this.native.start(() => this.readAvailable());
  }

  /** Calls `callback` with every line as it arrives. */
  onLine(callback: (line: TraceLine) => void): this {
    this.start(callback);
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterator<TraceLine> {
    if (!this.queue) {
      const queue = new AsyncQueue<TraceLine>(100_000, () => {}, () => this.close());
      this.start((line) => queue.push(line));
      this.queue = queue;
    }
    return this.queue;
  }

  get path(): string { return this.native.path; }
  get closed(): boolean { return this.native.closed; }

  /** Stops reading; lines not yet read stay in the kernel for the next reader. */
  close(): void {
    this.native.close();
    this.queue?.end();
  }

  [Symbol.dispose](): void { this.close(); }
}
