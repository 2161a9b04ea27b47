// Compiling a lab's BPF code before grading it: clang's diagnostics are the student's error
// message, so a failed build becomes text to show, never a stack trace.
import { stripVTControlCharacters } from "node:util";
import { CompileError, buildDir } from "../../bpf/compile.ts";

export type BuildOutcome = { ok: true; objects: string[] } | { ok: false; message: string };

/** Compiles every `*.bpf.c` in `dir` (skipping up-to-date objects). */
export async function buildLab(dir: string): Promise<BuildOutcome> {
  try {
    return { ok: true, objects: await buildDir(dir) };
  } catch (err) {
    const message = err instanceof CompileError ? err.message : err instanceof Error ? err.message : String(err);
    return { ok: false, message: stripVTControlCharacters(message) };
  }
}
