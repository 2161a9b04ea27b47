/* The ring-buffer benchmark's load: calls getppid() as fast as it can for a fixed time.
 * It waits for one byte on stdin first, so the consumer can attach before the clock starts;
 * EOF instead of that byte (the consumer died) makes it exit at once.
 * usage: producer <milliseconds>  -> {"calls": N} */
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	double seconds = arg_long(argc, argv, 1, "milliseconds") / 1e3;
	char go;
	if (read(STDIN_FILENO, &go, 1) != 1)
		return 1;
	double end = now_seconds() + seconds;
	long calls = 0;
	do {
		/* The raw syscall: nothing in libc may answer it from a cache. */
		for (int i = 0; i < 256; i++)
			syscall(SYS_getppid);
		calls += 256;
	} while (now_seconds() < end);
	printf("{\"calls\": %ld}\n", calls);
	return 0;
}
