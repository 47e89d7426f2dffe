/*
 * sched.h - kernel threads and the scheduler.
 *
 * Threads are preemptive kernel threads, each with its own stack (in the
 * vmap area, with an unmapped guard page below it).  One shared run queue
 * serves every CPU; a thread may be pinned to one CPU (affinity).  Time
 * slices come from the local APIC timer; a thread is preempted on the way
 * out of an interrupt when it holds no spinlock.
 *
 * Thread states: RUNNING (current on some CPU), RUNNABLE (on the run queue),
 * BLOCKED (sleeping; somebody will wake it), DEAD (exited, not yet reaped).
 *
 * Locking: rq_lock (kernel/sched.c) guards every thread's state, on_cpu,
 * rq_node and the run queue; it is held across the context switch and
 * released by the thread switched to.  threads_lock guards the list of
 * all threads.
 *
 * Interrupts (the kernel's signal_pending): thread_interrupt() marks a
 * thread "interrupt pending" and wakes it if it sleeps.  Only the waits
 * written as interruptible (wait_event_interruptible() and the others
 * in sync.h, thread_sleep_interruptible_ns(), the layout-break wait of
 * fs/dax.c) look at the mark: they return -EINTR, before sleeping or when
 * woken, unless their condition already holds.  Every other wait goes on
 * as before (a wake-up it did not ask for only makes it recheck).  The
 * mark stays set until the thread clears it (thread_interrupt_clear()),
 * so every interruptible wait on the way out of the interrupted operation
 * returns at once too.  The console sets it on the shell when Ctrl-C
 * arrives (kernel/console.c); a background job runs in a thread of its
 * own and is never interrupted that way.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <lib/list.h>
#include <kernel/sync.h>

enum thread_state { THREAD_RUNNING, THREAD_RUNNABLE, THREAD_BLOCKED, THREAD_DEAD };

#define THREAD_NAME_MAX		24
#define FPU_STATE_SIZE		512	/* the FXSAVE area (SDM Vol. 1, 10.5.1) */
#define THREAD_STACK_SIZE	(32 * 1024)
#define AFFINITY_ANY		(-1)

struct thread {
	uint64_t rsp;			/* saved stack pointer while switched out */

	/* guarded by rq_lock */
	enum thread_state state;
	bool on_cpu;			/* its registers are live on some CPU */
	int cpu;			/* CPU it runs or last ran on */
	int affinity;			/* AFFINITY_ANY or a CPU id */
	struct list_node rq_node;

	/* guarded by threads_lock */
	struct list_node all_node;
	int refs;			/* the thread itself + a joiner */

	/* set at creation, read-only after */
	unsigned id;
	char name[THREAD_NAME_MAX];
	void (*fn)(void *arg);
	void *arg;
	void *stack_base;		/* lowest usable address */
	size_t stack_size;

	/* statistics, written by the thread's own CPU */
	uint64_t switches;
	uint64_t runtime_ns;
	uint64_t slice_start_ns;
	uint64_t slice_ticks;
	unsigned sched_depth;	/* __schedule frames on this stack (own, irqs off) */
	bool exit_begun;	/* counted in exiting_threads (own) */

	struct completion exited;	/* completed by thread_exit */

	bool interrupt_pending;		/* atomic: thread_interrupt() */

	/* A user thread's ring-3 state, used by the switch
	 * (arch_thread_switch): written by the thread itself with
	 * preemption off, read when it is switched to. */
	void *proc;			/* struct proc (kernel/proc.c), NULL: kernel thread */
	void *uthread;			/* struct uthread (kernel/proc.c): the user thread it is */
	uint64_t user_cr3;		/* its address space, 0: the kernel's */
	uint64_t fs_base;		/* arch_prctl(ARCH_SET_FS), saved on switch */
	uint8_t fpu[FPU_STATE_SIZE] __attribute__((aligned(16)));	/* FXSAVE image */
};

/*
 * Context, unless a function says otherwise: thread context; the calls
 * that may sleep (join, sleep, yield) want no spinlock held.  Threads
 * take rq_lock and threads_lock themselves; a caller holds neither.
 */

/**
 * thread_create - create a runnable thread running fn(@arg) on any CPU.
 * The returned reference must be given back with thread_join() (waits for
 * it to exit) or thread_detach().  NULL when its stack or struct cannot be
 * allocated (no memory).  Takes rq_lock and threads_lock; never sleeps, so
 * a spinlock may be held.
 */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
