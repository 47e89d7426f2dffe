/*
 * entry.S - interrupt and exception entry stubs.
 *
 * One stub per vector pushes a zero error code when the CPU does not push
 * one (so every frame has the same shape), then the vector number, and jumps
 * to trap_common, which saves the general registers as a struct trap_frame
 * (include/arch/x86_64/irq.h) and calls trap_handler(frame).  Holdfast has
 * no user mode, so there is no swapgs.
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
