/*
 * dax_user.c - DAX mappings in processes and pin_user_pages (part of the
 * DAX layer; interface in include/fs/dax.h, "Processes").
 *
 * A MAP_SHARED or MAP_PRIVATE mmap of a file makes a region of the
 * process's address space (kernel/uvm.c) backed by a struct dax_umap
 * through uvm's backing operations.  The umap records which mm, which
 * range of it, and which file range; every umap sits on `umaps`, so a
 * layout change of the file (dax_break_layout -> dax_unmap_range) clears
 * the range from every process that maps it, with a TLB shootdown
 * (pt_unmap), before it looks for pins: the same argument as dax.c's
 * top comment, with the process's page table in place of the kernel's.
 *
 * (pt_unmap() reaches every CPU that has the process's table loaded;
 * a tlb_flush_range() to every CPU follows as the pin fast path's fence.)
 *
 * Faults take the file's layout lock shared (exclusive to allocate into a
 * hole) and install the entry while holding it, so a layout change
 * (exclusive) either ran before (the fault sees the new layout) or runs
 * after (and clears the entry).  Shared regions map the file's blocks
 * (2 MiB entries where the file offset and the address are 2 MiB aligned
 * and the extent allows), writable when the region is; a hole read maps
 * the shared zero page read-only.  Private regions map file pages
 * read-only and replace one by a DRAM copy at its first write (cow).
 * Past the end of the file there is nothing: the fault says -EIO and the
 * process gets SIGBUS.
 *
 * pin_user_pages: for each page-table entry, a lock-free walk of the
 * process's page table with interrupts off, a pin on every page of the
 * entry that the range covers (pmem page: its descriptor's pin count; a
 * 2 MiB entry pins up to 512 at once, as Linux's gup_huge_pmd does; DRAM
 * frame: uvm_pin_frame, so munmap/exit cannot free it under DMA), and a
 * re-check that the entry still maps those pages.  With interrupts
 * off this CPU cannot acknowledge a layout change's shootdown, so the
 * change cannot finish its unmap between the walk and the re-check
 * without the re-check seeing it; if it ran first the re-check fails,
 * the pin is dropped and the slow path faults the page in (under the
 * layout lock, which waits for the change) and tries again.
 *
 * Locking: dax_lock guards `umaps` and every umap's mm/range fields;
 * uvm calls set_range/release with the mm's lock held, so a fault (which
 * also holds it) reads them without dax_lock.  A umap's file reference
 * lives from dax_umap_new to release.
 */
#include <fs/dax.h>
#include "dax_int.h"
#include <drivers/pmem.h>
#include <arch/x86_64/paging.h>
#include <arch/x86_64/cpu.h>
#include <kernel/uvm.h>
#include <kernel/mm.h>
#include <kernel/sync.h>
#include <lib/errno.h>
#include <lib/list.h>
#include <lib/string.h>

#define PIN_TRIES	8		/* slow-path rounds before giving up */

struct dax_umap {
	struct dax_file file;		/* a reference (grab) */
	bool private;			/* MAP_PRIVATE: copy on write */
	struct pgtable *pt;		/* the process's page table */
	/* dax_lock (written with the mm's lock also held): */
	struct list_node node;
	uint64_t start, end, off;	/* end == start: no range yet */
};

static struct list_node umaps = LIST_INIT(umaps);	/* dax_lock */

static struct dax_umap *umap_new(struct dax_file f, struct mm *mm, bool private)
{
	struct dax_umap *m = kzalloc(sizeof(*m));

	if (!m)
		return NULL;
	f.ops->grab(f.priv);
	m->file = f;
	m->private = private;
	m->pt = mm_pgtable(mm);
	spin_lock(&dax_lock);
	list_add_tail(&umaps, &m->node);
	spin_unlock(&dax_lock);
	return m;
}

/*
 * Replace whatever maps [va, va + size) by pa.  Caller holds the layout
 * lock.  An unmap costs a shootdown (an IPI to every other CPU), so it
 * happens only when something is there: a 4 KiB entry (the zero page, a
 * read-only entry a write replaces), or for a 2 MiB entry whatever made
 * pt_map answer -EEXIST.
 */
static int install(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t size, unsigned prot)
{
	int err;

	if (size == PAGE_SIZE && pt_lookup(pt, va, NULL, NULL, NULL))
		pt_unmap(pt, va, size);
	err = pt_map(pt, va, pa, size, prot);
	if (err == -EEXIST && size == PAGE_2M) {
		pt_unmap(pt, va, size);
		err = pt_map(pt, va, pa, size, prot);
	}
	return err;
}

/* A 2 MiB entry around @va if the region, the file and the extent allow. */
static bool try_huge(const struct dax_umap *m, uint64_t va, unsigned prot)
{
	uint64_t hva = ALIGN_DOWN(va, PAGE_2M), hoff, size;
	struct dax_extent ext;

	if (!dax_huge_pages || m->private || hva < m->start || hva + PAGE_2M > m->end)
		return false;
	hoff = m->off + (hva - m->start);
	if (!IS_ALIGNED(hoff, PAGE_2M) || m->file.ops->size(m->file.priv, &size) ||
	    hoff + PAGE_2M > size)
		return false;
	if (m->file.ops->map(m->file.priv, hoff, false, &ext) || ext.hole ||
	    !IS_ALIGNED(ext.phys, PAGE_2M) || ext.len < PAGE_2M)
		return false;
	if (install(m->pt, hva, ext.phys, PAGE_2M, prot))
		return false;
	STAT_INC(faults_2m);
	return true;
}

/*
 * The bytes of the file's last page past its end: holdfs leaves them
 * undefined (a block allocated ahead, or written partly, holds whatever
 * it held before: another file's old data), zeroing them only when the
 * size grows over them.  A mapping shows that page whole, and Linux shows
 * zeros there, so they are zeroed before the page is mapped.  Harmless to
 * the file (nothing below the size changes) and to other mappings of the
 * page (what they stored past the end is not the file's).  @page: the
 * page's kernel address; @off its file offset.  Caller holds the layout lock.
 */
static void zero_past_eof(const struct dax_umap *m, uint64_t off, void *page)
{
	uint64_t size;

	if (!m->file.ops->size(m->file.priv, &size) && size > off && size - off < PAGE_SIZE)
		memset((char *)page + (size - off), 0, PAGE_SIZE - (size - off));
}

/* Past the end of the file, or no block: what the process gets is SIGBUS. */
static int fault_error(int err)
{
	return err == -ENOMEM ? err : -EIO;
}

static int um_fault(void *obj, struct pgtable *pt, uint64_t va, bool write, unsigned prot)
{
	struct dax_umap *m = obj;
	struct rwsem *layout = layout_of(m->file);
	uint64_t off = m->off + (va - m->start);
	struct dax_extent ext;
	bool exclusive = false;
	int err;

	down_read(layout);
	err = map_in_size(m->file, off, false, &ext);
	if (!err && ext.hole && write && !m->private) {
		up_read(layout);
		down_write(layout);
		exclusive = true;
		err = map_in_size(m->file, off, true, &ext);
	}
	if (err)
		goto out_unlock;
	STAT_INC(faults);
	if (ext.hole || m->private)
		prot &= ~PROT_WRITE;
	if (ext.hole) {
		err = install(pt, va, zero_page_pa, PAGE_SIZE, prot);
	} else if (!try_huge(m, va, prot)) {	/* a 2 MiB entry never holds the end */
		zero_past_eof(m, off, phys_to_virt(ALIGN_DOWN(ext.phys, PAGE_SIZE)));
		err = install(pt, va, ALIGN_DOWN(ext.phys, PAGE_SIZE), PAGE_SIZE, prot);
	}
out_unlock:
	if (exclusive)
		up_write(layout);
	else
		up_read(layout);
	return err ? fault_error(err) : 0;
}

