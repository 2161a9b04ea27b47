/* Rejected: an index that comes from the kernel indexes an array with no upper bound. */
/* The verifier says: "R0 unbounded memory access, make sure to bounds check any such access" (Linux 6.18; docs/troubleshooting.md quotes it, tests/docs.test.ts checks both). */
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
	u32 index = ctx->args[2];
	s->hits[index] += 1;
	return 0;
}
