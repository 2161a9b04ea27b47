// Object lifecycle on the real kernel: open (path, URL, bytes), listing, load, and every
// attach path the course uses (SEC, tracepoint, raw tracepoint, uprobe), plus testRun on XDP.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BpfObject } from "#bpf";
import { addonFixture, getppidSyscallNumber, killTargets, requireBpf, Target, waitFor } from "../helpers/kernel.ts";

describe.skipIf(!requireBpf())("BpfObject lifecycle", () => {
  let mapsPath: string;
  let probesPath: string;
  let xdpPath: string;
  beforeAll(async () => {
    [mapsPath, probesPath, xdpPath] = await Promise.all([addonFixture("maps"), addonFixture("probes"), addonFixture("xdp")]);
  });
  afterEach(killTargets);

  it("opens from a path, a file: URL and bytes, and lists the same programs and maps", () => {
    using byPath = BpfObject.open(mapsPath);
    using byUrl = BpfObject.open(pathToFileURL(mapsPath));
    using byBytes = BpfObject.open(new Uint8Array(readFileSync(mapsPath)), { name: "maps" });
    using unnamed = BpfObject.open(readFileSync(mapsPath));
    expect(unnamed.name).toBe("object");
    expect(unnamed.maps.filter((m) => m.internal).map((m) => m.name)).toEqual(["object.bss", "object.rodata", "object.data"]);
    for (const obj of [byPath, byUrl, byBytes]) {
      expect(obj.programs.map((p) => [p.name, p.section, p.type])).toEqual([["on_getppid", "tp/syscalls/sys_enter_getppid", "tracepoint"]]);
      expect(obj.maps.map((m) => m.name)).toEqual(byPath.maps.map((m) => m.name));
      expect(obj.loaded).toBe(false);
    }
    const byName = Object.fromEntries(byPath.maps.map((m) => [m.name, m]));
    expect(byName.counters).toMatchObject({ type: "array", keySize: 4, valueSize: 8, maxEntries: 8, internal: false });
    expect(byName.per_pid).toMatchObject({ type: "hash", keySize: 4, valueSize: 32, maxEntries: 1024 });
    expect(byName.events).toMatchObject({ type: "ringbuf", maxEntries: 256 * 1024 });
    expect(byName["maps.rodata"]?.internal).toBe(true);
    expect(byBytes.name).toBe(byPath.name);
  });

  it("loads from bytes and attaches by SEC(): the program counts the target's getppid calls", async () => {
    const target = await Target.start();
    using obj = BpfObject.open(new Uint8Array(readFileSync(mapsPath)));
    obj.setGlobal("target_pid", target.pid).load();
    expect(obj.loaded).toBe(true);
    expect(obj.program("on_getppid").fd).toBeGreaterThan(0);
    using link = obj.program("on_getppid").attach();
    expect(link.description).toContain("tp/syscalls/sys_enter_getppid");
    await target.getppid(25);
    expect(obj.map<number, bigint>("counters").get(0)).toBe(25n);
  });

  it("attaches to a tracepoint named explicitly, and detaches on close", async () => {
    const target = await Target.start();
    using obj = BpfObject.open(mapsPath);
    obj.setGlobal("target_pid", target.pid).load();
    const counters = obj.map<number, bigint>("counters");
    const link = obj.program("on_getppid").attachTracepoint("syscalls", "sys_enter_getppid");
    expect(link.description).toBe("tracepoint syscalls:sys_enter_getppid");
    await target.getppid(7);
    expect(counters.get(0)).toBe(7n);
    link.close();
    expect(link.closed).toBe(true);
    await target.getppid(7);
    expect(counters.get(0)).toBe(7n); // detached: no more counting
  });

  it("BpfObject.attach() attaches every program by its SEC()", async () => {
    const target = await Target.start();
    using obj = BpfObject.open(mapsPath);
    obj.setGlobal("target_pid", target.pid).load();
    const links = obj.attach();
    expect(links.map((l) => l.description)).toEqual(["program 'on_getppid' (tp/syscalls/sys_enter_getppid)"]);
    await target.getppid(3);
    expect(obj.map<number, bigint>("counters").get(0)).toBe(3n);
    obj.close();
    expect(links.every((l) => l.closed)).toBe(true);
  });

  it("attaches a raw tracepoint by SEC() and by name", async () => {
    const target = await Target.start();
    for (const how of ["sec", "explicit"] as const) {
      using obj = BpfObject.open(probesPath);
      obj.setGlobal("target_pid", target.pid).setGlobal("getppid_nr", BigInt(getppidSyscallNumber()));
      for (const p of ["on_probe_target", "on_probe_target_ret"]) obj.setAutoload(p, false);
      obj.load();
      const program = obj.program("on_raw_sys_enter");
      using link = how === "sec" ? program.attach() : program.attachRawTracepoint("sys_enter");
      expect(link.description).toContain("sys_enter");
      await target.getppid(11);
      expect(obj.getGlobal("raw_getppid_calls")).toBe(11n);
    }
  });

  it("attaches a uprobe and a uretprobe to a function of one process", async () => {
    const target = await Target.start();
    const other = await Target.start(); // same binary, another pid: must not be counted
    using obj = BpfObject.open(probesPath);
    obj.setGlobal("target_pid", target.pid);
    obj.setAutoload("on_raw_sys_enter", false).load();
    using entry = obj.program("on_probe_target").attachUprobe({ binary: target.binary, func: "addon_probe_target", pid: target.pid });
    using exit = obj.program("on_probe_target_ret").attachUprobe({ binary: target.binary, func: "addon_probe_target", pid: target.pid, retprobe: true });
    expect(entry.description).toBe(`uprobe ${target.binary}:addon_probe_target`);
    expect(exit.description).toBe(`uretprobe ${target.binary}:addon_probe_target`);
    await other.callProbe(50);
    await target.callProbe(10); // args 0..9, returns 0, 2, ..., 18
    expect(obj.getGlobal("uprobe_calls")).toBe(10n);
    expect(obj.getGlobal("uprobe_arg_sum")).toBe(45n);
    await waitFor(() => obj.getGlobal("uretprobe_calls") === 10n, "10 uretprobe hits");
    expect(obj.getGlobal("uretprobe_ret_sum")).toBe(90n);
  });

  it("attach() on a SEC() with no target says to attach explicitly", () => {
    using obj = BpfObject.open(probesPath);
    obj.setAutoload("on_raw_sys_enter", false).load();
    expect(() => obj.program("on_probe_target").attach()).toThrow(/names no target: attach it explicitly/);
  });

  it("testRun runs an XDP program on packet bytes without attaching it", () => {
    using obj = BpfObject.open(xdpPath).load();
    const program = obj.program("xdp_first_byte");
    expect(program.type).toBe("xdp");
    const packet = Buffer.alloc(64, 0x11);
    const pass = program.testRun(packet);
    expect(pass.retval).toBe(2); // XDP_PASS
    expect(pass.data.equals(packet)).toBe(true);
    packet[0] = 0xdd;
    expect(program.testRun(packet, { repeat: 100 }).retval).toBe(1); // XDP_DROP
    expect(program.testRun(packet, { repeat: 100 }).durationNs).toBeGreaterThanOrEqual(0);
  });
});
