// Which Debian kernels the course is proven on, and how one becomes bootable: fetched with
// `apt-get download` (never installed into /boot), unpacked with `dpkg-deb -x`, its modules
// indexed with `depmod -b`, its vmlinux extracted; all kept in a cache between runs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { extractVmlinux } from "./vmlinux.ts";

/** A short name for a kernel series, with the exact Debian package we pin it to. */
export interface KernelSeries {
  readonly alias: string;
  readonly description: string;
  /** The package we test with; when the archive has dropped it, the newest of `family` is used. */
  readonly pinned: string;
  /** Matches every package name of the same series (for the fallback and for error messages). */
  readonly family: RegExp;
}

/** The kernels the course is proven on, besides the host's own. */
export const KERNEL_SERIES: readonly KernelSeries[] = [
  {
    alias: "6.1",
    description: "Debian 12's own kernel (bookworm)",
    pinned: "linux-image-6.1.0-56-amd64",
    family: /^linux-image-6\.1\.0-(\d+)-amd64$/,
  },
  {
    alias: "6.12",
    description: "Linux 6.12 built for Debian 12 (bookworm)",
    pinned: "linux-image-6.12.117+deb12-amd64",
    family: /^linux-image-6\.12\.(\d+)\+deb12-amd64$/,
  },
];

/** A kernel unpacked in the cache, ready to boot. */
export interface PreparedKernel {
  /** The Debian package it came from, e.g. linux-image-6.1.0-56-amd64. */
  readonly packageName: string;
  /** The package version, e.g. 6.1.192-2. */
  readonly packageVersion: string;
  /** What `uname -r` prints in the guest, e.g. 6.1.0-56-amd64. */
  readonly release: string;
  /** The uncompressed ELF kernel QEMU boots through its PVH entry. */
  readonly vmlinux: string;
  /** lib/modules/<release> of the unpacked package, with modules.dep. */
  readonly modulesDir: string;
  /** The kernel's build configuration (boot/config-<release>). */
  readonly config: string;
}

/** A kernel could not be fetched or prepared; the message says what to do. */
export class KernelFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KernelFetchError";
  }
}

/** Where unpacked kernels live: $EBPF_VM_CACHE, else /var/cache/ebpf-course/kernels as root, else ~/.cache. */
export function kernelCacheDir(): string {
  if (process.env.EBPF_VM_CACHE) return process.env.EBPF_VM_CACHE;
  return process.getuid?.() === 0 ? "/var/cache/ebpf-course/kernels" : join(homedir(), ".cache/ebpf-course/kernels");
}

const MANIFEST = "kernel.json";

function readPrepared(dir: string): PreparedKernel | undefined {
  const manifest = join(dir, MANIFEST);
  if (!existsSync(manifest)) return undefined;
  return JSON.parse(readFileSync(manifest, "utf8")) as PreparedKernel;
}

function seriesFor(spec: string): KernelSeries | undefined {
  return KERNEL_SERIES.find((s) => s.alias === spec || s.family.test(spec));
}

/** Package names apt knows for a series, newest first. Needs a prior `apt-get update`. */
function availableInSeries(series: KernelSeries): string[] {
  const names = spawnSync("apt-cache", ["pkgnames", "linux-image-"], { encoding: "utf8" }).stdout ?? "";
  const abi = (name: string) => Number(series.family.exec(name)?.[1] ?? -1);
  return names.split("\n").filter((n) => series.family.test(n)).sort((a, b) => abi(b) - abi(a));
}

function aptHasCandidate(packageName: string): boolean {
  const policy = spawnSync("apt-cache", ["policy", packageName], { encoding: "utf8" }).stdout ?? "";
  return /Candidate: (?!\(none\))/.test(policy);
}

/**
 * The exact package to use for `spec` ("6.1", "6.12", or a full linux-image-… name).
 * A cached copy of the pinned package wins; otherwise the pinned package if apt can fetch it,
 * else the newest package of the same series (with a warning through `log`).
 */
