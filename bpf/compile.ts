// The one BPF compile step, shared by `npm run build`, the grader and the tests.
// Same recipe as libbpf-bootstrap: clang -g -O2 -target bpf -D__TARGET_ARCH_<arch>,
// with clang's own system include dirs so <linux/...> headers resolve for BPF too.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Directory of the shared BPF headers (common.h, generated vmlinux.h). */
export const bpfIncludeDir = dirname(fileURLToPath(import.meta.url));
/** Repository root, for printing short paths. */
export const repoRoot = dirname(bpfIncludeDir);

const vmlinuxHeader = join(bpfIncludeDir, "vmlinux.h");
const kernelBtf = "/sys/kernel/btf/vmlinux";

/** clang reported errors; `message` holds its diagnostics (file:line:col) verbatim. */
export class CompileError extends Error {
  constructor(readonly source: string, readonly stderr: string) {
    super(stderr.trim() || `clang failed on ${source}`);
    this.name = "CompileError";
  }
}

/** The __TARGET_ARCH_ value bpf_tracing.h expects for this machine. */
export function targetArch(arch: string = process.arch): string {
  const known: Record<string, string> = { x64: "x86", arm64: "arm64", arm: "arm", s390x: "s390", ppc64: "powerpc", riscv64: "riscv" };
  const target = known[arch];
  if (!target) throw new Error(`unsupported CPU architecture for BPF tracing headers: ${arch}`);
  return target;
}

/**
 * Generates bpf/vmlinux.h from the running kernel's BTF with bpftool, once.
 * The header describes the kernel you run on; CO-RE relocations make the objects portable anyway.
 */
export async function ensureVmlinux(): Promise<string> {
  if (existsSync(vmlinuxHeader)) return vmlinuxHeader;
  if (!existsSync(kernelBtf)) throw new Error(`${kernelBtf} is missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF), use the course VM`);
  const { stdout } = await run("bpftool", ["btf", "dump", "file", kernelBtf, "format", "c"], { maxBuffer: 256 << 20 });
  // Write then rename, so a build interrupted half-way never leaves a truncated header behind.
  writeFileSync(`${vmlinuxHeader}.tmp`, stdout);
  renameSync(`${vmlinuxHeader}.tmp`, vmlinuxHeader);
  return vmlinuxHeader;
}

let systemIncludes: Promise<string[]> | undefined;

/** clang's default include dirs for the host, passed as -idirafter (BPF target has none of its own). */
function clangSystemIncludes(): Promise<string[]> {
  systemIncludes ??= run("clang", ["-v", "-E", "-x", "c", "/dev/null"])
    .catch((err: { stderr?: string }) => ({ stderr: err.stderr ?? "" }))
    .then(({ stderr }) => {
      const lines = stderr.split("\n");
      const start = lines.findIndex((l) => l.startsWith("#include <...> search starts here:"));
      const end = lines.findIndex((l) => l.startsWith("End of search list."));
      if (start < 0 || end < 0) return [];
      return lines.slice(start + 1, end).flatMap((l) => ["-idirafter", l.trim()]);
    });
  return systemIncludes;
}

/** Local headers a BPF source includes with quotes, resolved next to it or in bpf/. */
function localIncludes(source: string): string[] {
  const text = readFileSync(source, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    for (const dir of [dirname(source), bpfIncludeDir]) {
      const candidate = join(dir, m[1]!);
      if (existsSync(candidate)) { found.push(candidate); break; }
    }
  }
  return found;
}

function isUpToDate(output: string, inputs: string[]): boolean {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return inputs.every((input) => statSync(input).mtimeMs <= built);
}

export interface CompileOptions {
  /** Where the object goes; defaults to the source with `.bpf.c` replaced by `.bpf.o`, beside it. */
  output?: string;
  /** Rebuild even when the object is newer than the source and its headers. */
  force?: boolean;
}

/** `path` relative to the repo root when it lies inside it, else absolute. */
function repoPath(path: string): string {
  const inside = relative(repoRoot, resolve(path));
  return inside && !inside.startsWith("..") && !isAbsolute(inside) ? inside : resolve(path);
}

/** Compiles one `*.bpf.c` into a BPF object; skips the work when the object is up to date. */
export async function compileBpf(source: string, opts: CompileOptions = {}): Promise<string> {
  if (!existsSync(source)) throw new Error(`no such BPF source: ${source}`);
  const output = opts.output ?? source.replace(/(\.bpf)?\.c$/, ".bpf.o");
  await ensureVmlinux();
  if (!opts.force && isUpToDate(output, [source, ...localIncludes(source)])) return output;
  mkdirSync(dirname(output), { recursive: true });
  const args = [
    "-g", "-O2", "-target", "bpf", `-D__TARGET_ARCH_${targetArch()}`,
    "-Wall", "-Wno-unused-function", process.stderr.isTTY ? "-fcolor-diagnostics" : "-fno-color-diagnostics",
    "-I", bpfIncludeDir, "-I", resolve(dirname(source)), ...(await clangSystemIncludes()),
    // The same source gives the same bytes in any checkout: debug info names paths from the repo root.
    `-fdebug-prefix-map=${repoRoot}=.`,
    // Relative to the repo root (clang runs there): diagnostics and BTF line info name the
    // student's file briefly, the way `npm run` users see it.
    "-c", repoPath(source), "-o", resolve(output),
  ];
  try {
    await run("clang", args, { cwd: repoRoot });
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === "ENOENT") throw new Error("clang not found: run `sudo bash scripts/provision.sh` (or use the course VM)");
    throw new CompileError(source, e.stderr ?? String(err));
  }
  return output;
}

/** Compiles every `*.bpf.c` directly inside `dir`; returns the object paths. */
export async function buildDir(dir: string, opts: Omit<CompileOptions, "output"> = {}): Promise<string[]> {
  const sources = readdirSync(dir).filter((f) => f.endsWith(".bpf.c")).sort();
  const outputs: string[] = [];
  for (const file of sources) outputs.push(await compileBpf(join(dir, file), opts));
  return outputs;
}
