/*
 * test_net.c - the network stack's pieces that need no network card:
 * lwIP's operating-system layer (net/lwip/sys_arch.c: semaphores,
 * mailboxes, the recursive critical section, threads) and net.h's
 * helpers.  The card, lwIP's protocols and the NBD server are tested from
 * the host (tests/nbd_net.py), where real clients can talk to them.
 */
#include <tests/ktest_kernel.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <net/net.h>

#include "lwip/opt.h"
#include "lwip/sys.h"

#define SHORT_MS	20

KTEST(net, prefix_len_of_netmasks)
{
	EXPECT_EQ(t, net_prefix_len(0xFFFFFF00u), 24u);
	EXPECT_EQ(t, net_prefix_len(0xFFFFFFFFu), 32u);
	EXPECT_EQ(t, net_prefix_len(0), 0u);
	EXPECT_EQ(t, net_prefix_len(0xFFFF0000u), 16u);
}

KTEST(net, sem_counts_and_times_out)
{
	sys_sem_t s = NULL;
	uint64_t start;

	ASSERT_EQ(t, sys_sem_new(&s, 2), ERR_OK);
	ASSERT_TRUE(t, sys_sem_valid(&s));
	EXPECT_NE(t, sys_arch_sem_wait(&s, SHORT_MS), SYS_ARCH_TIMEOUT);
	EXPECT_NE(t, sys_arch_sem_wait(&s, SHORT_MS), SYS_ARCH_TIMEOUT);
	start = time_ns();
	EXPECT_EQ(t, sys_arch_sem_wait(&s, SHORT_MS), SYS_ARCH_TIMEOUT);
	EXPECT_GE(t, time_ns() - start, (uint64_t)SHORT_MS * 1000000ull);
	sys_sem_signal(&s);
	EXPECT_NE(t, sys_arch_sem_wait(&s, SHORT_MS), SYS_ARCH_TIMEOUT);
	sys_sem_free(&s);
	EXPECT_FALSE(t, sys_sem_valid(&s));
}

KTEST(net, mbox_is_a_bounded_fifo)
{
	sys_mbox_t m = NULL;
	int v[5];
	void *got;

	ASSERT_EQ(t, sys_mbox_new(&m, 4), ERR_OK);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(t, sys_mbox_trypost(&m, &v[i]), ERR_OK);
	EXPECT_EQ(t, sys_mbox_trypost(&m, &v[4]), ERR_MEM);	/* full */
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(t, sys_arch_mbox_tryfetch(&m, &got), 0u);
		EXPECT_TRUE(t, got == &v[i]);
	}
	EXPECT_EQ(t, sys_arch_mbox_tryfetch(&m, &got), SYS_MBOX_EMPTY);
	EXPECT_EQ(t, sys_arch_mbox_fetch(&m, &got, SHORT_MS), SYS_ARCH_TIMEOUT);
	sys_mbox_free(&m);
	EXPECT_FALSE(t, sys_mbox_valid(&m));
}

struct poster {
	sys_mbox_t *m;
	void *msg;
};

static void post_later(void *arg)
{
	struct poster *p = arg;

	msleep(SHORT_MS);
	sys_mbox_post(p->m, p->msg);
}

KTEST(net, mbox_fetch_sleeps_until_a_post)
{
	sys_mbox_t m = NULL;
	struct poster p;
	struct thread *th;
	int token;
	void *got = NULL;

	ASSERT_EQ(t, sys_mbox_new(&m, 1), ERR_OK);
	p = (struct poster){ &m, &token };
	th = thread_create("net-test-post", post_later, &p);
	ASSERT_NOT_NULL(t, th);
	EXPECT_NE(t, sys_arch_mbox_fetch(&m, &got, 0), SYS_ARCH_TIMEOUT);	/* 0: for ever */
	EXPECT_TRUE(t, got == &token);
	thread_join(th);
	sys_mbox_free(&m);
}

static void take_protect(void *arg)
{
	sys_prot_t lev = sys_arch_protect();

	*(int *)arg = 1;
	sys_arch_unprotect(lev);
}

KTEST(net, protect_nests_and_excludes_others)
{
	struct thread *th;
	int other = 0;
	sys_prot_t a, b;

	sys_init();
	a = sys_arch_protect();
	b = sys_arch_protect();		/* lwIP nests them */
	th = thread_create("net-test-protect", take_protect, &other);
	ASSERT_NOT_NULL(t, th);
	msleep(SHORT_MS);
	EXPECT_EQ(t, READ_ONCE(other), 0);	/* held: the other thread waits */
	sys_arch_unprotect(b);
	msleep(SHORT_MS);
	EXPECT_EQ(t, READ_ONCE(other), 0);	/* still held once */
	sys_arch_unprotect(a);
	thread_join(th);
	EXPECT_EQ(t, other, 1);
}
