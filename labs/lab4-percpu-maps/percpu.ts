// Lab 4 loader: count getppid() calls per CPU in a PERCPU_ARRAY, and print each CPU's count
// and the total every second, until Ctrl-C.   Usage: npm run lab 4 [-- --pid <pid>]
import { parseArgs } from "node:util";
import { BpfObject, sumPerCpu } from "#bpf";

const { values } = parseArgs({ options: { pid: { type: "string" } } });
const pid = Number(values.pid ?? 0);
if (!Number.isInteger(pid) || pid < 0) throw new Error(`--pid wants a process id, got '${values.pid}'`);

using obj = BpfObject.open(new URL("./percpu.bpf.o", import.meta.url));
obj.setGlobal("target_pid", pid);
obj.load();
using link = obj.program("count_getppid").attach();
const who = pid ? `pid ${pid}` : "all processes";
console.log(`Attached to ${link.description}, counting getppid() calls of ${who} (Ctrl-C to stop)`);

const calls = obj.map<number, bigint[]>("calls");

function printPerCpu(): void {
  console.log(`getppid() calls of ${who} per CPU:`);
  // TODO 2: calls.get(0) gives slot 0 as an array with one count per possible CPU.
  // Print one line per CPU that counted something:   cpu1         3000

  // TODO 3: print the sum over all CPUs (sumPerCpu() adds them up):   total        4234
  void calls;
  void sumPerCpu;
}

const timer = setInterval(printPerCpu, 1000);
await new Promise((resolve) => process.once("SIGINT", resolve));
clearInterval(timer);
printPerCpu();
console.log("Detached.");
