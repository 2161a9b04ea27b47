// Lab 5 loader: every file opened on the machine, one line per openat(), streamed from the
// kernel through a BPF ring buffer, until Ctrl-C. `--pid N` traces only process N.
import { once } from "node:events";
import { parseArgs } from "node:util";
import { BpfObject } from "#bpf";

/** One record of the ring, as `struct event` in opensnoop.bpf.c (decoded from its BTF). */
interface OpenEvent {
  pid: number;
  uid: number;
  comm: string;
  filename: string;
}

const { values } = parseArgs({ options: { pid: { type: "string" } } });
const targetPid = values.pid === undefined ? 0 : Number(values.pid);
if (!Number.isInteger(targetPid) || targetPid < 0) {
  console.error(`--pid wants a process id, not '${values.pid}'`);
  process.exit(2);
}

using obj = BpfObject.open(new URL("./opensnoop.bpf.o", import.meta.url));
// A const volatile global: the verifier sees its value, so it must be set before load().
obj.setGlobal("target_pid", targetPid);
obj.load();
using link = obj.program("handle_openat").attach();
console.log(`Attached to ${link.description}${targetPid ? ` for pid ${targetPid}` : ""} (Ctrl-C to stop)`);

// Task 4: records arrive in the order they were reserved, from every CPU, one call each.
using events = obj.ringBuffer<OpenEvent>("events", { recordType: "struct event" });
events.onRecord((e) => {
  console.log(`pid ${e.pid} uid ${e.uid} comm ${e.comm} file ${e.filename}`);
});

// Task 5: a lost event leaves no trace in the ring, only in the BPF program's counter.
let dropsShown = 0n;
const dropWatch = setInterval(() => {
  const dropped = obj.getGlobal<bigint>("dropped");
  if (dropped === dropsShown) return;
  dropsShown = dropped;
  console.log(`dropped ${dropped} events so far: the ring buffer was full`);
}, 500);

// Until Ctrl-C. Listening for a signal does not keep Node running; a timer does.
const untilCtrlC = setInterval(() => {}, 60_000);
await once(process, "SIGINT");
clearInterval(untilCtrlC);
clearInterval(dropWatch);
events.poll(); // what arrived since the last drain, so the lines above are complete
console.log(`dropped ${obj.getGlobal<bigint>("dropped")} events in all`);
console.log("Detached.");
