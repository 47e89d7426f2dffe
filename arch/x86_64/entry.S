/*
 * entry.S - interrupt and exception entry stubs.
 *
 * One stub per vector pushes a zero error code when the CPU does not push
 * one (so every frame has the same shape), then the vector number, and jumps
 * to trap_common, which saves the general registers as a struct trap_frame
 * (include/arch/x86_64/irq.h) and calls trap_handler(frame).
 *
 * Ring 3: while user code runs, GS base holds the user's value and the
 * kernel's per-CPU pointer waits in KERNEL_GS_BASE.  An interrupt or
 * exception taken in ring 3 (the saved CS has RPL 3) does swapgs on the
 * way in and again on the way out.  One kernel-mode exception also comes
 * with the user's GS: a fault of the IRETQ that returns to ring 3
 * (user_iretq, in syscall.S: a non-canonical RIP, say), raised after
 * swapgs; it is recognised by its RIP and swaps too.
 *
 * Vectors whose exceptions push an error code: 8, 10-14, 17, 21, 29, 30
 * (Intel SDM Vol. 3A, table 6-1).
 */
	.altmacro
	.text

	.macro TRAP_STUB vec
	.balign 16
trap_stub_\vec:
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	trap_common
	.endm

	.set	vec, 0
	.rept	256
	TRAP_STUB %vec
	.set	vec, vec + 1
	.endr

trap_common:
	testb	$3, 24(%rsp)		/* CS of the interrupted code */
	jnz	1f
	pushq	%rax
	leaq	user_iretq(%rip), %rax
	cmpq	%rax, 24(%rsp)		/* RIP (one slot deeper now) */
	popq	%rax
	jne	2f
1:	swapgs
2:	pushq	%rax
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
	/* A frame-pointer link so backtraces continue into the interrupted code. */
	pushq	17 * 8(%rsp)		/* the interrupted RIP */
	pushq	%rbp
	movq	%rsp, %rbp
	call	trap_handler
	addq	$16, %rsp
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
	addq	$16, %rsp		/* vector and error code */
	testb	$3, 8(%rsp)		/* back to ring 3? */
	jz	3f
	swapgs
3:	iretq

/*
 * trap_return_user - the common way back to ring 3 for a frame at %rsp
 * (enter_user and the IRETQ path of a system call): restore every
 * register and return with IRETQ, swapping GS last.
 */
	.globl	trap_return_user
trap_return_user:
	cli
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
	addq	$16, %rsp
	swapgs
	.globl	user_iretq
user_iretq:
	iretq

/* Table of stub addresses for idt_init(). */
	.macro STUB_ADDR vec
	.quad	trap_stub_\vec
	.endm
	.section .rodata
	.balign 8
	.globl trap_stubs
trap_stubs:
	.set	vec, 0
	.rept	256
	STUB_ADDR %vec
	.set	vec, vec + 1
	.endr
