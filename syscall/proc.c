/*
 * proc.c - the process, memory and time system calls: exit, fork (and
 * vfork/clone as fork), execve, wait4, kill, the ids, signals recorded,
 * brk/mmap/munmap/mprotect/madvise, clocks and sleeps, uname.
 */
#include "sys_int.h"
#include <syscall/syscall.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/uvm.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/uaccess.h>
#include <kernel/printk.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/syscall.h>
#include <fs/vfs.h>
#include <lib/string.h>
#include <lib/errno.h>

#define SIGCHLD_FLAG	17		/* clone's low byte: the exit signal */
#define CLONE_VM	0x100
#define CLONE_VFORK	0x4000
#define CLONE_THREAD	0x10000		/* syscall/thread.c */
#define ARCH_SET_FS	0x1002
#define ARCH_GET_FS	0x1003
#define WNOHANG		1
#define SIG_SETMASK	2
#define SIG_BLOCK	0
#define SIG_UNBLOCK	1
#define CLOCK_REALTIME	0
#define CLOCK_MONOTONIC	1
#define NS		1000000000ULL

SYS(sys_exit) { proc_thread_exit(WSTATUS_EXITED((int)a0)); }
SYS(sys_exit_group) { proc_exit(WSTATUS_EXITED((int)a0)); }

SYS(sys_getpid) { return proc_current()->pid; }
SYS(sys_gettid) { return uthread_current()->tid; }
SYS(sys_getuid) { return 0; }
SYS(sys_getppid)
{
	struct proc *p = proc_current();
	/* read once: the parent may go (then it is 0: orphaned) */
	struct proc *parent = __atomic_load_n(&p->parent, __ATOMIC_ACQUIRE);

	return parent ? parent->pid : 0;
}

SYS(sys_set_tid_address)
{
	uthread_current()->clear_child_tid = a0;
	return uthread_current()->tid;
}

SYS(sys_set_robust_list) { return a1 == 24 ? 0 : -EINVAL; }
SYS(sys_sched_yield) { yield(); return 0; }

/* pause(2): sleep until a signal (a kill or Ctrl-C) interrupts us; the
 * way back to ring 3 then acts on it.  -ERESTARTNOHAND: the program sees
 * -EINTR after a handler ran (never restarted, even with SA_RESTART, as
 * on Linux), and pause goes on sleeping after an ignored signal. */
SYS(sys_pause)
{
	while (thread_sleep_interruptible_ns(1000000000ULL * 3600) == 0)
		;
	return -ERESTARTNOHAND;
}

SYS(sys_arch_prctl)
{
	struct thread *t = current_thread();

	switch (a0) {
	case ARCH_SET_FS:
		if (a1 >= USER_TOP)
			return -EPERM;
		preempt_disable();
		t->fs_base = a1;
		wrmsr(MSR_FS_BASE, a1);
		preempt_enable();
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(a1, &t->fs_base, sizeof(uint64_t)) ? -EFAULT : 0;
	default:
		return -EINVAL;
	}
}

/* ------------------------------------------------------------ fork, exec, wait */

static int64_t do_fork(uint64_t child_stack)
{
	struct proc *p = proc_current(), *c;
	struct user_start *us = kmalloc(sizeof(*us));
	struct fdtable *fdt;
	struct mm *mm;
	int pid, err;

	if (!us)
		return -ENOMEM;
	mm = mm_fork(p->mm);
	if (!mm) {
		kfree(us);
		return -ENOMEM;
	}
	fdt = fdt_clone(p->files);
	if (!fdt) {
		mm_destroy(mm);
		kfree(us);
		return -ENOMEM;
	}
	c = proc_alloc(mm, p, p->name);
	if (!c) {
		mm_destroy(mm);
		fdt_destroy(fdt);
		kfree(us);
		return -EAGAIN;
	}
	c->files = fdt;
	strlcpy(c->cwd, p->cwd, sizeof(c->cwd));
	c->umask = p->umask;
	memcpy(c->sigact, p->sigact, sizeof(c->sigact));
	c->main.sigmask = uthread_current()->sigmask;
	c->main.altstack = uthread_current()->altstack;
	us->tf = *proc_user_frame();
	us->tf.rax = 0;
	if (child_stack)
		us->tf.rsp = child_stack;
	us->fs_base = current_thread()->fs_base;
	pid = c->pid;
	err = proc_start(c, sys_start_user, us);
	if (err) {
		kfree(us);
		return err;
	}
	return pid;
}

SYS(sys_fork) { return do_fork(0); }
SYS(sys_vfork) { return do_fork(0); }

/*
 * clone(2) as fork: a new process that sends SIGCHLD, optionally on a new
 * stack.  CLONE_VM|CLONE_VFORK (musl's posix_spawn) gets a copy of the
 * address space instead of a shared one, and the parent does not wait
 * for the exec: enough for a child that only calls execve or _exit, which
 * is all vfork allows.  A thread (CLONE_THREAD) is syscall/thread.c's;
 * CLONE_VM alone (a process sharing memory) is -EINVAL.
 */
