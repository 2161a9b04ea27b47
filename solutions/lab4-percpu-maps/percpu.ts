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
  // One value per *possible* CPU (see possibleCpus()): CPUs that are offline, or were never
  // plugged in, have a slot too, which stays 0. Show only CPUs that counted something.
  const perCpu = calls.get(0)!; // slot 0 of an array always exists
  console.log(`getppid() calls of ${who} per CPU:`);
  perCpu.forEach((count, cpu) => {
    if (count > 0n) console.log(`  cpu${cpu} ${String(count).padStart(12)}`);
  });
  console.log(`  total ${String(sumPerCpu(perCpu)).padStart(11)}`);
}

const timer = setInterval(printPerCpu, 1000);
await new Promise((resolve) => process.once("SIGINT", resolve));
clearInterval(timer);
printPerCpu();
console.log("Detached.");
