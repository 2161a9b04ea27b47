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

/* A plain HASH map: when it is full, new processes are not counted (the update fails) but
 * nothing already counted is lost. Deleting entries when processes exit keeps it from
 * filling: it holds at most the processes alive at once that have opened a file. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);	/* process id (tgid) */
	__type(value, struct proc_opens);
} opens_by_pid SEC(".maps");

SEC("tp/syscalls/sys_enter_openat")
int count_open(struct trace_event_raw_sys_enter *ctx)
{
	/* Task 1: every thread of a process counts under the process id (tgid). */
	__u32 pid = current_tgid();
	__u64 now = bpf_ktime_get_ns();

	/* Task 2: find the process's entry, creating it at its first open. */
	struct proc_opens *entry = bpf_map_lookup_elem(&opens_by_pid, &pid);
	if (!entry) {
		struct proc_opens fresh = { .first_seen_ns = now };

		/* BPF_NOEXIST: if another thread of the process created the entry a moment ago
		 * on another CPU, keep theirs (and their count) rather than overwrite it. */
		bpf_map_update_elem(&opens_by_pid, &pid, &fresh, BPF_NOEXIST);
		entry = bpf_map_lookup_elem(&opens_by_pid, &pid);
		if (!entry)
			return 0; /* the map is full: this process goes uncounted */
	}
	/* Threads of one process may open files at the same instant on two CPUs, and both
	 * write this same entry: a plain ++ could lose one of the two increments. */
	__sync_fetch_and_add(&entry->opens, 1);
	entry->last_seen_ns = now;
	/* execve() renames a process: refresh the name so the table shows the current one. */
	bpf_get_current_comm(entry->comm, sizeof(entry->comm));
	return 0;
}

/* Fires once for every exiting thread, not once per process. */
SEC("tp/sched/sched_process_exit")
int forget_exited(void *ctx)
{
	/* Task 3: when the process's main thread (thread id == process id) exits, the
	 * process is gone: free its entry, so the map cannot fill up with the dead. */
	if (current_tid() != current_tgid())
		return 0;
	__u32 pid = current_tgid();
	bpf_map_delete_elem(&opens_by_pid, &pid);
	return 0;
}
