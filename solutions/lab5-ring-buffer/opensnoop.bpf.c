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

	/* Task 1: reserve room for one record; when the ring is full there is none, and the
	 * event is lost: count it, so user space can say so. */
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}

	/* Task 2: fill the record in place: it is memory inside the ring, not a copy. */
	e->pid = pid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* openat(dirfd, pathname, flags, mode): the path is args[1], in the caller's memory. */
	bpf_probe_read_user_str(e->filename, sizeof(e->filename), (const char *)ctx->args[1]);

	/* Task 3: hand the record to user space. Every reserved record must be submitted or
	 * discarded, or the verifier rejects the program. */
	bpf_ringbuf_submit(e, 0);
	return 0;
}
