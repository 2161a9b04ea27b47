// Lab 4 demo: per-CPU counter vs shared atomic counter vs shared plain counter, measured.
// Two workers, pinned to two CPUs, call getppid() as fast as they can; each variant runs
// alone so its cost shows.   Usage: npx tsx labs/lab4-percpu-maps/compare.ts [calls per worker]
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { availableParallelism } from "node:os";
import { BpfObject, sumPerCpu } from "#bpf";

const calls = Number(process.argv[2] ?? 1_000_000);
const cpus = [0, Math.min(1, availableParallelism() - 1)];
if (cpus[0] === cpus[1]) console.log("Only one CPU: nothing can race, every counter will be exact.");

// A worker waits for a line on stdin, calls getppid() `calls` times (process.ppid is one
// getppid each), then prints the CPU time that took in nanoseconds: CPU time, not wall time,
// so that time spent waiting for a busy CPU does not count.
const workerCode = `
process.stdin.once("data", () => {
  const start = process.cpuUsage();
  for (let i = 0; i < ${calls}; i++) process.ppid;
  const used = process.cpuUsage(start);
  console.log(String((used.user + used.system) * 1000));
  process.exit(0);
});`;

interface Variant {
  label: string;
  program?: string;
  read?: (obj: BpfObject) => bigint;
}

const variants: Variant[] = [
  { label: "no program attached" },
  { label: "per-CPU array, plain +=", program: "count_percpu", read: (o) => sumPerCpu(o.map<number, bigint[]>("percpu_count").get(0)!) },
  { label: "shared array, atomic add", program: "count_atomic", read: (o) => o.map<number, bigint>("atomic_count").get(0)! },
  { label: "shared array, plain +=", program: "count_plain", read: (o) => o.map<number, bigint>("plain_count").get(0)! },
];

using obj = BpfObject.open(new URL("./compare.bpf.o", import.meta.url));
obj.load();
console.log(`2 workers on CPUs ${cpus.join(" and ")}, ${calls} getppid() calls each (${2 * calls} in all)\n`);
console.log(`${"counter".padEnd(26)} ${"counted".padStart(10)} ${"lost".padStart(8)} ${"ns per call".padStart(12)}`);

for (const variant of variants) {
  const workers = cpus.map((cpu) => spawn("taskset", ["-c", String(cpu), process.execPath, "-e", workerCode], { stdio: ["pipe", "pipe", "inherit"] }));
  obj.setGlobal("worker_a", workers[0]!.pid).setGlobal("worker_b", workers[1]!.pid);
  const link = variant.program ? obj.program(variant.program).attach() : undefined;
  const elapsed = await Promise.all(workers.map(runWorker));
  link?.close();
  const nsPerCall = Number(elapsed.reduce((a, b) => a + b, 0n)) / (2 * calls);
  const counted = variant.read?.(obj);
  const lost = counted === undefined ? "" : String(BigInt(2 * calls) - counted);
  console.log(`${variant.label.padEnd(26)} ${String(counted ?? "-").padStart(10)} ${lost.padStart(8)} ${nsPerCall.toFixed(0).padStart(12)}`);
}

/** Starts a worker's loop and returns the CPU time it took, in nanoseconds. */
async function runWorker(worker: ChildProcess): Promise<bigint> {
  let out = "";
  worker.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  worker.stdin!.end("go\n");
  const [code] = (await once(worker, "exit")) as [number | null];
  if (code !== 0) throw new Error(`worker ${worker.pid} exited with code ${code}`);
  return BigInt(out.trim());
}
