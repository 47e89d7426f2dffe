/*
 * pmem.c - the NVDIMM driver: one pmem region per persistent SPA range in
 * the NFIT, mapped into the direct map, with a descriptor per 4 KiB page.
 *
 * Discovery: the NFIT (drivers/nvdimm/nfit.c) gives validated ranges; each
 * is added to the direct map (write-back, 1 GiB/2 MiB pages where aligned),
 * its descriptor array is allocated from contiguous frames and zeroed, and
 * flush hint registers (if the platform has them) are mapped uncached.
 *
 * Pins: a descriptor's pin count is changed with atomics only.  The last
 * unpin calls wake_up_var(&page->pins), which is what a layout change
 * waiting in pmem_wait_page_idle() sleeps on (no polling).
 *
 * Locking: regions[] is written once at boot (pmem_init, before other
 * threads use it) and read-only afterwards.
 */
#include <drivers/pmem.h>
#include <drivers/nfit.h>
#include <drivers/acpi.h>
#include <kernel/bootinfo.h>
#include <kernel/mm.h>
#include <kernel/sync.h>
#include <kernel/printk.h>
#include <arch/x86_64/paging.h>
#include <lib/size.h>
#include <lib/string.h>
#include <lib/errno.h>

static struct pmem_region regions[PMEM_MAX_REGIONS];
static unsigned nregions;

unsigned pmem_region_count(void)
{
	return nregions;
}

struct pmem_region *pmem_region(unsigned i)
{
	return i < nregions ? &regions[i] : NULL;
}

struct pmem_page *pmem_phys_to_page(uint64_t pa)
{
	for (unsigned i = 0; i < nregions; i++) {
		struct pmem_region *r = &regions[i];
		if (pa >= r->phys && pa - r->phys < r->size)
			return &r->pages[(pa - r->phys) / PAGE_SIZE];
	}
	return NULL;
}

struct pmem_region *pmem_page_region(const struct pmem_page *p)
{
	for (unsigned i = 0; i < nregions; i++) {
		struct pmem_region *r = &regions[i];
		if (p >= r->pages && p < r->pages + r->npages)
			return r;
	}
	return NULL;
}

uint64_t pmem_page_to_phys(const struct pmem_page *p)
{
	struct pmem_region *r = pmem_page_region(p);

	return r ? r->phys + (uint64_t)(p - r->pages) * PAGE_SIZE : 0;
}

uint32_t pmem_pin_page(struct pmem_page *p)
{
	return __atomic_add_fetch(&p->pins, 1, __ATOMIC_ACQ_REL);
}

void pmem_unpin_page(struct pmem_page *p)
{
	uint32_t left = __atomic_sub_fetch(&p->pins, 1, __ATOMIC_ACQ_REL);

	if (left == UINT32_MAX) {
		kprintf("pmem: unpin of page %#lx that had no pins\n", pmem_page_to_phys(p));
		__atomic_store_n(&p->pins, 0, __ATOMIC_RELEASE);
		return;
	}
	if (left == 0)
		wake_up_var(&p->pins);
}

int pmem_wait_page_idle(struct pmem_page *p, uint64_t timeout_ns)
{
	if (timeout_ns == 0) {
		wait_var_event(&p->pins, pmem_page_pins(p) == 0);
		return 0;
	}
	return wait_var_event_timeout(&p->pins, pmem_page_pins(p) == 0, timeout_ns);
}

int pmem_wait_page_idle_interruptible(struct pmem_page *p, uint64_t timeout_ns)
{
	if (timeout_ns == 0)
		return wait_var_event_interruptible(&p->pins, pmem_page_pins(p) == 0);
	return wait_var_event_interruptible_timeout(&p->pins, pmem_page_pins(p) == 0,
						    timeout_ns);
}

/* ---------------------------------------------------------- block access */

int pmem_direct_access(struct pmem_region *r, uint64_t block, uint64_t nblocks,
		       void **kaddr, uint64_t *pa)
{
	uint64_t nb = r->size / PMEM_BLOCK_SIZE;

	if (block >= nb || nblocks > nb - block)
		return -ERANGE;
	if (kaddr)
		*kaddr = r->virt + block * PMEM_BLOCK_SIZE;
	if (pa)
		*pa = r->phys + block * PMEM_BLOCK_SIZE;
	return 0;
}

static bool in_region(const struct pmem_region *r, uint64_t off, size_t len)
{
	return off <= r->size && len <= r->size - off;
}

