/* Consumes the ring-buffer benchmark's records with plain libbpf: ring_buffer__poll with a
 * 1 ms timeout, then ring_buffer__consume (records come with BPF_RB_NO_WAKEUP, so epoll never
 * fires and the poll is only the timer), until the producer exits.
 * usage: ringbuf <ringbuf.bpf.o> <producer> <milliseconds>
 *   -> {"consumed", "outOfOrder", "submitted", "lost", "seconds", "cpuSeconds"} */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

struct tally {
	unsigned long long consumed, out_of_order;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct tally *tally = ctx;
	/* Same work per record as the JS side: check the sequence number, count. */
	__u32 seq = *(__u32 *)data;
	if (size < 8 || seq != (__u32)tally->consumed)
		tally->out_of_order++;
	tally->consumed++;
	return 0;
}

static double cpu_seconds(void)
{
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/* Starts the producer with its stdin on a pipe; writing one byte there starts it. */
static pid_t spawn_producer(const char *path, const char *milliseconds, int *go_fd)
{
	int fds[2];
	if (pipe(fds))
		die("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		/* Its result line would mix with ours: the calls are counted on the BPF side anyway. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(path, path, milliseconds, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	*go_fd = fds[1];
	return pid;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		die("usage: %s <ringbuf.bpf.o> <producer> <milliseconds>", argv[0]);
	int go_fd;
	pid_t producer = spawn_producer(argv[2], argv[3], &go_fd);

	struct bpf_object *obj = open_object(argv[1]);
	__u32 target_pid = producer;
	set_global(obj, ".rodata", "target_pid", &target_pid, sizeof(target_pid));
	if (bpf_object__load(obj))
		die("cannot load %s: %s", argv[1], strerror(errno));
	struct bpf_link *link = bpf_program__attach(bpf_object__find_program_by_name(obj, "produce"));
	if (!link)
		die("attach: %s", strerror(errno));
	struct tally tally = {0};
	struct ring_buffer *rb = ring_buffer__new(map_fd(obj, "events"), on_record, &tally, NULL);
	if (!rb)
		die("ring_buffer__new: %s", strerror(errno));

	double cpu_start = cpu_seconds(), start = now_seconds();
	if (write(go_fd, "g", 1) != 1)
		die("cannot start the producer: %s", strerror(errno));
	for (;;) {
		int err = ring_buffer__poll(rb, 1);
		if (err >= 0)
			err = ring_buffer__consume(rb);
		if (err < 0)
			die("ring buffer: %s", strerror(-err));
		if (waitpid(producer, NULL, WNOHANG) == producer)
			break;
	}
	ring_buffer__consume(rb);
	double seconds = now_seconds() - start, cpu = cpu_seconds() - cpu_start;

	struct { __u64 submitted, lost; } counters;
	read_global(obj, ".bss", "counters", &counters, sizeof(counters));
	printf("{\"consumed\": %llu, \"outOfOrder\": %llu, \"submitted\": %llu, \"lost\": %llu, \"seconds\": %.4f, \"cpuSeconds\": %.4f}\n",
	       tally.consumed, tally.out_of_order, (unsigned long long)counters.submitted,
	       (unsigned long long)counters.lost, seconds, cpu);
	ring_buffer__free(rb);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return 0;
}
