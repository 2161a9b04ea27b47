// Time limits. Generous by default (a loader starts in ~1 s here, 6-7 s in an emulated VM),
// and one factor to stretch them all on a slower machine: a limit guards against a hang, so
// stretching it never lets a wrong answer pass, it only waits longer for a right one.

/** Set by the VM runner (vm/run.ts) in a guest's environment: the guest's `uname -r`, and how its CPU runs. */
const guestKernelEnv = "EBPF_VM_KERNEL";
const guestAcceleratorEnv = "EBPF_VM_ACCELERATOR";

/**
 * In a guest without `GRADER_TIME_SCALE`: emulated (TCG) CPU work runs 6-20 times slower while
 * sleeps and the loaders' once-a-second prints keep real time, so limits that measure work
 * grow by the lower end of that; under KVM a guest is nearly native.
 */
const guestScale = { tcg: 8, kvm: 2 } as const;

/** The factor every limit is multiplied by: GRADER_TIME_SCALE if set, else the guest's, else 1. */
export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  const explicit = Number(env.GRADER_TIME_SCALE);
  if (env.GRADER_TIME_SCALE !== undefined && Number.isFinite(explicit) && explicit > 0) return explicit;
  if (!env[guestKernelEnv]) return 1;
  return env[guestAcceleratorEnv] === "kvm" ? guestScale.kvm : guestScale.tcg;
}

/** `ms` times timeScale(): GRADER_TIME_SCALE=4 makes every grader timeout 4 times longer. */
export function scaled(ms: number): number {
  return Math.round(ms * timeScale());
}

/** How long a loader may take to hold all its attachments. */
export const defaultReadyTimeoutMs = 30_000;
/** How long one check may run before it fails as timed out. */
export const defaultCheckTimeoutMs = 60_000;
/** How long to wait for the loader to print what a workload should have caused. */
export const defaultOutputWaitMs = 5_000;

/** Seconds since `startMs`, for "(0.4s)". */
export function secondsSince(startMs: number): number {
  return Math.round((performance.now() - startMs) / 100) / 10;
}
