// The course's BPF library: `import { BpfObject, TracePipe } from "#bpf"`.
export { BpfObject } from "./object.ts";
export { Program, Link, type UprobeOptions, type XdpMode, type TestRunResult } from "./program.ts";
export { BpfMap, sumPerCpu, type UpdateMode } from "./map.ts";
export { RingBuffer, RecordBatch, type RingBufferOptions } from "./ringbuf.ts";
export { TracePipe, parseTraceLine, type TraceLine } from "./tracepipe.ts";
export { Btf, type Codec, type BtfType } from "./btf.ts";
export { BpfError, VerifierError, parseVerifierLog, type SourceLine } from "./errors.ts";
export { kernelHasMapType, kernelHasProgramType, kernelHasHelper, kernelHasBtf, kernelBtfHasEnumerator } from "./probe.ts";
import { addon } from "./addon.ts";

/** Number of possible CPUs: the length of every per-CPU value array. */
export function possibleCpus(): number { return addon.numPossibleCpus(); }

/** The system libbpf's version, e.g. "v1.1". */
export const libbpfVersion: string = addon.libbpfVersion;
