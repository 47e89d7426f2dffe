/*
 * gdt.c - per-CPU GDT and TSS.
 *
 * Descriptor formats: Intel SDM Vol. 3A, 3.4.5 (segment descriptors) and
 * 7.2.3 (the 16-byte TSS descriptor in 64-bit mode).  Each CPU has its own
 * GDT because the TSS descriptor's busy bit is per TSS.
 */
#include <arch/x86_64/desc.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/syscall.h>
#include <lib/string.h>

#define SEG_KCODE64	0x00af9a000000ffffULL	/* P, DPL0, code exec/read, L */
#define SEG_KDATA	0x00cf92000000ffffULL	/* P, DPL0, data read/write */
#define SEG_UCODE32	0x00cffa000000ffffULL	/* P, DPL3, 32-bit code (never loaded) */
#define SEG_UDATA	0x00cff2000000ffffULL	/* P, DPL3, data read/write */
#define SEG_UCODE64	0x00affa000000ffffULL	/* P, DPL3, code exec/read, L */
#define TSS_TYPE_AVAIL	0x9			/* 64-bit TSS, available */
#define DESC_PRESENT	(1ULL << 47)

static void set_tss_desc(struct gdt_table *g, unsigned slot, const struct tss *tss)
{
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

	g->entry[slot] = (limit & 0xffff) |
		((base & 0xffffff) << 16) |
		((uint64_t)TSS_TYPE_AVAIL << 40) | DESC_PRESENT |
		(((limit >> 16) & 0xf) << 48) |
		(((base >> 24) & 0xff) << 56);
	g->entry[slot + 1] = base >> 32;
}

void gdt_init_cpu(struct cpu *c, const uint64_t ist_top[IST_COUNT])
{
	struct gdt_table *g = &c->gdt;
	struct desc_ptr p = { sizeof(*g) - 1, (uint64_t)g };

	memset(&c->tss, 0, sizeof(c->tss));
	for (int i = 0; i < IST_COUNT; i++)
		c->tss.ist[i] = ist_top[i];
	c->tss.iomap_base = sizeof(c->tss);	/* no I/O permission bitmap */

	g->entry[0] = 0;
	g->entry[GDT_KCODE / 8] = SEG_KCODE64;
	g->entry[GDT_KDATA / 8] = SEG_KDATA;
	g->entry[GDT_UCODE32 / 8] = SEG_UCODE32;
	g->entry[GDT_UDATA / 8] = SEG_UDATA;
	g->entry[GDT_UCODE / 8] = SEG_UCODE64;
	set_tss_desc(g, GDT_TSS / 8, &c->tss);

	__asm__ __volatile__(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w2, %%ds\n\t"
		"movw %w2, %%es\n\t"
		"movw %w2, %%ss\n\t"
		"ltr %w3"
		:: "m"(p), "i"(GDT_KCODE), "r"(GDT_KDATA), "r"(GDT_TSS)
		: "rax", "memory");
	syscall_init_cpu();
}

void tss_set_rsp0(uint64_t rsp0)
{
	this_cpu()->tss.rsp[0] = rsp0;
}
