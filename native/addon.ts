// The compiled addon and the shape of what it exports. Internal: labs use the classes in
// object.ts, program.ts, map.ts, ringbuf.ts and tracepipe.ts, never this file.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface NativeProgramInfo { name: string; section: string; type: string; autoload: boolean }
export interface NativeMapInfo {
  name: string; type: string; keySize: number; valueSize: number; maxEntries: number; flags: number;
  btfKeyTypeId: number; btfValueTypeId: number; internal: boolean;
}
export interface NativeTestRunResult { retval: number; data: Buffer; durationNs: number }

export interface NativeObject {
  readonly name: string;
  readonly loaded: boolean;
  readonly closed: boolean;
  programs(): NativeProgramInfo[];
  maps(): NativeMapInfo[];
  btf(): Buffer | null;
  initialValue(map: string): Buffer | null;
  setInitialValue(map: string, value: Buffer): void;
  setAutoload(program: string, autoload: boolean): void;
  load(): void;
  openMap(map: string): NativeMap;
  attach(program: string, kind: string, options?: object): NativeLink;
  testRun(program: string, data: Buffer, repeat?: number): NativeTestRunResult;
  programFd(program: string): number;
  close(): void;
}
export interface NativeLink { readonly fd: number; readonly closed: boolean; readonly description: string; close(): void }
export interface NativeMap {
  readonly fd: number; readonly closed: boolean; readonly keySize: number; readonly valueSize: number;
  lookup(key: Buffer | null): Buffer | null;
  lookupInto(key: Buffer | null, value: Buffer): boolean;
  /** A function that looks up `key`'s current bytes into `value` each call (sizes checked once, here). */
  bindLookup(key: Buffer, value: Buffer): () => boolean;
  update(key: Buffer | null, value: Buffer, flags?: number): void;
  delete(key: Buffer | null): boolean;
  nextKey(key: Buffer | null): Buffer | null;
  lookupBatch(chunk?: number): { keys: Buffer; values: Buffer; count: number };
  /** Writes bytes into the value of an mmapable array (.bss/.data) in place. */
  writeAt(offset: number, bytes: Buffer): void;
  close(): void;
}
export interface NativeRingBuffer {
  readonly closed: boolean;
  start(onReadable: (status: number) => void): void;
  stop(): void;
  /** Byte count copied into `spare` (0: empty), or a new Buffer when the batch did not fit. */
  drain(max: number, spare?: Buffer): number | Buffer;
  close(): void;
}
export interface NativeTracePipe {
  readonly closed: boolean; readonly path: string;
  start(onReadable: (status: number) => void): void;
  read(): string;
  close(): void;
}

export interface Addon {
  NativeObject: new (source: string | Buffer, name?: string) => NativeObject;
  NativeRingBuffer: new (map: NativeMap) => NativeRingBuffer;
  NativeTracePipe: new (path?: string) => NativeTracePipe;
  numPossibleCpus(): number;
  /** Asks the kernel whether it supports a map type, program type or helper (see probe.ts). */
  probe(kind: "map" | "prog", name: string): boolean;
  probe(kind: "helper", name: string, progType: string): boolean;
  libbpfVersion: string;
  setErrorFactory(factory: (kind: string, message: string, code: string, errno: number, log: string) => Error): void;
}

const addonPath = fileURLToPath(new URL("../build/Release/bpf_addon.node", import.meta.url));
if (!existsSync(addonPath)) {
  throw new Error(`the BPF addon is not built (${addonPath} is missing): run \`npm run build\``);
}

/** The loaded addon; a .node file can only come in through require. */
export const addon = createRequire(import.meta.url)(addonPath) as Addon;
