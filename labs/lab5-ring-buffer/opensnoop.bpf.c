// SPDX-License-Identifier: GPL-2.0
/* Lab 5: stream every openat() on the machine to user space through a ring buffer. */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

#define FILENAME_LEN 256

/* One record per openat(). User space decodes it by name ("struct event") from the BTF. */
struct event {
	__u32 pid;
	__u32 uid;
	char comm[TASK_COMM_LEN];
	char filename[FILENAME_LEN];
};
EXPORT_STRUCT(event);

/* One ring shared by all CPUs. Its size (bytes: a power of two, a multiple of the page size)
 * is how far user space may fall behind: 8 MiB holds about 29000 of our 288-byte records
 * (280 bytes of event plus the ring's 8-byte header). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* Set by the loader before load (--pid): trace only this process. 0 traces every process. */
const volatile __u32 target_pid = 0;

/* Records that could not be reserved because the ring was full. User space reads it. */
__u64 dropped = 0;

SEC("tp/syscalls/sys_enter_openat")
int handle_openat(struct trace_event_raw_sys_enter *ctx)
{
	__u32 pid = current_tgid();

	if (target_pid && pid != target_pid)
		return 0;

	/* TODO 1: reserve room for one `struct event` in the `events` ring with
	 * bpf_ringbuf_reserve(). It returns NULL when the ring is full: the event is lost.
	 * Count it in `dropped` (atomically: other CPUs may be counting at the same time) and
	 * return. */

	/* TODO 2: fill the record you reserved: pid, uid (the lower half of
	 * bpf_get_current_uid_gid()), comm (bpf_get_current_comm()) and filename. openat(dirfd,
	 * pathname, flags, mode) gets the path as its second argument, ctx->args[1]: a pointer
	 * into the caller's memory, so copy the string with bpf_probe_read_user_str(). */

	/* TODO 3: hand the record to user space with bpf_ringbuf_submit(). */
	return 0;
}
