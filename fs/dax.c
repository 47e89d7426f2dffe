/*
 * dax.c - DAX mappings, page pins and the layout-break wait (the mechanism
 * of docs/design.md "How the invariant is kept"; interface in include/fs/dax.h).
 *
 * Why the lock-free pin cannot race a layout change (the seed's argument,
 * for our structures):
 *
 *   layout change (layout lock held for write)     pinner (fast path)
 *   1. clear the range's PTEs, shoot down TLBs     a. read PTE -> page
 *   2. scan the range's pages for pins             b. pin the page (atomic)
 *                                                  c. re-read the PTE
 *
 * If (c) runs after (1) it finds no PTE, drops the pin and takes the slow
 * path, which needs the layout lock and so waits for the change to finish.
 * If (c) runs before (1) completed, then (b) happened before (1), and the
 * TLB shootdown in (1) is a full barrier on every CPU, so the scan (2) sees
 * the pin and the change waits for it.  Either way no block is freed while
 * a device may still write it.  The slow path pins while holding the layout
 * lock shared, which excludes (1) and (2) altogether.
 *
 * Files come only through struct dax_file (include/fs/dax.h): the
 * filesystem's ops answer where an offset lives, the size, which lock is
 * the layout lock, and keep the file alive; no filesystem is named here.
 *
 * Leases (dax.h): the layout break classifies each pinned page of its
 * range by the records that hold it: a live entry of a fail lease fails
 * the change; more pins on the page than live entries of revoke leases
 * means somebody waits-pins it, so the change waits; otherwise the revoke
 * records are revoked one at a time (revoke_one()).  A record with a lease
 * other than wait is listed before its pins can be seen by a layout change
 * (dax_pin_file_lease() publishes it under the layout lock), so a lease
 * is never mistaken for a wait.  Each page pin of a record is dropped
 * exactly once, by whoever sets its bit in unpinned[] first: the holder's
 * dax_unpin_dma()/dax_pin_drop_page()/dax_unpin(), or a revoke.
 *
 * Locking: dax_lock guards `mappings` and `pins` (the lists and the records'
 * list nodes) and the records' lease fields; it is a spinlock and nothing
 * sleeps under it.  It is not interrupt-safe: dax_unpin_dma(), which runs
 * in done() callbacks, uses atomics on its record only.  A revoke runs
 * without dax_lock (the holder's callback and the IOMMU may take their own
 * locks) and keeps the record alive with its `revoking` count, which
 * dax_unpin() waits for.  Lock order: a file's layout lock -> dax_lock.
 */
#include <fs/dax.h>
#include "dax_int.h"
#include <drivers/dma.h>
#include <drivers/pmem.h>
#include <drivers/iommu.h>
#include <arch/x86_64/paging.h>
#include <arch/x86_64/irq.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/cpu.h>
#include <kernel/mm.h>
#include <kernel/sync.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/list.h>
#include <lib/printf.h>

#define DAX_BASE	0xffffc80000000000UL	/* a PML4 slot of its own */
#define DAX_SIZE	(1UL << 39)
#define DAX_GUARD	PAGE_2M			/* unmapped gap between mappings */
#define NAME_LEN	24
#define DETAIL_LEN	64
#define DAX_NAME_LEN	40		/* the IOMMU keeps as much of a name */

struct dax_mapping {
	uint64_t va, len, off;
	struct dax_file file;			/* a reference, dropped at the last put */
	bool writable;
	char owner[NAME_LEN];
	struct list_node node;			/* dax_lock */
	int refs;				/* dax_lock: the list + users */
	bool unmapped;				/* dax_lock */
};

struct dax_pin {
	struct list_node node;			/* dax_lock */
	struct dax_file file;			/* file pins: a reference (ops NULL:
						 * none, a dax_pin_pages record) */
	uint64_t ino, off;			/* file offset of the first page */
	unsigned n;
	struct pmem_page **pages;
	bool own_pages;				/* pages[] allocated here */
	bool borrowed;				/* the pins are pin_user_pages()'s: a
						 * record for `pins` and the layout
						 * wait's report only (dax_pin_record) */
	uint64_t since;
	int pid;				/* dax_lock: the process whose DMA
						 * holds it (0: the kernel's) */
	char holder[NAME_LEN];
	char detail[DETAIL_LEN];
	/* The lease (dax.h).  dax_lock: set before the record is listed, or
	 * by dax_pin_set_lease() under the lock; read under it. */
	enum dax_lease lease;
	void (*revoke_fn)(struct dax_pin *pin, void *ctx);
	void *revoke_ctx;
	char name[DAX_NAME_LEN];		/* the lease's name ("" none): what a
						 * late access is reported as */
	bool revoked;				/* dax_lock to set (once); atomic reads */
	int revoking;				/* atomic: revokes running (dax_unpin waits) */
	uint64_t unpinned[];			/* atomic: bit i set by whoever drops
						 * page i's pin (claim_page: once) */
};

