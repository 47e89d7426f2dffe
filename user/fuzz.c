/*
 * fuzz.c - a seeded random system-call fuzzer: `fuzz CALLS [SEED]`.
 *
 * Each call is a system-call number (mostly from the ones Holdfast
 * implements, some at random up to 511) with arguments drawn from values
 * that break things: 0, -1, small and huge integers, random 64-bit words,
 * NULL, kernel and non-canonical addresses, a pointer one byte before an
 * unmapped page, huge lengths, and real buffers, paths and fds.  The same
 * seed gives the same calls, so a failure can be replayed.
 *
 * It must survive its own calls, and the machine must too, so a few
 * calls are shaped instead of random (never on purpose: exit, kill of
 * others, fork bombs, execve, rt_sigreturn, sleeping forever):
 *   - fds come from a set of its own (a file, a directory, a read-only
 *     program, and bad numbers), never the console (a read would wait
 *     for a key) or a pipe (a read would wait forever);
 *   - paths are under /fuzz (its cwd), removed at the end, or bad;
 *   - mmap with MAP_FIXED, munmap, mprotect and madvise act on a scratch
 *     range it owns, or on bad addresses; brk only grows or is asked;
 *   - rt_sigaction only reads; arch_prctl never moves FS; kill/tkill
 *     send signal 0; futex waits at most 1 us; poll at most 1 ms, ppoll,
 *     select and pselect6 with a zero timeout; no sleeps, no sigsuspend,
 *     no clone.
 * At the end it prints "fuzz: done, N calls" (tests/boots.py: user-fuzz
 * checks that, no panic, and the frame/heap counts before and after).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCRATCH		0x600000000000UL	/* its own range for MAP_FIXED etc. */
#define SCRATCH_LEN	(64UL << 12)
#define NR_RANDOM_MAX	512
#define MAP_FIXED_FLAG	0x10
#define MAP_FIXED_NOREPLACE_FLAG 0x100000

static uint64_t rng;

static uint64_t next(void)		/* xorshift64* */
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static uint64_t pick(uint64_t n) { return next() % n; }

static long raw(long nr, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b), "d"(c),
			 "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
}

static char *buf;			/* 2 pages, the second one unmapped */
static char *edge;			/* the last byte before the hole */
static int fds[3];
/* A zero struct timespec / timeval for the waits it shapes (never written:
 * select writes back the time left, which is zero). */
static uint64_t zero_time[2];
static char longpath[5000];

static const char *const paths[] = {
	"/fuzz/f1", "/fuzz/f2", "/fuzz/ro", "/fuzz/d1", "/fuzz/d1/f3", "/fuzz/l1", "f1", "d1/f4",
	"/fuzz/../fuzz/f2", "", "/nonexistent/x", "/fuzz/d1/../f5", "/fuzz/",
};

/* A value that breaks things, or a useful one. */
static uint64_t any(void)
{
	switch (pick(14)) {
	case 0: return 0;
	case 1: return (uint64_t)-1;
	case 2: return pick(16);
	case 3: return next();
	case 4: return 0xffff800000000000UL + pick(1 << 20) * 8;	/* kernel */
	case 5: return 0xffffffff80000000UL;			/* kernel text */
	case 6: return 0x0000800000000000UL;			/* non-canonical */
	case 7: return (uint64_t)edge;
	case 8: return (uint64_t)buf + pick(4096);
	case 9: return 1UL << pick(64);
	case 10: return (uint64_t)INT32_MIN;
	case 11: return 4096;
	case 12: return 0x7fffffffffffUL;
	default: return pick(1 << 16);
	}
}

static uint64_t fd(void)
{
	static const int64_t bad[] = { -1, -100 /* AT_FDCWD */, 1000000, INT32_MIN, 63, 64, 4095 };

	return pick(3) ? (uint64_t)fds[pick(3)] : (uint64_t)bad[pick(7)];
}

static uint64_t path(void)
{
	switch (pick(6)) {
	case 0: return any();
	case 1: return (uint64_t)longpath;
	default: return (uint64_t)paths[pick(sizeof(paths) / sizeof(paths[0]))];
	}
}