/** thread_create_on - as thread_create, pinned to CPU @cpu (or AFFINITY_ANY). */
struct thread *thread_create_on(int cpu, const char *name, void (*fn)(void *), void *arg);
/**
 * thread_join - wait for @t to exit (sleeps), then give back the creator's
 * reference (freeing the thread).  @t must not be used afterwards.
 */
void thread_join(struct thread *t);
/** thread_detach - give back the creator's reference without waiting. */
void thread_detach(struct thread *t);
/** thread_exit - end the calling thread (returning from fn does the same). */
void thread_exit(void) __attribute__((noreturn));
/**
 * thread_exit_begin - the calling thread is on its way to thread_exit():
 * sched_reap_dead() waits for it from now on, so that what it frees on
 * the way (a process's per-thread state) is freed before a memory report
 * counts.  thread_exit() does it too; once is enough.  Thread context.
 */
void thread_exit_begin(void);

/** current_thread - the thread running here: one load from this CPU's block (%gs).  Any context. */
static inline struct thread *current_thread(void)
{
	return percpu_current();
}
/** sched_thread_name - @t's name ("?" for NULL).  Any context. */
const char *sched_thread_name(const struct thread *t);
/** yield - go to the back of the run queue.  No spinlock held. */
void yield(void);
/** thread_sleep_ns / msleep - sleep at least @ns (@ms); not interruptible.  No spinlock held. */
void thread_sleep_ns(uint64_t ns);
static inline void msleep(uint64_t ms) { thread_sleep_ns(ms * 1000000ULL); }

/**
 * sched_wake - make a BLOCKED thread runnable (no-op for other states).
 * Any context, interrupt handlers and other CPUs included; takes rq_lock.
 */
void sched_wake(struct thread *t);

/**
 * thread_interrupt - mark @t "interrupt pending" and wake it if it sleeps,
 * so that an interruptible wait it is in (or enters later) returns -EINTR.
 * Any context, interrupt handlers included.
 */
void thread_interrupt(struct thread *t);

/* thread_interrupted - does the current thread have an interrupt pending?
 * (Linux: signal_pending(current).)  Also declared in sync.h, whose
 * interruptible waits ask it.  Any context, no lock. */
bool thread_interrupted(void);

/**
 * thread_interrupt_clear - the current thread has dealt with its pending
 * interrupt (the shell, when the Ctrl-C is read): interruptible waits
 * sleep again.  Returns whether one was pending.
 */
bool thread_interrupt_clear(void);

/**
 * thread_sleep_interruptible_ns - sleep @ns nanoseconds, or less if the
 * thread is interrupted.  Thread context.  Returns 0, or -EINTR (also at
 * once when an interrupt is already pending).
 */
int thread_sleep_interruptible_ns(uint64_t ns);
static inline int msleep_interruptible(uint64_t ms)
{
	return thread_sleep_interruptible_ns(ms * 1000000ULL);
}

/* Boot: turn the running boot code into thread "main" on CPU 0 and create
 * CPU 0's idle thread. */
void sched_init(void);
/* Timer interrupt hook: time slices and timers. */
void sched_tick(void);
/* A secondary CPU enters the scheduler (never returns). */
void sched_run_cpu(void) __attribute__((noreturn));
/* Preempt the current thread (interrupt return path, preempt_enable). */
void sched_preempt(void);
/* Internal to sync.c: mark current as sleeping / not sleeping. */
void sched_set_blocked(void);
void sched_set_running(void);
/* Ask another CPU to reschedule (IPI). */
struct cpu;
void sched_kick_cpu(struct cpu *c);

/* Called from the NMI handler when another CPU panicked: halt here. */
void sched_nmi_stop(void);

/*
 * For the `threads` shell command: call fn for each thread with
 * threads_lock (a spinlock) held, so fn must not sleep nor create or end
 * threads.
 */
void sched_for_each_thread(void (*fn)(const struct thread *t, void *ctx), void *ctx);
/* Free the exited threads nobody holds now (kernel-doc in sched.c). */
void sched_reap_dead(void);
/** sched_thread_count - threads alive now (a snapshot).  Any context. */
unsigned sched_thread_count(void);
/** thread_state_name - "running", "runnable", "blocked", "dead" ("?" otherwise). */
const char *thread_state_name(enum thread_state s);

#define SCHED_HZ		1000	/* timer interrupts per second */
#define SCHED_SLICE_TICKS	10	/* 10 ms time slice */

#endif
