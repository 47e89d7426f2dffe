/*
 * dmatest.c - the seed's scenario from user space, as two processes.
 *
 * A DMA process maps /dmatest.data (MAP_SHARED: the file's blocks) and
 * starts a copy into it from its own anonymous memory through /dev/dma0
 * (HF_DMA_SUBMIT: it returns once the pages are pinned and the device
 * has the request).  The other process, told so through a pipe, truncates
 * the file to 0: the kernel must make it wait until the DMA is over.  It
 * then writes a new file, /dmatest.victim, which on a full device can
 * only get the blocks the truncate freed, and checks it once the DMA has
 * ended.  Protected (the default) it is intact; with the kernel's unsafe
 * switch (`unsafe-demo on` at the shell) the device's bytes land in it.
 *
 *   /bin/dmatest [-n PAGES] [--expect-corrupt]
 *   /bin/dmatest fail [-n PAGES]
 *   /bin/dmatest revoke [-n PAGES]
 *   /bin/dmatest nvme [-n PAGES] [--expect-corrupt]
 *   /bin/dmatest nvme-bad
 *
 * fail: the DMA is submitted with the lease HF_DMA_LEASE_FAIL: truncate(2)
 * and unlink(2) of the file fail at once with ETXTBSY, the file keeps its
 * size, the DMA completes (result 0) and its bytes are in the file.  Also:
 * an unknown lease, or another flag bit, is EINVAL.
 * revoke: with HF_DMA_LEASE_REVOKE, when the kernel has the IOMMU on (else
 * the ioctl says EOPNOTSUPP and the mode is skipped, exit 0): the truncate
 * returns at once, the DMA's result is -ECANCELED, the victim is intact.
 *
 * nvme: the same race with a real device, as Linux users meet it: the DMA
 * process does pread(2) with O_DIRECT from /dev/nvme0n1 into the MAP_SHARED
 * mapping (the kernel pins the file's pages with pin_user_pages and the SSD
 * DMAs into them).  Run `nvme fault hold 2000` at the shell first, so the
 * command stays on the device while the truncate comes.  Then the data is
 * checked: an O_DIRECT read into a fresh mapping equals a buffered read of
 * the device, and an O_DIRECT write from anonymous memory reads back.
 * nvme-bad: misaligned buffer, length and offset are EINVAL, past the end
 * is EINVAL, at the end 0, and a short read is clipped at the end.
 *
 * Exit status 0 when the outcome is the expected one (protected: the
 * truncate waited and the victim is intact; --expect-corrupt: corrupted),
 * 1 otherwise, 2 on bad arguments.  tests/boots.py: "user-dmatest*".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <holdfast/dma.h>

#define PAGE		4096
#define DATA		"/dmatest.data"
#define FILL		"/dmatest.fill"
#define VICTIM		"/dmatest.victim"
#define FILL_CHUNK	(64 * 1024)

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_file(const char *path, int c, size_t len)
{
	char *buf = malloc(len);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	int ok = fd >= 0 && buf;

	if (ok) {
		memset(buf, c, len);
		ok = write(fd, buf, len) == (ssize_t)len && fsync(fd) == 0;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok ? 0 : -1;
}

/* Use up the free blocks, so the next new file gets what a truncate frees. */
static void fill_device(void)
{
	static char chunk[FILL_CHUNK];
	int fd = open(FILL, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	long total = 0;

	memset(chunk, 'F', sizeof(chunk));
	for (size_t n = FILL_CHUNK; fd >= 0 && n >= PAGE; ) {
		ssize_t w = write(fd, chunk, n);
		if (w > 0)
			total += w;
		else
			n /= 2;		/* ENOSPC: try smaller pieces, down to a page */
	}
	if (fd >= 0)
		close(fd);
	printf("dmatest: filled the device with %ld KiB\n", total / 1024);
}

/* The lease dma_side() asks for (HF_DMA_LEASE_*), and the result it
 * expects from the DMA then (0; -ECANCELED when revoked). */
static unsigned lease_flags;
static int lease_result;

/* The DMA process: map the file, copy into it through /dev/dma0. */
static int dma_side(int npages, int go)
{
	size_t len = (size_t)npages * PAGE;
	int fd = open(DATA, O_RDWR), dev = open("/dev/dma0", O_RDWR);
	char *src = malloc(len), *dst;
	struct hf_dma_copy rq;

	if (fd < 0 || dev < 0 || !src) {
		printf("dmatest: dma side: open %s\n", strerror(errno));
		return 1;
	}
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (dst == MAP_FAILED) {
		printf("dmatest: mmap %s: %s\n", DATA, strerror(errno));
		return 1;
	}
	memset(src, 'D', len);
	memset(&rq, 0, sizeof(rq));
	rq.dst = (uintptr_t)dst;
	rq.src = (uintptr_t)src;
	rq.len = len;
	rq.flags = lease_flags;
	if (ioctl(dev, HF_DMA_SUBMIT, &rq)) {
		printf("dmatest: HF_DMA_SUBMIT: %s\n", strerror(errno));
		return 1;
	}
	if (write(go, "g", 1) != 1)	/* the pages are pinned: truncate now */
		return 1;
	if (ioctl(dev, HF_DMA_WAIT, &rq)) {
		printf("dmatest: HF_DMA_WAIT: %s\n", strerror(errno));
		return 1;
	}
	printf("dmatest: DMA of %d pages done in %lu ms, result %d%s%s\n", npages,
	       (unsigned long)(rq.ns / 1000000), rq.result, rq.result ? ": " : "",
	       rq.result ? strerror(-rq.result) : "");
	return rq.result == lease_result ? 0 : 1;
}

/* One small blocking copy between anonymous buffers with @flags: 0, or
 * the errno the ioctl failed with. */
static int probe_flags(unsigned flags)
{
	static char a[PAGE], b[PAGE];
	struct hf_dma_copy rq = { .dst = (uintptr_t)b, .src = (uintptr_t)a, .len = 64,
				  .flags = flags };
	int dev = open("/dev/dma0", O_RDWR), err = 0;

	if (dev < 0)
		return errno;
	if (ioctl(dev, HF_DMA_COPY, &rq))
		err = errno;
	close(dev);
	return err;
}

/*
 * lease=fail: a child DMAs into DATA's pages with HF_DMA_LEASE_FAIL; the
 * truncate and the unlink of DATA fail with ETXTBSY at once; the file is
 * unchanged by them and holds the DMA's bytes once it is over.
 */
static int lease_fail(int npages)
{
	size_t len = (size_t)npages * PAGE;
	int pfd[2], st = 0, fail = 0, e;
	struct stat sb;
	char c;

	e = probe_flags(HF_DMA_LEASE_MASK);		/* no such lease */
	printf("dmatest: lease 3: %s %s\n", strerror(e), e == EINVAL ? "as expected" : "WRONG");
	fail |= e != EINVAL;
	e = probe_flags(0x100);				/* a bit that means nothing */
	printf("dmatest: flag 0x100: %s %s\n", strerror(e), e == EINVAL ? "as expected" : "WRONG");
	fail |= e != EINVAL;
	if (write_file(DATA, 'A', len) || pipe(pfd))
		return 1;
	lease_flags = HF_DMA_LEASE_FAIL;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(pfd[0]);
		_exit(dma_side(npages, pfd[1]));
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		printf("dmatest: the DMA process did not start\n");
		waitpid(pid, &st, 0);
		return 1;
	}
	long t0 = now_ms();
	int r = truncate(DATA, 0);
	e = errno;
	printf("dmatest: truncate with lease=fail: %s after %ld ms\n", r ? strerror(e) : "succeeded",
	       now_ms() - t0);
	fail |= !(r == -1 && e == ETXTBSY);
	r = unlink(DATA);
	e = errno;
	printf("dmatest: unlink with lease=fail: %s\n", r ? strerror(e) : "succeeded");
	fail |= !(r == -1 && e == ETXTBSY);
	fail |= stat(DATA, &sb) != 0 || sb.st_size != (off_t)len;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("dmatest: the DMA process failed (status %#x)\n", st);
		fail = 1;
	}
	char *buf = malloc(len);
	int fd = open(DATA, O_RDONLY), bad = 0;
	if (!buf || fd < 0 || read(fd, buf, len) != (ssize_t)len)
		bad = 1;
	for (size_t i = 0; !bad && i < len; i++)
		bad = buf[i] != 'D';
	if (fd >= 0)
		close(fd);
	free(buf);
	printf("dmatest: %s %s\n", DATA, bad ? "does NOT hold the DMA's bytes" :
	       "unchanged by the truncate: its size, and the DMA's bytes");
	unlink(DATA);
	fail |= bad;
	printf("dmatest: lease=fail %s\n", fail ? "WRONG" : "OK");
	return fail;
}

