/*
 * sched.c - kernel threads, the run queue and context switching.
 *
 * One run queue for all CPUs (a FIFO: round robin with 10 ms slices),
 * guarded by rq_lock.  rq_lock is taken with interrupts off, held across
 * context_switch(), and released by the thread switched to (in
 * finish_switch), so no other CPU can pick up a thread whose registers are
 * still being saved.
 *
 * Wake-ups and the "about to sleep" race: a thread that sleeps first puts
 * itself on a wait queue and sets THREAD_BLOCKED (prepare_to_wait, with
 * preemption off), then checks its condition, then calls schedule().  A
 * waker sets it back to RUNNING/RUNNABLE under rq_lock, so schedule() sees
 * that and does not sleep.  If the thread is preempted between setting
 * BLOCKED and checking the condition, the preemption path treats it as
 * runnable (sched_preempt) so it goes back to check its condition; it must
 * not sleep there, because it has not looked at the condition yet.
 */
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/mm.h>
#include <kernel/vmap.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/boot.h>
#include <arch/x86_64/switch.h>
#include <lib/string.h>
#include <lib/printf.h>
#include <lib/errno.h>

static spinlock_t rq_lock = SPINLOCK_INIT("runqueue");
static struct list_node run_queue = LIST_INIT(run_queue);	/* rq_lock */

static spinlock_t threads_lock = SPINLOCK_INIT("threads");
static struct list_node all_threads = LIST_INIT(all_threads);	/* threads_lock */
static struct list_node dead_threads = LIST_INIT(dead_threads); /* threads_lock */
static unsigned nthreads;					/* threads_lock */
/* Threads between thread_exit_begin() and the finish_switch() that lets
 * go of them: still freeing their things, or on their stacks, so not yet
 * reapable.  Atomic. */
static int exiting_threads;
#define REAP_WAIT_MS	100
static unsigned next_thread_id;					/* threads_lock */

static struct thread boot_thread;

/* Per-CPU: the thread we just switched away from, for finish_switch. */
static struct thread *switch_prev[MAX_CPUS];

static void thread_free(struct thread *t);
static void thread_trampoline(void);

const char *sched_thread_name(const struct thread *t)
{
	return t ? t->name : "?";
}