#define WORD_BITS	64
#define UNPINNED_WORDS(n)	(((n) + WORD_BITS - 1) / WORD_BITS)

/* The test-only unsafe switch (dax.h); a filesystem's allocator may obey it too. */
bool dax_unsafe_no_wait;
/* Test-only: revoke leases without the IOMMU (dax.h). */
bool dax_revoke_without_iommu;

spinlock_t dax_lock = SPINLOCK_INIT("dax");
static struct list_node mappings = LIST_INIT(mappings);	/* dax_lock */
static struct list_node pins = LIST_INIT(pins);		/* dax_lock */
static uint64_t next_va = DAX_BASE;			/* dax_lock */
uint64_t zero_page_pa;
bool dax_huge_pages = true;
struct dax_stats stats;

static void put_mapping(struct dax_mapping *m);

void dax_get_stats(struct dax_stats *st)
{
	*st = stats;
}

/* ---------------------------------------------------------------- leases */

static const char *const lease_names[DAX_LEASE_MODES] = {
	[DAX_LEASE_WAIT] = "wait", [DAX_LEASE_FAIL] = "fail", [DAX_LEASE_REVOKE] = "revoke",
};

int dax_lease_check(int mode)
{
	if (mode < 0 || mode >= DAX_LEASE_MODES)
		return -EINVAL;
	if (mode == DAX_LEASE_REVOKE && !iommu_enabled() && !dax_revoke_without_iommu)
		return -EOPNOTSUPP;	/* nothing could stop a late device write */
	return 0;
}

const char *dax_lease_name(int mode)
{
	return mode >= 0 && mode < DAX_LEASE_MODES ? lease_names[mode] : "?";
}

int dax_lease_parse(const char *name, enum dax_lease *mode)
{
	for (int m = 0; m < DAX_LEASE_MODES; m++) {
		if (!strcmp(name, lease_names[m])) {
			*mode = (enum dax_lease)m;
			return 0;
		}
	}
	return -EINVAL;
}


/* The filesystem's side, through its ops. */
struct rwsem *layout_of(struct dax_file f)
{
	return f.ops->layout_lock(f.priv);
}

bool same_file(struct dax_file a, struct dax_file b)
{
	return a.ops == b.ops && a.priv == b.priv;
}

bool file_ok(struct dax_file f)
{
	return f.ops && f.priv && f.ops->map && f.ops->size && f.ops->layout_lock &&
	       f.ops->grab && f.ops->put && f.ops->ino;
}

/*
 * Where @off of @f lives, if it is inside the file.  Past the end there is
 * nothing to map (Linux: SIGBUS): allocating there would make a block
 * that a later size change frees without breaking the layout of that
 * range.  Caller holds the layout lock, exclusive when @alloc.
 */
int map_in_size(struct dax_file f, uint64_t off, bool alloc, struct dax_extent *ext)
{
	uint64_t size;
	int err;

	if (alloc)
		assert_held_write(layout_of(f));
	else
		assert_held(layout_of(f));
	err = f.ops->size(f.priv, &size);

	if (!err && off >= size)
		err = -EFAULT;
	return err ? err : f.ops->map(f.priv, off, alloc, ext);
}

/* ------------------------------------------------------------- mappings */

int dax_mmap(struct dax_file f, uint64_t off, uint64_t len, bool writable,
	     const char *owner, void **va)
{
	struct dax_mapping *m;
	uint64_t span = ALIGN_UP(len, PAGE_2M);

	if (!file_ok(f) || len == 0 || !IS_ALIGNED(off, PAGE_SIZE) || off + len < off)
		return -EINVAL;
	if (!(m = kzalloc(sizeof(*m))))
		return -ENOMEM;
	f.ops->grab(f.priv);
	m->file = f;
	m->off = off;
	m->len = ALIGN_UP(len, PAGE_SIZE);
	m->writable = writable;
	strlcpy(m->owner, owner ? owner : "?", sizeof(m->owner));
	spin_lock(&dax_lock);
	/* Keep va congruent to off modulo 2 MiB, so 2 MiB extents can use
	 * 2 MiB page-table entries. */
	uint64_t base = ALIGN_UP(next_va, PAGE_2M) + (off & (PAGE_2M - 1));
	if (base + span + DAX_GUARD > DAX_BASE + DAX_SIZE) {
		spin_unlock(&dax_lock);
		f.ops->put(f.priv);
		kfree(m);
		return -ENOMEM;
	}
	m->va = base;
	m->refs = 1;
	next_va = base + span + DAX_GUARD;
	list_add_tail(&mappings, &m->node);
	spin_unlock(&dax_lock);
	*va = (void *)m->va;
	return 0;
}

