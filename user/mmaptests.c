/*
 * mmaptests.c - file mappings (DAX mmap) and /dev/dma0 from user space, in
 * KTAP like usertests: one "ok N name" or "not ok N name" per case.  The
 * mmap cases follow Pintos's mmap-* tests (read, write, close, unmap,
 * overlap, twice, exit, shuffle, bad-fd, clean, inherit, misalign, null,
 * over-code, over-stack, remove, zero) with Linux's answers, plus what
 * DAX adds: SIGBUS past the end of the file, copy on write for
 * MAP_PRIVATE, writes into holes, msync, and DMA through /dev/dma0 in
 * and out of mapped files.
 *
 * Run: /bin/mmaptests at the prompt (tests/boots.py: "user-mmaptests*").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <holdfast/dma.h>

#define PAGE	4096
#define F	"/mmaptests.f"
#define G	"/mmaptests.g"

#include "ktap.h"

/* A file of @len bytes where byte i is pat(i). */
static char pat(size_t i) { return (char)('a' + i % 23 + i / PAGE % 3); }

static int make_file(const char *path, size_t len)
{
	char *b = malloc(len ? len : 1);
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);

	for (size_t i = 0; i < len; i++)
		b[i] = pat(i);
	if (fd >= 0 && len && write(fd, b, len) != (ssize_t)len) {
		close(fd);
		fd = -1;
	}
	free(b);
	return fd;
}

static int same_as_pat(const char *p, size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pat(off + i))
			return 0;
	return 1;
}

/* Run fn in a child: its wait status. */
static int in_child(void (*fn)(void *), void *arg)
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return st;
}

static void touch(void *p) { *(volatile char *)p = 1; }
static void peek(void *p) { (void)*(volatile char *)p; }

static void t_read(void)
{
	/* old bytes in free blocks: the new file's last block may get them */
	int old = open(G, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	static char junk[64 * PAGE];
	memset(junk, 'X', sizeof(junk));
	CHECK(old >= 0 && write(old, junk, sizeof(junk)) == sizeof(junk));
	close(old);
	unlink(G);

	int fd = make_file(F, 3 * PAGE + 100);
	char *p = mmap(NULL, 3 * PAGE + 100, PROT_READ, MAP_SHARED, fd, 0);

	CHECK(fd >= 0 && p != MAP_FAILED);
	CHECK(same_as_pat(p, 0, 3 * PAGE + 100));
	/* the rest of the last page reads as zeros, never another file's bytes */
	CHECK(p[3 * PAGE + 100] == 0 && p[4 * PAGE - 1] == 0);
	CHECK(munmap(p, 3 * PAGE + 100) == 0);
	close(fd);
}

static void t_write(void)
{
	int fd = make_file(F, 2 * PAGE);
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), buf[16];

	CHECK(p != MAP_FAILED);
	memcpy(p + PAGE - 3, "written", 7);
	CHECK(munmap(p, 2 * PAGE) == 0);
	CHECK(pread(fd, buf, 7, PAGE - 3) == 7 && !memcmp(buf, "written", 7));
	close(fd);
}

static void t_close_then_access(void)
{
	int fd = make_file(F, PAGE);
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), c = 0;

	CHECK(p != MAP_FAILED);
	close(fd);
	CHECK(same_as_pat(p, 0, PAGE));
	p[0] = 'Z';
	munmap(p, PAGE);
	fd = open(F, O_RDONLY);
	CHECK(read(fd, &c, 1) == 1 && c == 'Z');
	close(fd);
}

static void t_unmap(void)
{
	int fd = make_file(F, 2 * PAGE), st;
	char *p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED);
	CHECK(munmap(p, 2 * PAGE) == 0);
	st = in_child(peek, p + PAGE);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	close(fd);
}

/* MAP_FIXED over a mapping replaces it (Linux; Pintos refuses). */
static void t_overlap(void)
{
	int fd = make_file(F, 2 * PAGE), fd2 = make_file(G, PAGE);
	char *p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED && fd2 >= 0);
	CHECK(mmap(p + PAGE, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd2, 0) == p + PAGE);
	CHECK(same_as_pat(p, 0, PAGE) && same_as_pat(p + PAGE, 0, PAGE));
	CHECK(munmap(p, 2 * PAGE) == 0);
	close(fd);
	close(fd2);
}

static void t_twice(void)
{
	int fd = make_file(F, PAGE);
	char *a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *b = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);

	CHECK(a != MAP_FAILED && b != MAP_FAILED && a != b);
	a[10] = '!';
	CHECK(b[10] == '!');
	munmap(a, PAGE);
	munmap(b, PAGE);
	close(fd);
}

static void write_and_exit(void *arg)
{
	int fd = open(F, O_RDWR);
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p != MAP_FAILED)
		memcpy(p, "exit-wrote", 10);	/* no munmap: exit drops it */
}

