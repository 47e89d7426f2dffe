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
 * Locking: dax_lock guards `mappings` and `pins` (the lists and the records'
 * list nodes); it is a spinlock and nothing sleeps under it.
 */
#include <fs/dax.h>
#include <fs/holdfs.h>
#include <drivers/pmem.h>
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

struct dax_mapping {
	uint64_t va, len, off;
	struct hfs_inode *ip;			/* a reference, dropped at the last put */
	bool writable;
	char owner[NAME_LEN];
	struct list_node node;			/* dax_lock */
	int refs;				/* dax_lock: the list + users */
	bool unmapped;				/* dax_lock */
};

struct dax_pin {
	struct list_node node;			/* dax_lock */
	struct hfs_inode *ip;			/* file pins: a reference */
	uint64_t ino, off;			/* file offset of the first page */
	unsigned n;
	struct pmem_page **pages;
	bool own_pages;				/* pages[] allocated here */
	uint64_t since;
	char holder[NAME_LEN];
	char detail[DETAIL_LEN];
};

/* dax_unsafe_no_wait lives in fs/holdfs/kernel_platform.c, which also
 * obeys it. */

static spinlock_t dax_lock = SPINLOCK_INIT("dax");
static struct list_node mappings = LIST_INIT(mappings);	/* dax_lock */
static struct list_node pins = LIST_INIT(pins);		/* dax_lock */
static uint64_t next_va = DAX_BASE;			/* dax_lock */
static uint64_t zero_page_pa;
bool dax_huge_pages = true;
static struct dax_stats stats;

static void put_mapping(struct dax_mapping *m);

void dax_get_stats(struct dax_stats *st)
{
	*st = stats;
}

#define STAT_INC(f) __atomic_fetch_add(&stats.f, 1, __ATOMIC_RELAXED)

/* ------------------------------------------------------------- mappings */

