// What the running kernel offers BPF programs, read from the kernel itself: its BTF, tracefs
// and bpffs. Runs on the host or, through runInKernel, inside a guest:
// `tsx vm/probe.ts` prints the report as JSON; `probeKernelIn("6.1")` returns it from a guest.
import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import { release } from "node:os";
import { fileURLToPath } from "node:url";
import { runInKernel } from "./run.ts";

export interface KernelFeatures {
  readonly release: string;
  /** /sys/kernel/btf/vmlinux exists: CO-RE relocations and BTF-typed maps work. */
  readonly btf: boolean;
  /** BPF_MAP_TYPE_RINGBUF (5.8+). */
  readonly ringbuf: boolean;
  /** kprobe attach points (tracefs kprobe_events). */
  readonly kprobes: boolean;
  /** fentry/fexit: BTF-typed trampolines need BPF_TRACE_FENTRY and a working function tracer. */
  readonly fentry: boolean;
  /** BPF_LINK_TYPE_XDP: XDP attached as a bpf_link (5.9+). */
  readonly xdpLink: boolean;
  readonly tracefs: boolean;
  readonly bpffs: boolean;
}

/** The kernel's BTF lacks something a program needs; the message names it and the way out. */
export class KernelFeatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KernelFeatureError";
  }
}

const BTF_PATH = "/sys/kernel/btf/vmlinux";

/** True when the file can be read and is not empty; the first page is enough to tell. */
function readable(path: string): boolean {
  try {
    const fd = openSync(path, "r");
    try {
      return readSync(fd, Buffer.alloc(4096)) > 0;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}
const TRACEFS = "/sys/kernel/tracing";

/**
 * Probes the kernel this process runs on. Enumerator names are looked up in the BTF string
 * table: a kernel's BTF holds the name of every enumerator it was built with, and searching
 * the bytes costs milliseconds where parsing 100k types under an emulated CPU costs seconds.
 */
export function probeKernel(): KernelFeatures {
  const btf = existsSync(BTF_PATH) ? readFileSync(BTF_PATH) : undefined;
  const hasName = (name: string) => btf?.includes(Buffer.from(`\0${name}\0`)) ?? false;
  return {
    release: release(),
    btf: btf !== undefined,
    ringbuf: hasName("BPF_MAP_TYPE_RINGBUF"),
    kprobes: existsSync(`${TRACEFS}/kprobe_events`),
    fentry: hasName("BPF_TRACE_FENTRY") && readable(`${TRACEFS}/available_filter_functions`),
    xdpLink: hasName("BPF_LINK_TYPE_XDP"),
    tracefs: existsSync(`${TRACEFS}/trace_pipe`),
    bpffs: existsSync("/sys/fs/bpf"),
  };
}

/** Throws KernelFeatureError unless the kernel has BTF (every lab's CO-RE object needs it). */
export function requireBtf(features: KernelFeatures = probeKernel()): void {
  if (!features.btf) {
    throw new KernelFeatureError(
      `kernel ${features.release} has no BTF (${BTF_PATH} is missing): CO-RE BPF objects cannot load. ` +
        `Use a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian's 6.1 and 6.12 are).`,
    );
  }
}

/** Boots `kernel` (see runInKernel) and probes it from inside. */
export async function probeKernelIn(kernel: string): Promise<KernelFeatures> {
  const result = await runInKernel({
    kernel,
    command: [process.execPath, "--import", "tsx", fileURLToPath(import.meta.url)],
    capture: true,
    stdout: null,
    timeoutMs: 60_000,
  });
  if (result.exitCode !== 0) throw new Error(`the probe failed on ${kernel} (exit ${result.exitCode}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as KernelFeatures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(probeKernel(), null, 2));
}
