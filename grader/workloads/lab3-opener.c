/* Lab 3 workload: processes that open an exact number of files, some from several threads.
 *   lab3-opener DIR TAG 12 0,5,7
 * forks one child per argument after TAG. "12": the child's main thread opens 12 files.
 * "0,5,7": the main thread opens none, and two more threads open 5 and 7, starting together
 * (so the two increments of one entry race on two CPUs). Each file is DIR/TAG-<pid>-<thread>-<n>.
 * A child never calls exec, so it makes no openat() but these (the dynamic loader ran in
 * the parent). Once its threads have exited, child i prints "ready <i> <pid> <tid>..." and
 * waits for stdin to close, then exits. The parent prints "exited <pid>" for each child.
 *   lab3-opener DIR TAG --churn 300
 * forks 300 children one after the other, each opening one file and exiting at once. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_THREADS 8

struct opener {
	const char *dir, *tag;
	int index;	/* 0 is the main thread */
	long opens;
	pid_t tid;
	pthread_barrier_t *start;
};

/* No malloc and no stdio here: glibc may open files of its own for those (malloc arenas read
 * /sys/devices/system/cpu/online), and every openat() of this process is counted. */
static void *open_files(void *arg)
{
	struct opener *o = arg;
	char path[4096];

	o->tid = gettid();
	if (o->start)
		pthread_barrier_wait(o->start);
	for (long n = 0; n < o->opens; n++) {
		snprintf(path, sizeof(path), "%s/%s-%d-%d-%ld", o->dir, o->tag, getpid(), o->index, n);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			dprintf(2, "lab3-opener: cannot create %s\n", path);
			_exit(1);
		}
		close(fd);
	}
	return NULL;
}

static int parse_counts(const char *spec, long *counts)
{
	int n = 0;
	for (const char *p = spec; *p && n < MAX_THREADS; n++) {
		char *end;
		counts[n] = strtol(p, &end, 10);
		if (end == p || counts[n] < 0)
			return -1;
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

/* One child: opens its files, reports, and waits for the grader to let it go. */
static void child(const char *dir, const char *tag, const char *spec, int index)
{
	long counts[MAX_THREADS];
	struct opener openers[MAX_THREADS];
	pthread_t threads[MAX_THREADS];
	pthread_barrier_t start;
	int n = parse_counts(spec, counts);
	if (n <= 0) {
		dprintf(2, "lab3-opener: bad count list '%s'\n", spec);
		_exit(2);
	}
	if (n > 1)
		pthread_barrier_init(&start, NULL, n - 1);
	for (int i = 0; i < n; i++)
		openers[i] = (struct opener){ dir, tag, i, counts[i], 0, i > 0 ? &start : NULL };
	for (int i = 1; i < n; i++)
		pthread_create(&threads[i], NULL, open_files, &openers[i]);
	open_files(&openers[0]);
	for (int i = 1; i < n; i++)
		pthread_join(threads[i], NULL);

	char line[256];
	int len = snprintf(line, sizeof(line), "ready %d %d", index, getpid());
	for (int i = 1; i < n; i++)
		len += snprintf(line + len, sizeof(line) - len, " %d", openers[i].tid);
	len += snprintf(line + len, sizeof(line) - len, "\n");
	write(1, line, len); /* one write: lines of different children never mix */

	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: lab3-opener DIR TAG COUNTS... | DIR TAG --churn N\n");
		return 2;
	}
	int churn = strcmp(argv[3], "--churn") == 0;
	int children = churn ? (argc > 4 ? atoi(argv[4]) : 0) : argc - 3;
	pid_t pids[1024];
	if (children <= 0 || children > 1024) {
		fprintf(stderr, "lab3-opener: between 1 and 1024 children\n");
		return 2;
	}
	for (int i = 0; i < children; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("lab3-opener: fork");
			return 1;
		}
		if (pid == 0 && churn) {
			struct opener once = { argv[1], argv[2], 0, 1, 0, NULL };
			open_files(&once);
			_exit(0);
		}
		if (pid == 0)
			child(argv[1], argv[2], argv[3 + i], i);
		pids[i] = pid;
		if (churn)
			waitpid(pid, NULL, 0);
	}
	int failed = 0;
	for (int i = 0; i < children; i++) {
		int status = 0;
		if (!churn)
			waitpid(pids[i], &status, 0);
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		printf("exited %d\n", pids[i]);
	}
	return failed;
}
