/**
 * BTF (BPF Type Format) parser and value codec, pure TypeScript.
 *
 * Input is the raw `.BTF` blob of a BPF object (what libbpf's `btf__raw_data()`
 * returns): a `btf_header`, then the type section and the string section, laid
 * out as in the kernel's Documentation/bpf/btf.rst. From it we build codecs that
 * turn the raw bytes of map keys/values, ring buffer records and `.bss`/`.data`/
 * `.rodata` sections into plain JS values and back.
 *
 * Byte order: the magic 0xeB9F tells us the producer's byte order; values in maps
 * use the same order (BTF is produced for the target), so codecs use it too.
 */

/** BTF kinds, named as in the kernel docs; "void" is the synthetic type id 0. */
export type BtfKind =
  | "void" | "int" | "ptr" | "array" | "struct" | "union" | "enum" | "fwd" | "typedef" | "volatile"
  | "const" | "restrict" | "func" | "func_proto" | "var" | "datasec" | "float" | "decl_tag"
  | "type_tag" | "enum64";

/** INT encoding bits (BTF_INT_SIGNED / BTF_INT_CHAR / BTF_INT_BOOL). */
export interface BtfIntEncoding { readonly signed: boolean; readonly char: boolean; readonly bool: boolean }
/** A struct/union member. `bitfieldSize` is 0 for ordinary members; `name` is "" for anonymous ones. */
export interface BtfMember { readonly name: string; readonly type: number; readonly bitOffset: number; readonly bitfieldSize: number }
/** An enumerator: `number` for ENUM (signed iff the enum's kind_flag is set), `bigint` for ENUM64. */
export interface BtfEnumValue { readonly name: string; readonly value: number | bigint }
/** A FUNC_PROTO parameter; a final `{ name: "", type: 0 }` means varargs. */
export interface BtfParam { readonly name: string; readonly type: number }
/** A DATASEC entry: `type` is the id of a VAR, `offset`/`size` in bytes within the section. */
export interface BtfVarSecinfo { readonly type: number; readonly offset: number; readonly size: number }
export type BtfLinkage = "static" | "global" | "extern";

/**
 * One parsed type. Only the fields meaningful for `kind` are present:
 * - int: size, encoding, bits, bitOffset; float/struct/union/enum/enum64/datasec: size
 * - ptr/typedef/const/volatile/restrict/type_tag/var/decl_tag/func: `type` (the referenced id)
 * - func_proto: `type` (return type, 0 = void) and params; func/var: linkage
 * - array: elemType, indexType, nelems; struct/union: members; enum/enum64: values, signed
 * - decl_tag: componentIdx (-1 = the declaration itself, else member/param index)
 * - fwd: kindFlag is true for `union X;`, false for `struct X;`
 */
export interface BtfType {
  readonly id: number;
  readonly kind: BtfKind;
  readonly name: string;
  readonly kindFlag: boolean;
  readonly size?: number;
  readonly type?: number;
  readonly encoding?: BtfIntEncoding;
  readonly bits?: number;
  readonly bitOffset?: number;
  readonly elemType?: number;
  readonly indexType?: number;
  readonly nelems?: number;
  readonly members?: readonly BtfMember[];
  readonly values?: readonly BtfEnumValue[];
  readonly signed?: boolean;
  readonly params?: readonly BtfParam[];
  readonly linkage?: BtfLinkage;
  readonly vars?: readonly BtfVarSecinfo[];
  readonly componentIdx?: number;
}

/**
 * Converts between raw bytes and JS values for one BTF type.
 * - `decode` reads `size` bytes at `offset` (default 0); RangeError if the buffer is too short.
 * - `encode` without `target` returns a new zeroed Buffer of `offset + size` bytes with the
 *   value written at `offset`; missing struct members / DATASEC vars stay zero. With
 *   `target`, it writes in place and returns `target`: only members present in the value
 *   are written, everything else (padding, absent members) keeps its current bytes.
 *   Arrays and strings are always written whole (a shorter value zeroes the remainder).
 * Bad values throw TypeError naming the path (e.g. `value.stats.count`) and the C type;
 * `target` is then left unchanged.
 */
export interface Codec<T = unknown> {
  readonly size: number;
  readonly typeName: string;
  decode(buf: Uint8Array, offset?: number): T;
  encode(value: T, target?: Buffer, offset?: number): Buffer;
  /** True when encode() sets every byte of the slot (plain integers): no need to zero a reused target first. */
  readonly writesEveryByte?: boolean;
  /**
   * A decoder for many values of one buffer (a map dump): the buffer is checked once instead
   * of on every decode(). Optional; callers fall back to decode().
   */
  decoderFor?(buf: Uint8Array): (offset: number) => T;
  /**
   * An encoder into the start of one reused buffer (a map's scratch key): checked once.
   * Unlike encode(), a bad value may leave the buffer partly written. Optional.
   */
  encoderFor?(target: Uint8Array): (value: T) => void;
}

/** Thrown for malformed BTF: bad magic/version, truncation, dangling ids, cyclic type graphs. */
export class BtfFormatError extends Error {
  override name = "BtfFormatError";
}

// ---------------------------------------------------------------------------
// Parsing