const char *thread_state_name(enum thread_state s)
{
	static const char *const names[] = { "running", "runnable", "blocked", "dead" };
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

/* Caller holds rq_lock. */
static void enqueue(struct thread *t)
{
	assert_held(&rq_lock);
	t->state = THREAD_RUNNABLE;
	list_add_tail(&run_queue, &t->rq_node);
}

/* First runnable thread allowed on this CPU, or the CPU's idle thread.
 * Caller holds rq_lock. */
static struct thread *pick_next(struct cpu *c)
{
	struct thread *t;

	assert_held(&rq_lock);
	list_for_each_entry(t, &run_queue, rq_node) {
		if (t->affinity == AFFINITY_ANY || t->affinity == (int)c->id) {
			list_del(&t->rq_node);
			return t;
		}
	}
	return c->idle;
}

/* Caller holds rq_lock: another CPU's idle thread may have work now. */
static void kick_idle_cpus(struct thread *t)
{
	assert_held(&rq_lock);
	for (unsigned i = 0; i < ncpus; i++) {
		struct cpu *c = &cpus[i];
		if (!c->online || c->current != c->idle)
			continue;
		if (t->affinity != AFFINITY_ANY && t->affinity != (int)i)
			continue;
		c->need_resched = true;
		if (c != this_cpu())
			sched_kick_cpu(c);
		return;
	}
}

/* Drop one reference; on the last, unlink the thread from the list of all
 * threads and return true: the caller frees it, or (@to_reap) it goes on
 * the dead list in the same hold of threads_lock, so that it is always on
 * one list or the other for sched_reap_dead(). */
static bool thread_unref_to(struct thread *t, bool to_reap)
{
	bool last;

	spin_lock(&threads_lock);
	last = --t->refs == 0;
	if (last) {
		list_del(&t->all_node);
		nthreads--;
		if (to_reap)
			list_add_tail(&dead_threads, &t->all_node);
	}
	spin_unlock(&threads_lock);
	return last;
}

static bool thread_unref(struct thread *t)
{
	return thread_unref_to(t, false);
}

/*
 * finish_switch - first thing a thread does after being switched to: let go
 * of the previous thread and release rq_lock (taken by whoever switched).
 * An exited thread drops its own reference here, once it is off its stack.
 */
static void finish_switch(void)
{
	struct cpu *c = this_cpu();
	struct thread *prev = switch_prev[c->id];
	bool dead = prev->state == THREAD_DEAD;

	prev->on_cpu = false;
	spin_unlock(&rq_lock);
	if (dead) {
		thread_unref_to(prev, true);
		__atomic_fetch_sub(&exiting_threads, 1, __ATOMIC_RELEASE);
	}
}

/*
 * __schedule - pick the next thread and switch to it.
 *
 * The whole of it runs with interrupts off, and rq_lock is released with
 * interrupts still off, so releasing it never preempts (that used to recurse:
 * __schedule -> spin_unlock_irqrestore -> preempt_enable -> sched_preempt ->
 * __schedule, one level per timer tick pending at the STI, until the stack
 * overflowed into a double fault on a slow machine).  A need_resched raised
 * meanwhile (by another CPU's kick, or an interrupt taken before we disabled
 * them) is served by going round again here, not by nesting; interrupts come
 * back on only at the end, so an interrupt there preempts at most one level
 * deeper, and that level returns with interrupts off.
 */
static void __schedule(bool preempt)
{
	struct cpu *c;
	struct thread *prev, *next;
	unsigned long flags = irq_save();
	struct thread *me = this_cpu()->current;
	uint64_t now;

	/* An interrupt at our final STI may preempt once more (two frames);
	 * anything deeper is the recursion described above. */
	if (++me->sched_depth > 2)
		panic("__schedule nested %u deep on thread '%s'", me->sched_depth, me->name);
	for (;;) {
		spin_lock(&rq_lock);
		now = time_ns();
		c = this_cpu();
		prev = c->current;
		c->need_resched = false;
		if (prev->state == THREAD_RUNNING || (preempt && prev->state == THREAD_BLOCKED)) {
			/* Still runnable (a time slice ran out, or a preempted
			 * sleeper that has not checked its condition yet). */
			if (prev != c->idle)
				enqueue(prev);
			else
				prev->state = THREAD_RUNNABLE;
		}
		next = pick_next(c);
		if (next == prev) {
			/* Nobody else may run here: a fresh slice, so the tick
			 * does not ask again at every interrupt. */
			prev->state = THREAD_RUNNING;
			prev->slice_ticks = 0;
			spin_unlock(&rq_lock);	/* interrupts off: no preemption */
		} else {
			prev->runtime_ns += now - prev->slice_start_ns;
			next->state = THREAD_RUNNING;
			next->on_cpu = true;
			next->cpu = (int)c->id;
			next->switches++;
			next->slice_start_ns = now;
			next->slice_ticks = 0;
			c->current = next;
			c->context_switches++;
			switch_prev[c->id] = prev;
			arch_thread_switch(prev, next);
			context_switch(&prev->rsp, next->rsp);
			/* prev runs again here, possibly on another CPU. */
			finish_switch();
		}
		c = this_cpu();
		if (!READ_ONCE(c->need_resched) || c->preempt_count != 0)
			break;
		preempt = true;
	}
	me->sched_depth--;
	irq_restore(flags);
}

/**
 * schedule - give up the CPU.  If the current thread is RUNNING it goes to
 * the back of the run queue; if it is BLOCKED it sleeps until sched_wake().
 * Must not be called with a spinlock held (other than by the scheduler).
 */
void schedule(void)
{
	unsigned long f = irq_save();	/* read our own CPU's count */
	bool bad = this_cpu()->preempt_count > 0;

	irq_restore(f);
	if (WARN_ON(bad))
		return;
	__schedule(false);
}

/* Preemption from the interrupt-return path (arch/x86_64/trap.c). */
void sched_preempt(void)
{
	__schedule(true);
}

void yield(void)
{
	schedule();
}

/**
 * sched_wake - make a BLOCKED thread runnable.  Safe from interrupt
 * handlers and from any CPU; a no-op for a thread that is not blocked.
 */
void sched_wake(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);

	if (t->state == THREAD_BLOCKED) {
		if (t->on_cpu) {
			/* It has not switched away yet: schedule() will see this. */
			t->state = THREAD_RUNNING;
		} else {
			enqueue(t);
			kick_idle_cpus(t);
		}
	}
	spin_unlock_irqrestore(&rq_lock, flags);
}

