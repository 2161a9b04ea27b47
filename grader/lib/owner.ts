// Files the grader writes into the student's checkout (.grades/, reports, backups) belong
// to the student even when the grade ran under sudo: otherwise the next `npm run hint` or
// `npm run reset`, run without sudo, cannot write beside them.
import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Hands `path` to the user who ran sudo; nothing when we are not root under sudo. */
export function giveToInvokingUser(path: string, env: NodeJS.ProcessEnv = process.env): void {
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  if (process.getuid?.() !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid) || env.SUDO_UID === undefined) return;
  try {
    chownSync(path, uid, gid);
  } catch {
    // A filesystem without owners (a VM's shared folder): nothing to fix there.
  }
}

/** mkdir -p `dir`, every directory it creates handed to the invoking user. */
export function makeOwnedDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = dir; d.length >= first.length; d = dirname(d)) giveToInvokingUser(d);
}

/** Writes a file the student owns. */
export function writeOwnedFile(file: string, text: string): void {
  makeOwnedDir(dirname(file));
  writeFileSync(file, text);
  giveToInvokingUser(file);
}
