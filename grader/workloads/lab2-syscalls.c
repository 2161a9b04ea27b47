/* Lab 2 workload: makes an exact number of cheap system calls, e.g.
 *   lab2-syscalls getppid:1234 getuid:56
 * It stops itself (SIGSTOP) before the first one, so the grader can start the student's
 * loader with this process's pid and let it go (SIGCONT) once the loader is attached.
 * After that it makes only the calls asked for, then exit_group(). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct { const char *name; long nr; } cheap[] = {
	{ "getppid", SYS_getppid },	{ "getuid", SYS_getuid },   { "getgid", SYS_getgid },
	{ "geteuid", SYS_geteuid },	{ "getegid", SYS_getegid }, { "sched_yield", SYS_sched_yield },
};

static long syscall_number(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(cheap) / sizeof(cheap[0]); i++)
		if (strlen(cheap[i].name) == len && strncmp(cheap[i].name, name, len) == 0)
			return cheap[i].nr;
	return -1;
}

int main(int argc, char **argv)
{
	long nrs[16];
	long counts[16];
	int n = 0;
	for (int i = 1; i < argc && n < 16; i++, n++) {
		const char *colon = strchr(argv[i], ':');
		nrs[n] = colon ? syscall_number(argv[i], colon - argv[i]) : -1;
		if (nrs[n] < 0) {
			fprintf(stderr, "usage: %s NAME:COUNT... (bad '%s')\n", argv[0], argv[i]);
			return 2;
		}
		counts[n] = atol(colon + 1);
	}
	raise(SIGSTOP);
	for (int i = 0; i < n; i++)
		for (long c = 0; c < counts[i]; c++)
			syscall(nrs[i]);
	return 0;
}
