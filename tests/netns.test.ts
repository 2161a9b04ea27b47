// The grader's throwaway networks on the real kernel: a pair carries IPv4 and IPv6 between
// the namespace and the host, and nothing of it survives remove(), a terminating signal, or
// (through the next sweep) a SIGKILL.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tsxCommand } from "../grader/lib/loader.ts";
import { ProcessGroup } from "../grader/lib/processes.ts";
import { createVethPair, sweepStaleVethPairs, type VethPair } from "../grader/netns.ts";
import { bpfUnavailableReason } from "./helpers/kernel.ts";

const run = promisify(execFile);
const prefix = "nstest";

// Namespaces need root, like BPF; in CI that is an error, never a skip.
const reason = bpfUnavailableReason();
const onKernel = reason === undefined || process.env.CI ? describe.sequential : describe.skip;

function namespaceExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** Sends `count` datagrams from inside the namespace to `host`:`port`; resolves with how many arrived. */
async function udpRoundTrip(pair: VethPair, family: 4 | 6, count: number): Promise<number> {
  const host = family === 4 ? pair.hostIPv4 : pair.hostIPv6!;
  const socket = createSocket(family === 4 ? "udp4" : "udp6");
  let received = 0;
  socket.on("message", () => received++);
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  const port = socket.address().port;
  try {
    const script = `import socket,sys\ns=socket.socket(socket.AF_INET${family === 6 ? "6" : ""},socket.SOCK_DGRAM)\nfor i in range(${count}): s.sendto(b"x",(sys.argv[1],${port}))`;
    await run(...pair.inside("python3", ["-c", script, host]));
    for (let i = 0; i < 40 && received < count; i++) await new Promise((r) => setTimeout(r, 25));
    return received;
  } finally {
    socket.close();
  }
}

/** A child process that creates a pair, prints its names as JSON, then waits to be killed. */
function childWithPair(dir: string): { group: ProcessGroup; names: Promise<{ namespace: string; hostIface: string }> } {
  const script = join(dir, "child.mts");
  const netns = pathToFileURL(join(import.meta.dirname, "..", "grader", "netns.ts")).href;
  writeFileSync(script, `import { createVethPair } from "${netns}";
const pair = await createVethPair({ prefix: "${prefix}" });
console.log(JSON.stringify({ namespace: pair.namespace, hostIface: pair.hostIface }));
setInterval(() => {}, 1000);
`);
  const { command, args } = tsxCommand(script);
  const group = ProcessGroup.spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  const names = new Promise<{ namespace: string; hostIface: string }>((resolve, reject) => {
    let out = "";
    group.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("\n")) resolve(JSON.parse(out) as { namespace: string; hostIface: string });
    });
    void group.exited.then((exit) => reject(new Error(`child exited early: ${JSON.stringify(exit)}`)));
  });
  return { group, names };
}

onKernel("throwaway veth pairs (grader/netns.ts)", () => {
  const dir = mkdtempSync(join(tmpdir(), "netns-test-"));
  beforeAll(async () => {
    if (reason) throw new Error(`network namespaces cannot be tested here: ${reason}`);
    await sweepStaleVethPairs(prefix);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("carries IPv4 and IPv6 from the namespace to the host end, then leaves nothing", async () => {
    const pair = await createVethPair({ prefix, ipv6: true });
    try {
      expect(pair.hostIface).toMatch(new RegExp(`^${prefix}[a-z0-9]{6}h$`));
      expect(pair.hostIface.length).toBeLessThanOrEqual(15);
      expect(pair.namespace).toContain(`-${process.pid}-`);
      expect(linkExists(pair.hostIface)).toBe(true);
      expect(namespaceExists(pair.namespace)).toBe(true);
      expect(await udpRoundTrip(pair, 4, 20)).toBe(20);
      expect(await udpRoundTrip(pair, 6, 20)).toBe(20);
    } finally {
      await pair.remove();
    }
    expect(linkExists(pair.hostIface)).toBe(false);
    expect(namespaceExists(pair.namespace)).toBe(false);
    await pair.remove(); // twice is fine
  });

  it("disables IPv6 on both ends unless asked, so the link stays quiet", async () => {
    await using pair = await createVethPair({ prefix });
    expect(pair.hostIPv6).toBeUndefined();
    expect(readFileSync(`/proc/sys/net/ipv6/conf/${pair.hostIface}/disable_ipv6`, "utf8").trim()).toBe("1");
    const { stdout } = await run(...pair.inside("cat", [`/proc/sys/net/ipv6/conf/${pair.peerIface}/disable_ipv6`]));
    expect(stdout.trim()).toBe("1");
  });

  it("rejects a prefix that would make interface names too long", async () => {
    await expect(createVethPair({ prefix: "muchtoolong" })).rejects.toThrow(/2-8 lowercase letters/);
  });

  it("removes a live pair when its process gets SIGTERM and nothing else handles it", async () => {
    const child = childWithPair(dir);
    const names = await child.names;
    expect(linkExists(names.hostIface)).toBe(true);
    process.kill(child.group.pid!, "SIGTERM");
    const exit = await child.group.exited;
    await child.group.stop();
    expect(exit.signal).toBe("SIGTERM");
    expect(linkExists(names.hostIface)).toBe(false);
    expect(namespaceExists(names.namespace)).toBe(false);
  });

  it("sweeps what a SIGKILLed process left, and leaves live pairs alone", async () => {
    await using mine = await createVethPair({ prefix });
    const child = childWithPair(dir);
    const names = await child.names;
    process.kill(child.group.pid!, "SIGKILL");
    await child.group.stop();
    expect(linkExists(names.hostIface)).toBe(true); // nothing could run at SIGKILL
    const removed = await sweepStaleVethPairs(prefix);
    expect(removed).toContain(names.namespace);
    expect(linkExists(names.hostIface)).toBe(false);
    expect(namespaceExists(names.namespace)).toBe(false);
    expect(linkExists(mine.hostIface)).toBe(true);
    expect(namespaceExists(mine.namespace)).toBe(true);
  });
});
