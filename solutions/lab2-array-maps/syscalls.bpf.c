// SPDX-License-Identifier: GPL-2.0
/* Lab 2: count system calls by number, in an ARRAY map indexed by the syscall number. */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

/* Syscall numbers are small and dense (about 460 on x86_64 and arm64 today): an array
 * slot per number is cheaper than a hash table, and every slot exists from the start. */
#define MAX_SYSCALLS 512

/* Set by the loader before load(); the verifier then sees a constant. 0 = every process. */
const volatile __u32 target_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u64);
} syscall_counts SEC(".maps");

/* Runs on entry to every system call, on every CPU. */
SEC("tp/raw_syscalls/sys_enter")
int count_syscalls(struct trace_event_raw_sys_enter *ctx)
{
	if (target_pid && current_tgid() != target_pid)
		return 0;

	/* ctx->id is a signed long that user space chooses: syscall(-1) or syscall(100000)
	 * arrive here too. Keep only numbers that have a slot. */
	long id = ctx->id;
	if (id < 0 || id >= MAX_SYSCALLS)
		return 0;

	__u32 key = id;
	__u64 *count = bpf_map_lookup_elem(&syscall_counts, &key);
	/* The verifier insists: lookup returns NULL for a key it cannot prove in range. */
	if (!count)
		return 0;
	/* Several CPUs may bump the same slot at once: add atomically. */
	__sync_fetch_and_add(count, 1);
	return 0;
}
