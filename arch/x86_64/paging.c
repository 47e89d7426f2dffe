/*
 * paging.c - x86-64 4-level page tables, and the kernel's own tables.
 *
 * Entry bits: Intel SDM Vol. 3A, 4.5.  Levels are numbered as the SDM's
 * tables: 4 = PML4, 3 = PDPT (an entry may map 1 GiB), 2 = PD (2 MiB),
 * 1 = PT (4 KiB).  Intermediate entries are always present+writable; the
 * leaf decides access, so changing a leaf never needs a walk back up.
 *
 * paging_init() replaces the boot tables (boot.S) with:
 *   - the kernel image at KERNEL_BASE, per section: text RX, rodata R+NX,
 *     data/bss RW+NX, with the page under the boot stack left unmapped;
 *   - the direct map of RAM and firmware-owned ranges at DIRECT_MAP_BASE,
 *     WB, NX, 1 GiB/2 MiB pages where aligned.
 * Low memory is no longer identity mapped afterwards: a null pointer
 * dereference faults.
 *
 * User address spaces (pt_init_user): the lower half (PML4 slots 0-255)
 * is the process's own; the upper half is the kernel's, shared by copying
 * its 256 PML4 entries.  paging_init() gives every upper-half slot a PDPT
 * at boot, so those 256 entries never change afterwards and a kernel
 * mapping added later (vmap, ioremap, a pmem direct map) is seen by every
 * process at once.  Intermediate entries of the lower half carry the U
 * bit (the leaf decides access); lower-half tables are freed with the
 * address space (pt_destroy_user).
 */
#include <arch/x86_64/paging.h>
#include <arch/x86_64/boot.h>
#include <arch/x86_64/cpu.h>
#include <kernel/mm.h>
#include <kernel/bootinfo.h>
#include <kernel/printk.h>
#include <kernel/panic.h>
#include <lib/string.h>
#include <lib/errno.h>

#define PTE_P		(1ULL << 0)
#define PTE_W		(1ULL << 1)
#define PTE_U		(1ULL << 2)
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)
#define PTE_PS		(1ULL << 7)
#define PTE_NX		(1ULL << 63)
#define PTE_ADDR	0x000ffffffffff000ULL
#define PTE_TABLE	(PTE_P | PTE_W)
#define ENTRIES		512
#define LEVEL_SHIFT(l)	(12 + 9 * ((l) - 1))
#define LEVEL_INDEX(va, l) (((va) >> LEVEL_SHIFT(l)) & (ENTRIES - 1))
#define LEVEL_SIZE(l)	(1ULL << LEVEL_SHIFT(l))
#define USER_HALF_END	0x0000800000000000ULL
#define PML4_KERNEL_FIRST 256		/* PML4 slots 256-511: the kernel half */

/* Intermediate entries: user-accessible in the lower half (the leaf
 * decides), supervisor-only in the kernel half. */
static uint64_t table_bits(uint64_t va)
{
	return va < USER_HALF_END ? PTE_TABLE | PTE_U : PTE_TABLE;
}

struct pgtable kernel_pgtable;
size_t pt_table_frames;		/* frames used as page tables (the kernel's are never freed; a process's go with it) */
void (*tlb_shootdown_hook)(uint64_t va, uint64_t len);

/* ------------------------------------------------------------ entries */

static uint64_t prot_bits(unsigned prot)
{
	uint64_t b = PTE_P;

	if (prot & PROT_WRITE)
		b |= PTE_W;
	if (prot & PROT_USER)
		b |= PTE_U;
	if (prot & PROT_NOCACHE)
		b |= PTE_PCD | PTE_PWT;
	if (!(prot & PROT_EXEC) && cpu_features.nx)
		b |= PTE_NX;
	return b;
}

static unsigned bits_prot(uint64_t e)
{
	unsigned prot = PROT_READ;

	if (e & PTE_W)
		prot |= PROT_WRITE;
	if (e & PTE_U)
		prot |= PROT_USER;
	if (e & PTE_PCD)
		prot |= PROT_NOCACHE;
	if (!(e & PTE_NX))
		prot |= PROT_EXEC;
	return prot;
}

