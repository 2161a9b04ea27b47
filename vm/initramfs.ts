// The initramfs a guest boots with: static busybox, the guest scripts (vm/guest/), and the
// modules the kernel needs before it can reach the host's root filesystem. Debian builds
// 9p and overlay (and, in 6.1, virtio) as modules, and busybox's insmod reads neither
// compressed modules nor dependencies, so they are decompressed here and loaded in order.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpioArchive, type CpioEntry } from "./cpio.ts";
import type { PreparedKernel } from "./kernels.ts";

const guestDir = join(dirname(fileURLToPath(import.meta.url)), "guest");

/** What the guest must load to mount its root: virtio PCI and console ports, 9p, overlay. */
export const BOOT_MODULES = ["virtio_pci", "virtio_console", "9pnet_virtio", "9p", "overlay"] as const;

/** Where the static busybox comes from (Debian's busybox-static); $EBPF_VM_BUSYBOX overrides. */
export function busyboxPath(): string {
  return process.env.EBPF_VM_BUSYBOX ?? "/bin/busybox";
}

/** True when the ELF file has no program interpreter, i.e. it runs without a dynamic loader. */
function isStaticElf(bytes: Buffer): boolean {
  if (bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2) return false; // ELF64 only
  const phoff = Number(bytes.readBigUInt64LE(0x20));
  const phentsize = bytes.readUInt16LE(0x36);
  const phnum = bytes.readUInt16LE(0x38);
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) if (bytes.readUInt32LE(phoff + i * phentsize) === PT_INTERP) return false;
  return true;
}

function readBusybox(): Buffer {
  const path = busyboxPath();
  if (!existsSync(path)) throw new Error(`${path} is missing: install busybox-static (bash vm/provision-vm.sh)`);
  const bytes = readFileSync(path);
  if (!isStaticElf(bytes)) throw new Error(`${path} is dynamically linked: the initramfs needs busybox-static (bash vm/provision-vm.sh)`);
  return bytes;
}

const moduleName = (file: string) => file.replace(/^.*\//, "").replace(/\.ko(\.\w+)?$/, "").replace(/-/g, "_");

/**
 * The module files (relative to modulesDir) that must be loaded, dependencies first, to get
 * `wanted`. Modules built into the kernel are skipped; a module neither built in nor shipped
 * is an error.
 */
export function moduleLoadOrder(modulesDir: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, { file: string; needs: string[] }>();
  for (const line of readFileSync(join(modulesDir, "modules.dep"), "utf8").split("\n")) {
    const [file, rest] = line.split(":");
    if (!file || rest === undefined) continue;
    deps.set(moduleName(file), { file, needs: rest.trim().split(/\s+/).filter(Boolean).map(moduleName) });
  }
  const builtin = new Set(readFileSync(join(modulesDir, "modules.builtin"), "utf8").split("\n").filter(Boolean).map(moduleName));

  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const entry = deps.get(name);
    if (!entry) {
      if (builtin.has(name)) return;
      throw new Error(`kernel module ${name} is neither built in nor in ${modulesDir}`);
    }
    entry.needs.forEach(visit);
    order.push(entry.file);
  };
  wanted.forEach(visit);
  return order;
}

function decompressModule(path: string): Buffer {
  const tools: Record<string, string[]> = { ".xz": ["xz", "-dc"], ".zst": ["zstd", "-dcq"], ".gz": ["gzip", "-dc"] };
  const ext = /\.ko(\.\w+)$/.exec(path)?.[1];
  if (!ext) return readFileSync(path);
  const tool = tools[ext];
  if (!tool) throw new Error(`cannot decompress ${path}: unknown extension ${ext}`);
  const out = spawnSync(tool[0]!, [...tool.slice(1), path], { maxBuffer: 1 << 28 });
  if (out.status !== 0) throw new Error(`${tool[0]} failed on ${path}: ${out.stderr?.toString() ?? out.error?.message}`);
  return out.stdout;
}

/**
 * The part of the initramfs that depends only on the kernel: cached beside the kernel, keyed
 * by a hash of its inputs so edits to the guest scripts or a new busybox rebuild it.
 */
export function baseInitramfs(kernel: PreparedKernel): Buffer {
  const busybox = readBusybox();
  const init = readFileSync(join(guestDir, "init"));
  const stage2 = readFileSync(join(guestDir, "stage2.sh"));
  const modules = moduleLoadOrder(kernel.modulesDir, BOOT_MODULES);
  const key = createHash("sha256").update(busybox).update(init).update(stage2).update(modules.join("\n")).digest("hex").slice(0, 16);
  const cached = join(dirname(kernel.vmlinux), `initramfs-${key}.cpio`);
  if (existsSync(cached)) return readFileSync(cached);

  const entries: CpioEntry[] = [
    ...["bin", "dev", "proc", "sys", "modules", "job"].map((path): CpioEntry => ({ kind: "dir", path })),
    // The kernel opens /dev/console for init's stdio before anything mounts devtmpfs.
    { kind: "chardev", path: "dev/console", major: 5, minor: 1 },
    { kind: "file", path: "bin/busybox", data: busybox, mode: 0o755 },
    { kind: "file", path: "init", data: init, mode: 0o755 },
    { kind: "file", path: "stage2.sh", data: stage2, mode: 0o644 },
    ...modules.map((file, i): CpioEntry => ({
      kind: "file",
      // The numeric prefix keeps the shell glob in init in dependency order.
      path: `modules/${String(i).padStart(2, "0")}-${moduleName(file)}.ko`,
      data: decompressModule(join(kernel.modulesDir, file)),
    })),
  ];
  const archive = cpioArchive(entries);
  const partial = `${cached}.${process.pid}`;
  writeFileSync(partial, archive);
  renameSync(partial, cached);
  // Archives built from older guest scripts or busybox are never used again.
  for (const old of readdirSync(dirname(cached))) {
    if (/^initramfs-\w+\.cpio$/.test(old) && join(dirname(cached), old) !== cached) rmSync(join(dirname(cached), old), { force: true });
  }
  return archive;
}

/** Quotes a string for a POSIX shell. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** What one run of the guest does; it becomes /job/ in the initramfs. */
export interface GuestJob {
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly projectDir: string;
}

/** The per-run archive, appended after the base one (the kernel unpacks both, in order). */
export function jobArchive(kernel: PreparedKernel, job: GuestJob): Buffer {
  const vars = { VM_RELEASE: kernel.release, VM_MODULES_DIR: kernel.modulesDir, VM_PROJECT_DIR: job.projectDir, VM_CWD: job.cwd };
  const envSh = Object.entries(vars).map(([k, v]) => `${k}=${shellQuote(v)}\n`).join("");
  const commandSh =
    Object.entries(job.env).map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join("") +
    `exec ${job.command.map(shellQuote).join(" ")}\n`;
  return cpioArchive([
    { kind: "dir", path: "job" },
    { kind: "file", path: "job/env.sh", data: Buffer.from(envSh) },
    { kind: "file", path: "job/command.sh", data: Buffer.from(commandSh) },
  ]);
}
