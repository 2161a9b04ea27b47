// A lab's README as data: its title (the first heading) and its sections by heading, for
// `npm run status` and `npm run hint`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CourseLayout } from "./layout.ts";
import type { LabInfo } from "./registry.ts";

/** The README of the student's copy of the lab, or "" if it has none. */
export function readLabReadme(layout: CourseLayout, lab: LabInfo): string {
  try {
    return readFileSync(join(layout.labsDir, lab.dirName, "README.md"), "utf8");
  } catch {
    return "";
  }
}

/** "hash maps — which processes open files" from "# Lab 3: hash maps — which processes open files". */
export function readmeTitle(markdown: string): string | undefined {
  const heading = /^#\s+(.+?)\s*$/m.exec(markdown)?.[1];
  return heading?.replace(/^lab\s*\d+\s*[:.—-]\s*/i, "");
}

/** The body of the `## name` section (up to the next `## ` heading), or undefined. */
export function readmeSection(markdown: string, name: string): string | undefined {
  const lines = markdown.split("\n");
  let inFence = false;
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(?:```|~~~)/.test(line)) inFence = !inFence;
    if (inFence || !/^##\s/.test(line)) continue;
    if (start >= 0) return lines.slice(start, i).join("\n");
    if (line.replace(/^##\s+/, "").trim().toLowerCase() === name.toLowerCase()) start = i + 1;
  }
  return start >= 0 ? lines.slice(start).join("\n") : undefined;
}
