// SPDX-License-Identifier: GPL-2.0
/* Lab 1: say hello every time any process on the machine calls execve(). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* bpf_printk() is only available to GPL-compatible programs. */
char LICENSE[] SEC("license") = "GPL";

/* Runs at the start of every execve() system call, before the kernel has done anything. */
SEC("tp/syscalls/sys_enter_execve")
int handle_execve(struct trace_event_raw_sys_enter *ctx)
{
	/* Task 3: the process id is the upper half (tgid); the lower half is the thread id. */
	int pid = bpf_get_current_pid_tgid() >> 32;

	/* Task 2: args[0] is execve's first argument, a pointer into the caller's memory:
	 * copy the string onto our stack before printing it. */
	char filename[256];
	bpf_probe_read_user_str(filename, sizeof(filename), (const char *)ctx->args[0]);

	/* Task 1: one line per execve in /sys/kernel/tracing/trace_pipe. */
	bpf_printk("hello from execve: pid %d file %s", pid, filename);
	return 0;
}
