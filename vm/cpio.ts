// A writer for the "newc" cpio format, the only archive format the kernel unpacks into its
// initial root filesystem. Written here so building an initramfs needs no cpio binary.

/** One entry of an initramfs: a directory, a regular file, a symbolic link or a device node. */
export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; data: Uint8Array; mode?: number }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "chardev"; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function record(ino: number, mode: number, name: string, data: Uint8Array, rdev: [number, number] = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`);
  // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const header = Buffer.from("070701" + fields.map((f) => f.toString(16).padStart(8, "0")).join(""), "latin1");
  return [header, nameBytes, pad4(header.length + nameBytes.length), Buffer.from(data), pad4(data.length)];
}

/**
 * Serialises entries into one newc archive (ending in the TRAILER!!! record). Paths are
 * relative to the initramfs root; parents must come before children. Archives can be
 * concatenated: the kernel unpacks each in turn, later entries replacing earlier ones.
 */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, i) => {
    const path = entry.path.replace(/^\/+/, "");
    if (entry.kind === "dir") parts.push(...record(i + 1, S_IFDIR | (entry.mode ?? 0o755), path, new Uint8Array()));
    else if (entry.kind === "file") parts.push(...record(i + 1, S_IFREG | (entry.mode ?? 0o644), path, entry.data));
    else if (entry.kind === "symlink") parts.push(...record(i + 1, S_IFLNK | 0o777, path, Buffer.from(entry.target)));
    else parts.push(...record(i + 1, S_IFCHR | (entry.mode ?? 0o600), path, new Uint8Array(), [entry.major, entry.minor]));
  });
  parts.push(...record(0, 0, "TRAILER!!!", new Uint8Array()));
  return Buffer.concat(parts);
}
