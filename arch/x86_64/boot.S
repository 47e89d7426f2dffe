/*
 * boot.S - multiboot headers and the 32-bit -> 64-bit entry.
 *
 * Both loaders enter _start in 32-bit protected mode with paging off:
 *   multiboot1 (QEMU -kernel): EAX = 0x2BADB002, EBX = physical address of
 *     the multiboot1 information (Multiboot Specification 0.6.96, sec. 3.2);
 *   multiboot2 (GRUB):         EAX = 0x36D76289, EBX = physical address of
 *     the multiboot2 information (Multiboot2 Specification 1.0, sec. 3.3).
 *
 * _start records the TSC (for the boot-time figure), clears .bss, checks
 * that the CPU has long mode, builds a temporary set of page tables that map
 * the first 4 GiB three times (identity, the direct map at DIRECT_MAP_BASE
 * and the kernel image at KERNEL_BASE), enables PAE + long mode + paging,
 * and jumps to 64-bit code in the higher half, which calls
 * kmain(magic, info_phys).  kmain replaces these tables with its own.
 *
 * Everything here runs at physical addresses: symbols in the higher half
 * are reached as (symbol - KERNEL_BASE).
 */
#include <arch/x86_64/boot.h>

#define PHYS(x)	((x) - KERNEL_BASE_ASM)

/* ------------------------------------------------------------------ */
/* Multiboot 1 header: must lie in the first 8 KiB of the file, 4-byte
 * aligned.  Flag bit 16 says the address fields below are valid, which
 * is what lets QEMU's -kernel load this ELF64 file. */
	.section .multiboot1, "a"
	.balign 4
mb1_header:
	.long MB1_HEADER_MAGIC
	.long MB1_HEADER_FLAGS
	.long -(MB1_HEADER_MAGIC + MB1_HEADER_FLAGS)
	.long mb1_header		/* header_addr */
	.long __image_phys_start	/* load_addr: file bytes from here... */
	.long __load_end_phys		/* load_end_addr: ...up to here */
	.long __bss_end_phys		/* bss_end_addr: zeroed up to here */
	.long _start			/* entry_addr */

/* ------------------------------------------------------------------ */
/* Multiboot 2 header: first 32 KiB of the file, 8-byte aligned. */
	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_HEADER_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* entry address tag (type 3): start here, not at the ELF entry */
	.balign 8
	.short MB2_HTAG_ENTRY
	.short 0
	.long 12
	.long _start
	/* end tag */
	.balign 8
	.short MB2_HTAG_END
	.short 0
	.long 8
mb2_header_end:

/* ------------------------------------------------------------------ */
	.section .boot.data, "aw"
	.balign 8
	.globl boot_mb_magic, boot_mb_info, boot_tsc_start
boot_mb_magic:	.long 0
boot_mb_info:	.long 0
boot_tsc_start:	.quad 0

/* Temporary GDT: null, 64-bit code (selector 0x08), data (0x10). */
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* code: L=1, P=1, DPL=0, execute/read */
	.quad 0x00cf92000000ffff	/* data: P=1, DPL=0, read/write */
boot_gdt_end:
boot_gdtr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt

no_lm_msg:
	.asciz "holdfast: this CPU has no long mode (64-bit); cannot boot\r\n"

