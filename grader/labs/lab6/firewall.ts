// The student's compiled firewall, opened by the grader itself: BPF_PROG_TEST_RUN feeds it
// crafted frames, so verdicts and counters can be checked exactly, without any network.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { BpfObject, VerifierError, sumPerCpu, type Program } from "#bpf";
import { CheckFailure, type MarkedLine } from "../../lib/failure.ts";

/** Slots of the `counters` map, in the order the lab's README fixes. */
export const counterNames = ["ipv4", "ipv6", "tcp", "udp", "other", "dropped"] as const;
export type Counters = Record<(typeof counterNames)[number], bigint>;

export const verdictNames: Record<number, string> = { 0: "XDP_ABORTED", 1: "XDP_DROP", 2: "XDP_PASS", 3: "XDP_TX", 4: "XDP_REDIRECT" };
export const XDP_DROP = 1;
export const XDP_PASS = 2;

export interface LoadedFirewall extends Disposable {
  /** Runs the program on `frame` `repeat` times; returns its verdict. */
  verdict(frame: Uint8Array, repeat?: number): number;
  /** The counters, summed over CPUs. */
  counters(): Counters;
}

/**
 * The failure of the last object that could not be loaded, by path and build time: thrown
 * again as the same object, so the report explains it once and later checks refer to it.
 */
const loadFailures = new Map<string, CheckFailure>();

/** Opens and loads `<dir>/firewall.bpf.o` with `blocked` in blocked_ports, as the loader would. */
export function loadFirewall(dir: string, blocked: readonly number[]): LoadedFirewall {
  const file = join(dir, "firewall.bpf.o");
  if (!existsSync(file)) throw new CheckFailure(`there is no ${file}: the BPF code was not compiled`);
  const build = `${file}@${statSync(file).mtimeMs}`;
  const known = loadFailures.get(build);
  if (known) throw known;
  const obj = BpfObject.open(file);
  try {
    const program = xdpProgram(obj);
    try {
      obj.load();
    } catch (err) {
      if (!(err instanceof VerifierError)) throw err;
      const failure = new CheckFailure("the verifier rejected firewall.bpf.c", {
        expected: "the program loads",
        seenTitle: "the verifier's verdict",
        seen: [
          ...(err.sourceLine ? [{ mark: "!" as const, text: `${err.sourceLine.file}:${err.sourceLine.line}: ${err.sourceLine.text}` }] : []),
          ...err.summary.map((text) => ({ mark: "!" as const, text })),
        ],
        hint: 2,
      });
      loadFailures.set(build, failure);
      throw failure;
    }
    const ports = obj.map<number, number>("blocked_ports");
    for (const port of blocked) ports.set(port, 1);
    const counters = obj.map<number, bigint[]>("counters");
    return {
      verdict: (frame, repeat = 1) => program.testRun(frame, { repeat }).retval,
      counters: () => Object.fromEntries(counterNames.map((name, slot) => [name, sumPerCpu(counters.get(slot) ?? [0n])])) as Counters,
      [Symbol.dispose]: () => obj.close(),
    };
  } catch (err) {
    obj.close();
    throw err;
  }
}

function xdpProgram(obj: BpfObject): Program {
  const xdp = obj.programs.filter((p) => p.type === "xdp");
  if (xdp.length !== 1) {
    throw new CheckFailure(`firewall.bpf.o has ${xdp.length} XDP programs`, {
      expected: 'exactly one function with SEC("xdp")',
      hint: "keep the one XDP program of the starter (xdp_firewall) and put your code in it",
    });
  }
  return xdp[0]!;
}

export function verdictName(verdict: number): string {
  return verdictNames[verdict] ?? `unknown verdict ${verdict}`;
}

/** One crafted frame and the verdict it must get. */
export interface Case {
  label: string;
  frame: Uint8Array;
  verdict: number;
  /** What a wrong verdict on this frame most likely means. */
  hint?: string;
}

/** Runs the student's program (loaded from `dir`) on each frame; fails listing every verdict if one is wrong. */
export function expectVerdicts(dir: string, blocked: readonly number[], cases: readonly Case[], expected: string): void {
  using firewall = loadFirewall(dir, blocked);
  const verdicts = cases.map((c) => firewall.verdict(c.frame));
  const wrong = cases.filter((c, i) => verdicts[i] !== c.verdict);
  if (wrong.length === 0) return;
  const seen: MarkedLine[] = cases.map((c, i) => ({
    mark: verdicts[i] === c.verdict ? "+" : "-",
    text: `${c.label}: expected ${verdictName(c.verdict)}, got ${verdictName(verdicts[i]!)}`,
  }));
  const hint = wrong.find((c) => c.hint !== undefined)?.hint;
  throw new CheckFailure(`${wrong.length} of ${cases.length} frames got the wrong verdict`, {
    expected,
    seenTitle: `verdicts (blocked UDP ports: ${blocked.join(", ")})`,
    seen,
    ...(hint !== undefined && { hint }),
  });
}
