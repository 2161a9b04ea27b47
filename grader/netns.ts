// A throwaway network: a fresh network namespace joined to the host by a veth pair, so a lab
// can send real packets through an interface it owns (XDP attaches to the host end) and never
// touch a real one. Everything is removed on remove(), on a grader interrupt, on a terminating
// signal nobody else handles, at process exit, and, for runs that were SIGKILLed, by the next
// run's sweep of names with the same prefix.
//
//   host (root namespace)                 namespace <prefix>-<pid>-<tag>
//   <prefix><tag>h  10.200.y.z+1/30  <=====>  <prefix><tag>p  10.200.y.z+2/30
import { execFile, execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { promisify } from "node:util";
import { onInterrupt } from "./lib/cleanup.ts";

const run = promisify(execFile);

export interface VethPairOptions {
  /**
   * Lowercase letters and digits, 2 to 8 of them, naming everything created (interface names
   * are limited to 15 characters). Use one prefix per purpose: sweeps remove stale pairs by it.
   */
  prefix: string;
  /** Keep IPv6 on both ends, with addresses; otherwise IPv6 is disabled to keep the link quiet. */
  ipv6?: boolean;
}

/** Both ends of a pair, with the addresses they were given. */
export interface VethPair {
  /** Name of the network namespace holding the peer end. */
  readonly namespace: string;
  /** The end in the root namespace: the one to attach programs to. */
  readonly hostIface: string;
  /** The end inside `namespace`. */
  readonly peerIface: string;
  readonly hostIPv4: string;
  readonly peerIPv4: string;
  /** Set when created with `ipv6: true`. */
  readonly hostIPv6: string | undefined;
  readonly peerIPv6: string | undefined;
  /** The argv that runs `command args...` inside the namespace (for spawn/execFile). */
  inside(command: string, args?: readonly string[]): [string, string[]];
  /** Deletes both ends and the namespace. Safe to call more than once, and concurrently. */
  remove(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const prefixPattern = /^[a-z][a-z0-9]{1,7}$/;
const tagLength = 6;
const livePairs = new Set<Pair>();

/**
 * Creates a namespace and a veth pair, with addresses on a private /30 no host interface uses,
 * both ends up. On any failure, whatever was created is removed before the error is thrown.
 */
export async function createVethPair(options: VethPairOptions): Promise<VethPair> {
  checkPrefix(options.prefix);
  const pair = new Pair(options.prefix, randomTag(), options.ipv6 ?? false);
  livePairs.add(pair);
  try {
    await pair.build();
  } catch (err) {
    await pair.remove();
    throw new Error(`could not create veth pair ${pair.hostIface} <-> ${pair.namespace}: ${commandError(err)}`);
  }
  return pair;
}

/**
 * Removes pairs left behind by processes that no longer exist (a SIGKILLed grader): namespaces
 * named `<prefix>-<pid>-<tag>` whose pid is gone, and host interfaces `<prefix><tag>h` whose
 * namespace is gone. Pairs of live processes, such as a concurrent run, are left alone.
 * Returns the names removed.
 */
export async function sweepStaleVethPairs(prefix: string): Promise<string[]> {
  checkPrefix(prefix);
  const removed: string[] = [];
  const namespaces = namespaceNames()
    .map((name) => ({ name, parts: new RegExp(`^${prefix}-(\\d+)-([a-z0-9]{${tagLength}})$`).exec(name) }))
    .filter((ns): ns is { name: string; parts: RegExpExecArray } => ns.parts !== null);
  const liveTags = new Set<string>();
  for (const { name, parts } of namespaces) {
    if (processExists(Number(parts[1]))) {
      liveTags.add(parts[2]!);
    } else {
      await deleteQuietly(["link", "del", hostIfaceName(prefix, parts[2]!)]);
      await deleteQuietly(["netns", "del", name]);
      removed.push(name);
    }
  }
  for (const iface of linkNames()) {
    const tag = new RegExp(`^${prefix}([a-z0-9]{${tagLength}})h$`).exec(iface)?.[1];
    if (tag !== undefined && !liveTags.has(tag)) {
      await deleteQuietly(["link", "del", iface]);
      removed.push(iface);
    }
  }
  return removed;
}

class Pair implements VethPair {
  readonly namespace: string;
  readonly hostIface: string;
  readonly peerIface: string;
  hostIPv4 = "";
  peerIPv4 = "";
  hostIPv6: string | undefined;
  peerIPv6: string | undefined;
  private removing: Promise<void> | undefined;
  private readonly forgetInterrupt: () => void;

  constructor(prefix: string, tag: string, private readonly ipv6: boolean) {
    // The creator's pid in the namespace name is what lets a later sweep tell stale from live.
    this.namespace = `${prefix}-${process.pid}-${tag}`;
    this.hostIface = hostIfaceName(prefix, tag);
    this.peerIface = `${prefix}${tag}p`;
    this.forgetInterrupt = onInterrupt(() => this.remove());
    installExitCleanup();
  }

  async build(): Promise<void> {
    // The namespace first: a host interface without its namespace is then always stale.
    await ip(["netns", "add", this.namespace]);
    await ip(["link", "add", this.hostIface, "type", "veth", "peer", "name", this.peerIface, "netns", this.namespace]);
    [this.hostIPv4, this.peerIPv4] = freeSubnet();
    // Before the links come up, so no router solicitation or DAD probe is ever sent.
    setIPv6Sysctls(this.hostIface, this.ipv6);
    await run(...this.inside("sysctl", ipv6SysctlArgs(this.peerIface, this.ipv6)));
    await ip(["addr", "add", `${this.hostIPv4}/30`, "dev", this.hostIface]);
    await ip(["-n", this.namespace, "addr", "add", `${this.peerIPv4}/30`, "dev", this.peerIface]);
    if (this.ipv6) {
      const net = `fd00:6c61:${randomInt(0x10000).toString(16)}:${randomInt(0x10000).toString(16)}`;
      this.hostIPv6 = `${net}::1`;
      this.peerIPv6 = `${net}::2`;
      // nodad: usable at once instead of "tentative" for a second.
      await ip(["addr", "add", `${this.hostIPv6}/64`, "dev", this.hostIface, "nodad"]);
      await ip(["-n", this.namespace, "addr", "add", `${this.peerIPv6}/64`, "dev", this.peerIface, "nodad"]);
    }
    await ip(["-n", this.namespace, "link", "set", "lo", "up"]);
    await ip(["-n", this.namespace, "link", "set", this.peerIface, "up"]);
    await ip(["link", "set", this.hostIface, "up"]);
  }

  inside(command: string, args: readonly string[] = []): [string, string[]] {
    return ["ip", ["netns", "exec", this.namespace, command, ...args]];
  }

  remove(): Promise<void> {
    this.removing ??= (async () => {
      // Deleting one end deletes both at once; deleting only the namespace would leave the
      // host end around until the kernel's asynchronous namespace cleanup gets to it.
      await deleteQuietly(["link", "del", this.hostIface]);
      await deleteQuietly(["netns", "del", this.namespace]);
      livePairs.delete(this);
      this.forgetInterrupt();
    })();
    return this.removing;
  }

  /** For process exit, when nothing can be awaited. */
  removeNow(): void {
    for (const args of [["link", "del", this.hostIface], ["netns", "del", this.namespace]]) {
      try {
        execFileSync("ip", args, { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.remove();
  }
}

let exitCleanupInstalled = false;

/**
 * Last resorts: removes live pairs synchronously at exit, and on a terminating signal that
 * nobody else handles (the grader's own handler runs the onInterrupt cleanups instead).
 */
function installExitCleanup(): void {
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  process.on("exit", () => {
    for (const pair of livePairs) pair.removeNow();
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = () => {
      if (process.listenerCount(signal) > 1) return;
      for (const pair of livePairs) pair.removeNow();
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

function checkPrefix(prefix: string): void {
  if (!prefixPattern.test(prefix)) {
    throw new Error(`veth prefix '${prefix}' must be 2-8 lowercase letters or digits, starting with a letter`);
  }
}

function hostIfaceName(prefix: string, tag: string): string {
  return `${prefix}${tag}h`;
}

function randomTag(): string {
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from({ length: tagLength }, () => chars[randomInt(chars.length)]).join("");
}

/** Host and peer addresses on a random /30 in 10.200.0.0/16, in a /24 no host address uses. */
function freeSubnet(): [string, string] {
  const used = new Set(
    Object.values(networkInterfaces())
      .flat()
      .filter((a) => a?.family === "IPv4")
      .map((a) => a!.address.split(".").slice(0, 3).join(".")),
  );
  for (;;) {
    const net = `10.200.${randomInt(256)}`;
    const base = randomInt(64) * 4;
    if (!used.has(net)) return [`${net}.${base + 1}`, `${net}.${base + 2}`];
  }
}

function ipv6SysctlArgs(iface: string, keep: boolean): string[] {
  return Object.entries(ipv6Settings(keep)).flatMap(([key, value]) => ["-q", "-w", `net.ipv6.conf.${iface}.${key}=${value}`]);
}

function setIPv6Sysctls(iface: string, keep: boolean): void {
  for (const [key, value] of Object.entries(ipv6Settings(keep))) {
    const path = `/proc/sys/net/ipv6/conf/${iface}/${key}`;
    if (existsSync(path)) writeFileSync(path, value);
  }
}

/** IPv6 off, or on but silent: no router solicitations, no duplicate address detection. */
function ipv6Settings(keep: boolean): Record<string, string> {
  return keep ? { accept_ra: "0", router_solicitations: "0", dad_transmits: "0" } : { disable_ipv6: "1" };
}

async function ip(args: readonly string[]): Promise<void> {
  await run("ip", args);
}

async function deleteQuietly(args: readonly string[]): Promise<void> {
  await run("ip", args).catch(() => undefined);
}

function namespaceNames(): string[] {
  try {
    return readdirSync("/run/netns");
  } catch {
    return [];
  }
}

/** Interfaces of the root namespace, with or without addresses. */
function linkNames(): string[] {
  try {
    return readdirSync("/sys/class/net");
  } catch {
    return [];
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function commandError(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(err)).split("\n")[0]!;
}