const HEADER_LEN = 24;
/** Deepest chain of typedefs/qualifiers/nesting we follow; protects against cyclic graphs. */
const MAX_DEPTH = 64;
/** BPF is a 64-bit target and BTF does not record pointer size. */
const PTR_SIZE = 8;
const KINDS: readonly (BtfKind | undefined)[] = [
  undefined, "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef", "volatile", "const",
  "restrict", "func", "func_proto", "var", "datasec", "float", "decl_tag", "type_tag", "enum64",
];
const LINKAGES: readonly BtfLinkage[] = ["static", "global", "extern"];
/** Kinds that only decorate another type: resolve() looks through these. */
const TRANSPARENT = new Set<BtfKind>(["typedef", "const", "volatile", "restrict", "type_tag"]);
const CHAR_NAMES = new Set(["char", "signed char", "unsigned char"]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const VOID: BtfType = Object.freeze({ id: 0, kind: "void", name: "void", kindFlag: false });
const utf8 = new TextDecoder("utf-8");

function parseBlob(raw: Uint8Array): { types: BtfType[]; le: boolean } {
  if (!(raw instanceof Uint8Array)) throw new BtfFormatError("BTF blob must be a Uint8Array/Buffer");
  if (raw.length < HEADER_LEN) throw new BtfFormatError(`BTF blob too short: ${raw.length} bytes, the header alone is ${HEADER_LEN}`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = dv.getUint16(0, true);
  const le = magic === 0xeb9f;
  if (!le && magic !== 0x9feb) throw new BtfFormatError(`bad BTF magic 0x${magic.toString(16).padStart(4, "0")}: expected 0xeb9f (either byte order)`);
  if (raw[2] !== 1) throw new BtfFormatError(`unsupported BTF version ${raw[2]} (only 1 is known)`);
  const u32 = (at: number) => dv.getUint32(at, le);
  const hdrLen = u32(4), typeOff = u32(8), typeLen = u32(12), strOff = u32(16), strLen = u32(20);
  if (hdrLen < HEADER_LEN || hdrLen > raw.length) throw new BtfFormatError(`bad BTF hdr_len ${hdrLen} (blob is ${raw.length} bytes)`);
  const body = raw.length - hdrLen; // offsets in the header are relative to the end of the header
  if (typeOff % 4 !== 0 || typeOff + typeLen > body) throw new BtfFormatError(`BTF type section [${typeOff}, +${typeLen}) is misaligned or past the end of the ${body}-byte body`);
  if (strOff + strLen > body) throw new BtfFormatError(`BTF string section [${strOff}, +${strLen}) is past the end of the ${body}-byte body (truncated?)`);
  const strs = raw.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  if (strLen === 0 || strs[0] !== 0) throw new BtfFormatError("BTF string section must start with a NUL byte");

  const strCache = new Map<number, string>();
  const str = (off: number, id: number): string => {
    let s = strCache.get(off);
    if (s !== undefined) return s;
    const end = off < strLen ? strs.indexOf(0, off) : -1;
    if (end < 0) throw new BtfFormatError(`type #${id}: name offset ${off} is outside the string section or not NUL-terminated`);
    s = utf8.decode(strs.subarray(off, end));
    strCache.set(off, s);
    return s;
  };

  const types: BtfType[] = [VOID];
  const end = hdrLen + typeOff + typeLen;
  let p = hdrLen + typeOff;
  const need = (n: number, id: number) => {
    if (p + n > end) throw new BtfFormatError(`BTF type section truncated: type #${id} needs ${n} bytes at offset ${p - hdrLen - typeOff}, only ${end - p} left`);
  };
  while (p < end) {
    const id = types.length;
    need(12, id);
    const nameOff = u32(p), info = u32(p + 4), sizeOrType = u32(p + 8);
    p += 12;
    const kind = KINDS[(info >>> 24) & 0x1f];
    if (!kind) throw new BtfFormatError(`type #${id}: unknown BTF kind ${(info >>> 24) & 0x1f}`);
    const vlen = info & 0xffff, kindFlag = info >>> 31 === 1;
    const t: Mutable<BtfType> = { id, kind, name: str(nameOff, id), kindFlag };
    switch (kind) {
      case "int": {
        need(4, id);
        const v = u32(p); p += 4;
        const enc = (v >>> 24) & 0x0f;
        t.size = sizeOrType;
        t.encoding = Object.freeze({ signed: (enc & 1) !== 0, char: (enc & 2) !== 0, bool: (enc & 4) !== 0 });
        t.bits = v & 0xff;
        t.bitOffset = (v >>> 16) & 0xff;
        if (![1, 2, 4, 8, 16].includes(t.size) || t.bits === 0 || t.bits + t.bitOffset > t.size * 8) {
          throw new BtfFormatError(`type #${id} (int '${t.name}'): invalid size ${t.size} / bits ${t.bits} / offset ${t.bitOffset}`);
        }
        break;
      }
      case "ptr": case "typedef": case "volatile": case "const": case "restrict": case "type_tag":
        t.type = sizeOrType;
        break;
      case "func":
        t.type = sizeOrType;
        t.linkage = LINKAGES[vlen] ?? "global";
        break;
      case "fwd":
        break;
      case "float":
        t.size = sizeOrType;
        break;
      case "array":
        need(12, id);
        t.elemType = u32(p); t.indexType = u32(p + 4); t.nelems = u32(p + 8);
        p += 12;
        break;
      case "struct": case "union": {
        need(12 * vlen, id);
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const off = u32(p + 8);
          // kind_flag: offset packs bitfield size (bits 24-31) and bit offset (bits 0-23)
          members.push(Object.freeze({
            name: str(u32(p), id), type: u32(p + 4),
            bitOffset: kindFlag ? off & 0xffffff : off, bitfieldSize: kindFlag ? off >>> 24 : 0,
          }));
        }
        t.size = sizeOrType;
        t.members = Object.freeze(members);
        break;
      }
      case "enum": case "enum64": {
        const wide = kind === "enum64";
        need((wide ? 12 : 8) * vlen, id);
        const values: BtfEnumValue[] = [];
        for (let i = 0; i < vlen; i++, p += wide ? 12 : 8) {
          let value: number | bigint;
          if (wide) {
            const v = (BigInt(u32(p + 8)) << 32n) | BigInt(u32(p + 4));
            value = kindFlag ? BigInt.asIntN(64, v) : v;
          } else {
            value = kindFlag ? dv.getInt32(p + 4, le) : u32(p + 4);
          }
          values.push(Object.freeze({ name: str(u32(p), id), value }));
        }
        t.size = sizeOrType;
        t.signed = kindFlag; // kind_flag = signed since kernel 6.0; older producers (clang 14) always leave it 0
        t.values = Object.freeze(values);
        break;
      }
      case "func_proto": {
        need(8 * vlen, id);
        const params: BtfParam[] = [];
        for (let i = 0; i < vlen; i++, p += 8) params.push(Object.freeze({ name: str(u32(p), id), type: u32(p + 4) }));
        t.type = sizeOrType;
        t.params = Object.freeze(params);
        break;
      }
      case "var":
        need(4, id);
        t.type = sizeOrType;
        t.linkage = LINKAGES[u32(p)] ?? "global";
        p += 4;
        break;
      case "datasec": {
        need(12 * vlen, id);
        const vars: BtfVarSecinfo[] = [];
        for (let i = 0; i < vlen; i++, p += 12) vars.push(Object.freeze({ type: u32(p), offset: u32(p + 4), size: u32(p + 8) }));
        t.size = sizeOrType;
        t.vars = Object.freeze(vars);
        break;
      }
      case "decl_tag":
        need(4, id);
        t.type = sizeOrType;
        t.componentIdx = dv.getInt32(p, le);
        p += 4;
        break;
      case "void":
        break; // unreachable: kind 0 is rejected above
    }
    types.push(Object.freeze(t));
  }

  // Every referenced id must exist, so later lookups can't hit holes.
  for (const t of types) {
    const refs = [t.type, t.elemType, t.indexType, ...(t.members ?? []).map((m) => m.type),
      ...(t.params ?? []).map((q) => q.type), ...(t.vars ?? []).map((v) => v.type)];
    for (const r of refs) {
      if (r !== undefined && r >= types.length) throw new BtfFormatError(`type #${t.id} (${t.kind} '${t.name}') refers to missing type id ${r}`);
    }
  }
  return { types, le };
}

// ---------------------------------------------------------------------------
// Codec building blocks. A Node reads/writes one value at a byte offset of a DataView;
// `path` is only used for error messages.

interface Node {
  readonly size: number;
  readonly typeName: string;
  /** The write validates the value first, then sets every byte of the slot (plain integers). */
  readonly writesEveryByte?: boolean;
  read(v: DataView, off: number): unknown;
  write(v: DataView, off: number, value: unknown, path: string): void;
}

/** A struct/union/datasec node; `writeMembers` lets a parent hand it the keys of a flattened anonymous member. */
interface RecordNode extends Node {
  readonly keys: readonly string[];
  writeMembers(v: DataView, off: number, obj: Record<string, unknown>, path: string): void;
}

type Field = { name: string; node: Node; byteOff: number } | { flat: RecordNode; byteOff: number };

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** Plain assignment would treat a C member called `__proto__` as the prototype. */
function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Validates an integer (number or bigint) against [lo, hi]; numbers must be safe integers. */
function checkInt(value: unknown, path: string, typeName: string, lo: bigint, hi: bigint): number | bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError(`${path}: expected an integer for ${typeName}, got ${value}`);
  } else if (typeof value !== "bigint") {
    throw new TypeError(`${path}: expected an integer for ${typeName} (number or bigint), got ${describe(value)}`);
  }
  if (value < lo || value > hi) throw new TypeError(`${path}: ${value} is out of range for ${typeName} (${lo}..${hi})`);
  return value;
}

