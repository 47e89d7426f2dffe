/*
 * signal.c - the signal system calls: rt_sigaction, rt_sigprocmask,
 * rt_sigreturn, sigaltstack, tkill and tgkill.  Delivery and the frame
 * are the kernel core's (kernel/signal.c); these check what the program
 * passes and record it in its struct proc, whose signal fields only its
 * own thread touches (include/kernel/signal.h).
 */
#include "sys_int.h"
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/sched.h>
#include <kernel/uaccess.h>
#include <arch/x86_64/syscall.h>
#include <lib/errno.h>

#define SIGSET_SIZE	8		/* the kernel's sigset_t: 64 signals */
#define SIG_BLOCK	0
#define SIG_UNBLOCK	1
#define SIG_SETMASK	2
#define UNBLOCKABLE	SIG_UNBLOCKABLE
#define SA_KNOWN	(SA_SIGINFO | SA_ONSTACK | SA_RESTORER | SA_RESTART | SA_NODEFER | \
			 SA_RESETHAND | 0x1u /* SA_NOCLDSTOP */ | 0x2u /* SA_NOCLDWAIT */)

static bool sig_valid(uint64_t sig)
{
	return sig >= 1 && sig < PROC_NSIG;
}

SYS(sys_rt_sigaction)
{
	struct proc *p = proc_current();
	struct ksigaction act, old;

	if (!sig_valid(a0) || a3 != SIGSET_SIZE)
		return -EINVAL;
	if (a1 && (a0 == SIGKILL || a0 == SIGSTOP))
		return -EINVAL;
	if (a1 && copy_from_user(&act, a1, sizeof(act)))
		return -EFAULT;
	old = p->sigact[a0];
	if (a2 && copy_to_user(a2, &old, sizeof(old)))
		return -EFAULT;
	if (a1) {
		act.flags &= SA_KNOWN;		/* Linux keeps unknown bits out too */
		act.mask &= ~UNBLOCKABLE;
		p->sigact[a0] = act;
	}
	return 0;
}

SYS(sys_rt_sigprocmask)
{
	struct uthread *ut = uthread_current();
	uint64_t set, old = ut->sigmask, mask = old;

	if (a3 != SIGSET_SIZE)
		return -EINVAL;
	if (a1) {
		if (copy_from_user(&set, a1, sizeof(set)))
			return -EFAULT;
		switch (a0) {
		case SIG_BLOCK: mask |= set; break;
		case SIG_UNBLOCK: mask &= ~set; break;
		case SIG_SETMASK: mask = set; break;
		default: return -EINVAL;
		}
	}
	if (a2 && copy_to_user(a2, &old, sizeof(old)))
		return -EFAULT;
	__atomic_store_n(&ut->sigmask, mask & ~UNBLOCKABLE, __ATOMIC_RELAXED);
	return 0;
}

/* rt_sigsuspend(mask, sigsetsize): wait for a signal with @mask blocked;
 * the handler's frame holds the mask from before, so rt_sigreturn puts it
 * back.  Always -EINTR for the program (-ERESTARTNOHAND: never restarted). */
SYS(sys_rt_sigsuspend)
{
	uint64_t set;

	if (a1 != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&set, a0, sizeof(set)))
		return -EFAULT;
	signal_mask_temporarily(set);
	while (!signal_unblocked_pending() &&
	       thread_sleep_interruptible_ns(1000000000ULL * 3600) == 0)
		;
	thread_interrupt_clear();
	return -ERESTARTNOHAND;
}

/* rt_sigpending(set, sigsetsize): the signals pending and blocked. */
SYS(sys_rt_sigpending)
{
	struct uthread *ut = uthread_current();
	uint64_t set;

	if (a1 != SIGSET_SIZE)
		return -EINVAL;
	set = (__atomic_load_n(&ut->sig_pending, __ATOMIC_RELAXED) |
	       __atomic_load_n(&proc_current()->sig_pending, __ATOMIC_RELAXED)) &
	      __atomic_load_n(&ut->sigmask, __ATOMIC_RELAXED);
	return copy_to_user(a0, &set, sizeof(set)) ? -EFAULT : 0;
}

SYS(sys_rt_sigreturn)
{
	return (int64_t)signal_return(proc_user_frame());
}

/* stack_t as sigaltstack(2) passes it. */
struct user_stack_t {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

SYS(sys_sigaltstack)
{
	struct uthread *ut = uthread_current();
	uint64_t sp = proc_user_frame()->rsp;
	bool on = ut->altstack.size && sp > ut->altstack.sp &&
		  sp - ut->altstack.sp <= ut->altstack.size;
	struct user_stack_t ss, old = {
		.ss_sp = ut->altstack.sp, .ss_size = ut->altstack.size,
		.ss_flags = on ? SS_ONSTACK : ut->altstack.size ? 0 : SS_DISABLE,
	};

	if (a0) {
		if (copy_from_user(&ss, a0, sizeof(ss)))
			return -EFAULT;
		if (on)
			return -EPERM;
		if (ss.ss_flags != 0 && ss.ss_flags != SS_DISABLE && ss.ss_flags != SS_ONSTACK)
			return -EINVAL;
		if (ss.ss_flags != SS_DISABLE &&
		    (ss.ss_size < MINSIGSTKSZ || !user_range_ok(ss.ss_sp, ss.ss_size)))
			return ss.ss_size < MINSIGSTKSZ ? -ENOMEM : -EINVAL;
	}
	if (a1 && copy_to_user(a1, &old, sizeof(old)))
		return -EFAULT;
	if (a0)
		ut->altstack = ss.ss_flags == SS_DISABLE ? (struct sig_stack){ 0, 0 } :
			      (struct sig_stack){ ss.ss_sp, ss.ss_size };
	return 0;
}

SYS(sys_tkill)
{
	if ((int)a0 <= 0)
		return -EINVAL;
	return proc_tkill(-1, (int)a0, (int)a1);
}

SYS(sys_tgkill)
{
	if ((int)a0 <= 0 || (int)a1 <= 0)
		return -EINVAL;
	return proc_tkill((int)a0, (int)a1, (int)a2);
}
