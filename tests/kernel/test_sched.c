/*
 * test_sched.c - threads, preemption, wait queues, completions,
 * wait-on-variable, and every lock type under preemption (counters must
 * come out exact).
 */
#include <tests/ktest_kernel.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/sync.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/smp.h>
#include <lib/string.h>
#include <lib/errno.h>

#define MS	1000000ULL

/* ------------------------------------------------------------- threads */

static void add_one(void *arg)
{
	__atomic_fetch_add((int *)arg, 1, __ATOMIC_RELAXED);
}

KTEST(sched, create_and_join_many)
{
	enum { N = 40 };
	struct thread *th[N];
	int count = 0;

	for (int i = 0; i < N; i++) {
		th[i] = thread_create("adder", add_one, &count);
		ASSERT_NOT_NULL(t, th[i]);
	}
	for (int i = 0; i < N; i++)
		thread_join(th[i]);
	EXPECT_EQ(t, count, N);
}

/* Detached threads that exit are freed by sched_reap_dead(), not only at
 * the next thread_create(): the heap objects and frames come back (what
 * `mem` counts after a program ends). */
KTEST(sched, reap_dead_frees_exited_detached_threads)
{
	enum { N = 8 };
	uint64_t objs0;
	size_t frames0;
	unsigned threads0;
	int count = 0;

	sched_reap_dead();
	threads0 = sched_thread_count();
	objs0 = kmalloc_in_use();
	frames0 = pmm_free_count() + kmalloc_slab_frames();
	for (int i = 0; i < N; i++) {
		struct thread *th = thread_create("reaped", add_one, &count);

		ASSERT_NOT_NULL(t, th);
		thread_detach(th);
	}
	/* gone from the thread list: off their stacks, on the dead list */
	for (int i = 0; i < 1000 && sched_thread_count() > threads0; i++)
		thread_sleep_ns(MS);
	EXPECT_EQ(t, count, N);
	EXPECT_EQ(t, sched_thread_count(), threads0);
	sched_reap_dead();
	EXPECT_EQ(t, kmalloc_in_use(), objs0);
	EXPECT_EQ(t, pmm_free_count() + kmalloc_slab_frames(), frames0);
}

struct spin_pair {
	volatile int stop;
	volatile uint64_t laps[2];
};

static void spinner(void *arg)
{
	struct spin_pair *sp = arg;
	int me = current_thread()->name[5] - '0';

	while (!sp->stop)
		sp->laps[me]++;		/* never yields: only preemption lets others run */
}

KTEST(sched, preemption_shares_the_cpu)
{
	struct spin_pair sp = { 0 };
	struct thread *a = thread_create_on(0, "spin-0", spinner, &sp);
	struct thread *b = thread_create_on(0, "spin-1", spinner, &sp);

	ASSERT_NOT_NULL(t, a);
	ASSERT_NOT_NULL(t, b);
	/*
	 * Both must get CPU 0.  How soon depends on how much host time the
	 * vCPU gets (little, with 4 vCPUs on 2 busy host cores), so wait for
	 * both laps, up to a bound only broken preemption reaches.
	 */
	for (uint64_t end = time_ns() + 10000 * MS; time_ns() < end;) {
		msleep(20);
		if (sp.laps[0] && sp.laps[1])
			break;
	}
	sp.stop = 1;
	thread_join(a);
	thread_join(b);
	EXPECT_GT(t, sp.laps[0], 0);
	EXPECT_GT(t, sp.laps[1], 0);
}

KTEST(sched, sleep_is_never_early)
{
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = time_ns();
		msleep(10);
		uint64_t d = time_ns() - t0;
		EXPECT_GE(t, d, 10 * MS);
		EXPECT_LT(t, d, 2000 * MS);	/* gross miscalibration only */
	}
}

/* --------------------------------------------------------- wait queues */

struct pc {
	struct wait_queue wq;
	volatile int items, consumed, done;
};

static void consumer(void *arg)
{
	struct pc *pc = arg;

	for (;;) {
		wait_event(&pc->wq, pc->items > 0 || pc->done);
		if (pc->items > 0) {
			__atomic_fetch_sub(&pc->items, 1, __ATOMIC_SEQ_CST);
			__atomic_fetch_add(&pc->consumed, 1, __ATOMIC_SEQ_CST);
		} else if (pc->done) {
			return;
		}
	}
}