static unsigned page_level(uint64_t page_size)
{
	return page_size == PAGE_SIZE_1G ? 3 : page_size == PAGE_SIZE_2M ? 2 : 1;
}

static uint64_t *table_va(uint64_t entry)
{
	return phys_to_virt(entry & PTE_ADDR);
}

static uint64_t *alloc_table(void)
{
	uint64_t pa = pmm_alloc_page();

	if (!pa)
		return NULL;
	__atomic_fetch_add(&pt_table_frames, 1, __ATOMIC_RELAXED);
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return phys_to_virt(pa);
}

void tlb_flush_range(uint64_t va, uint64_t len)
{
	if (len > 64 * PAGE_SIZE) {
		write_cr3(read_cr3());
	} else {
		for (uint64_t a = va; a < va + len; a += PAGE_SIZE)
			invlpg(a);
	}
	if (tlb_shootdown_hook)
		tlb_shootdown_hook(va, len);
}

/*
 * Replace the large page in *e (at `level`, 3 or 2) by a table of 512
 * entries of the next size down that map the same memory the same way.
 */
static int split_large(uint64_t *e, unsigned level)
{
	uint64_t *t = alloc_table();
	uint64_t base = *e & PTE_ADDR & ~(LEVEL_SIZE(level) - 1);
	uint64_t flags = *e & ~PTE_ADDR;
	uint64_t child = LEVEL_SIZE(level - 1);

	if (!t)
		return -ENOMEM;
	if (level - 1 == 1)
		flags &= ~PTE_PS;	/* 4 KiB entries have no PS bit */
	for (unsigned i = 0; i < ENTRIES; i++)
		t[i] = (base + i * child) | flags;
	__atomic_store_n(e, virt_to_phys(t) | PTE_TABLE | (flags & PTE_U), __ATOMIC_RELEASE);
	return 0;
}

/*
 * Return the entry for va at `level`, creating missing tables when
 * `create` and splitting large pages above it when `split`.  NULL with
 * *err set otherwise.  Caller holds pt->lock.
 */
static uint64_t *walk(struct pgtable *pt, uint64_t va, unsigned level, bool create,
		      bool split, int *err)
{
	uint64_t *table = pt->pml4;

	assert_held(&pt->lock);
	for (unsigned l = 4; l > level; l--) {
		uint64_t *e = &table[LEVEL_INDEX(va, l)];
		if (!(*e & PTE_P)) {
			if (!create) {
				*err = -ENOENT;
				return NULL;
			}
			uint64_t *t = alloc_table();
			if (!t) {
				*err = -ENOMEM;
				return NULL;
			}
			__atomic_store_n(e, virt_to_phys(t) | table_bits(va), __ATOMIC_RELEASE);
		} else if (*e & PTE_PS) {
			if (!split) {
				*err = -EEXIST;
				return NULL;
			}
			*err = split_large(e, l);
			if (*err)
				return NULL;
		}
		table = table_va(*e);
	}
	return &table[LEVEL_INDEX(va, level)];
}

int pt_init(struct pgtable *pt)
{
	pt->pml4 = alloc_table();
	if (!pt->pml4)
		return -ENOMEM;
	pt->pml4_phys = virt_to_phys(pt->pml4);
	pt->user = false;
	spin_lock_init(&pt->lock, "pgtable");
	return 0;
}

static int map_one(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t size, unsigned prot)
{
	unsigned level = page_level(size);
	int err = 0;
	uint64_t *e;

	if (!IS_ALIGNED(va, size) || !IS_ALIGNED(pa, size))
		return -EINVAL;
	e = walk(pt, va, level, true, false, &err);
	if (!e)
		return err;
	if (*e & PTE_P)
		return -EEXIST;
	__atomic_store_n(e, pa | prot_bits(prot) | (level > 1 ? PTE_PS : 0), __ATOMIC_RELEASE);
	return 0;
}

/**
 * pt_map - map one page of page_size (4 KiB, 2 MiB or 1 GiB) at va -> pa.
 * Returns -EINVAL on misalignment or a bad size, -EEXIST if anything is
 * already mapped there, -ENOMEM when a table cannot be allocated.
 */