static int um_cow(void *obj, struct pgtable *pt, uint64_t va, uint64_t frame, unsigned prot)
{
	struct dax_umap *m = obj;
	struct rwsem *layout = layout_of(m->file);
	struct dax_extent ext;
	int err;

	down_read(layout);
	err = map_in_size(m->file, m->off + (va - m->start), false, &ext);
	if (!err) {
		if (ext.hole)
			memset(phys_to_virt(frame), 0, PAGE_SIZE);
		else
			memcpy(phys_to_virt(frame), phys_to_virt(ALIGN_DOWN(ext.phys, PAGE_SIZE)),
			       PAGE_SIZE);
		zero_past_eof(m, m->off + (va - m->start), phys_to_virt(frame));
		err = install(pt, va, frame, PAGE_SIZE, prot);
	}
	up_read(layout);
	return err ? fault_error(err) : 0;
}

static bool um_file_page(void *obj, uint64_t pa)
{
	return pa == zero_page_pa || pmem_phys_to_page(pa) != NULL;
}

static void um_set_range(void *obj, uint64_t start, uint64_t end, uint64_t off)
{
	struct dax_umap *m = obj;

	spin_lock(&dax_lock);
	m->start = start;
	m->end = end;
	m->off = off;
	spin_unlock(&dax_lock);
}

static void *um_clone(void *obj, struct mm *mm)
{
	struct dax_umap *m = obj;

	return umap_new(m->file, mm, m->private);
}

static void um_release(void *obj)
{
	struct dax_umap *m = obj;

	assert_not_held(&dax_lock);		/* put() may free the file's blocks */
	spin_lock(&dax_lock);
	list_del(&m->node);
	spin_unlock(&dax_lock);
	m->file.ops->put(m->file.priv);
	kfree(m);
}

static const struct uvm_backing_ops dax_umap_ops = {
	.fault = um_fault,
	.cow = um_cow,
	.file_page = um_file_page,
	.set_range = um_set_range,
	.clone = um_clone,
	.release = um_release,
};

int dax_mmap_user(struct mm *mm, struct dax_file f, uint64_t addr, uint64_t len,
		  unsigned prot, unsigned flags, uint64_t off, uint64_t *out)
{
	struct dax_umap *m;
	int err;

	assert_not_held(&dax_lock);
	if (!file_ok(f) || !len || !IS_ALIGNED(off, PAGE_SIZE) || off + len < off)
		return -EINVAL;
	if (!(m = umap_new(f, mm, (flags & UVM_MAP_PRIVATE) != 0)))
		return -ENOMEM;
	err = mm_map_backed(mm, addr, len, prot, flags, off, &dax_umap_ops, m, out);
	if (err)
		um_release(m);
	return err;
}

