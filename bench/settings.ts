// How long each comparison runs: the full run fits in about two minutes on a 2-core machine,
// the quick one (`--quick`, for CI smoke runs) in a few seconds.
import type { CPrograms } from "./c-programs.ts";

export interface Settings {
  /** Measurements per side; the reported figure is their median. */
  trials: number;
  /**
   * ARRAY lookups: per trial, `lookupWindows` windows of `lookupsPerWindow` lookups per side,
   * alternating C and JS; a trial keeps each side's fastest window. `lookupWarmup` untimed
   * lookups come first (JIT, caches).
   */
  lookupWindows: number;
  lookupsPerWindow: number;
  lookupWarmup: number;
  /** Whole-map dumps per side per trial, alternating likewise; the fastest counts. */
  dumpRepetitions: number;
  /** How long the producer floods the ring buffer per measurement. */
  ringMilliseconds: number;
}

export const fullSettings: Settings = { trials: 5, lookupWindows: 30, lookupsPerWindow: 10_000, lookupWarmup: 30_000, dumpRepetitions: 7, ringMilliseconds: 1000 };
export const quickSettings: Settings = { trials: 1, lookupWindows: 5, lookupsPerWindow: 5_000, lookupWarmup: 10_000, dumpRepetitions: 3, ringMilliseconds: 200 };

/** Everything a comparison needs: the settings and the built C programs and BPF objects. */
export interface BenchContext {
  settings: Settings;
  programs: CPrograms;
  mapsObject: string;
  ringbufObject: string;
  /** Progress for people, on stderr (stdout carries only the results). */
  log: (line: string) => void;
}
