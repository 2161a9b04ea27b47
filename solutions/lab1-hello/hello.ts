// Lab 1 loader: load hello.bpf.o into the kernel, attach it to the execve tracepoint, and
// show what it prints, until Ctrl-C.
import { BpfObject, TracePipe } from "#bpf";

// `using` closes each of these when the program ends: the link detaches, the object unloads.
using obj = BpfObject.open(new URL("./hello.bpf.o", import.meta.url));
obj.load();
using link = obj.program("handle_execve").attach();
console.log(`Attached to ${link.description} (Ctrl-C to stop)`);

using pipe = TracePipe.open();
// Ctrl-C closes the pipe, which ends the loop below; then everything is cleaned up in order.
process.once("SIGINT", () => pipe.close());

// Task 4: the trace pipe carries every bpf_printk on the machine; show only ours.
for await (const line of pipe) {
  if (line.message.startsWith("hello from execve")) {
    console.log(line.message);
  }
}
console.log("Detached.");
