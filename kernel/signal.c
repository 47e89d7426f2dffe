/*
 * signal.c - signals with handlers: raising a signal (a sender, or a
 * fault of the process itself: proc_fault_signal), delivering it on the
 * way back to ring 3 (run a handler, ignore, or end the process), and
 * rt_sigreturn.  include/kernel/signal.h has the interface and the lock
 * rules; the system calls that set actions and masks are in
 * syscall/signal.c.
 *
 * The frame is Linux's x86-64 rt_sigframe (arch/x86/kernel/signal.c,
 * arch/x86/include/uapi/asm/sigcontext.h), built below the user's stack
 * (past the 128-byte red zone) or at the top of the alternate stack:
 *
 *     fpstate   512-byte FXSAVE image, 64-byte aligned  <- uc_mcontext.fpstate
 *     siginfo   128 bytes                               <- RSI
 *     ucontext  flags, link, stack, sigcontext, mask    <- RDX
 *     pretcode  sa_restorer                             <- RSP (16n + 8, as after a call)
 *
 * The handler returns into the restorer (musl's __restore_rt), which
 * calls rt_sigreturn with RSP just above pretcode.  A system call whose
 * registers sigreturn changed goes back by IRETQ (syscall_entry.S takes
 * SYSRET only when RCX = RIP and R11 = RFLAGS), so every register comes
 * back.
 *
 * Restart: the SYSCALL entry keeps the call's number in the frame's
 * error slot (Linux's orig_ax).  A call that ends -EINTR because of a
 * signal is restarted (RIP back over the 2-byte SYSCALL, RAX = number)
 * when the handler has SA_RESTART or the signal was ignored; a call that
 * ends -ERESTARTNOHAND (pause and the like) only when it was ignored, else
 * it becomes -EINTR.  sigreturn and a delivery clear the slot (-1) so
 * nothing restarts twice.
 */
#include <kernel/signal.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/uaccess.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <arch/x86_64/irq.h>
#include <arch/x86_64/syscall.h>
#include <arch/x86_64/fpu.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/desc.h>
#include <arch/x86_64/switch.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/compiler.h>

/* Guards every process's sig_pending and siginfo[]: senders and the
 * delivering thread.  Taken inside proc_lock. */
static spinlock_t sig_lock = SPINLOCK_INIT("signals");

#define UNBLOCKABLE	SIG_UNBLOCKABLE
#define REDZONE		128		/* the x86-64 ABI's red zone below RSP */
#define FPSTATE_ALIGN	64
#define SYSCALL_INSN_LEN 2		/* 0f 05 */
#define NO_RESTART	((uint64_t)-1)
#define UC_SIGCONTEXT_SS	0x2
#define UC_STRICT_RESTORE_SS	0x4
#define RFLAGS_TF	(1UL << 8)
#define RFLAGS_DF	(1UL << 10)
#define RFLAGS_RF	(1UL << 16)

/* arch/x86/include/uapi/asm/sigcontext.h, struct sigcontext (64-bit). */
struct user_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;		/* user address of the FXSAVE image, 0: none */
	uint64_t reserved1[8];
};

