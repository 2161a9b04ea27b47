// Kernel features a lab needs, named in its checks file (`defineLab({ requires: ["ringbuf"] })`)
// and probed on the running kernel before the lab is graded: a kernel without one gets a
// sentence naming it and the first Linux that has it, not a cryptic EINVAL from a loader.
import { release } from "node:os";
import { fileURLToPath } from "node:url";

/** The probes of `#bpf`, imported only when a kernel is asked: a host that forwards grading elsewhere has no addon. */
export type KernelProbes = Pick<typeof import("#bpf"), "kernelBtfHasEnumerator" | "kernelHasBtf" | "kernelHasHelper" | "kernelHasMapType" | "kernelHasProgramType">;

export interface KernelFeature {
  /** How a checks file names it: "ringbuf". */
  readonly name: string;
  /** What it is, for a student: "BPF ring buffer maps (BPF_MAP_TYPE_RINGBUF)". */
  readonly description: string;
  /** The first Linux release that has it: "5.8". */
  readonly since: string;
  /** Asks the running kernel (root needed) through `k`; throws when it cannot be asked. */
  probe(k: KernelProbes): boolean;
}

const feature = (name: string, description: string, since: string, probe: (k: KernelProbes) => boolean): KernelFeature => ({ name, description, since, probe });

/** Every feature a lab may require by name. */
export const kernelFeatures = {
  btf: feature("btf", "kernel BTF (/sys/kernel/btf/vmlinux), which CO-RE objects need", "5.4", (k) => k.kernelHasBtf()),
  tracepoint: feature("tracepoint", "tracepoint programs (BPF_PROG_TYPE_TRACEPOINT)", "4.7", (k) => k.kernelHasProgramType("tracepoint")),
  "percpu-array": feature("percpu-array", "per-CPU array maps (BPF_MAP_TYPE_PERCPU_ARRAY)", "4.6", (k) => k.kernelHasMapType("percpu_array")),
  "probe-read-user-str": feature("probe-read-user-str", "the bpf_probe_read_user_str() helper", "5.5", (k) => k.kernelHasHelper("probe_read_user_str", "tracepoint")),
  ringbuf: feature("ringbuf", "BPF ring buffer maps (BPF_MAP_TYPE_RINGBUF) and bpf_ringbuf_reserve()", "5.8", (k) =>
    k.kernelHasMapType("ringbuf") && k.kernelHasHelper("ringbuf_reserve", "tracepoint")),
  "task-btf": feature("task-btf", "the bpf_get_current_task_btf() helper", "5.11", (k) => k.kernelHasHelper("get_current_task_btf", "tracepoint")),
  xdp: feature("xdp", "XDP programs (BPF_PROG_TYPE_XDP)", "4.8", (k) => k.kernelHasProgramType("xdp")),
  "xdp-link": feature("xdp-link", "XDP attached as a BPF link (BPF_LINK_TYPE_XDP), which detaches when the loader exits", "5.9", (k) =>
    k.kernelBtfHasEnumerator("BPF_LINK_TYPE_XDP")),
} as const satisfies Record<string, KernelFeature>;

export type FeatureName = keyof typeof kernelFeatures;
/** A feature by name, or one declared in place (a checks file's own probe). */
export type Requirement = FeatureName | KernelFeature;

export function isFeatureName(name: string): name is FeatureName {
  return Object.hasOwn(kernelFeatures, name);
}

const resolve = (requirement: Requirement): KernelFeature => (typeof requirement === "string" ? kernelFeatures[requirement] : requirement);

/** A feature the running kernel lacks, and the sentence that says so. */
export interface UnmetRequirement {
  feature: string;
  message: string;
}

const answers = new Map<KernelFeature, boolean>();

/**
 * The requirements the running kernel does not meet (each probed once per process). A
 * probe that cannot be asked (not root, say) counts as met: the lab then runs and fails
 * with the real error, which says more than a guess would.
 */
export async function unmetRequirements(requires: readonly Requirement[], labId: string, kernel: string = release()): Promise<UnmetRequirement[]> {
  if (requires.length === 0) return [];
  const probes: KernelProbes = await import("#bpf");
  return requires.map(resolve).filter((f) => {
    let present = answers.get(f);
    if (present === undefined) {
      try {
        present = f.probe(probes);
      } catch {
        present = true;
      }
      answers.set(f, present);
    }
    return !present;
  }).map((f) => ({
    feature: f.name,
    message: `this kernel (${kernel}) lacks ${f.description}, which ${labId} needs (Linux ${f.since} or newer has it)`,
  }));
}

/** Every named feature probed on the running kernel: name -> present (false also when it cannot be asked). */
export async function probeAllFeatures(): Promise<Record<FeatureName, boolean>> {
  const probes: KernelProbes = await import("#bpf");
  return Object.fromEntries(Object.values(kernelFeatures).map((f) => {
    try {
      return [f.name, f.probe(probes)];
    } catch {
      return [f.name, false];
    }
  })) as Record<FeatureName, boolean>;
}

// `tsx grader/lib/features.ts`: the running kernel's answers as one JSON line (the kernel
// matrix runs it inside each guest).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify({ release: release(), features: await probeAllFeatures() }));
}