void thread_interrupt(struct thread *t)
{
	/*
	 * The mark before the wake-up, with a full barrier: a waiter marks
	 * itself BLOCKED under rq_lock before it looks at the mark, so either
	 * it sees the mark, or sched_wake() (which takes rq_lock) sees it
	 * BLOCKED and wakes it.
	 */
	__atomic_store_n(&t->interrupt_pending, true, __ATOMIC_SEQ_CST);
	sched_wake(t);
}

bool thread_interrupted(void)
{
	return __atomic_load_n(&current_thread()->interrupt_pending, __ATOMIC_ACQUIRE);
}

bool thread_interrupt_clear(void)
{
	return __atomic_exchange_n(&current_thread()->interrupt_pending, false,
				   __ATOMIC_ACQ_REL);
}

/* Mark the current thread as about to sleep.  Caller has preemption off. */
void sched_set_blocked(void)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);
	current_thread()->state = THREAD_BLOCKED;
	spin_unlock_irqrestore(&rq_lock, flags);
}

/* Undo sched_set_blocked when the thread decided not to sleep. */
void sched_set_running(void)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);
	current_thread()->state = THREAD_RUNNING;
	spin_unlock_irqrestore(&rq_lock, flags);
}

static void sleep_timer_fn(void *arg)
{
	sched_wake(arg);
}

/**
 * sched_sleep_until - sleep in schedule() until woken or the deadline.
 * The caller has already marked itself BLOCKED (prepare_to_wait).
 * Returns false when the deadline has passed.
 */
bool sched_sleep_until(uint64_t deadline_ns)
{
	struct ktimer tm;

	if (time_ns() >= deadline_ns) {
		sched_set_running();
		return false;
	}
	ktimer_init(&tm, sleep_timer_fn, current_thread());
	ktimer_arm(&tm, deadline_ns);
	schedule();
	ktimer_cancel(&tm);
	return time_ns() < deadline_ns;
}

/* Sleep until the deadline; with @intr, stop early with -EINTR when the
 * thread is interrupted (looked at after marking it BLOCKED, so a
 * thread_interrupt() in between is not missed). */
static int sleep_until(uint64_t deadline, bool intr)
{
	while (time_ns() < deadline) {
		preempt_disable();
		sched_set_blocked();
		preempt_enable();
		if (intr && thread_interrupted()) {
			sched_set_running();
			return -EINTR;
		}
		sched_sleep_until(deadline);
	}
	return 0;
}

void thread_sleep_ns(uint64_t ns)
{
	sleep_until(time_ns() + ns, false);
}

int thread_sleep_interruptible_ns(uint64_t ns)
{
	if (thread_interrupted())
		return -EINTR;
	return sleep_until(time_ns() + ns, true);
}

/* ------------------------------------------------------------ threads */

static void thread_trampoline(void)
{
	finish_switch();
	irq_enable();
	struct thread *t = current_thread();
	t->fn(t->arg);
	thread_exit();
}