struct user_stack {			/* stack_t */
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

struct user_ucontext {			/* the kernel's struct ucontext */
	uint64_t uc_flags;
	uint64_t uc_link;
	struct user_stack uc_stack;
	struct user_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct user_siginfo {			/* asm-generic/siginfo.h, 128 bytes */
	int32_t si_signo, si_errno, si_code, pad;
	union {
		struct { int32_t pid; uint32_t uid; } kill;
		struct { uint64_t addr; } fault;
		uint8_t bytes[112];
	} f;
};

struct rt_sigframe {
	uint64_t pretcode;
	struct user_ucontext uc;
	struct user_siginfo info;
};

_Static_assert(sizeof(struct user_sigcontext) == 256, "struct sigcontext is 256 bytes");
_Static_assert(sizeof(struct user_ucontext) == 304, "struct ucontext is 304 bytes");
_Static_assert(sizeof(struct user_siginfo) == 128, "siginfo_t is 128 bytes");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "rt_sigframe layout");

bool signal_default_ignored(int sig)
{
	/* SIGCHLD, SIGCONT, SIGURG, SIGWINCH; the stop signals too, since
	 * nothing stops a process yet. */
	return sig == SIGCHLD || sig == 18 || sig == 19 || sig == 20 || sig == 21 ||
	       sig == 22 || sig == 23 || sig == 28;
}

static void queue_locked(uint64_t *pending, struct ksiginfo *info, int sig, int code,
			 int sender_pid, uint64_t addr)
{
	if (!(*pending & SIGBIT(sig))) {
		info[sig].code = code;
		info[sig].pid = sender_pid;
		info[sig].addr = addr;
	}
	__atomic_or_fetch(pending, SIGBIT(sig), __ATOMIC_SEQ_CST);
}

static bool blocks(const struct uthread *ut, int sig)
{
	return !(SIGBIT(sig) & UNBLOCKABLE) &&
	       (__atomic_load_n(&ut->sigmask, __ATOMIC_RELAXED) & SIGBIT(sig));
}

void signal_send_locked(struct proc *p, int sig, int code, int sender_pid)
{
	spin_lock(&sig_lock);
	queue_locked(&p->sig_pending, p->siginfo, sig, code, sender_pid, 0);
	spin_unlock(&sig_lock);
	/* Interrupt one thread that does not block it (a blocked signal
	 * does not end a wait: it stays pending); SIGKILL: all of them. */
	for (int i = 0; i < p->nthreads; i++) {
		struct uthread *ut = p->threads[i];
		if (!ut->thread || blocks(ut, sig))
			continue;
		thread_interrupt(ut->thread);
		if (sig != SIGKILL)
			break;
	}
}

void signal_send_thread_locked(struct uthread *ut, int sig, int code, int sender_pid)
{
	spin_lock(&sig_lock);
	queue_locked(&ut->sig_pending, ut->siginfo, sig, code, sender_pid, 0);
	spin_unlock(&sig_lock);
	if (ut->thread && !blocks(ut, sig))
		thread_interrupt(ut->thread);
}

static __noreturn void die(int sig)
{
	irq_enable();
	proc_exit(WSTATUS_SIGNALED(sig));
}

void proc_fault_signal(int sig, uint64_t addr, uint64_t rip)
{
	struct proc *p = proc_current();
	struct uthread *ut = uthread_current();
	const struct ksigaction *ka = &p->sigact[sig];

	if (ka->handler > SIG_IGN_HANDLER && !(ut->sigmask & SIGBIT(sig))) {
		spin_lock(&sig_lock);
		ut->sig_pending &= ~SIGBIT(sig);	/* this fault's info, not an older one's */
		queue_locked(&ut->sig_pending, ut->siginfo, sig,
			     sig == SIGBUS ? BUS_ADRERR : SEGV_MAPERR, 0, addr);
		spin_unlock(&sig_lock);
		return;
	}
	if (sig == SIGSEGV || sig == SIGBUS)
		kprintf("[pid %d %s: %s at 0x%lx, rip 0x%lx]\n", p->pid, p->name,
			proc_signal_name(sig), addr, rip);
	else
		kprintf("[pid %d %s: %s at rip 0x%lx]\n", p->pid, p->name,
			proc_signal_name(sig), rip);
	die(sig);
}

/* The lowest pending signal not blocked (sent to the thread first, then
 * to the process), taken off its set with its info; 0 when none. */
static int dequeue(struct proc *p, struct uthread *ut, struct ksiginfo *info)
{
	uint64_t allowed = ~(ut->sigmask & ~UNBLOCKABLE), ready;
	int sig = 0;

	if (!((__atomic_load_n(&ut->sig_pending, __ATOMIC_RELAXED) |
	       __atomic_load_n(&p->sig_pending, __ATOMIC_RELAXED)) & allowed))
		return 0;
	spin_lock(&sig_lock);
	if ((ready = ut->sig_pending & allowed)) {
		sig = __builtin_ctzll(ready) + 1;
		*info = ut->siginfo[sig];
		__atomic_and_fetch(&ut->sig_pending, ~SIGBIT(sig), __ATOMIC_SEQ_CST);
	} else if ((ready = p->sig_pending & allowed)) {
		sig = __builtin_ctzll(ready) + 1;
		*info = p->siginfo[sig];
		__atomic_and_fetch(&p->sig_pending, ~SIGBIT(sig), __ATOMIC_SEQ_CST);
	}
	spin_unlock(&sig_lock);
	return sig;
}

/* An -EINTR system call interrupted on its way out: restart it? */
/* @handler: a handler is about to run (with @restart: SA_RESTART);
 * else the signal was ignored. */
static void maybe_restart(struct trap_frame *tf, bool handler, bool restart)
{
	int64_t r = (int64_t)tf->rax;

	if (tf->vector != TRAP_SYSCALL || tf->error == NO_RESTART)
		return;
	if ((r == -EINTR && (!handler || restart)) || (r == -ERESTARTNOHAND && !handler)) {
		tf->rax = tf->error;
		tf->rip -= SYSCALL_INSN_LEN;
	} else if (r == -ERESTARTNOHAND) {
		tf->rax = (uint64_t)-EINTR;
	}
	tf->error = NO_RESTART;
}

/* -ERESTARTNOHAND never reaches a program: interrupted, nothing restarted. */
static void no_errno_left(struct trap_frame *tf)
{
	if (tf->vector == TRAP_SYSCALL && (int64_t)tf->rax == -ERESTARTNOHAND)
		tf->rax = (uint64_t)-EINTR;
}

static bool on_altstack(const struct uthread *ut, uint64_t sp)
{
	return ut->altstack.size && sp > ut->altstack.sp && sp - ut->altstack.sp <= ut->altstack.size;
}

static void fill_frame(struct rt_sigframe *f, const struct trap_frame *tf,
		       const struct proc *p, const struct uthread *ut, int sig, const struct ksiginfo *info,
		       uint64_t fp_user)
{
	struct user_sigcontext *sc = &f->uc.uc_mcontext;

	memset(f, 0, sizeof(*f));
	f->pretcode = p->sigact[sig].restorer;
	f->uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	f->uc.uc_stack.ss_sp = ut->altstack.sp;
	f->uc.uc_stack.ss_size = ut->altstack.size;
	f->uc.uc_stack.ss_flags = !ut->altstack.size ? SS_DISABLE :
				  on_altstack(ut, tf->rsp) ? SS_ONSTACK : 0;
	sc->r8 = tf->r8; sc->r9 = tf->r9; sc->r10 = tf->r10; sc->r11 = tf->r11;
	sc->r12 = tf->r12; sc->r13 = tf->r13; sc->r14 = tf->r14; sc->r15 = tf->r15;
	sc->rdi = tf->rdi; sc->rsi = tf->rsi; sc->rbp = tf->rbp; sc->rbx = tf->rbx;
	sc->rdx = tf->rdx; sc->rax = tf->rax; sc->rcx = tf->rcx; sc->rsp = tf->rsp;
	sc->rip = tf->rip; sc->eflags = tf->rflags;
	sc->cs = (uint16_t)tf->cs; sc->ss = (uint16_t)tf->ss;
	sc->trapno = tf->vector < VEC_EXCEPTIONS ? tf->vector : 0;
	sc->err = tf->vector < VEC_EXCEPTIONS ? tf->error : 0;
	sc->cr2 = info->addr;
	sc->oldmask = ut->restore_sigmask ? ut->saved_sigmask : ut->sigmask;
	sc->fpstate = fp_user;
	f->uc.uc_sigmask = sc->oldmask;	/* what rt_sigreturn puts back */
	f->info.si_signo = sig;
	f->info.si_code = info->code;
	if (info->addr || sig == SIGSEGV || sig == SIGBUS)
		f->info.f.fault.addr = info->addr;
	else
		f->info.f.kill.pid = info->pid;
}

/* Build the frame and point the registers at the handler; false when the
 * frame cannot be written (the caller kills with SIGSEGV). */
static bool setup_frame(struct proc *p, struct uthread *ut, struct trap_frame *tf, int sig,
			const struct ksiginfo *info)
{
	const struct ksigaction *ka = &p->sigact[sig];
	uint8_t fp[FXSAVE_SIZE] __attribute__((aligned(FXSAVE_ALIGN)));
	struct rt_sigframe *f;
	uint64_t sp = tf->rsp, fp_user, fsp;
	bool ok;

	if (!(ka->flags & SA_RESTORER))
		return false;		/* x86-64 has no vDSO trampoline here */
	if ((ka->flags & SA_ONSTACK) && ut->altstack.size && !on_altstack(ut, sp))
		sp = ut->altstack.sp + ut->altstack.size;
	else
		sp -= REDZONE;
	fp_user = (sp - FXSAVE_SIZE) & ~(uint64_t)(FPSTATE_ALIGN - 1);
	fsp = ((fp_user - sizeof(*f)) & ~(uint64_t)15) - 8;
	if (!user_range_ok(fsp, sp - fsp) || fsp > sp)
		return false;
	f = kmalloc(sizeof(*f));
	if (!f)
		return false;
	fill_frame(f, tf, p, ut, sig, info, fp_user);
	arch_fpu_save(fp);
	ok = !copy_to_user(fp_user, fp, sizeof(fp)) && !copy_to_user(fsp, f, sizeof(*f));
	kfree(f);
	if (!ok)
		return false;

	tf->rdi = (uint64_t)sig;
	tf->rsi = fsp + offsetof(struct rt_sigframe, info);
	tf->rdx = fsp + offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
	tf->rsp = fsp;
	tf->rip = ka->handler;
	tf->rflags &= ~(RFLAGS_DF | RFLAGS_TF | RFLAGS_RF);
	tf->cs = USER_CS;
	tf->ss = USER_SS;
	arch_fpu_init(current_thread());	/* the handler starts with a clean FPU */
	__atomic_store_n(&ut->sigmask, (ut->sigmask | ka->mask |
			 ((ka->flags & SA_NODEFER) ? 0 : SIGBIT(sig))) & ~UNBLOCKABLE, __ATOMIC_RELAXED);
	if (ka->flags & SA_RESETHAND)
		p->sigact[sig] = (struct ksigaction){ 0 };
	return true;
}

void signal_mask_temporarily(uint64_t mask)
{
	struct uthread *ut = uthread_current();

	if (!ut->restore_sigmask) {
		ut->saved_sigmask = ut->sigmask;
		ut->restore_sigmask = true;
	}
	__atomic_store_n(&ut->sigmask, mask & ~UNBLOCKABLE, __ATOMIC_SEQ_CST);
}

void signal_mask_restore(void)
{
	struct uthread *ut = uthread_current();

	if (ut->restore_sigmask) {
		ut->restore_sigmask = false;
		__atomic_store_n(&ut->sigmask, ut->saved_sigmask, __ATOMIC_RELAXED);
	}
}

bool signal_unblocked_pending(void)
{
	struct proc *p = proc_current();
	struct uthread *ut = uthread_current();

	return ((__atomic_load_n(&ut->sig_pending, __ATOMIC_RELAXED) |
		 __atomic_load_n(&p->sig_pending, __ATOMIC_RELAXED)) &
		~(__atomic_load_n(&ut->sigmask, __ATOMIC_RELAXED) & ~UNBLOCKABLE)) != 0;
}

void signal_deliver(struct trap_frame *tf)
{
	struct proc *p = proc_current();
	struct uthread *ut = uthread_current();
	bool irqs = irqs_enabled();
	struct ksiginfo info;
	int sig;

	if (!signal_unblocked_pending()) {
		signal_mask_restore();
		no_errno_left(tf);
		return;
	}
	/* The frame may need a stack page faulted in: interrupts on (the
	 * interrupt path comes here with them off, and wants them off back,
	 * since its way out swaps GS before IRETQ). */
	irq_enable();
	while ((sig = dequeue(p, ut, &info))) {
		const struct ksigaction *ka = &p->sigact[sig];

		if (sig != SIGKILL && (ka->handler == SIG_IGN_HANDLER ||
		    (ka->handler == SIG_DFL_HANDLER && signal_default_ignored(sig)))) {
			maybe_restart(tf, false, false);
			continue;
		}
		if (sig == SIGKILL || ka->handler == SIG_DFL_HANDLER)
			die(sig);
		maybe_restart(tf, true, ka->flags & SA_RESTART);
		if (!setup_frame(p, ut, tf, sig, &info)) {
			kprintf("[pid %d %s: SIGSEGV: cannot build the frame for %s at 0x%lx]\n",
				p->pid, p->name, proc_signal_name(sig), tf->rsp);
			die(SIGSEGV);
		}
		ut->restore_sigmask = false;	/* the frame holds the old mask */
		break;			/* one handler per return; the rest next time */
	}
	signal_mask_restore();
	no_errno_left(tf);
	if (!irqs)
		irq_disable();
}

uint64_t signal_return(struct trap_frame *tf)
{
	struct proc *p = proc_current();
	struct user_ucontext uc;
	const struct user_sigcontext *sc = &uc.uc_mcontext;
	uint64_t ucp = tf->rsp;		/* the restorer's RET popped pretcode */
	uint8_t fp[FXSAVE_SIZE] __attribute__((aligned(FXSAVE_ALIGN)));

	if (copy_from_user(&uc, ucp, sizeof(uc)) ||
	    (sc->fpstate && ((sc->fpstate & (FXSAVE_ALIGN - 1)) ||
			     copy_from_user(fp, sc->fpstate, sizeof(fp))))) {
		kprintf("[pid %d %s: SIGSEGV: bad signal frame at 0x%lx]\n", p->pid, p->name, ucp);
		die(SIGSEGV);
	}
	tf->r8 = sc->r8; tf->r9 = sc->r9; tf->r10 = sc->r10; tf->r11 = sc->r11;
	tf->r12 = sc->r12; tf->r13 = sc->r13; tf->r14 = sc->r14; tf->r15 = sc->r15;
	tf->rdi = sc->rdi; tf->rsi = sc->rsi; tf->rbp = sc->rbp; tf->rbx = sc->rbx;
	tf->rdx = sc->rdx; tf->rcx = sc->rcx; tf->rsp = sc->rsp; tf->rip = sc->rip;
	tf->rflags = (tf->rflags & ~RFLAGS_USER) | (sc->eflags & RFLAGS_USER);
	tf->cs = USER_CS;		/* never anything but ring 3 */
	tf->ss = USER_SS;
	tf->error = NO_RESTART;
	if (sc->fpstate)
		arch_fpu_load_user(fp);
	else
		arch_fpu_init(current_thread());
	__atomic_store_n(&uthread_current()->sigmask, uc.uc_sigmask & ~UNBLOCKABLE, __ATOMIC_RELAXED);
	return sc->rax;
}

void signal_exec_reset(struct proc *p)
{
	for (int s = 0; s < PROC_NSIG; s++)
		if (p->sigact[s].handler != SIG_IGN_HANDLER)
			p->sigact[s] = (struct ksigaction){ 0 };
	uthread_current()->altstack = (struct sig_stack){ 0, 0 };
}
