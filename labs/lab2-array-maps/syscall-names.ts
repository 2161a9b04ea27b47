// Syscall number -> name, read from the kernel headers installed with libc (linux-libc-dev):
// `#define __NR_getppid 110`. x86_64 keeps them in asm/unistd_64.h; arm64 uses the generic
// table, where a few are spelled `__NR3264_fcntl 25`. tracefs has no such mapping (the
// `id` files under events/syscalls/ are tracepoint ids, not syscall numbers).
import { existsSync, readFileSync } from "node:fs";

const headers = [
  "/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
  "/usr/include/aarch64-linux-gnu/asm/unistd.h",
  "/usr/include/asm-generic/unistd.h",
  "/usr/include/asm/unistd_64.h",
];

/** Returns a lookup that names a syscall number, or "syscall_<n>" when no header names it. */
export function syscallNames(): (nr: number) => string {
  const names = new Map<number, string>();
  const header = headers.find((file) => existsSync(file) && readFileSync(file, "utf8").includes("__NR_getppid"));
  if (header) {
    for (const m of readFileSync(header, "utf8").matchAll(/^#define __NR(?:3264)?_(\w+)\s+(\d+)\s*$/gm)) {
      if (!names.has(Number(m[2]))) names.set(Number(m[2]), m[1]!);
    }
  }
  return (nr) => names.get(nr) ?? `syscall_${nr}`;
}
