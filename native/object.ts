// A BPF object: the compiled ELF file with its programs, maps and global variables. Its life is
// the libbpf one: open -> set globals -> load -> attach / use maps -> close.
import { openSync, readSync, closeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { NativeMapInfo, NativeObject } from "./addon.ts";
import { addon } from "./addon.ts";
import { Btf, BtfFormatError } from "./btf.ts";
import { BpfError, closedError } from "./errors.ts";
import { BpfMap } from "./map.ts";
import { Link, Program } from "./program.ts";
import { RingBuffer, type RingBufferOptions } from "./ringbuf.ts";

const EM_BPF = 247;
const BPF_F_MMAPABLE = 1 << 10;

/** Rejects files that are not BPF ELF objects before libbpf sees them, with a reason. */
function checkElfHeader(header: Uint8Array, what: string): void {
  const bytes = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  if (bytes.length < 20 || bytes.readUInt32BE(0) !== 0x7f454c46) {
    throw new BpfError("open", `${what} is not a BPF object: it is not an ELF file (build it with \`npm run build\`)`, "ENOEXEC", 8);
  }
  const machine = bytes[5] === 2 ? bytes.readUInt16BE(18) : bytes.readUInt16LE(18);
  if (machine !== EM_BPF) {
    throw new BpfError("open", `${what} is not a BPF object: it is an ELF file for machine ${machine}, not BPF (compile with clang -target bpf)`, "ENOEXEC", 8);
  }
}

function readHeader(path: string): Uint8Array {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const header = Buffer.alloc(64);
    return header.subarray(0, readSync(fd, header, 0, 64, 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    const hint = code === "ENOENT" ? " (did `npm run build` compile it?)" : code === "EISDIR" ? " (a directory, not a .bpf.o file)" : "";
    throw new BpfError("open", `cannot open BPF object ${path}: ${code}${hint}`, code, 0);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The object's BTF, decoded. libbpf accepts BTF our decoder refuses (an unknown version, an
 * impossible int encoding): that is a damaged object too, so it fails like one, as a BpfError.
 */
function parseObjectBtf(native: NativeObject): Btf | undefined {
  const raw = native.btf();
  if (!raw) return undefined;
  try {
    return Btf.parse(raw);
  } catch (err) {
    if (!(err instanceof BtfFormatError)) throw err;
    const name = native.name;
    native.close();
    throw new BpfError("open", `cannot open BPF object ${name}: its BTF is damaged: ${err.message} (rebuild it with \`npm run build\`)`, "ELIBBPF", 4001);
  }
}

/** Where a global variable lives: its map (".bss", ".data", ".rodata", ...) and byte range. */
interface GlobalLocation { map: NativeMapInfo; section: string; offset: number; size: number }

/**
 * A compiled BPF object (`*.bpf.o`) and everything in it. Nothing reaches the kernel until
 * load(); after close() (or the end of a `using` scope) every method throws, and the links,
 * maps and ring buffers it handed out are closed too. A process that exits or is killed
 * leaves nothing attached: the kernel drops programs with their last file descriptor.
 */
export class BpfObject implements Disposable {
  private readonly native: NativeObject;
  private readonly mapInfo: NativeMapInfo[];
  private readonly programList: Program[];
  private readonly children = new Set<Link | BpfMap | RingBuffer<unknown>>();
  private readonly mapHandles = new Map<string, BpfMap>();
  /** The object's type information, used to decode keys, values and records. */
  readonly btf: Btf | undefined;

  private constructor(native: NativeObject) {
    this.native = native;
    this.mapInfo = native.maps();
    this.btf = parseObjectBtf(native);
    const track = (link: import("./addon.ts").NativeLink) => {
      const wrapped = new Link(link, (l) => this.children.delete(l));
      this.children.add(wrapped);
      return wrapped;
    };
    this.programList = native.programs().map((p) => new Program(native, p.name, p.section, p.type, track));
  }

  /**
   * Opens a compiled object from a path, a file: URL (`new URL("./x.bpf.o", import.meta.url)`)
   * or its bytes. Nothing reaches the kernel until load(). `name` names the object (default:
   * the file name without ".bpf.o", or "object" for bytes); its global-data maps are
   * "<name>.bss", "<name>.data", "<name>.rodata" (name cut to 8 characters).
   */
  static open(source: string | URL | Uint8Array, options: { name?: string } = {}): BpfObject {
    if (source instanceof Uint8Array) {
      checkElfHeader(source, "the given buffer");
      // Without a name libbpf would use the buffer's address, and global-data maps would be
      // called "7f3a1c20.bss": a stable default keeps names predictable.
      return new BpfObject(new addon.NativeObject(Buffer.from(source), options.name ?? "object"));
    }
    if (typeof source !== "string" && !(source instanceof URL)) {
      throw new TypeError("BpfObject.open() takes a path, a file: URL or a Uint8Array");
    }
    const path = source instanceof URL ? fileURLToPath(source) : source;
    checkElfHeader(readHeader(path), path);
    return new BpfObject(new addon.NativeObject(path, options.name));
  }

  private live(): NativeObject {
    if (this.native.closed) throw closedError("BPF object");
    return this.native;
  }

  /** The object's name: its file name without `.bpf.o`, or `options.name`. */
  get name(): string { return this.live().name; }
  /** True once load() succeeded. */
  get loaded(): boolean { return this.live().loaded; }
  /** True after close(); every other member then throws. */
  get closed(): boolean { return this.native.closed; }

  /** The programs (one per SEC() function), loaded or not. */
  get programs(): readonly Program[] { this.live(); return this.programList; }

  /** Map names and shapes, including the global-data maps (.bss/.data/.rodata). */
  get maps(): readonly NativeMapInfo[] { this.live(); return this.mapInfo; }

  /** The program whose C function is `name`; throws a BpfError listing the real names otherwise. */
  program(name: string): Program {
    this.live();
    const found = this.programList.find((p) => p.name === name);
    if (!found) {
      throw new BpfError("not-found", `no program named '${name}' (programs: ${this.programList.map((p) => p.name).join(", ") || "none"})`, "ENOENT", 2);
    }
    return found;
  }

  /** Keep a program out of load() (before load), e.g. to load a lab's programs one by one. */
  setAutoload(program: string, autoload: boolean): this {
    this.live().setAutoload(program, autoload);
    return this;
  }

  /**
   * Loads every program into the kernel (the verifier checks them now) and creates the maps.
   * Throws VerifierError with the verifier's log and the C line it stopped at.
   */
  load(): this {
    this.live().load();
    return this;
  }

  /** Attaches every loaded program where its SEC() says; returns the links. */
  attach(): Link[] {
    const autoloaded = new Set(this.live().programs().filter((p) => p.autoload).map((p) => p.name));
    return this.programList.filter((p) => p.section !== "xdp" && autoloaded.has(p.name)).map((p) => p.attach());
  }

  /** A map by name (after load). The same handle is returned each time; keys/values decode from BTF. */
  map<K = unknown, V = unknown>(name: string): BpfMap<K, V> {
    const cached = this.mapHandles.get(name);
    if (cached && !cached.closed) return cached as BpfMap<K, V>;
    const native = this.live().openMap(name);
    const info = this.mapInfo.find((m) => m.name === name)!;
    const map = new BpfMap<K, V>(native, info, this.btf, (m) => this.children.delete(m as BpfMap));
    this.mapHandles.set(name, map as BpfMap);
    this.children.add(map as BpfMap);
    return map;
  }

  /**
   * A ring buffer consumer for map `name`, decoding records as `recordType` (a BTF type name
   * such as "struct event") when given, else handing out Buffers.
   */
  ringBuffer<T = Buffer>(name: string, options: RingBufferOptions<T> & { recordType?: string } = {}): RingBuffer<T> {
    const { recordType, ...rest } = options;
    const codec = recordType ? this.codecFor<T>(recordType) : rest.codec;
    const ring = new RingBuffer<T>(this.map(name), { ...rest, ...(codec ? { codec } : {}) });
    this.children.add(ring as RingBuffer<unknown>);
    return ring;
  }

  /** The codec for a named BTF type, e.g. "struct event". */
  codecFor<T = unknown>(typeName: string): import("./btf.ts").Codec<T> {
    if (!this.btf) throw new BpfError("btf", `${this.name} has no BTF: compile it with -g (npm run build does)`, "ENOENT", 2);
    const type = this.btf.find(typeName);
    if (!type) throw new BpfError("btf", `no type '${typeName}' in ${this.name}'s BTF (clang keeps only types that globals, maps and functions use: add EXPORT_STRUCT(name); from common.h to the BPF source)`, "ENOENT", 2);
    return this.btf.codec(type.id) as import("./btf.ts").Codec<T>;
  }

  /** Every global variable, from the DATASEC type of each global-data map. */
  private globals(): Map<string, GlobalLocation> {
    const found = new Map<string, GlobalLocation>();
    const btf = this.btf;
    if (!btf) return found;
    for (const map of this.mapInfo) {
      if (!map.internal || !map.btfValueTypeId) continue;
      const section = btf.type(map.btfValueTypeId);
      for (const v of section.vars ?? []) {
        found.set(btf.type(v.type).name, { map, section: section.name, offset: v.offset, size: v.size });
      }
    }
    return found;
  }

  private findGlobal(name: string): GlobalLocation {
    const found = this.globals().get(name);
    if (found) return found;
    // Compiler-made names (a function's static "fn.var", EXPORT_STRUCT's "__export_...") are noise here.
    const all = [...this.globals().keys()].filter((n) => !n.startsWith("__") && !n.includes("."));
    throw new BpfError("not-found", `no global variable '${name}' in ${this.name} (globals: ${all.join(", ") || "none"})`, "ENOENT", 2);
  }

  private globalBytes(map: NativeMapInfo): Buffer {
    const native = this.live();
    if (!native.loaded) return native.initialValue(map.name) ?? Buffer.alloc(map.valueSize);
    return this.map(map.name).getRaw(Buffer.alloc(4)) ?? Buffer.alloc(map.valueSize);
  }

  /** A global variable's value: its initial value before load(), the live one after. */
  getGlobal<T = unknown>(name: string): T {
    const { map } = this.findGlobal(name);
    return (this.btf!.codec(map.btfValueTypeId).decode(this.globalBytes(map)) as Record<string, T>)[name]!;
  }

  /**
   * Sets a global variable. `const volatile` globals (.rodata) can only be set before load():
   * the kernel freezes them so the verifier can treat them as constants.
   */
  setGlobal(name: string, value: unknown): this {
    const { map, section, offset, size } = this.findGlobal(name);
    const native = this.live();
    if (native.loaded && section.startsWith(".rodata")) {
      throw new BpfError("state", `'${name}' is read-only (${section}, declared const volatile): set it before load()`, "EPERM", 1);
    }
    const bytes = this.globalBytes(map);
    this.btf!.codec(map.btfValueTypeId).encode({ [name]: value }, bytes, 0);
    if (!native.loaded) native.setInitialValue(map.name, bytes);
    // In place, only this variable's bytes: the running program may be updating its neighbours.
    else if (map.flags & BPF_F_MMAPABLE) this.map(map.name).nativeMap.writeAt(offset, bytes.subarray(offset, offset + size));
    else this.map(map.name).set(Buffer.alloc(4), bytes);
    return this;
  }

  /**
   * Detaches every link and closes every map handle and ring buffer this object handed out,
   * then frees the object. Safe to call twice; any later call on it or its children throws.
   */
  close(): void {
    for (const child of [...this.children]) child.close();
    this.children.clear();
    this.native.close();
  }

  [Symbol.dispose](): void { this.close(); }
}
