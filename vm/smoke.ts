// Proves the addon and a CO-RE object work on the running kernel: loads the addon tests'
// maps.bpf.o, attaches its getppid tracepoint filtered to this process, makes a random
// number of getppid calls and checks the counter map and the ring buffer saw exactly those.
// Prints one JSON line; exits 0 only when both counts match. Used by tests/vm.test.ts.
import { randomInt } from "node:crypto";
import { fileURLToPath } from "node:url";
import { BpfObject } from "#bpf";
import { probeKernel, requireBtf } from "./probe.ts";

interface Event { pid: number; seq: number; marker: bigint; comm: string }

const objectPath = process.argv[2] ?? fileURLToPath(new URL("../tests/fixtures/addon/maps.bpf.o", import.meta.url));
requireBtf(probeKernel());

const calls = randomInt(5, 50);
const marker = BigInt(randomInt(1, 2 ** 47));
using obj = BpfObject.open(objectPath);
obj.setGlobal("target_pid", process.pid);
obj.load();
obj.setGlobal("marker", marker);
using _link = obj.program("on_getppid").attach();
using ring = obj.ringBuffer<Event>("events", { recordType: "struct event" });
const seen: Event[] = [];
ring.onRecord((e) => { if (e.marker === marker && e.pid === process.pid) seen.push(e); });

// process.ppid asks the kernel each time (uv_os_getppid -> getppid(2)).
for (let i = 0; i < calls; i++) void process.ppid;

const deadline = Date.now() + 10_000;
while (seen.length < calls && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const counter = obj.map<number, bigint>("counters").get(0);
const ok = counter === BigInt(calls) && seen.length === calls;
console.log(JSON.stringify({ calls, counter: String(counter), ringEvents: seen.length, ok }));
process.exitCode = ok ? 0 : 1;
