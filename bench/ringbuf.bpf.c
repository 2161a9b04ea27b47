/* The ring-buffer benchmark's producer: one 64-byte record per getppid() of one process.
 * Records are submitted with BPF_RB_NO_WAKEUP, so the consumer is never woken and must drain
 * on a timer: a wakeup per record would cost the producer more than the record itself. */
#include "vmlinux.h"
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

struct event {
	__u64 seq;
	__u64 timestamp_ns;
	__u32 pid;
	__u32 cpu;
	__u8 payload[40];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* Set before load: only the producer process's syscalls make records. */
const volatile __u32 target_pid = 0;

/* Read from user space after the run (a .bss global: readable while loaded). */
struct counters {
	__u64 submitted;
	__u64 lost; /* reservations that failed: the ring was full */
} counters = {};

SEC("tp/syscalls/sys_enter_getppid")
int produce(void *ctx)
{
	if (current_tgid() != target_pid)
		return 0;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&counters.lost, 1);
		return 0;
	}
	e->seq = __sync_fetch_and_add(&counters.submitted, 1);
	e->timestamp_ns = bpf_ktime_get_ns();
	e->pid = target_pid;
	e->cpu = bpf_get_smp_processor_id();
	__builtin_memset(e->payload, 0, sizeof(e->payload));
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}
