/*
 * sync.c - spinlocks, wait queues, mutexes, reader/writer semaphores,
 * completions and wait-on-variable.  The rules are in include/kernel/sync.h.
 *
 * Spinlocks are ticket locks (FIFO fair): a locker takes a ticket with an
 * atomic fetch-add and spins until `serving` reaches it.  The holder's CPU
 * is recorded so that taking a lock twice on one CPU panics instead of
 * hanging.
 *
 * Sleeping locks are built on wait queues: the waiter re-tests its
 * condition (e.g. "mutex_trylock succeeded") after each wake-up.
 *
 * Lock assertions (assert_held and friends, sync.h) end here when they
 * fail: lock_assert_failed() panics, or, for the one test thread that asked
 * with lock_assert_catch(), jumps back to it with the message.
 */
#include <kernel/sync.h>
#include <kernel/sched.h>
#include <kernel/panic.h>
#include <kernel/kjmp.h>
#include <lib/printf.h>
#include <arch/x86_64/percpu.h>
#include <lib/errno.h>

/* ------------------------------------------------------------- preempt */

void preempt_disable(void)
{
	percpu_preempt_inc();	/* one instruction: no migration half-way */
	barrier();
}

void preempt_enable(void)
{
	struct cpu *c;

	barrier();
	c = this_cpu();		/* stable: preemption is still off */
	if (WARN_ON(c->preempt_count <= 0))
		return;
	percpu_preempt_dec();
	if (c->preempt_count == 0 && c->need_resched && c->irq_depth == 0 &&
	    irqs_enabled())
		sched_preempt();
}

/* ------------------------------------------------------------ spinlock */

void spin_lock_init(spinlock_t *l, const char *name)
{
	l->next = 0;
	l->serving = 0;
	l->owner_cpu = -1;
	l->name = name;
}

static void spin_acquire(spinlock_t *l)
{
	int me = (int)this_cpu()->id;
	uint32_t ticket;

	if (unlikely(READ_ONCE(l->owner_cpu) == me))
		panic("spinlock '%s' taken twice on CPU %d", l->name, me);
	ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
		cpu_relax();
	l->owner_cpu = me;
}

static void spin_release(spinlock_t *l)
{
	if (unlikely(l->owner_cpu != (int)this_cpu()->id))
		panic("spinlock '%s' released by CPU %u, held by %d",
		      l->name, this_cpu()->id, l->owner_cpu);
	l->owner_cpu = -1;
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

void spin_lock(spinlock_t *l)
{
	preempt_disable();
	spin_acquire(l);
}

void spin_unlock(spinlock_t *l)
{
	spin_release(l);
	preempt_enable();
}

bool spin_trylock(spinlock_t *l)
{
	uint32_t serving;

	preempt_disable();
	serving = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
	uint32_t expect = serving;
	if (READ_ONCE(l->owner_cpu) != (int)this_cpu()->id &&
	    __atomic_compare_exchange_n(&l->next, &expect, serving + 1, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		l->owner_cpu = (int)this_cpu()->id;
		return true;
	}
	preempt_enable();
	return false;
}

unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = irq_save();

	spin_lock(l);
	return flags;
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_release(l);
	/* Restore interrupts first so a pending preemption can happen now. */
	irq_restore(flags);
	preempt_enable();
}

bool spin_held_by_me(const spinlock_t *l)
{
	return READ_ONCE(l->owner_cpu) == (int)this_cpu()->id;
}

/* ---------------------------------------------------------- wait queue */

void wait_queue_init(struct wait_queue *wq)
{
	spin_lock_init(&wq->lock, "waitqueue");
	list_init(&wq->waiters);
}

/**
 * prepare_to_wait - queue the current thread on wq (if not already queued)
 * and mark it BLOCKED, so that a wake-up from now on is not lost.
 */
void prepare_to_wait(struct wait_queue *wq, struct waiter *w)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	if (!w->queued) {
		w->thread = current_thread();
		w->queued = true;
		list_add_tail(&wq->waiters, &w->node);
	}
	sched_set_blocked();
	spin_unlock_irqrestore(&wq->lock, flags);
	/*
	 * Order the queueing before the caller's test of its condition even
	 * when that test is a plain load (a failed trylock): wakers that look
	 * for waiters without the lock (wait_queue_maybe_active) rely on it.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/** finish_wait - leave wq and become RUNNING again. */
void finish_wait(struct wait_queue *wq, struct waiter *w)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	if (w->queued) {
		list_del(&w->node);
		w->queued = false;
	}
	spin_unlock_irqrestore(&wq->lock, flags);
	sched_set_running();
}

