/* Maps for the lookup and dump benchmarks. No program touches them: the benchmark measures
 * user space reaching the kernel, and both sides (addon and plain libbpf) load this same file. */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

/* Keys 0..1023 are looked up in turn; ARRAY lookups take the fast path, no hashing. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} lookup_array SEC(".maps");

/* Filled with exactly max_entries entries, then dumped whole. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 100000);
	__type(key, __u32);
	__type(value, __u64);
} dump_hash SEC(".maps");
