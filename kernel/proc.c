/*
 * proc.c - the process table, exit and wait, kill, and what the CPU
 * tells us about a process: its faults (user_fault_hook) and its way back
 * to ring 3 (user_return_hook).  include/kernel/proc.h has the life of a
 * process and the lock rules; the system calls are in sys/.
 *
 * Locking: proc_lock guards table[], and each process's state, parent,
 * detached mark, pgid and status.  It is a spinlock, never held across a
 * sleep; sched_wake (rq_lock) may be taken inside it, never the reverse.
 */
#include <kernel/proc.h>
#include <kernel/uvm.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <kernel/mm.h>
#include <kernel/futex.h>
#include <kernel/uaccess.h>
#include <kernel/printk.h>
#include <kernel/panic.h>
#include <arch/x86_64/irq.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/paging.h>
#include <arch/x86_64/syscall.h>
#include <arch/x86_64/switch.h>
#include <lib/string.h>
#include <lib/errno.h>

static spinlock_t proc_lock = SPINLOCK_INIT("procs");
static struct proc *table[PROC_MAX];		/* proc_lock */
static int next_pid = 1;			/* proc_lock */
static struct wait_queue child_exit = WAIT_QUEUE_INIT(child_exit, "child_exit");
static const struct proc_ops *ops;

void proc_set_ops(const struct proc_ops *o) { ops = o; }

struct proc *proc_current(void)
{
	return current_thread()->proc;
}

struct uthread *uthread_current(void)
{
	return current_thread()->uthread;
}

struct trap_frame *proc_user_frame(void)
{
	struct thread *t = current_thread();

	return (struct trap_frame *)((char *)t->stack_base + t->stack_size) - 1;
}

