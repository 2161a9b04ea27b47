/* Lab 4 workload: calls getppid() an exact number of times on each CPU asked for, e.g.
 *   lab4-pinned 1:300 0:1200
 * moves itself to CPU 1 and calls getppid() 300 times there, then 1200 times on CPU 0.
 * sched_setaffinity() returns only once the caller runs on an allowed CPU, and a one-CPU
 * mask keeps it there. It stops itself (SIGSTOP) first, so the grader can start the
 * student's loader with this pid and let it go (SIGCONT) once the loader is attached. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int cpus[16];
	long counts[16];
	int n = 0;
	for (int i = 1; i < argc && n < 16; i++, n++) {
		if (sscanf(argv[i], "%d:%ld", &cpus[n], &counts[n]) != 2) {
			fprintf(stderr, "usage: %s CPU:COUNT... (bad '%s')\n", argv[0], argv[i]);
			return 2;
		}
	}
	raise(SIGSTOP);
	for (int i = 0; i < n; i++) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpus[i], &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			perror("sched_setaffinity");
			return 1;
		}
		for (long c = 0; c < counts[i]; c++)
			syscall(SYS_getppid);
	}
	return 0;
}
