// The tables that the loaders of labs 2, 3 and 4 print every second from their maps: which
// table to read after a workload has run, and (for labs 2 and 4) how to read and show it.
import { CheckFailure, type MarkedLine } from "../lib/failure.ts";
import type { LoaderProcess } from "../lib/loader.ts";
import { defaultOutputWaitMs, scaled } from "../lib/timing.ts";

export interface PrintedTable {
  /** Its lines, from its title line to the line before the next title, blank lines left out. */
  lines: string[];
  /** performance.now() when its title line reached the grader. */
  receivedMs: number;
}

/**
 * The first table the loader read from its map entirely after this call, or undefined if
 * none comes in time. Tables arrive every second and the one that begins first may have been
 * read just before the call, so it is skipped; the one after it is complete once a third
 * begins. `isTitle` tells a table's first line.
 */
export async function tableAfterNext(loader: LoaderProcess, isTitle: (line: string) => boolean): Promise<PrintedTable | undefined> {
  const from = loader.stdout.length;
  const titles = () => loader.stdout.slice(from).flatMap((line, i) => (isTitle(line) ? [from + i] : []));
  const waitMs = scaled(defaultOutputWaitMs);
  if (!(await loader.waitForOutput(() => titles().length >= 2, waitMs))) return undefined;
  const receivedMs = performance.now();
  if (!(await loader.waitForOutput(() => titles().length >= 3, waitMs))) return undefined;
  const [, start, end] = titles();
  return { lines: loader.stdout.slice(start, end).filter((line) => line.trim() !== ""), receivedMs };
}

/** The loader's last lines, stdout then stderr (marked !), to show when its output is not as expected. */
export function lastLines(loader: LoaderProcess, count = 8): MarkedLine[] {
  return [
    ...loader.stdout.slice(-count).map((text): MarkedLine => ({ mark: " ", text })),
    ...loader.stderr.slice(-count).map((text): MarkedLine => ({ mark: "!", text })),
  ];
}

/** A table as the loaders of labs 2 and 4 print it: a title line at the left margin, then indented rows. */
export interface Table {
  title: string;
  rows: string[];
}

/**
 * The first table the loader read entirely after this call (see tableAfterNext). Throws a
 * CheckFailure (showing `format`) if no such table comes.
 */
export async function nextTable(loader: LoaderProcess, format: string): Promise<Table> {
  const table = await tableAfterNext(loader, (line) => /^\S/.test(line));
  if (table) return { title: table.lines[0]!, rows: table.lines.slice(1) };
  const seen = lastLines(loader);
  throw new CheckFailure(`the loader printed no complete table within ${scaled(defaultOutputWaitMs) / 1000}s after the workload ended`, {
    expected: `a table every second: ${format}`,
    seenTitle: seen.length > 0 ? `the loader's last lines${loader.ended ? `; it ${loader.ended}` : ""} (! is stderr)` : "the loader printed nothing",
    seen,
  });
}

/** The numbers standing alone in a row: "  cpu1   300" -> [300] (the 1 of cpu1 is part of a word). */
export function numbersIn(row: string): number[] {
  return [...row.matchAll(/(?<![\w.])\d+(?![\w.])/g)].map((m) => Number(m[0]));
}

/** The table as failure context: its title and rows, the ones `good` approves marked +. */
export function shown(table: Table, relevant: (row: string) => boolean, good: (row: string) => boolean): { seenTitle: string; seen: MarkedLine[] } {
  return {
    seenTitle: "the loader's table, read after the workload had ended (+ as expected, - not)",
    seen: [
      { mark: " ", text: table.title },
      ...table.rows.map((text): MarkedLine => ({ mark: relevant(text) ? (good(text) ? "+" : "-") : " ", text })),
    ],
  };
}
