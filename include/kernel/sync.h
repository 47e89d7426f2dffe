/*
 * sync.h - spinlocks, wait queues, mutexes, reader/writer semaphores,
 * completions and wait-on-variable.
 *
 * All of it is SMP-safe (real atomics; nothing relies on "interrupts off
 * means exclusive").
 *
 *  spinlock_t   busy-waits; disables preemption while held.  The _irqsave
 *               variants also disable interrupts and must be used for any
 *               lock an interrupt handler takes.  Taking a lock the CPU
 *               already holds panics (it would deadlock).
 *  wait_queue   threads sleeping until a condition holds; wait_event()
 *               re-checks the condition after every wake-up, so spurious
 *               wake-ups are harmless.  The _interruptible waits also end
 *               with -EINTR when the thread is interrupted (Ctrl-C on the
 *               shell: thread_interrupt() in sched.h).
 *  mutex        sleeping lock with an owner; unlock by a non-owner or a
 *               recursive lock panics.  Thread context only.
 *  rwsem        sleeping reader/writer lock; waiting writers block new
 *               readers (no writer starvation).  Thread context only.
 *  completion   "this happened" events, counted.
 *  wait_var     sleep until a condition on a variable holds, woken by
 *               whoever changes it calling wake_up_var(&var) (a hashed table
 *               of wait queues, so no per-variable storage is needed).
 *  assert_held  a function's "caller holds X", checked in the debug kernel
 *               ("lock assertions" below).
 *
 * Each section says which contexts may call its functions.
 */
#ifndef KERNEL_SYNC_H
#define KERNEL_SYNC_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <lib/list.h>
#include <lib/compiler.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <lib/errno.h>

struct thread;

/* ------------------------------------------------------------- spinlock */
typedef struct spinlock {
	uint32_t next;		/* ticket handed to the next locker */
	uint32_t serving;	/* ticket now allowed in */
	int owner_cpu;		/* -1 when free; for the recursion check */
	const char *name;
} spinlock_t;

#define SPINLOCK_INIT(n) { .next = 0, .serving = 0, .owner_cpu = -1, .name = (n) }

/*
 * Spinlocks: any context (an interrupt handler too, with the _irqsave
 * pair on every path that takes the lock); never sleep while holding one.
 * None returns an error: misuse panics naming the lock (taking one this
 * CPU holds, releasing one it does not hold).
 */
/** spin_lock_init - @name shows in panics; SPINLOCK_INIT() for static ones. */
void spin_lock_init(spinlock_t *l, const char *name);
/** spin_lock - spin until @l is ours (FIFO); preemption stays off until unlock. */
void spin_lock(spinlock_t *l);
/** spin_unlock - release @l, which this CPU holds; preemption back on. */
void spin_unlock(spinlock_t *l);
/** spin_trylock - take @l if free: true then (unlock it), false at once otherwise. */
bool spin_trylock(spinlock_t *l);
/**
 * spin_lock_irqsave - interrupts off on this CPU, then spin_lock(); returns
 * the interrupt state for spin_unlock_irqrestore().  For locks an
 * interrupt handler also takes.
 */
unsigned long spin_lock_irqsave(spinlock_t *l);
/** spin_unlock_irqrestore - release @l, then restore @flags' interrupt state. */
void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags);
/** spin_held_by_me - does this CPU hold @l?  For assertions (assert_held). */
bool spin_held_by_me(const spinlock_t *l);

/*
 * preempt_disable / preempt_enable - nest; while the count is not zero the
 * thread stays on this CPU (interrupts still come).  preempt_enable() may
 * switch threads when the count drops to zero.  Any context; no sleeping
 * in between.
 */
void preempt_disable(void);
void preempt_enable(void);

/* ----------------------------------------------------------- wait queue */
struct wait_queue {
	spinlock_t lock;
	struct list_node waiters;	/* struct waiter, guarded by lock */
};

struct waiter {
	struct thread *thread;
	struct list_node node;
	bool queued;			/* guarded by the queue's lock */
};

#define WAIT_QUEUE_INIT(wq, n) { .lock = SPINLOCK_INIT(n), .waiters = LIST_INIT((wq).waiters) }

