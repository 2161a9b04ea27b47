// SPDX-License-Identifier: GPL-2.0
/* Lab 3: count the files each process opens, in a hash map keyed by process id. */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

/* One entry per process that has opened a file: what user space reads and prints. */
struct proc_opens {
	__u64 opens;		/* openat() calls made by any thread of the process */
	__u64 first_seen_ns;	/* bpf_ktime_get_ns() at its first open */
	__u64 last_seen_ns;	/* bpf_ktime_get_ns() at its latest open */
	char comm[16];		/* the process name, as of its latest open */
};

/* Keep the name and the value type: the loader and the grader read this map.
 * Read "What happens when a hash map is full" in the README before you pick its type. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);	/* process id (tgid) */
	__type(value, struct proc_opens);
} opens_by_pid SEC(".maps");

SEC("tp/syscalls/sys_enter_openat")
int count_open(struct trace_event_raw_sys_enter *ctx)
{
	/* TODO 1: the key. Every thread of a process must count under the process id
	 * (tgid), the number `ps` shows as PID. */
	__u32 pid = 0;

	/* TODO 2: look up the process's entry in opens_by_pid; if there is none, create it
	 * (first_seen_ns = now). Then count this open, set last_seen_ns, and record the
	 * process name with bpf_get_current_comm(). Two threads of one process can get here
	 * at the same instant on two CPUs. */
	(void)pid;
	return 0;
}

/* Fires once for every exiting thread, not once per process. */
SEC("tp/sched/sched_process_exit")
int forget_exited(void *ctx)
{
	/* TODO 3: when the process exits, delete its entry, so the map cannot fill up with
	 * processes that no longer exist. Only the exit of the process's main thread (thread
	 * id == process id) means the process is gone. */
	return 0;
}
