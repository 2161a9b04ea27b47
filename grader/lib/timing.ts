// Time limits. Generous by default (a loader starts in ~1 s here, 6-7 s in an emulated VM),
// and one knob to stretch them all on a slower machine.

/** GRADER_TIME_SCALE=4 multiplies every grader timeout by 4 (e.g. under QEMU without KVM). */
export function scaled(ms: number): number {
  const factor = Number(process.env.GRADER_TIME_SCALE ?? "1");
  return Number.isFinite(factor) && factor > 0 ? Math.round(ms * factor) : ms;
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
