/*
 * test_lock_checks.c - the lock assertions (include/kernel/sync.h, "lock
 * assertions"; include/fs/holdfs_platform.h for holdfs): a rule broken on purpose
 * is caught, naming the lock and the function, and a rule kept is not.
 *
 * The assertions exist only in the debug kernel (DEBUG=1, which `make
 * test` boots as ktest-q35-debug); elsewhere every case is skipped and
 * says so.  A broken rule is caught with lock_assert_catch() instead of
 * panicking, so the run goes on.
 */
#include <tests/ktest_kernel.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <fs/vfs.h>
#include <lib/string.h>
#include <fs/holdfs.h>

#define MSG_SIZE	160

static bool checks_on(struct ktest *t)
{
	if (!LOCK_ASSERTS_ON)
		ktest_skip(t, "lock assertions are compiled out: not a DEBUG=1 kernel "
			   "(make test boots build/debug/holdfast.elf for them)");
	return LOCK_ASSERTS_ON;
}

static void need_mutex(void *m) { assert_held((struct mutex *)m); }
static void need_no_mutex(void *m) { assert_not_held((struct mutex *)m); }
static void need_spin(void *l) { assert_held((spinlock_t *)l); }
static void need_rwsem(void *s) { assert_held((struct rwsem *)s); }
static void need_rwsem_write(void *s) { assert_held_write((struct rwsem *)s); }

KTEST(lock_checks, mutex_not_held_is_caught_naming_lock_and_function)
{
	struct mutex m;
	char msg[MSG_SIZE];

	if (!checks_on(t))
		return;
	mutex_init(&m, "lc_mutex");
	EXPECT_TRUE(t, lock_assert_catch(need_mutex, &m, msg, sizeof(msg)));
	EXPECT_STREQ(t, msg, "lock check failed in need_mutex(): mutex 'lc_mutex' not held");
	mutex_lock(&m);
	EXPECT_FALSE(t, lock_assert_catch(need_mutex, &m, msg, sizeof(msg)));
	EXPECT_TRUE(t, lock_assert_catch(need_no_mutex, &m, msg, sizeof(msg)));
	EXPECT_STREQ(t, msg, "lock check failed in need_no_mutex(): mutex 'lc_mutex' "
		     "held, and must not be");
	mutex_unlock(&m);
	EXPECT_FALSE(t, lock_assert_catch(need_no_mutex, &m, msg, sizeof(msg)));
}

KTEST(lock_checks, spinlock_not_held_is_caught)
{
	spinlock_t l = SPINLOCK_INIT("lc_spin");
	char msg[MSG_SIZE];

	if (!checks_on(t))
		return;
	EXPECT_TRUE(t, lock_assert_catch(need_spin, &l, msg, sizeof(msg)));
	EXPECT_STREQ(t, msg, "lock check failed in need_spin(): spinlock 'lc_spin' not held");
	spin_lock(&l);
	EXPECT_FALSE(t, lock_assert_catch(need_spin, &l, msg, sizeof(msg)));
	spin_unlock(&l);
}

KTEST(lock_checks, rwsem_read_is_held_but_not_for_write)
{
	struct rwsem s;
	char msg[MSG_SIZE];

	if (!checks_on(t))
		return;
	rwsem_init(&s, "lc_rwsem");
	EXPECT_TRUE(t, lock_assert_catch(need_rwsem, &s, msg, sizeof(msg)));
	EXPECT_STREQ(t, msg, "lock check failed in need_rwsem(): rwsem 'lc_rwsem' not held");
	down_read(&s);
	EXPECT_FALSE(t, lock_assert_catch(need_rwsem, &s, msg, sizeof(msg)));
	EXPECT_TRUE(t, lock_assert_catch(need_rwsem_write, &s, msg, sizeof(msg)));
	EXPECT_STREQ(t, msg, "lock check failed in need_rwsem_write(): rwsem 'lc_rwsem' "
		     "not held for write by this thread");
	up_read(&s);
	down_write(&s);
	EXPECT_FALSE(t, lock_assert_catch(need_rwsem, &s, msg, sizeof(msg)));
	EXPECT_FALSE(t, lock_assert_catch(need_rwsem_write, &s, msg, sizeof(msg)));
	up_write(&s);
}

struct writer {
	struct rwsem s;
	struct completion taken, release;
};

static void hold_for_write(void *arg)
{
	struct writer *w = arg;

	down_write(&w->s);
	complete(&w->taken);
	wait_for_completion(&w->release);
	up_write(&w->s);
}

/* Another thread's write lock is not the caller's: rwsem_held() is not
 * rwsem_is_locked(). */
KTEST(lock_checks, rwsem_written_by_another_thread_is_not_held)
{
	struct writer w;
	struct thread *th;
	char msg[MSG_SIZE];

	if (!checks_on(t))
		return;
	rwsem_init(&w.s, "lc_other");
	completion_init(&w.taken);
	completion_init(&w.release);
	th = thread_create("lc-writer", hold_for_write, &w);
	ASSERT_NOT_NULL(t, th);
	wait_for_completion(&w.taken);
	EXPECT_TRUE(t, rwsem_is_locked(&w.s));
	EXPECT_TRUE(t, lock_assert_catch(need_rwsem, &w.s, msg, sizeof(msg)));
	EXPECT_TRUE(t, lock_assert_catch(need_rwsem_write, &w.s, msg, sizeof(msg)));
	complete(&w.release);
	thread_join(th);
}

static void map_unlocked(void *ip)
{
	struct hfs_mapping m;

	(void)hfs_map(ip, 0, false, &m);
}

/* A real contract of the filesystem, through the platform seam: hfs_map()
 * wants the file's layout lock. */
KTEST(lock_checks, hfs_map_without_layout_lock_is_caught)
{
	struct hfs_inode *ip;
	char msg[MSG_SIZE];

	if (!checks_on(t))
		return;
	if (!vfs_mounted()) {
		ktest_skip(t, "no filesystem mounted (no persistent memory)");
		return;
	}
	ASSERT_OK(t, hfs_open(vfs_root(), "/lock-checks", HFS_O_RDWR | HFS_O_CREAT | HFS_O_TRUNC,
			      0644, &ip));
	EXPECT_TRUE(t, lock_assert_catch(map_unlocked, ip, msg, sizeof(msg)));
	EXPECT_STREQ(t, msg, "lock check failed in hfs_map(): holdfs lock '&ip->layout' "
		     "not held");
	hfs_down_read(hfs_layout_lock(ip));
	EXPECT_FALSE(t, lock_assert_catch(map_unlocked, ip, msg, sizeof(msg)));
	hfs_up_read(hfs_layout_lock(ip));
	hfs_iput(ip);
	EXPECT_OK(t, hfs_unlink(vfs_root(), "/lock-checks", NULL));
}