int dax_munmap(void *va)
{
	struct dax_mapping *m, *found = NULL;

	spin_lock(&dax_lock);
	list_for_each_entry(m, &mappings, node) {
		if (m->va == (uint64_t)va) {
			found = m;
			list_del(&m->node);
			break;
		}
	}
	spin_unlock(&dax_lock);
	if (!found)
		return -EINVAL;
	pt_unmap(&kernel_pgtable, found->va, ALIGN_UP(found->len, PAGE_SIZE));
	put_mapping(found);		/* frees it once no fault uses it */
	return 0;
}

/* dax.h.  pt_unmap shoots the TLBs down before it returns. */
void dax_unmap_range(struct dax_file f, uint64_t off, uint64_t len)
{
	struct dax_mapping *m;
	uint64_t end = off + len < off ? UINT64_MAX : off + len;

	assert_held_write(layout_of(f));
	spin_lock(&dax_lock);
	list_for_each_entry(m, &mappings, node) {
		if (!same_file(m->file, f) || m->off >= end || m->off + m->len <= off)
			continue;
		uint64_t s = MAX(off, m->off), e = MIN(end, m->off + m->len);
		uint64_t va = m->va + ALIGN_DOWN(s - m->off, PAGE_SIZE);
		uint64_t vend = m->va + ALIGN_UP(e - m->off, PAGE_SIZE);
		/* Under dax_lock, so a concurrent munmap cannot free m: pt_unmap
		 * does not sleep, and the CPUs it shoots down serve the IPI even
		 * while spinning on dax_lock (the fault path takes it with
		 * interrupts on). */
		pt_unmap(&kernel_pgtable, va, vend - va);
	}
	dax_user_unmap_range(f, off, end);	/* every process's mappings too */
	spin_unlock(&dax_lock);
}

/* The mapping at va with a reference (put_mapping), or NULL.  No sleeping
 * under dax_lock: the mapping's own file reference keeps the file alive. */
static struct dax_mapping *find_mapping(uint64_t va)
{
	struct dax_mapping *m, *found = NULL;

	spin_lock(&dax_lock);
	list_for_each_entry(m, &mappings, node) {
		if (va >= m->va && va < m->va + m->len) {
			m->refs++;
			found = m;
			break;
		}
	}
	spin_unlock(&dax_lock);
	return found;
}

static void put_mapping(struct dax_mapping *m)
{
	bool last;

	spin_lock(&dax_lock);
	last = --m->refs == 0;
	spin_unlock(&dax_lock);
	if (last) {
		m->file.ops->put(m->file.priv);
		kfree(m);
	}
}

/* ---------------------------------------------------------------- faults */

/* Install a PTE for va -> pa, replacing what was there (the zero page). */
static int install(uint64_t va, uint64_t pa, uint64_t size, bool writable)
{
	uint64_t old;
	int err;

	if (pt_lookup(&kernel_pgtable, va, &old, NULL, NULL))
		pt_unmap(&kernel_pgtable, ALIGN_DOWN(va, size), size);
	err = pt_map(&kernel_pgtable, ALIGN_DOWN(va, size), pa, size,
		     writable ? PROT_WRITE : PROT_READ);
	return err == -EEXIST ? 0 : err;	/* another CPU got there first */
}

/* Map the 2 MiB around va when the mapping and the extent allow it. */
static bool try_huge(const struct dax_mapping *m, uint64_t va, bool write)
{
	uint64_t hva = ALIGN_DOWN(va, PAGE_2M), hoff;
	struct dax_extent ext;

	if (!dax_huge_pages || hva < m->va || hva + PAGE_2M > m->va + m->len)
		return false;
	hoff = m->off + (hva - m->va);
	if (!IS_ALIGNED(hoff, PAGE_2M) || m->file.ops->map(m->file.priv, hoff, false, &ext) ||
	    ext.hole)
		return false;
	if (!IS_ALIGNED(ext.phys, PAGE_2M) || ext.len < PAGE_2M)
		return false;
	if (install(hva, ext.phys, PAGE_2M, m->writable))
		return false;
	STAT_INC(faults_2m);
	return true;
}

/*
 * Fault va of mapping m in: look up (or, for a write, allocate) its block
 * under the layout lock and install the PTE.  With pin, also pin the page
 * while the lock is held (the slow path of dax_pin_pages).
 */
