/* Rejected: a ring buffer record is reserved, and one path returns without submitting it. */
/* The verifier says: "BPF_EXIT instruction in main prog would lead to reference leak" (Linux 6.18; docs/troubleshooting.md quotes it, tests/docs.test.ts checks both). */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int reserve_and_forget(void *ctx)
{
	u32 *pid = bpf_ringbuf_reserve(&events, sizeof(*pid), 0);
	if (!pid)
		return 0;
	*pid = current_tgid();
	if (*pid == 1)
		return 0; /* BUG: the record is neither submitted nor discarded */
	bpf_ringbuf_submit(pid, 0);
	return 0;
}
