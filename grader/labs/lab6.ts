// Lab 6 (XDP firewall): UDP to blocked ports is dropped, everything else passes, and every
// packet is counted by protocol. Two workloads:
//  - live (lab6/live.ts): a fresh namespace + veth pair, the loader attached to the host end
//    with two random blocked ports, paced IPv4/IPv6 UDP and a TCP connection from the namespace;
//  - crafted (lab6/firewall.ts): the grader loads the student's firewall.bpf.o itself and runs
//    it on frames built byte by byte (BPF_PROG_TEST_RUN): IP options, truncated headers,
//    non-IP, exact counters.
import { CheckFailure, type MarkedLine } from "../lib/failure.ts";
import { check, defineLab } from "../lib/lab.ts";
import { randomInt } from "../lib/workload.ts";
import { counterNames, expectVerdicts, loadFirewall, XDP_DROP, XDP_PASS, type Counters } from "./lab6/firewall.ts";
import { describeBounds, expectDelivery, liveTraffic, randomPorts, withinBounds } from "./lab6/live.ts";
import { ethernet, ethertype, frame, ipv4, truncatedFrames, udp } from "./lab6/packets.ts";

const example = "counters: ipv4=120 ipv6=14 tcp=5 udp=130 other=2 dropped=61";
const arp = () => ethernet(ethertype.arp, Buffer.alloc(28));