static int fault_in(const struct dax_mapping *m, uint64_t va, bool write, struct pmem_page **pin)
{
	struct rwsem *layout = layout_of(m->file);
	uint64_t off = m->off + ALIGN_DOWN(va - m->va, PAGE_SIZE);
	struct dax_extent ext;
	bool exclusive = false;
	int err;

	if (write && !m->writable)
		return -EACCES;
	down_read(layout);
	err = map_in_size(m->file, off, false, &ext);
	if (!err && ext.hole && write) {
		/* Allocating changes the block map: take the lock for write,
		 * and look at the size again (it may have changed meanwhile). */
		up_read(layout);
		down_write(layout);
		exclusive = true;
		err = map_in_size(m->file, off, true, &ext);
	}
	if (err)
		goto out_unlock;
	STAT_INC(faults);
	if (ext.hole) {
		err = install(ALIGN_DOWN(va, PAGE_SIZE), zero_page_pa, PAGE_SIZE, false);
	} else if (!try_huge(m, va, write)) {
		err = install(ALIGN_DOWN(va, PAGE_SIZE), ALIGN_DOWN(ext.phys, PAGE_SIZE),
			      PAGE_SIZE, m->writable);
	}
	if (!err && pin) {
		*pin = ext.hole ? NULL : pmem_phys_to_page(ext.phys);
		if (*pin)
			pmem_pin_page(*pin);
		else
			err = -EFAULT;
	}
out_unlock:
	if (exclusive)
		up_write(layout);
	else
		up_read(layout);
	return err;
}

/* The page-fault hook (arch/x86_64/trap.c): true if handled. */
static bool dax_page_fault(struct trap_frame *tf, uint64_t addr)
{
	struct dax_mapping *m;
	uint64_t off;
	int err;

	if (addr < DAX_BASE || addr >= DAX_BASE + DAX_SIZE)
		return false;
	if (!(tf->rflags & RFLAGS_IF) || this_cpu()->preempt_count > 0) {
		kprintf("dax: fault at %#lx where the kernel cannot sleep\n", addr);
		return false;
	}
	/* Interrupts on before anything else: another CPU may be waiting for
	 * this one to answer a TLB shootdown while it holds dax_lock. */
	irq_enable();
	if (!(m = find_mapping(addr))) {
		irq_disable();
		return false;
	}
	err = fault_in(m, addr, tf->error & PF_WRITE, NULL);
	off = m->off + (addr - m->va);
	put_mapping(m);
	irq_disable();
	if (err)
		kprintf("dax: cannot fault in %#lx (file offset %#lx): %s\n", addr, off, strerror(err));
	return err == 0;
}

/* ------------------------------------------------------------------ pins */

static struct dax_pin *new_pin(unsigned n, struct pmem_page **pages, const char *holder)
{
	struct dax_pin *p = kzalloc(sizeof(*p) + UNPINNED_WORDS(n) * sizeof(uint64_t));

	if (!p)
		return NULL;
	p->n = n;
	p->pages = pages;
	p->since = time_ns();
	strlcpy(p->holder, holder ? holder : "?", sizeof(p->holder));
	return p;
}

static void publish(struct dax_pin *p)
{
	spin_lock(&dax_lock);
	list_add_tail(&pins, &p->node);
	spin_unlock(&dax_lock);
}

/* Fast path for one page: lock-free walk, pin, re-check.  NULL: take the
 * slow path. */
static struct pmem_page *pin_fast(uint64_t va, bool write)
{
	uint64_t pa, pa2;
	unsigned prot;
	struct pmem_page *pg;

	if (!pt_lookup(&kernel_pgtable, va, &pa, NULL, &prot) || (write && !(prot & PROT_WRITE)))
		return NULL;
	pg = pmem_phys_to_page(pa);
	if (!pg)
		return NULL;			/* the zero page: a hole */
	pmem_pin_page(pg);
	if (!pt_lookup(&kernel_pgtable, va, &pa2, NULL, NULL) || pa2 != pa) {
		pmem_unpin_page(pg);		/* unmapped under us: retry slowly */
		STAT_INC(pin_retries);
		return NULL;
	}
	return pg;
}

struct dax_pin *dax_pin_pages(uint64_t va, unsigned n, unsigned flags,
			      struct pmem_page **pages, const char *holder, int *err)
{
	bool write = flags & DAX_PIN_WRITE;
	struct dax_mapping *m;
	struct dax_pin *p;
	unsigned i;

	if (!IS_ALIGNED(va, PAGE_SIZE) || n == 0) {
		*err = -EINVAL;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		uint64_t a = va + (uint64_t)i * PAGE_SIZE;
		if ((pages[i] = pin_fast(a, write))) {
			STAT_INC(pins_fast);
			continue;
		}
		if (!(m = find_mapping(a))) {
			*err = -EFAULT;
			goto undo;
		}
		*err = fault_in(m, a, write, &pages[i]);
		put_mapping(m);
		if (*err)
			goto undo;
		STAT_INC(pins_slow);
	}
	if (!(p = new_pin(n, pages, holder))) {
		*err = -ENOMEM;
		goto undo;
	}
	if ((m = find_mapping(va))) {
		p->ino = m->file.ops->ino(m->file.priv);
		p->off = m->off + (va - m->va);
		put_mapping(m);
	}
	publish(p);
	return p;
undo:
	while (i--)
		pmem_unpin_page(pages[i]);
	return NULL;
}

/* Pin the pages of [off, off + n pages) of f into pages[]; how many were
 * pinned (all n, or fewer with *err).  Caller holds the layout lock,
 * exclusive when write (the map op may allocate). */
