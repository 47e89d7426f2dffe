/*
 * thread.c - threads for programs: clone with the flags musl's
 * pthread_create passes (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|
 * CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|
 * CLONE_CHILD_CLEARTID, plus CLONE_DETACHED which Linux ignores), and
 * futex(2) FUTEX_WAIT / FUTEX_WAKE / FUTEX_REQUEUE / FUTEX_CMP_REQUEUE
 * (FUTEX_PRIVATE_FLAG accepted: every futex here is private to its
 * address space; a requeue wakes instead of moving), and getcpu (which CPU a
 * thread runs on: threadtests checks they use several).  The threads themselves
 * are the kernel core's (proc_thread_start, kernel/proc.c); the futex
 * table is kernel/futex.c.
 */
#include "sys_int.h"
#include <kernel/proc.h>
#include <kernel/futex.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/uaccess.h>
#include <arch/x86_64/syscall.h>
#include <lib/errno.h>
#include <arch/x86_64/percpu.h>
#include <kernel/sync.h>

/* include/uapi/linux/sched.h */
#define CLONE_VM		0x00000100
#define CLONE_FS		0x00000200
#define CLONE_FILES		0x00000400
#define CLONE_SIGHAND		0x00000800
#define CLONE_THREAD		0x00010000
#define CLONE_SYSVSEM		0x00040000
#define CLONE_SETTLS		0x00080000
#define CLONE_PARENT_SETTID	0x00100000
#define CLONE_CHILD_CLEARTID	0x00200000
#define CLONE_DETACHED		0x00400000
#define THREAD_NEEDS	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define THREAD_MAY	(THREAD_NEEDS | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | \
			 CLONE_CHILD_CLEARTID | CLONE_DETACHED)

/* include/uapi/linux/futex.h */
#define FUTEX_WAIT		0
#define FUTEX_WAKE		1
#define FUTEX_REQUEUE		3
#define FUTEX_CMP_REQUEUE	4
#define FUTEX_PRIVATE_FLAG	128
#define FUTEX_CLOCK_REALTIME	256
#define NS_PER_S		1000000000ULL

/*
 * A new thread of this process: the registers of the caller with RAX 0
 * and RSP @stack; FS base @tls with CLONE_SETTLS, else the caller's.
 * Linux's rules: CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM;
 * we need the files and cwd shared too (one struct proc holds them).
 */
int64_t clone_thread(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls)
{
	struct user_start *us;
	int tid;

	if ((flags & ~(uint64_t)THREAD_MAY) || (flags & THREAD_NEEDS) != THREAD_NEEDS)
		return -EINVAL;
	if (!stack || !user_range_ok(stack - 8, 8))
		return -EINVAL;
	if ((flags & CLONE_SETTLS) && tls >= USER_TOP)
		return -EPERM;		/* as arch_prctl(ARCH_SET_FS) */
	if (((flags & CLONE_PARENT_SETTID) && !user_range_ok(ptid, 4)) ||
	    ((flags & CLONE_CHILD_CLEARTID) && !user_range_ok(ctid, 4)))
		return -EFAULT;
	us = kmalloc(sizeof(*us));
	if (!us)
		return -ENOMEM;
	us->tf = *proc_user_frame();
	us->tf.rax = 0;
	us->tf.rsp = stack;
	us->fs_base = (flags & CLONE_SETTLS) ? tls : current_thread()->fs_base;
	tid = proc_thread_start(sys_start_user, us, us->fs_base,
				(flags & CLONE_PARENT_SETTID) ? ptid : 0,
				(flags & CLONE_CHILD_CLEARTID) ? ctid : 0);
	if (tid < 0)
		kfree(us);
	return tid;
}

/* struct timespec, relative for FUTEX_WAIT: 0 (none) or nanoseconds. */
static int timeout_ns(uint64_t uts, uint64_t *ns)
{
	int64_t ts[2];

	*ns = 0;
	if (!uts)
		return 0;
	if (copy_from_user(ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NS_PER_S)
		return -EINVAL;
	if ((uint64_t)ts[0] > UINT64_MAX / NS_PER_S - 1)
		*ns = UINT64_MAX / 2;	/* forever, near enough */
	else
		*ns = (uint64_t)ts[0] * NS_PER_S + (uint64_t)ts[1];
	if (!*ns)
		*ns = 1;		/* a zero timeout times out at once */
	return 0;
}

SYS(sys_futex)
{
	struct proc *p = proc_current();
	int op = (int)a1 & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	uint64_t ns;
	int err;

	if (!user_range_ok(a0, 4))
		return -EFAULT;
	switch (op) {
	case FUTEX_WAIT:
		if ((int)a1 & FUTEX_CLOCK_REALTIME)
			return -ENOSYS;	/* Linux: only with FUTEX_WAIT_BITSET */
		err = timeout_ns(a3, &ns);
		if (err)
			return err;
		return futex_wait(p->mm, a0, (uint32_t)a2, ns);
	case FUTEX_WAKE:
		if (a0 & 3)
			return -EINVAL;
		if ((int)a2 <= 0)
			return 0;
		return futex_wake(p->mm, a0, (int)a2);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE: {
		/*
		 * musl's condition variables hand a waiter over to the mutex
		 * with FUTEX_REQUEUE (and wake nobody if it says -ENOSYS: a
		 * lost wake-up).  We wake the ones to move instead: a futex
		 * waiter must cope with waking early (it re-checks its word),
		 * so this is correct, only less thrifty than a real requeue.
		 */
		uint32_t cur;
		int n = (int)a2, m = (int)a3;	/* nr_wake, nr_requeue (the timeout slot) */

		if ((a0 & 3) || (a4 & 3) || !user_range_ok(a4, 4) || n < 0 || m < 0)
			return -EINVAL;
		if (op == FUTEX_CMP_REQUEUE) {
			if (copy_from_user(&cur, a0, sizeof(cur)))
				return -EFAULT;
			if (cur != (uint32_t)a5)
				return -EAGAIN;
		}
		return futex_wake(p->mm, a0, (int)((int64_t)n + m > INT32_MAX ? INT32_MAX : n + m));
	}
	default:
		return -ENOSYS;
	}
}

/* getcpu(2): the CPU the caller runs on (it may move at once), node 0. */
SYS(sys_getcpu)
{
	uint32_t cpu, node = 0;

	preempt_disable();
	cpu = this_cpu()->id;
	preempt_enable();
	if (a0 && copy_to_user(a0, &cpu, sizeof(cpu)))
		return -EFAULT;
	if (a1 && copy_to_user(a1, &node, sizeof(node)))
		return -EFAULT;
	return 0;
}
