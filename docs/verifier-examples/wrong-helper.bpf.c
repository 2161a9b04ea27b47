/* Rejected: a tracepoint program calls a helper that only XDP programs may use. */
/* The verifier says: "program of this type cannot use helper bpf_xdp_adjust_head#44" (Linux 6.18; docs/troubleshooting.md quotes it, tests/docs.test.ts checks both). */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp/syscalls/sys_enter_getppid")
int grow_packet(void *ctx)
{
	bpf_xdp_adjust_head(ctx, 4);
	return 0;
}
