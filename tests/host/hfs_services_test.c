/*
 * hfs_services_test.c - the platform services of fs/holdfs/platform.h for
 * host test binaries: malloc, a monotonic clock, pthread locks, a log that
 * can be silenced, and a layout break that never waits (nothing is pinned
 * on the host).  The pmem ops come from tests/host/hfs_memdev.c.
 *
 * Kept apart from tools/hfs_host.c (the tools' platform, which also owns
 * the mmap'd image file) so the tests do not depend on the tools' file.
 *
 * hfs_test_log_quiet(true) drops log lines (mount of a corrupted image
 * complains by design); hfs_test_log_count() says how many lines came.
 * hfs_test_fake_clock(true) makes hfs_now_ns a counter, so images made by
 * the fuzz and regression harnesses are the same byte for byte each run.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../fs/holdfs/platform.h"
#include "hfs_services_test.h"

_Static_assert(sizeof(pthread_mutex_t) <= sizeof(hfs_mutex_t), "hfs_mutex_t too small");
_Static_assert(sizeof(pthread_rwlock_t) <= sizeof(hfs_rwsem_t), "hfs_rwsem_t too small");

static bool log_quiet;
static uint64_t log_lines;
static bool fake_clock;
static uint64_t fake_now;

void hfs_test_fake_clock(bool on)
{
	fake_clock = on;
	fake_now = 1700000000ull * 1000000000ull;
}

void hfs_test_log_quiet(bool quiet)
{
	log_quiet = quiet;
}

uint64_t hfs_test_log_count(void)
{
	return log_lines;
}

/* Poisoned, like recycled kernel memory: code that reads what it never
 * wrote must not pass on the host by luck (malloc's fresh pages are zero). */
#define HFS_ALLOC_POISON 0x3e

void *hfs_alloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p)
		memset(p, HFS_ALLOC_POISON, size ? size : 1);
	return p;
}

void *hfs_zalloc(size_t size)
{
	return calloc(1, size ? size : 1);
}

void hfs_free(void *p)
{
	free(p);
}

uint64_t hfs_now_ns(void)
{
	struct timespec ts;

	if (fake_clock)
		return fake_now += 1000;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void hfs_vlog(const char *fmt, va_list ap)
{
	log_lines++;
	if (log_quiet)
		return;
	char line[1024];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = 0;
	printf("# holdfs: %s\n", line);
}

void hfs_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hfs_vlog(fmt, ap);
	va_end(ap);
}

void hfs_mutex_init(hfs_mutex_t *m, const char *name)
{
	pthread_mutex_init((pthread_mutex_t *)m, NULL);
}

void hfs_mutex_lock(hfs_mutex_t *m)
{
	if (pthread_mutex_lock((pthread_mutex_t *)m))
		abort();
}

void hfs_mutex_unlock(hfs_mutex_t *m)
{
	if (pthread_mutex_unlock((pthread_mutex_t *)m))
		abort();
}

void hfs_rwsem_init(hfs_rwsem_t *s, const char *name)
{
	pthread_rwlock_init((pthread_rwlock_t *)s, NULL);
}

void hfs_down_read(hfs_rwsem_t *s)
{
	if (pthread_rwlock_rdlock((pthread_rwlock_t *)s))
		abort();
}

void hfs_up_read(hfs_rwsem_t *s)
{
	if (pthread_rwlock_unlock((pthread_rwlock_t *)s))
		abort();
}

void hfs_down_write(hfs_rwsem_t *s)
{
	if (pthread_rwlock_wrlock((pthread_rwlock_t *)s))
		abort();
}

void hfs_up_write(hfs_rwsem_t *s)
{
	if (pthread_rwlock_unlock((pthread_rwlock_t *)s))
		abort();
}

int hfs_break_layout(struct hfs_inode *ip, hfs_rwsem_t *layout, uint64_t off, uint64_t len,
		     const struct hfs_wait *w)
{
	return 0;
}
