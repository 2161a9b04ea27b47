// SPDX-License-Identifier: GPL-2.0
/* Lab 2: count system calls by number, in an ARRAY map indexed by the syscall number. */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

/* Syscall numbers are small and dense (about 460 on x86_64 and arm64 today). */
#define MAX_SYSCALLS 512

/* Set by the loader before load(); the verifier then sees a constant. 0 = every process. */
const volatile __u32 target_pid = 0;

/* TODO 1: declare `syscall_counts`, a BPF_MAP_TYPE_ARRAY with MAX_SYSCALLS entries,
 * a __u32 key (the syscall number) and a __u64 value (how many calls). */

/* Runs on entry to every system call, on every CPU. */
SEC("tp/raw_syscalls/sys_enter")
int count_syscalls(struct trace_event_raw_sys_enter *ctx)
{
	/* TODO 2: when target_pid is set, return unless the caller's process id
	 * (current_tgid(), from common.h) is target_pid. */

	/* TODO 3: count this call. ctx->id is the syscall number, a signed long that user
	 * space chooses: keep only 0 <= id < MAX_SYSCALLS, look up its slot with
	 * bpf_map_lookup_elem(), check the pointer for NULL, and add 1 with
	 * __sync_fetch_and_add() (other CPUs may be adding to the same slot). */

	return 0;
}
