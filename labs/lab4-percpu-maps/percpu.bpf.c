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

	/* TODO 1: look up slot 0 of `calls` (the lookup returns this CPU's copy), check the
	 * pointer for NULL, and add 1 to it. Does it need __sync_fetch_and_add()? */

	return 0;
}
