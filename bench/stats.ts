// Measurement helpers shared by the comparisons.

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of nothing");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Runs the JS and C measurements `trials` times each, interleaved and swapping which goes
 * first, so a burst of load from other processes on this shared machine hits both sides alike.
 */
export async function interleave<J, C>(trials: number, js: () => Promise<J>, c: () => Promise<C>): Promise<{ js: J[]; c: C[] }> {
  const out = { js: [] as J[], c: [] as C[] };
  for (let trial = 0; trial < trials; trial++) {
    if (trial % 2 === 0) {
      out.js.push(await js());
      out.c.push(await c());
    } else {
      out.c.push(await c());
      out.js.push(await js());
    }
  }
  return out;
}

/**
 * Times `windows` short runs of each side, alternating JS and C window by window, and
 * returns each side's fastest. Load from other processes comes and
 * goes within seconds on this shared machine; pairing windows closely makes both sides see
 * the same conditions, and the fastest window is the one least disturbed.
 */
export async function fastestPairedWindows(windows: number, js: () => number, c: () => Promise<number>): Promise<{ js: number; c: number }> {
  const times = await interleave(windows, async () => js(), c);
  return { js: Math.min(...times.js), c: Math.min(...times.c) };
}