/*
 * Wait queues: the queue's own spinlock (irqsave) guards its list, so the
 * wake-ups are safe from any context, interrupt handlers included; the
 * waits (prepare_to_wait..finish_wait, the wait_event family below) are
 * for thread context with no spinlock held.  Nothing here returns an error.
 */
/** wait_queue_init - an empty queue; WAIT_QUEUE_INIT() for static ones. */
void wait_queue_init(struct wait_queue *wq);
/**
 * prepare_to_wait - queue the calling thread on @wq (once) and mark it
 * BLOCKED, so that a wake-up from now on is not lost; then test the
 * condition and schedule() if it is false.  Thread context.
 */
void prepare_to_wait(struct wait_queue *wq, struct waiter *w);
/** finish_wait - leave @wq (if still queued) and become RUNNING again. */
void finish_wait(struct wait_queue *wq, struct waiter *w);
/** wake_up_one - wake the oldest waiter of @wq, if any.  Any context. */
void wake_up_one(struct wait_queue *wq);
/** wake_up_all - wake every waiter of @wq.  Any context. */
void wake_up_all(struct wait_queue *wq);
/** wait_queue_active - is anyone queued on @wq (a snapshot)?  Any context. */
bool wait_queue_active(struct wait_queue *wq);

/*
 * Without taking wq->lock: may someone be queued?  Only for a waker that
 * made its change visible with a full barrier (an atomic read-modify-write
 * or the waiter's own lock) before asking, while every waiter queues
 * itself before testing the condition with such a barrier: then either
 * the waiter sees the change, or this sees the waiter.  The common,
 * uncontended unlock then costs no lock at all.
 */
static inline bool wait_queue_maybe_active(struct wait_queue *wq)
{
	return READ_ONCE(wq->waiters.next) != &wq->waiters;
}

/* Sleep (in schedule) until woken or until the absolute deadline passes.
 * Returns false if the deadline passed.  Internal to wait_event_timeout. */
bool sched_sleep_until(uint64_t deadline_ns);
/* schedule - give up the CPU (kernel/sched.c documents it). */
void schedule(void);

/*
 * wait_event - sleep until cond is true.  Thread context, no spinlocks held.
 * cond is evaluated with the thread already queued, so a wake-up between
 * the check and the sleep is never lost.
 */
#define wait_event(wq, cond) do {					\
	if (cond)							\
		break;							\
	struct waiter __w = { 0 };					\
	for (;;) {							\
		prepare_to_wait((wq), &__w);				\
		if (cond)						\
			break;						\
		schedule();						\
	}								\
	finish_wait((wq), &__w);					\
} while (0)

/*
 * wait_event_timeout - as wait_event, but give up after timeout_ns.
 * Evaluates to 0 when cond became true, -ETIMEDOUT (-110) otherwise.
 */
#define wait_event_timeout(wq, cond, timeout_ns) ({			\
	int __ret = 0;							\
	if (!(cond)) {							\
		uint64_t __dl = time_ns() + (timeout_ns);		\
		struct waiter __w = { 0 };				\
		for (;;) {						\
			prepare_to_wait((wq), &__w);			\
			if (cond)					\
				break;					\
			if (!sched_sleep_until(__dl)) {			\
				__ret = (cond) ? 0 : -110;		\
				break;					\
			}						\
		}							\
		finish_wait((wq), &__w);				\
	}								\
	__ret;								\
})

uint64_t time_ns(void);

/* Has the current thread an interrupt pending?  (sched.h, kernel/sched.c) */
bool thread_interrupted(void);

/*
 * The rule of every interruptible wait: the condition first, then the
 * interrupt.  It returns 0 when the condition holds (even if an interrupt
 * is pending too), -EINTR when the thread is interrupted before the
 * condition holds: at once if an interrupt is already pending, or when
 * thread_interrupt() wakes it.  The pending mark is left set (sched.h).
 */

/*
 * wait_event_interruptible - as wait_event; evaluates to 0 once cond is
 * true or -EINTR when the thread is interrupted first.  Thread context, no
 * spinlocks held.
 */