export function resolveKernelPackage(spec: string, log: (line: string) => void = () => {}): string {
  const series = seriesFor(spec);
  if (!series) {
    if (spec.startsWith("linux-image-")) return spec;
    const known = KERNEL_SERIES.map((s) => `${s.alias} (${s.pinned})`).join(", ");
    throw new KernelFetchError(`unknown kernel "${spec}": use one of ${known}, "host", or a full linux-image-… package name`);
  }
  const wanted = spec === series.alias ? series.pinned : spec;
  if (readPrepared(join(kernelCacheDir(), wanted)) || aptHasCandidate(wanted)) return wanted;
  if (spec !== series.alias) throw new KernelFetchError(`apt cannot find ${spec}: run apt-get update, or check the name with apt-cache search linux-image`);
  const cached = existsSync(kernelCacheDir()) ? readdirSync(kernelCacheDir()).filter((n) => series.family.test(n)) : [];
  const fallback = availableInSeries(series)[0] ?? cached[0];
  if (!fallback) {
    throw new KernelFetchError(
      `no ${series.alias} kernel package is known to apt (wanted ${series.pinned}): run \`apt-get update\` ` +
        `(the bookworm and bookworm-security archives must be in the apt sources), then retry`,
    );
  }
  log(`vm: ${series.pinned} is no longer in the archive; using ${fallback} (update vm/kernels.ts to pin it)`);
  return fallback;
}

function run(what: string, command: string, args: string[], cwd?: string): void {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (result.error) throw new KernelFetchError(`${what}: cannot run ${command}: ${result.error.message}`);
  if (result.status !== 0) throw new KernelFetchError(`${what} failed (${command} ${args.join(" ")}):\n${(result.stderr || result.stdout).trim()}`);
}

/**
 * Downloads, unpacks and indexes `packageName` into the cache unless it is already there.
 * Concurrent callers each unpack into a private directory and the first rename wins.
 */
export function prepareKernelPackage(packageName: string, log: (line: string) => void = () => {}): PreparedKernel {
  const cache = kernelCacheDir();
  const target = join(cache, packageName);
  const ready = readPrepared(target);
  if (ready) return ready;

  mkdirSync(cache, { recursive: true });
  const work = join(cache, `.partial-${packageName}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    let t = Date.now();
    // The sandbox user (_apt) cannot write into a root-owned cache; downloading as root is fine here.
    const download = spawnSync("apt-get", ["download", "-q", "-o", "APT::Sandbox::User=root", packageName], { cwd: work, encoding: "utf8" });
    if (download.status !== 0) {
      throw new KernelFetchError(
        `could not download ${packageName} from Debian's archive (is the network up, and has \`apt-get update\` run?):\n` +
          `${(download.stderr || download.stdout || download.error?.message || "").trim()}`,
      );
    }
    const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
    if (!deb) throw new KernelFetchError(`apt-get download ${packageName} produced no .deb`);
    log(`vm: downloaded ${deb} in ${Date.now() - t} ms`);

    t = Date.now();
    const tree = join(work, "tree");
    run(`unpacking ${deb}`, "dpkg-deb", ["-x", join(work, deb), tree]);
    rmSync(join(work, deb));
    const modulesRoot = join(tree, "lib/modules");
    const release = readdirSync(modulesRoot)[0];
    if (!release) throw new KernelFetchError(`${deb} holds no lib/modules/<release> directory`);
    // Debian generates modules.dep at install time; we never install, so index them here.
    run(`indexing the modules of ${release}`, "depmod", ["-b", tree, release]);
    extractVmlinux(join(tree, "boot", `vmlinuz-${release}`), join(work, "vmlinux"));
    log(`vm: unpacked ${release} (dpkg-deb, depmod, vmlinux) in ${Date.now() - t} ms`);

    const packageVersion = /^[^_]+_([^_]+)_/.exec(deb)?.[1]?.replace(/%3a/gi, ":") ?? "unknown";
    const prepared: PreparedKernel = {
      packageName,
      packageVersion,
      release,
      vmlinux: join(target, "vmlinux"),
      modulesDir: join(target, "tree/lib/modules", release),
      config: join(target, "tree/boot", `config-${release}`),
    };
    writeFileSync(join(work, MANIFEST), JSON.stringify(prepared, null, 2));
    try {
      renameSync(work, target);
    } catch (err) {
      // Another process finished first: keep its copy.
      if (!readPrepared(target)) throw err;
    }
    return prepared;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Resolves `spec` and makes sure the kernel is in the cache; see resolveKernelPackage. */
export function prepareKernel(spec: string, log: (line: string) => void = () => {}): PreparedKernel {
  return prepareKernelPackage(resolveKernelPackage(spec, log), log);
}

/** The kernel's build configuration as name → value ("y", "m", a number or a string). */
export function kernelConfig(kernel: PreparedKernel): Map<string, string> {
  const config = new Map<string, string>();
  for (const line of readFileSync(kernel.config, "utf8").split("\n")) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (m) config.set(m[1]!, m[2]!);
  }
  return config;
}

