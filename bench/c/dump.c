/* Reads a whole 100k-entry HASH with BPF_MAP_LOOKUP_BATCH from plain libbpf, in chunks of
 * 4096 entries as the addon's dump() does.
 * A worker: it loads maps.bpf.o, fills the map (value = 3 * key), then for each line on
 * stdin dumps the map once and prints {"seconds": t, "entries": n}. Exits at end of input.
 * usage: dump <maps.bpf.o> */
#include "bench.h"

#define CHUNK 4096

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: %s <maps.bpf.o>", argv[0]);
	struct bpf_object *obj = load_object(argv[1]);
	int fd = map_fd(obj, "dump_hash");
	__u32 capacity = bpf_map__max_entries(bpf_object__find_map_by_name(obj, "dump_hash"));
	for (__u32 key = 0; key < capacity; key++) {
		__u64 value = (__u64)key * 3;
		if (bpf_map_update_elem(fd, &key, &value, BPF_NOEXIST))
			die("update: %s", strerror(errno));
	}

	/* Room for one chunk past the end: a batch may return up to CHUNK entries at any point. */
	__u32 *keys = malloc(((size_t)capacity + CHUNK) * sizeof(*keys));
	__u64 *values = malloc(((size_t)capacity + CHUNK) * sizeof(*values));
	if (!keys || !values)
		die("out of memory");

	char line[64];
	while (fgets(line, sizeof(line), stdin)) {
		double start = now_seconds();
		__u32 cursor = 0, total = 0;
		void *in = NULL;
		for (;;) {
			__u32 count = CHUNK;
			int err = bpf_map_lookup_batch(fd, in, &cursor, keys + total, values + total, &count, NULL);
			if (err && errno != ENOENT)
				die("lookup_batch: %s", strerror(errno));
			total += count;
			if (err)
				break; /* ENOENT: past the last bucket */
			in = &cursor;
		}
		double elapsed = now_seconds() - start;
		if (total && values[total / 2] != (__u64)keys[total / 2] * 3)
			die("key %u read with value %llu", keys[total / 2], (unsigned long long)values[total / 2]);
		printf("{\"seconds\": %.9f, \"entries\": %u}\n", elapsed, total);
		fflush(stdout);
	}
	bpf_object__close(obj);
	return 0;
}