/** What an integer-like slot accepts: a range, plus booleans for bool and enumerator names for enums. */
interface IntSpec { readonly label: string; readonly lo: bigint; readonly hi: bigint; readonly bool?: boolean; readonly names?: ReadonlyMap<string, bigint> }

function toInt(value: unknown, path: string, s: IntSpec): bigint {
  if (s.bool) {
    if (typeof value === "boolean") return value ? 1n : 0n;
    if (value !== 0 && value !== 1) throw new TypeError(`${path}: expected a boolean for ${s.label}, got ${describe(value)}`);
    return BigInt(value);
  }
  if (typeof value === "string" && s.names) {
    const x = s.names.get(value);
    if (x === undefined) throw new TypeError(`${path}: "${value}" is not an enumerator of ${s.label}; valid: ${[...s.names.keys()].join(", ")}`);
    value = x; // still range-checked: a narrow enum bitfield may not hold every enumerator
  }
  return BigInt(checkInt(value, path, s.label, s.lo, s.hi));
}

const rangeOf = (bits: number, signed: boolean): [bigint, bigint] =>
  signed ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];

function zero(v: DataView, off: number, n: number): void {
  new Uint8Array(v.buffer, v.byteOffset + off, n).fill(0);
}

/** How a scalar is presented in JS. */
type Repr = "number" | "bigint" | "boolean";