/* An address in its scratch range, or one no user mapping has. */
static uint64_t scratch_or_bad(void)
{
	switch (pick(6)) {
	case 0: return 0xffff800000000000UL + pick(1 << 20) * 4096;
	case 1: return 0x0000800000000000UL + pick(16) * 4096;	/* non-canonical */
	case 2: return 0xfffffffffffff000UL;
	default: return SCRATCH + pick(SCRATCH_LEN / 4096) * 4096 + (pick(8) ? 0 : pick(4096));
	}
}

/* A length that stays inside the scratch range, or one past all of user
 * space (which must fail, never wrap onto the stack). */
static uint64_t scratch_len(void)
{
	switch (pick(4)) {
	case 0: return 0;
	case 1: return (1UL << 47) + pick(1UL << 40);
	default: return pick(SCRATCH_LEN / 4096 / 2 + 1) * 4096 + (pick(4) ? 0 : pick(4096));
	}
}

/* Numbers it never calls at random (see the top). */
static int banned(long nr)
{
	switch (nr) {
	case 15: case 22: case 23: case 34: case 35: case 56: case 57: case 58: case 59:
	case 60: case 61: case 62: case 80: case 81: case 200: case 202: case 230:
	case 231: case 234: case 293: case 7: case 169 /* reboot */: case 9: case 10:
	case 11: case 12: case 13: case 28: case 158: case 0: case 17: case 19:
	case 32: case 33: case 292: case 72: case 218:
	case 130 /* rt_sigsuspend: waits for a signal */: case 270: case 271:
		return 1;
	}
	return 0;
}