KTEST(waitq, producer_consumer)
{
	enum { ITEMS = 2000 };
	struct pc pc;
	struct thread *c;

	memset(&pc, 0, sizeof(pc));
	wait_queue_init(&pc.wq);
	c = thread_create("consumer", consumer, &pc);
	ASSERT_NOT_NULL(t, c);
	for (int i = 0; i < ITEMS; i++) {
		__atomic_fetch_add(&pc.items, 1, __ATOMIC_SEQ_CST);
		wake_up_all(&pc.wq);
		if (i % 64 == 0)
			yield();
	}
	while (pc.items > 0)
		yield();
	pc.done = 1;
	wake_up_all(&pc.wq);
	thread_join(c);
	EXPECT_EQ(t, pc.consumed, ITEMS);
}

struct gate {
	struct wait_queue wq;
	volatile int open;
	volatile int passed;
};

static void gate_waiter(void *arg)
{
	struct gate *g = arg;

	wait_event(&g->wq, g->open > 0);
	__atomic_fetch_sub(&g->open, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&g->passed, 1, __ATOMIC_SEQ_CST);
}

KTEST(waitq, wake_one_wakes_one)
{
	struct gate g;
	struct thread *th[3];

	memset(&g, 0, sizeof(g));
	wait_queue_init(&g.wq);
	for (int i = 0; i < 3; i++)
		th[i] = thread_create("gate", gate_waiter, &g);
	msleep(20);			/* all three asleep on the queue */
	EXPECT_EQ(t, g.passed, 0);
	g.open = 1;
	wake_up_one(&g.wq);
	/* the woken one runs when its vCPU gets host time: wait for it */
	for (uint64_t end = time_ns() + 10000 * MS; g.passed == 0 && time_ns() < end;)
		msleep(5);
	msleep(20);			/* and nobody else follows */
	EXPECT_EQ(t, g.passed, 1);
	g.open = 2;
	wake_up_all(&g.wq);
	for (int i = 0; i < 3; i++)
		thread_join(th[i]);
	EXPECT_EQ(t, g.passed, 3);
}

KTEST(waitq, timeout_expires)
{
	struct wait_queue wq;
	int never = 0;
	uint64_t t0 = time_ns();

	wait_queue_init(&wq);
	EXPECT_ERR(t, wait_event_timeout(&wq, never, 20 * MS), -ETIMEDOUT);
	EXPECT_GE(t, time_ns() - t0, 20 * MS);
	EXPECT_OK(t, wait_event_timeout(&wq, 1, 20 * MS));
}

/* ---------------------------------------------------------- interrupts */

#define BLOCKED_WITHIN_NS	(10000 * MS)	/* liveness bound, not a timing */
#define LONG_WAIT_MS		60000		/* would outlast the test run */

enum wait_kind { W_EVENT, W_EVENT_TIMEOUT, W_COMPLETION, W_SLEEP, W_VAR, W_KINDS };
static const char *const wait_kind_name[W_KINDS] = {
	"wait_event_interruptible", "wait_event_interruptible_timeout",
	"wait_for_completion_interruptible", "msleep_interruptible",
	"wait_var_event_interruptible",
};

struct sleeper {
	enum wait_kind kind;
	struct wait_queue wq;
	struct completion comp;
	volatile int never;		/* the condition nobody makes true */
	int result;
	bool pending_after;		/* thread_interrupted() once it returned */
};

static void interruptible_waiter(void *arg)
{
	struct sleeper *s = arg;

	switch (s->kind) {
	case W_EVENT:
		s->result = wait_event_interruptible(&s->wq, s->never);
		break;
	case W_EVENT_TIMEOUT:
		s->result = wait_event_interruptible_timeout(&s->wq, s->never,
							     LONG_WAIT_MS * MS);
		break;
	case W_COMPLETION:
		s->result = wait_for_completion_interruptible(&s->comp);
		break;
	case W_SLEEP:
		s->result = msleep_interruptible(LONG_WAIT_MS);
		break;
	case W_VAR:
		s->result = wait_var_event_interruptible(&s->never, s->never);
		break;
	case W_KINDS:
		break;
	}
	s->pending_after = thread_interrupted();
}

/* Wait until @th sleeps (or give up after a generous bound). */
static bool becomes_blocked(struct thread *th)
{
	uint64_t end = time_ns() + BLOCKED_WITHIN_NS;

	while (READ_ONCE(th->state) != THREAD_BLOCKED && time_ns() < end)
		msleep(1);
	return READ_ONCE(th->state) == THREAD_BLOCKED;
}

/* A thread asleep in each interruptible wait is woken by thread_interrupt()
 * and gets -EINTR; the mark stays set for the rest of its way out. */
