/* Rejected: a hash map lookup may return NULL, and the value is used without a check. */
/* The verifier says: "R0 invalid mem access 'map_value_or_null'" (Linux 6.18; docs/troubleshooting.md quotes it, tests/docs.test.ts checks both). */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int count_without_check(void *ctx)
{
	u32 pid = current_tgid();
	u64 *count = bpf_map_lookup_elem(&counts, &pid);
	*count += 1;
	return 0;
}