int pmem_read(struct pmem_region *r, uint64_t off, void *buf, size_t len)
{
	if (!in_region(r, off, len))
		return -ERANGE;
	memcpy(buf, r->virt + off, len);
	return 0;
}

/* Drain CPU stores, then poke a flush hint so the memory controller's
 * write queue is flushed too (ACPI 6.4, 5.2.25.8). */
static void region_drain(struct pmem_region *r)
{
	pmem_drain();
	if (r->nhints) {
		*r->hints[0] = 1;
		pmem_drain();
	}
}

int pmem_write(struct pmem_region *r, uint64_t off, const void *buf, size_t len)
{
	if (!in_region(r, off, len))
		return -ERANGE;
	memcpy_to_pmem(r->virt + off, buf, len);
	region_drain(r);
	return 0;
}

/* ---------------------------------------------------------- discovery */

static unsigned ram_ranges(struct phys_range *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < boot_info.nmmap && n < max; i++) {
		const struct boot_mem_region *m = &boot_info.mmap[i];
		if (m->type == MEM_AVAILABLE || m->type == MEM_ACPI_RECLAIMABLE ||
		    m->type == MEM_ACPI_NVS)
			out[n++] = (struct phys_range){ m->base, m->len };
	}
	return n;
}

static int region_setup(struct pmem_region *r, const struct nfit_region *nr)
{
	size_t desc_bytes, desc_pages;
	uint64_t pa;
	int err;

	r->phys = nr->base;
	r->size = nr->size;
	r->npages = nr->size / PAGE_SIZE;
	r->handle = nr->handle;
	r->spa_index = nr->spa_index;
	r->memdev_flags = nr->memdev_flags;
	r->ndimms = nr->ndimms;
	r->dimm = nr->dimm;
	err = direct_map_add(r->phys, r->size);
	if (err) {
		kprintf("pmem%u: cannot map %#lx+%#lx: error %d\n", r->index, r->phys, r->size, err);
		return err;
	}
	r->virt = phys_to_virt(r->phys);
	desc_bytes = r->npages * sizeof(struct pmem_page);
	desc_pages = DIV_ROUND_UP(desc_bytes, PAGE_SIZE);
	pa = pmm_alloc_pages(desc_pages);
	if (!pa) {
		kprintf("pmem%u: no memory for %zu KiB of page descriptors\n", r->index, desc_bytes >> 10);
		return -ENOMEM;
	}
	r->pages = phys_to_virt(pa);
	memset(r->pages, 0, desc_pages * PAGE_SIZE);
	for (unsigned h = 0; h < nr->nhints; h++) {
		volatile uint64_t *reg = ioremap(nr->hint[h], sizeof(uint64_t));
		if (reg)
			r->hints[r->nhints++] = reg;
	}
	return 0;
}

static void region_report(const struct pmem_region *r)
{
	char size[SIZE_STR_MAX];

	kprintf("pmem%u: %s at %#lx, NFIT handle %#x, %u DIMM%s%s%s\n", r->index,
		size_str(size, sizeof(size), r->size), r->phys, r->handle, r->ndimms, r->ndimms == 1 ? "" : "s",
		r->memdev_flags & NFIT_MEM_NOT_ARMED ? ", NOT ARMED (writes may not persist)" : "",
		r->nhints ? ", flush hints" : "");
}

/**
 * pmem_init - find the persistent-memory regions and make them usable.
 * Boot only (thread context, before anything uses pmem).  Returns the
 * number of regions (0 with a message when there is none).
 */
int pmem_init(void)
{
	static struct nfit_info nfit;
	static struct nfit_region found[PMEM_MAX_REGIONS];
	struct phys_range ram[BOOT_MMAP_MAX];
	const struct acpi_sdt_header *h;
	unsigned n;

	pmem_persist_init();
	h = acpi_find_table("NFIT", 0);
	if (!h) {
		kprintf("nvdimm: no persistent memory found (no NFIT)\n");
		return 0;
	}
	nfit_parse(h, h->length, &nfit);
	n = nfit_regions(&nfit, ram, ram_ranges(ram, BOOT_MMAP_MAX), found, PMEM_MAX_REGIONS);
	for (unsigned i = 0; i < n; i++) {
		struct pmem_region *r = &regions[nregions];
		r->index = nregions;
		if (region_setup(r, &found[i]) == 0) {
			region_report(r);
			nregions++;
		}
	}
	if (nregions == 0)
		kprintf("nvdimm: no persistent memory found\n");
	return (int)nregions;
}