int dax_mmap(struct hfs_inode *ip, uint64_t off, uint64_t len, bool writable,
	     const char *owner, void **va)
{
	struct dax_mapping *m;
	uint64_t span = ALIGN_UP(len, PAGE_2M);

	if (len == 0 || !IS_ALIGNED(off, PAGE_SIZE) || off + len < off)
		return -EINVAL;
	if (!(m = kzalloc(sizeof(*m))))
		return -ENOMEM;
	m->ip = hfs_igrab(ip);
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
		hfs_iput(m->ip);
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

/**
 * dax_unmap_range - remove every PTE mapping [off, off+len) of ip, on every
 * CPU (pt_unmap shoots the TLBs down before it returns).  Caller holds the
 * layout lock for write, so no fault can map the range again meanwhile.
 */
void dax_unmap_range(struct hfs_inode *ip, uint64_t off, uint64_t len)
{
	struct dax_mapping *m;
	uint64_t end = off + len < off ? UINT64_MAX : off + len;

	spin_lock(&dax_lock);
	list_for_each_entry(m, &mappings, node) {
		if (m->ip != ip || m->off >= end || m->off + m->len <= off)
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
	spin_unlock(&dax_lock);
}

/* The mapping at va with a reference (put_mapping), or NULL.  No sleeping
 * under dax_lock: the mapping's own inode reference keeps ip alive. */
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
		hfs_iput(m->ip);
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
	struct hfs_mapping hm;

	if (!dax_huge_pages || hva < m->va || hva + PAGE_2M > m->va + m->len)
		return false;
	hoff = m->off + (hva - m->va);
	if (!IS_ALIGNED(hoff, PAGE_2M) || hfs_map(m->ip, hoff, false, &hm) || hm.hole)
		return false;
	if (!IS_ALIGNED(hm.phys, PAGE_2M) || hm.len < PAGE_2M)
		return false;
	if (install(hva, hm.phys, PAGE_2M, m->writable))
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
	hfs_rwsem_t *layout = hfs_layout_lock(m->ip);
	uint64_t off = m->off + ALIGN_DOWN(va - m->va, PAGE_SIZE);
	struct hfs_mapping hm;
	bool exclusive = false;
	int err;

	struct hfs_stat st;

	if (write && !m->writable)
		return -EACCES;
	hfs_down_read(layout);
	/* Past the end of the file there is nothing to map (Linux: SIGBUS).
	 * Allocating there would make a block that a later size change frees
	 * without breaking the layout of that range. */
	err = hfs_getattr(m->ip, &st);
	if (!err && off >= st.size)
		err = -EFAULT;
	if (!err)
		err = hfs_map(m->ip, off, false, &hm);
	if (!err && hm.hole && write) {
		/* Allocating changes the extent tree: take the lock for write,
		 * and look at the size again (it may have changed meanwhile). */
		hfs_up_read(layout);
		hfs_down_write(layout);
		exclusive = true;
		err = hfs_getattr(m->ip, &st);
		if (!err && off >= st.size)
			err = -EFAULT;
		if (!err)
			err = hfs_map(m->ip, off, true, &hm);
	}
	if (err)
		goto out;
	STAT_INC(faults);
	if (hm.hole) {
		err = install(ALIGN_DOWN(va, PAGE_SIZE), zero_page_pa, PAGE_SIZE, false);
	} else if (!try_huge(m, va, write)) {
		err = install(ALIGN_DOWN(va, PAGE_SIZE), ALIGN_DOWN(hm.phys, PAGE_SIZE),
			      PAGE_SIZE, m->writable);
	}
	if (!err && pin) {
		*pin = hm.hole ? NULL : pmem_phys_to_page(hm.phys);
		if (*pin)
			pmem_pin_page(*pin);
		else
			err = -EFAULT;
	}
out:
	if (exclusive)
		hfs_up_write(layout);
	else
		hfs_up_read(layout);
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
	struct dax_pin *p = kzalloc(sizeof(*p));

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
		p->ino = hfs_ino(m->ip);
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

struct dax_pin *dax_pin_file(struct hfs_inode *ip, uint64_t off, uint64_t len,
			     unsigned flags, const char *holder, int *err)
{
	hfs_rwsem_t *layout = hfs_layout_lock(ip);
	bool write = flags & DAX_PIN_WRITE;
	unsigned n = (unsigned)(ALIGN_UP(off + len, PAGE_SIZE) / PAGE_SIZE - off / PAGE_SIZE);
	struct pmem_page **pages;
	struct dax_pin *p;
	unsigned i = 0;

	if (len == 0 || off + len < off) {
		*err = -EINVAL;
		return NULL;
	}
	if (!(pages = kmalloc(n * sizeof(*pages)))) {
		*err = -ENOMEM;
		return NULL;
	}
	/* Allocation may change the extent tree: hold the lock for write then. */
	if (write)
		hfs_down_write(layout);
	else
		hfs_down_read(layout);
	if (flags & DAX_PIN_IN_SIZE) {
		struct hfs_stat st;

		*err = hfs_getattr(ip, &st);
		if (!*err && off + len > st.size)
			*err = -ESTALE;		/* shrunk since the caller looked */
		if (*err) {
			if (write)
				hfs_up_write(layout);
			else
				hfs_up_read(layout);
			kfree(pages);
			return NULL;
		}
	}
	for (; i < n; i++) {
		struct hfs_mapping hm;
		uint64_t o = ALIGN_DOWN(off, PAGE_SIZE) + (uint64_t)i * PAGE_SIZE;
		*err = hfs_map(ip, o, write, &hm);
		if (!*err && hm.hole)
			*err = -ENODATA;	/* reading a hole by DMA: nothing to pin */
		if (!*err && !(pages[i] = pmem_phys_to_page(hm.phys)))
			*err = -EFAULT;
		if (*err)
			break;
		pmem_pin_page(pages[i]);
	}
	if (write)
		hfs_up_write(layout);
	else
		hfs_up_read(layout);
	if (i < n || !(p = new_pin(n, pages, holder))) {
		if (i == n)
			*err = -ENOMEM;
		while (i--)
			pmem_unpin_page(pages[i]);
		kfree(pages);
		return NULL;
	}
	p->ip = hfs_igrab(ip);
	p->ino = hfs_ino(ip);
	p->off = ALIGN_DOWN(off, PAGE_SIZE);
	p->own_pages = true;
	publish(p);
	return p;
}

void dax_unpin(struct dax_pin *p)
{
	spin_lock(&dax_lock);
	list_del(&p->node);
	spin_unlock(&dax_lock);
	for (unsigned i = 0; i < p->n; i++)
		pmem_unpin_page(p->pages[i]);	/* the last unpin wakes a layout wait */
	if (p->ip)
		hfs_iput(p->ip);		/* may free an unlinked file, now idle */
	if (p->own_pages)
		kfree(p->pages);
	kfree(p);
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

/* ---------------------------------------------------------- layout break */

/* The first pinned page backing [off, off+len) of ip, or NULL.  Caller
 * holds the layout lock; only this range is looked at. */
static struct pmem_page *find_pinned(struct hfs_inode *ip, uint64_t off, uint64_t len,
				     uint64_t *at)
{
	uint64_t end = off + len < off ? UINT64_MAX : off + len;

	for (uint64_t o = ALIGN_DOWN(off, PAGE_SIZE); o < end;) {
		struct hfs_mapping hm;
		if (hfs_map(ip, o, false, &hm) || hm.len == 0)
			break;				/* past the end of the file */
		uint64_t span = MIN(hm.len, end - o);
		if (!hm.hole) {
			for (uint64_t b = 0; b < span; b += PAGE_SIZE) {
				struct pmem_page *pg = pmem_phys_to_page(hm.phys + b);
				if (pg && pmem_page_pins(pg)) {
					*at = o + b;
					return pg;
				}
			}
		}
		o += ALIGN_UP(span, PAGE_SIZE);
	}
	return NULL;
}

struct report_ctx {
	struct pmem_page *page;
	uint64_t now;
};

static void report_pin(const struct dax_pin *p, void *arg)
{
	struct report_ctx *r = arg;

	for (unsigned i = 0; i < p->n; i++) {
		if (p->pages[i] != r->page)
			continue;
		kprintf("dax:   held by %s%s%s (inode %lu, offset %#lx, %u pages) for %lu ms\n",
			p->holder, p->detail[0] ? ": " : "", p->detail, p->ino, p->off, p->n,
			(r->now - p->since) / 1000000);
		return;
	}
}

/**
 * hfs_break_layout - make [off, off+len) of ip free of mappings and pins
 * before the filesystem frees or moves its blocks.  Caller holds layout
 * for write; it is dropped while sleeping and held again on return.
 * Returns 0, -EBUSY (HFS_WAIT_NONE and a page is pinned), -ETIMEDOUT, or
 * -EINTR: a page is still pinned and the thread was interrupted
 * (thread_interrupt(): Ctrl-C on the shell's command), before the wait or
 * during it, unless @w has HFS_WAIT_NOINTR.  Pins first: a range found
 * idle is broken even if an interrupt is pending.  On an error the caller
 * must leave the file unchanged: nothing here changes it (unmapping only
 * makes the next access fault the same blocks back in).
 */
int hfs_break_layout(struct hfs_inode *ip, hfs_rwsem_t *layout, uint64_t off, uint64_t len,
		     const struct hfs_wait *w)
{
	uint64_t start = time_ns(), at = 0;
	bool intr = !(w && (w->flags & HFS_WAIT_NOINTR));
	bool reported = false;
	struct pmem_page *pg;

	STAT_INC(layout_breaks);
	for (;;) {
		dax_unmap_range(ip, off, len);
		pg = find_pinned(ip, off, len, &at);
		if (!pg || dax_unsafe_no_wait)
			break;
		if (w && (w->flags & HFS_WAIT_NONE))
			return -EBUSY;
		if (intr && thread_interrupted()) {
			STAT_INC(layout_interrupted);
			return -EINTR;
		}
		uint64_t now = time_ns(), wait_ns = 0;
		if (w && (w->flags & HFS_WAIT_TIMEOUT)) {
			if (now - start >= w->timeout_ns)
				return -ETIMEDOUT;
			wait_ns = w->timeout_ns - (now - start);
		}
		if (!reported && now - start >= DAX_REPORT_AFTER_NS) {
			struct report_ctx r = { pg, now };
			kprintf("dax: layout change of inode %lu waits %lu ms for pinned page at offset %#lx\n",
				hfs_ino(ip), (now - start) / 1000000, at);
			dax_for_each_pin(report_pin, &r);
			reported = true;
		}
		if (!reported && (wait_ns == 0 || wait_ns > DAX_REPORT_AFTER_NS))
			wait_ns = DAX_REPORT_AFTER_NS;	/* wake up to report the holders */
		STAT_INC(layout_waits);
		hfs_up_write(layout);
		/* Its result does not matter: the next round looks at the pins,
		 * the interrupt and the time again, in that order. */
		if (intr)
			pmem_wait_page_idle_interruptible(pg, wait_ns);
		else
			pmem_wait_page_idle(pg, wait_ns);
		stats.last_wake_ns = time_ns();
		hfs_down_write(layout);
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
