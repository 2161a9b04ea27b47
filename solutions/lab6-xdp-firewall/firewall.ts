// Lab 6 loader: attaches the XDP firewall to one interface, blocks the UDP ports given on
// the command line, and prints the per-protocol counters every second until Ctrl-C.
//   npm run lab 6 -- --iface veth0 --block 5353,9999
import { parseArgs } from "node:util";
import { BpfObject, sumPerCpu } from "#bpf";

/** The counters map's slots, in the order of `enum counter` in firewall.bpf.c. */
const counterNames = ["ipv4", "ipv6", "tcp", "udp", "other", "dropped"] as const;

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

// TODO 6: the keys are host-order port numbers; the value only has to exist.
const blockedPorts = obj.map<number, number>("blocked_ports");
for (const port of ports) blockedPorts.set(port, 1);

// A bpf_link: the program detaches when this process exits, however it exits.
obj.program("xdp_firewall").attachXdp(iface);
console.log(`firewall: attached to ${iface}, blocking UDP ports: ${ports.join(", ") || "none"} (Ctrl-C to stop)`);

// TODO 7: one value per CPU for each slot; the total is their sum.
const counters = obj.map<number, bigint[]>("counters");
const printCounters = () => {
  const totals = counterNames.map((name, slot) => `${name}=${sumPerCpu(counters.get(slot) ?? [0n])}`);
  console.log(`counters: ${totals.join(" ")}`);
};
const timer = setInterval(printCounters, 1000);

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
clearInterval(timer);
printCounters();
