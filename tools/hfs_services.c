/*
 * hfs_services.c - the platform services of include/fs/holdfs_platform.h on a
 * POSIX host, for the tools and for every host test binary: memory
 * (poisoned on allocation), a clock (which tests can make deterministic),
 * the creator of new files (the process's uid/gid, or a per-thread value),
 * the log, pthread locks that know their holders (for the core's lock
 * assertions), and a layout break that never waits (nothing is
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
#include <unistd.h>
#include "hfs_host.h"

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

static __thread bool cred_set;
static __thread uint32_t cred_uid, cred_gid;

void hfs_host_set_cred(bool on, uint32_t uid, uint32_t gid)
{
	cred_set = on;
	cred_uid = uid;
	cred_gid = gid;
}

void hfs_plat_cred(uint32_t *uid, uint32_t *gid)
{
	if (cred_set) {
		*uid = cred_uid;
		*gid = cred_gid;
	} else {
		*uid = (uint32_t)geteuid();
		*gid = (uint32_t)getegid();
	}
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

/*
 * The locks know who holds them, for the core's lock assertions
 * (holdfs_platform.h): a mutex its owner, a rwsem its writer and how many threads
 * read it.  A thread is named by the address of its own host_self.  The
 * holder sets the owner after it locks and clears it before it unlocks,
 * so a thread asking about itself always gets the right answer.
 */
struct host_mutex {
	pthread_mutex_t m;
	const void *owner;		/* atomic; NULL when free */
};

struct host_rwsem {
	pthread_rwlock_t l;
	const void *writer;		/* atomic; NULL when not write-locked */
	unsigned readers;		/* atomic */
};

_Static_assert(sizeof(struct host_mutex) <= sizeof(hfs_mutex_t), "mutex storage");
_Static_assert(sizeof(struct host_rwsem) <= sizeof(hfs_rwsem_t), "rwsem storage");

static __thread char host_self;

void (*hfs_host_lock_assert_hook)(const char *msg);

void hfs_mutex_init(hfs_mutex_t *m, const char *name)
{
	struct host_mutex *h = (struct host_mutex *)m;

	(void)name;
	must(pthread_mutex_init(&h->m, NULL));
	h->owner = NULL;
}

void hfs_mutex_lock(hfs_mutex_t *m)
{
	struct host_mutex *h = (struct host_mutex *)m;

	must(pthread_mutex_lock(&h->m));
	__atomic_store_n(&h->owner, &host_self, __ATOMIC_RELAXED);
}

void hfs_mutex_unlock(hfs_mutex_t *m)
{
	struct host_mutex *h = (struct host_mutex *)m;

	__atomic_store_n(&h->owner, NULL, __ATOMIC_RELAXED);
	must(pthread_mutex_unlock(&h->m));
}

bool hfs_mutex_held(const hfs_mutex_t *m)
{
	const struct host_mutex *h = (const struct host_mutex *)m;

	return __atomic_load_n(&h->owner, __ATOMIC_RELAXED) == &host_self;
}

void hfs_rwsem_init(hfs_rwsem_t *s, const char *name)
{
	struct host_rwsem *h = (struct host_rwsem *)s;

	(void)name;
	must(pthread_rwlock_init(&h->l, NULL));
	h->writer = NULL;
	h->readers = 0;
}

void hfs_down_read(hfs_rwsem_t *s)
{
	struct host_rwsem *h = (struct host_rwsem *)s;

	must(pthread_rwlock_rdlock(&h->l));
	__atomic_fetch_add(&h->readers, 1, __ATOMIC_RELAXED);
}

void hfs_up_read(hfs_rwsem_t *s)
{
	struct host_rwsem *h = (struct host_rwsem *)s;

	__atomic_fetch_sub(&h->readers, 1, __ATOMIC_RELAXED);
	must(pthread_rwlock_unlock(&h->l));
}

void hfs_down_write(hfs_rwsem_t *s)
{
	struct host_rwsem *h = (struct host_rwsem *)s;

	must(pthread_rwlock_wrlock(&h->l));
	__atomic_store_n(&h->writer, &host_self, __ATOMIC_RELAXED);
}

void hfs_up_write(hfs_rwsem_t *s)
{
	struct host_rwsem *h = (struct host_rwsem *)s;

	__atomic_store_n(&h->writer, NULL, __ATOMIC_RELAXED);
	must(pthread_rwlock_unlock(&h->l));
}

/* Held for read by some thread, or for write by this one. */
bool hfs_rwsem_held(const hfs_rwsem_t *s)
{
	const struct host_rwsem *h = (const struct host_rwsem *)s;

	return __atomic_load_n(&h->readers, __ATOMIC_RELAXED) > 0 || hfs_rwsem_held_write(s);
}

bool hfs_rwsem_held_write(const hfs_rwsem_t *s)
{
	const struct host_rwsem *h = (const struct host_rwsem *)s;

	return __atomic_load_n(&h->writer, __ATOMIC_RELAXED) == &host_self;
}

void hfs_lock_assert_failed(const char *lock, const char *want, const char *func)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "lock check failed in %s(): holdfs lock '%s' %s",
		 func, lock, want);
	if (hfs_host_lock_assert_hook)
		hfs_host_lock_assert_hook(msg);
	fprintf(stderr, "%s\n", msg);
	abort();
}

/* The core's half of the contract (holdfs_platform.h) is checked here too: it
 * calls with the layout lock held for write. */
int hfs_break_layout(struct hfs_inode *ip, hfs_rwsem_t *layout, uint64_t off, uint64_t len,
		     const struct hfs_wait *w)
{
	hfs_assert_held_write(layout);
	return hfs_host_break_hook ? hfs_host_break_hook(ip, off, len, w) : 0;
}
