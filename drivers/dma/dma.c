/*
 * dma.c - the generic half of DMA: the engine registry (and why it is
 * empty, for the boot log and `dma status`), request checks,
 * ids and submission times, descriptor ownership and the unpin rule's
 * check (dma_unpin_check), the synchronous copy and the in-flight walk.
 * Engine drivers (edu.c) do the hardware half through struct
 * dma_engine_ops; the interface is include/drivers/dma.h.
 *
 * Locking: reg_lock serialises dma_engine_register(); engines[] entries are
 * written before nengines is raised (release) and never change afterwards,
 * so readers need no lock.  next_id and early_unpins are atomic.
 * Descriptors belong to their engine between dma_submit() and done(),
 * under the engine's lock; dma_submit() takes a descriptor from FREE to
 * QUEUED with a compare-and-swap, so two submitters cannot both own it.
 */
#include <stdarg.h>
#include <drivers/dma.h>
#include <drivers/pmem.h>
#include <kernel/bootinfo.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>

static spinlock_t reg_lock = SPINLOCK_INIT("dma-registry");
static struct dma_engine *engines[DMA_MAX_ENGINES];	/* reg_lock to write */
static unsigned nengines;				/* reg_lock; read with acquire */
static uint64_t next_id;				/* atomic */
static uint64_t early_unpins;				/* atomic */

#define REFUSAL_MAX	256
static char refusal[REFUSAL_MAX];	/* written while drivers probe, then read-only */
static const char no_device[] = "no DMA device found (QEMU's edu, PCI 1234:11e8): "
				DMA_HOW_TO_ADD;

void dma_note_refusal(const char *fmt, ...)
{
	va_list ap;

	if (refusal[0])
		return;
	va_start(ap, fmt);
	vsnprintf(refusal, sizeof(refusal), fmt, ap);
	va_end(ap);
}

const char *dma_why_none(void)
{
	return refusal[0] ? refusal : no_device;
}

void dma_report(void)
{
	if (dma_engine_count() == 0)
		kprintf("dma: no DMA engine: %s\n", dma_why_none());
}

