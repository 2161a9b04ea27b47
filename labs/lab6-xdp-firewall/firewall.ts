// Lab 6 loader: attaches the XDP firewall to one interface, blocks the UDP ports given on
// the command line, and prints the per-protocol counters every second until Ctrl-C.
//   npm run lab 6 -- --iface veth0 --block 5353,9999
import { parseArgs } from "node:util";
import { BpfObject } from "#bpf";

function usage(problem: string): never {
  console.error(`firewall: ${problem}\nusage: npm run lab 6 -- --iface <interface> [--block <port>,<port>...]`);
  process.exit(2);
}

function parsePorts(list: string): number[] {
  const ports = list.split(",").filter((s) => s.trim() !== "").map((s) => Number(s.trim()));
  const bad = ports.find((p) => !Number.isInteger(p) || p < 1 || p > 65535);
  if (bad !== undefined) usage(`--block wants port numbers from 1 to 65535, got '${list}'`);
  return ports;
}

const { values } = parseArgs({ options: { iface: { type: "string" }, block: { type: "string", default: "" } } });
const iface = values.iface ?? usage("--iface is required: the interface whose incoming packets are filtered");
const ports = parsePorts(values.block);

using obj = BpfObject.open(new URL("./firewall.bpf.o", import.meta.url));
obj.load();

// TODO 6: put every port of `ports` into the blocked_ports map (obj.map("blocked_ports")),
// key = the port number as is (host order), value = 1. See README, task 6.

// A bpf_link: the program detaches when this process exits, however it exits.
obj.program("xdp_firewall").attachXdp(iface);
console.log(`firewall: attached to ${iface}, blocking UDP ports: ${ports.join(", ") || "none"} (Ctrl-C to stop)`);

// TODO 7: every second, print the counters map as one line, each slot summed over all CPUs:
//   counters: ipv4=N ipv6=N tcp=N udp=N other=N dropped=N
// (slots 0 to 5 in that order; import sumPerCpu from "#bpf"). See README, task 7.

// Run until Ctrl-C or SIGTERM. Signal handlers alone do not keep Node running: the timer does.
await new Promise<void>((resolve) => {
  const keepAlive = setInterval(() => {}, 60_000);
  const stop = () => {
    clearInterval(keepAlive);
    resolve();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
});