static void t_exit(void)
{
	int fd = make_file(F, PAGE), st;
	char buf[10];

	close(fd);
	st = in_child(write_and_exit, NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fd = open(F, O_RDONLY);
	CHECK(read(fd, buf, 10) == 10 && !memcmp(buf, "exit-wrote", 10));
	close(fd);
}

static void t_shuffle(void)
{
	size_t len = 16 * PAGE;
	int fd = make_file(F, len);
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	unsigned long sum = 0, sum2 = 0, r = 12345;

	CHECK(p != MAP_FAILED);
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	for (int k = 0; k < 20000; k++) {
		r = r * 1103515245 + 12345;
		size_t i = (r >> 8) % len, j = (r >> 24) % len;
		unsigned char t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
	munmap(p, len);
	unsigned char *b = malloc(len);
	CHECK(pread(fd, b, len, 0) == (ssize_t)len);
	for (size_t i = 0; i < len; i++)
		sum2 += b[i];
	free(b);
	CHECK(sum == sum2);
	close(fd);
}

static void t_bad_fd(void)
{
	int pfd[2];

	errno = 0;
	CHECK(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, -1, 0) == MAP_FAILED && errno == EBADF);
	CHECK(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, 987, 0) == MAP_FAILED && errno == EBADF);
	CHECK(pipe(pfd) == 0);
	CHECK(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, pfd[0], 0) == MAP_FAILED && errno == ENODEV);
	CHECK(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, 0, 0) == MAP_FAILED && errno == ENODEV);
	int d = open("/", O_RDONLY | O_DIRECTORY);
	CHECK(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, d, 0) == MAP_FAILED && errno == ENODEV);
	close(d);
	close(pfd[0]);
	close(pfd[1]);
	int fd = make_file(F, PAGE);
	close(fd);
	fd = open(F, O_RDONLY);
	CHECK(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	      errno == EACCES);
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED);		/* a private copy needs only read */
	munmap(p, PAGE);
	close(fd);
	fd = open(F, O_WRONLY);
	CHECK(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EACCES);
	close(fd);
}

static void t_clean(void)
{
	int fd = make_file(F, 2 * PAGE);
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *b = malloc(2 * PAGE);

	CHECK(p != MAP_FAILED);
	CHECK(same_as_pat(p, 0, 2 * PAGE));	/* only reads */
	munmap(p, 2 * PAGE);
	CHECK(pread(fd, b, 2 * PAGE, 0) == 2 * PAGE && same_as_pat(b, 0, 2 * PAGE));
	free(b);
	close(fd);
}

static void t_inherit(void)
{
	int fd = make_file(F, PAGE), st;
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED);
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(p + 100, "child", 5);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	CHECK(!memcmp(p + 100, "child", 5));
	munmap(p, PAGE);
	close(fd);
}

static void t_misaligned(void)
{
	int fd = make_file(F, 2 * PAGE);

	errno = 0;
	CHECK(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 100) == MAP_FAILED && errno == EINVAL);
	CHECK(mmap((void *)0x20000123, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED &&
	      errno == EINVAL);
	close(fd);
}

static void t_null(void)
{
	int fd = make_file(F, PAGE);

	/* below mmap_min_addr: refused (Linux says EPERM; we accept either refusal) */
	CHECK(mmap(NULL, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED);
	close(fd);
}

static void t_over_code(void)
{
	int fd = make_file(F, PAGE);
	void *code = (void *)((uintptr_t)t_over_code & ~(uintptr_t)(PAGE - 1));
	char *p = mmap(code, PAGE, PROT_READ, MAP_SHARED, fd, 0);	/* a hint only */

	CHECK(p != MAP_FAILED && (void *)p != code);
	CHECK(same_as_pat(p, 0, PAGE));
	munmap(p, PAGE);
	close(fd);
}

static void t_over_stack(void)
{
	int fd = make_file(F, PAGE), local = 7;
	void *stk = (void *)((uintptr_t)&local & ~(uintptr_t)(PAGE - 1));
	char *p = mmap(stk, PAGE, PROT_READ, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED && (void *)p != stk && local == 7);
	munmap(p, PAGE);
	close(fd);
}

static void t_remove(void)
{
	int fd = make_file(F, 2 * PAGE);
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED);
	close(fd);
	CHECK(unlink(F) == 0);
	CHECK(same_as_pat(p, 0, 2 * PAGE));
	p[PAGE] = 'R';
	CHECK(p[PAGE] == 'R');
	CHECK(munmap(p, 2 * PAGE) == 0);	/* the last reference frees the blocks */
}

