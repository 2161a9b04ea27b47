/* ARRAY lookups from plain libbpf: the speed the addon's map.get() is held to.
 * A worker: it loads maps.bpf.o, fills the map (value = key), then for each line "<n>" on
 * stdin does n lookups and prints {"seconds": t}, so the bench can alternate C and JS in
 * short windows. Exits at end of input.
 * usage: lookup <maps.bpf.o> */
#include "bench.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: %s <maps.bpf.o>", argv[0]);
	struct bpf_object *obj = load_object(argv[1]);
	int fd = map_fd(obj, "lookup_array");
	for (__u32 key = 0; key < 1024; key++) {
		__u64 value = key;
		if (bpf_map_update_elem(fd, &key, &value, BPF_ANY))
			die("update: %s", strerror(errno));
	}

	__u64 sum = 0, value;
	long lookups;
	while (scanf("%ld", &lookups) == 1) {
		double start = now_seconds();
		for (long i = 0; i < lookups; i++) {
			__u32 key = i & 1023;
			if (bpf_map_lookup_elem(fd, &key, &value))
				die("lookup: %s", strerror(errno));
			sum += value;
		}
		double elapsed = now_seconds() - start;
		/* The sum keeps the loop's work observable, so the compiler cannot drop it. */
		printf("{\"seconds\": %.9f, \"checksum\": %llu}\n", elapsed, (unsigned long long)sum);
		fflush(stdout);
	}
	bpf_object__close(obj);
	return 0;
}