static void wake_waiters(struct wait_queue *wq, bool all)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	while (!list_empty(&wq->waiters)) {
		struct waiter *w = list_first_entry(&wq->waiters, struct waiter, node);
		list_del(&w->node);
		w->queued = false;
		sched_wake(w->thread);
		if (!all)
			break;
	}
	spin_unlock_irqrestore(&wq->lock, flags);
}

void wake_up_one(struct wait_queue *wq) { wake_waiters(wq, false); }
void wake_up_all(struct wait_queue *wq) { wake_waiters(wq, true); }

bool wait_queue_active(struct wait_queue *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	bool active = !list_empty(&wq->waiters);

	spin_unlock_irqrestore(&wq->lock, flags);
	return active;
}

/* --------------------------------------------------------------- mutex */

void mutex_init(struct mutex *m, const char *name)
{
	m->owner = NULL;
	m->name = name;
	wait_queue_init(&m->wq);
}

/* The inline mutex_lock's try failed: a recursion, or a wait. */
void mutex_lock_slow(struct mutex *m)
{
	if (unlikely(READ_ONCE(m->owner) == current_thread()))
		panic("mutex '%s' locked twice by thread '%s'", m->name,
		      current_thread()->name);
	wait_event(&m->wq, mutex_trylock(m));
}

void mutex_not_owner(const struct mutex *m)
{
	panic("mutex '%s' unlocked by '%s', which does not hold it",
	      m->name, current_thread()->name);
}

bool mutex_held_by_me(const struct mutex *m)
{
	return READ_ONCE(m->owner) == current_thread();
}

/* --------------------------------------------------------------- rwsem */

void rwsem_init(struct rwsem *s, const char *name)
{
	s->state = 0;
	s->writer = NULL;
	s->name = name;
	wait_queue_init(&s->wq);
}