/* ------------------------------------------------------------------ */
	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl	%eax, boot_mb_magic
	movl	%ebx, boot_mb_info
	rdtsc
	movl	%eax, boot_tsc_start
	movl	%edx, boot_tsc_start + 4

	/* Clear .bss (the loaders are supposed to, but the page tables and
	 * the stack live there, so do not depend on it). */
	movl	$PHYS(__bss_start), %edi
	movl	$PHYS(__bss_end), %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb

	movl	$PHYS(boot_stack_top), %esp

	/* CPUID.80000001H:EDX bit 29 = long mode (Intel SDM Vol. 2A, CPUID). */
	movl	$CPUID_EXT_MAX, %eax
	cpuid
	cmpl	$CPUID_EXT_FEATURES, %eax
	jb	no_long_mode
	movl	$CPUID_EXT_FEATURES, %eax
	cpuid
	btl	$CPUID_EXT_EDX_LM, %edx
	jnc	no_long_mode
	movl	%edx, %ebp		/* keep EDX: bit 20 says NX */

	/* PML4[0] and PML4[256] -> pdpt_lo (identity and direct map);
	 * PML4[511] -> pdpt_hi (kernel image). */
	movl	$PHYS(boot_pdpt_lo) + PTE_BOOT_TABLE, %eax
	movl	%eax, PHYS(boot_pml4)
	movl	%eax, PHYS(boot_pml4) + 256 * 8
	movl	$PHYS(boot_pdpt_hi) + PTE_BOOT_TABLE, %eax
	movl	%eax, PHYS(boot_pml4) + 511 * 8

	/* pdpt_lo[0..3] -> the four page directories (0..4 GiB);
	 * pdpt_hi[510] -> the first one (KERNEL_BASE maps physical 0). */
	movl	$PHYS(boot_pd) + PTE_BOOT_TABLE, %eax
	movl	$PHYS(boot_pdpt_lo), %edi
	movl	$4, %ecx
1:	movl	%eax, (%edi)
	addl	$4096, %eax
	addl	$8, %edi
	loop	1b
	movl	$PHYS(boot_pd) + PTE_BOOT_TABLE, %eax
	movl	%eax, PHYS(boot_pdpt_hi) + 510 * 8

	/* 2048 2-MiB entries mapping 0..4 GiB. */
	movl	$PHYS(boot_pd), %edi
	movl	$PTE_BOOT_LARGE, %eax
	xorl	%edx, %edx
	movl	$2048, %ecx
2:	movl	%eax, (%edi)
	movl	%edx, 4(%edi)
	addl	$0x200000, %eax
	adcl	$0, %edx
	addl	$8, %edi
	loop	2b

	/* CR4.PAE, CR3, EFER.LME (+NXE when the CPU has NX), CR0.PG|WP. */
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$PHYS(boot_pml4), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	btl	$CPUID_EXT_EDX_NX, %ebp
	jnc	3f
	orl	$EFER_NXE, %eax
3:	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP | CR0_PE), %eax
	movl	%eax, %cr0

	lgdt	boot_gdtr
	ljmp	$BOOT_CS, $long_mode_entry

no_long_mode:
	movl	$no_lm_msg, %esi
4:	lodsb
	testb	%al, %al
	jz	5f
	movw	$COM1_PORT, %dx
	outb	%al, %dx
	jmp	4b
5:	hlt
	jmp	5b

	.code64
long_mode_entry:
	movw	$BOOT_DS, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorl	%eax, %eax
	movw	%ax, %fs
	movw	%ax, %gs
	movabsq	$higher_half_entry, %rax
	jmp	*%rax

/* ------------------------------------------------------------------ */
	.text
higher_half_entry:
	movabsq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp
	movl	boot_mb_magic, %edi
	movl	boot_mb_info, %esi
	call	kmain
6:	cli
	hlt
	jmp	6b

/* ------------------------------------------------------------------ */
	.section .bss.pagetables, "aw", @nobits
	.balign 4096
	.globl boot_pml4
boot_pml4:	.skip 4096
boot_pdpt_lo:	.skip 4096
boot_pdpt_hi:	.skip 4096
boot_pd:	.skip 4096 * 4

/* The boot CPU's first stack, with an unmapped guard page below it once
 * the kernel's own page tables are in place (see mm/paging setup). */
	.globl boot_stack_guard, boot_stack_bottom, boot_stack_top
	.balign 4096
boot_stack_guard:	.skip 4096
boot_stack_bottom:	.skip BOOT_STACK_SIZE
boot_stack_top:
