// Lab 1 loader: load hello.bpf.o into the kernel, attach it to the execve tracepoint, and
// show what it prints, until Ctrl-C.
import { BpfObject } from "#bpf";

// `using` closes each of these when the program ends: the link detaches, the object unloads.
using obj = BpfObject.open(new URL("./hello.bpf.o", import.meta.url));
obj.load();
using link = obj.program("handle_execve").attach();
console.log(`Attached to ${link.description} (Ctrl-C to stop)`);

// TODO 4: open the trace pipe (TracePipe from "#bpf") and print the message of each line
// that comes from your program (see README, task 4). Until then, watch the raw output with
// `sudo cat /sys/kernel/tracing/trace_pipe` in another terminal.
// This waits for Ctrl-C: the timer keeps Node running, the program stays attached meanwhile.
await new Promise<void>((resolve) => {
  const keepAlive = setInterval(() => {}, 1 << 30);
  process.once("SIGINT", () => {
    clearInterval(keepAlive);
    resolve();
  });
});
console.log("Detached.");