static unsigned pin_range(struct dax_file f, uint64_t off, unsigned n, bool write,
			  struct pmem_page **pages, int *err)
{
	unsigned i;

	if (write)
		assert_held_write(layout_of(f));
	else
		assert_held(layout_of(f));
	*err = 0;
	for (i = 0; i < n; i++) {
		struct dax_extent ext;

		*err = f.ops->map(f.priv, off + (uint64_t)i * PAGE_SIZE, write, &ext);
		if (!*err && ext.hole)
			*err = -ENODATA;	/* reading a hole by DMA: nothing to pin */
		if (!*err && !(pages[i] = pmem_phys_to_page(ext.phys)))
			*err = -EFAULT;
		if (*err)
			break;
		pmem_pin_page(pages[i]);
	}
	return i;
}

/* -ESTALE when [off, off + len) is no longer inside f.  Caller holds the
 * layout lock. */
static int check_in_size(struct dax_file f, uint64_t off, uint64_t len)
{
	uint64_t size;
	int err;

	assert_held(layout_of(f));
	err = f.ops->size(f.priv, &size);

	return err ? err : off + len > size ? -ESTALE : 0;
}

struct dax_pin *dax_pin_file(struct dax_file f, uint64_t off, uint64_t len,
			     unsigned flags, const char *holder, int *err)
{
	return dax_pin_file_lease(f, off, len, flags, NULL, holder, err);
}

/* Give p the lease req asks for (NULL: wait).  Caller holds dax_lock, or
 * p is not listed yet. */
static void set_lease(struct dax_pin *p, const struct dax_lease_req *req)
{
	p->lease = req ? req->mode : DAX_LEASE_WAIT;
	p->revoke_fn = req ? req->revoke : NULL;
	p->revoke_ctx = req ? req->ctx : NULL;
	if (req && req->name)
		strlcpy(p->name, req->name, sizeof(p->name));
}

struct dax_pin *dax_pin_file_lease(struct dax_file f, uint64_t off, uint64_t len,
				   unsigned flags, const struct dax_lease_req *lease,
				   const char *holder, int *err)
{
	bool write = flags & DAX_PIN_WRITE;
	struct pmem_page **pages;
	struct rwsem *layout;
	struct dax_pin *p;
	unsigned n, i = 0;

	if (!file_ok(f) || len == 0 || off + len < off) {
		*err = -EINVAL;
		return NULL;
	}
	if (lease && (*err = dax_lease_check(lease->mode)))
		return NULL;
	n = (unsigned)(ALIGN_UP(off + len, PAGE_SIZE) / PAGE_SIZE - off / PAGE_SIZE);
	pages = kmalloc(n * sizeof(*pages));
	p = pages ? new_pin(n, pages, holder) : NULL;
	if (!p) {
		kfree(pages);
		*err = -ENOMEM;
		return NULL;
	}
	p->ino = f.ops->ino(f.priv);
	p->off = ALIGN_DOWN(off, PAGE_SIZE);
	p->own_pages = true;
	set_lease(p, lease);
	f.ops->grab(f.priv);		/* not under the layout lock (dax.h) */
	p->file = f;
	layout = layout_of(f);
	/* Allocation may change the block map: hold the lock for write then. */
	if (write)
		down_write(layout);
	else
		down_read(layout);
	*err = flags & DAX_PIN_IN_SIZE ? check_in_size(f, off, len) : 0;
	if (!*err)
		i = pin_range(f, p->off, n, write, pages, err);
	if (i == n)
		publish(p);	/* lease and all, before the lock goes: a layout
				 * change sees these pins only with their record */
	if (write)
		up_write(layout);
	else
		up_read(layout);
	if (i == n)
		return p;
	while (i--)
		pmem_unpin_page(pages[i]);
	f.ops->put(f.priv);
	kfree(pages);
	kfree(p);
	return NULL;
}

int dax_pin_set_lease(struct dax_pin *p, const struct dax_lease_req *lease)
{
	int err = lease ? dax_lease_check(lease->mode) : 0;

	if (err)
		return err;
	spin_lock(&dax_lock);
	if (p->revoked)
		err = -EINVAL;
	else
		set_lease(p, lease);
	spin_unlock(&dax_lock);
	return err;
}

/* Was page k of p unpinned by dax_unpin_dma()?  Any context. */
static bool page_unpinned(const struct dax_pin *p, unsigned k)
{
	return __atomic_load_n(&p->unpinned[k / WORD_BITS], __ATOMIC_ACQUIRE) &
	       (1ULL << (k % WORD_BITS));
}

/* Set page k's bit; true if this call set it (and so owns the unpin). */
static bool claim_page(struct dax_pin *p, unsigned k)
{
	uint64_t bit = 1ULL << (k % WORD_BITS);

	return !(__atomic_fetch_or(&p->unpinned[k / WORD_BITS], bit, __ATOMIC_ACQ_REL) & bit);
}

