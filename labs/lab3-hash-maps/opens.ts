// Lab 3 loader: load opens.bpf.o, attach its two programs, and print the table of processes
// and the files they opened every second, until Ctrl-C.
import { BpfObject } from "#bpf";
import { printTable, type ProcOpens, type ProcessRow } from "./table.ts";

// `using` closes each of these when the program ends: the links detach, the object unloads.
using obj = BpfObject.open(new URL("./opens.bpf.o", import.meta.url));
obj.load();
using opened = obj.program("count_open").attach();
using exited = obj.program("forget_exited").attach();
console.log(`Attached to ${opened.description} and ${exited.description} (Ctrl-C to stop)`);

// Keys decode as numbers (__u32), values as ProcOpens objects (from the map's BTF).
const opensByPid = obj.map<number, ProcOpens>("opens_by_pid");

/** Every process in the map, most opens first. */
function readRows(): ProcessRow[] {
  // TODO 4: read every entry of opensByPid (see README, task 4), turn each [pid, entry]
  // into a ProcessRow, and sort the rows by opens, most first. Opens are bigints.
  return [];
}

const show = () => printTable(readRows(), opensByPid);
const timer = setInterval(show, 1000);
await new Promise((resolve) => process.once("SIGINT", resolve));
clearInterval(timer);
show(); // the final table, as it was when you pressed Ctrl-C
console.log("Detached.");
