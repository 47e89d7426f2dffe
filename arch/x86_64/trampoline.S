/*
 * trampoline.S - where a secondary CPU (AP) starts: 16-bit real mode at
 * physical TRAMP_BASE, after the INIT-SIPI-SIPI sequence (Intel SDM Vol. 3A,
 * 9.4.4 and 8.4).  It goes to protected mode, turns on PAE, long mode and
 * paging with the kernel's page tables (which map this page at its
 * physical address while APs start), and jumps to ap_entry(cpu) in the
 * kernel with the stack the boot CPU prepared.
 *
 * The code is position dependent on TRAMP_BASE: smp.c copies the bytes
 * between trampoline_start and trampoline_end there and fills the data
 * slots at the end (cr3, stack, entry, cpu, efer bits).
 */
#include <arch/x86_64/boot.h>
#include <arch/x86_64/smp.h>

#define T(x)	(TRAMP_BASE + (x) - trampoline_start)

	.section .rodata
	.code16
	.globl trampoline_start, trampoline_end
trampoline_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	lgdtl	T(tramp_gdtr)
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $T(tramp32)

	.code32
tramp32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	T(tramp_cr3), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	T(tramp_efer), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP), %eax
	movl	%eax, %cr0
	ljmpl	$0x18, $T(tramp64)

	.code64
tramp64:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movq	T(tramp_stack), %rsp
	movq	T(tramp_cpu), %rdi
	xorl	%ebp, %ebp
	movq	T(tramp_entry), %rax
	jmp	*%rax

	.balign 8
tramp_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
	.quad	0x00af9a000000ffff	/* 0x18: 64-bit code */
tramp_gdtr:
	.short	4 * 8 - 1
	.long	T(tramp_gdt)
	.balign 8
	.globl tramp_data
tramp_data:
tramp_cr3:	.quad 0
tramp_stack:	.quad 0
tramp_entry:	.quad 0
tramp_cpu:	.quad 0
tramp_efer:	.quad 0
trampoline_end:
