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
	/* TODO 3: the id of the process calling execve(), from bpf_get_current_pid_tgid().
	 * That helper packs two ids into one 64-bit number: which half is the process id? */

	/* TODO 2: the file being executed. execve()'s first argument, ctx->args[0], points
	 * into the caller's memory: copy the string onto the stack with
	 * bpf_probe_read_user_str() before printing it. */

	/* TODO 1: say hello with bpf_printk(), once per call, in this format:
	 *   hello from execve: pid <pid> file <file name>                              */

	return 0;
}
