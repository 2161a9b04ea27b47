/* Shared helpers for the course's BPF programs. Include after vmlinux.h. */
#ifndef COURSE_COMMON_H
#define COURSE_COMMON_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* bpf_get_current_pid_tgid() packs the process id (tgid) in the upper 32 bits
 * and the thread id in the lower 32: what users call a "pid" is the tgid. */
static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* clang puts a type in the object's BTF only when a global, a map or a function signature
 * uses it. A ring buffer record type is none of those, so user space could not decode it by
 * name: EXPORT_STRUCT(event); keeps `struct event` in the BTF (through an unused pointer). */
#define EXPORT_STRUCT(name) \
	const struct name *__export_struct_##name __attribute__((unused)) = (void *)0

#endif
