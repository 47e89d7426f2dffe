/*
 * switch.S - context_switch(uint64_t *prev_rsp, uint64_t next_rsp)
 *
 * Saves the callee-saved registers on the current stack, stores the stack
 * pointer in *prev_rsp, loads next_rsp and restores the next thread's
 * registers.  Everything else (RFLAGS, the caller-saved registers) is saved
 * by the C caller's calling convention or by schedule() itself.
 * A new thread's stack is prepared by thread_create() so that the `ret`
 * below lands in thread_trampoline (kernel/sched.c).
 */
	.text
	.globl context_switch
context_switch:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
