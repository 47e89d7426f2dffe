/*
 * pcreate.c - the parallel_create benchmark: files created per second by
 * one process, then by two at once, each doing FILES x (open
 * O_CREAT|O_EXCL, write 4 KiB, close) in a directory of its own under
 * DIR, as the peer harness's parallel_create does: the processes are
 * forked and waiting before the clock starts, released together by
 * closing a pipe; files/s = all files / wall time until the last one is
 * reaped.
 * `pcreate [FILES [DIR]]` (default 10,000 and /pcreate) prints
 *     bench parallel_create_1p 1234 ops/s
 *     bench parallel_create_2p 2345 ops/s
 *     bench parallel_create_speedup 1.90 x
 * in the format of the kernel's `bench` lines, which scripts/bench.py
 * (make bench) reads; the peer harness's Linux figures have the same
 * names.  The files are removed afterwards (not timed).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char block[4096];

static int create_files(const char *dir, int n)
{
	char p[256];

	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/f%06d", dir, i);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			return -1;
		close(fd);
	}
	return 0;
}

static void remove_files(const char *dir, int n)
{
	char p[256];

	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/f%06d", dir, i);
		unlink(p);
	}
	rmdir(dir);
}

/* @nproc processes at once, each @n files in BASE/RUN-K; files/s, or -1. */
static double run(const char *base, int run_id, int nproc, int n)
{
	char dirs[2][128], c;
	pid_t pids[2];
	int go[2], ok = 1;
	double t0, t;

	if (pipe(go))
		return -1;
	for (int k = 0; k < nproc; k++) {
		snprintf(dirs[k], sizeof(dirs[k]), "%s/r%d-%d", base, run_id, k);
		if (mkdir(dirs[k], 0755))
			return -1;
	}
	for (int k = 0; k < nproc; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			close(go[1]);
			if (read(go[0], &c, 1) != 0)	/* end of file: go */
				_exit(2);
			_exit(create_files(dirs[k], n) ? 1 : 0);
		}
		if (pids[k] < 0)
			return -1;
	}
	close(go[0]);
	usleep(20000);			/* both are waiting in read */
	t0 = now();
	close(go[1]);
	for (int k = 0; k < nproc; k++) {
		int st;
		if (waitpid(pids[k], &st, 0) != pids[k] || !WIFEXITED(st) || WEXITSTATUS(st))
			ok = 0;
	}
	t = now() - t0;
	for (int k = 0; k < nproc; k++)
		remove_files(dirs[k], n);
	return ok ? nproc * n / t : -1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	const char *base = argc > 2 ? argv[2] : "/pcreate";
	double one, two;

	if (n <= 0 || n > 1000000) {
		fprintf(stderr, "pcreate: FILES must be 1..1000000\n");
		return 2;
	}
	mkdir(base, 0755);
	one = run(base, 1, 1, n);
	two = run(base, 2, 2, n);
	rmdir(base);
	if (one < 0 || two < 0) {
		printf("bench parallel_create_1p skipped (create failed)\n");
		printf("bench parallel_create_2p skipped (create failed)\n");
		return 1;
	}
	printf("bench parallel_create_1p %.0f ops/s\n", one);
	printf("bench parallel_create_2p %.0f ops/s\n", two);
	printf("bench parallel_create_speedup %.2f x\n", two / one);
	return 0;
}
