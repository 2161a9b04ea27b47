// Lab 2 loader: count every system call by number in an ARRAY map, and print the busiest
// ones every second, until Ctrl-C.   Usage: npm run lab 2 [-- --pid <pid>]
import { parseArgs } from "node:util";
import { BpfObject } from "#bpf";
import { syscallNames } from "./syscall-names.ts";

const { values } = parseArgs({ options: { pid: { type: "string" } } });
const pid = Number(values.pid ?? 0);
if (!Number.isInteger(pid) || pid < 0) throw new Error(`--pid wants a process id, got '${values.pid}'`);

using obj = BpfObject.open(new URL("./syscalls.bpf.o", import.meta.url));
// TODO 4: hand `pid` to the BPF program's target_pid, with obj.setGlobal(). It is
// `const volatile` (.rodata): it can only be set before load().
obj.load();
using link = obj.program("count_syscalls").attach();
const who = pid ? `pid ${pid}` : "all processes";
console.log(`Attached to ${link.description}, counting system calls of ${who} (Ctrl-C to stop)`);

const nameOf = syscallNames();

function printTop(limit = 10): void {
  // TODO 5: read the map (obj.map<number, bigint>("syscall_counts"); .dump() gives every
  // [syscall number, count] pair at once), keep the counts above 0, sort them busiest
  // first, and print the first `limit` under a title line, one per line:
  //   Top system calls of pid 4242:
  //     getppid                    1234
  // nameOf(nr) turns a syscall number into its name.
  void nameOf;
  void limit;
}

const timer = setInterval(printTop, 1000);
await new Promise((resolve) => process.once("SIGINT", resolve));
clearInterval(timer);
printTop();
console.log("Detached.");