bool dax_pin_drop_page(struct dax_pin *p, unsigned k)
{
	if (!p || k >= p->n || !claim_page(p, k))
		return false;
	pmem_unpin_page(p->pages[k]);	/* the last unpin wakes a layout wait */
	return true;
}

int dax_unpin_dma(struct dax_pin *p, uint64_t i, uint64_t len, const struct dma_desc *d)
{
	uint64_t first = i / PAGE_SIZE, last = (i + len - 1) / PAGE_SIZE;

	if (!p || !d || len == 0 || i + len < i || last >= p->n)
		return -EINVAL;
	if (__atomic_load_n(&p->revoked, __ATOMIC_ACQUIRE))
		return 0;		/* the revoke dropped them: the device cannot reach them */
	if (!dma_unpin_check(d, p->holder))
		return -EBUSY;		/* the device may still write them: keep the pins */
	for (uint64_t k = first; k <= last; k++) {
		if (!claim_page(p, (unsigned)k))
			continue;		/* another done(), or a revoke, dropped it */
		pmem_unpin_page(p->pages[k]);	/* the last unpin wakes a layout wait */
		STAT_INC(dma_unpins);
	}
	return 0;
}

void dax_unpin(struct dax_pin *p)
{
	spin_lock(&dax_lock);
	list_del(&p->node);
	spin_unlock(&dax_lock);
	/* A revoke that took the record before it left the list ends first. */
	wait_var_event(&p->revoking, __atomic_load_n(&p->revoking, __ATOMIC_ACQUIRE) == 0);
	/* Borrowed pins are pin_user_pages()'s: their holder drops them (with
	 * dax_pin_drop_page() under a lease).  The others, once each. */
	for (unsigned k = 0; !p->borrowed && k < p->n; k++)
		dax_pin_drop_page(p, k);		/* the last unpin wakes a layout wait */
	if (p->file.ops)
		p->file.ops->put(p->file.priv);	/* may free an unlinked file, now idle */
	if (p->own_pages)
		kfree(p->pages);
	kfree(p);
}

struct dax_pin *dax_pin_record(struct pmem_page **pages, unsigned n, const char *holder)
{
	struct dax_pin *p = n ? new_pin(n, pages, holder) : NULL;

	if (!p)
		return NULL;
	p->own_pages = true;
	p->borrowed = true;		/* ino 0: pages of any files */
	publish(p);
	return p;
}

uint64_t dax_pin_phys(const struct dax_pin *p, uint64_t i)
{
	uint64_t page = i / PAGE_SIZE;

	return page < p->n ? pmem_page_to_phys(p->pages[page]) + i % PAGE_SIZE : 0;
}

void dax_pin_set_detail(struct dax_pin *p, const char *detail)
{
	spin_lock(&dax_lock);
	strlcpy(p->detail, detail, sizeof(p->detail));
	spin_unlock(&dax_lock);
}

void dax_pin_set_pid(struct dax_pin *p, int pid)
{
	spin_lock(&dax_lock);
	p->pid = pid;
	spin_unlock(&dax_lock);
}

unsigned dax_pinned_pages_of(int pid)
{
	struct dax_pin *p;
	unsigned n = 0;

	if (pid <= 0)
		return 0;
	spin_lock(&dax_lock);
	list_for_each_entry(p, &pins, node)
		if (p->pid == pid)
			n += dax_pin_held_pages(p);
	spin_unlock(&dax_lock);
	return n;
}

void dax_for_each_pin(void (*fn)(const struct dax_pin *p, void *ctx), void *ctx)
{
	struct dax_pin *p;

	spin_lock(&dax_lock);
	list_for_each_entry(p, &pins, node)
		fn(p, ctx);
	spin_unlock(&dax_lock);
}

const char *dax_pin_holder(const struct dax_pin *p) { return p->holder; }
const char *dax_pin_detail(const struct dax_pin *p) { return p->detail; }
uint64_t dax_pin_ino(const struct dax_pin *p) { return p->ino; }
uint64_t dax_pin_offset(const struct dax_pin *p) { return p->off; }
unsigned dax_pin_npages(const struct dax_pin *p) { return p->n; }
uint64_t dax_pin_since(const struct dax_pin *p) { return p->since; }
enum dax_lease dax_pin_lease(const struct dax_pin *p) { return p->lease; }
bool dax_pin_revoked(const struct dax_pin *p) { return __atomic_load_n(&p->revoked, __ATOMIC_ACQUIRE); }

/* ---------------------------------------------------------- layout break */

/* How the pins on the pages of a range stand (scan_range()). */
struct scan {
	bool fail;			/* a page held by a fail lease */
	struct pmem_page *wait_pg;	/* the first page with a wait pin... */
	uint64_t wait_at;		/* ...at this file offset */
	bool wait_mixed;		/* ...that revoke leases hold too */
	struct pmem_page *revoke_pg;	/* the first page a revoke lease holds */
	uint64_t revoke_at;
};

