// Whatever the grader starts must stop, even when the grader itself is interrupted:
// owners register an async cleanup here, and a SIGINT/SIGTERM to the grader runs them all.
import { constants } from "node:os";

type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();

/** Registers `fn` to run if the grader is interrupted; call the returned function once `fn` is no longer needed. */
export function onInterrupt(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Runs every registered cleanup (concurrently), ignoring their failures: each must do its best alone. */
export async function runCleanups(): Promise<void> {
  const pending = [...cleanups];
  cleanups.clear();
  await Promise.allSettled(pending.map(async (fn) => fn()));
}

/**
 * Makes SIGINT, SIGTERM and SIGHUP run the cleanups, then exit with 128 + the signal number
 * (the shell's convention). A second signal while cleaning up exits at once; the synchronous
 * last-resort kill in processes.ts still runs on the way out.
 */
export function exitOnSignals(): void {
  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const number = constants.signals[signal];
    process.on(signal, () => {
      if (interrupted) process.exit(128 + number);
      interrupted = true;
      process.stderr.write(`\ngrader: ${signal}, stopping the lab's processes...\n`);
      void runCleanups().finally(() => process.exit(128 + number));
    });
  }
}
