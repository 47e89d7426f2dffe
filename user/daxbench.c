/*
 * daxbench.c - the user-space side of `make bench`: figures that only a
 * process can measure, printed as the kernel prints its own
 * ("bench NAME VALUE UNIT"), so scripts/bench.py reads both alike.
 *
 *   user_mmap_write  MB/s: store 0x5a over a MAP_SHARED mapping of an
 *                    allocated 256 MiB file (the file's pmem blocks, 2 MiB
 *                    entries, faulted in by these stores), then
 *                    msync(MS_SYNC); the kernel's fs_mmap_write does the
 *                    same through a kernel mapping.  The stores are the
 *                    kernel memset's (64-byte blocks through registers), so
 *                    the two figures compare the mappings, not the libraries.
 *   user_mmap_write_musl  the same with musl's memset (rep stosq, which
 *                    TCG emulates a store at a time), for the record.
 *
 *   /bin/daxbench [-q]      (-q: 16 MiB, a smoke test)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
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

/* lib/string.c's kernel memset: 8 stores of 8 bytes per 64-byte block;
 * the empty asm keeps the compiler from turning it into a memset call. */
static void fill(char *p, int c, size_t n)
{
	uint64_t w = 0x0101010101010101ULL * (unsigned char)c;

	for (; n >= 64; n -= 64, p += 64) {
		uint64_t *d = (uint64_t *)p;
		__asm__ volatile("" : "+r"(d));
		d[0] = w; d[1] = w; d[2] = w; d[3] = w;
		d[4] = w; d[5] = w; d[6] = w; d[7] = w;
	}
	memset(p, c, n);
}

/* MB/s for one fresh mapping of the file filled by @fn; 0 on failure. */
static double run(int fd, size_t len, void (*fn)(char *, int, size_t))
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return 0;
	double t0 = now();
	fn(p, 0x5a, len);
	msync(p, len, MS_SYNC);
	double t = now() - t0;
	munmap(p, len);
	return len / t / 1e6;
}

static void musl_memset(char *p, int c, size_t n) { memset(p, c, n); }

int main(int argc, char **argv)
{
	size_t len = (argc > 1 && !strcmp(argv[1], "-q")) ? 16u << 20 : 256u << 20;
	int fd = open(FILE_PATH, O_CREAT | O_TRUNC | O_RDWR, 0644);
	setvbuf(stdout, NULL, _IONBF, 0);
	if (fd < 0 || fallocate(fd, 0, 0, len)) {
		printf("bench user_mmap_write skipped: cannot allocate %zu MiB\n", len >> 20);
		return 1;
	}
	double mbs = run(fd, len, fill), musl = run(fd, len, musl_memset);
	close(fd);
	unlink(FILE_PATH);
	if (!mbs || !musl) {
		printf("bench user_mmap_write skipped: mmap failed\n");
		return 1;
	}
	printf("bench user_mmap_write %.0f MB/s\n", mbs);
	printf("bench user_mmap_write_musl %.0f MB/s\n", musl);
	return 0;
}
