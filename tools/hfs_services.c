/*
 * hfs_services.c - the platform services of include/fs/holdfs_platform.h on a
 * POSIX host, for the tools and for every host test binary: memory
 * (poisoned on allocation), a clock (which tests can make deterministic),
 * the log, pthread locks, and a layout break that never waits (nothing is
 * pinned on the host, unless a test installs hfs_host_break_hook).
 *
 * The log goes to stderr as it comes; with hfs_host_log_prefix set (the
 * host test driver, tests/host/main.c, sets "# holdfs: ") each message
 * becomes one prefixed line on stdout, a KTAP diagnostic.  hfs_host_quiet
 * drops messages (corrupted images complain by design); either way the
 * last one is kept in hfs_host_last_log and hfs_host_log_lines counts them.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hfs_host.h"

_Static_assert(sizeof(pthread_mutex_t) <= sizeof(hfs_mutex_t), "mutex storage");
_Static_assert(sizeof(pthread_rwlock_t) <= sizeof(hfs_rwsem_t), "rwsem storage");

bool hfs_host_quiet;
const char *hfs_host_log_prefix;
char hfs_host_last_log[512];
uint64_t hfs_host_log_lines;
int (*hfs_host_break_hook)(struct hfs_inode *ip, uint64_t off, uint64_t len,
			   const struct hfs_wait *w);

static bool fake_clock;
static uint64_t fake_now;

void hfs_host_fake_clock(bool on)
{
	fake_clock = on;
	fake_now = 1700000000ull * 1000000000ull;
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
	va_list copy;
	size_t n;

	hfs_host_log_lines++;
	va_copy(copy, ap);
	vsnprintf(hfs_host_last_log, sizeof(hfs_host_last_log), fmt, copy);
	va_end(copy);
	if (hfs_host_quiet)
		return;
	if (!hfs_host_log_prefix) {
		vfprintf(stderr, fmt, ap);	/* whole, however long */
		return;
	}
	n = strlen(hfs_host_last_log);
	while (n && hfs_host_last_log[n - 1] == '\n')
		n--;
	printf("%s%.*s\n", hfs_host_log_prefix, (int)n, hfs_host_last_log);
}

void hfs_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hfs_vlog(fmt, ap);
	va_end(ap);
}

/* A lock call that fails is a bug in the caller: stop at once. */
static void must(int err)
{
	if (err)
		abort();
}

void hfs_mutex_init(hfs_mutex_t *m, const char *name)
{
	(void)name;
	must(pthread_mutex_init((pthread_mutex_t *)m, NULL));
}

void hfs_mutex_lock(hfs_mutex_t *m)
{
	must(pthread_mutex_lock((pthread_mutex_t *)m));
}

void hfs_mutex_unlock(hfs_mutex_t *m)
{
	must(pthread_mutex_unlock((pthread_mutex_t *)m));
}

void hfs_rwsem_init(hfs_rwsem_t *s, const char *name)
{
	(void)name;
	must(pthread_rwlock_init((pthread_rwlock_t *)s, NULL));
}

void hfs_down_read(hfs_rwsem_t *s)
{
	must(pthread_rwlock_rdlock((pthread_rwlock_t *)s));
}

void hfs_up_read(hfs_rwsem_t *s)
{
	must(pthread_rwlock_unlock((pthread_rwlock_t *)s));
}

void hfs_down_write(hfs_rwsem_t *s)
{
	must(pthread_rwlock_wrlock((pthread_rwlock_t *)s));
}

void hfs_up_write(hfs_rwsem_t *s)
{
	must(pthread_rwlock_unlock((pthread_rwlock_t *)s));
}

int hfs_break_layout(struct hfs_inode *ip, hfs_rwsem_t *layout, uint64_t off, uint64_t len,
		     const struct hfs_wait *w)
{
	(void)layout;
	return hfs_host_break_hook ? hfs_host_break_hook(ip, off, len, w) : 0;
}