int pt_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t page_size, unsigned prot)
{
	int err;

	if (page_size != PAGE_SIZE_4K && page_size != PAGE_SIZE_2M && page_size != PAGE_SIZE_1G)
		return -EINVAL;
	if (page_size == PAGE_SIZE_1G && !cpu_features.pdpe1gb)
		return -EINVAL;
	unsigned long f = spin_lock_irqsave(&pt->lock);
	err = map_one(pt, va, pa, page_size, prot);
	spin_unlock_irqrestore(&pt->lock, f);
	return err;
}

static uint64_t best_size(uint64_t va, uint64_t pa, uint64_t left)
{
	if (cpu_features.pdpe1gb && IS_ALIGNED(va | pa, PAGE_SIZE_1G) && left >= PAGE_SIZE_1G)
		return PAGE_SIZE_1G;
	if (IS_ALIGNED(va | pa, PAGE_SIZE_2M) && left >= PAGE_SIZE_2M)
		return PAGE_SIZE_2M;
	return PAGE_SIZE_4K;
}

int pt_map_range(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t len, unsigned prot)
{
	int err = 0;

	if (!IS_ALIGNED(va | pa | len, PAGE_SIZE_4K))
		return -EINVAL;
	unsigned long f = spin_lock_irqsave(&pt->lock);
	for (uint64_t off = 0; off < len && !err;) {
		uint64_t sz = best_size(va + off, pa + off, len - off);
		err = map_one(pt, va + off, pa + off, sz, prot);
		off += sz;
	}
	spin_unlock_irqrestore(&pt->lock, f);
	return err;
}

/*
 * Apply fn to every leaf in [va, va+len), splitting large pages that the
 * range covers only in part.  Unmapped holes are skipped.
 */
static int for_each_leaf(struct pgtable *pt, uint64_t va, uint64_t len,
			 void (*fn)(uint64_t *e, unsigned prot), unsigned prot)
{
	uint64_t end = va + len;

	while (va < end) {
		uint64_t *table = pt->pml4;
		unsigned l = 4;
		uint64_t *e;

		for (;;) {
			e = &table[LEVEL_INDEX(va, l)];
			uint64_t sz = LEVEL_SIZE(l);
			if (!(*e & PTE_P)) {
				va = ALIGN_DOWN(va, sz) + sz;	/* skip the hole */
				break;
			}
			if (l == 1 || (*e & PTE_PS)) {
				if (l > 1 && (!IS_ALIGNED(va, sz) || end - va < sz)) {
					int err = split_large(e, l);
					if (err)
						return err;
					table = table_va(*e);
					l--;
					continue;
				}
				fn(e, prot);
				va = ALIGN_DOWN(va, sz) + sz;
				break;
			}
			table = table_va(*e);
			l--;
		}
	}
	return 0;
}

static void leaf_clear(uint64_t *e, unsigned prot)
{
	__atomic_store_n(e, 0, __ATOMIC_RELEASE);
}

static void leaf_protect(uint64_t *e, unsigned prot)
{
	uint64_t keep = *e & (PTE_ADDR | PTE_PS);

	__atomic_store_n(e, keep | prot_bits(prot), __ATOMIC_RELEASE);
}

/*
 * After a change to [va, va+len) of @pt: invalidate the TLB entries that
 * may hold the old ones.  The kernel's table is live on every CPU: a
 * shootdown.  A user address space is live on the CPUs that have it
 * loaded (cpu->cr3, written by cr3_load() before the CR3 load, which
 * serialises); a CPU that loads it after the change walks the new
 * entries, since no PCIDs or global user pages are used.  So: flush here
 * if it is loaded here, and shoot down when another CPU has it loaded
 * (a thread of the process running there).  The fence orders the entry
 * stores before the reads of the other CPUs' cr3: a CPU whose cr3 store
 * we miss loads CR3 after the change.
 */
