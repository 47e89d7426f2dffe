/*
 * signal.h - signals with handlers (kernel/signal.c): what a process
 * records per signal (rt_sigaction), how a signal is raised (kill, a
 * fault, the console's Ctrl-C) and how it is delivered on the way back to
 * ring 3, with the Linux x86-64 signal frame (arch/x86/kernel/signal.c:
 * struct rt_sigframe = restorer address, ucontext, siginfo, then the
 * FXSAVE image the ucontext's fpstate points at).
 *
 * Locking: a process's sigact[] is shared by its threads (CLONE_SIGHAND)
 * and changed by rt_sigaction without a lock (a multithreaded program
 * does not change an action while it may be delivered); each thread's
 * sigmask and altstack (struct uthread) are its own (senders only read
 * the mask, atomically).  sig_pending and siginfo[] -- the process's
 * (kill) and each thread's (tkill, faults) -- are written by any sender
 * under sig_lock (kernel/signal.c, a spinlock taken inside proc_lock,
 * never the reverse); the owner reads sig_pending without it as a hint.
 */
#ifndef KERNEL_SIGNAL_H
#define KERNEL_SIGNAL_H

#include <stdint.h>
#include <stdbool.h>

/* Linux's values (asm/signal.h, asm-generic/siginfo.h). */
#define SIG_DFL_HANDLER		0
#define SIG_IGN_HANDLER		1
#define SA_SIGINFO		0x00000004u
#define SA_ONSTACK		0x08000000u
#define SA_RESTORER		0x04000000u
#define SA_RESTART		0x10000000u
#define SA_NODEFER		0x40000000u
#define SA_RESETHAND		0x80000000u
#define SIGBUS			7
#define SIGSTOP			19
#define SI_USER			0
#define SI_TKILL		(-6)
#define SI_KERNEL		0x80
#define SEGV_MAPERR		1
#define SEGV_ACCERR		2
#define BUS_ADRERR		2
#define SS_ONSTACK		1
#define SS_DISABLE		2
#define MINSIGSTKSZ		2048

/*
 * ERESTARTNOHAND (Linux's include/linux/errno.h, never seen by a
 * program): a system call that must not be restarted after a handler ran
 * (pause, sigsuspend, poll...) returns it instead of -EINTR.  Delivery
 * restarts the call when the signal was ignored and turns it into -EINTR
 * when a handler runs (whatever SA_RESTART says) or nothing was
 * delivered.
 */
#define ERESTARTNOHAND		514

/* One rt_sigaction entry, as struct kernel_sigaction lays it out. */
struct ksigaction {
	uint64_t handler;		/* SIG_DFL_HANDLER, SIG_IGN_HANDLER or an address */
	uint64_t flags;			/* SA_* */
	uint64_t restorer;		/* musl's __restore_rt */
	uint64_t mask;			/* blocked while the handler runs */
};

/* What siginfo says about a pending signal (standard signals do not
 * queue: a second one of a kind merges with the first). */
struct ksiginfo {
	int code;			/* SI_USER, SI_TKILL, SEGV_MAPERR... */
	int pid;			/* sender, for SI_USER / SI_TKILL */
	uint64_t addr;			/* faulting address, for faults */
};

struct sig_stack {			/* sigaltstack; size 0: none */
	uint64_t sp, size;
};

/* Sets of signals (sigmask, sig_pending, sa_mask) are kept as Linux's
 * sigset_t is: signal n is bit n - 1, so a set crosses the system-call
 * boundary unchanged. */
#define SIGBIT(s)		(1ULL << ((s) - 1))
#define SIG_UNBLOCKABLE		(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

struct proc;
struct trap_frame;

/**
 * proc_fault_signal - a fault of the current process's user code at @rip
 * raises @sig (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) at user address
 * @addr (si_addr; 0 when there is none): the one place a fault becomes a
 * signal.  When the process has a handler for
 * @sig and does not block it, the signal is queued with si_addr and the
 * function returns: the caller treats the fault as handled and returns to
 * ring 3, where the handler runs (user_return_hook).  Otherwise (default
 * action, ignored or blocked: a fault cannot be ignored) the process is
 * killed with the line "[pid N /bin/x: SIGSEGV at 0x..., rip 0x...]"
 * (SIGSEGV, SIGBUS) or "[pid N /bin/x: SIGILL at rip 0x...]" and the
 * function does not return.  Context: the faulting process's thread,
 * interrupts on, no spinlock held.
 */
void proc_fault_signal(int sig, uint64_t addr, uint64_t rip);

/* Raise @sig at process @p from a sender (kill, Ctrl-C): pending bit and
 * siginfo set, one thread that does not block it interrupted (every
 * thread for SIGKILL).  Caller holds proc_lock (so @p stays). */
void signal_send_locked(struct proc *p, int sig, int code, int sender_pid);
/* The same for one thread (tkill, tgkill). */
struct uthread;
void signal_send_thread_locked(struct uthread *ut, int sig, int code, int sender_pid);

/* On every return to ring 3 (user_return_hook): deliver one pending,
 * unblocked signal: run a handler (a frame on the user stack), ignore it,
 * or end the process.  Restarts an -EINTR system call when SA_RESTART
 * asks (or the signal was ignored). */
void signal_deliver(struct trap_frame *tf);

/* rt_sigreturn: restore the registers, mask and FP state from the frame
 * at the user's RSP.  Returns the restored RAX; a bad frame kills the
 * process with SIGSEGV. */
uint64_t signal_return(struct trap_frame *tf);

/**
 * signal_mask_temporarily - sigsuspend, ppoll and pselect6: block @mask
 * (SIGKILL/SIGSTOP never) until the call ends.  If a signal then
 * interrupts it, the handler's frame records the mask from before, so
 * rt_sigreturn puts that back (the handler itself runs with @mask added to
 * its sa_mask); otherwise signal_mask_restore() puts it back at once.
 * Context: the calling user thread, in a system call.
 */
void signal_mask_temporarily(uint64_t mask);
/** signal_mask_restore - put the mask from before back now, if
 * signal_mask_temporarily() changed it.  Context: as above. */
void signal_mask_restore(void);
/** signal_unblocked_pending - is a signal pending for the calling thread
 * (or its process) that its mask does not block?  Context: any user
 * thread. */
bool signal_unblocked_pending(void);

/* The default action of @sig is to ignore it (SIGCHLD, SIGURG...). */
bool signal_default_ignored(int sig);

/* exec: handlers back to SIG_DFL (SIG_IGN stays), no alternate stack. */
void signal_exec_reset(struct proc *p);

#endif