/* dax_int.h */
void dax_user_unmap_range(struct dax_file f, uint64_t off, uint64_t end)
{
	struct dax_umap *m;

	assert_held_write(layout_of(f));
	assert_held(&dax_lock);
	list_for_each_entry(m, &umaps, node) {
		if (!same_file(m->file, f) || m->end == m->start)
			continue;
		uint64_t mend = m->off + (m->end - m->start);
		if (m->off >= end || mend <= off)
			continue;
		uint64_t s = MAX(off, m->off), e = MIN(end, mend);
		uint64_t va = m->start + ALIGN_DOWN(s - m->off, PAGE_SIZE);
		uint64_t vend = m->start + ALIGN_UP(e - m->off, PAGE_SIZE);
		if (!m->private) {
			pt_unmap(m->pt, va, vend - va);
		} else {
			/* A private region keeps its copies (uvm's frames): only
			 * the file's pages go.  No copy appears meanwhile: cow
			 * holds the layout lock. */
			for (uint64_t a = va; a < vend; a += PAGE_SIZE) {
				uint64_t pa;
				if (pt_lookup(m->pt, a, &pa, NULL, NULL) &&
				    um_file_page(m, ALIGN_DOWN(pa, PAGE_SIZE)))
					pt_unmap(m->pt, a, PAGE_SIZE);
			}
		}
		/*
		 * The shootdown, to every CPU.  pt_unmap() already reached the
		 * CPUs that have this table loaded; this IPI is also the fence
		 * for pin_fast(), which walks a table with interrupts off from
		 * any CPU, loaded there or not: once every CPU has answered, no
		 * fast-path walk that saw the old entries is still running.
		 */
		tlb_flush_range(va, vend - va);
	}
	/* The pin search comes next: no load of a pin count may pass the
	 * stores that cleared the entries (the pinner's side of this Dekker
	 * pair is its locked pin increment before the re-check).  The
	 * shootdown's IPI is such a barrier when it is sent; this one holds
	 * when no other CPU is online. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------ pins */

static void unpin_pa(uint64_t pa)
{
	struct pmem_page *pg = pmem_phys_to_page(pa);

	if (pg)
		pmem_unpin_page(pg);	/* the last unpin wakes a layout wait */
	else
		uvm_unpin_frame(pa);
}

/*
 * The fast path from @va: pin the pages of the one entry that maps it (a
 * 2 MiB entry: up to its end, at most @n), their addresses in @out.  How
 * many were pinned; 0: take the slow path.
 */
static unsigned pin_fast(struct pgtable *pt, uint64_t va, unsigned n, bool write, uint64_t *out)
{
	unsigned long fl = irq_save();	/* the shootdown IPI waits for us */
	uint64_t pa, pa2, size, size2;
	unsigned prot, prot2, count = 0;
	struct pmem_page *pg;

	if (!pt_lookup(pt, va, &pa, &size, &prot) || !(prot & PROT_USER) ||
	    (write && !(prot & PROT_WRITE)))
		goto out;
	pa = ALIGN_DOWN(pa, PAGE_SIZE);
	count = (unsigned)MIN((uint64_t)n, (ALIGN_DOWN(va, size) + size - va) / PAGE_SIZE);
	pg = pmem_phys_to_page(pa);
	if (pg && pmem_phys_to_page(pa + (uint64_t)(count - 1) * PAGE_SIZE) == pg + count - 1) {
		for (unsigned k = 0; k < count; k++)
			pmem_pin_page(pg + k);
	} else {
		count = 1;			/* DRAM, or pmem at a region's edge */
		if (pg)
			pmem_pin_page(pg);
		else if (uvm_pin_frame(pa)) {
			count = 0;		/* the DRAM pin table is full */
			goto out;
		}
	}
	/* The re-check: still the same entry?  (A layout change that
	 * cleared it first makes us drop the pins and go the slow way.) */
	if (!pt_lookup(pt, va, &pa2, &size2, &prot2) || ALIGN_DOWN(pa2, PAGE_SIZE) != pa ||
	    size2 != size || (write && !(prot2 & PROT_WRITE))) {
		for (unsigned k = 0; k < count; k++)
			unpin_pa(pa + (uint64_t)k * PAGE_SIZE);
		STAT_INC(pin_retries);
		count = 0;
		goto out;
	}
	for (unsigned k = 0; k < count; k++)
		out[k] = pa + (uint64_t)k * PAGE_SIZE;
out:
	irq_restore(fl);
	return count;
}

int pin_user_pages(struct mm *mm, uint64_t addr, unsigned n, unsigned flags, uint64_t *pages)
{
	struct pgtable *pt = mm_pgtable(mm);
	bool write = flags & DAX_PIN_WRITE;
	unsigned i;
	int err = 0;

	if (!IS_ALIGNED(addr, PAGE_SIZE) || n == 0 || addr + (uint64_t)n * PAGE_SIZE < addr)
		return -EINVAL;
	for (i = 0; i < n;) {
		uint64_t va = addr + (uint64_t)i * PAGE_SIZE;
		unsigned tries = 0, got;

		while (!(got = pin_fast(pt, va, n - i, write, &pages[i]))) {
			if (++tries > PIN_TRIES) {
				err = -EFAULT;
				goto undo;
			}
			/* slow: fault it in under the locks, then look again */
			err = mm_fault(mm, va, write, false);
			if (err) {
				err = err == -ENOMEM ? -ENOMEM : -EFAULT;
				goto undo;
			}
		}
		if (tries)
			STAT_INC(pins_slow);
		else
			STAT_INC(pins_fast);
		i += got;
	}
	return 0;
undo:
	while (i--)
		unpin_pa(pages[i]);
	return err;
}

void unpin_user_page(uint64_t pa)
{
	unpin_pa(pa);
}
