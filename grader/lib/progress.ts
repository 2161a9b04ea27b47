// `npm run status` as text: one row per lab with its last score, a bar and when it was
// graded, and the course total. Pure, so its layout is testable without a terminal.
import { progressBar } from "./progress-bar.ts";
import type { LabInfo } from "./registry.ts";
import type { Painter } from "./report.ts";
import type { LabResult } from "./results.ts";

export interface LabProgress {
  lab: LabInfo;
  title: string;
  /** Points the lab's checks are worth, when its checks file could be read. */
  max?: number;
  /** The last saved grade; undefined if never graded. */
  last?: LabResult;
}

const titleWidth = 44;
const plain: Painter = { green: String, red: String, yellow: String, dim: String, bold: String };

export function progressBoard(rows: readonly LabProgress[], now: Date = new Date(), c: Painter = plain): string[] {
  const lines = [c.bold(`${"lab".padEnd(6)}${"title".padEnd(titleWidth + 2)}${"score".padStart(7)}  ${"progress".padEnd(22)}last graded`)];
  for (const { lab, title, max, last } of rows) {
    const name = `${lab.id.padEnd(6)}${fit(title, titleWidth).padEnd(titleWidth + 2)}`;
    if (!last) {
      lines.push(`${name}${`-/${max ?? "?"}`.padStart(7)}  ${c.dim("not graded yet")}`);
      continue;
    }
    const paint = last.score === last.max ? c.green : last.score === 0 ? c.red : c.yellow;
    const score = `${last.score}/${last.max}`.padStart(7);
    lines.push(`${name}${paint(score)}  ${paint(progressBar(last.score, last.max))}  ${when(new Date(last.timestamp), now)}`);
  }
  const graded = rows.filter((r) => r.last);
  const score = graded.reduce((sum, r) => sum + r.last!.score, 0);
  const knownMax = rows.every((r) => r.last || r.max !== undefined);
  const max = rows.reduce((sum, r) => sum + (r.last?.max ?? r.max ?? 0), 0);
  const total = `${score}/${knownMax ? max : "?"}`;
  const done = rows.filter((r) => r.last && r.last.score === r.last.max).length;
  lines.push(c.bold(`${"total".padEnd(6 + titleWidth + 2)}${total.padStart(7)}  ${knownMax ? progressBar(score, max) : " ".repeat(20)}  ${done} of ${rows.length} labs at full marks`));
  return lines;
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** "2025-12-01 10:33 (5 min ago)", in local time. */
export function when(at: Date, now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}`;
  return `${stamp} (${ago(now.getTime() - at.getTime())})`;
}

function ago(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}
