/*
 * desc.h - segment descriptors, the TSS and the IDT (Intel SDM Vol. 3A,
 * sections 3.4.5, 7.7 and 6.14).
 *
 * The GDT has the kernel's 64-bit code and data segments, the user's
 * (ring 3) code and data segments, and the TSS.  The TSS supplies the
 * interrupt stack table (IST) stacks for double faults, NMIs and machine
 * checks, and rsp0: the kernel stack an interrupt or exception taken in
 * ring 3 switches to (the running user thread's, set on every switch).
 *
 * The order of the user segments is fixed by SYSRET (SDM Vol. 2B,
 * SYSRET): with STAR[63:48] = GDT_UCODE32, a 64-bit SYSRET loads
 * CS = GDT_UCODE32 + 16 (GDT_UCODE) and SS = GDT_UCODE32 + 8 (GDT_UDATA),
 * both with RPL 3.  SYSCALL loads CS = STAR[47:32] (GDT_KCODE) and
 * SS = GDT_KCODE + 8 (GDT_KDATA).
 */
#ifndef ARCH_X86_64_DESC_H
#define ARCH_X86_64_DESC_H

#include <stdint.h>
#include <lib/compiler.h>

#define GDT_KCODE	0x08
#define GDT_KDATA	0x10
#define GDT_UCODE32	0x18		/* unused 32-bit user code: SYSRET's base */
#define GDT_UDATA	0x20
#define GDT_UCODE	0x28
#define GDT_TSS		0x30
#define GDT_ENTRIES	8		/* null, kcode, kdata, ucode32, udata, ucode, TSS (two slots) */
#define SEL_RPL3	3		/* requested privilege level 3 in a selector */
#define USER_CS		(GDT_UCODE | SEL_RPL3)
#define USER_SS		(GDT_UDATA | SEL_RPL3)

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
/* The kernel stack ring-3 interrupts land on (TSS rsp0) for this CPU.
 * Preemption off (the scheduler's switch). */
void tss_set_rsp0(uint64_t rsp0);
void idt_load(void);		/* load it on this CPU */

#endif