#define NVME		"/dev/nvme0n1"
#define CHECK		"/dmatest.check"

/* The NVMe process: map the file, pread into it with O_DIRECT. */
static int nvme_side(int npages, int go)
{
	size_t len = (size_t)npages * PAGE;
	int fd = open(DATA, O_RDWR), dev = open(NVME, O_RDONLY | O_DIRECT);
	char *dst;

	if (fd < 0 || dev < 0) {
		printf("dmatest: nvme side: open %s\n", strerror(errno));
		return 1;
	}
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (dst == MAP_FAILED) {
		printf("dmatest: mmap %s: %s\n", DATA, strerror(errno));
		return 1;
	}
	if (write(go, "g", 1) != 1)	/* the truncate comes while we read */
		return 1;
	long t0 = now_ms();
	ssize_t n = pread(dev, dst, len, 0);
	printf("dmatest: O_DIRECT read of %zd bytes from %s done in %ld ms%s%s\n", n, NVME,
	       now_ms() - t0, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
	return n == (ssize_t)len ? 0 : 1;
}

/* zlib's CRC-32, for the test runner to compare with the image's bytes. */
static unsigned crc32_of(const unsigned char *p, size_t n)
{
	unsigned c = 0xFFFFFFFFu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
	}
	return ~c;
}