static void flush_after_change(struct pgtable *pt, uint64_t va, uint64_t len)
{
	bool elsewhere = false;
	unsigned me;

	if (!pt->user) {
		tlb_flush_range(va, len);
		return;
	}
	preempt_disable();
	me = this_cpu()->id;
	if (read_cr3() == pt->pml4_phys) {
		if (len > 64 * PAGE_SIZE)
			write_cr3(read_cr3());
		else
			for (uint64_t a = va; a < va + len; a += PAGE_SIZE)
				invlpg(a);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < ncpus && !elsewhere; i++)
		elsewhere = i != me && READ_ONCE(cpus[i].online) &&
			    __atomic_load_n(&cpus[i].cr3, __ATOMIC_RELAXED) == pt->pml4_phys;
	preempt_enable();
	if (elsewhere && tlb_shootdown_hook)
		tlb_shootdown_hook(va, len);
}

/** pt_unmap - remove every mapping in [va, va+len) (page aligned). */
int pt_unmap(struct pgtable *pt, uint64_t va, uint64_t len)
{
	int err;

	if (!IS_ALIGNED(va | len, PAGE_SIZE_4K))
		return -EINVAL;
	unsigned long f = spin_lock_irqsave(&pt->lock);
	err = for_each_leaf(pt, va, len, leaf_clear, 0);
	spin_unlock_irqrestore(&pt->lock, f);
	flush_after_change(pt, va, len);
	return err;
}

/** pt_protect - change the protection of every mapping in [va, va+len). */
int pt_protect(struct pgtable *pt, uint64_t va, uint64_t len, unsigned prot)
{
	int err;

	if (!IS_ALIGNED(va | len, PAGE_SIZE_4K))
		return -EINVAL;
	unsigned long f = spin_lock_irqsave(&pt->lock);
	err = for_each_leaf(pt, va, len, leaf_protect, prot);
	spin_unlock_irqrestore(&pt->lock, f);
	flush_after_change(pt, va, len);
	return err;
}

bool pt_lookup(struct pgtable *pt, uint64_t va, uint64_t *pa, uint64_t *page_size, unsigned *prot)
{
	uint64_t *table = pt->pml4;

	for (unsigned l = 4; l >= 1; l--) {
		uint64_t e = __atomic_load_n(&table[LEVEL_INDEX(va, l)], __ATOMIC_ACQUIRE);
		if (!(e & PTE_P))
			return false;
		if (l == 1 || (e & PTE_PS)) {
			uint64_t sz = LEVEL_SIZE(l);
			if (pa)
				*pa = (e & PTE_ADDR & ~(sz - 1)) + (va & (sz - 1));
			if (page_size)
				*page_size = sz;
			if (prot)
				*prot = bits_prot(e);
			return true;
		}
		table = table_va(e);
	}
	return false;
}

void pt_activate(struct pgtable *pt)
{
	cr3_load(pt->pml4_phys);
}

void cr3_load(uint64_t cr3)
{
	__atomic_store_n(&this_cpu()->cr3, cr3, __ATOMIC_SEQ_CST);
	write_cr3(cr3);
}

/* ------------------------------------------------- user address spaces */

int pt_init_user(struct pgtable *pt)
{
	int err = pt_init(pt);

	if (err)
		return err;
	for (unsigned i = PML4_KERNEL_FIRST; i < ENTRIES; i++)
		pt->pml4[i] = kernel_pgtable.pml4[i];
	pt->user = true;
	return 0;
}

static void free_table(uint64_t *t)
{
	pmm_free_page(virt_to_phys(t));
	__atomic_fetch_sub(&pt_table_frames, 1, __ATOMIC_RELAXED);
}