#define wait_event_interruptible(wq, cond) ({				\
	int __ret = 0;							\
	if (!(cond)) {							\
		struct waiter __w = { 0 };				\
		for (;;) {						\
			prepare_to_wait((wq), &__w);			\
			if (cond)					\
				break;					\
			if (thread_interrupted()) {			\
				__ret = -EINTR;				\
				break;					\
			}						\
			schedule();					\
		}							\
		finish_wait((wq), &__w);				\
	}								\
	__ret;								\
})

/*
 * wait_event_interruptible_timeout - both: 0, -ETIMEDOUT after timeout_ns,
 * or -EINTR.
 */
#define wait_event_interruptible_timeout(wq, cond, timeout_ns) ({	\
	int __ret = 0;							\
	if (!(cond)) {							\
		uint64_t __dl = time_ns() + (timeout_ns);		\
		struct waiter __w = { 0 };				\
		for (;;) {						\
			prepare_to_wait((wq), &__w);			\
			if (cond)					\
				break;					\
			if (thread_interrupted()) {			\
				__ret = -EINTR;				\
				break;					\
			}						\
			if (!sched_sleep_until(__dl)) {			\
				__ret = (cond) ? 0 : -ETIMEDOUT;	\
				break;					\
			}						\
		}							\
		finish_wait((wq), &__w);				\
	}								\
	__ret;								\
})

/* ----------------------------------------------------------------- mutex */
struct mutex {
	struct thread *owner;		/* NULL when free; atomic */
	const char *name;
	struct wait_queue wq;
};

/*
 * Mutexes: thread context only, no spinlock held (mutex_lock sleeps);
 * never from an interrupt handler.  No errors: locking one the thread
 * holds, or unlocking one it does not, panics naming the mutex.
 */
/** mutex_init - a free mutex; @name shows in panics and lock checks. */
void mutex_init(struct mutex *m, const char *name);
/** mutex_held_by_me - does the calling thread hold @m?  Any context. */
bool mutex_held_by_me(const struct mutex *m);
/* The out-of-line halves of mutex_lock/mutex_unlock: not for callers. */
void mutex_lock_slow(struct mutex *m);
void mutex_not_owner(const struct mutex *m) __attribute__((noreturn));

/*
 * The uncontended paths of the mutex and the rwsem are inline: under
 * QEMU's TCG every call and return costs a trip through its translation
 * lookup (~20 cycles each), and a 4 KiB file write takes two of these
 * locks.  Waiting, waking and the panics for misuse are out of line, in
 * sync.c.
 */