static void t_zero_length(void)
{
	int fd = make_file(F, PAGE);

	errno = 0;
	CHECK(mmap(NULL, 0, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EINVAL);
	close(fd);
}

static void t_sigbus_past_eof(void)
{
	int fd = make_file(F, 2 * PAGE), st;
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED);
	st = in_child(peek, p + 2 * PAGE);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
	CHECK(p[PAGE] == pat(PAGE));
	CHECK(ftruncate(fd, PAGE) == 0);	/* the second page goes from every mapping */
	st = in_child(touch, p + PAGE);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
	CHECK(p[0] == pat(0));
	munmap(p, 4 * PAGE);
	close(fd);
}

static void t_private_cow(void)
{
	int fd = make_file(F, 2 * PAGE), st;
	char *s = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), c;

	CHECK(s != MAP_FAILED && p != MAP_FAILED);
	CHECK(p[5] == pat(5));
	p[5] = '#';
	CHECK(p[5] == '#' && s[5] == pat(5));
	CHECK(pread(fd, &c, 1, 5) == 1 && c == pat(5));
	pid_t pid = fork();
	if (pid == 0)
		_exit(p[5] == '#' ? (p[5] = '%', 0) : 1);	/* the child's own copy */
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(p[5] == '#');
	/* a page not yet copied still shows the file */
	CHECK(pwrite(fd, "X", 1, PAGE + 1) == 1 && p[PAGE + 1] == 'X');
	munmap(p, 2 * PAGE);
	munmap(s, 2 * PAGE);
	close(fd);
}

static void t_write_hole(void)
{
	int fd = make_file(F, 0);
	char buf[4];

	CHECK(ftruncate(fd, 8 * PAGE) == 0);
	char *p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(p[3 * PAGE] == 0);		/* a hole reads zeros */
	memcpy(p + 3 * PAGE, "hole", 4);	/* and a write allocates it */
	CHECK(pread(fd, buf, 4, 3 * PAGE) == 4 && !memcmp(buf, "hole", 4));
	munmap(p, 8 * PAGE);
	close(fd);
}

static void t_msync(void)
{
	int fd = make_file(F, 2 * PAGE);
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED);
	p[0] = 'm';
	CHECK(msync(p, 2 * PAGE, MS_SYNC) == 0);
	errno = 0;
	CHECK(msync(p + 1, PAGE, MS_SYNC) == -1 && errno == EINVAL);
	CHECK(msync(p, PAGE, MS_SYNC | MS_ASYNC) == -1 && errno == EINVAL);
	munmap(p, 2 * PAGE);
	CHECK(msync(p, PAGE, MS_SYNC) == -1 && errno == ENOMEM);
	close(fd);
}

/* munmap and mprotect of a middle page split the region; both sides stay. */
static void t_split(void)
{
	int fd = make_file(F, 4 * PAGE), st;
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED);
	CHECK(mprotect(p + 2 * PAGE, PAGE, PROT_READ) == 0);
	st = in_child(touch, p + 2 * PAGE);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	p[3 * PAGE] = 'T';
	CHECK(munmap(p + PAGE, PAGE) == 0);
	CHECK(p[0] == pat(0) && p[2 * PAGE] == pat(2 * PAGE) && p[3 * PAGE] == 'T');
	CHECK(ftruncate(fd, 3 * PAGE) == 0);
	st = in_child(peek, p + 3 * PAGE);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
	munmap(p, 4 * PAGE);
	close(fd);
}

static void write_forever(void *arg)
{
	volatile char *p = arg;

	for (;;)
		p[0]++;
}

/*
 * A truncate by one process reaches another that is running, perhaps on
 * another CPU, storing into the page the whole time: its TLB entry must go
 * (the shootdown), so its next store faults and it dies of SIGBUS, instead
 * of writing on into a block the file no longer owns.
 */
static void t_truncate_reaches_running_writer(void)
{
	int fd = make_file(F, 2 * PAGE), st = 0, i;
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED);
	pid_t pid = fork();
	if (pid == 0) {
		write_forever(p + PAGE);
		_exit(0);
	}
	usleep(100000);				/* the writer is at it */
	CHECK(ftruncate(fd, PAGE) == 0);
	for (i = 0; i < 300 && waitpid(pid, &st, WNOHANG) == 0; i++)
		usleep(10000);
	if (i == 300) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	CHECK(i < 300);				/* not still writing after 3 s */
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
	munmap(p, 2 * PAGE);
	close(fd);
}

/* 2 MiB-aligned offset and a big file: the huge-entry path (values only). */
static void t_big(void)
{
	size_t len = 4 << 20;
	int fd = make_file(F, len);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED);
	CHECK(same_as_pat(p, 0, len));
	p[len - 1] = '$';
	char c;
	CHECK(pread(fd, &c, 1, len - 1) == 1 && c == '$');
	munmap(p, len);
	close(fd);
}

