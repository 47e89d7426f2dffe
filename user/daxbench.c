/*
 * daxbench.c - the user-space side of `make bench`: figures that only a
 * process can measure, printed as the kernel prints its own
 * ("bench NAME VALUE UNIT"), so scripts/bench.py reads both alike.
 *
 *   user_mmap_write  MB/s: memset 0x5a over a MAP_SHARED mapping of an
 *                    allocated 256 MiB file (the file's pmem blocks, 2 MiB
 *                    entries), then msync(MS_SYNC); the kernel's
 *                    fs_mmap_write does the same through a kernel mapping.
 *
 *   /bin/daxbench [-q]      (-q: 16 MiB, a smoke test)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define FILE_PATH	"/.bench-user-mmap"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t len = (argc > 1 && !strcmp(argv[1], "-q")) ? 16u << 20 : 256u << 20;
	int fd = open(FILE_PATH, O_CREAT | O_TRUNC | O_RDWR, 0644);
	char *p;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (fd < 0 || fallocate(fd, 0, 0, len)) {
		printf("bench user_mmap_write skipped: cannot allocate %zu MiB\n", len >> 20);
		return 1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("bench user_mmap_write skipped: mmap failed\n");
		return 1;
	}
	double t0 = now();
	memset(p, 0x5a, len);
	msync(p, len, MS_SYNC);
	double t = now() - t0;
	munmap(p, len);
	close(fd);
	unlink(FILE_PATH);
	printf("bench user_mmap_write %.0f MB/s\n", len / t / 1e6);
	return 0;
}
