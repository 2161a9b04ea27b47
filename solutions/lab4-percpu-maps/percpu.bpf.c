// SPDX-License-Identifier: GPL-2.0
/* Lab 4: count getppid() calls in a per-CPU array: each CPU bumps its own copy. */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load(). 0 = every process. */
const volatile __u32 target_pid = 0;

/* One slot, but one copy of it per possible CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int count_getppid(void *ctx)
{
	if (target_pid && current_tgid() != target_pid)
		return 0;

	__u32 zero = 0;
	/* Returns this CPU's copy of slot 0. */
	__u64 *count = bpf_map_lookup_elem(&calls, &zero);
	if (!count)
		return 0;
	/* No atomic needed: no other CPU writes this copy, and a program is never
	 * interrupted by itself on the same CPU. */
	*count += 1;
	return 0;
}
