// SPDX-License-Identifier: GPL-2.0
/* Lab 6: a tiny XDP firewall. Counts packets per protocol and drops UDP sent to the
 * destination ports user space lists in `blocked_ports`. Everything else passes. */
#include "vmlinux.h"
#include "common.h"
#include <bpf/bpf_endian.h>

/* Ethertypes and the IPv4 fragment mask are #defines in the kernel's uapi headers, and
 * vmlinux.h carries only types and enums, so we spell them out. */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IP_FRAGMENT_OFFSET 0x1FFF

/* One slot per counter; user space reads them by these indexes (see README). */
enum counter {
	COUNT_IPV4 = 0,    /* complete IPv4 header */
	COUNT_IPV6 = 1,    /* complete IPv6 header */
	COUNT_TCP = 2,     /* complete TCP header (over IPv4 or IPv6) */
	COUNT_UDP = 3,     /* complete UDP header (over IPv4 or IPv6) */
	COUNT_OTHER = 4,   /* neither IPv4 nor IPv6, or an IP header cut short */
	COUNT_DROPPED = 5, /* UDP dropped because its destination port is blocked */
	COUNTER_SLOTS,
};

/* Per-CPU: each CPU increments its own copy without atomics; user space sums them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Key: UDP destination port in HOST byte order (user space writes plain numbers such as
 * 5353). Value: unused, a key's presence is what blocks the port. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} blocked_ports SEC(".maps");

static __always_inline void count(enum counter which)
{
	__u32 key = which;
	__u64 *value = bpf_map_lookup_elem(&counters, &key);

	if (value)
		*value += 1;
}

/* The verdict for a UDP datagram whose header starts at `l4`. */
static __always_inline int udp_verdict(void *l4, void *data_end)
{
	/* TODO 4: `struct udphdr *udp = l4;` is only readable once udp + 1 <= data_end.
	 * A datagram cut short passes; a complete one is counted (COUNT_UDP). */

	/* TODO 5: look the destination port up in blocked_ports. udp->dest is in network
	 * byte order and the map's keys in host order: convert with bpf_ntohs() into a
	 * __u16 variable and pass its address. Found: count COUNT_DROPPED, return XDP_DROP. */
	return XDP_PASS;
}

/* Counts a TCP segment; TCP is never dropped by this firewall. */
static __always_inline int tcp_verdict(void *l4, void *data_end)
{
	/* TODO 4: the same bounds check for `struct tcphdr`; count COUNT_TCP. */
	return XDP_PASS;
}

static __always_inline int l4_verdict(__u8 protocol, void *l4, void *data_end)
{
	if (protocol == IPPROTO_UDP)
		return udp_verdict(l4, data_end);
	if (protocol == IPPROTO_TCP)
		return tcp_verdict(l4, data_end);
	return XDP_PASS;
}

static __always_inline int ipv4_verdict(void *l3, void *data_end)
{
	/* TODO 2: `struct iphdr *ip = l3;` needs the bounds check before any read. Then the
	 * header's real length is ip->ihl * 4 bytes (IP options make it longer than
	 * sizeof(struct iphdr)): check it is at least 20 and inside the packet too. Anything
	 * cut short counts as COUNT_OTHER and passes; a complete header counts COUNT_IPV4.
	 * Skip fragments after the first (ip->frag_off & bpf_htons(IP_FRAGMENT_OFFSET)):
	 * they have no UDP header. Then: return l4_verdict(ip->protocol, l3 + length, data_end); */
	return XDP_PASS;
}

static __always_inline int ipv6_verdict(void *l3, void *data_end)
{
	/* TODO 3: `struct ipv6hdr *ip6 = l3;` is a fixed 40 bytes: bounds check (cut short:
	 * COUNT_OTHER, pass), count COUNT_IPV6, then hand ip6->nexthdr and ip6 + 1 to
	 * l4_verdict(). */
	return XDP_PASS;
}

static __always_inline int ethernet_verdict(void *data, void *data_end)
{
	/* TODO 1: `struct ethhdr *eth = data;` may only be read once the verifier can see that
	 * eth + 1 <= data_end (too short: count COUNT_OTHER, pass). Then send IPv4 frames
	 * (eth->h_proto == bpf_htons(ETH_P_IP)) to ipv4_verdict(eth + 1, data_end), IPv6
	 * ones to ipv6_verdict(), and count everything else as COUNT_OTHER. */
	return XDP_PASS;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	/* The packet is the bytes from data to data_end: every read must be proven to fall
	 * between the two, or the verifier rejects the program. */
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	return ethernet_verdict(data, data_end);
}

char LICENSE[] SEC("license") = "GPL";