KTEST(waitq, interrupt_wakes_each_interruptible_wait)
{
	for (int k = 0; k < W_KINDS; k++) {
		struct sleeper s = { .kind = (enum wait_kind)k };
		struct thread *th;

		wait_queue_init(&s.wq);
		completion_init(&s.comp);
		th = thread_create("intr-waiter", interruptible_waiter, &s);
		ASSERT_NOT_NULL(t, th);
		if (!becomes_blocked(th))
			ktest_fail_msg(t, "%s: the waiter never slept", wait_kind_name[k]);
		thread_interrupt(th);
		thread_join(th);
		if (s.result != -EINTR || !s.pending_after)
			ktest_fail_msg(t, "%s returned %d (pending after: %d), expected -EINTR (1)",
				       wait_kind_name[k], s.result, s.pending_after);
	}
}

/* The rules, on the current thread: the condition first, then the
 * interrupt; a pending interrupt ends an interruptible wait at once; plain
 * waits ignore it; clearing it makes interruptible waits sleep again. */
KTEST(waitq, interrupt_rules)
{
	struct wait_queue wq;
	struct completion c;

	wait_queue_init(&wq);
	completion_init(&c);
	EXPECT_FALSE(t, thread_interrupted());
	thread_interrupt(current_thread());
	EXPECT_TRUE(t, thread_interrupted());
	EXPECT_OK(t, wait_event_interruptible(&wq, 1));		/* condition first */
	EXPECT_ERR(t, wait_event_interruptible(&wq, 0), -EINTR);
	/* -EINTR, not -ETIMEDOUT: it did not sleep out its 60 s */
	EXPECT_ERR(t, wait_event_interruptible_timeout(&wq, 0, LONG_WAIT_MS * MS), -EINTR);
	EXPECT_ERR(t, msleep_interruptible(LONG_WAIT_MS), -EINTR);
	complete(&c);
	EXPECT_OK(t, wait_for_completion_interruptible(&c));	/* done: consumed */
	EXPECT_FALSE(t, completion_done(&c));
	EXPECT_ERR(t, wait_for_completion_interruptible(&c), -EINTR);
	/* an ordinary wait does not look at it */
	EXPECT_ERR(t, wait_event_timeout(&wq, 0, 20 * MS), -ETIMEDOUT);
	EXPECT_TRUE(t, thread_interrupted());			/* still pending */
	EXPECT_TRUE(t, thread_interrupt_clear());
	EXPECT_FALSE(t, thread_interrupted());
	EXPECT_FALSE(t, thread_interrupt_clear());
	EXPECT_ERR(t, wait_event_interruptible_timeout(&wq, 0, 20 * MS), -ETIMEDOUT);
	thread_interrupt_clear();		/* never leave it set for the next case */
}

struct plain_waiter {
	struct wait_queue wq;
	volatile int go;
	volatile int done;
};

static void plain_wait(void *arg)
{
	struct plain_waiter *p = arg;

	wait_event(&p->wq, p->go);
	p->done = 1;
}

/* thread_interrupt() wakes a thread in an ordinary wait_event too; that
 * wait rechecks its condition and sleeps on. */
KTEST(waitq, interrupt_does_not_end_a_plain_wait)
{
	struct plain_waiter p = { .go = 0, .done = 0 };
	struct thread *th;

	wait_queue_init(&p.wq);
	th = thread_create("plain-waiter", plain_wait, &p);
	ASSERT_NOT_NULL(t, th);
	EXPECT_TRUE(t, becomes_blocked(th));
	thread_interrupt(th);
	msleep(20);				/* time to recheck and sleep on */
	EXPECT_TRUE(t, becomes_blocked(th));
	EXPECT_EQ(t, p.done, 0);
	p.go = 1;
	wake_up_all(&p.wq);
	thread_join(th);
	EXPECT_EQ(t, p.done, 1);
}

/* ------------------------------------------------ completion, wait_var */

static void completer(void *arg)
{
	msleep(5);
	complete(arg);
}

KTEST(completion, wait_and_timeout)
{
	struct completion c;
	struct thread *th;

	completion_init(&c);
	EXPECT_ERR(t, wait_for_completion_timeout(&c, 5 * MS), -ETIMEDOUT);
	th = thread_create("completer", completer, &c);
	ASSERT_NOT_NULL(t, th);
	wait_for_completion(&c);
	EXPECT_FALSE(t, completion_done(&c));	/* consumed */
	thread_join(th);
	complete_all(&c);
	wait_for_completion(&c);
	wait_for_completion(&c);
	EXPECT_TRUE(t, completion_done(&c));
}

struct pingpong {
	volatile int turn;		/* 0: ping's turn, 1: pong's */
	int rounds;
};