SYS(sys_clone)
{
	if (a0 & CLONE_THREAD)
		return clone_thread(a0, a1, a2, a3, a4);
	if ((a0 & ~(uint64_t)(CLONE_VFORK | CLONE_VM | 0xff)) || (a0 & 0xff) != SIGCHLD_FLAG)
		return -EINVAL;
	if ((a0 & CLONE_VM) && !(a0 & CLONE_VFORK))
		return -EINVAL;
	if (a1 && !user_range_ok(a1 - 8, 8))
		return -EINVAL;
	return do_fork(a1);
}

/* Copy a NULL-terminated user array of strings into one kernel block. */
static int copy_strv(uint64_t uv, char ***out, char **block)
{
	size_t used = 0, n = 0;
	char **v;
	char *b;

	*out = NULL;
	*block = NULL;
	v = kzalloc(1025 * sizeof(char *));
	b = kmalloc(64 * 1024);
	if (!v || !b) {
		kfree(v);
		kfree(b);
		return -ENOMEM;
	}
	for (; uv; n++) {
		uint64_t up;
		long len;
		if (n == 1024)
			goto big;
		if (copy_from_user(&up, uv + n * 8, 8))
			goto fault;
		if (!up)
			break;
		len = strncpy_from_user(b + used, up, 64 * 1024 - used);
		if (len == -EFAULT)
			goto fault;
		if (len < 0)
			goto big;
		v[n] = b + used;
		used += (size_t)len + 1;
	}
	v[n] = NULL;
	*out = v;
	*block = b;
	return 0;
fault:
	kfree(v);
	kfree(b);
	return -EFAULT;
big:
	kfree(v);
	kfree(b);
	return -E2BIG;
}

SYS(sys_execve)
{
	struct proc *p = proc_current();
	char **argv = NULL, **envp = NULL, *ab = NULL, *eb = NULL, *path;
	struct trap_frame tf;
	struct mm *mm;
	int err;

	err = user_path_at(AT_FDCWD, a0, &path, false);
	if (err)
		return err;
	err = copy_strv(a1, &argv, &ab);
	if (!err)
		err = copy_strv(a2, &envp, &eb);
	if (!err)
		err = exec_load(path, argv, envp, &mm, &tf);
	if (!err) {
		/* The point of no return, as Linux's de_thread: the image
		 * loaded, the other threads end now. */
		err = proc_exec_solo();
		if (err)
			mm_destroy(mm);
	}
	if (!err) {
		proc_replace_mm(mm);
		strlcpy(p->name, path, sizeof(p->name));
		fdt_close_cloexec(p->files);
		signal_exec_reset(p);
		memset(p->nosys_logged, 0, sizeof(p->nosys_logged));
		*proc_user_frame() = tf;
	}
	kfree(argv);
	kfree(ab);
	kfree(envp);
	kfree(eb);
	kfree(path);
	return err;
}

SYS(sys_wait4)
{
	int status = 0, pid;

	if (a2 & ~(uint64_t)(WNOHANG | 0x2 | 0x8 | 0x01000000 | 0x40000000 | 0x80000000))
		return -EINVAL;
	if (a1 && !user_range_ok(a1, sizeof(int)))
		return -EFAULT;
	pid = proc_wait(proc_current(), (int)a0, &status, a2 & WNOHANG);
	if (pid > 0 && a1 && copy_to_user(a1, &status, sizeof(status)))
		return -EFAULT;
	if (pid > 0 && a3) {
		static const char zero[144];	/* struct rusage: nothing counted yet */
		if (copy_to_user(a3, zero, sizeof(zero)))
			return -EFAULT;
	}
	return pid;
}

SYS(sys_kill) { return proc_kill((int)a0, (int)a1); }

#define RLIMIT_STACK	3
#define RLIMIT_NOFILE	7
#define RLIM_INFINITY	(~0ULL)

static void rlimit_of(unsigned res, uint64_t lim[2])
{
	lim[0] = lim[1] = RLIM_INFINITY;
	if (res == RLIMIT_NOFILE)
		lim[0] = lim[1] = VFS_MAX_FILES;
	if (res == RLIMIT_STACK)
		lim[0] = lim[1] = UVM_STACK_SIZE;
}

SYS(sys_getrlimit)
{
	uint64_t lim[2];

	if (a0 >= 16)
		return -EINVAL;
	rlimit_of((unsigned)a0, lim);
	return copy_to_user(a1, lim, sizeof(lim)) ? -EFAULT : 0;
}

SYS(sys_prlimit64)
{
	uint64_t lim[2];

	if (a0 && (int)a0 != proc_current()->pid)
		return -ESRCH;
	if (a1 >= 16)
		return -EINVAL;
	if (a3) {
		rlimit_of((unsigned)a1, lim);
		if (copy_to_user(a3, lim, sizeof(lim)))
			return -EFAULT;
	}
	if (a2)
		return -EPERM;		/* limits cannot be changed yet */
	return 0;
}

