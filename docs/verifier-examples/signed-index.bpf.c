/* Rejected: the index is checked against the top of the array only, and a signed int can be negative. */
/* The verifier says: "makes map_value pointer be out of bounds" (Linux 6.18; docs/troubleshooting.md quotes it, tests/docs.test.ts checks both). */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

struct slots { u64 hits[16]; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct slots);
} table SEC(".maps");

SEC("tp/syscalls/sys_enter_openat")
int count_by_flags(struct trace_event_raw_sys_enter *ctx)
{
	u32 zero = 0;
	struct slots *s = bpf_map_lookup_elem(&table, &zero);
	if (!s)
		return 0;
	int index = ctx->args[2];
	if (index >= 16)
		return 0;
	s->hits[index] += 1;
	return 0;
}