static void pong(void *arg)
{
	struct pingpong *pp = arg;

	for (int i = 0; i < pp->rounds; i++) {
		wait_var_event(&pp->turn, pp->turn == 1);
		pp->turn = 0;
		wake_up_var(&pp->turn);
	}
}

KTEST(wait_var, ping_pong_no_lost_wakeup)
{
	struct pingpong pp = { .turn = 0, .rounds = 3000 };
	struct thread *th = thread_create("pong", pong, &pp);

	ASSERT_NOT_NULL(t, th);
	for (int i = 0; i < pp.rounds; i++) {
		wait_var_event(&pp.turn, pp.turn == 0);
		pp.turn = 1;
		wake_up_var(&pp.turn);
	}
	wait_var_event(&pp.turn, pp.turn == 0);
	thread_join(th);
	EXPECT_EQ(t, pp.turn, 0);
}

KTEST(wait_var, timeout)
{
	int v = 0;

	EXPECT_ERR(t, wait_var_event_timeout(&v, v == 1, 10 * MS), -ETIMEDOUT);
}

/* --------------------------------------------------------------- locks */

#define LOCK_THREADS	4
#define LOCK_ROUNDS	8000
/*
 * Each thread stops early (after LOCK_MIN_ROUNDS) once LOCK_BUDGET_NS has
 * passed: with 4 vCPUs on 2 host cores a vCPU holding or next in line for
 * a ticket lock can be descheduled by the host for a whole time slice,
 * and 32000 hand-offs then take minutes.  The check stays exact: the
 * counter must equal the rounds the threads say they did.
 */
#define LOCK_MIN_ROUNDS	1000
#define LOCK_BUDGET_NS	(3ull * 1000 * 1000 * 1000)

struct counter {
	spinlock_t spin;
	struct mutex mutex;
	struct rwsem rw;
	volatile uint64_t value;
	int kind;
	uint64_t deadline;
	uint64_t done[LOCK_THREADS];	/* rounds each thread did */
	int next_id;
};

enum { K_SPIN, K_SPIN_IRQ, K_MUTEX, K_RWSEM };

static void hammer(void *arg)
{
	struct counter *c = arg;
	int id = __atomic_fetch_add(&c->next_id, 1, __ATOMIC_RELAXED);
	int i;

	for (i = 0; i < LOCK_ROUNDS; i++) {
		unsigned long f = 0;
		uint64_t v;

		if (i >= LOCK_MIN_ROUNDS && (i & 63) == 0 && time_ns() > c->deadline)
			break;

		switch (c->kind) {
		case K_SPIN:
			spin_lock(&c->spin);
			break;
		case K_SPIN_IRQ:
			f = spin_lock_irqsave(&c->spin);
			break;
		case K_MUTEX:
			mutex_lock(&c->mutex);
			break;
		default:
			down_write(&c->rw);
		}
		v = c->value;		/* a non-atomic read-modify-write */
		if ((i & 255) == 0 && c->kind >= K_MUTEX)
			yield();	/* sleep-capable locks: get switched out while holding */
		c->value = v + 1;
		switch (c->kind) {
		case K_SPIN:
			spin_unlock(&c->spin);
			break;
		case K_SPIN_IRQ:
			spin_unlock_irqrestore(&c->spin, f);
			break;
		case K_MUTEX:
			mutex_unlock(&c->mutex);
			break;
		default:
			up_write(&c->rw);
		}
	}
	c->done[id] = (uint64_t)i;
}

static void run_counter(struct ktest *t, int kind)
{
	static struct counter c;
	struct thread *th[LOCK_THREADS];

	memset(&c, 0, sizeof(c));
	spin_lock_init(&c.spin, "test");
	mutex_init(&c.mutex, "test");
	rwsem_init(&c.rw, "test");
	c.kind = kind;
	c.deadline = time_ns() + LOCK_BUDGET_NS;
	/* spread over the CPUs so the lock is contended in parallel */
	for (int i = 0; i < LOCK_THREADS; i++) {
		th[i] = thread_create_on((int)(i % smp_online_count()), "hammer", hammer, &c);
		ASSERT_NOT_NULL(t, th[i]);
	}
	for (int i = 0; i < LOCK_THREADS; i++)
		thread_join(th[i]);
	uint64_t rounds = 0;

	for (int i = 0; i < LOCK_THREADS; i++) {
		EXPECT_GE(t, c.done[i], (uint64_t)LOCK_MIN_ROUNDS);
		rounds += c.done[i];
	}
	EXPECT_EQ(t, c.value, rounds);
	if (rounds < (uint64_t)LOCK_THREADS * LOCK_ROUNDS)
		ktest_log(t, "%lu of %u rounds before the time budget ran out",
			  (unsigned long)rounds, LOCK_THREADS * LOCK_ROUNDS);
}