/* Does record p hold a pin of its own on page k?  Wait records made by
 * dax_pin_record() cannot say (their holder unpins without telling them). */
static bool live_entry(const struct dax_pin *p, unsigned k)
{
	return !__atomic_load_n(&p->revoked, __ATOMIC_ACQUIRE) &&
	       ((p->borrowed && p->lease == DAX_LEASE_WAIT) || !page_unpinned(p, k));
}

unsigned dax_pin_held_pages(const struct dax_pin *p)
{
	unsigned n = 0;

	if (dax_pin_revoked(p))
		return 0;
	for (unsigned k = 0; k < p->n; k++)
		n += live_entry(p, k);
	return n;
}

/* Note pinned page pg at file offset at in sc.  Takes dax_lock. */
static void classify(struct pmem_page *pg, uint64_t at, struct scan *sc)
{
	unsigned revokes = 0;
	struct dax_pin *p;

	spin_lock(&dax_lock);
	list_for_each_entry(p, &pins, node) {
		if (p->lease == DAX_LEASE_WAIT)
			continue;
		for (unsigned k = 0; k < p->n; k++) {
			if (p->pages[k] != pg || !live_entry(p, k))
				continue;
			if (p->lease == DAX_LEASE_FAIL)
				sc->fail = true;
			else
				revokes++;
		}
	}
	/* Read after the records: a pin counted above is in this count too. */
	uint32_t n = pmem_page_pins(pg);
	spin_unlock(&dax_lock);
	if (n > revokes && !sc->wait_pg) {
		sc->wait_pg = pg;
		sc->wait_at = at;
		sc->wait_mixed = revokes > 0;
	}
	if (revokes && !sc->revoke_pg) {
		sc->revoke_pg = pg;
		sc->revoke_at = at;
	}
}

/* Look at every pinned page backing [off, off+len) of f (only there).
 * Caller holds the layout lock.  Stops at the first fail lease. */
static void scan_range(struct dax_file f, uint64_t off, uint64_t len, struct scan *sc)
{
	uint64_t end = off + len < off ? UINT64_MAX : off + len;

	memset(sc, 0, sizeof(*sc));
	for (uint64_t o = ALIGN_DOWN(off, PAGE_SIZE); o < end && !sc->fail;) {
		struct dax_extent ext;
		if (f.ops->map(f.priv, o, false, &ext) || ext.len == 0)
			break;				/* past the end of the file */
		uint64_t span = MIN(ext.len, end - o);
		for (uint64_t b = 0; !ext.hole && b < span && !sc->fail; b += PAGE_SIZE) {
			struct pmem_page *pg = pmem_phys_to_page(ext.phys + b);
			if (pg && pmem_page_pins(pg))
				classify(pg, o + b, sc);
		}
		o += ALIGN_UP(span, PAGE_SIZE);
	}
}

/*
 * Revoke record p (taken by the caller: revoked set, revoking counted):
 * no device reaches its pages any more, the holder is told, its page pins
 * go.  Caller holds f's layout lock for write, not dax_lock.
 */
static void revoke_one(struct dax_file f, struct dax_pin *p)
{
	uint64_t ino = f.ops->ino(f.priv);
	unsigned ranges = 0;
	char what[DAX_NAME_LEN];

	if (p->name[0])
		strlcpy(what, p->name, sizeof(what));
	else
		snprintf(what, sizeof(what), "ino %lu", p->ino ? p->ino : ino);
	/* one call per physically contiguous run of pages (an extent) */
	for (unsigned k = 0, run; k < p->n; k += run) {
		uint64_t pa = pmem_page_to_phys(p->pages[k]);

		for (run = 1; k + run < p->n &&
		     pmem_page_to_phys(p->pages[k + run]) == pa + (uint64_t)run * PAGE_SIZE; run++)
			;
		ranges += iommu_revoke_phys(pa, (uint64_t)run * PAGE_SIZE, what,
					    p->off + (uint64_t)k * PAGE_SIZE);
	}
	if (p->revoke_fn)
		p->revoke_fn(p, p->revoke_ctx);
	for (unsigned k = 0; k < p->n; k++)
		dax_pin_drop_page(p, k);	/* the holder's own drop is now a no-op */
	STAT_INC(lease_revokes);
	kprintf("dax: layout change of inode %lu revoked the pin of %s%s%s (%u pages, %u IOMMU ranges)\n",
		ino, p->holder, p->detail[0] ? ": " : "", p->detail, p->n, ranges);
}

/* Revoke every revoke lease with a pin on pg, one at a time.  Caller
 * holds f's layout lock for write. */
