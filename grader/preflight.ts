// What the machine needs before any lab can run, each with the one line that fixes it.
// `npm run grade` and `npm run lab` refuse with the failing lines; `npm run doctor` shows all.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { which } from "zx";
import { repoRoot } from "./lib/layout.ts";
import { tracePipePath } from "./lib/tracefs.ts";

export interface Requirement {
  name: string;
  ok: boolean;
  /** One line: what to do about it. */
  fix: string;
}

const kernelBtf = "/sys/kernel/btf/vmlinux";
const bpffs = "/sys/fs/bpf";
const addon = join(repoRoot(), "build", "Release", "bpf_addon.node");

/** Checks every requirement; `command` is what the student ran, for the "run as root" advice. */
export function checkRequirements(command = "npm run grade"): Requirement[] {
  const nodeMajor = Number(process.versions.node.split(".")[0]);
  return [
    {
      name: "running as root",
      ok: process.getuid?.() === 0,
      fix: `run as root: sudo ${command}, or inside the course VM (loading BPF programs needs root)`,
    },
    {
      name: `Node.js 20 or newer (this is ${process.version})`,
      ok: nodeMajor >= 20,
      fix: "install Node.js 20+: sudo bash scripts/provision.sh, or from https://nodejs.org",
    },
    {
      name: `kernel BTF (${kernelBtf})`,
      ok: existsSync(kernelBtf),
      fix: "this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y): use the course VM or a distribution kernel from 2021 or later",
    },
    {
      name: "clang (compiles the BPF programs)",
      ok: onPath("clang"),
      fix: "install clang: sudo bash scripts/provision.sh (or apt-get install clang llvm)",
    },
    {
      name: "bpftool (generates vmlinux.h, lists loaded programs)",
      ok: onPath("bpftool"),
      fix: "install bpftool: sudo bash scripts/provision.sh (Debian: apt-get install bpftool; Ubuntu: apt-get install linux-tools-$(uname -r))",
    },
    {
      name: "python3 (the grader's workloads use it)",
      ok: onPath("python3") || existsSync("/usr/bin/python3"),
      fix: "install python3: sudo bash scripts/provision.sh (or apt-get install python3)",
    },
    {
      name: `tracefs mounted (${tracePipePath})`,
      ok: existsSync(tracePipePath),
      fix: "mount tracefs: sudo mount -t tracefs nodev /sys/kernel/tracing",
    },
    {
      name: `bpffs mounted (${bpffs})`,
      ok: isMounted(bpffs, "bpf"),
      fix: `mount bpffs: sudo mount -t bpf bpf ${bpffs}`,
    },
    {
      name: "BPF addon built (build/Release/bpf_addon.node)",
      ok: existsSync(addon),
      fix: "build the addon: npm install (or npm run build)",
    },
  ];
}

function onPath(command: string): boolean {
  return which.sync(command, { nothrow: true }) !== null;
}

function isMounted(path: string, type: string): boolean {
  try {
    return readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .some((line) => {
        const [, mountPoint, fsType] = line.split(" ");
        return mountPoint === path && fsType === type;
      });
  } catch {
    return false;
  }
}

/** The fix lines of the failing requirements; empty when the machine is ready. */
export function preflightProblems(command?: string): string[] {
  return checkRequirements(command)
    .filter((r) => !r.ok)
    .map((r) => r.fix);
}