static void t_dma0_errors(void)
{
	int dev = open("/dev/dma0", O_RDWR);
	struct hf_dma_copy rq = { 0 };
	char *a = malloc(2 * PAGE);

	CHECK(dev >= 0);
	errno = 0;
	CHECK(ioctl(dev, 0x1234, &rq) == -1 && errno == ENOTTY);
	CHECK(ioctl(dev, HF_DMA_COPY, NULL) == -1 && errno == EFAULT);
	CHECK(ioctl(dev, HF_DMA_COPY, &rq) == -1 && errno == EINVAL);		/* len 0 */
	rq.len = HF_DMA_MAX_LEN + 1;
	rq.src = rq.dst = (uintptr_t)a;
	CHECK(ioctl(dev, HF_DMA_COPY, &rq) == -1 && errno == EINVAL);
	rq.len = 16;
	rq.flags = HF_DMA_LEASE_MASK;		/* no such lease */
	CHECK(ioctl(dev, HF_DMA_COPY, &rq) == -1 && errno == EINVAL);
	rq.flags = 0x100;			/* a bit outside the lease */
	CHECK(ioctl(dev, HF_DMA_COPY, &rq) == -1 && errno == EINVAL);
	rq.flags = 0;
	rq.src = 0x1000;			/* nothing mapped there */
	CHECK(ioctl(dev, HF_DMA_COPY, &rq) == -1 && errno == EFAULT);
	rq.src = (uintptr_t)a;
	rq.dst = (uintptr_t)t_dma0_errors;	/* code: not writable */
	CHECK(ioctl(dev, HF_DMA_COPY, &rq) == -1 && errno == EFAULT);
	CHECK(ioctl(dev, HF_DMA_WAIT, &rq) == -1 && errno == EINVAL);
	free(a);
	close(dev);
}

/* anonymous -> file (across a page boundary), file -> anonymous */
static void t_dma0_copy(void)
{
	int dev = open("/dev/dma0", O_RDWR), fd = make_file(F, 2 * PAGE);
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *a = malloc(3 * PAGE), buf[200];
	struct hf_dma_copy rq = { 0 };

	CHECK(dev >= 0 && p != MAP_FAILED && a);
	memset(a, 'q', 3 * PAGE);
	rq.dst = (uintptr_t)p + PAGE - 100;
	rq.src = (uintptr_t)a + 7;
	rq.len = 200;
	CHECK(ioctl(dev, HF_DMA_COPY, &rq) == 0 && rq.result == 0);
	CHECK(pread(fd, buf, 200, PAGE - 100) == 200);
	for (int i = 0; i < 200; i++)
		CHECK(buf[i] == 'q');
	CHECK(p[PAGE - 101] == pat(PAGE - 101) && p[PAGE + 100] == pat(PAGE + 100));
	rq.dst = (uintptr_t)a;
	rq.src = (uintptr_t)p;
	rq.len = 300;
	CHECK(ioctl(dev, HF_DMA_SUBMIT, &rq) == 0);
	CHECK(ioctl(dev, HF_DMA_SUBMIT, &rq) == -1 && errno == EBUSY);
	CHECK(ioctl(dev, HF_DMA_WAIT, &rq) == 0 && rq.result == 0);
	CHECK(same_as_pat(a, 0, 300) && a[300] == 'q');
	munmap(p, 2 * PAGE);
	free(a);
	close(fd);
	close(dev);
}

static const struct ktap_test tests[] = {
	{ "mmap_read", t_read },
	{ "mmap_write", t_write },
	{ "mmap_close_then_access", t_close_then_access },
	{ "mmap_unmap", t_unmap },
	{ "mmap_overlap", t_overlap },
	{ "mmap_twice", t_twice },
	{ "mmap_exit", t_exit },
	{ "mmap_shuffle", t_shuffle },
	{ "mmap_bad_fd", t_bad_fd },
	{ "mmap_clean", t_clean },
	{ "mmap_inherit", t_inherit },
	{ "mmap_misaligned", t_misaligned },
	{ "mmap_null", t_null },
	{ "mmap_over_code", t_over_code },
	{ "mmap_over_stack", t_over_stack },
	{ "mmap_remove", t_remove },
	{ "mmap_zero_length", t_zero_length },
	{ "mmap_sigbus_past_eof", t_sigbus_past_eof },
	{ "mmap_private_cow", t_private_cow },
	{ "mmap_write_hole", t_write_hole },
	{ "mmap_msync", t_msync },
	{ "mmap_split", t_split },
	{ "mmap_big", t_big },
	{ "mmap_truncate_reaches_running_writer", t_truncate_reaches_running_writer },
	{ "dma0_errors", t_dma0_errors },
	{ "dma0_copy", t_dma0_copy },
};

int main(void)
{
	int ret = ktap_run("mmaptests", tests, KTAP_COUNT(tests));

	unlink(F);
	unlink(G);
	return ret;
}
