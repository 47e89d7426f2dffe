/*
 * paging.h - the page-table API: map, unmap, protect and look up 4 KiB,
 * 2 MiB and 1 GiB pages in a 4-level x86-64 page table.
 *
 * Entry format: Intel SDM Vol. 3A, 4.5 (tables 4-14 to 4-20).  Callers say
 * what they want with PROT_* flags; the PTE bits stay inside paging.c.
 * Large pages are split automatically when a call covers only part of one.
 * Every change invalidates the TLB for the range before returning
 * (tlb_flush_range; with more CPUs it becomes a shootdown).
 *
 * Locking: each struct pgtable has a spinlock that serialises changes.
 * Lookups (pt_lookup, the DAX fast path) may run without it: entries are
 * written with single 64-bit stores and table pages are never freed while
 * the page table is live.
 */
#ifndef ARCH_X86_64_PAGING_H
#define ARCH_X86_64_PAGING_H

#include <stdint.h>
#include <stdbool.h>
#include <kernel/sync.h>

#define PROT_READ	0x0		/* every mapping is readable */
#define PROT_WRITE	0x1
#define PROT_EXEC	0x2
#define PROT_NOCACHE	0x4		/* uncached (MMIO) */
#define PROT_USER	0x8

#define PAGE_SIZE_4K	0x1000UL
#define PAGE_SIZE_2M	0x200000UL
#define PAGE_SIZE_1G	0x40000000UL

struct pgtable {
	uint64_t *pml4;			/* kernel virtual address */
	uint64_t pml4_phys;
	spinlock_t lock;
	bool user;			/* a process's (pt_init_user): changes flush
					 * only this CPU, the one it can be live on */
};

extern struct pgtable kernel_pgtable;
extern size_t pt_table_frames;

/*
 * The changes take pt->lock (irqsave) themselves, so the caller must not
 * hold it; they never sleep, though unmap and protect wait for the other
 * CPUs to drop the range from their TLBs (thread context).  They return 0,
 * -EINVAL (misaligned, bad size, a 1 GiB page the CPU lacks), -EEXIST
 * (something is mapped there: pt_map), -ENOMEM (no frame for a table).
 */
/* An empty page table: 0 or -ENOMEM. */
int pt_init(struct pgtable *pt);
int pt_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t page_size, unsigned prot);
/* Map [va, va+len) -> [pa, ...) with the largest pages alignment allows. */
int pt_map_range(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t len, unsigned prot);
int pt_unmap(struct pgtable *pt, uint64_t va, uint64_t len);
int pt_protect(struct pgtable *pt, uint64_t va, uint64_t len, unsigned prot);
/* Translate va.  Returns false if unmapped; outputs may be NULL.  No lock:
 * any context (see Locking above). */
bool pt_lookup(struct pgtable *pt, uint64_t va, uint64_t *pa, uint64_t *page_size, unsigned *prot);
/* Load @pt into CR3 on the calling CPU. */
void pt_activate(struct pgtable *pt);
/*
 * cr3_load - load page table @cr3 (a PML4's physical address) on this CPU
 * and record it in this CPU's block, so that a change to a process's
 * table reaches every CPU that has it loaded (its threads may run on
 * several).  Every switch of table goes through here.  Preemption off.
 */
void cr3_load(uint64_t cr3);

/*
 * User address spaces (the process layer, kernel/uvm.c).  pt_init_user:
 * an empty lower half and the kernel's upper half (0 or -ENOMEM).
 * pt_walk_user: call @fn for every 4 KiB leaf in [va, end) of the lower
 * half, with pt->lock held (fn must not sleep nor change @pt).
 * pt_destroy_user: call @fn for every leaf (it frees the frame as it
 * sees fit), then free every lower-half table and the PML4; @pt must not
 * be loaded on any CPU.  Thread context.
 */
int pt_init_user(struct pgtable *pt);
void pt_walk_user(struct pgtable *pt, uint64_t va, uint64_t end,
		  void (*fn)(uint64_t va, uint64_t pa, unsigned prot, void *ctx), void *ctx);
void pt_destroy_user(struct pgtable *pt,
		     void (*fn)(uint64_t va, uint64_t pa, unsigned prot, void *ctx), void *ctx);

/* Invalidate [va, va+len) on every CPU that may cache it.  The default
 * flushes only this CPU; SMP start-up installs a shootdown. */
void tlb_flush_range(uint64_t va, uint64_t len);
extern void (*tlb_shootdown_hook)(uint64_t va, uint64_t len);

/* Boot: build the kernel's own page tables and switch to them. */
struct boot_info;
void paging_init(const struct boot_info *bi);
/* Add a physical range to the direct map (pmem regions). WB cacheable.
 * Boot, thread context.  0, -ERANGE (past the direct map's end), or
 * pt_map's errors. */
int direct_map_add(uint64_t pa, uint64_t len);

#endif
