/* Rejected: an XDP program reads a header without first checking it lies before data_end. */
/* The verifier says: "R1 offset is outside of the packet" (Linux 6.18; docs/troubleshooting.md quotes it, tests/docs.test.ts checks both). */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int read_without_bounds(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;
	if (eth->h_proto == 0)
		return XDP_DROP;
	return XDP_PASS;
}
