// Live traffic for lab 6: receivers in the grader's own process (async sockets, so the event
// loop keeps draining them while the sender runs) and a paced sender inside the namespace.
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import type { VethPair } from "../../netns.ts";
import type { Workload } from "../../lib/workload.ts";

export interface Flow {
  family: 4 | 6;
  protocol: "udp" | "tcp";
  port: number;
  /** Datagrams to send (UDP); a TCP flow is one connection carrying the marker. */
  count: number;
}

export interface FlowResult extends Flow {
  /** Datagrams that carried this run's marker, or 1 if the TCP connection delivered it. */
  received: number;
}

/** Sends each flow from inside the namespace, about one datagram per millisecond. */
const senderScript = String.raw`
import json, socket, sys, time
marker, host4, host6, flows = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
for f in flows:
    host = host4 if f["family"] == 4 else host6
    family = socket.AF_INET if f["family"] == 4 else socket.AF_INET6
    if f["protocol"] == "tcp":
        with socket.create_connection((host, f["port"]), timeout=3) as s:
            s.sendall(marker.encode())
        continue
    s = socket.socket(family, socket.SOCK_DGRAM)
    for i in range(f["count"]):
        s.sendto(("%s %d %d" % (marker, f["port"], i)).encode(), (host, f["port"]))
        time.sleep(0.001)
    s.close()
`;

/**
 * Opens a receiver for every flow on the host end, sends all flows from the namespace, and
 * returns what arrived once everything expected is in or `settleMs` passed after sending.
 */
export async function exchange(pair: VethPair, workload: Workload, flows: readonly Flow[], marker: string, settleMs = 1500): Promise<FlowResult[]> {
  const results: FlowResult[] = flows.map((f) => ({ ...f, received: 0 }));
  const closers: (() => void)[] = [];
  try {
    for (const result of results) closers.push(await listen(pair, result, marker));
    const [command, args] = pair.inside("python3", ["-c", senderScript, marker, pair.hostIPv4, pair.hostIPv6 ?? "", JSON.stringify(flows)]);
    const sender = await workload.run(command, args);
    if (sender.code !== 0) throw new Error(`the traffic sender failed (exit code ${sender.code}): ${sender.stderr.trim().split("\n").at(-1)}`);
    const deadline = Date.now() + settleMs;
    while (Date.now() < deadline && results.some((r) => r.received < r.count)) await new Promise((r) => setTimeout(r, 50));
    return results;
  } finally {
    for (const close of closers) close();
  }
}

async function listen(pair: VethPair, result: FlowResult, marker: string): Promise<() => void> {
  const address = result.family === 4 ? pair.hostIPv4 : pair.hostIPv6;
  if (!address) throw new Error("IPv6 flows need a pair created with ipv6: true");
  if (result.protocol === "tcp") {
    const server: Server = createServer((conn) => {
      let data = "";
      conn.setEncoding("utf8").on("data", (chunk: string) => {
        data += chunk;
        if (data.includes(marker)) result.received = 1;
      });
      conn.on("error", () => undefined);
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(result.port, address, resolve));
    return () => server.close();
  }
  const socket: Socket = createSocket(result.family === 4 ? "udp4" : "udp6");
  socket.on("message", (message) => {
    if (message.toString().startsWith(`${marker} ${result.port} `)) result.received++;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(result.port, address, () => resolve());
  });
  return () => socket.close();
}
