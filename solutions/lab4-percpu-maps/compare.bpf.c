// SPDX-License-Identifier: GPL-2.0
/* Lab 4 demo (run by compare.ts, nothing to complete): three ways to count the same
 * getppid() calls made by two processes running on two CPUs at once. */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

/* The two worker processes; compare.ts sets them after load() (.bss stays writable). */
__u32 worker_a;
__u32 worker_b;

/* Three one-slot counters: the same u64, declared three ways. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} percpu_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} atomic_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} plain_count SEC(".maps");

static __always_inline __u64 *slot(void *map)
{
	__u32 pid = current_tgid();
	__u32 zero = 0;

	if (pid != worker_a && pid != worker_b)
		return NULL;
	return bpf_map_lookup_elem(map, &zero);
}

/* Each CPU adds to its own copy: nobody else writes it, no atomic needed. */
SEC("tp/syscalls/sys_enter_getppid")
int count_percpu(void *ctx)
{
	__u64 *count = slot(&percpu_count);
	if (count)
		*count += 1;
	return 0;
}

/* One counter for all CPUs, with an atomic add (a locked instruction on x86). */
SEC("tp/syscalls/sys_enter_getppid")
int count_atomic(void *ctx)
{
	__u64 *count = slot(&atomic_count);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 0;
}

/* One counter for all CPUs, with load, add, store: two CPUs that load the same old value
 * both store old + 1, and one update is lost. This is the bug per-CPU maps avoid. */
SEC("tp/syscalls/sys_enter_getppid")
int count_plain(void *ctx)
{
	__u64 *count = slot(&plain_count);
	if (count)
		*count += 1;
	return 0;
}
