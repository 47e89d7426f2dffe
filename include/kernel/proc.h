/*
 * proc.h - processes: their user threads (struct uthread), address space (struct mm,
 * kernel/uvm.c), its open files and working directory (kept for the
 * system-call layer, which owns them), its parent, and how it ended.
 *
 * Life: proc_alloc() makes a process (state NEW) around an address space;
 * proc_start() gives it a thread that runs fn(arg) (exec's loader or
 * fork's child) and makes it RUNNING; the thread ends it with proc_exit()
 * (or is killed: a fault it cannot survive, or a signal seen on its way
 * back to ring 3), which frees the address space and the files and
 * leaves a ZOMBIE holding the wait status until its parent collects it
 * with proc_wait().  A process without a parent (started by the shell,
 * or orphaned) is reaped by the shell's proc_wait(), or, when detached,
 * at its exit.
 *
 * Threads: clone(CLONE_THREAD) adds a user thread (proc_thread_start);
 * exit(2) ends one (proc_thread_exit), exit_group(2), a fault or a fatal
 * signal end them all (proc_exit: the group is marked exiting, the others
 * are interrupted and leave on their way back to ring 3); the last thread
 * out does the process's end.  getpid is the process's, gettid the
 * thread's (the first thread's tid is the pid).
 *
 * Signals (kernel/signal.c, include/kernel/signal.h): kill() records a
 * pending signal and interrupts the thread; on its way back to ring 3
 * (user_return_hook) the thread runs the handler, ignores the signal, or
 * dies of it.  A fault goes through proc_fault_signal() (kernel/signal.h).
 *
 * Locking: proc_lock (a spinlock, kernel/proc.c) guards the process
 * table, every parent link, state, exit status and the detached mark, the
 * thread list, nthreads and the exiting mark; the rest of a process is
 * its threads' (files, cwd, sigactions: the fd table has its own lock;
 * cwd and sigactions are changed by one thread at a time in practice,
 * as a multithreaded program does on Linux under its own locks), or
 * read-only after proc_start (pid, name).  child_exit (a wait queue) is
 * woken at every exit.
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <kernel/signal.h>

#define PROC_MAX	64
#define PROC_NAME_MAX	64
#define PROC_CWD_MAX	256
#define PROC_NSIG	65		/* signals 1..64 */
#define PROC_NR_MAX	512		/* system-call numbers logged once each */
#define PROC_UMASK_DEFAULT 022		/* as a Linux login shell leaves it */

/* Linux's signal numbers (asm/signal.h) for the ones the kernel sends. */
#define SIGINT		2
#define SIGBUS		7
#define SIGKILL		9
#define SIGSEGV		11
#define SIGTERM		15
#define SIGCHLD		17

/* Linux wait-status encoding (the W* macros of sys/wait.h). */
#define WSTATUS_EXITED(code)	(((code) & 0xff) << 8)
#define WSTATUS_SIGNALED(sig)	((sig) & 0x7f)

enum proc_state { PROC_NEW, PROC_RUNNING, PROC_ZOMBIE };

#define PROC_THREADS_MAX	32	/* user threads of one process */

struct mm;
struct thread;
struct trap_frame;
struct proc;

/*
 * A user thread: one kernel thread running in ring 3 for its process
 * (clone(CLONE_THREAD), musl's pthread_create).  Every thread of a process
 * shares its address space, files, cwd and signal actions (struct proc);
 * these are its own.  The first one is embedded in struct proc (main).
 */
struct uthread {
	/* read-only once started */
	struct proc *proc;
	struct thread *thread;
	int tid;			/* the first thread's is the pid */

	/* its own thread's (include/kernel/signal.h) */
	uint64_t sigmask;		/* blocked signals (atomic read by senders) */
	struct sig_stack altstack;	/* sigaltstack */
	uint64_t saved_sigmask;		/* the mask before sigsuspend/ppoll/pselect */
	bool restore_sigmask;		/* saved_sigmask is to be put back */
	uint64_t clear_child_tid;	/* set_tid_address: zeroed and woken at exit */
	void (*start_fn)(void *arg);	/* proc_thread_start's */
	void *start_arg;

	/* signal.c's sig_lock */
	uint64_t sig_pending;		/* SIGBIT(n): sent to this thread (tkill, a fault) */
	struct ksiginfo siginfo[PROC_NSIG];
};

struct proc {
	/* read-only once started */
	int pid;
	struct thread *thread;
	uint64_t start_ns;

	/* proc_lock */
	enum proc_state state;
	struct proc *parent;		/* NULL: the shell's, or orphaned */
	bool detached;			/* no parent will wait: reap at exit */
	int status;			/* wait status, when ZOMBIE */
	int pgid;			/* the job it belongs to (Ctrl-C) */

	/* the process's own thread (and exec) */
	struct mm *mm;
	void *files;			/* the system-call layer's fd table */
	char cwd[PROC_CWD_MAX];
	uint32_t umask;			/* umask(2): 022 at first, inherited */
	char name[PROC_NAME_MAX];	/* the program's path, for messages */
	struct ksigaction sigact[PROC_NSIG];	/* kernel/signal.c; CLONE_SIGHAND */
	uint64_t nosys_logged[PROC_NR_MAX / 64];
	uint64_t syscalls;		/* statistics */
	struct trap_frame *frame;	/* the system call being served */

	/* signal.c's sig_lock: signals sent to the process (kill) */
	uint64_t sig_pending;		/* SIGBIT(n) */
	struct ksiginfo siginfo[PROC_NSIG];