/* ------------------------------------------------------------ memory */

SYS(sys_brk) { return (int64_t)mm_brk(proc_current()->mm, a0); }

SYS(sys_mmap)
{
	uint64_t addr;
	int err;

	if (!(a3 & UVM_MAP_ANON))		/* a file: DAX mmap (syscall/mman.c) */
		return sys_mmap_file(a0, a1, (unsigned)a2, (unsigned)a3, (int)a4, a5);
	if (a5 & (PAGE_SIZE - 1))
		return -EINVAL;
	err = mm_map(proc_current()->mm, a0, a1, (unsigned)a2,
		     (unsigned)a3 & (UVM_MAP_SHARED | UVM_MAP_PRIVATE | UVM_MAP_FIXED), &addr);
	return err ? err : (int64_t)addr;
}

SYS(sys_munmap) { return mm_unmap(proc_current()->mm, a0, a1); }
SYS(sys_mprotect) { return mm_protect(proc_current()->mm, a0, a1, (unsigned)a2); }

SYS(sys_madvise)
{
	if (a0 & (PAGE_SIZE - 1))
		return -EINVAL;
	return 0;		/* hints accepted and ignored */
}

SYS(sys_getrandom)
{
	uint8_t buf[256];
	size_t n = MIN(a1, sizeof(buf));

	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = rdtsc() * 0x9E3779B97F4A7C15ULL;
		r ^= r >> 29;
		memcpy(buf + i, &r, MIN((size_t)8, n - i));
	}
	return copy_to_user(a0, buf, n) ? -EFAULT : (int64_t)n;
}

/* ------------------------------------------------------------ time */

static uint64_t clock_ns(uint64_t clk)
{
	return clk == CLOCK_REALTIME ? time_wall_ns() : time_ns();
}

SYS(sys_clock_gettime)
{
	uint64_t ts[2], ns;

	if (a0 > 7)
		return -EINVAL;
	ns = clock_ns(a0);
	ts[0] = ns / NS;
	ts[1] = ns % NS;
	return copy_to_user(a1, ts, sizeof(ts)) ? -EFAULT : 0;
}

SYS(sys_gettimeofday)
{
	uint64_t tv[2], ns = time_wall_ns();

	tv[0] = ns / NS;
	tv[1] = (ns % NS) / 1000;
	if (a0 && copy_to_user(a0, tv, sizeof(tv)))
		return -EFAULT;
	return 0;
}

SYS(sys_time)
{
	uint64_t t = time_wall_ns() / NS;

	if (a0 && copy_to_user(a0, &t, sizeof(t)))
		return -EFAULT;
	return (int64_t)t;
}

static int64_t sleep_ts(uint64_t ureq, uint64_t urem)
{
	int64_t ts[2];
	uint64_t start = time_ns(), ns;
	int err;

	if (copy_from_user(ts, ureq, sizeof(ts)))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NS)
		return -EINVAL;
	/* past ~290 years the product overflows: sleep "forever" */
	ns = (uint64_t)ts[0] > UINT64_MAX / 2 / NS ? UINT64_MAX / 2 :
	     (uint64_t)ts[0] * NS + (uint64_t)ts[1];
	err = thread_sleep_interruptible_ns(ns);
	if (err && urem) {
		uint64_t left = ns - MIN(ns, time_ns() - start);
		int64_t rem[2] = { (int64_t)(left / NS), (int64_t)(left % NS) };
		if (copy_to_user(urem, rem, sizeof(rem)))
			return -EFAULT;
	}
	return err;
}

SYS(sys_nanosleep) { return sleep_ts(a0, a1); }

SYS(sys_clock_nanosleep)
{
	if (a0 > 7 || (a1 & ~1ULL))
		return -EINVAL;
	if (a1 & 1) {		/* TIMER_ABSTIME */
		int64_t ts[2];
		uint64_t now = clock_ns(a0), want;
		if (copy_from_user(ts, a2, sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NS)
			return -EINVAL;
		want = (uint64_t)ts[0] * NS + (uint64_t)ts[1];
		return want > now ? thread_sleep_interruptible_ns(want - now) : 0;
	}
	return sleep_ts(a2, a3);
}

SYS(sys_uname)
{
	char u[6][65];

	memset(u, 0, sizeof(u));
	strlcpy(u[0], "Holdfast", 65);
	strlcpy(u[1], "holdfast", 65);
	strlcpy(u[2], "0.1", 65);
	strlcpy(u[3], "#1", 65);
	strlcpy(u[4], "x86_64", 65);
	strlcpy(u[5], "(none)", 65);
	return copy_to_user(a0, u, sizeof(u)) ? -EFAULT : 0;
}
