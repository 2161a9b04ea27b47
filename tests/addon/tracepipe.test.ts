// The trace pipe: bpf_printk output from a real program arrives parsed, and the line parser
// copes with the shapes the kernel prints.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BpfObject, parseTraceLine, TracePipe, type TraceLine } from "#bpf";
import { addonFixture, killTargets, randomMarker, requireBpf, Target } from "../helpers/kernel.ts";

describe("parseTraceLine", () => {
  it("parses lines with the flags column", () => {
    expect(parseTraceLine("           bash-1234    [001] d..31  5678.901234: bpf_trace_printk: hello world")).toEqual({
      comm: "bash", pid: 1234, cpu: 1, timestamp: 5678.901234, event: "bpf_trace_printk", message: "hello world",
      raw: "           bash-1234    [001] d..31  5678.901234: bpf_trace_printk: hello world",
    });
    expect(parseTraceLine("  kworker/u8:2-98      [000] .....    12.500000: bpf_trace_printk: x=1")).toMatchObject({ comm: "kworker/u8:2", pid: 98, cpu: 0, message: "x=1" });
  });

  it("keeps spaces and dashes inside the command name", () => {
    expect(parseTraceLine(" Web Content-4321 [003] d..1. 100.000001: bpf_trace_printk: msg")).toMatchObject({ comm: "Web Content", pid: 4321, cpu: 3 });
    expect(parseTraceLine("  my-prog-name-777 [000] ..... 1.000000: bpf_trace_printk: a-b c")).toMatchObject({ comm: "my-prog-name", pid: 777, message: "a-b c" });
    expect(parseTraceLine("           <...>-55 [001] ...1 9.5: bpf_trace_printk: hi")).toMatchObject({ comm: "<...>", pid: 55 });
  });

  it("parses lines without the flags column, and with a tgid column", () => {
    expect(parseTraceLine("  bash-1234 [001] 5678.901234: bpf_trace_printk: no flags")).toMatchObject({ comm: "bash", pid: 1234, cpu: 1, timestamp: 5678.901234, message: "no flags" });
    expect(parseTraceLine("  bash-1234 (   1200) [001] d..3 5.000001: bpf_trace_printk: tgid")).toMatchObject({ comm: "bash", pid: 1234, message: "tgid" });
  });

  it("keeps an empty message, and rejects lines of another shape", () => {
    expect(parseTraceLine("  a-1 [000] .... 1.0: bpf_trace_printk: ")).toMatchObject({ message: "" });
    expect(parseTraceLine("CPU:1 [LOST 12 EVENTS]")).toBeUndefined();
    expect(parseTraceLine("")).toBeUndefined();
  });
});

describe.skipIf(!requireBpf())("TracePipe", () => {
  let path: string;
  beforeAll(async () => { path = await addonFixture("maps"); });
  afterEach(killTargets);

  it("a bpf_printk with a random marker arrives parsed, with the printer's pid", async () => {
    const target = await Target.start();
    using obj = BpfObject.open(path);
    obj.setGlobal("target_pid", target.pid).load();
    const marker = randomMarker();
    obj.setGlobal("marker", marker);
    using _link = obj.program("on_getppid").attach();
    using pipe = TracePipe.open();
    expect(pipe.path).toMatch(/trace_pipe$/);
    const expected = `fixture marker=${marker} pid=${target.pid}`;
    let found: TraceLine | undefined;
    pipe.onLine((line) => { if (line.message === expected) found ??= line; });
    // The pipe is one stream for the whole machine and another reader may take a line: print
    // again until ours comes through (bounded).
    const deadline = Date.now() + 10_000;
    while (!found && Date.now() < deadline) {
      await target.getppid(1);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(found, `no trace_pipe line '${expected}' within 10 s`).toBeDefined();
    expect(found).toMatchObject({ comm: "target", pid: target.pid, event: "bpf_trace_printk", message: expected });
    expect(found!.cpu).toBeGreaterThanOrEqual(0);
    expect(found!.timestamp).toBeGreaterThan(0);
  });

  it("for await ends when the pipe is closed", async () => {
    const pipe = TracePipe.open();
    const loop = (async () => { for await (const _ of pipe) { /* whatever arrives */ } return "ended"; })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    pipe.close();
    expect(await loop).toBe("ended");
    expect(pipe.closed).toBe(true);
    pipe.close(); // twice is fine
  });
});