/* What O_DIRECT moves equals what a buffered read of the device sees. */
static int nvme_data_check(size_t len)
{
	int fd, dev = open(NVME, O_RDWR | O_DIRECT), bdev = open(NVME, O_RDWR);
	char *map, *ref = malloc(len + PAGE), *anon;
	off_t at = 3 * PAGE;
	int bad = 0;

	if (dev < 0 || bdev < 0 || !ref || write_file(CHECK, 'C', len) ||
	    (fd = open(CHECK, O_RDWR)) < 0) {
		printf("dmatest: data check: open: %s\n", strerror(errno));
		return 1;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	anon = mmap(NULL, len + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || anon == MAP_FAILED)
		return 1;
	/* device -> DAX mapping of a file, zero copy */
	if (pread(dev, map, len, at) != (ssize_t)len || pread(bdev, ref, len, at) != (ssize_t)len) {
		printf("dmatest: data check: read: %s\n", strerror(errno));
		return 1;
	}
	bad = memcmp(map, ref, len) != 0;
	printf("dmatest: O_DIRECT read into the mapping of %s: %s (crc32 %08x of %zu bytes at %ld)\n",
	       CHECK, bad ? "DIFFERS from the device" : "equals the device's bytes",
	       crc32_of((unsigned char *)map, len), len, (long)at);
	/* anonymous memory (512-byte aligned, not page aligned) -> device */
	for (size_t i = 0; i < len; i++)
		anon[512 + i] = (char)(i * 7 + 3);
	if (pwrite(dev, anon + 512, len, 1 << 20) != (ssize_t)len ||
	    pread(bdev, ref, len, 1 << 20) != (ssize_t)len) {
		printf("dmatest: data check: write: %s\n", strerror(errno));
		return 1;
	}
	int wbad = memcmp(anon + 512, ref, len) != 0;
	printf("dmatest: O_DIRECT write from anonymous memory: %s\n",
	       wbad ? "DIFFERS when read back" : "reads back");
	munmap(map, len);
	close(fd);
	close(dev);
	close(bdev);
	unlink(CHECK);
	free(ref);
	return bad || wbad;
}

/* Bad input: every misaligned value is EINVAL; the ends of the device. */
static int nvme_bad(void)
{
	int dev = open(NVME, O_RDONLY | O_DIRECT), fail = 0;
	char *buf = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	off_t end;
	ssize_t n;

	if (dev < 0 || buf == MAP_FAILED) {
		printf("dmatest: open %s: %s\n", NVME, strerror(errno));
		return 1;
	}
	end = lseek(dev, 0, SEEK_END);
#define EXPECT(what, call, want, werr) do {					\
		errno = 0;							\
		n = (call);							\
		int ok_ = n == (want) && (n >= 0 || errno == (werr));		\
		printf("dmatest: %s: %zd (%s) %s\n", what, n, n < 0 ? strerror(errno) : "ok", \
		       ok_ ? "as expected" : "WRONG");				\
		fail |= !ok_;							\
	} while (0)
	EXPECT("misaligned buffer", pread(dev, buf + 1, PAGE, 0), -1, EINVAL);
	EXPECT("misaligned length", pread(dev, buf, 100, 0), -1, EINVAL);
	EXPECT("misaligned offset", pread(dev, buf, PAGE, 7), -1, EINVAL);
	EXPECT("past the end", pread(dev, buf, PAGE, end + PAGE), -1, EINVAL);
	EXPECT("at the end", pread(dev, buf, PAGE, end), 0, 0);
	EXPECT("over the end", pread(dev, buf, 2 * PAGE, end - PAGE), PAGE, 0);
	EXPECT("aligned", pread(dev, buf, 4 * PAGE, 0), 4 * PAGE, 0);
	EXPECT("unmapped buffer", pread(dev, (char *)0x10000, PAGE, 0), -1, EFAULT);
	/* the whole device in one call: more than one 4 MiB window */
	char *big = mmap(NULL, (size_t)end, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *ref = malloc((size_t)end);
	int bdev = open(NVME, O_RDONLY);
	if (big == MAP_FAILED || !ref || bdev < 0 || pread(bdev, ref, (size_t)end, 0) != end)
		return 1;
	EXPECT("whole device", pread(dev, big, (size_t)end, 0), end, 0);
	n = memcmp(big, ref, (size_t)end) != 0;
	printf("dmatest: whole device: %s\n", n ? "DIFFERS from a buffered read" : "equals a buffered read");
	fail |= (int)n;
	close(bdev);
	close(dev);
	return fail;
}

/*
 * The seed's scenario: a child (@side) starts a transfer into DATA's
 * pages and says so on a pipe; after @settle_us we truncate DATA, then
 * write VICTIM, which gets the freed blocks, and check it.  @what names
 * the transfer in messages.  Returns 0 when the run went as expected:
 * protected, the truncate waited at least @min_wait_ms and VICTIM is
 * intact; with @expect_corrupt, VICTIM came out corrupted.
 */
static int race(const char *what, int (*side)(int npages, int go), int npages,
		int expect_corrupt, unsigned settle_us, long min_wait_ms)
{
	size_t len = (size_t)npages * PAGE;
	int pfd[2], st = 0, bad = 0;
	char c;

	unlink(VICTIM);
	if (write_file(DATA, 'A', len)) {
		printf("dmatest: cannot write %s: %s\n", DATA, strerror(errno));
		return 1;
	}
	fill_device();
	if (pipe(pfd))
		return 1;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(pfd[0]);
		_exit(side(npages, pfd[1]));
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		printf("dmatest: the process doing the %s did not start\n", what);
		waitpid(pid, &st, 0);
		return 1;
	}
	if (settle_us)
		usleep(settle_us);	/* it is in its system call, its pages pinned */
	long t0 = now_ms();
	if (truncate(DATA, 0))
		printf("dmatest: truncate: %s\n", strerror(errno));
	long waited = now_ms() - t0;
	printf("dmatest: truncate returned after %ld ms\n", waited);
	if (write_file(VICTIM, 'V', len))
		printf("dmatest: cannot write %s: %s\n", VICTIM, strerror(errno));
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		printf("dmatest: the process doing the %s failed (status %#x)\n", what, st);

	char *buf = malloc(len);
	int fd = open(VICTIM, O_RDONLY);
	if (!buf || fd < 0 || read(fd, buf, len) != (ssize_t)len) {
		printf("dmatest: cannot read %s back\n", VICTIM);
		return 1;
	}
	close(fd);
	for (size_t i = 0; i < len; i++)
		bad += buf[i] != 'V';
	free(buf);
	if (bad)
		printf("dmatest: %s CORRUPTED: %d of %zu bytes are not ours\n", VICTIM, bad, len);
	else
		printf("dmatest: %s intact\n", VICTIM);
	unlink(VICTIM);
	unlink(FILL);
	unlink(DATA);
	if (expect_corrupt)
		return bad ? 0 : 1;
	if (lease_flags == HF_DMA_LEASE_REVOKE) {
		/* Revoked: the truncate went on at once, the device was cut off. */
		if (waited >= min_wait_ms) {
			printf("dmatest: the truncate waited for a revocable %s\n", what);
			return 1;
		}
		return bad ? 1 : 0;
	}
	/* Protected: the truncate must have waited for (most of) the transfer. */
	if (waited < min_wait_ms) {
		printf("dmatest: the truncate did not wait for the %s\n", what);
		return 1;
	}
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	int npages = 8, expect_corrupt = 0, nvme = 0;

	int lease = -1;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && !strcmp(argv[1], "nvme-bad"))
		return nvme_bad();
	if (argc > 1 && (!strcmp(argv[1], "fail") || !strcmp(argv[1], "revoke"))) {
		lease = !strcmp(argv[1], "fail") ? HF_DMA_LEASE_FAIL : HF_DMA_LEASE_REVOKE;
		argv++;
		argc--;
	}
	if (argc > 1 && !strcmp(argv[1], "nvme")) {
		nvme = 1;
		argv++;
		argc--;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect-corrupt"))
			expect_corrupt = 1;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc && atoi(argv[i + 1]) > 0 &&
			 atoi(argv[i + 1]) <= 256)
			npages = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: dmatest [nvme] [-n PAGES(1-256)] [--expect-corrupt] | "
				"dmatest fail|revoke [-n PAGES] | dmatest nvme-bad\n");
			return 2;
		}
	}
	if (lease == (int)HF_DMA_LEASE_FAIL)
		return lease_fail(npages);
	if (lease == (int)HF_DMA_LEASE_REVOKE) {
		int e = probe_flags(HF_DMA_LEASE_REVOKE);
		if (e == EOPNOTSUPP) {
			printf("dmatest: revoke: the kernel has no IOMMU on (%s): skipped\n", strerror(e));
			return 0;
		}
		lease_flags = HF_DMA_LEASE_REVOKE;
		lease_result = -ECANCELED;
		return race("revocable DMA", dma_side, npages, 0, 0, 100L * npages / 2);
	}
	if (nvme) {
		int r = race("NVMe read", nvme_side, npages, expect_corrupt, 300000, 1000);

		if (r || expect_corrupt)
			return r;
		return nvme_data_check(1 << 20);	/* 8 commands of 128 KiB in flight */
	}
	return race("DMA", dma_side, npages, expect_corrupt, 0, 100L * npages);
}
