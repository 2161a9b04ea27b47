/* Rejected: a loop whose end the verifier cannot prove. */
/* The verifier says: "The sequence of 8193 jumps is too complex." (Linux 6.18; docs/troubleshooting.md quotes it, tests/docs.test.ts checks both). */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

u64 total;

SEC("tp/syscalls/sys_enter_getppid")
int spin(void *ctx)
{
	u64 n = bpf_get_prandom_u32();
	while (n != 0) {
		total += n;
		n = n * 3 + 1;
	}
	return 0;
}
