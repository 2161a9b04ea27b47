// Global variables: .rodata is set before load and seen by the verifier-constant pid filter;
// .bss/.data are read and written live, and the running program sees what we write.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BpfError, BpfObject } from "#bpf";
import { addonFixture, killTargets, randomMarker, requireBpf, Target } from "../helpers/kernel.ts";

interface Event { pid: number; seq: number; marker: bigint; comm: string }

describe.skipIf(!requireBpf())("global variables", () => {
  let path: string;
  beforeAll(async () => { path = await addonFixture("maps"); });
  afterEach(killTargets);

  it(".rodata set before load filters by pid: only the target's calls count", async () => {
    const target = await Target.start();
    const bystander = await Target.start();
    using obj = BpfObject.open(path);
    obj.setGlobal("target_pid", target.pid);
    expect(obj.getGlobal("target_pid")).toBe(target.pid);
    obj.load();
    expect(obj.getGlobal("target_pid")).toBe(target.pid); // read back from the kernel's copy
    using _link = obj.program("on_getppid").attach();
    await bystander.getppid(40);
    await target.getppid(13);
    await bystander.getppid(40);
    expect(obj.map<number, bigint>("counters").get(0)).toBe(13n);
    expect([...obj.map<number, unknown>("per_pid").keys()]).toEqual([target.pid]);
  });

  it("setting .rodata after load throws a clear error and changes nothing", () => {
    using obj = BpfObject.open(path);
    obj.setGlobal("target_pid", 1234).load();
    const error = (() => { try { obj.setGlobal("target_pid", 99); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(BpfError);
    expect((error as BpfError).message).toMatch(/'target_pid' is read-only \(\.rodata.*\): set it before load\(\)/);
    expect((error as BpfError).message).not.toMatch(/root/); // not a permission problem
    expect(obj.getGlobal("target_pid")).toBe(1234);
  });

  it(".bss and .data round-trip after load, and the program sees the written values", async () => {
    const target = await Target.start();
    using obj = BpfObject.open(path);
    obj.setGlobal("target_pid", target.pid).load();
    expect(obj.getGlobal("seq")).toBe(1); // .data initial value from the C source
    expect(obj.getGlobal("marker")).toBe(0n);
    const marker = randomMarker();
    obj.setGlobal("marker", marker).setGlobal("seq", 1000);
    expect(obj.getGlobal("marker")).toBe(marker);
    expect(obj.getGlobal("seq")).toBe(1000);

    const events: Event[] = [];
    using ring = obj.ringBuffer<Event>("events", { recordType: "struct event" });
    ring.onRecord((e) => events.push(e));
    using _link = obj.program("on_getppid").attach();
    await target.getppid(3);
    ring.poll();
    expect(events).toEqual([1000, 1001, 1002].map((seq) => ({ pid: target.pid, seq, marker, comm: "target" })));
    expect(obj.getGlobal("seq")).toBe(1003); // the program's own writes are visible too
  });

  it("setting one .bss variable leaves its neighbours alone", () => {
    using obj = BpfObject.open(path).load();
    obj.setGlobal("dropped", 7);
    obj.setGlobal("marker", 5n);
    expect(obj.getGlobal("dropped")).toBe(7);
    expect(obj.getGlobal("marker")).toBe(5n);
  });

  it(".bss/.data set before load become the initial values", () => {
    using obj = BpfObject.open(path);
    obj.setGlobal("marker", 77n).setGlobal("seq", 5).load();
    expect(obj.getGlobal("marker")).toBe(77n);
    expect(obj.getGlobal("seq")).toBe(5);
  });

  it("an unknown global or a value of the wrong type is refused with the real names", () => {
    using obj = BpfObject.open(path);
    expect(() => obj.setGlobal("target_tid", 1)).toThrow(/no global variable 'target_tid' in maps \(globals: .*target_pid/);
    expect(() => obj.getGlobal("nope")).toThrow(/globals: marker, dropped, target_pid, no_wakeup, seq\)/);
    expect(() => obj.setGlobal("target_pid", "1234")).toThrow(TypeError);
    expect(() => obj.setGlobal("target_pid", -1)).toThrow(/out of range/);
  });
});
