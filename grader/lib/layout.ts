// Where a course's pieces live. One value, so tests can grade fake labs in a temp dir
// exactly the way the CLI grades the real ones.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface CourseLayout {
  /** Repository (or fake course) root; paths in messages are shown relative to it. */
  root: string;
  /** Starter labs students edit: `labs/labN-slug/`. */
  labsDir: string;
  /** Reference solutions, mirroring `labsDir` file for file. */
  solutionsDir: string;
  /** One checks file per lab: `grader/labs/labN.ts`. */
  checksDir: string;
  /** Where each graded lab's results are written as JSON. */
  gradesDir: string;
}

/** The layout rooted at `root` (defaults to this repository). */
export function courseLayout(root: string = repoRoot()): CourseLayout {
  return {
    root,
    labsDir: join(root, "labs"),
    solutionsDir: join(root, "solutions"),
    checksDir: join(root, "grader", "labs"),
    gradesDir: join(root, ".grades"),
  };
}

/** This repository's root: two levels above grader/lib/. */
export function repoRoot(): string {
  return fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
}

/**
 * The layout the CLIs use. GRADER_ROOT points them at another course tree; the grader's
 * own tests use it to grade fake labs through the real command line.
 */
export function cliLayout(): CourseLayout {
  return courseLayout(process.env.GRADER_ROOT || repoRoot());
}