/* Reap exited threads nobody holds a reference to.  Thread context. */
static void reap_dead(void)
{
	for (;;) {
		struct thread *t = NULL;
		spin_lock(&threads_lock);
		if (!list_empty(&dead_threads)) {
			t = list_first_entry(&dead_threads, struct thread, all_node);
			list_del(&t->all_node);
		}
		spin_unlock(&threads_lock);
		if (!t)
			return;
		thread_free(t);
	}
}

static void thread_free(struct thread *t)
{
	vmap_free_stack(t->stack_base, t->stack_size);
	kfree(t);
}

/**
 * sched_reap_dead - free now the threads that have exited and that nobody
 * holds, instead of at the next thread_create().
 *
 * For memory reports (`mem`), whose figures should not depend on whether a
 * thread was created since the last exit.  A thread on its way out
 * (thread_exit_begin() called, and still on its stack until the switch
 * away from it is finished) is waited for, a millisecond at a time, up to
 * REAP_WAIT_MS; after that it is left for later.
 *
 * Context: thread; sleeps; takes threads_lock.
 */
void sched_reap_dead(void)
{
	for (int ms = 0; ms < REAP_WAIT_MS &&
	     __atomic_load_n(&exiting_threads, __ATOMIC_ACQUIRE) > 0; ms++)
		thread_sleep_ns(1000000);
	reap_dead();
}

static struct thread *thread_alloc(int cpu, const char *name, void (*fn)(void *), void *arg)
{
	struct thread *t;
	uint64_t *sp;

	reap_dead();
	t = kzalloc(sizeof(*t));
	if (!t)
		return NULL;
	t->stack_size = THREAD_STACK_SIZE;
	t->stack_base = vmap_alloc_stack(t->stack_size);
	if (!t->stack_base) {
		kfree(t);
		return NULL;
	}
	strlcpy(t->name, name, sizeof(t->name));
	t->fn = fn;
	t->arg = arg;
	t->affinity = cpu;
	t->refs = 2;			/* the thread itself + the creator */
	t->cpu = -1;
	t->state = THREAD_RUNNABLE;
	completion_init(&t->exited);

	/* Initial stack: context_switch pops six registers and returns to
	 * thread_trampoline with RSP 8 mod 16, as after a call. */
	sp = (uint64_t *)((char *)t->stack_base + t->stack_size);
	*--sp = 0;				/* fake return address */
	*--sp = (uint64_t)thread_trampoline;
	for (int i = 0; i < 6; i++)
		*--sp = 0;			/* rbp rbx r12 r13 r14 r15 */
	t->rsp = (uint64_t)sp;

	spin_lock(&threads_lock);
	t->id = ++next_thread_id;
	list_add_tail(&all_threads, &t->all_node);
	nthreads++;
	spin_unlock(&threads_lock);
	return t;
}

struct thread *thread_create_on(int cpu, const char *name, void (*fn)(void *), void *arg)
{
	struct thread *t = thread_alloc(cpu, name, fn, arg);

	if (t) {
		unsigned long flags = spin_lock_irqsave(&rq_lock);
		enqueue(t);
		kick_idle_cpus(t);
		spin_unlock_irqrestore(&rq_lock, flags);
	}
	return t;
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
	return thread_create_on(AFFINITY_ANY, name, fn, arg);
}

/**
 * thread_join - wait for t to exit, then give back the creator's reference
 * (freeing the thread).  t must not be used afterwards.
 */
void thread_join(struct thread *t)
{
	wait_for_completion(&t->exited);
	/* thread_exit completes before it switches away for the last time;
	 * the thread drops its own reference in finish_switch, once it is off
	 * its stack.  Then only ours is left. */
	while (__atomic_load_n(&t->refs, __ATOMIC_ACQUIRE) > 1)
		yield();
	if (thread_unref(t))
		thread_free(t);
}

/** thread_detach - give back the creator's reference without waiting. */
void thread_detach(struct thread *t)
{
	if (thread_unref(t))
		thread_free(t);
}