/** Like toInt, for slots of at most 48 bits: plain numbers in range skip the bigint round trip. */
function toNum(value: unknown, path: string, s: IntSpec, lo: number, hi: number): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= lo && value <= hi && !s.bool) return value;
  return Number(toInt(value, path, s));
}

/**
 * Reads/writes `bits` bits starting `bitOff` bits after the node's byte offset. Bit
 * numbering follows BTF/DWARF: from the LSB of the first byte on little-endian, from
 * the MSB on big-endian. Used for bitfields and for bool/INTs with odd bits or offset.
 * Spans of up to 6 bytes use exact float arithmetic (< 2^53); wider ones use bigint.
 */
function bitsNode(typeName: string, size: number, bitOff: number, bits: number, signed: boolean, repr: Repr, le: boolean, spec: IntSpec): Node {
  const first = bitOff >> 3, skip = bitOff & 7, nbytes = (skip + bits + 7) >> 3;
  const shiftN = le ? skip : nbytes * 8 - skip - bits;
  const byteAt = (i: number) => first + (le ? nbytes - 1 - i : i); // i-th byte, most significant first
  const present = (x: number | bigint): unknown => (repr === "boolean" ? x !== 0 && x !== 0n : repr === "bigint" ? BigInt(x) : Number(x));
  if (nbytes <= 6) {
    const scale = 2 ** shiftN, range = 2 ** bits, lo = Number(spec.lo), hi = Number(spec.hi);
    const load = (v: DataView, off: number) => {
      let acc = 0;
      for (let i = 0; i < nbytes; i++) acc = acc * 256 + v.getUint8(off + byteAt(i));
      return acc;
    };
    return {
      size, typeName,
      read(v, off) {
        let x = Math.floor(load(v, off) / scale) % range;
        if (signed && x >= range / 2) x -= range;
        return present(x);
      },
      write(v, off, value, path) {
        let x = toNum(value, path, spec, lo, hi);
        if (x < 0) x += range;
        const acc = load(v, off);
        let out = acc - (Math.floor(acc / scale) % range) * scale + x * scale;
        for (let i = nbytes - 1; i >= 0; i--, out = Math.floor(out / 256)) v.setUint8(off + byteAt(i), out % 256);
      },
    };
  }
  const shift = BigInt(shiftN), mask = (1n << BigInt(bits)) - 1n;
  const load = (v: DataView, off: number) => {
    let acc = 0n;
    for (let i = 0; i < nbytes; i++) acc = (acc << 8n) | BigInt(v.getUint8(off + byteAt(i)));
    return acc;
  };
  return {
    size, typeName,
    read(v, off) {
      const x = (load(v, off) >> shift) & mask;
      return present(signed ? BigInt.asIntN(bits, x) : x);
    },
    write(v, off, value, path) {
      const x = BigInt.asUintN(bits, toInt(value, path, spec));
      let acc = (load(v, off) & ~(mask << shift)) | (x << shift);
      for (let i = nbytes - 1; i >= 0; i--, acc >>= 8n) v.setUint8(off + byteAt(i), Number(acc & 0xffn));
    },
  };
}

/** Whole-byte integer of 1/2/4/8/16 bytes (also used for enums and pointers). */
function intNode(typeName: string, size: number, signed: boolean, le: boolean, spec: IntSpec): Node {
  switch (size) {
    case 1: case 2: case 4: {
      const lo = Number(spec.lo), hi = Number(spec.hi);
      // Stored truncated to the slot (x >>> 0 etc.), so an enum given as -2 stores its two's complement.
      const num = (x: unknown, path: string) => toNum(x, path, spec, lo, hi);
      if (size === 1) {
        return { size, typeName, writesEveryByte: true, read: (v, off) => (signed ? v.getInt8(off) : v.getUint8(off)), write: (v, off, x, path) => v.setUint8(off, num(x, path) & 0xff) };
      }
      if (size === 2) {
        return { size, typeName, writesEveryByte: true, read: (v, off) => (signed ? v.getInt16(off, le) : v.getUint16(off, le)), write: (v, off, x, path) => v.setUint16(off, num(x, path) & 0xffff, le) };
      }
      return { size, typeName, writesEveryByte: true, read: (v, off) => (signed ? v.getInt32(off, le) : v.getUint32(off, le)), write: (v, off, x, path) => v.setUint32(off, num(x, path) >>> 0, le) };
    }
    case 8:
      return {
        size, typeName, writesEveryByte: true,
        read: (v, off) => (signed ? v.getBigInt64(off, le) : v.getBigUint64(off, le)),
        write: (v, off, x, path) => v.setBigUint64(off, BigInt.asUintN(64, toInt(x, path, spec)), le),
      };
    default: // 16 bytes: two 64-bit halves in target byte order
      return {
        size, typeName,
        read(v, off) {
          const low = v.getBigUint64(off + (le ? 0 : 8), le), high = v.getBigUint64(off + (le ? 8 : 0), le);
          const x = (high << 64n) | low;
          return signed ? BigInt.asIntN(128, x) : x;
        },
        write(v, off, value, path) {
          const x = BigInt.asUintN(128, toInt(value, path, spec));
          v.setBigUint64(off + (le ? 0 : 8), x & 0xffffffffffffffffn, le);
          v.setBigUint64(off + (le ? 8 : 0), x >> 64n, le);
        },
      };
  }
}