static void revoke_holders(struct dax_file f, struct pmem_page *pg)
{
	for (;;) {
		struct dax_pin *p, *found = NULL;

		spin_lock(&dax_lock);
		list_for_each_entry(p, &pins, node) {
			if (p->lease != DAX_LEASE_REVOKE || p->revoked)
				continue;
			for (unsigned k = 0; k < p->n && !found; k++)
				if (p->pages[k] == pg && live_entry(p, k))
					found = p;
			if (found)
				break;
		}
		if (found) {
			__atomic_store_n(&found->revoked, true, __ATOMIC_RELEASE);
			__atomic_add_fetch(&found->revoking, 1, __ATOMIC_ACQ_REL);
		}
		spin_unlock(&dax_lock);
		if (!found)
			return;
		revoke_one(f, found);
		if (__atomic_sub_fetch(&found->revoking, 1, __ATOMIC_ACQ_REL) == 0)
			wake_up_var(&found->revoking);	/* a dax_unpin() may wait */
	}
}

struct report_ctx {
	struct pmem_page *page;
	uint64_t now;
};

static void report_pin(const struct dax_pin *p, void *arg)
{
	struct report_ctx *r = arg;

	for (unsigned i = 0; i < p->n; i++) {
		if (p->pages[i] != r->page || !live_entry(p, i))
			continue;
		kprintf("dax:   held by %s%s%s (inode %lu, offset %#lx, %u pages%s%s) for %lu ms\n",
			p->holder, p->detail[0] ? ": " : "", p->detail, p->ino, p->off, p->n,
			p->lease ? ", lease=" : "", p->lease ? dax_lease_name(p->lease) : "",
			(r->now - p->since) / 1000000);
		return;
	}
}

/* A page that a wait pin and a revoke lease both hold never goes idle
 * while the lease lasts: its wait is a poll at this period instead. */
#define LEASE_POLL_NS	(10ULL * 1000 * 1000)

/* dax.h.  The loop's order matters: leases that fail, pins to wait for,
 * then the interrupt, then time; revoke leases only when nothing waits. */
int dax_break_layout(struct dax_file f, uint64_t off, uint64_t len, const struct dax_wait *w)
{
	struct rwsem *layout = layout_of(f);
	uint64_t start = time_ns();
	bool intr = !(w && (w->flags & DAX_WAIT_NOINTR));
	bool reported = false;
	struct pmem_page *pg;
	struct scan sc;

	STAT_INC(layout_breaks);
	for (;;) {
		dax_unmap_range(f, off, len);
		scan_range(f, off, len, &sc);
		if (sc.fail) {
			STAT_INC(lease_fails);
			return -ETXTBSY;		/* nothing changed */
		}
		if (sc.revoke_pg && (!sc.wait_pg || dax_unsafe_no_wait)) {
			revoke_holders(f, sc.revoke_pg);
			continue;			/* and look again */
		}
		pg = sc.wait_pg;
		if (!pg || dax_unsafe_no_wait)
			break;
		if (w && (w->flags & DAX_WAIT_NONE))
			return -EBUSY;
		if (intr && thread_interrupted()) {
			STAT_INC(layout_interrupted);
			return -EINTR;
		}
		uint64_t now = time_ns(), wait_ns = 0;
		if (w && (w->flags & DAX_WAIT_TIMEOUT)) {
			if (now - start >= w->timeout_ns)
				return -ETIMEDOUT;
			wait_ns = w->timeout_ns - (now - start);
		}
		if (!reported && now - start >= DAX_REPORT_AFTER_NS) {
			struct report_ctx r = { pg, now };
			kprintf("dax: layout change of inode %lu waits %lu ms for pinned page at offset %#lx\n",
				f.ops->ino(f.priv), (now - start) / 1000000, sc.wait_at);
			dax_for_each_pin(report_pin, &r);
			reported = true;
		}
		if (!reported && (wait_ns == 0 || wait_ns > DAX_REPORT_AFTER_NS))
			wait_ns = DAX_REPORT_AFTER_NS;	/* wake up to report the holders */
		if (sc.wait_mixed && (wait_ns == 0 || wait_ns > LEASE_POLL_NS))
			wait_ns = LEASE_POLL_NS;
		STAT_INC(layout_waits);
		up_write(layout);
		/* Its result does not matter: the next round looks at the pins,
		 * the interrupt and the time again, in that order. */
		if (intr)
			pmem_wait_page_idle_interruptible(pg, wait_ns);
		else
			pmem_wait_page_idle(pg, wait_ns);
		stats.last_wake_ns = time_ns();
		down_write(layout);
	}
	__atomic_fetch_add(&stats.layout_wait_ns, time_ns() - start, __ATOMIC_RELAXED);
	return 0;
}

int dax_init(void)
{
	zero_page_pa = pmm_alloc_page();
	if (!zero_page_pa)
		return -ENOMEM;
	memset(phys_to_virt(zero_page_pa), 0, PAGE_SIZE);
	page_fault_hook = dax_page_fault;
	return 0;
}
