// The QEMU command line for a course VM: q35, the uncompressed kernel booted through PVH,
// the host's root shared read-only and the project read-write over virtio-9p, and four
// host-side unix sockets carrying the console, the command's stdout and stderr, and status.
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";

export type Accelerator = "kvm" | "tcg";

/**
 * KVM when /dev/kvm opens and the CPU advertises virtualisation (vmx/svm); TCG otherwise.
 * $EBPF_VM_ACCEL=kvm|tcg overrides: some hosts expose a /dev/kvm that cannot boot a stock
 * Debian kernel, and there only TCG works.
 */
export function chooseAccelerator(): Accelerator {
  const forced = process.env.EBPF_VM_ACCEL;
  if (forced === "kvm" || forced === "tcg") return forced;
  if (forced) throw new Error(`EBPF_VM_ACCEL must be "kvm" or "tcg", not "${forced}"`);
  if (!existsSync("/dev/kvm")) return "tcg";
  try {
    closeSync(openSync("/dev/kvm", "r+"));
  } catch {
    return "tcg";
  }
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  return /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo) ? "kvm" : "tcg";
}

/**
 * How TCG runs: one host thread for all vCPUs, and every CPU feature except the AVX family.
 * With multi-threaded TCG (QEMU 7.2, Debian 12) node in the guest crashed in one start of
 * four on a busy host (SIGSEGV, SIGILL, a tsx parse error or a wasm trap on intact files:
 * V8 rewrites its JIT code while the other vCPU runs it); AVX off alone did not cure it,
 * one thread did (0 crashes in 12 starts, each ~20% slower). AVX stays off: 7.2 was the
 * first QEMU to emulate it.
 */
export const TCG_ACCEL = "tcg,thread=single";
export const TCG_CPU = "max,avx=off,avx2=off,fma=off,f16c=off,vaes=off,vpclmulqdq=off";

/** The host-side unix socket paths, one per guest stream. */
export interface GuestSockets {
  readonly console: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly status: string;
}

export interface QemuOptions {
  readonly vmlinux: string;
  readonly initramfs: string;
  readonly projectDir: string;
  readonly sockets: GuestSockets;
  readonly accelerator: Accelerator;
  readonly memoryMiB: number;
  readonly cpus: number;
}

/** Kernel command line: quiet serial console, and a panic powers the VM off (with -no-reboot). */
export const KERNEL_CMDLINE = "console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off rdinit=/init";

function share(id: string, path: string, readonly: boolean): string[] {
  // passthrough: files the guest's root creates belong to root on the host, as they would natively.
  // multidevs=remap: the shared tree spans several host filesystems; keep inode numbers unique.
  const fsdev = `local,id=${id},path=${path.replace(/,/g, ",,")},security_model=passthrough,multidevs=remap${readonly ? ",readonly=on" : ""}`;
  return ["-fsdev", fsdev, "-device", `virtio-9p-pci,fsdev=${id},mount_tag=${id}`];
}

function port(name: string, path: string, nr: number): string[] {
  return ["-chardev", `socket,id=${name},path=${path}`, "-device", `virtserialport,bus=ports.0,chardev=${name},name=${name},nr=${nr}`];
}

/** argv for qemu-system-x86_64 (without the program name). */
export function qemuArgs(o: QemuOptions): string[] {
  const accel = o.accelerator === "kvm" ? ["-accel", "kvm", "-cpu", "host"] : ["-accel", TCG_ACCEL, "-cpu", TCG_CPU];
  return [
    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    "-machine", "q35", ...accel, "-smp", String(o.cpus), "-m", String(o.memoryMiB),
    "-kernel", o.vmlinux, "-initrd", o.initramfs, "-append", KERNEL_CMDLINE,
    "-chardev", `socket,id=console,path=${o.sockets.console}`, "-serial", "chardev:console",
    ...share("hostroot", "/", true),
    ...share("project", o.projectDir, false),
    "-device", "virtio-serial-pci,id=ports",
    ...port("stdout", o.sockets.stdout, 1),
    ...port("stderr", o.sockets.stderr, 2),
    ...port("status", o.sockets.status, 3),
  ];
}
