// What the running kernel supports, asked of the kernel itself: libbpf creates a tiny map or
// loads a tiny program of the kind in question and reports whether the kernel took it. For a
// lab that needs a feature (a ring buffer, an XDP link) to say so before it fails obscurely.
import { existsSync, readFileSync } from "node:fs";
import { addon } from "./addon.ts";

/**
 * True when the kernel can create maps of `type`, named as libbpf names them ("ringbuf",
 * "percpu_array", "hash"). Throws a TypeError for a name this libbpf does not know, and a
 * BpfError when the kernel cannot be asked (EPERM: not root).
 */
export function kernelHasMapType(type: string): boolean {
  return addon.probe("map", type);
}

/** True when the kernel can load programs of `type` ("xdp", "tracepoint", "kprobe"). Throws as kernelHasMapType. */
export function kernelHasProgramType(type: string): boolean {
  return addon.probe("prog", type);
}

/**
 * True when a program of `programType` may call `helper` (its name without `bpf_`, as in
 * linux/bpf.h: "ringbuf_reserve", "get_current_task_btf"). The kernel's verifier answers:
 * an unknown helper is refused by number. Throws as kernelHasMapType.
 */
export function kernelHasHelper(helper: string, programType: string): boolean {
  return addon.probe("helper", helper, programType);
}

const kernelBtfPath = "/sys/kernel/btf/vmlinux";
let kernelBtf: Buffer | null | undefined;

/** True when the kernel has BTF (/sys/kernel/btf/vmlinux): CO-RE objects can load. */
export function kernelHasBtf(): boolean {
  return existsSync(kernelBtfPath);
}

/**
 * True when the kernel's own BTF names `enumerator` ("BPF_LINK_TYPE_XDP"): the kernel was
 * built with that value of a uapi enum, for what no libbpf probe exists (link and attach
 * types). The string table is searched, not parsed: milliseconds even on an emulated CPU.
 */
export function kernelBtfHasEnumerator(enumerator: string): boolean {
  kernelBtf ??= kernelHasBtf() ? readFileSync(kernelBtfPath) : null;
  return kernelBtf?.includes(Buffer.from(`\0${enumerator}\0`)) ?? false;
}