	/* proc_lock: the threads (threads[0..nthreads), any order) */
	struct uthread *threads[PROC_THREADS_MAX];
	int nthreads;
	bool exiting;			/* exit_group or a fatal signal: all go */
	struct uthread *execer;		/* execve ending the others (de_thread) */
	int exit_code;			/* the wait status when the last one goes */
	struct uthread main;		/* the first thread */

	void (*start_fn)(void *arg);	/* proc_start's, run by the new thread */
	void *start_arg;
};

/**
 * proc_exec_solo - make the calling thread its process's only one before
 * execve replaces the image (Linux's de_thread): every other thread is
 * interrupted and leaves on its way back to ring 3 (as for exit_group,
 * but the process goes on); the caller waits for them, then takes the
 * pid as its thread id, and its clear_child_tid word is cleared and its
 * waiter woken, as at exit.  clone() fails with -EAGAIN meanwhile.
 * Locks: none held.  Context: a user thread in a system call; sleeps.
 * Returns 0; -EINTR when the process is ending (another thread's
 * exit_group or a fatal signal came first, or another thread is already
 * in execve): the caller returns, and leaves on its way out.
 */
int proc_exec_solo(void);

/*
 * What the system-call layer registers (the kernel core never names it):
 * release_files closes a dying process's files; fork_files gives the
 * child its copy of the parent's table (0 or -ENOMEM).
 */
struct proc_ops {
	void (*release_files)(struct proc *p);
};
void proc_set_ops(const struct proc_ops *ops);

/* Boot: install the fault and return-to-user hooks. */
void proc_init(void);

/* A new process with @mm (owned by it from now on), state NEW, a fresh
 * pid, @parent (may be NULL).  NULL when the table is full or no memory. */
struct proc *proc_alloc(struct mm *mm, struct proc *parent, const char *name);
/* Give @p a thread that runs @fn(@arg) as the process; RUNNING.  0 or
 * -ENOMEM (then @p is freed with its mm: the caller must not use it). */
int proc_start(struct proc *p, void (*fn)(void *arg), void *arg);

/* The process the current thread runs, or NULL (a kernel thread). */
struct proc *proc_current(void);
/* The user thread the current thread is, or NULL (a kernel thread). */
struct uthread *uthread_current(void);
/* The registers the current user thread entered the kernel with (the
 * top of its kernel stack).  Process context. */
struct trap_frame *proc_user_frame(void);

/**
 * proc_thread_start - a new thread of the current process (clone with
 * CLONE_THREAD) that runs @fn(@arg) (the system-call layer's way into
 * ring 3) with FS base @tls.  Its tid is written to user address @ptid
 * first when @ptid is not 0 (CLONE_PARENT_SETTID); @ctid becomes its
 * clear_child_tid (CLONE_CHILD_CLEARTID, 0: none).  Returns the tid,
 * -EAGAIN (too many threads, or the process is exiting), -ENOMEM or
 * -EFAULT (@ptid).  Thread context of a process, no lock held.
 */
int proc_thread_start(void (*fn)(void *arg), void *arg, uint64_t tls,
		      uint64_t ptid, uint64_t ctid);

/**
 * proc_thread_exit - exit(2): end the calling thread with @status (its
 * clear_child_tid is zeroed and woken); the last thread ends the process
 * with it.  Never returns.
 */
__attribute__((noreturn)) void proc_thread_exit(int status);

/* tgkill/tkill: send @sig to thread @tid (of process @tgid, -1: any).
 * 0, -ESRCH, -EINVAL. */
int proc_tkill(int tgid, int tid, int sig);

/* Switch the current thread to @mm (exec), freeing the old one. */
void proc_replace_mm(struct mm *mm);

/**
 * proc_exit - end the calling process (exit_group, a fatal signal) with
 * wait status @status: every thread goes (the others on their way back
 * to ring 3, or out of an interruptible wait); the last one out frees
 * the files and address space, orphans the children and wakes the
 * parent.  Process context; never returns.
 */
__attribute__((noreturn)) void proc_exit(int status);

/**
 * proc_wait - wait for a child of @parent (NULL: the shell's processes)
 * matching @pid (> 0: that one; -1: any) to end, reap it and return its
 * pid with *@status.  @nohang: 0 at once when none has ended.  -ECHILD
 * (no such child), -EINTR (interrupted).  Thread context.
 */
int proc_wait(struct proc *parent, int pid, int *status, bool nohang);

/* Send @sig (1..64; 0 checks existence) to @pid (or the group -pid).
 * 0, -ESRCH, -EINVAL. */
int proc_kill(int pid, int sig);
/* Send @sig to every process of job @pgid (the shell's Ctrl-C). */
int proc_kill_group(int pgid, int sig);

/* Detach @pid (a background job of the shell): it is reaped at its exit,
 * and a non-zero end is reported on the console.  Thread context. */
void proc_detach(int pid);

/* For `ps`: fn for every process with proc_lock held (no sleeping). */
struct proc_info {
	int pid, ppid;
	const char *state;
	int cpu;
	char name[PROC_NAME_MAX];
	size_t pages;
};
void proc_for_each(void (*fn)(const struct proc_info *pi, void *ctx), void *ctx);
unsigned proc_count(void);

/* Describe a wait status: "exit 3", "SIGSEGV". */
const char *proc_signal_name(int sig);

#endif
