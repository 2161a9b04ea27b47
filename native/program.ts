// Programs and links: a loaded program is attached to a hook, and the attachment is a Link.
// A Link detaches when closed, disposed (`using`), or when the process exits or is killed:
// the kernel drops an attachment with its last fd, so a dead loader leaves nothing behind.
import type { NativeLink, NativeObject } from "./addon.ts";
import { closedError } from "./errors.ts";

/** One attachment of a program. */
export class Link implements Disposable {
  /** @internal */
  constructor(private readonly native: NativeLink, private readonly onClose: (link: Link) => void) {}

  /** What the program is attached to, e.g. "tracepoint syscalls:sys_enter_execve". */
  get description(): string { return this.native.description; }
  /** The link's file descriptor (throws once closed). */
  get fd(): number { return this.native.fd; }
  get closed(): boolean { return this.native.closed; }

  /** Detaches the program. Safe to call twice. */
  close(): void {
    if (this.native.closed) return;
    this.native.close();
    this.onClose(this);
  }

  [Symbol.dispose](): void { this.close(); }
}

export interface UprobeOptions {
  /** Path of the executable or library, or a library name such as "libc.so.6". */
  binary: string;
  /** Function to probe, resolved from the binary's symbols. */
  func?: string;
  /** Byte offset from the function (or from the start of the file without `func`). */
  offset?: number;
  /** Only this process; all processes when omitted. */
  pid?: number;
  /** Fire on return (uretprobe) instead of entry. */
  retprobe?: boolean;
}

export type XdpMode = "auto" | "native" | "generic";
const xdpModeFlags: Record<XdpMode, number> = { auto: 0, generic: 1 << 1, native: 1 << 2 };

export interface TestRunResult {
  /** What the program returned (for XDP: 1 = XDP_DROP, 2 = XDP_PASS, ...). */
  retval: number;
  /** The packet as the program left it. */
  data: Buffer;
  /** Average run time in nanoseconds over `repeat` runs. */
  durationNs: number;
}

/** A program of a BpfObject. Attach it after BpfObject.load(). */
export class Program {
  /** @internal */
  constructor(
    private readonly object: NativeObject,
    /** The C function's name. */
    readonly name: string,
    /** Its SEC() name, e.g. "tp/syscalls/sys_enter_execve". */
    readonly section: string,
    /** The kernel program type, e.g. "tracepoint", "xdp". */
    readonly type: string,
    private readonly track: (native: NativeLink) => Link,
  ) {}

  private native(): NativeObject {
    if (this.object.closed) throw closedError(`program '${this.name}' (its BPF object)`);
    return this.object;
  }

  /** Attaches where the SEC() name says (tp/..., raw_tp/..., uprobe/..., xdp needs attachXdp). */
  attach(): Link { return this.track(this.native().attach(this.name, "auto")); }

  /** Attaches to tracepoint `category:name`, e.g. ("syscalls", "sys_enter_openat"). */
  attachTracepoint(category: string, name: string): Link {
    return this.track(this.native().attach(this.name, "tracepoint", { category, name }));
  }

  /** Attaches to a raw tracepoint such as "sys_enter". */
  attachRawTracepoint(name: string): Link {
    return this.track(this.native().attach(this.name, "raw_tracepoint", { name }));
  }

  /** Attaches a uprobe (or uretprobe) to a function in a binary, for one process or all. */
  attachUprobe(options: UprobeOptions): Link {
    return this.track(this.native().attach(this.name, "uprobe", { ...options, pid: options.pid ?? -1 }));
  }

  /**
   * Attaches to an interface's XDP hook through a BPF link, so the program detaches when the
   * link closes or the process dies. Attach only to interfaces you created (veth in a netns).
   */
  attachXdp(iface: string | number, options: { mode?: XdpMode } = {}): Link {
    const where = typeof iface === "number" ? { ifindex: iface } : { ifname: iface };
    return this.track(this.native().attach(this.name, "xdp", { ...where, flags: xdpModeFlags[options.mode ?? "auto"] }));
  }

  /** Runs the program once (or `repeat` times) on `data` in the kernel, without attaching it. */
  testRun(data: Uint8Array, options: { repeat?: number } = {}): TestRunResult {
    return this.native().testRun(this.name, Buffer.from(data.buffer, data.byteOffset, data.byteLength), options.repeat ?? 1);
  }

  /** The program's fd (after load). */
  get fd(): number { return this.native().programFd(this.name); }
}