void thread_exit_begin(void)
{
	struct thread *t = current_thread();

	if (!t->exit_begun) {
		t->exit_begun = true;
		__atomic_fetch_add(&exiting_threads, 1, __ATOMIC_SEQ_CST);
	}
}

void thread_exit(void)
{
	struct thread *t = current_thread();

	thread_exit_begin();
	complete_all(&t->exited);
	irq_disable();
	spin_lock(&rq_lock);
	t->state = THREAD_DEAD;
	spin_unlock(&rq_lock);
	__schedule(false);
	panic("thread_exit: dead thread '%s' ran again", t->name);
}

/* ------------------------------------------------------------ per CPU */

static void idle_loop(void *unused)
{
	struct cpu *c = this_cpu();

	for (;;) {
		irq_disable();
		if (!c->need_resched && list_empty(&run_queue))
			irq_enable_and_halt();
		else
			irq_enable();
		schedule();
	}
}

static struct thread *make_idle_thread(struct cpu *c)
{
	char name[THREAD_NAME_MAX];
	struct thread *t;

	snprintf(name, sizeof(name), "idle/%u", c->id);
	t = thread_alloc((int)c->id, name, idle_loop, NULL);
	if (!t)
		panic("sched: no memory for the idle thread of CPU %u", c->id);
	return t;	/* never on the run queue: pick_next falls back to it */
}

void sched_init(void)
{
	struct cpu *c = this_cpu();
	struct thread *t = &boot_thread;

	strlcpy(t->name, "main", sizeof(t->name));
	/* It runs on the boot stack (boot.S); never freed. */
	t->stack_base = boot_stack_bottom;
	t->stack_size = BOOT_STACK_SIZE;
	t->state = THREAD_RUNNING;
	t->on_cpu = true;
	t->cpu = 0;
	t->affinity = AFFINITY_ANY;
	t->refs = 1;
	t->slice_start_ns = time_ns();
	completion_init(&t->exited);
	list_add_tail(&all_threads, &t->all_node);
	nthreads = 1;
	c->current = t;
	c->idle = make_idle_thread(c);
}

/**
 * sched_run_cpu - a secondary CPU's boot code becomes a placeholder thread
 * that switches to the CPU's idle thread and is never resumed.
 */
void sched_run_cpu(void)
{
	static struct thread ap_boot[MAX_CPUS];
	struct cpu *c = this_cpu();
	struct thread *self = &ap_boot[c->id];
	struct thread *idle = make_idle_thread(c);

	snprintf(self->name, sizeof(self->name), "ap-boot/%u", c->id);
	self->state = THREAD_BLOCKED;		/* nobody ever wakes it */
	self->on_cpu = true;
	irq_disable();
	spin_lock(&rq_lock);
	c->idle = idle;
	idle->state = THREAD_RUNNING;
	idle->on_cpu = true;
	idle->cpu = (int)c->id;
	idle->slice_start_ns = time_ns();
	c->current = idle;
	switch_prev[c->id] = self;
	arch_thread_switch(self, idle);
	context_switch(&self->rsp, idle->rsp);
	panic("sched_run_cpu: returned");
}

void sched_tick(void)
{
	struct cpu *c = this_cpu();
	struct thread *t = c->current;

	c->ticks++;
	if (c->id == 0)
		ktimer_run_expired();
	if (t != c->idle && ++t->slice_ticks >= SCHED_SLICE_TICKS)
		c->need_resched = true;
}

void sched_nmi_stop(void)
{
	for (;;) {
		irq_disable();
		cpu_halt();
	}
}

void sched_for_each_thread(void (*fn)(const struct thread *t, void *ctx), void *ctx)
{
	struct thread *t;

	spin_lock(&threads_lock);
	list_for_each_entry(t, &all_threads, all_node)
		fn(t, ctx);
	spin_unlock(&threads_lock);
}

unsigned sched_thread_count(void)
{
	return nthreads;
}
