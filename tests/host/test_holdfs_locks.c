/*
 * test_holdfs_locks.c - the host platform's locks know who holds them
 * (tools/hfs_services.c), so holdfs's lock assertions (holdfs_platform.h) run in
 * the host tests too: a rule broken on purpose is caught, naming the lock
 * and the function.  The host tests build with LOCK_ASSERTS (Makefile).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include "holdfs_test_util.h"

static jmp_buf caught_jmp;
static char caught_msg[256];

static void catch_assert(const char *msg)
{
	snprintf(caught_msg, sizeof(caught_msg), "%s", msg);
	longjmp(caught_jmp, 1);
}

/* Run fn(arg); true, with the message in caught_msg, if an assertion in
 * it failed. */
static bool assert_fails(void (*fn)(void *), void *arg)
{
	volatile bool caught = false;

	caught_msg[0] = '\0';
	hfs_host_lock_assert_hook = catch_assert;
	if (setjmp(caught_jmp) == 0)
		fn(arg);
	else
		caught = true;
	hfs_host_lock_assert_hook = NULL;
	return caught;
}

struct other {
	hfs_mutex_t *m;
	hfs_rwsem_t *s;
	bool mutex_held, rwsem_held_write;
};

static void *ask_from_another_thread(void *arg)
{
	struct other *o = arg;

	o->mutex_held = hfs_mutex_held(o->m);
	o->rwsem_held_write = hfs_rwsem_held_write(o->s);
	return NULL;
}

KTEST(holdfs_locks, host_locks_know_their_holder)
{
	hfs_mutex_t m;
	hfs_rwsem_t s;
	struct other o = { &m, &s, true, true };
	pthread_t th;

	hfs_mutex_init(&m, "m");
	hfs_rwsem_init(&s, "s");
	EXPECT_FALSE(t, hfs_mutex_held(&m));
	EXPECT_FALSE(t, hfs_rwsem_held(&s));
	hfs_mutex_lock(&m);
	hfs_down_write(&s);
	EXPECT_TRUE(t, hfs_mutex_held(&m));
	EXPECT_TRUE(t, hfs_rwsem_held(&s));
	EXPECT_TRUE(t, hfs_rwsem_held_write(&s));
	ASSERT_EQ(t, pthread_create(&th, NULL, ask_from_another_thread, &o), 0);
	pthread_join(th, NULL);
	EXPECT_FALSE(t, o.mutex_held);		/* held, but not by that thread */
	EXPECT_FALSE(t, o.rwsem_held_write);
	hfs_up_write(&s);
	hfs_mutex_unlock(&m);
	EXPECT_FALSE(t, hfs_mutex_held(&m));
	EXPECT_FALSE(t, hfs_rwsem_held(&s));
	hfs_down_read(&s);
	EXPECT_TRUE(t, hfs_rwsem_held(&s));
	EXPECT_FALSE(t, hfs_rwsem_held_write(&s));
	hfs_up_read(&s);
	EXPECT_FALSE(t, hfs_rwsem_held(&s));
}

static void map_unlocked(void *ip)
{
	struct hfs_mapping m;

	(void)hfs_map(ip, 0, false, &m);
}

static void truncate_unlocked(void *ip)
{
	(void)hfs_truncate_locked(ip, 0);
}

KTEST(holdfs_locks, broken_rules_are_caught_naming_lock_and_function)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * 1024 * 1024);
	struct hfs_inode *ip;

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, hfs_open(fs, "/f", HFS_O_RDWR | HFS_O_CREAT, 0644, &ip));
	EXPECT_TRUE(t, assert_fails(map_unlocked, ip));
	EXPECT_STREQ(t, caught_msg,
		     "lock check failed in hfs_map(): holdfs lock '&ip->layout' not held");
	hfs_down_read(hfs_layout_lock(ip));
	EXPECT_FALSE(t, assert_fails(map_unlocked, ip));
	/* shared is not enough to change the size */
	EXPECT_TRUE(t, assert_fails(truncate_unlocked, ip));
	EXPECT_STREQ(t, caught_msg, "lock check failed in hfs_truncate_locked(): "
		     "holdfs lock '&ip->layout' not held for write");
	hfs_up_read(hfs_layout_lock(ip));
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}
