// One row per measured quantity, printed as a table for people or as JSON for CI.
import { median } from "./stats.ts";

/** What `--json` prints, one per row. `ratio` is how JS compares with C, 1 = as good as C. */
export interface Row {
  name: string;
  js: number;
  c: number;
  unit: string;
  /** Higher is better for JS: JS/C for rates, C/JS for times; null where no ratio means anything. */
  ratio: number | null;
}

export interface Result extends Row {
  /** The goal in words, e.g. "ratio >= 0.85". */
  target: string;
  /** Whether the goal was met; null for rows that only inform. */
  met: boolean | null;
}

/** Per-trial figures of each side; trial i of JS ran next to trial i of C. */
export interface Trials {
  js: readonly number[];
  c: readonly number[];
}

/**
 * The ratio of a trial's JS and C figures, median over the trials. Pairing by trial cancels
 * most of the load other processes put on this machine, which moves both sides of a pair.
 */
function pairedRatio(trials: Trials, ratio: (js: number, c: number) => number): number {
  return median(trials.js.map((js, i) => ratio(js, trials.c[i]!)));
}

/** A row for a quantity where more is better (ops/s, events/s): ratio is JS/C. */
export function higherIsBetter(name: string, unit: string, trials: Trials, minRatio: number): Result {
  const ratio = pairedRatio(trials, (js, c) => js / c);
  return { name, js: median(trials.js), c: median(trials.c), unit, ratio, target: `ratio >= ${minRatio.toFixed(2)}`, met: ratio >= minRatio };
}

/** A row for a quantity where less is better (a time): ratio is C/JS, JS's relative speed. */
export function lowerIsBetter(name: string, unit: string, trials: Trials, maxTimes: number): Result {
  const ratio = pairedRatio(trials, (js, c) => c / js);
  return { name, js: median(trials.js), c: median(trials.c), unit, ratio, target: `ratio >= ${(1 / maxTimes).toFixed(2)} (JS <= ${maxTimes} x C)`, met: ratio >= 1 / maxTimes };
}

/** A row that informs only, no target; `lowerIsBetter` says which way its ratio is taken. */
export function information(name: string, unit: string, trials: Trials, lowerIsBetter: boolean): Result {
  const ratio = pairedRatio(trials, (js, c) => (lowerIsBetter ? c / js : js / c));
  return { name, js: median(trials.js), c: median(trials.c), unit, ratio, target: "(information)", met: null };
}

export function toJson(results: readonly Result[]): string {
  // Three decimals: more would only print measurement noise.
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const rows: Row[] = results.map(({ name, js, c, unit, ratio }) => ({ name, js: round(js), c: round(c), unit, ratio: ratio === null ? null : round(ratio) }));
  return JSON.stringify(rows, null, 2);
}

function formatNumber(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return value.toFixed(value >= 10 ? 1 : 3);
}

export function toTable(results: readonly Result[]): string {
  const header = ["benchmark", "JS", "C", "unit", "ratio", "target", "met"];
  const lines = results.map((r) => [
    r.name, formatNumber(r.js), formatNumber(r.c), r.unit,
    r.ratio === null ? "-" : r.ratio.toFixed(2), r.target, r.met === null ? "-" : r.met ? "yes" : "NO",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const numeric = new Set([1, 2, 4]);
  const format = (cells: string[]) => cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd();
  return [
    format(header),
    format(widths.map((w) => "-".repeat(w))),
    ...lines.map(format),
    "",
    "ratio: JS compared with C, 1.00 = as good as C, higher is better (JS/C for a rate, C/JS",
    "       for a time). Targets: lookup >= 0.85; dump JS time <= 1.3 x C; ring buffer JS",
    "       consumes >= C with 0 lost.",
    "JS and C run alternately. JS and C columns: medians of the trials; ratio: median of the",
    "trials' own ratios (a trial's JS and C ran side by side, under the same outside load).",
    "A lookup or dump trial keeps each side's fastest of many alternating windows; a ring",
    "buffer trial is one whole run of the same producer, for the same time, per side.",
  ].join("\n");
}
