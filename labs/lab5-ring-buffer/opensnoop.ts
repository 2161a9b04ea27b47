// Lab 5 loader: every file opened on the machine, one line per openat(), streamed from the
// kernel through a BPF ring buffer, until Ctrl-C. `--pid N` traces only process N.
import { once } from "node:events";
import { parseArgs } from "node:util";
import { BpfObject } from "#bpf";

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

// TODO 4: read the `events` ring buffer with obj.ringBuffer(), decoding each record as
// "struct event" (describe it with a TypeScript interface), and print one line per record:
//   pid 4242 uid 1000 comm cat file /etc/passwd

// TODO 5: report the BPF program's `dropped` counter (obj.getGlobal()) whenever it changes,
// and once more on exit, in a line like: dropped 1234 events

// Until Ctrl-C. Listening for a signal does not keep Node running; a timer does.
const untilCtrlC = setInterval(() => {}, 60_000);
await once(process, "SIGINT");
clearInterval(untilCtrlC);
console.log("Detached.");
