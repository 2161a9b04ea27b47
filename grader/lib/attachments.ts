// How many BPF programs a process has attached, read from its file descriptors: attachments
// are fds, so this needs no cooperation from the student's code (no magic "ready" line).
//
// Measured on Linux 6.18 with libbpf 1.1: a tracepoint attach holds two fds, an
// `anon_inode:[perf_event]` and an `anon_inode:bpf_link` whose fdinfo says `link_type: perf`.
// Older kernels attach through the perf event alone (ioctl, no link); XDP and other
// link-based attachments hold a bpf_link only. Counting links, plus perf events that no
// perf link accounts for, gives one per attachment in all three cases.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Number of BPF attachments process `pid` holds right now; 0 if it has ended. */
export function countAttachments(pid: number): number {
  let links = 0;
  let perfLinks = 0;
  let perfEvents = 0;
  for (const fd of listFds(pid)) {
    const target = readFdLink(pid, fd);
    if (target === "anon_inode:bpf_link") {
      links++;
      if (/^link_type:\s*perf\b/m.test(readFdInfo(pid, fd))) perfLinks++;
    } else if (target === "anon_inode:[perf_event]") {
      perfEvents++;
    }
  }
  return links + Math.max(0, perfEvents - perfLinks);
}

/** Ids of the BPF programs process `pid` holds (loaded or attached), from its fds' fdinfo. */
export function programIds(pid: number): number[] {
  const ids = new Set<number>();
  for (const fd of listFds(pid)) {
    const target = readFdLink(pid, fd);
    if (target !== "anon_inode:bpf-prog" && target !== "anon_inode:bpf_link") continue;
    const id = /^prog_id:\s*(\d+)/m.exec(readFdInfo(pid, fd));
    if (id) ids.add(Number(id[1]));
  }
  return [...ids];
}

/** Ids of the BPF maps process `pid` holds open, from its fds' fdinfo. */
export function mapIds(pid: number): number[] {
  const ids: number[] = [];
  for (const fd of listFds(pid)) {
    if (readFdLink(pid, fd) !== "anon_inode:bpf-map") continue;
    const id = /^map_id:\s*(\d+)/m.exec(readFdInfo(pid, fd));
    if (id) ids.push(Number(id[1]));
  }
  return ids;
}

// Each read may race with the process closing fds or exiting; a vanished fd simply doesn't count.
function listFds(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
}

function readFdLink(pid: number, fd: string): string {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return "";
  }
}

function readFdInfo(pid: number, fd: string): string {
  try {
    return readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8");
  } catch {
    return "";
  }
}
