// Errors the library throws. Every one says what was attempted and why it failed, in words a
// student can act on; `code` (an errno name such as "EPERM") lets programs test the kind.
import { addon } from "./addon.ts";

/** What the addon was doing when it failed: "open", "load", "attach", "map", "ringbuf", ... */
export type BpfErrorKind = string;

const hints: Record<string, string> = {
  EPERM: "BPF needs root: run as root (sudo) or inside the course VM",
  EACCES: "permission denied: run as root (sudo) or inside the course VM",
  ENOENT: "not found",
  E2BIG: "too big for the kernel's limits",
  ENOSPC: "no space left (the map is full?)",
  ENODEV: "no such device",
};

/** A failed BPF operation: `code` is the errno name, `log` what libbpf printed meanwhile. */
export class BpfError extends Error {
  readonly kind: BpfErrorKind;
  readonly code: string;
  readonly errno: number;
  /** libbpf's own messages from the failed call (may be empty). */
  readonly log: string;

  constructor(kind: BpfErrorKind, message: string, code: string, errno: number, log = "") {
    // Permission hints are for the kernel saying no, not for our own state checks.
    const fromKernel = kind !== "state" && kind !== "not-found" && kind !== "verifier";
    const hint = fromKernel && (code === "EPERM" || code === "EACCES") ? ` (${hints[code]})` : "";
    super(message + hint + libbpfReason(kind, log));
    this.name = "BpfError";
    this.kind = kind;
    this.code = code;
    this.errno = errno;
    this.log = log;
  }
}

// libbpf's last words usually name the real cause ("failed to find BTF for ...").
function libbpfReason(kind: BpfErrorKind, log: string): string {
  if (kind === "verifier" || !log.trim()) return "";
  const lines = log.trim().split("\n").filter((l) => !/failed to load object|^libbpf: failed to load program/.test(l));
  return lines.length ? "\n  " + lines.slice(-3).join("\n  ") : "";
}

/** Where in the student's C source the verifier stopped. */
export interface SourceLine { file: string; line: number; text: string }

/**
 * The kernel's verifier refused a program. `log` is the full verifier log, `summary` its last
 * meaningful lines (the reason), `sourceLine` the C line of the failing instruction when the
 * object was built with -g (the build always does).
 */
export class VerifierError extends BpfError {
  readonly program: string;
  readonly summary: string[];
  readonly sourceLine: SourceLine | undefined;

  constructor(message: string, code: string, errno: number, libbpfOutput: string) {
    const parsed = parseVerifierLog(libbpfOutput);
    const where = parsed.sourceLine ? `\n  at ${parsed.sourceLine.file}:${parsed.sourceLine.line}: ${parsed.sourceLine.text}` : "";
    super("verifier", `${message}: the verifier rejected program '${parsed.program}'${where}\n  ${parsed.summary.join("\n  ")}`, code, errno, parsed.log);
    this.name = "VerifierError";
    this.program = parsed.program;
    this.summary = parsed.summary;
    this.sourceLine = parsed.sourceLine;
  }
}

// Lines the verifier prints after the reason, which say nothing about it.
const noise = [/^processed \d+ insns/, /^verification time/, /^stack depth/, /^max_states_per_insn/, /^-- END PROG LOAD LOG --/, /^\s*$/];

/** Splits libbpf's output around a rejection into the verifier log, its reason and source line. */
export function parseVerifierLog(output: string): { program: string; log: string; summary: string[]; sourceLine: SourceLine | undefined } {
  const program = /prog '([^']+)': -- BEGIN PROG LOAD LOG --/.exec(output)?.[1] ?? "?";
  const begin = output.indexOf("-- BEGIN PROG LOAD LOG --");
  const end = output.indexOf("-- END PROG LOAD LOG --");
  const log = begin >= 0 ? output.slice(output.indexOf("\n", begin) + 1, end > begin ? end : undefined).trimEnd() : output.trim();
  const lines = log.split("\n");
  const meaningful = lines.filter((l) => !noise.some((re) => re.test(l)));
  // The reason is what follows the last instruction ("N: (op) ..."), or the last lines when none.
  let lastInsn = -1;
  meaningful.forEach((l, i) => { if (/^\d+: \(/.test(l)) lastInsn = i; });
  const tail = meaningful.slice(lastInsn + 1);
  const summary = (tail.length > 0 ? tail : meaningful.slice(-2)).slice(-3);
  // Kernels print "; <C source> @ file.c:LINE" before the instructions of each source line.
  let sourceLine: SourceLine | undefined;
  for (const l of lines) {
    const m = /^; (.*) @ (\S+):(\d+)$/.exec(l);
    if (m && m[3] !== "0") sourceLine = { text: m[1]!.trim(), file: m[2]!, line: Number(m[3]) };
  }
  return { program, log, summary, sourceLine };
}

addon.setErrorFactory((kind, message, code, errno, log) =>
  kind === "verifier" ? new VerifierError(message, code, errno, log) : new BpfError(kind, message, code, errno, log));

/** Thrown when a handle is used after close(). */
export function closedError(what: string): Error {
  return Object.assign(new Error(`${what} is closed: create a new one instead of reusing it`), { code: "ERR_CLOSED" });
}