/* Visit the 4 KiB leaves under table @t (level @l) covering [va, end). */
static void leaves(uint64_t *t, unsigned l, uint64_t base, uint64_t va, uint64_t end,
		   void (*fn)(uint64_t va, uint64_t pa, unsigned prot, void *ctx), void *ctx,
		   bool clear)
{
	uint64_t sz = LEVEL_SIZE(l);

	for (unsigned i = LEVEL_INDEX(va, l); i < ENTRIES; i++) {
		uint64_t a = base + i * sz, e = t[i];
		if (a >= end)
			break;
		if (!(e & PTE_P))
			continue;
		if (l == 1) {
			if (fn)
				fn(a, e & PTE_ADDR, bits_prot(e), ctx);
			if (clear)
				t[i] = 0;
			continue;
		}
		/* a 2 MiB (or 1 GiB) leaf: a DAX mapping of a file's extent
		 * (fs/dax_user.c); visited as its 4 KiB pieces */
		if (e & PTE_PS) {
			uint64_t from = a > va ? a : va, to = a + sz < end ? a + sz : end;
			uint64_t pbase = e & PTE_ADDR & ~(sz - 1);
			for (uint64_t x = from; fn && x < to; x += LEVEL_SIZE(1))
				fn(x, pbase + (x - a), bits_prot(e), ctx);
			if (clear)
				t[i] = 0;
			continue;
		}
		leaves(table_va(e), l - 1, a, a > va ? a : va, end, fn, ctx, clear);
		if (clear) {
			free_table(table_va(e));
			t[i] = 0;
		}
	}
}

void pt_walk_user(struct pgtable *pt, uint64_t va, uint64_t end,
		  void (*fn)(uint64_t va, uint64_t pa, unsigned prot, void *ctx), void *ctx)
{
	unsigned long f = spin_lock_irqsave(&pt->lock);

	if (end > USER_HALF_END)
		end = USER_HALF_END;
	leaves(pt->pml4, 4, 0, va, end, fn, ctx, false);
	spin_unlock_irqrestore(&pt->lock, f);
}

void pt_destroy_user(struct pgtable *pt,
		     void (*fn)(uint64_t va, uint64_t pa, unsigned prot, void *ctx), void *ctx)
{
	if (read_cr3() == pt->pml4_phys)
		panic("pt_destroy_user: the address space is still loaded");
	leaves(pt->pml4, 4, 0, 0, USER_HALF_END, fn, ctx, true);
	free_table(pt->pml4);
	pt->pml4 = NULL;
}

/* --------------------------------------------------- the kernel's tables */

#define DIRECT_RANGES_MAX	(BOOT_MMAP_MAX + 16)

static struct { uint64_t base, len; } direct_ranges[DIRECT_RANGES_MAX];
static unsigned ndirect;
static spinlock_t direct_lock = SPINLOCK_INIT("direct_map");

bool phys_range_mapped(uint64_t pa, uint64_t len)
{
	if (pa + len < pa)
		return false;
	for (unsigned i = 0; i < ndirect; i++) {
		if (pa >= direct_ranges[i].base &&
		    pa + len <= direct_ranges[i].base + direct_ranges[i].len)
			return true;
	}
	return false;
}

/**
 * direct_map_add - map [pa, pa+len) at DIRECT_MAP_BASE + pa, WB, NX.
 * Overlaps with ranges already mapped are fine (they are skipped).
 */
int direct_map_add(uint64_t pa, uint64_t len)
{
	uint64_t start = ALIGN_DOWN(pa, PAGE_SIZE), end = ALIGN_UP(pa + len, PAGE_SIZE);
	int err = 0;

	if (end > DIRECT_MAP_SIZE || end <= start)
		return -ERANGE;
	unsigned long f = spin_lock_irqsave(&direct_lock);
	for (uint64_t a = start; a < end && !err;) {
		uint64_t sz = best_size(DIRECT_MAP_BASE + a, a, end - a);
		uint64_t probe;
		if (pt_lookup(&kernel_pgtable, DIRECT_MAP_BASE + a, &probe, NULL, NULL)) {
			a += PAGE_SIZE;		/* already mapped (shared page) */
			continue;
		}
		/* a large page must not overlap an existing small mapping */
		while (sz > PAGE_SIZE_4K) {
			bool clash = false;
			for (unsigned i = 0; i < ndirect && !clash; i++)
				clash = direct_ranges[i].base < a + sz &&
					a < direct_ranges[i].base + direct_ranges[i].len;
			if (!clash)
				break;
			sz = sz == PAGE_SIZE_1G ? PAGE_SIZE_2M : PAGE_SIZE_4K;
		}
		err = pt_map(&kernel_pgtable, DIRECT_MAP_BASE + a, a, sz, PROT_WRITE);
		if (err == -EEXIST)
			err = 0;
		a += sz;
	}
	if (!err && ndirect < DIRECT_RANGES_MAX) {
		direct_ranges[ndirect].base = start;
		direct_ranges[ndirect++].len = end - start;
	}
	spin_unlock_irqrestore(&direct_lock, f);
	return err;
}

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __bss_end[];