/* One call: its number and arguments. */
static long one(void)
{
	static const long common[] = {
		0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 24,
		28, 32, 33, 39, 62, 63, 72, 74, 76, 77, 79, 82, 83, 84, 86, 87, 88, 89, 90,
		91, 92, 93, 94, 96, 97, 102, 110, 131, 158, 186, 200, 201, 202, 217, 218,
		228, 234, 257, 258, 260, 262, 263, 264, 265, 266, 267, 268, 269, 273, 280,
		285, 292, 302, 316, 318, 439, 332, 999, 7, 23, 127, 270, 271,
	};
	long nr = pick(4) ? common[pick(sizeof(common) / sizeof(common[0]))]
			  : (long)pick(NR_RANDOM_MAX);
	uint64_t a[6];

	for (int i = 0; i < 6; i++)
		a[i] = any();
	switch (nr) {
	case 0: case 1: case 3: case 17: case 18: case 19: case 20:	/* read/write/close/pread/pwrite/readv/writev */
	case 5: case 8: case 16: case 72: case 74: case 77: case 81: case 91: case 93:
	case 217: case 285:
		a[0] = fd();
		if (nr == 72 && a[1] == 0)		/* F_DUPFD: keep fds low */
			a[2] = pick(8) + 3;
		break;
	case 32:
		a[0] = fd();
		break;
	case 33: case 292:				/* dup2/dup3 onto its own fds */
		a[0] = fd();
		a[1] = pick(2) ? (uint64_t)fds[pick(3)] : (uint64_t)(pick(8) + 8);
		break;
	case 2: case 4: case 6: case 21: case 76: case 83: case 84: case 87: case 89:
	case 90: case 92: case 94:
		a[0] = path();
		if (nr == 2)
			a[1] &= ~(uint64_t)O_PATH;
		break;
	case 82: case 86: case 88:
		a[0] = path();
		a[1] = path();
		break;
	case 257: case 258: case 260: case 262: case 263: case 267: case 268: case 269:
	case 280: case 439:
		a[0] = fd();
		a[1] = path();
		break;
	case 264: case 265: case 316:
		a[0] = fd();
		a[1] = path();
		a[2] = fd();
		a[3] = path();
		break;
	case 266:
		a[0] = path();
		a[1] = fd();
		a[2] = path();
		break;
	case 9:						/* mmap */
		if (a[3] & (MAP_FIXED_FLAG | MAP_FIXED_NOREPLACE_FLAG)) {
			a[0] = scratch_or_bad();
			a[1] = scratch_len();
		}
		a[4] = pick(2) ? fd() : (uint64_t)-1;
		break;
	case 10: case 11: case 28:			/* mprotect/munmap/madvise */
		a[0] = scratch_or_bad();
		a[1] = scratch_len();
		break;
	case 12:					/* brk: ask, or grow a little */
		a[0] = pick(2) ? 0 : (uint64_t)sbrk(0) + pick(1 << 16);
		break;
	case 13:					/* rt_sigaction: read only */
		a[1] = pick(2) ? 0 : 0xffff800000000000UL;
		break;
	case 62: case 200:				/* kill/tkill: signal 0 */
		a[0] = pick(2) ? (uint64_t)getpid() : any();
		a[1] = 0;
		if ((int)a[0] == -1 || (int)a[0] == 0 || (int)a[0] == 1)
			a[0] = 999999;
		break;
	case 234:
		a[0] = getpid();
		a[2] = 0;
		break;
	case 158:					/* arch_prctl: GET or bad codes */
		if (a[0] == 0x1002)
			a[1] = 0xffff800000000000UL;	/* -EPERM */
		break;
	case 202: {					/* futex: bounded waits */
		static const struct { long s, ns; } tiny = { 0, 1000 };
		a[0] = pick(2) ? (uint64_t)buf + pick(1024) * 4 : any();
		a[3] = (uint64_t)&tiny;
		break;
	}
	case 218:					/* set_tid_address: harmless spot */
		a[0] = (uint64_t)buf + 4000;
		break;
	case 7:						/* poll: at most 1 ms */
		a[2] = pick(2);
		break;
	case 271:					/* ppoll: a zero timeout */
		a[2] = (uint64_t)zero_time;
		break;
	case 23:					/* select: a zero timeout */
		a[4] = (uint64_t)zero_time;
		break;
	case 270:					/* pselect6: a zero timeout */
		a[4] = (uint64_t)zero_time;
		break;
	default:
		if (banned(nr))
			nr = 39;			/* getpid */
	}
	return raw(nr, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], (long)a[5]);
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) != 0) {
			chmod(p, 0755);
			rm_tree(p);
			rmdir(p);
		}
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 100000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	long errors = 0;

	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	setvbuf(stdout, NULL, _IONBF, 0);
	buf = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || munmap(buf + 4096, 4096)) {
		printf("fuzz: no buffer\n");
		return 1;
	}
	edge = buf + 4095;
	memset(longpath, 'a', sizeof(longpath) - 1);
	memcpy(longpath, "/fuzz/", 6);
	mkdir("/fuzz", 0755);
	if (chdir("/fuzz")) {
		printf("fuzz: cannot make /fuzz\n");
		return 1;
	}
	fds[0] = open("/fuzz/f1", O_RDWR | O_CREAT, 0644);
	fds[1] = open("/fuzz", O_RDONLY | O_DIRECTORY);
	close(open("/fuzz/ro", O_WRONLY | O_CREAT, 0644));
	fds[2] = open("/fuzz/ro", O_RDONLY);
	printf("fuzz: %ld calls, seed %llu\n", calls, (unsigned long long)seed);
	for (long i = 0; i < calls; i++) {
		for (int j = 0; j < 512; j += 8)	/* fresh garbage for each call */
			*(uint64_t *)(buf + j) = pick(4) ? next() : 0;
		errors += one() < 0;
		if ((i + 1) % 20000 == 0)
			printf("fuzz: %ld calls\n", i + 1);
	}
	for (int i = 3; i < 256; i++)
		close(i);
	chdir("/");
	chmod("/fuzz", 0755);
	rm_tree("/fuzz");
	rmdir("/fuzz");
	printf("fuzz: done, %ld calls, %ld errors, seed %llu\n", calls, errors,
	       (unsigned long long)seed);
	return 0;
}