bool down_read_trylock(struct rwsem *s)
{
	uint64_t v = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

	do {
		if (v & ~RWSEM_READERS)		/* a writer holds or waits */
			return false;
		if ((v & RWSEM_READERS) == RWSEM_READERS)
			panic("rwsem '%s': too many readers", s->name);
	} while (!__atomic_compare_exchange_n(&s->state, &v, v + 1, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

void down_read(struct rwsem *s)
{
	if (unlikely(READ_ONCE(s->writer) == current_thread()))
		panic("rwsem '%s': read lock while holding it for write", s->name);
	wait_event(&s->wq, down_read_trylock(s));
}

void up_read(struct rwsem *s)
{
	/* A fetch-sub: a full barrier before wait_queue_maybe_active(). */
	uint64_t old = __atomic_fetch_sub(&s->state, 1, __ATOMIC_RELEASE);

	if (unlikely((old & RWSEM_READERS) == 0))
		panic("rwsem '%s': up_read without readers", s->name);
	if ((old & RWSEM_READERS) == 1 && wait_queue_maybe_active(&s->wq))
		wake_up_all(&s->wq);
}

/* Take it for write if free; `queued` says this writer is counted among
 * the waiting ones (and stops being counted when it gets the lock). */
static bool write_trylock(struct rwsem *s, bool queued)
{
	uint64_t v = __atomic_load_n(&s->state, __ATOMIC_RELAXED), nv;

	do {
		if (v & (RWSEM_WRITER | RWSEM_READERS))
			return false;
		nv = (v | RWSEM_WRITER) - (queued ? RWSEM_WAITING_ONE : 0);
	} while (!__atomic_compare_exchange_n(&s->state, &v, nv, true,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	s->writer = current_thread();
	return true;
}

bool down_write_trylock(struct rwsem *s)
{
	return write_trylock(s, false);
}

/* The inline down_write found the lock taken or wanted. */
void down_write_slow(struct rwsem *s)
{
	if (unlikely(READ_ONCE(s->writer) == current_thread()))
		panic("rwsem '%s' write-locked twice by '%s'", s->name,
		      current_thread()->name);
	if (write_trylock(s, false))
		return;
	__atomic_fetch_add(&s->state, RWSEM_WAITING_ONE, __ATOMIC_RELAXED);
	wait_event(&s->wq, write_trylock(s, true));
}

void rwsem_not_writer(const struct rwsem *s)
{
	panic("rwsem '%s': up_write by a thread that does not hold it", s->name);
}

bool rwsem_is_write_locked_by_me(struct rwsem *s)
{
	return READ_ONCE(s->writer) == current_thread();
}

bool rwsem_is_locked(struct rwsem *s)
{
	return __atomic_load_n(&s->state, __ATOMIC_RELAXED) & (RWSEM_WRITER | RWSEM_READERS);
}

/* Held for read by someone, or for write by the caller: the most a count
 * of readers can say about the caller (sync.h, "lock assertions"). */
bool rwsem_held(struct rwsem *s)
{
	uint64_t v = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

	if (v & RWSEM_READERS)
		return true;
	return (v & RWSEM_WRITER) && READ_ONCE(s->writer) == current_thread();
}

/* ----------------------------------------------------- lock assertions */

/* The one thread catching its own assertion failures (lock_assert_catch). */
static struct {
	struct thread *thread;
	struct kjmp_buf *jb;
	char *msg;
	size_t size;
} catcher;

void lock_assert_failed(const char *kind, const char *name, const char *want,
			const char *func)
{
	if (catcher.thread && catcher.thread == current_thread()) {
		snprintf(catcher.msg, catcher.size, "lock check failed in %s(): %s '%s' %s",
			 func, kind, name ? name : "?", want);
		klongjmp(catcher.jb, 1);
	}
	panic("lock check failed in %s(): %s '%s' %s", func, kind, name ? name : "?", want);
}

bool lock_assert_catch(void (*fn)(void *arg), void *arg, char *msg, size_t size)
{
	struct kjmp_buf jb;
	volatile bool caught = false;

	msg[0] = '\0';
	catcher.msg = msg;
	catcher.size = size;
	catcher.jb = &jb;
	if (ksetjmp(&jb) == 0) {
		WRITE_ONCE(catcher.thread, current_thread());
		fn(arg);
	} else {
		caught = true;
	}
	WRITE_ONCE(catcher.thread, NULL);
	return caught;
}

/* ---------------------------------------------------------- completion */

#define COMPLETE_ALL	(~0u / 2)

void completion_init(struct completion *c)
{
	spin_lock_init(&c->lock, "completion");
	c->done = 0;
	wait_queue_init(&c->wq);
}

void complete(struct completion *c)
{
	unsigned long f = spin_lock_irqsave(&c->lock);

	if (c->done != COMPLETE_ALL)
		c->done++;
	spin_unlock_irqrestore(&c->lock, f);
	wake_up_one(&c->wq);
}

void complete_all(struct completion *c)
{
	unsigned long f = spin_lock_irqsave(&c->lock);

	c->done = COMPLETE_ALL;
	spin_unlock_irqrestore(&c->lock, f);
	wake_up_all(&c->wq);
}

static bool try_consume(struct completion *c)
{
	unsigned long f = spin_lock_irqsave(&c->lock);
	bool ok = c->done > 0;

	if (ok && c->done != COMPLETE_ALL)
		c->done--;
	spin_unlock_irqrestore(&c->lock, f);
	return ok;
}

void wait_for_completion(struct completion *c)
{
	wait_event(&c->wq, try_consume(c));
}

int wait_for_completion_timeout(struct completion *c, uint64_t timeout_ns)
{
	return wait_event_timeout(&c->wq, try_consume(c), timeout_ns);
}

int wait_for_completion_interruptible(struct completion *c)
{
	return wait_event_interruptible(&c->wq, try_consume(c));
}

bool completion_done(struct completion *c)
{
	return READ_ONCE(c->done) > 0;
}

/* ------------------------------------------------------------ wait_var */

#define VAR_WAIT_BITS	6
#define VAR_WAIT_QUEUES	(1u << VAR_WAIT_BITS)

static struct wait_queue var_queues[VAR_WAIT_QUEUES];
static bool var_queues_ready;

void sync_init(void)
{
	for (unsigned i = 0; i < VAR_WAIT_QUEUES; i++)
		wait_queue_init(&var_queues[i]);
	var_queues_ready = true;
}

/**
 * var_wait_queue - the wait queue that wait_var_event/wake_up_var use for
 * the variable at var.  Several variables share one queue; waiters re-check
 * their own condition, so a neighbour's wake-up only costs a recheck.
 */
struct wait_queue *var_wait_queue(const volatile void *var)
{
	uint64_t h = (uint64_t)var * 0x9E3779B97F4A7C15ULL;	/* Fibonacci hashing */

	BUG_ON(!var_queues_ready);
	return &var_queues[h >> (64 - VAR_WAIT_BITS)];
}

void wake_up_var(const volatile void *var)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wake_up_all(var_wait_queue(var));
}
