/*
 * syscall_entry.S - the SYSCALL entry and the SYSRET/IRETQ way back.
 *
 * SYSCALL (Intel SDM Vol. 2B, "SYSCALL"): the CPU saves RIP in RCX and
 * RFLAGS in R11, clears the RFLAGS bits set in IA32_FMASK (IF among them,
 * so we start with interrupts off), loads CS/SS from IA32_STAR and jumps
 * to IA32_LSTAR.  It does not switch stacks: RSP is still the user's.
 *
 * The entry swaps GS to reach this CPU's block, parks the user RSP in
 * cpu->scratch_rsp, loads the running thread's kernel stack top
 * (cpu->kstack_top, set by every switch to the thread) and builds a
 * struct trap_frame there exactly as an interrupt from ring 3 would have
 * (SS, RSP, RFLAGS, CS, RIP, error 0, vector TRAP_SYSCALL, then the
 * general registers), so fork, exec and the signal code see one frame
 * format.  Then it enables interrupts and calls syscall_handler(frame).
 *
 * The way back: interrupts off, and if the saved RIP is canonical and
 * the saved RCX and R11 still equal RIP and RFLAGS (a signal frame or
 * rt_sigreturn changes them: every register must come back), the
 * registers are restored and SYSRET returns (RCX = RIP, R11 = RFLAGS, as
 * the ABI says those two are clobbered); otherwise IRETQ.  The error slot
 * of the frame holds the call's number (Linux's orig_ax: restarts,
 * kernel/signal.c).  If RIP is not canonical SYSRET
 * would raise #GP in ring 0 with the user's RSP on Intel CPUs, so that
 * case returns through IRETQ (trap_return_user), whose fault is taken as
 * a user fault (entry.S, trap.c).
 */
#include <arch/x86_64/syscall.h>

	.text
	.globl	syscall_entry
syscall_entry:
	swapgs
	movq	%rsp, %gs:CPU_SCRATCH_RSP_OFF
	movq	%gs:CPU_KSTACK_TOP_OFF, %rsp
	pushq	$0x23			/* USER_SS (desc.h) */
	pushq	%gs:CPU_SCRATCH_RSP_OFF
	pushq	%r11			/* RFLAGS */
	pushq	$0x2b			/* USER_CS */
	pushq	%rcx			/* RIP */
	pushq	%rax			/* error slot: the call's number (restarts) */
	pushq	$TRAP_SYSCALL
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	cld
	movq	%rsp, %rdi
	xorl	%ebp, %ebp		/* backtraces stop here */
	sti
	call	syscall_dispatch_arch
	cli
	movq	17 * 8(%rsp), %rcx	/* RIP */
	cmpq	%rcx, 12 * 8(%rsp)	/* RCX = RIP?  (not after sigreturn) */
	jne	trap_return_user
	shrq	$47, %rcx
	jnz	trap_return_user	/* not canonical (or not user): IRETQ */
	movq	19 * 8(%rsp), %rcx	/* RFLAGS */
	cmpq	%rcx, 4 * 8(%rsp)	/* R11 = RFLAGS? */
	jne	trap_return_user
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	movq	16(%rsp), %rcx		/* RIP */
	movq	32(%rsp), %r11		/* RFLAGS */
	movq	40(%rsp), %rsp		/* the user's RSP */
	swapgs
	sysretq

/* enter_user(struct trap_frame *tf): never returns. */
	.globl	enter_user
enter_user:
	movq	%rdi, %rsp
	jmp	trap_return_user
