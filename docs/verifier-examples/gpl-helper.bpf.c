/* Rejected: bpf_printk() calls a GPL-only helper, and this program's license is not GPL. */
/* The verifier says: "cannot call GPL-restricted function from non-GPL compatible program" (Linux 6.18; docs/troubleshooting.md quotes it, tests/docs.test.ts checks both). */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "Proprietary";

SEC("tp/syscalls/sys_enter_getppid")
int say_hello(void *ctx)
{
	bpf_printk("hello");
	return 0;
}