/** mutex_trylock - take @m if free: true then, false at once otherwise.  Never sleeps. */
static inline bool mutex_trylock(struct mutex *m)
{
	struct thread *none = NULL;

	return __atomic_compare_exchange_n(&m->owner, &none, percpu_current(), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/**
 * mutex_lock - take @m, sleeping while another thread holds it (FIFO
 * wake-ups, not strictly fair).  A failed try is either a wait or a
 * recursion (the slow path panics).
 */
static inline void mutex_lock(struct mutex *m)
{
	if (unlikely(!mutex_trylock(m)))
		mutex_lock_slow(m);
}

/** mutex_unlock - release @m, which the calling thread holds; wakes one waiter. */
static inline void mutex_unlock(struct mutex *m)
{
	if (unlikely(READ_ONCE(m->owner) != percpu_current()))
		mutex_not_owner(m);
	/* An exchange, not a store: a full barrier before the waiter check,
	 * against mutex_trylock()'s compare-exchange in a waiter that has
	 * already queued itself (wait_queue_maybe_active() says why). */
	(void)__atomic_exchange_n(&m->owner, NULL, __ATOMIC_SEQ_CST);
	if (unlikely(wait_queue_maybe_active(&m->wq)))
		wake_up_one(&m->wq);
}

/* ----------------------------------------------------------------- rwsem */
/*
 * One atomic word holds the whole state, so an uncontended down_read /
 * up_read is one compare-exchange / one fetch-sub (no lock, interrupts
 * untouched): bits 0-31 count readers, bit 32 is the writer, bits 33-63
 * count writers waiting (which keep new readers out: writers are not
 * starved).  writer is for the owner checks only.
 */
#define RWSEM_READERS		0xffffffffull
#define RWSEM_WRITER		(1ull << 32)
#define RWSEM_WAITING_ONE	(1ull << 33)

struct rwsem {
	uint64_t state;			/* atomic: see above */
	struct thread *writer;		/* the holder for write, or NULL */
	const char *name;
	struct wait_queue wq;
};

/*
 * Reader/writer semaphores: thread context only, no spinlock held (the
 * waits sleep).  No errors: a write lock taken twice by one thread, a read
 * lock taken by the thread holding it for write, and an up_write by
 * another thread panic naming the rwsem.  A thread may hold it for read
 * more than once, but a writer waiting between the two would deadlock it.
 */
/** rwsem_init - a free rwsem; @name shows in panics and lock checks. */
void rwsem_init(struct rwsem *s, const char *name);
/** down_read - take @s shared, sleeping while a writer holds or waits for it. */
void down_read(struct rwsem *s);
/** down_read_trylock - take @s shared if no writer holds or waits: true then. */
bool down_read_trylock(struct rwsem *s);
/** up_read - drop a shared hold; the last reader wakes the waiting writers. */
void up_read(struct rwsem *s);
/** down_write_trylock - take @s exclusive if free: true then.  Never sleeps. */
bool down_write_trylock(struct rwsem *s);
/* The out-of-line halves of down_write/up_write: not for callers. */
void down_write_slow(struct rwsem *s);
void rwsem_not_writer(const struct rwsem *s) __attribute__((noreturn));

/**
 * down_write - take @s exclusive, sleeping until no reader or writer holds
 * it.  Free (no reader, no writer, none waiting): one compare-exchange.
 * Else the slow path waits, or panics on a recursion.
 */
static inline void down_write(struct rwsem *s)
{
	uint64_t free = 0;

	if (likely(__atomic_compare_exchange_n(&s->state, &free, RWSEM_WRITER, false,
					       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)))
		s->writer = percpu_current();
	else
		down_write_slow(s);
}

/** up_write - release @s, which the calling thread holds for write; wakes all waiters. */
static inline void up_write(struct rwsem *s)
{
	if (unlikely(s->writer != percpu_current()))
		rwsem_not_writer(s);
	s->writer = NULL;
	/* A fetch-and: a full barrier before the waiter check. */
	__atomic_fetch_and(&s->state, ~RWSEM_WRITER, __ATOMIC_RELEASE);
	if (unlikely(wait_queue_maybe_active(&s->wq)))
		wake_up_all(&s->wq);
}
/* For assertions (any context, a snapshot): held for write by the caller;
 * held at all by anyone; held for read by anyone or for write by the
 * caller (the most a reader count can say: see "lock assertions"). */
bool rwsem_is_write_locked_by_me(struct rwsem *s);
bool rwsem_is_locked(struct rwsem *s);
bool rwsem_held(struct rwsem *s);

/* ------------------------------------------------------------ completion */
struct completion {
	spinlock_t lock;
	unsigned done;
	struct wait_queue wq;
};

/*
 * Completions: complete() and complete_all() from any context (interrupt
 * handlers too); the waits from thread context, no spinlock held.
 */
/** completion_init - nothing completed yet. */
void completion_init(struct completion *c);
/** complete - count one event and wake one waiter.  Any context. */
void complete(struct completion *c);
/** complete_all - every wait, now and later, returns at once.  Any context. */
void complete_all(struct completion *c);
/** wait_for_completion - sleep until an event is counted, and consume it. */
void wait_for_completion(struct completion *c);
/** wait_for_completion_timeout - as above: 0, or -ETIMEDOUT (nothing consumed). */
int wait_for_completion_timeout(struct completion *c, uint64_t timeout_ns);
/** wait_for_completion_interruptible - 0, or -EINTR (nothing consumed) when the thread is interrupted first. */
int wait_for_completion_interruptible(struct completion *c);
/** completion_done - is an event waiting to be consumed (a snapshot)?  Any context. */
bool completion_done(struct completion *c);

/* ------------------------------------------------------- lock assertions */
/*
 * The "caller holds X" of a function's comment, checked: the first line of
 * such a function is assert_held(&X) (or assert_held_write() for a rwsem
 * taken exclusive, assert_not_held() for "must not hold").  They cost
 * nothing unless the build asks for them: the debug kernel (DEBUG=1, which
 * defines KDEBUG; `make test` boots one: build/debug/holdfast.elf) or a
 * build with LOCK_ASSERTS defined.  Otherwise the condition is still
 * compiled (so it keeps up with the code) and then dropped.  A failure
 * panics, naming the lock, what was wanted and the function:
 *
 *	PANIC: lock check failed in hfs_map(): rwsem 'hfs_layout' not held
 *
 * What "held" can mean, per kind of lock:
 *   spinlock_t     held by this CPU (spin_held_by_me);
 *   struct mutex   held by this thread (mutex_held_by_me);
 *   struct rwsem   assert_held: held for read by some thread or for write
 *                  by this one (rwsem_held: readers are counted, not
 *                  named, so a reader cannot be told apart from another);
 *                  assert_held_write: held for write by this thread.
 * assert_not_held takes a spinlock or a mutex (whether this thread reads
 * a rwsem cannot be known).
 */
#if defined(KDEBUG) || defined(LOCK_ASSERTS)
#define LOCK_ASSERTS_ON 1
#else
#define LOCK_ASSERTS_ON 0
#endif

void lock_assert_failed(const char *kind, const char *name, const char *want,
			const char *func) __noreturn;

#define lock_kind_(l) _Generic((l), spinlock_t *: "spinlock",			\
			       struct mutex *: "mutex", struct rwsem *: "rwsem")
#define lock_held_(l) _Generic((l), spinlock_t *: spin_held_by_me,		\
			       struct mutex *: mutex_held_by_me,		\
			       struct rwsem *: rwsem_held)(l)