static void map_image(uint64_t start, uint64_t end, unsigned prot)
{
	int err = pt_map_range(&kernel_pgtable, start, start - KERNEL_BASE, end - start, prot);

	if (err)
		panic("paging: cannot map kernel image %#lx-%#lx: %d", start, end, err);
}

/* Reserved ranges that touch RAM are firmware-owned memory (EBDA, ACPI
 * tables); reserved ranges elsewhere are MMIO and stay out of the direct map. */
static bool touches_ram(const struct boot_info *bi, const struct boot_mem_region *r)
{
	for (unsigned i = 0; i < bi->nmmap; i++) {
		const struct boot_mem_region *o = &bi->mmap[i];
		if (o->type == MEM_AVAILABLE &&
		    (o->base + o->len == r->base || r->base + r->len == o->base))
			return true;
	}
	return false;
}

#define BIOS_AREA_START	0xE0000		/* RSDP scan area (ACPI 6.4, 5.2.5.1) */
#define BIOS_AREA_END	0x100000
#define EBDA_AREA_END	0xA0000

void paging_init(const struct boot_info *bi)
{
	if (pt_init(&kernel_pgtable))
		panic("paging: no memory for the kernel page table");

	map_image((uint64_t)__text_start, ALIGN_UP((uint64_t)__text_end, PAGE_SIZE), PROT_EXEC);
	map_image((uint64_t)__rodata_start, ALIGN_UP((uint64_t)__rodata_end, PAGE_SIZE), PROT_READ);
	map_image(ALIGN_UP((uint64_t)__rodata_end, PAGE_SIZE), (uint64_t)boot_stack_guard, PROT_WRITE);
	map_image((uint64_t)boot_stack_guard + PAGE_SIZE, (uint64_t)__bss_end, PROT_WRITE);

	/* Every kernel-half PML4 slot gets its PDPT now: user address spaces
	 * copy these 256 entries once and never look again. */
	for (unsigned i = PML4_KERNEL_FIRST; i < ENTRIES; i++) {
		if (!(kernel_pgtable.pml4[i] & PTE_P)) {
			uint64_t *t = alloc_table();
			if (!t)
				panic("paging: no memory for the kernel half's tables");
			kernel_pgtable.pml4[i] = virt_to_phys(t) | PTE_TABLE;
		}
	}
	direct_map_add(0, EBDA_AREA_END);
	direct_map_add(BIOS_AREA_START, BIOS_AREA_END - BIOS_AREA_START);
	for (unsigned i = 0; i < bi->nmmap; i++) {
		const struct boot_mem_region *r = &bi->mmap[i];
		bool map = r->type == MEM_AVAILABLE || r->type == MEM_ACPI_RECLAIMABLE ||
			   r->type == MEM_ACPI_NVS ||
			   (r->type == MEM_RESERVED && touches_ram(bi, r));
		if (map && direct_map_add(r->base, r->len))
			kprintf("paging: cannot direct-map %#lx+%#lx\n", r->base, r->len);
	}
	pt_activate(&kernel_pgtable);
}

uint64_t virt_to_phys(const void *p)
{
	uint64_t va = (uint64_t)p, pa;

	if (va >= KERNEL_BASE)
		return va - KERNEL_BASE;
	if (va >= DIRECT_MAP_BASE && va < DIRECT_MAP_BASE + DIRECT_MAP_SIZE)
		return va - DIRECT_MAP_BASE;
	if (kernel_pgtable.pml4 && pt_lookup(&kernel_pgtable, va, &pa, NULL, NULL))
		return pa;
	panic("virt_to_phys: %p is not mapped", p);
}
