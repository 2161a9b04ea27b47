/* Lab 5's workload: tries to open files by name, as a given user, once told to start.
 *
 *   lab5-opener UID PATH...            open each PATH once, in order
 *   lab5-opener UID --burst N PREFIX   open PREFIX0, PREFIX1, ... PREFIX<N-1> as fast as it can
 *
 * It switches to UID first, so its events carry a uid that is the grader's choice rather
 * than root's. Then it waits for a line (or end of file) on stdin: the grader can start a
 * loader that traces this pid before any open happens. The paths need not exist: the
 * openat tracepoint fires on the attempt. Exits 0 after the last attempt. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void try_open(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s UID PATH... | %s UID --burst N PREFIX\n", argv[0], argv[0]);
		return 2;
	}
	uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid)) {
		perror("switching user");
		return 1;
	}

	char go[16];
	if (read(STDIN_FILENO, go, sizeof(go)) < 0) {
		perror("waiting for stdin");
		return 1;
	}

	if (strcmp(argv[2], "--burst") == 0) {
		if (argc != 5) {
			fprintf(stderr, "usage: %s UID --burst N PREFIX\n", argv[0]);
			return 2;
		}
		long count = strtol(argv[3], NULL, 10);
		char path[4096];
		for (long i = 0; i < count; i++) {
			snprintf(path, sizeof(path), "%s%ld", argv[4], i);
			try_open(path);
		}
		return 0;
	}
	for (int i = 2; i < argc; i++)
		try_open(argv[i]);
	return 0;
}