#define assert_held(l) do {							\
	if (LOCK_ASSERTS_ON && unlikely(!lock_held_(l)))			\
		lock_assert_failed(lock_kind_(l), (l)->name, "not held", __func__); \
} while (0)

#define assert_held_write(s) do {						\
	if (LOCK_ASSERTS_ON && unlikely(!rwsem_is_write_locked_by_me(s)))	\
		lock_assert_failed("rwsem", (s)->name,				\
				   "not held for write by this thread", __func__); \
} while (0)

#define assert_not_held(l) do {							\
	if (LOCK_ASSERTS_ON && unlikely(_Generic((l), spinlock_t *: spin_held_by_me, \
						 struct mutex *: mutex_held_by_me)(l))) \
		lock_assert_failed(lock_kind_(l), (l)->name, "held, and must not be", \
				   __func__);					\
} while (0)

/*
 * lock_assert_catch - for the tests of the assertions themselves: run
 * fn(arg) in the calling thread; a lock assertion that fails in it (in
 * this thread, not others) does not panic but ends fn and comes back here.
 * Returns true then, with the panic's message in @msg (@size bytes).
 * Only one thread at a time may use it; fn must hold no lock when its
 * assertion fires other than those the test itself releases afterwards.
 */
bool lock_assert_catch(void (*fn)(void *arg), void *arg, char *msg, size_t size);

/* -------------------------------------------------------------- wait_var */
/* sync_init - set up the wait_var queues.  kmain, once, before threads. */
void sync_init(void);
/*
 * wait_var: the waits are wait_event's (thread context, no spinlock held);
 * wake_up_var(&var) may be called from any context, after the change to
 * var is made (it orders the change before its look for waiters).
 */
/** var_wait_queue - the (shared) queue the waits on @var use.  Any context. */
struct wait_queue *var_wait_queue(const volatile void *var);
/** wake_up_var - wake whoever waits on @var.  Any context. */
void wake_up_var(const volatile void *var);
#define wait_var_event(var, cond) wait_event(var_wait_queue(var), cond)
#define wait_var_event_timeout(var, cond, ns) wait_event_timeout(var_wait_queue(var), cond, ns)
#define wait_var_event_interruptible(var, cond) \
	wait_event_interruptible(var_wait_queue(var), cond)
#define wait_var_event_interruptible_timeout(var, cond, ns) \
	wait_event_interruptible_timeout(var_wait_queue(var), cond, ns)

#endif
