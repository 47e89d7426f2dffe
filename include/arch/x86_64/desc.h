/*
 * desc.h - segment descriptors, the TSS and the IDT (Intel SDM Vol. 3A,
 * sections 3.4.5, 7.7 and 6.14).
 *
 * Holdfast runs only in ring 0: the GDT has a 64-bit code and a data
 * segment and the TSS, whose only job is to supply the interrupt stack
 * table (IST) stacks for double faults, NMIs and machine checks.
 */
#ifndef ARCH_X86_64_DESC_H
#define ARCH_X86_64_DESC_H

#include <stdint.h>
#include <lib/compiler.h>

#define GDT_KCODE	0x08
#define GDT_KDATA	0x10
#define GDT_TSS		0x18
#define GDT_ENTRIES	5		/* null, code, data, TSS (two slots) */

/* IST slots (1-based in the IDT gate; 0 = no IST) */
#define IST_DOUBLE_FAULT 1
#define IST_NMI		2
#define IST_MCE		3
#define IST_COUNT	3

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;

struct gdt_table {
	uint64_t entry[GDT_ENTRIES];
} __aligned(16);

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

struct cpu;
/* Load a GDT and TSS for CPU c with the given IST stack tops. */
/* Boot of each CPU, on that CPU, before it takes interrupts; no lock. */
void gdt_init_cpu(struct cpu *c, const uint64_t ist_top[IST_COUNT]);
void idt_init(void);		/* build the shared IDT once */
void idt_load(void);		/* load it on this CPU */

#endif
