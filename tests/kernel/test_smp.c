/*
 * test_smp.c - several CPUs for real: threads pinned to every CPU, wake-ups
 * across CPUs with no lost wake-up, cross-CPU calls, and TLB shootdown (a
 * reader on another CPU faults on its first access after pt_unmap()
 * returns).  Cases that need two CPUs skip with a reason on one.
 */
#include <tests/ktest_kernel.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <kernel/mm.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/smp.h>
#include <arch/x86_64/paging.h>
#include <arch/x86_64/irq.h>
#include <lib/string.h>
#include <lib/errno.h>

#define SMP_TEST_VA	(VMAP_BASE + VMAP_SIZE - PAGE_1G + 512 * PAGE_2M)
#define MS		1000000ULL

static bool need_two(struct ktest *t)
{
	if (smp_online_count() >= 2)
		return true;
	ktest_skip(t, "needs two CPUs (boot with -smp 2 or more)");
	return false;
}

static unsigned cpu_now(void)
{
	unsigned long f = irq_save();
	unsigned id = this_cpu()->id;

	irq_restore(f);
	return id;
}

struct where {
	volatile int ran_on;
	volatile int stayed;
};

static void record_cpu(void *arg)
{
	struct where *w = arg;
	int first = (int)cpu_now();

	for (int i = 0; i < 1000; i++) {
		if ((int)cpu_now() != first)
			return;		/* stayed stays 0 */
		if (i % 100 == 0)
			yield();
	}
	w->ran_on = first;
	w->stayed = 1;
}

KTEST(smp, every_cpu_runs_pinned_threads)
{
	static struct where w[MAX_CPUS];
	struct thread *th[MAX_CPUS];
	unsigned n = smp_online_count();

	EXPECT_EQ(t, n, ncpus);
	for (unsigned i = 0; i < n; i++) {
		w[i].ran_on = -1;
		w[i].stayed = 0;
		th[i] = thread_create_on((int)i, "pinned", record_cpu, &w[i]);
		ASSERT_NOT_NULL(t, th[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		thread_join(th[i]);
		EXPECT_EQ(t, w[i].ran_on, (int)i);
		EXPECT_EQ(t, w[i].stayed, 1);
	}
}

struct pp {
	volatile int turn;
	int rounds;
	volatile int wrong_cpu;
	int cpu;
};

static void ponger(void *arg)
{
	struct pp *p = arg;

	for (int i = 0; i < p->rounds; i++) {
		wait_var_event(&p->turn, p->turn == 1);
		if ((int)cpu_now() != p->cpu)
			p->wrong_cpu = 1;
		p->turn = 0;
		wake_up_var(&p->turn);
	}
}

KTEST(smp, wait_var_across_cpus_no_lost_wakeup)
{
	struct pp p = { .turn = 0, .rounds = 2000, .cpu = 1 };
	struct thread *th;

	if (!need_two(t))
		return;
	th = thread_create_on(1, "ponger", ponger, &p);
	ASSERT_NOT_NULL(t, th);
	for (int i = 0; i < p.rounds; i++) {
		wait_var_event(&p.turn, p.turn == 0);
		p.turn = 1;
		wake_up_var(&p.turn);
	}
	wait_var_event(&p.turn, p.turn == 0);
	thread_join(th);
	EXPECT_EQ(t, p.turn, 0);
	EXPECT_EQ(t, p.wrong_cpu, 0);
}

struct counter_pair {
	struct completion ping, pong;
	int rounds;
};

static void completer(void *arg)
{
	struct counter_pair *c = arg;

	for (int i = 0; i < c->rounds; i++) {
		wait_for_completion(&c->ping);
		complete(&c->pong);
	}
}

KTEST(smp, completions_across_cpus)
{
	struct counter_pair c = { .rounds = 2000 };
	struct thread *th;

	if (!need_two(t))
		return;
	completion_init(&c.ping);
	completion_init(&c.pong);
	th = thread_create_on((int)smp_online_count() - 1, "completer", completer, &c);
	ASSERT_NOT_NULL(t, th);
	for (int i = 0; i < c.rounds; i++) {
		complete(&c.ping);
		ASSERT_OK(t, wait_for_completion_timeout(&c.pong, 5000 * MS));
	}
	thread_join(th);
}

static void mark_cpu(void *arg)
{
	volatile int *slots = arg;

	slots[this_cpu()->id] += 1;
}

KTEST(smp, call_function_on_each_cpu)
{
	static volatile int slots[MAX_CPUS];
	unsigned n = smp_online_count();

	memset((void *)slots, 0, sizeof(slots));
	for (unsigned i = 0; i < n; i++)
		EXPECT_OK(t, smp_call_on(i, mark_cpu, (void *)slots, true));
	for (unsigned i = 0; i < n; i++)
		EXPECT_EQ(t, slots[i], 1);
	smp_call_others(mark_cpu, (void *)slots);
	unsigned twice = 0;
	for (unsigned i = 0; i < n; i++)
		twice += slots[i] == 2;
	/* every CPU but the caller ran it again (the caller may have moved) */
	EXPECT_GE(t, twice, n - 1);
	EXPECT_ERR(t, smp_call_on(n, mark_cpu, NULL, true), -EINVAL);	/* not online */
}

KTEST(smp, async_call_runs)
{
	static volatile int slots[MAX_CPUS];

	if (!need_two(t))
		return;
	memset((void *)slots, 0, sizeof(slots));
	ASSERT_OK(t, smp_call_on(1, mark_cpu, (void *)slots, false));
	for (int i = 0; i < 1000 && !slots[1]; i++)
		msleep(1);
	EXPECT_EQ(t, slots[1], 1);
}

struct reader {
	volatile uint64_t *p;
	volatile int unmapped;		/* set after pt_unmap returned */
	volatile uint64_t reads;
	volatile int stale_reads;	/* reads that succeeded after the unmap */
	volatile int faulted;
};

static void tlb_reader(void *arg)
{
	struct reader *r = arg;

	for (;;) {
		int after = __atomic_load_n(&r->unmapped, __ATOMIC_ACQUIRE);
		int vec = probe_read(r->p, NULL);
		if (vec == -1) {
			r->reads++;
			if (after)
				r->stale_reads++;
		} else {
			r->faulted = 1;
			if (after)
				return;
		}
	}
}

KTEST(smp, tlb_shootdown_before_unmap_returns)
{
	struct reader r = { 0 };
	uint64_t pa;
	struct thread *th;

	if (!need_two(t))
		return;
	pa = pmm_alloc_page();
	ASSERT_NE(t, pa, 0);
	ASSERT_OK(t, pt_map(&kernel_pgtable, SMP_TEST_VA, pa, PAGE_SIZE, PROT_WRITE));
	r.p = (volatile uint64_t *)SMP_TEST_VA;
	*r.p = 42;
	th = thread_create_on(1, "tlb-reader", tlb_reader, &r);
	ASSERT_NOT_NULL(t, th);
	while (r.reads < 1000)		/* the reader's CPU has the translation cached */
		yield();
	ASSERT_OK(t, pt_unmap(&kernel_pgtable, SMP_TEST_VA, PAGE_SIZE));
	__atomic_store_n(&r.unmapped, 1, __ATOMIC_RELEASE);
	thread_join(th);
	EXPECT_EQ(t, r.stale_reads, 0);
	EXPECT_EQ(t, r.faulted, 1);
	pmm_free_page(pa);
}