export default defineLab({
  loader: "firewall.ts",
  attachments: 1,
  requires: ["btf", "xdp", "xdp-link"],
  checks: [
    check("attaches to the interface given with --iface", 1, async (t) => {
      const { iface, attached } = await liveTraffic(t);
      if (!attached) throw new CheckFailure(`no XDP program on ${iface}`, { expected: `an XDP program attached to ${iface} (the --iface argument)` });
    }, { hint: 1 }),

    check("IPv4 UDP to other ports all arrives", 2, async (t) => {
      const { results } = await liveTraffic(t);
      expectDelivery(results, (r) => r.protocol === "udp" && r.family === 4 && !r.blocked, (r) => r.count,
        "every datagram to a port that is not blocked arrives (XDP_PASS)");
    }, { hint: 2 }),

    check("IPv4 UDP to blocked ports is dropped", 3, async (t) => {
      const { results, blocked } = await liveTraffic(t);
      expectDelivery(results, (r) => r.protocol === "udp" && r.family === 4 && r.blocked, () => 0,
        `nothing sent to the blocked ports ${blocked.join(" and ")} arrives (XDP_DROP)`);
    }, { hint: 4 }),

    check("IPv6 UDP: blocked dropped, others arrive", 2, async (t) => {
      const { results } = await liveTraffic(t);
      // When IPv4 blocking fails too, the blocklist is the problem, not IPv6.
      const ipv4Blocking = results.every((r) => r.protocol !== "udp" || r.family !== 4 || !r.blocked || r.received === 0);
      expectDelivery(results, (r) => r.protocol === "udp" && r.family === 6, (r) => (r.blocked ? 0 : r.count),
        "over IPv6 too, datagrams to blocked ports are dropped and the others arrive", ipv4Blocking ? 3 : 4);
    }, { hint: 3 }),

    check("TCP to a blocked port passes", 1, async (t) => {
      const { results } = await liveTraffic(t);
      expectDelivery(results, (r) => r.protocol === "tcp", () => 1,
        "the blocklist is for UDP only: a TCP connection to a blocked port works");
    }, { hint: 4 }),

    check("prints the counters every second", 3, async (t) => {
      const { counters, bounds, counterLines, loader } = await liveTraffic(t);
      const seen: MarkedLine[] = counterNames.map((name) => ({
        mark: withinBounds(counters?.[name], bounds[name]) ? "+" : "-",
        text: `${name}: expected ${describeBounds(bounds[name])}, seen ${counters?.[name] ?? "nothing"}`,
      }));
      if (!counters) {
        throw new CheckFailure("no counters line in the loader's output", {
          expected: `a line like "${example}" every second`,
          seenTitle: "the loader's last lines",
          seen: loader.stdout.slice(-8).map((text) => ({ mark: " ", text })),
        });
      }
      if (seen.some((l) => l.mark === "-")) {
        throw new CheckFailure("the last counters line does not add up to the traffic sent", { expected: "each counter summed over all CPUs, counting what the traffic sent", seenTitle: "last counters line", seen });
      }
      if (counterLines < 2) throw new CheckFailure(`only ${counterLines} counters line over the run`, { expected: "a counters line every second while the loader runs" });
    }, { hint: 5 }),

    check("verdicts on crafted IPv4/IPv6 UDP/TCP and non-IP frames", 2, (t) => {
      const [blocked, other] = randomPorts(2) as [number, number];
      const swapped = ((blocked & 0xff) << 8) | (blocked >> 8);
      expectVerdicts(t.dir, [blocked], [
        { label: `IPv4 UDP to blocked port ${blocked}`, frame: frame("ipv4", "udp", blocked), verdict: XDP_DROP },
        { label: `IPv6 UDP to blocked port ${blocked}`, frame: frame("ipv6", "udp", blocked), verdict: XDP_DROP },
        { label: `IPv4 UDP to port ${other}`, frame: frame("ipv4", "udp", other), verdict: XDP_PASS },
        { label: `IPv6 UDP to port ${other}`, frame: frame("ipv6", "udp", other), verdict: XDP_PASS },
        {
          label: `IPv4 UDP to port ${swapped} (${blocked} byte-swapped)`, frame: frame("ipv4", "udp", swapped), verdict: XDP_PASS,
          hint: `port ${swapped} is ${blocked} with its two bytes swapped: the map's keys are in host order, udp->dest in network order; convert it with bpf_ntohs() (hint 4 in the README)`,
        },
        { label: `IPv4 TCP to blocked port ${blocked}`, frame: frame("ipv4", "tcp", blocked), verdict: XDP_PASS },
        { label: `IPv6 TCP to blocked port ${blocked}`, frame: frame("ipv6", "tcp", blocked), verdict: XDP_PASS },
        { label: "ARP", frame: arp(), verdict: XDP_PASS },
        { label: "unknown ethertype 0x88b5 carrying an IPv4 UDP packet to the blocked port", frame: ethernet(0x88b5, ipv4(17, udp(blocked))), verdict: XDP_PASS },
      ], "UDP to a blocked port (host byte order in blocked_ports) is dropped; everything else passes");
    }, { hint: 4 }),

    check("IPv4 with options: the UDP header starts after ihl * 4 bytes", 2, (t) => {
      const [blocked, other] = randomPorts(2) as [number, number];
      const words = randomInt(1, 10);
      expectVerdicts(t.dir, [blocked], [
        { label: `IPv4 (ihl ${5 + words}) UDP to blocked port ${blocked}`, frame: frame("ipv4", "udp", blocked, words), verdict: XDP_DROP },
        { label: `IPv4 (ihl ${5 + words}) UDP to port ${other}`, frame: frame("ipv4", "udp", other, words), verdict: XDP_PASS },
      ], "the IPv4 header is ihl 32-bit words long, options included, not sizeof(struct iphdr)");
    }, { hint: 2 }),

    check("truncated headers pass", 2, (t) => {
      const [blocked] = randomPorts(1) as [number];
      expectVerdicts(t.dir, [blocked], truncatedFrames(blocked).map((c) => ({ label: `cut inside the ${c.label}`, frame: c.bytes, verdict: XDP_PASS })),
        "a frame too short for the header being parsed is let through (XDP_PASS): the kernel's stack drops it later");
    }, { hint: 2 }),

    check("counts crafted frames in the right slots", 2, (t) => {
      const [blocked, other] = randomPorts(2) as [number, number];
      const runs = {
        v4udp: randomInt(1, 9), v6udpBlocked: randomInt(1, 9), v4tcp: randomInt(1, 9),
        v6tcp: randomInt(1, 9), arp: randomInt(1, 9), v4optionsBlocked: randomInt(1, 9),
      };
      using firewall = loadFirewall(t.dir, [blocked]);
      firewall.verdict(frame("ipv4", "udp", other), runs.v4udp);
      firewall.verdict(frame("ipv6", "udp", blocked), runs.v6udpBlocked);
      firewall.verdict(frame("ipv4", "tcp", other), runs.v4tcp);
      firewall.verdict(frame("ipv6", "tcp", blocked), runs.v6tcp);
      firewall.verdict(arp(), runs.arp);
      firewall.verdict(frame("ipv4", "udp", blocked, 2), runs.v4optionsBlocked);
      const want: Counters = {
        ipv4: BigInt(runs.v4udp + runs.v4tcp + runs.v4optionsBlocked),
        ipv6: BigInt(runs.v6udpBlocked + runs.v6tcp),
        tcp: BigInt(runs.v4tcp + runs.v6tcp),
        udp: BigInt(runs.v4udp + runs.v6udpBlocked + runs.v4optionsBlocked),
        other: BigInt(runs.arp),
        dropped: BigInt(runs.v6udpBlocked + runs.v4optionsBlocked),
      };
      const got = firewall.counters();
      const seen: MarkedLine[] = counterNames.map((name) => ({ mark: got[name] === want[name] ? "+" : "-", text: `${name} (slot ${counterNames.indexOf(name)}): expected ${want[name]}, seen ${got[name]}` }));
      if (seen.some((l) => l.mark === "-")) {
        const sent = `${runs.v4udp} IPv4 UDP, ${runs.v6udpBlocked} IPv6 UDP to a blocked port, ${runs.v4tcp} IPv4 TCP, ${runs.v6tcp} IPv6 TCP, ${runs.arp} ARP, ${runs.v4optionsBlocked} IPv4-with-options UDP to a blocked port`;
        throw new CheckFailure("the counters map does not match the frames run", { expected: `after ${sent}: each counter in its slot (README, "The contract")`, seenTitle: "counters, summed over CPUs", seen });
      }
    }, { hint: 5 }),
  ],
});
