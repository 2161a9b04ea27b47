/* What every C side of the benchmark shares: a monotonic clock, a fatal error, and the
 * plain-libbpf object lifecycle the addon is compared with. Header-only: each program is
 * one file plus this. */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

static inline double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* libbpf prints every warning by default; the benchmark output must stay one JSON line. */
static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static inline struct bpf_object *open_object(const char *path)
{
	libbpf_set_print(quiet_libbpf);
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj)
		die("cannot open %s: %s", path, strerror(errno));
	return obj;
}

static inline struct bpf_object *load_object(const char *path)
{
	struct bpf_object *obj = open_object(path);
	if (bpf_object__load(obj))
		die("cannot load %s: %s", path, strerror(errno));
	return obj;
}

static inline int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
	if (!map)
		die("no map '%s'", name);
	return bpf_map__fd(map);
}

/* Where a global variable sits in its section's map, found through the object's BTF the way
 * a skeleton's generated struct would place it. */
static inline size_t global_offset(struct bpf_object *obj, const char *section, const char *name)
{
	struct btf *btf = bpf_object__btf(obj);
	int id = btf ? btf__find_by_name_kind(btf, section, BTF_KIND_DATASEC) : -1;
	if (id < 0)
		die("no %s section with BTF in the object", section);
	const struct btf_type *datasec = btf__type_by_id(btf, id);
	const struct btf_var_secinfo *var = btf_var_secinfos(datasec);
	for (int i = 0; i < btf_vlen(datasec); i++, var++) {
		const struct btf_type *type = btf__type_by_id(btf, var->type);
		if (strcmp(btf__name_by_offset(btf, type->name_off), name) == 0)
			return var->offset;
	}
	die("no global '%s' in %s", name, section);
	return 0;
}

static inline struct bpf_map *section_map(struct bpf_object *obj, const char *section)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, section);
	if (!map)
		die("no %s map in the object", section);
	return map;
}

/* Before load: the value the kernel map will be created with (.rodata is frozen after). */
static inline void set_global(struct bpf_object *obj, const char *section, const char *name, const void *value, size_t size)
{
	size_t section_size;
	/* const in libbpf 1.1's signature, yet it is the buffer load() copies into the map. */
	char *data = (char *)bpf_map__initial_value(section_map(obj, section), &section_size);
	size_t offset = global_offset(obj, section, name);
	if (!data || offset + size > section_size)
		die("cannot set '%s'", name);
	memcpy(data + offset, value, size);
}

/* After load: the live value, read from the kernel map (libbpf 1.1 maps it into memory only
 * for skeletons, so a plain object reads it with a lookup). */
static inline void read_global(struct bpf_object *obj, const char *section, const char *name, void *out, size_t size)
{
	struct bpf_map *map = section_map(obj, section);
	size_t section_size = bpf_map__value_size(map), offset = global_offset(obj, section, name);
	char *data = malloc(section_size);
	__u32 zero = 0;
	if (!data || offset + size > section_size || bpf_map_lookup_elem(bpf_map__fd(map), &zero, data))
		die("cannot read '%s': %s", name, strerror(errno));
	memcpy(out, data + offset, size);
	free(data);
}

static inline long arg_long(int argc, char **argv, int index, const char *what)
{
	if (index >= argc)
		die("missing argument: %s", what);
	return strtol(argv[index], NULL, 10);
}

#endif