function arrayNode(typeName: string, elem: Node, n: number): Node {
  return {
    size: elem.size * n, typeName,
    read(v, off) {
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = elem.read(v, off + i * elem.size);
      return out;
    },
    write(v, off, value, path) {
      if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw new TypeError(`${path}: expected an array for ${typeName}, got ${describe(value)}`);
      const items = value as ArrayLike<unknown>;
      if (items.length > n) throw new TypeError(`${path}: ${items.length} elements do not fit in ${typeName} (at most ${n})`);
      for (let i = 0; i < items.length; i++) elem.write(v, off + i * elem.size, items[i], `${path}[${i}]`);
      zero(v, off + items.length * elem.size, (n - items.length) * elem.size);
    },
  };
}

/** char[N]: a string up to the first NUL; also accepts byte arrays via `bytes`. */
function charArrayNode(typeName: string, n: number, bytes: Node): Node {
  const encoder = new TextEncoder();
  return {
    size: n, typeName,
    read(v, off) {
      // Short ASCII strings (comm, filenames) are the norm; TextDecoder is slow for those.
      let s = "";
      for (let i = 0; i < n; i++) {
        const b = v.getUint8(off + i);
        if (b === 0) return s;
        if (b >= 0x80) {
          const raw = new Uint8Array(v.buffer, v.byteOffset + off, n);
          const nul = raw.indexOf(0);
          return utf8.decode(nul < 0 ? raw : raw.subarray(0, nul));
        }
        s += String.fromCharCode(b);
      }
      return s;
    },
    write(v, off, value, path) {
      if (typeof value !== "string") return bytes.write(v, off, value, path);
      const data = encoder.encode(value);
      if (data.length > n) throw new TypeError(`${path}: ${describe(value)} is ${data.length} UTF-8 bytes, too long for ${typeName} (max ${n})`);
      const dst = new Uint8Array(v.buffer, v.byteOffset + off, n);
      dst.set(data);
      dst.fill(0, data.length); // NUL-terminates when there is room, and clears stale bytes
    },
  };
}

function recordNode(typeName: string, size: number, fields: Field[]): RecordNode {
  const keys: string[] = [];
  for (const f of fields) keys.push(...("flat" in f ? f.flat.keys : [f.name]));
  const keySet = new Set(keys);
  const node: RecordNode = {
    size, typeName, keys,
    read(v, off) {
      const obj: Record<string, unknown> = {};
      for (const f of fields) {
        if ("flat" in f) {
          const inner = f.flat.read(v, off + f.byteOff) as Record<string, unknown>;
          for (const k of Object.keys(inner)) setKey(obj, k, inner[k]);
        }
        else setKey(obj, f.name, f.node.read(v, off + f.byteOff));
      }
      return obj;
    },
    write(v, off, value, path) {
      if (!isRecord(value)) throw new TypeError(`${path}: expected an object for ${typeName}, got ${describe(value)}`);
      for (const k of Object.keys(value)) {
        if (!keySet.has(k)) throw new TypeError(`${path}: ${typeName} has no member "${k}"; valid members: ${keys.join(", ") || "(none)"}`);
      }
      node.writeMembers(v, off, value, path);
    },
    // Writes only the keys present; absent ones keep whatever bytes are there (zero in a fresh buffer).
    // Union members given together are written in declaration order, so the last one wins.
    writeMembers(v, off, obj, path) {
      for (const f of fields) {
        if ("flat" in f) f.flat.writeMembers(v, off + f.byteOff, obj, path);
        else if (Object.hasOwn(obj, f.name) && obj[f.name] !== undefined) f.node.write(v, off + f.byteOff, obj[f.name], `${path}.${f.name}`);
      }
    },
  };
  return node;
}

/**
 * Enums accept numbers in either the signed or the unsigned range of their size (producers
 * before kernel 6.0, including clang 14, never mark signedness) and enumerator names.
 */
function enumSpec(label: string, t: BtfType): IntSpec {
  const bits = t.size! * 8;
  return { label, lo: rangeOf(bits, true)[0], hi: rangeOf(bits, false)[1], names: new Map(t.values!.map((e) => [e.name, BigInt(e.value)])) };
}

class BtfCodec<T> implements Codec<T> {
  readonly size: number;
  readonly typeName: string;
  readonly writesEveryByte: boolean;
  // Maps reuse one scratch Buffer per lookup: keep its DataView instead of making one per call.
  private lastBuffer: Uint8Array | undefined;
  private lastView: DataView | undefined;

  constructor(private readonly node: Node) {
    this.size = node.size;
    this.typeName = node.typeName;
    this.writesEveryByte = node.writesEveryByte === true;
  }

  private checkBuffer(buf: Uint8Array): void {
    if (!(buf instanceof Uint8Array)) throw new TypeError(`${this.typeName}: expected a Buffer/Uint8Array, got ${describe(buf)}`);
  }

