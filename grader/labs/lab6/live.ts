// The live half of lab 6's grading: a fresh namespace + veth pair, the student's loader
// attached to the host end with two random blocked ports, paced IPv4/IPv6 UDP and one TCP
// connection sent from the namespace, and what arrived and what the loader printed.
import { execFileSync } from "node:child_process";
import { createVethPair, sweepStaleVethPairs } from "../../netns.ts";
import { CheckFailure, type MarkedLine } from "../../lib/failure.ts";
import { once, type CheckContext, type Hint } from "../../lib/lab.ts";
import { scaled } from "../../lib/timing.ts";
import { randomInt, randomName } from "../../lib/workload.ts";
import { counterNames, type Counters } from "./firewall.ts";
import { exchange, type Flow, type FlowResult } from "./traffic.ts";

/** Names of everything the grader creates on the network, for its sweep of leftovers. */
const netPrefix = "lab6fw";

export type LiveFlow = Flow & { blocked: boolean };
export type LiveResult = FlowResult & LiveFlow;
/** Per counter, the least and the most the live traffic can have produced. */
export type CounterBounds = Record<keyof Counters, [bigint, bigint]>;

/** Distinct random ports above the usual service ports. */
export function randomPorts(count: number): number[] {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(randomInt(20000, 60000));
  return [...ports];
}

const isCountersLine = (line: string) => /\bipv4=\d+/.test(line) && /\bdropped=\d+/.test(line);

/** The last counters line the loader printed, parsed; undefined if it printed none. */
function lastCounters(lines: readonly string[]): Partial<Counters> | undefined {
  const line = [...lines].reverse().find(isCountersLine);
  if (!line) return undefined;
  return Object.fromEntries([...line.matchAll(/\b(\w+)=(\d+)\b/g)].map((m) => [m[1], BigInt(m[2]!)]));
}

function counterBounds(flows: readonly LiveFlow[]): CounterBounds {
  const sum = (pick: (f: LiveFlow) => boolean) => BigInt(flows.filter(pick).reduce((n, f) => n + f.count, 0));
  const udpTo = (family: 4 | 6) => sum((f) => f.protocol === "udp" && f.family === family);
  const blocked = sum((f) => f.protocol === "udp" && f.blocked);
  // A TCP connection brings at least SYN, ACK and the data segment; stray packets (neighbour
  // discovery, MLD, ARP) only add, so only dropped has an upper bound.
  const many = 1n << 62n;
  return {
    ipv4: [udpTo(4) + 3n, many],
    ipv6: [udpTo(6), many],
    tcp: [3n, many],
    udp: [udpTo(4) + udpTo(6), many],
    other: [0n, many],
    dropped: [blocked, blocked + 5n],
  };
}

export function withinBounds(value: bigint | undefined, [low, high]: [bigint, bigint]): boolean {
  return value !== undefined && value >= low && value <= high;
}

export function describeBounds([low, high]: [bigint, bigint]): string {
  return high === low ? `${low}` : high > 1n << 61n ? `at least ${low}` : `${low} to ${high}`;
}

/** Name of the XDP program attached to `iface`, if any. */
function xdpProgramOn(iface: string): string | undefined {
  const [link] = JSON.parse(execFileSync("ip", ["-j", "link", "show", "dev", iface], { encoding: "utf8" })) as { xdp?: { prog?: { name?: string } } }[];
  return link?.xdp?.prog?.name;
}

/** The live workload, once per grading: namespace up, loader, traffic, loader stopped, namespace gone. */
export const liveTraffic = once(async (t: CheckContext) => {
  await sweepStaleVethPairs(netPrefix);
  const pair = await createVethPair({ prefix: netPrefix, ipv6: true });
  try {
    const [blockedA, blockedB, allowedA, allowedB] = randomPorts(4) as [number, number, number, number];
    const blocked = [blockedA, blockedB];
    const loader = await t.loader({ args: ["--iface", pair.hostIface, "--block", blocked.join(",")] });
    const attached = xdpProgramOn(pair.hostIface);
    const udpFlow = (family: 4 | 6, port: number, count: number): LiveFlow => ({ family, protocol: "udp", port, count, blocked: blocked.includes(port) });
    const flows: LiveFlow[] = [
      udpFlow(4, allowedA, randomInt(20, 60)),
      udpFlow(4, blockedA, randomInt(20, 60)),
      udpFlow(4, allowedB, randomInt(20, 60)),
      udpFlow(4, blockedB, randomInt(20, 60)),
      udpFlow(6, allowedB, randomInt(10, 30)),
      udpFlow(6, blockedA, randomInt(10, 30)),
      { family: 4, protocol: "tcp", port: blockedB, count: 1, blocked: false },
    ];
    const results = (await exchange(pair, t.workload, flows, `grade-${randomName()}`)) as LiveResult[];
    const bounds = counterBounds(flows);
    // Counters are printed every second: give the loader a few prints to catch up, and to
    // show it prints more than once (the traffic may all fit before its first print).
    await loader.waitForOutput((lines) => lines.filter(isCountersLine).length >= 2 && counterNames.every((n) => withinBounds(lastCounters(lines)?.[n], bounds[n])), scaled(5000));
    await loader.stop();
    const counterLines = loader.stdout.filter(isCountersLine).length;
    return { iface: pair.hostIface, attached, blocked, results, bounds, counters: lastCounters(loader.stdout), counterLines, loader };
  } finally {
    await pair.remove();
  }
});

function describeFlow(f: LiveFlow): string {
  const what = f.protocol === "tcp" ? `TCP connection to port ${f.port}` : `IPv${f.family} UDP to port ${f.port}`;
  return f.blocked ? `${what} (blocked)` : what;
}

/** Fails unless every selected flow received `want(flow)` of what was sent. */
export function expectDelivery(results: readonly LiveResult[], select: (r: LiveResult) => boolean, want: (r: LiveResult) => number, expected: string, hint?: Hint): void {
  const chosen = results.filter(select);
  const seen: MarkedLine[] = chosen.map((r) => ({
    mark: r.received === want(r) ? "+" : "-",
    text: `${describeFlow(r)}: sent ${r.count}, received ${r.received}, expected ${want(r)}`,
  }));
  const wrong = seen.filter((l) => l.mark === "-").length;
  if (wrong > 0) {
    throw new CheckFailure(`${wrong} of ${chosen.length} flows were not delivered as expected`, { expected, seenTitle: "per flow", seen, ...(hint !== undefined && { hint }) });
  }
}