KTEST(locks, spinlock_counter_exact) { run_counter(t, K_SPIN); }
KTEST(locks, spinlock_irqsave_counter_exact) { run_counter(t, K_SPIN_IRQ); }
KTEST(locks, mutex_counter_exact) { run_counter(t, K_MUTEX); }
KTEST(locks, rwsem_writer_counter_exact) { run_counter(t, K_RWSEM); }

KTEST(locks, trylock_semantics)
{
	spinlock_t s;
	struct mutex m;
	struct rwsem rw;

	spin_lock_init(&s, "try");
	ASSERT_TRUE(t, spin_trylock(&s));
	EXPECT_TRUE(t, spin_held_by_me(&s));
	EXPECT_FALSE(t, spin_trylock(&s));
	spin_unlock(&s);
	EXPECT_FALSE(t, spin_held_by_me(&s));

	mutex_init(&m, "try");
	EXPECT_TRUE(t, mutex_trylock(&m));
	EXPECT_TRUE(t, mutex_held_by_me(&m));
	mutex_unlock(&m);

	rwsem_init(&rw, "try");
	EXPECT_TRUE(t, down_read_trylock(&rw));
	EXPECT_TRUE(t, down_read_trylock(&rw));
	EXPECT_FALSE(t, down_write_trylock(&rw));
	up_read(&rw);
	up_read(&rw);
	EXPECT_TRUE(t, down_write_trylock(&rw));
	EXPECT_FALSE(t, down_read_trylock(&rw));
	up_write(&rw);
}

struct readers {
	struct rwsem rw;
	volatile int inside, max_inside, writer_saw_reader;
	volatile int stop;
};

static void reader(void *arg)
{
	struct readers *r = arg;

	while (!r->stop) {
		down_read(&r->rw);
		int n = __atomic_add_fetch(&r->inside, 1, __ATOMIC_SEQ_CST);
		if (n > r->max_inside)
			r->max_inside = n;
		msleep(1);
		__atomic_sub_fetch(&r->inside, 1, __ATOMIC_SEQ_CST);
		up_read(&r->rw);
	}
}

KTEST(locks, rwsem_readers_share_writer_excludes)
{
	static struct readers r;
	struct thread *th[3];

	memset(&r, 0, sizeof(r));
	rwsem_init(&r.rw, "readers");
	for (int i = 0; i < 3; i++)
		th[i] = thread_create("reader", reader, &r);
	for (int i = 0; i < 20; i++) {
		msleep(3);
		down_write(&r.rw);
		if (r.inside)
			r.writer_saw_reader = 1;
		up_write(&r.rw);
	}
	r.stop = 1;
	for (int i = 0; i < 3; i++)
		thread_join(th[i]);
	EXPECT_GT(t, r.max_inside, 1);		/* readers overlapped */
	EXPECT_EQ(t, r.writer_saw_reader, 0);	/* never with the writer */
}

/* --------------------------------------------------------------- timers */

static void timer_cb(void *arg)
{
	*(volatile int *)arg += 1;
}

KTEST(timer, fires_once_and_cancel_stops_it)
{
	struct ktimer a, b;
	volatile int fa = 0, fb = 0;

	ktimer_init(&a, timer_cb, (void *)&fa);
	ktimer_init(&b, timer_cb, (void *)&fb);
	ktimer_arm(&a, time_ns() + 5 * MS);
	ktimer_arm(&b, time_ns() + 5 * MS);
	EXPECT_TRUE(t, ktimer_cancel(&b));
	msleep(30);
	EXPECT_EQ(t, fa, 1);
	EXPECT_EQ(t, fb, 0);
	EXPECT_FALSE(t, ktimer_cancel(&a));
}

KTEST(timer, clock_and_ticks)
{
	/* CPU 0's counter: this thread may move between CPUs while it sleeps */
	uint64_t t0 = time_ns(), ticks0 = READ_ONCE(cpus[0].ticks);

	EXPECT_GT(t, tsc_hz(), 1000000);	/* at least 1 MHz */
	msleep(50);
	uint64_t dt = time_ns() - t0, dticks = READ_ONCE(cpus[0].ticks) - ticks0;
	EXPECT_GE(t, dt, 50 * MS);
	/* ~1 tick per ms; only a gross error (wrong calibration) fails */
	EXPECT_GE(t, dticks, 10);
	EXPECT_LE(t, dticks, 5000);
}
