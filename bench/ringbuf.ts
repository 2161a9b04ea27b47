// Comparison 3: a ring buffer under a flood. The same producer binary loops on getppid() for
// the same time under ringbuf.bpf.c (one 64-byte record per call, BPF_RB_NO_WAKEUP, failed
// reservations counted as lost); the consumer is the addon (`onBatch`, drained every 1 ms) or
// plain libbpf (`ring_buffer__poll` with a 1 ms timeout, then `ring_buffer__consume`).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { BpfObject } from "#bpf";
import { runCProgram } from "./c-programs.ts";
import { higherIsBetter, information, type Result } from "./report.ts";
import type { BenchContext } from "./settings.ts";
import { interleave } from "./stats.ts";

const warmupMilliseconds = 100;

/** One measurement, as the C consumer prints it and the JS one returns it. */
interface RingRun {
  consumed: number;
  /** Records whose sequence number was not the next one: must be 0. */
  outOfOrder: number;
  submitted: number;
  lost: number;
  /** From starting the producer to the last record drained after it exited. */
  seconds: number;
  /** CPU time the consumer process spent meanwhile. */
  cpuSeconds: number;
}

async function consumeInJs(ctx: BenchContext, milliseconds: number): Promise<RingRun> {
  // stdout ignored as in the C consumer; the producer starts when it reads a byte on stdin.
  const producer = spawn(ctx.programs.producer, [String(milliseconds)], { stdio: ["pipe", "ignore", "inherit"] });
  const exited = once(producer, "exit");
  try {
    if (producer.pid === undefined) await exited; // spawn failed: `once` rejects with the reason
    using obj = BpfObject.open(ctx.ringbufObject);
    obj.setGlobal("target_pid", producer.pid);
    obj.load();
    obj.program("produce").attach();

    let consumed = 0;
    let outOfOrder = 0;
    const ring = obj.ringBuffer("events", { pollIntervalMs: 1 });
    ring.onBatch((batch) => {
      // Same work per record as the C consumer: check the sequence number, count.
      batch.forEachRecord((buffer, offset, length) => {
        if (length < 8 || buffer.readUInt32LE(offset) !== consumed >>> 0) outOfOrder++;
        consumed++;
      });
    });

    const cpuStart = process.cpuUsage();
    const start = performance.now();
    producer.stdin!.write("g");
    const [code] = (await exited) as [number | null];
    if (code !== 0) throw new Error(`the producer exited with ${code}`);
    while (ring.poll() > 0);
    const seconds = (performance.now() - start) / 1e3;
    const cpu = process.cpuUsage(cpuStart);
    const counters = obj.getGlobal<{ submitted: bigint; lost: bigint }>("counters");
    return { consumed, outOfOrder, submitted: Number(counters.submitted), lost: Number(counters.lost), seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  } finally {
    if (producer.exitCode === null && producer.signalCode === null) producer.kill("SIGKILL");
  }
}

function consumeInC(ctx: BenchContext, milliseconds: number): Promise<RingRun> {
  return runCProgram<RingRun>(ctx.programs.ringbuf, [ctx.ringbufObject, ctx.programs.producer, milliseconds]);
}

/** A run that dropped or reordered records it was given is a broken consumer, not a slow one. */
function checked(side: string, run: RingRun): RingRun {
  if (run.outOfOrder !== 0) throw new Error(`${side} consumer saw ${run.outOfOrder} records out of order`);
  if (run.consumed !== run.submitted) throw new Error(`${side} consumer read ${run.consumed} of ${run.submitted} submitted records`);
  if (run.submitted === 0) throw new Error(`${side}: the producer made no records (is the tracepoint attached?)`);
  return run;
}

export async function compareRingBuffer(ctx: BenchContext): Promise<Result[]> {
  // Untimed first runs: V8 compiles the JS consumer's path, both sides fault in the ring.
  await consumeInJs(ctx, warmupMilliseconds);
  await consumeInC(ctx, warmupMilliseconds);
  const ms = ctx.settings.ringMilliseconds;
  const runs = await interleave(ctx.settings.trials, async () => checked("JS", await consumeInJs(ctx, ms)), async () => checked("C", await consumeInC(ctx, ms)));
  const rate = (r: RingRun) => r.consumed / r.seconds;
  const cpuPerEvent = (r: RingRun) => (r.cpuSeconds / r.consumed) * 1e9;
  const describe = (list: RingRun[]) => list.map((r) => `${Math.round(rate(r))}/s lost ${r.lost} cpu ${r.cpuSeconds.toFixed(2)}s`).join(", ");
  ctx.log(`ring buffer   JS ${describe(runs.js)}\n              C  ${describe(runs.c)}`);

  const lost = (list: RingRun[]) => list.reduce((sum, r) => sum + r.lost, 0);
  return [
    higherIsBetter("ring buffer consumed", "events/s", { js: runs.js.map(rate), c: runs.c.map(rate) }, 1),
    { name: "ring buffer lost, all trials", js: lost(runs.js), c: lost(runs.c), unit: "events", ratio: null, target: "JS 0", met: lost(runs.js) === 0 },
    // With nothing lost both sides read all there was, so the rate above is mostly how fast
    // the producer got to run on this busy machine; what consuming costs shows here instead.
    information("ring buffer consumer CPU per event", "ns", { js: runs.js.map(cpuPerEvent), c: runs.c.map(cpuPerEvent) }, true),
  ];
}
