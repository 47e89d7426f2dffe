/*
 * boot.h - constants shared by the 32-bit entry code (boot.S) and C.
 *
 * Multiboot values: Multiboot Specification 0.6.96 (sec. 3.1) and Multiboot2
 * Specification 1.0 (sec. 3.1).  Control-register, EFER and paging bits:
 * Intel SDM Vol. 3A, ch. 2 and 4.
 */
#ifndef ARCH_X86_64_BOOT_H
#define ARCH_X86_64_BOOT_H

#define KERNEL_BASE_ASM		0xffffffff80000000

/* Multiboot 1 header */
#define MB1_HEADER_MAGIC	0x1BADB002
#define MB1_FLAG_PAGE_ALIGN	(1 << 0)	/* modules page aligned */
#define MB1_FLAG_MEMINFO	(1 << 1)	/* want mem_* and mmap_* */
#define MB1_FLAG_ADDRESSES	(1 << 16)	/* header address fields valid */
#define MB1_HEADER_FLAGS	(MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMINFO | MB1_FLAG_ADDRESSES)
#define MB1_BOOTLOADER_MAGIC	0x2BADB002

/* Multiboot 2 header */
#define MB2_HEADER_MAGIC	0xE85250D6
#define MB2_ARCH_I386		0
#define MB2_HTAG_END		0
#define MB2_HTAG_ENTRY		3
#define MB2_BOOTLOADER_MAGIC	0x36D76289

/* CPUID leaves and bits (Intel SDM Vol. 2A, CPUID) */
#define CPUID_EXT_MAX		0x80000000
#define CPUID_EXT_FEATURES	0x80000001
#define CPUID_EXT_EDX_NX	20
#define CPUID_EXT_EDX_LM	29

#define CR0_PE			(1 << 0)
#define CR0_WP			(1 << 16)
#define CR0_PG			(1 << 31)
#define CR4_PAE			(1 << 5)
#define MSR_EFER		0xC0000080
#define EFER_LME		(1 << 8)
#define EFER_NXE		(1 << 11)

/* Boot page-table entries: present + writable (+ PS for 2 MiB pages). */
#define PTE_BOOT_TABLE		0x003
#define PTE_BOOT_LARGE		0x083

#define BOOT_CS			0x08
#define BOOT_DS			0x10
#define COM1_PORT		0x3F8

#define BOOT_STACK_SIZE		(16 * 1024)

#ifndef __ASSEMBLY__
#include <stdint.h>

/* Defined in boot.S. */
extern uint64_t boot_tsc_start;		/* TSC at _start (physical address until
					 * paging_init: kmain copies it first) */
extern char boot_stack_guard[];		/* unmapped page below the boot stack */
extern char boot_stack_bottom[];	/* the boot CPU's first stack */
#endif

#endif