  private checkOffset(buf: Uint8Array, offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + this.size > buf.length) {
      throw new RangeError(`${this.typeName}: needs ${this.size} bytes at offset ${offset}, buffer has ${buf.length}`);
    }
  }

  private view(buf: Uint8Array, offset: number): DataView {
    this.checkBuffer(buf);
    this.checkOffset(buf, offset);
    if (buf === this.lastBuffer) return this.lastView!;
    this.lastBuffer = buf;
    return (this.lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength));
  }

  decode(buf: Uint8Array, offset = 0): T {
    return this.node.read(this.view(buf, offset), offset) as T;
  }

  decoderFor(buf: Uint8Array): (offset: number) => T {
    this.checkBuffer(buf);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const { node } = this;
    return (offset) => {
      this.checkOffset(buf, offset);
      return node.read(view, offset) as T;
    };
  }

  encoderFor(target: Uint8Array): (value: T) => void {
    const view = this.view(target, 0);
    const { node, size } = this;
    if (node.writesEveryByte) return (value) => node.write(view, 0, value, "value");
    // Padding and absent members must not keep the previous value's bytes.
    return (value) => { zero(view, 0, size); node.write(view, 0, value, "value"); };
  }

  encode(value: T, target?: Buffer, offset = 0): Buffer {
    if (!target) {
      const buf = Buffer.alloc(offset + this.size);
      this.node.write(this.view(buf, offset), offset, value, "value");
      return buf;
    }
    if (this.writesEveryByte) {
      this.node.write(this.view(target, offset), offset, value, "value"); // validates before writing
      return target;
    }
    this.view(target, offset); // bounds check
    // Write into a copy so that a bad value deep inside the object leaves `target` untouched.
    const scratch = new Uint8Array(target.subarray(offset, offset + this.size)); // a copy
    this.node.write(new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength), 0, value, "value");
    target.set(scratch, offset);
    return target;
  }
}

// ---------------------------------------------------------------------------

/** A parsed BTF blob: type lookup, C-like names, sizes and cached value codecs. */
export class Btf {
  private readonly types: readonly BtfType[];
  private readonly nodes = new Map<number, Node>();
  private readonly codecs = new Map<number, Codec>();
  private byName?: Map<string, number[]>;
  /** True when the blob (and therefore the target's values) is little-endian. */
  readonly littleEndian: boolean;

  private constructor(types: BtfType[], le: boolean) {
    this.types = types;
    this.littleEndian = le;
  }

  /**
   * Parses a raw `.BTF` blob (header + type section + string section). Either byte order
   * is accepted (detected from the 0xeB9F magic). Throws BtfFormatError on bad magic or
   * version, truncated sections, unknown kinds, bad string offsets or dangling type ids.
   * Does not require DATASEC sizes to be filled in (see `codec`).
   */
  static parse(raw: Uint8Array): Btf {
    const { types, le } = parseBlob(raw);
    return new Btf(types, le);
  }

  /** Number of type ids including void, as libbpf's btf__type_cnt(): valid ids are 0..typeCount-1. */
  get typeCount(): number {
    return this.types.length;
  }

  /** The type with this id; id 0 is the synthetic `void` type. RangeError for anything else out of range. */
  type(id: number): BtfType {
    const t = Number.isInteger(id) ? this.types[id] : undefined;
    if (!t) throw new RangeError(`BTF type id ${id} is out of range (0..${this.types.length - 1})`);
    return t;
  }

  /**
   * Finds a type by name. "struct x" / "union x" / "enum x" match only that kind (enum also
   * matches enum64). A bare name prefers struct, union, enum, typedef, int and float, then
   * falls back to datasec (".bss"), var and func names. Forward declarations and tag names
   * are never returned. With duplicates, the lowest id wins. Returns undefined if absent.
   */
  find(name: string): BtfType | undefined {
    const m = /^\s*(struct|union|enum)\s+(\S+)\s*$/.exec(name);
    const ids = this.nameIndex().get(m ? m[2]! : name.trim()) ?? [];
    const rank: Partial<Record<BtfKind, number>> = m
      ? m[1] === "enum" ? { enum: 0, enum64: 0 } : { [m[1]!]: 0 }
      : { struct: 0, union: 0, enum: 0, enum64: 0, typedef: 0, int: 0, float: 0, datasec: 1, var: 2, func: 3 };
    let best: BtfType | undefined;
    for (const id of ids) {
      const t = this.types[id]!, r = rank[t.kind];
      if (r !== undefined && (best === undefined || r < rank[best.kind]!)) best = t;
    }
    return best;
  }

  /** Follows typedef/const/volatile/restrict/type_tag to the underlying type. BtfFormatError on cycles. */
  resolve(id: number): BtfType {
    let t = this.type(id);
    for (let depth = 0; TRANSPARENT.has(t.kind); depth++) {
      if (depth >= MAX_DEPTH) throw new BtfFormatError(`type #${id}: typedef/qualifier chain is cyclic or deeper than ${MAX_DEPTH}`);
      t = this.types[t.type!]!;
    }
    return t;
  }

  /**
   * Size in bytes of a value of this type (pointers are 8, a VAR gives its type's size,
   * a DATASEC its recorded size — 0 in unlinked clang output). TypeError for types without
   * a size (void, func, func_proto, fwd, decl_tag); RangeError for bad ids.
   */
  sizeOf(id: number): number {
    return this.sizeAt(id, 0);
  }

  private sizeAt(id: number, depth: number): number {
    if (depth > MAX_DEPTH) throw new BtfFormatError(`type #${id}: type graph is cyclic or deeper than ${MAX_DEPTH}`);
    const t = this.resolve(id);
    switch (t.kind) {
      case "ptr": return PTR_SIZE;
      case "var": return this.sizeAt(t.type!, depth + 1);
      case "array": return t.nelems! * this.sizeAt(t.elemType!, depth + 1);
      case "int": case "float": case "struct": case "union": case "enum": case "enum64": case "datasec": return t.size!;
      default: throw new TypeError(`${this.typeName(id)} (${t.kind}) has no size`);
    }
  }

  /**
   * C-like spelling: "struct event", "__u32", "unsigned int", "char[16]", "u32[2][3]",
   * "const char *", "int (*)(void *)", "struct (anon)". Qualifiers are kept, type tags are
   * dropped, a VAR is named by its type, a DATASEC as `datasec .bss`, a FUNC as its prototype.
   */
  typeName(id: number): string {
    return this.nameAt(id, 0);
  }

  private nameAt(id: number, depth: number): string {
    if (depth > MAX_DEPTH) throw new BtfFormatError(`type #${id}: type graph is cyclic or deeper than ${MAX_DEPTH}`);
    const t = this.type(id);
    const sub = (ref: number) => this.nameAt(ref, depth + 1);
    const params = (p: readonly BtfParam[]) =>
      p.length === 0 ? "void" : p.map((q) => (q.type === 0 ? "..." : sub(q.type))).join(", ");
    switch (t.kind) {
      case "void": return "void";
      case "int": case "float": case "typedef": return t.name;
      case "struct": case "union": return `${t.kind} ${t.name || "(anon)"}`;
      case "enum": case "enum64": return `enum ${t.name || "(anon)"}`;
      case "fwd": return `${t.kindFlag ? "union" : "struct"} ${t.name}`;
      case "type_tag": return sub(t.type!);
      case "const": case "volatile": case "restrict": {
        const inner = sub(t.type!);
        // a qualified pointer is spelled after the star: "char *const"
        return inner.endsWith("*") ? `${inner}${t.kind}` : `${t.kind} ${inner}`;
      }
      case "ptr": {
        const target = this.resolve(t.type!);
        if (target.kind === "func_proto") return `${sub(target.type!)} (*)(${params(target.params!)})`;
        const inner = sub(t.type!);
        return inner.endsWith("*") ? `${inner}*` : `${inner} *`;
      }
      case "array": {
        let dims = "", elem: BtfType = t;
        for (let d = 0; elem.kind === "array" && d < MAX_DEPTH; d++, elem = this.types[elem.elemType!]!) dims += `[${elem.nelems}]`;
        return `${sub(elem.id)}${dims}`;
      }
      case "func_proto": return `${sub(t.type!)} (${params(t.params!)})`;
      case "func": {
        const proto = this.type(t.type!);
        return proto.kind === "func_proto" ? `${sub(proto.type!)} ${t.name}(${params(proto.params!)})` : t.name;
      }
      case "var": return sub(t.type!);
      case "datasec": return `datasec ${t.name}`;
      case "decl_tag": return `btf_decl_tag("${t.name}")`;
    }
  }

  /**
   * The codec for a type id, built once and cached. Decoded shapes: ints ≤32 bits → number,
   * 64/128-bit → bigint, bool → boolean, char arrays → string, other arrays → arrays,
   * structs/unions → objects (anonymous members flattened), enums → number (8-byte enums
   * → bigint), pointers → bigint, floats → number, DATASEC → object keyed by var name,
   * VAR → its type's codec. A char array is one whose element (through qualifiers, but not
   * typedefs) is a 1-byte int named char/signed char/unsigned char or CHAR-encoded: so
   * `char comm[16]` is a string while `__u8 addr[4]` is a number[].
   * Throws TypeError for types with no value (void, func, fwd, …), RangeError for bad ids,
   * BtfFormatError for inconsistent layouts (e.g. a DATASEC whose size is still 0 because
   * the blob came straight from clang, before libbpf/bpftool fixed the offsets).
   */
  codec<T = unknown>(id: number): Codec<T> {
    let c = this.codecs.get(id);
    if (!c) {
      c = new BtfCodec(this.node(id, 0));
      this.codecs.set(id, c);
    }
    return c as Codec<T>;
  }

  private node(id: number, depth: number): Node {
    const cached = this.nodes.get(id);
    if (cached) return cached;
    if (depth > MAX_DEPTH) throw new BtfFormatError(`type #${id}: type graph is cyclic or nested deeper than ${MAX_DEPTH}`);
    const built = this.buildNode(id, depth);
    this.nodes.set(id, built);
    return built;
  }

  private buildNode(id: number, depth: number): Node {
    const name = this.typeName(id), t = this.resolve(id), le = this.littleEndian;
    switch (t.kind) {
      case "var":
        return this.node(t.type!, depth + 1);
      case "int": {
        const { signed, bool } = t.encoding!, bits = t.bits!;
        const [lo, hi] = bool ? [0n, 1n] : rangeOf(bits, signed);
        const spec: IntSpec = { label: name, lo, hi, bool };
        if (bool || bits !== t.size! * 8) {
          const repr: Repr = bool ? "boolean" : bits > 32 ? "bigint" : "number";
          return bitsNode(name, t.size!, t.bitOffset!, bits, signed, repr, le, spec);
        }
        return intNode(name, t.size!, signed, le, spec);
      }
      case "enum": case "enum64": {
        if (![1, 2, 4, 8].includes(t.size!)) throw new BtfFormatError(`${name}: unsupported enum size ${t.size}`);
        return intNode(name, t.size!, t.signed!, le, enumSpec(name, t));
      }
      case "ptr":
        return intNode(name, PTR_SIZE, false, le, { label: name, lo: 0n, hi: rangeOf(64, false)[1] });
      case "float": {
        const size = t.size!;
        if (size !== 4 && size !== 8) throw new TypeError(`${name}: ${size}-byte floats are not supported`);
        return {
          size, typeName: name,
          read: (v, off) => (size === 4 ? v.getFloat32(off, le) : v.getFloat64(off, le)),
          write(v, off, value, path) {
            if (typeof value !== "number") throw new TypeError(`${path}: expected a number for ${name}, got ${describe(value)}`);
            if (size === 4) v.setFloat32(off, value, le); else v.setFloat64(off, value, le);
          },
        };
      }
      case "array": {
        const elem = this.node(t.elemType!, depth + 1);
        const bytes = arrayNode(name, elem, t.nelems!);
        const e = this.stripQualifiers(t.elemType!);
        const isChar = e.kind === "int" && e.size === 1 && !e.encoding!.bool && (e.encoding!.char || CHAR_NAMES.has(e.name));
        return isChar ? charArrayNode(name, t.nelems!, bytes) : bytes;
      }
      case "struct": case "union":
        return recordNode(name, t.size!, t.members!.flatMap((m) => this.memberField(name, t, m, depth)));
      case "datasec": {
        if (t.size === 0 && t.vars!.length > 0) {
          throw new BtfFormatError(`${name}: size is 0, i.e. raw clang output; libbpf (bpf_object__open) or 'bpftool gen object' fill in section sizes and offsets`);
        }
        const seen = new Set<string>();
        const fields: Field[] = [];
        for (const s of t.vars!) {
          const v = this.types[s.type]!;
          if (v.kind !== "var" || seen.has(v.name)) continue;
          const node = this.node(v.type!, depth + 1);
          if (s.offset + node.size > t.size!) throw new BtfFormatError(`${name}: var '${v.name}' at ${s.offset}+${node.size} overflows the ${t.size}-byte section`);
          seen.add(v.name);
          fields.push({ name: v.name, node, byteOff: s.offset });
        }
        return recordNode(name, t.size!, fields);
      }
      default:
        throw new TypeError(t.kind === "fwd"
          ? `${name} is only forward-declared in this BTF, its layout is unknown`
          : `${name} (${t.kind}) has no value to encode or decode`);
    }
  }

  /** Builds the codec field(s) for one struct/union member (none for unnamed non-record members). */
  private memberField(owner: string, t: BtfType, m: BtfMember, depth: number): Field[] {
    const r = this.resolve(m.type);
    const where = `${owner}.${m.name || "(anon)"}`;
    let bitfield = m.bitfieldSize;
    // Without kind_flag, old producers mark bitfields with a narrow INT or an unaligned offset.
    if (!t.kindFlag && r.kind === "int" && (m.bitOffset % 8 !== 0 || r.bits !== r.size! * 8)) bitfield = r.bits!;
    if (bitfield > 0) {
      if (m.bitOffset + bitfield > t.size! * 8) throw new BtfFormatError(`${where}: bitfield overflows the ${t.size}-byte ${t.kind}`);
      if (!m.name) return [];
      const isEnum = r.kind === "enum" || r.kind === "enum64";
      if (r.kind !== "int" && !isEnum) throw new BtfFormatError(`${where}: bitfield of non-integer kind ${r.kind}`);
      const label = `${this.typeName(m.type)} (${bitfield}-bit field)`;
      const bool = r.kind === "int" && r.encoding!.bool;
      const signed = isEnum ? r.signed! : r.encoding!.signed;
      const repr: Repr = bool ? "boolean" : r.size! > 4 ? "bigint" : "number";
      const [lo, hi] = bool ? [0n, 1n] : rangeOf(bitfield, signed);
      const spec: IntSpec = isEnum ? { ...enumSpec(label, r), lo, hi } : { label, lo, hi, bool };
      return [{ name: m.name, node: bitsNode(this.typeName(m.type), 0, m.bitOffset, bitfield, signed, repr, this.littleEndian, spec), byteOff: 0 }];
    }
    if (m.bitOffset % 8 !== 0) throw new BtfFormatError(`${where}: member is not byte-aligned (bit offset ${m.bitOffset})`);
    const node = this.node(m.type, depth + 1);
    const byteOff = m.bitOffset / 8;
    if (byteOff + node.size > t.size!) throw new BtfFormatError(`${where}: member at ${byteOff}+${node.size} overflows the ${t.size}-byte ${t.kind}`);
    if (m.name) return [{ name: m.name, node, byteOff }];
    // Anonymous struct/union: its members are accessed as if they were the parent's, as in C.
    return "keys" in node ? [{ flat: node as RecordNode, byteOff }] : [];
  }

  /** Strips const/volatile/restrict/type_tag but keeps typedefs (see `codec` about char arrays). */
  private stripQualifiers(id: number): BtfType {
    let t = this.type(id);
    for (let d = 0; d < MAX_DEPTH && (t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "type_tag"); d++) {
      t = this.types[t.type!]!;
    }
    return t;
  }

  private nameIndex(): Map<string, number[]> {
    if (!this.byName) {
      this.byName = new Map();
      for (const t of this.types) {
        if (!t.name || t.kind === "fwd" || t.kind === "decl_tag" || t.kind === "type_tag" || t.id === 0) continue;
        const list = this.byName.get(t.name);
        if (list) list.push(t.id); else this.byName.set(t.name, [t.id]);
      }
    }
    return this.byName;
  }
}
