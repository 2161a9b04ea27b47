// Asking before doing something a student cannot undo (y/N: anything but yes is no).
import { createInterface } from "node:readline/promises";

/** True only if the student answers y or yes on a terminal; false without a terminal. */
export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(?:es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