static const char *const sig_names[32] = {
	[1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL", [5] = "SIGTRAP",
	[6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE", [9] = "SIGKILL", [10] = "SIGUSR1",
	[11] = "SIGSEGV", [12] = "SIGUSR2", [13] = "SIGPIPE", [14] = "SIGALRM",
	[15] = "SIGTERM", [16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT",
	[19] = "SIGSTOP", [20] = "SIGTSTP", [21] = "SIGTTIN", [22] = "SIGTTOU",
	[23] = "SIGURG", [24] = "SIGXCPU", [25] = "SIGXFSZ", [26] = "SIGVTALRM",
	[27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO", [30] = "SIGPWR", [31] = "SIGSYS",
};

const char *proc_signal_name(int sig)
{
	return sig > 0 && sig < 32 && sig_names[sig] ? sig_names[sig] : "a real-time signal";
}


struct proc *proc_alloc(struct mm *mm, struct proc *parent, const char *name)
{
	struct proc *p = kzalloc(sizeof(*p));
	int slot = -1;

	if (!p)
		return NULL;
	spin_lock(&proc_lock);
	for (int i = 0; i < PROC_MAX; i++)
		if (!table[i]) {
			slot = i;
			break;
		}
	if (slot >= 0) {
		p->pid = next_pid++;
		p->parent = parent;
		p->pgid = parent ? parent->pgid : p->pid;
		p->state = PROC_NEW;
		table[slot] = p;
	}
	spin_unlock(&proc_lock);
	if (slot < 0) {
		kfree(p);
		return NULL;
	}
	p->mm = mm;
	p->main.proc = p;
	p->main.tid = p->pid;
	strlcpy(p->name, name, sizeof(p->name));
	strlcpy(p->cwd, "/", sizeof(p->cwd));
	p->umask = parent ? parent->umask : PROC_UMASK_DEFAULT;
	return p;
}

static void table_remove(struct proc *p)
{
	assert_held(&proc_lock);
	for (int i = 0; i < PROC_MAX; i++)
		if (table[i] == p)
			table[i] = NULL;
}

/* After table_remove, outside proc_lock. */
static void proc_free(struct proc *p)
{
	if (p->files && ops && ops->release_files)
		ops->release_files(p);		/* a process that never ran */
	if (p->thread)
		thread_detach(p->thread);
	if (p->mm)
		mm_destroy(p->mm);
	kfree(p);
}

static void proc_thread_main(void *arg)
{
	struct proc *p = arg;
	struct thread *t = current_thread();

	spin_lock(&proc_lock);
	p->main.thread = t;		/* proc_start stores it too, maybe later */
	spin_unlock(&proc_lock);
	preempt_disable();
	t->proc = p;
	t->uthread = &p->main;
	t->fs_base = 0;
	t->user_cr3 = mm_cr3(p->mm);
	cr3_load(t->user_cr3);
	arch_fpu_init(t);
	preempt_enable();
	p->start_fn(p->start_arg);
	proc_exit(WSTATUS_EXITED(127));
}

int proc_start(struct proc *p, void (*fn)(void *arg), void *arg)
{
	struct thread *t;

	p->start_fn = fn;
	p->start_arg = arg;
	p->start_ns = time_ns();
	spin_lock(&proc_lock);
	p->state = PROC_RUNNING;
	p->threads[0] = &p->main;
	p->nthreads = 1;
	spin_unlock(&proc_lock);
	t = thread_create(p->name[0] ? p->name : "proc", proc_thread_main, p);
	if (!t) {
		spin_lock(&proc_lock);
		table_remove(p);
		spin_unlock(&proc_lock);
		proc_free(p);
		return -ENOMEM;
	}
	spin_lock(&proc_lock);
	p->thread = t;
	p->main.thread = t;
	spin_unlock(&proc_lock);
	return 0;
}

/* ------------------------------------------------------------ threads */

static void uthread_main(void *arg)
{
	struct uthread *ut = arg;
	struct proc *p = ut->proc;
	struct thread *t = current_thread();

	preempt_disable();
	t->proc = p;
	t->uthread = ut;
	t->fs_base = 0;
	t->user_cr3 = mm_cr3(p->mm);	/* stays: only the last thread frees it */
	cr3_load(t->user_cr3);
	arch_fpu_init(t);
	preempt_enable();
	ut->start_fn(ut->start_arg);
	proc_thread_exit(WSTATUS_EXITED(127));
}

/* Take @ut off its process's list; true when it was the last. */
static bool thread_unlink(struct proc *p, struct uthread *ut)
{
	assert_held(&proc_lock);
	for (int i = 0; i < p->nthreads; i++)
		if (p->threads[i] == ut) {
			p->threads[i] = p->threads[--p->nthreads];
			p->threads[p->nthreads] = NULL;
			break;
		}
	return p->nthreads == 0;
}

int proc_thread_start(void (*fn)(void *arg), void *arg, uint64_t tls,
		      uint64_t ptid, uint64_t ctid)
{
	struct proc *p = proc_current();
	struct uthread *cur = uthread_current(), *ut = kzalloc(sizeof(*ut));
	struct thread *t;
	int32_t tid;

	(void)tls;		/* the system-call layer's start sets FS */
	if (!ut)
		return -ENOMEM;
	ut->proc = p;
	ut->sigmask = cur->sigmask;
	ut->clear_child_tid = ctid;
	ut->start_fn = fn;
	ut->start_arg = arg;
	spin_lock(&proc_lock);
	if (p->exiting || p->execer || p->nthreads >= PROC_THREADS_MAX) {
		spin_unlock(&proc_lock);
		kfree(ut);
		return -EAGAIN;
	}
	ut->tid = tid = next_pid++;
	p->threads[p->nthreads++] = ut;
	spin_unlock(&proc_lock);
	if (ptid && copy_to_user(ptid, &tid, sizeof(tid))) {
		spin_lock(&proc_lock);
		thread_unlink(p, ut);
		spin_unlock(&proc_lock);
		kfree(ut);
		return -EFAULT;
	}
	t = thread_create(p->name[0] ? p->name : "thread", uthread_main, ut);
	if (!t) {
		spin_lock(&proc_lock);
		thread_unlink(p, ut);
		spin_unlock(&proc_lock);
		kfree(ut);
		return -ENOMEM;
	}
	spin_lock(&proc_lock);
	ut->thread = t;
	spin_unlock(&proc_lock);
	thread_detach(t);		/* nobody joins it: it leaves through leave() */
	return tid;
}

int proc_tkill(int tgid, int tid, int sig)
{
	struct proc *self = proc_current();
	int found = 0;

	if (sig < 0 || sig >= PROC_NSIG)
		return -EINVAL;
	spin_lock(&proc_lock);
	for (int i = 0; i < PROC_MAX && !found; i++) {
		struct proc *p = table[i];
		if (!p || p->state != PROC_RUNNING || (tgid != -1 && p->pid != tgid))
			continue;
		for (int j = 0; j < p->nthreads; j++) {
			struct uthread *ut = p->threads[j];
			if (ut->tid != tid)
				continue;
			found = 1;
			if (sig)
				signal_send_thread_locked(ut, sig, SI_TKILL, self ? self->pid : 0);
			break;
		}
	}
	spin_unlock(&proc_lock);
	return found ? 0 : -ESRCH;
}

void proc_replace_mm(struct mm *mm)
{
	struct proc *p = proc_current();
	struct thread *t = current_thread();
	struct mm *old = p->mm;

	preempt_disable();
	p->mm = mm;
	t->user_cr3 = mm_cr3(mm);
	t->fs_base = 0;
	cr3_load(t->user_cr3);
	wrmsr(MSR_FS_BASE, 0);
	arch_fpu_init(t);
	preempt_enable();
	if (old)
		mm_destroy(old);
}

static void report_end(const struct proc *p, int status)
{
	if (status & 0x7f) {
		if ((status & 0x7f) != SIGSEGV && (status & 0x7f) != SIGBUS) /* already reported at the fault */
			kprintf("[pid %d %s: %s]\n", p->pid, p->name, proc_signal_name(status & 0x7f));
	} else if (status >> 8) {
		kprintf("[pid %d %s: exit %d]\n", p->pid, p->name, (status >> 8) & 0xff);
	}
}

/* exit(2) of a thread: zero its clear_child_tid word and wake a joiner
 * (musl's pthread_join waits there). */
static void clear_child_tid(struct proc *p, struct uthread *ut)
{
	uint32_t zero = 0;

	if (ut->clear_child_tid && !copy_to_user(ut->clear_child_tid, &zero, sizeof(zero)))
		futex_wake(p->mm, ut->clear_child_tid, 1);
	ut->clear_child_tid = 0;
}

/*
 * The calling thread leaves its process (@group: and makes every other
 * thread leave, with @status for the process).  The last one out ends the
 * process with the status of the group exit, or its own.
 */
static __attribute__((noreturn)) void leave(int status, bool group)
{
	struct proc *p = proc_current();
	struct thread *t = current_thread();
	struct uthread *ut = t->uthread;
	struct proc *orphans[PROC_MAX];
	unsigned norphans = 0;
	bool reap_self, last;

	if (!p)
		panic("proc_exit from a kernel thread");
	thread_exit_begin();	/* `mem` waits for what we free below */
	if (!group && !p->exiting)
		clear_child_tid(p, ut);
	spin_lock(&proc_lock);
	if (group && !p->exiting) {
		p->exiting = true;
		p->exit_code = status;
		for (int i = 0; i < p->nthreads; i++)
			if (p->threads[i] != ut && p->threads[i]->thread)
				thread_interrupt(p->threads[i]->thread);
	}
	last = thread_unlink(p, ut);
	if (last)
		status = p->exiting ? p->exit_code : status;
	spin_unlock(&proc_lock);
	if (!last) {
		preempt_disable();
		t->user_cr3 = 0;
		cr3_load(kernel_pgtable.pml4_phys);
		t->proc = NULL;
		t->uthread = NULL;
		preempt_enable();
		if (ut != &p->main)
			kfree(ut);
		thread_exit();
	}

	if (ops && ops->release_files)
		ops->release_files(p);
	preempt_disable();
	t->user_cr3 = 0;
	cr3_load(kernel_pgtable.pml4_phys);
	preempt_enable();
	mm_destroy(p->mm);
	p->mm = NULL;

	spin_lock(&proc_lock);
	for (int i = 0; i < PROC_MAX; i++) {
		struct proc *c = table[i];
		if (!c || c->parent != p)
			continue;
		c->parent = NULL;
		c->detached = true;
		if (c->state == PROC_ZOMBIE) {
			table[i] = NULL;
			orphans[norphans++] = c;
		}
	}
	p->status = status;
	p->state = PROC_ZOMBIE;
	reap_self = !p->parent && p->detached;
	if (reap_self)
		table_remove(p);
	spin_unlock(&proc_lock);

	for (unsigned i = 0; i < norphans; i++)
		proc_free(orphans[i]);
	wake_up_all(&child_exit);
	preempt_disable();
	t->proc = NULL;
	t->uthread = NULL;
	preempt_enable();
	if (ut != &p->main)
		kfree(ut);
	if (reap_self) {
		report_end(p, status);
		proc_free(p);
	}
	thread_exit();
}

int proc_exec_solo(void)
{
	struct proc *p = proc_current();
	struct uthread *me = uthread_current();
	bool ending;
	int n;

	spin_lock(&proc_lock);
	if (p->exiting || p->execer) {
		spin_unlock(&proc_lock);
		return -EINTR;
	}
	if (p->nthreads > 1) {
		p->execer = me;
		for (int i = 0; i < p->nthreads; i++)
			if (p->threads[i] != me && p->threads[i]->thread)
				thread_interrupt(p->threads[i]->thread);
	}
	spin_unlock(&proc_lock);
	/* They leave from user_return(); a thread in an uninterruptible
	 * wait in the kernel (a layout wait, a DMA) finishes it first. */
	for (;;) {
		spin_lock(&proc_lock);
		n = p->nthreads;
		ending = p->exiting;
		if (n == 1 || ending)
			p->execer = NULL;
		spin_unlock(&proc_lock);
		if (n == 1 || ending)
			break;
		thread_sleep_ns(200 * 1000);
	}
	if (ending)
		return -EINTR;
	clear_child_tid(p, me);
	spin_lock(&proc_lock);
	me->tid = p->pid;
	spin_unlock(&proc_lock);
	return 0;
}

void proc_exit(int status)
{
	leave(status, true);
}

void proc_thread_exit(int status)
{
	leave(status, false);
}

static bool matches(const struct proc *c, const struct proc *parent, int pid)
{
	if (c->parent != parent || (!parent && c->detached))
		return false;
	return pid == -1 || c->pid == pid || (pid < -1 && (int64_t)c->pgid == -(int64_t)pid) ||
	       (pid == 0 && parent && c->pgid == parent->pgid);
}

/* 1: a matching zombie, 0: matching children, none ended, -1: none. */
static int child_state(struct proc *parent, int pid)
{
	int r = -1;

	spin_lock(&proc_lock);
	for (int i = 0; i < PROC_MAX; i++) {
		struct proc *c = table[i];
		if (!c || !matches(c, parent, pid))
			continue;
		r = 0;
		if (c->state == PROC_ZOMBIE) {
			r = 1;
			break;
		}
	}
	spin_unlock(&proc_lock);
	return r;
}

int proc_wait(struct proc *parent, int pid, int *status, bool nohang)
{
	for (;;) {
		struct proc *z = NULL;
		int st, r;

		spin_lock(&proc_lock);
		for (int i = 0; i < PROC_MAX && !z; i++) {
			struct proc *c = table[i];
			if (c && matches(c, parent, pid) && c->state == PROC_ZOMBIE) {
				z = c;
				table[i] = NULL;
			}
		}
		spin_unlock(&proc_lock);
		if (z) {
			int zpid = z->pid;
			*status = z->status;
			proc_free(z);
			return zpid;
		}
		st = child_state(parent, pid);
		if (st < 0)
			return -ECHILD;
		if (nohang)
			return 0;
		r = wait_event_interruptible(&child_exit, child_state(parent, pid) != 0);
		if (r)
			return r;
	}
}

/* Signal the process @id (@group: every process of job @id). */
static int kill_match(int id, bool group, int sig)
{
	struct proc *self = proc_current();
	int self_pid = self ? self->pid : 0;
	int found = 0;

	if (sig < 0 || sig >= PROC_NSIG)
		return -EINVAL;
	spin_lock(&proc_lock);
	for (int i = 0; i < PROC_MAX; i++) {
		struct proc *p = table[i];
		if (!p || (group ? p->pgid != id : p->pid != id))
			continue;
		found++;
		/* Not p->thread: a child can run (and kill itself) before
		 * proc_start has stored it; the pending bit is what counts. */
		if (!sig || p->state != PROC_RUNNING)
			continue;
		signal_send_locked(p, sig, SI_USER, self_pid);
	}
	spin_unlock(&proc_lock);
	return found ? 0 : -ESRCH;
}

int proc_kill(int pid, int sig)
{
	struct proc *self = proc_current();

	if (pid == 0) {
		if (!self)
			return -ESRCH;
		return kill_match(self->pgid, true, sig);
	}
	if (pid == -1)
		return -EINVAL;		/* "every process": not supported */
	if (pid == INT32_MIN)
		return -ESRCH;		/* no group -INT_MIN */
	return pid > 0 ? kill_match(pid, false, sig) : kill_match(-pid, true, sig);
}

int proc_kill_group(int pgid, int sig)
{
	return kill_match(pgid, true, sig);
}

void proc_detach(int pid)
{
	struct proc *z = NULL;

	spin_lock(&proc_lock);
	for (int i = 0; i < PROC_MAX; i++) {
		struct proc *p = table[i];
		if (!p || p->pid != pid || p->parent)
			continue;
		p->detached = true;
		if (p->state == PROC_ZOMBIE) {
			table[i] = NULL;
			z = p;
		}
	}
	spin_unlock(&proc_lock);
	if (z) {
		report_end(z, z->status);
		proc_free(z);
	}
}

void proc_for_each(void (*fn)(const struct proc_info *pi, void *ctx), void *ctx)
{
	static const char *const states[] = { "new", "running", "zombie" };

	spin_lock(&proc_lock);
	for (int i = 0; i < PROC_MAX; i++) {
		struct proc *p = table[i];
		struct proc_info pi;
		if (!p)
			continue;
		pi.pid = p->pid;
		pi.ppid = p->parent ? p->parent->pid : 0;
		pi.state = states[p->state];
		if (p->state == PROC_RUNNING && p->thread)
			pi.state = thread_state_name(p->thread->state);
		pi.cpu = p->thread && p->state == PROC_RUNNING ? p->thread->cpu : -1;
		strlcpy(pi.name, p->name, sizeof(pi.name));
		pi.pages = p->mm ? mm_pages(p->mm) : 0;
		fn(&pi, ctx);
	}
	spin_unlock(&proc_lock);
}

unsigned proc_count(void)
{
	unsigned n = 0;

	spin_lock(&proc_lock);
	for (int i = 0; i < PROC_MAX; i++)
		n += table[i] != NULL;
	spin_unlock(&proc_lock);
	return n;
}

/* ------------------------------------------------------------ CPU hooks */

static int fault_signal(uint64_t vector)
{
	switch (vector) {
	case EXC_DE:
	case 16:		/* x87 error */
	case 19:		/* SIMD error */
		return 8;	/* SIGFPE */
	case EXC_UD:
		return 4;	/* SIGILL */
	case EXC_BP:
	case EXC_DB:
		return 5;	/* SIGTRAP */
	default:
		return SIGSEGV;
	}
}

static bool user_fault(struct trap_frame *tf, uint64_t addr, bool user_mode)
{
	struct proc *p = proc_current();
	int sig, err = -EFAULT;

	if (!p || !p->mm)
		return false;
	if (tf->vector == EXC_PF && addr < USER_TOP) {
		if (!(tf->rflags & RFLAGS_IF) || this_cpu()->preempt_count > 0)
			return false;	/* the kernel cannot sleep there: -EFAULT */
		irq_enable();
		err = mm_fault(p->mm, addr, tf->error & PF_WRITE, tf->error & PF_INSTR);
		if (err == 0)
			return true;
	}
	if (!user_mode)
		return false;
	irq_enable();
	sig = fault_signal(tf->vector);
	if (tf->vector == EXC_PF && addr < USER_TOP && err == -EIO)
		sig = SIGBUS;		/* a file mapping past the end of its file */
	if (tf->rip >= USER_TOP)	/* the IRETQ to ring 3 faulted: no handler */
		p->sigact[sig] = (struct ksigaction){ 0 };	/* could return there */
	proc_fault_signal(sig, tf->vector == EXC_PF ? addr : 0UL, tf->rip);
	return true;		/* a handler runs on the way back */
}

static void user_return(struct trap_frame *tf)
{
	struct proc *p = proc_current();

	if (!p)
		return;
	if (thread_interrupted())
		thread_interrupt_clear();
	if (__atomic_load_n(&p->exiting, __ATOMIC_ACQUIRE)) {
		irq_enable();
		proc_exit(0);		/* another thread ended the group */
	}
	{
		struct uthread *ex = __atomic_load_n(&p->execer, __ATOMIC_ACQUIRE);

		if (ex && ex != uthread_current()) {
			irq_enable();
			proc_thread_exit(0);	/* another thread is in execve */
		}
	}
	signal_deliver(tf);
}

void proc_init(void)
{
	user_fault_hook = user_fault;
	user_return_hook = user_return;
}
