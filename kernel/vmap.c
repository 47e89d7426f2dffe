/*
 * vmap.c - kernel stacks with guard pages, and ioremap.
 *
 * The vmap area (VMAP_BASE, include/kernel/mm.h) is split in two halves:
 * stacks from the bottom, MMIO windows from the middle.  A stack slot is a
 * guard page (never mapped) followed by the stack; freed slots of the same
 * size are reused.  MMIO windows are never freed.
 *
 * Locking: vmap_lock guards the bump pointers and the free-slot list; page
 * table changes take the page table's own lock.
 */
#include <kernel/vmap.h>
#include <kernel/mm.h>
#include <kernel/sync.h>
#include <kernel/printk.h>
#include <arch/x86_64/paging.h>

#define STACK_AREA	VMAP_BASE
#define MMIO_AREA	(VMAP_BASE + VMAP_SIZE / 2)
#define AREA_END	(VMAP_BASE + VMAP_SIZE)
#define GUARD		PAGE_SIZE

#define FREE_SLOTS_MAX	256

struct free_slot {
	uint64_t va;			/* the stack base (above the guard) */
	size_t size;
};

static spinlock_t vmap_lock = SPINLOCK_INIT("vmap");
static uint64_t next_stack = STACK_AREA;	/* vmap_lock */
static uint64_t next_mmio = MMIO_AREA;		/* vmap_lock */
static struct free_slot free_slots[FREE_SLOTS_MAX];	/* vmap_lock */
static unsigned nfree_slots;				/* vmap_lock */

static uint64_t take_slot(size_t size)
{
	uint64_t va = 0;

	spin_lock(&vmap_lock);
	for (unsigned i = 0; i < nfree_slots; i++) {
		if (free_slots[i].size == size) {
			va = free_slots[i].va;
			free_slots[i] = free_slots[--nfree_slots];
			break;
		}
	}
	if (!va && next_stack + GUARD + size <= MMIO_AREA) {
		va = next_stack + GUARD;
		next_stack += GUARD + size;
	}
	spin_unlock(&vmap_lock);
	return va;
}

/**
 * vmap_alloc_stack - map a fresh stack of size bytes (page multiple) with
 * an unmapped guard page below it.  Returns its lowest address or NULL.
 */
void *vmap_alloc_stack(size_t size)
{
	uint64_t va = take_slot(size);

	if (!va)
		return NULL;
	for (size_t off = 0; off < size; off += PAGE_SIZE) {
		uint64_t pa = pmm_alloc_page();
		if (!pa || pt_map(&kernel_pgtable, va + off, pa, PAGE_SIZE, PROT_WRITE)) {
			if (pa)
				pmm_free_page(pa);
			vmap_free_stack((void *)va, off);
			return NULL;
		}
	}
	return (void *)va;
}

void vmap_free_stack(void *base, size_t size)
{
	uint64_t va = (uint64_t)base, pa;

	for (size_t off = 0; off < size; off += PAGE_SIZE) {
		if (pt_lookup(&kernel_pgtable, va + off, &pa, NULL, NULL))
			pmm_free_page(pa);
	}
	pt_unmap(&kernel_pgtable, va, size);
	spin_lock(&vmap_lock);
	if (nfree_slots < FREE_SLOTS_MAX)
		free_slots[nfree_slots++] = (struct free_slot){ va, size };
	/* else the slot's address space is not reused; the area is large */
	spin_unlock(&vmap_lock);
}

void *ioremap(uint64_t pa, size_t len)
{
	uint64_t off = pa & (PAGE_SIZE - 1), va;
	size_t span = ALIGN_UP(off + len, PAGE_SIZE);

	spin_lock(&vmap_lock);
	va = next_mmio;
	if (va + span > AREA_END) {
		spin_unlock(&vmap_lock);
		kprintf("ioremap: out of virtual space for %#lx+%#zx\n", pa, len);
		return NULL;
	}
	next_mmio += span + PAGE_SIZE;		/* a guard between windows */
	spin_unlock(&vmap_lock);
	if (pt_map_range(&kernel_pgtable, va, pa - off, span, PROT_WRITE | PROT_NOCACHE)) {
		kprintf("ioremap: cannot map %#lx+%#zx\n", pa, len);
		return NULL;
	}
	return (void *)(va + off);
}
