// Putting a lab back as it was handed out: its files as committed in git (HEAD unless told
// otherwise), after copying the student's current files aside. Only the lab's directory is
// touched; files the student added are kept (and backed up too).
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { makeOwnedDir, giveToInvokingUser } from "./owner.ts";

export class NotRestorableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotRestorableError";
  }
}

function git(cwd: string, args: readonly string[]): Buffer {
  return execFileSync("git", ["-C", cwd, ...args], { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

/** Why git cannot help, in one line (its own message is the best explanation). */
function gitProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
  if (e.code === "ENOENT") return "git is not installed";
  return e.stderr?.toString().trim().split("\n")[0] ?? String(err);
}

/** A lab's starter as committed: where, and which files. */
export interface Starter {
  /** The checkout's top directory. */
  top: string;
  /** The lab directory, relative to `top`. */
  inRepo: string;
  rev: string;
  /** Paths relative to the lab directory. */
  files: string[];
}

/** The starter of `labDir` in `rev`; throws NotRestorableError saying why there is none. */
export function findStarter(labDir: string, rev = "HEAD"): Starter {
  let top: string;
  try {
    top = git(labDir, ["rev-parse", "--show-toplevel"]).toString().trim();
  } catch (err) {
    throw new NotRestorableError(`${labDir} is not in a git checkout, so there is no starter copy to restore it from (${gitProblem(err)}); get one with git clone`);
  }
  const inRepo = relative(realpathSync(top), realpathSync(labDir));
  let listed: string;
  try {
    listed = git(top, ["ls-tree", "-r", "-z", "--name-only", rev, "--", inRepo]).toString();
  } catch (err) {
    throw new NotRestorableError(`git cannot list ${inRepo} in ${rev}: ${gitProblem(err)}`);
  }
  const files = listed.split("\0").filter(Boolean).map((path) => relative(inRepo, path));
  if (files.length === 0) throw new NotRestorableError(`${inRepo} is not in git's ${rev}: there is no committed starter to restore`);
  return { top, inRepo, rev, files };
}

/** Copies every file of `dir` except build output into `backup`; returns how many. */
export function backupDir(dir: string, backup: string): number {
  let copied = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith(".bpf.o")) continue;
    const from = join(entry.parentPath, entry.name);
    const to = join(backup, relative(dir, from));
    makeOwnedDir(dirname(to));
    copyFileSync(from, to);
    giveToInvokingUser(to);
    copied++;
  }
  return copied;
}

/** Overwrites the lab's files with their committed content. */
export function restoreStarter(labDir: string, { top, inRepo, rev, files }: Starter): void {
  for (const file of files) {
    const content = git(top, ["show", `${rev}:${join(inRepo, file)}`]);
    makeOwnedDir(dirname(join(labDir, file)));
    writeFileSync(join(labDir, file), content);
  }
}
