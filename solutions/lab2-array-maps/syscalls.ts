// Lab 2 loader: count every system call by number in an ARRAY map, and print the busiest
// ones every second, until Ctrl-C.   Usage: npm run lab 2 [-- --pid <pid>]
import { parseArgs } from "node:util";
import { BpfObject } from "#bpf";
import { syscallNames } from "./syscall-names.ts";

const { values } = parseArgs({ options: { pid: { type: "string" } } });
const pid = Number(values.pid ?? 0);
if (!Number.isInteger(pid) || pid < 0) throw new Error(`--pid wants a process id, got '${values.pid}'`);

using obj = BpfObject.open(new URL("./syscalls.bpf.o", import.meta.url));
// .rodata can only be written before load(): the kernel freezes it for the verifier.
obj.setGlobal("target_pid", pid);
obj.load();
using link = obj.program("count_syscalls").attach();
const who = pid ? `pid ${pid}` : "all processes";
console.log(`Attached to ${link.description}, counting system calls of ${who} (Ctrl-C to stop)`);

const counts = obj.map<number, bigint>("syscall_counts");
const nameOf = syscallNames();

function printTop(limit = 10): void {
  // One batch syscall for all 512 slots; unused slots hold 0.
  const busiest = counts
    .dump()
    .filter(([, count]) => count > 0n)
    .sort(([, a], [, b]) => (b > a ? 1 : b < a ? -1 : 0))
    .slice(0, limit);
  console.log(`Top system calls of ${who}:`);
  for (const [nr, count] of busiest) console.log(`  ${nameOf(nr).padEnd(20)} ${String(count).padStart(10)}`);
}

const timer = setInterval(printTop, 1000);
await new Promise((resolve) => process.once("SIGINT", resolve));
clearInterval(timer);
printTop();
console.log("Detached.");