int dma_engine_register(struct dma_engine *e)
{
	unsigned long f;
	int err = 0;

	if (!e || !e->ops || !e->ops->submit || !e->ops->status || !e->ops->for_each ||
	    !e->max_seg)
		return -EINVAL;
	f = spin_lock_irqsave(&reg_lock);
	if (nengines == DMA_MAX_ENGINES) {
		err = -ENOSPC;
	} else {
		e->index = nengines;
		if (!e->name[0])
			snprintf(e->name, sizeof(e->name), "dma%u", e->index);
		engines[nengines] = e;
		__atomic_store_n(&nengines, nengines + 1, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&reg_lock, f);
	if (err)
		kprintf("dma: no room for engine %s (%u registered)\n", e->name, DMA_MAX_ENGINES);
	return err;
}

unsigned dma_engine_count(void)
{
	return __atomic_load_n(&nengines, __ATOMIC_ACQUIRE);
}

struct dma_engine *dma_get_engine(unsigned index)
{
	return index < dma_engine_count() ? engines[index] : NULL;
}

/* ------------------------------------------------------ request checks -- */

static bool in_range(uint64_t pa, uint64_t len, uint64_t base, uint64_t size)
{
	return pa >= base && len <= size && pa - base <= size - len;
}

/* One usable RAM range of the boot memory map holds all of [pa, pa+len). */
static bool in_ram(uint64_t pa, uint64_t len)
{
	for (unsigned i = 0; i < boot_info.nmmap; i++) {
		const struct boot_mem_region *m = &boot_info.mmap[i];

		if (m->type == MEM_AVAILABLE && in_range(pa, len, m->base, m->len))
			return true;
	}
	return false;
}

static bool in_pmem(uint64_t pa, uint64_t len)
{
	for (unsigned i = 0; i < pmem_region_count(); i++) {
		const struct pmem_region *r = pmem_region(i);

		if (in_range(pa, len, r->phys, r->size))
			return true;
	}
	return false;
}

bool dma_phys_ok(uint64_t pa, uint64_t len)
{
	if (len == 0 || pa + len < pa)
		return false;
	return in_ram(pa, len) || in_pmem(pa, len);
}

static bool overlap(uint64_t a, uint64_t b, uint64_t len)
{
	return a < b + len && b < a + len;
}

static int check_request(const struct dma_desc *d)
{
	if (!d->done || !d->len)
		return -EINVAL;
	if (!dma_phys_ok(d->src, d->len) || !dma_phys_ok(d->dst, d->len))
		return -EINVAL;
	if (overlap(d->src, d->dst, d->len))
		return -EINVAL;
	return 0;
}

/* ----------------------------------------------------------- submission -- */

int dma_submit(struct dma_engine *e, struct dma_desc *d)
{
	enum dma_desc_state free = DMA_DESC_FREE;
	int err;

	if (!e)
		return -ENODEV;
	if (!d || dma_desc_owned(d))
		return -EINVAL;		/* still owned by an engine */
	err = check_request(d);
	if (err)
		return err;
	/* From here the engine owns d, until its driver marks it free
	 * before done(). */
	if (!__atomic_compare_exchange_n(&d->state, &free, DMA_DESC_QUEUED, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return -EINVAL;		/* another submitter got it first */
	d->engine = e;
	d->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	d->submit_ns = time_ns();
	err = e->ops->submit(e, d);
	if (err)
		__atomic_store_n(&d->state, DMA_DESC_FREE, __ATOMIC_RELEASE);
	return err;
}

bool dma_desc_owned(const struct dma_desc *d)
{
	return __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != DMA_DESC_FREE;
}

bool dma_unpin_check(const struct dma_desc *d, const char *who)
{
	if (!dma_desc_owned(d))
		return true;
	__atomic_fetch_add(&early_unpins, 1, __ATOMIC_RELAXED);
	kprintf("dma: BUG: %s unpins the pages of descriptor #%lu while %s still owns it; "
		"they stay pinned\n", who ? who : "?", d->id,
		d->engine ? d->engine->name : "an engine");
	return false;
}

uint64_t dma_early_unpins(void)
{
	return __atomic_load_n(&early_unpins, __ATOMIC_RELAXED);
}

int dma_cancel(struct dma_engine *e, struct dma_desc *d)
{
	if (!e || !d)
		return -ENOENT;
	if (!e->ops->cancel)
		return -EOPNOTSUPP;
	return e->ops->cancel(e, d);
}

void dma_engine_status(struct dma_engine *e, struct dma_engine_status *st)
{
	memset(st, 0, sizeof(*st));
	st->vector = -1;
	e->ops->status(e, st);
}

/* ------------------------------------------------------ synchronous copy -- */

struct sync_wait {
	struct completion done;
	int status;
};

/* Pin (or unpin) every pmem page of [pa, pa + len); RAM has no pins. */
static void pin_pmem(uint64_t pa, uint64_t len, bool pin)
{
	for (uint64_t p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + len; p += PAGE_SIZE) {
		struct pmem_page *pg = pmem_phys_to_page(p);

		if (pg && pin)
			pmem_pin_page(pg);
		else if (pg)
			pmem_unpin_page(pg);	/* the last unpin wakes a layout wait */
	}
}

/* done(): the unpin rule's moment for the pages of a synchronous copy. */
static void sync_done(struct dma_desc *d, int status)
{
	struct sync_wait *w = d->cookie;

	if (dma_unpin_check(d, "dma_copy_sync")) {
		pin_pmem(d->src, d->len, false);
		pin_pmem(d->dst, d->len, false);
	}
	w->status = status;
	complete(&w->done);
}

int dma_copy_sync(struct dma_engine *e, uint64_t dst, uint64_t src, uint64_t len,
		  uint64_t timeout_ns)
{
	struct sync_wait w;
	struct dma_desc d = {
		.src = src, .dst = dst, .len = len, .done = sync_done, .cookie = &w,
	};
	int err;

	completion_init(&w.done);
	if (!e)
		return -ENODEV;
	err = check_request(&d);
	if (err)
		return err;		/* nothing to pin: it would not be accepted */
	pin_pmem(src, len, true);
	pin_pmem(dst, len, true);
	err = dma_submit(e, &d);
	if (err) {
		sync_done(&d, err);	/* never accepted: unpin now */
		return err;
	}
	if (!timeout_ns) {
		wait_for_completion(&w.done);
		return w.status;
	}
	if (wait_for_completion_timeout(&w.done, timeout_ns) == 0)
		return w.status;
	/* d lives on this stack: the engine must let go of it before we return. */
	dma_cancel(e, &d);
	wait_for_completion(&w.done);
	return w.status ? (w.status == -ECANCELED ? -ETIMEDOUT : w.status) : 0;
}

/* ------------------------------------------------------- in-flight walk -- */

struct walk {
	void (*fn)(const struct dma_desc *d, void *ctx);
	void *ctx;
	unsigned n;
};

static void walk_one(const struct dma_desc *d, void *ctx)
{
	struct walk *w = ctx;

	w->n++;
	w->fn(d, w->ctx);
}

unsigned dma_for_each_inflight(void (*fn)(const struct dma_desc *d, void *ctx), void *ctx)
{
	struct walk w = { .fn = fn, .ctx = ctx };

	for (unsigned i = 0; i < dma_engine_count(); i++)
		engines[i]->ops->for_each(engines[i], walk_one, &w);
	return w.n;
}
