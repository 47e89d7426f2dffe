/*
 * test_dma.c - the DMA API and the edu engine in QEMU (booted with
 * -device edu,dma_mask=0xffffffffffffffff): data integrity of copies
 * between RAM and pmem at odd lengths and offsets, queue ordering, two
 * interrupts per window, the watchdog, cancellation, bad requests, the
 * in-flight walk and the probe self-test.
 *
 * Every edu window costs about 200 ms of virtual time, so the copies are
 * small: the whole suite moves about 25 windows (~5 s).  Descriptors that
 * the engine may still own when a check fails live in static storage, so
 * a failed case cannot leave the engine a dangling stack pointer.
 * Pmem is written at DMA_SCRATCH_OFF of region 0 (test_pmem uses 1 MiB).
 */
#include <tests/ktest_kernel.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <arch/x86_64/irq.h>
#include <drivers/dma.h>
#include <drivers/pci.h>
#include <drivers/pmem.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "../../drivers/dma/edu_internal.h"	/* the edu driver's insides, on purpose */
#include "fake_dma.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define MS			1000000ull
#define WAIT_NS			(20000 * MS)	/* far beyond any watchdog */
#define DMA_SCRATCH_OFF		(2ull << 20)	/* 2 MiB into pmem region 0 */
#define GUARD			0xA5		/* bytes a copy must not touch */
#define BATCH_MAX		8

/* ------------------------------------------------------------ helpers -- */

/* The edu engine; NULL (and the case skipped) on a machine without edu. */
static struct dma_engine *edu(struct ktest *t)
{
	struct dma_engine *e = dma_get_engine(0);

	pci_init();
	if (!pci_find_dev(EDU_VENDOR, EDU_DEVICE, 0)) {
		ktest_skip(t, "no edu device on this machine");
		return NULL;
	}
	if (!e || !edu_test_is_edu(e)) {
		ktest_fail_msg(t, "edu is present but no edu DMA engine is registered");
		return NULL;
	}
	return e;
}

static struct pmem_region *scratch_region(struct ktest *t, uint64_t len)
{
	struct pmem_region *r = pmem_region(0);

	if (!r || r->size < DMA_SCRATCH_OFF + len) {
		ktest_skip(t, "no pmem region large enough");
		return NULL;
	}
	return r;
}

/* Physically contiguous RAM, freed with buf_free(). */
struct buf {
	uint64_t pa;
	uint8_t *va;
	size_t pages;
};

static bool buf_alloc(struct buf *b, size_t pages)
{
	b->pages = pages;
	b->pa = pmm_alloc_pages(pages);
	b->va = b->pa ? phys_to_virt(b->pa) : NULL;
	return b->pa != 0;
}

static void buf_free(struct buf *b)
{
	if (b->pa)
		pmm_free_pages(b->pa, b->pages);
	b->pa = 0;
}

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* Are all @len bytes at @p equal to @v? */
static bool all_are(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != v)
			return false;
	}
	return true;
}

static struct dma_stats stats_of(struct dma_engine *e)
{
	struct dma_engine_status st;

	dma_engine_status(e, &st);
	return st.stats;
}

static uint64_t windows(struct dma_engine *e, uint64_t len)
{
	return DIV_ROUND_UP(len, e->max_seg);
}

/* ------------------------------------------------ a batch of descriptors -- */

static struct {
	struct dma_desc d[BATCH_MAX];
	int status[BATCH_MAX];
	unsigned order[BATCH_MAX];	/* indices, in callback order */
	unsigned ndone;			/* atomic */
	struct wait_queue wq;
} batch = { .wq = WAIT_QUEUE_INIT(batch.wq, "dma-test") };

static void batch_done(struct dma_desc *d, int status)
{
	unsigned i = (unsigned)(d - batch.d);
	unsigned n = __atomic_fetch_add(&batch.ndone, 1, __ATOMIC_ACQ_REL);

	batch.status[i] = status;
	if (n < BATCH_MAX)
		batch.order[n] = i;
	wake_up_all(&batch.wq);
}

static void batch_reset(void)
{
	memset(batch.d, 0, sizeof(batch.d));
	for (unsigned i = 0; i < BATCH_MAX; i++)
		batch.status[i] = 1;		/* not called yet */
	__atomic_store_n(&batch.ndone, 0, __ATOMIC_RELEASE);
}

static void batch_set(unsigned i, uint64_t src, uint64_t dst, uint64_t len)
{
	batch.d[i].src = src;
	batch.d[i].dst = dst;
	batch.d[i].len = len;
	batch.d[i].done = batch_done;
}

/* Wait until @n callbacks came; 0 or -ETIMEDOUT. */
static int batch_wait(unsigned n)
{
	return wait_event_timeout(&batch.wq, __atomic_load_n(&batch.ndone, __ATOMIC_ACQUIRE) >= n,
				  WAIT_NS);
}

/* ------------------------------------------------------------- cases -- */

KTEST(dma, edu_engine_registered)
{
	struct dma_engine *e = edu(t);
	struct pci_dev *d = pci_find_dev(EDU_VENDOR, EDU_DEVICE, 0);

	if (!e)
		return;
	EXPECT_GE(t, dma_engine_count(), 1);
	EXPECT_STREQ(t, e->name, "edu0");
	EXPECT_STREQ(t, e->device, d->name);
	EXPECT_EQ(t, e->max_seg, EDU_WINDOW);
	EXPECT_EQ(t, e->index, 0);
	EXPECT_NULL(t, dma_get_engine(dma_engine_count()));
	EXPECT_EQ(t, d->driver_data != NULL, 1);
}

KTEST(dma, selftest_passes_with_full_mask)
{
	struct dma_engine *e = edu(t);

	if (!e)
		return;
	EXPECT_OK(t, edu_test_selftest(e));
}

KTEST(dma, bad_requests_rejected)
{
	struct dma_engine *e = edu(t);
	struct pci_dev *pd = pci_find_dev(EDU_VENDOR, EDU_DEVICE, 0);
	struct dma_desc d = { .done = batch_done };
	struct dma_stats before;
	struct buf b;

	if (!e)
		return;
	ASSERT_TRUE(t, buf_alloc(&b, 2));
	before = stats_of(e);
#define TRY(s, dd, l, err) do {						\
		d.src = (s); d.dst = (dd); d.len = (l);			\
		EXPECT_ERR(t, dma_submit(e, &d), err);			\
	} while (0)
	TRY(b.pa, b.pa + PAGE_SIZE, 0, -EINVAL);			/* empty */
	TRY(~0ull - PAGE_SIZE + 1, b.pa, 2 * PAGE_SIZE, -EINVAL);	/* wraps */
	TRY(b.pa, ~0ull - 15, 32, -EINVAL);				/* wraps */
	TRY(b.pa, pd->bars[0].base, 64, -EINVAL);			/* MMIO */
	TRY(1ull << 45, b.pa, 64, -EINVAL);				/* nothing */
	TRY(b.pa, b.pa + 1, 16, -EINVAL);				/* overlap */
	TRY(b.pa + 8, b.pa, 16, -EINVAL);				/* overlap */
#undef TRY
	d.src = b.pa;
	d.dst = b.pa + PAGE_SIZE;
	d.len = 16;
	d.done = NULL;
	EXPECT_ERR(t, dma_submit(e, &d), -EINVAL);			/* no callback */
	d.done = batch_done;
	EXPECT_ERR(t, dma_submit(NULL, &d), -ENODEV);
	EXPECT_ERR(t, dma_copy_sync(NULL, b.pa, b.pa + PAGE_SIZE, 16, 0), -ENODEV);
	EXPECT_ERR(t, dma_copy_sync(e, b.pa, b.pa + PAGE_SIZE, 0, 0), -EINVAL);
	EXPECT_ERR(t, dma_cancel(e, &d), -ENOENT);			/* never queued */
	EXPECT_EQ(t, stats_of(e).submitted, before.submitted);
	buf_free(&b);
}

KTEST(dma, phys_ok_bounds)
{
	struct pmem_region *r = pmem_region(0);
	struct buf b;

	ASSERT_TRUE(t, buf_alloc(&b, 1));
	EXPECT_TRUE(t, dma_phys_ok(b.pa, PAGE_SIZE));
	EXPECT_FALSE(t, dma_phys_ok(b.pa, 0));
	EXPECT_FALSE(t, dma_phys_ok(~0ull, 2));
	if (r) {
		EXPECT_TRUE(t, dma_phys_ok(r->phys, r->size));
		EXPECT_TRUE(t, dma_phys_ok(r->phys + r->size - 1, 1));
		EXPECT_FALSE(t, dma_phys_ok(r->phys + r->size - 1, 2));
		EXPECT_FALSE(t, dma_phys_ok(r->phys - 1, 2));
	}
	buf_free(&b);
}

/* Lengths around the window, at offsets that are not aligned to anything. */
static const struct { uint64_t src_off, dst_off, len; } odd[] = {
	{ 5, 4093, 1 },
	{ 1, 0, EDU_WINDOW },
	{ 3, 4095, EDU_WINDOW + 2 },		/* 4097 bytes: two windows */
};

KTEST(dma, ram_to_ram_odd_lengths_and_offsets)
{
	struct dma_engine *e = edu(t);
	struct buf src[ARRAY_SIZE(odd)] = { 0 }, dst[ARRAY_SIZE(odd)] = { 0 };

	if (!e)
		return;
	batch_reset();
	for (unsigned i = 0; i < ARRAY_SIZE(odd); i++) {
		if (!buf_alloc(&src[i], 3) || !buf_alloc(&dst[i], 3)) {
			ktest_fail_msg(t, "out of memory");
			goto out_free;
		}
		fill(src[i].va, 3 * PAGE_SIZE, 100 + i);
		memset(dst[i].va, GUARD, 3 * PAGE_SIZE);
		batch_set(i, src[i].pa + odd[i].src_off, dst[i].pa + odd[i].dst_off, odd[i].len);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(odd); i++)
		EXPECT_OK(t, dma_submit(e, &batch.d[i]));
	ASSERT_OK(t, batch_wait(ARRAY_SIZE(odd)));
	for (unsigned i = 0; i < ARRAY_SIZE(odd); i++) {
		uint64_t so = odd[i].src_off, dof = odd[i].dst_off, len = odd[i].len;

		EXPECT_EQ(t, batch.status[i], 0);
		EXPECT_MEMEQ(t, dst[i].va + dof, src[i].va + so, len);
		EXPECT_TRUE(t, all_are(dst[i].va, dof, GUARD));
		EXPECT_TRUE(t, all_are(dst[i].va + dof + len, 3 * PAGE_SIZE - dof - len, GUARD));
	}
out_free:
	for (unsigned i = 0; i < ARRAY_SIZE(odd); i++) {
		buf_free(&src[i]);
		buf_free(&dst[i]);
	}
}

/* RAM -> pmem with the pmem pages pinned by the submitter and unpinned in
 * its callback (the unpin rule of dma.h), then pmem -> RAM with
 * dma_copy_sync, which pins and unpins by itself. */
struct pinned_copy {
	uint64_t pa, len;
	int status;
	struct completion done;
};

static void pin_pages_of(uint64_t pa, uint64_t len, bool pin)
{
	for (uint64_t p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + len; p += PAGE_SIZE) {
		if (pin)
			pmem_pin_page(pmem_phys_to_page(p));
		else
			pmem_unpin_page(pmem_phys_to_page(p));
	}
}

static void unpin_done(struct dma_desc *d, int status)
{
	struct pinned_copy *pc = d->cookie;

	pin_pages_of(pc->pa, pc->len, false);
	pc->status = status;
	complete(&pc->done);
}

static struct pinned_copy pc;
static struct dma_desc pc_desc;

KTEST(dma, ram_to_pmem_and_back)
{
	const uint64_t len = EDU_WINDOW + 2, src_off = 11, pm_off = 7;
	struct dma_engine *e = edu(t);
	struct pmem_region *r = scratch_region(t, 2 * PAGE_SIZE);
	struct buf src, back;
	uint64_t pm;

	if (!e || !r)
		return;
	ASSERT_TRUE(t, buf_alloc(&src, 2));
	if (!buf_alloc(&back, 2)) {
		buf_free(&src);
		ASSERT_TRUE(t, false);
	}
	pm = r->phys + DMA_SCRATCH_OFF + pm_off;
	fill(src.va, 2 * PAGE_SIZE, 7);
	memset(phys_to_virt(pm - pm_off), GUARD, 2 * PAGE_SIZE);
	memset(back.va, GUARD, 2 * PAGE_SIZE);

	pc = (struct pinned_copy){ .pa = pm, .len = len };
	completion_init(&pc.done);
	pc_desc = (struct dma_desc){ .src = src.pa + src_off, .dst = pm, .len = len,
				     .done = unpin_done, .cookie = &pc };
	pin_pages_of(pm, len, true);
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(pm)), 1);
	ASSERT_OK(t, dma_submit(e, &pc_desc));
	ASSERT_OK(t, wait_for_completion_timeout(&pc.done, WAIT_NS));
	EXPECT_EQ(t, pc.status, 0);
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(pm)), 0);
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(pm + len - 1)), 0);
	EXPECT_MEMEQ(t, phys_to_virt(pm), src.va + src_off, len);
	EXPECT_EQ(t, *(uint8_t *)phys_to_virt(pm - 1), GUARD);
	EXPECT_EQ(t, *(uint8_t *)phys_to_virt(pm + len), GUARD);

	EXPECT_OK(t, dma_copy_sync(e, back.pa + 1, pm, len, WAIT_NS));
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(pm)), 0);
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(pm + len - 1)), 0);
	EXPECT_MEMEQ(t, back.va + 1, src.va + src_off, len);
	EXPECT_EQ(t, back.va[0], GUARD);
	EXPECT_EQ(t, back.va[len + 1], GUARD);
	buf_free(&src);
	buf_free(&back);
}

/* The walk right after submitting a batch sees every descriptor. */
struct seen {
	unsigned n;
	uint64_t ids[BATCH_MAX];
	bool names_ok, times_ok;
	uint64_t now;
};

static void see(const struct dma_desc *d, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < BATCH_MAX)
		s->ids[s->n] = d->id;
	s->n++;
	s->names_ok = s->names_ok && !strcmp(d->engine->name, "edu0");
	s->times_ok = s->times_ok && d->submit_ns && d->submit_ns <= s->now;
}

KTEST(dma, many_transfers_complete_in_submission_order)
{
	struct dma_engine *e = edu(t);
	struct seen s = { .names_ok = true, .times_ok = true };
	struct buf src, dst;
	uint64_t len[BATCH_MAX], slot = 2 * PAGE_SIZE / BATCH_MAX;

	if (!e)
		return;
	ASSERT_TRUE(t, buf_alloc(&src, 2));
	if (!buf_alloc(&dst, 2)) {
		buf_free(&src);
		ASSERT_TRUE(t, false);
	}
	fill(src.va, 2 * PAGE_SIZE, 42);
	memset(dst.va, GUARD, 2 * PAGE_SIZE);
	batch_reset();
	for (unsigned i = 0; i < BATCH_MAX; i++) {
		len[i] = 1 + (i * 97) % (slot - 8);	/* 1 .. slot-8 bytes */
		batch_set(i, src.pa + 2 * PAGE_SIZE - (i + 1) * slot + i,
			  dst.pa + i * slot + (i & 3), len[i]);
	}
	for (unsigned i = 0; i < BATCH_MAX; i++)
		EXPECT_OK(t, dma_submit(e, &batch.d[i]));
	s.now = time_ns();
	EXPECT_EQ(t, dma_for_each_inflight(see, &s), BATCH_MAX);
	EXPECT_TRUE(t, s.names_ok);
	EXPECT_TRUE(t, s.times_ok);
	for (unsigned i = 0; i < BATCH_MAX && i < s.n; i++)
		EXPECT_EQ(t, s.ids[i], batch.d[i].id);
	ASSERT_OK(t, batch_wait(BATCH_MAX));
	for (unsigned i = 0; i < BATCH_MAX; i++) {
		EXPECT_EQ(t, batch.order[i], i);
		EXPECT_EQ(t, batch.status[i], 0);
		if (i)
			EXPECT_GT(t, batch.d[i].id, batch.d[i - 1].id);
		EXPECT_MEMEQ(t, dst.va + i * slot + (i & 3),
			     src.va + 2 * PAGE_SIZE - (i + 1) * slot + i, len[i]);
	}
	s.n = 0;
	EXPECT_EQ(t, dma_for_each_inflight(see, &s), 0);
	buf_free(&src);
	buf_free(&dst);
}

KTEST(dma, two_interrupts_per_window)
{
	struct dma_engine *e = edu(t);
	struct dma_engine_status st;
	struct dma_stats before;
	uint64_t vec_before = 0, irqs;
	struct buf b;

	if (!e)
		return;
	irqs = 2 * windows(e, PAGE_SIZE);
	ASSERT_TRUE(t, buf_alloc(&b, 2));
	fill(b.va, PAGE_SIZE, 3);
	dma_engine_status(e, &st);
	before = st.stats;
	if (st.vector >= 0)
		vec_before = irq_count(st.vector);
	EXPECT_EQ(t, windows(e, PAGE_SIZE), 2);		/* 4095 + 1 bytes */
	EXPECT_OK(t, dma_copy_sync(e, b.pa + PAGE_SIZE, b.pa, PAGE_SIZE, WAIT_NS));
	EXPECT_MEMEQ(t, b.va + PAGE_SIZE, b.va, PAGE_SIZE);
	dma_engine_status(e, &st);
	EXPECT_EQ(t, st.stats.irqs - before.irqs, irqs);
	EXPECT_EQ(t, st.stats.unexpected_irqs, before.unexpected_irqs);
	EXPECT_EQ(t, st.stats.completed - before.completed, 1);
	EXPECT_EQ(t, st.stats.bytes - before.bytes, PAGE_SIZE);
	EXPECT_STREQ(t, st.mode, "msi");
	EXPECT_GE(t, st.vector, VEC_DEVICE_FIRST);
	if (st.vector >= 0)
		EXPECT_EQ(t, irq_count(st.vector) - vec_before, irqs);
	buf_free(&b);
}

KTEST(dma, watchdog_reports_timeout_and_channel_recovers)
{
	struct dma_engine *e = edu(t);
	struct dma_stats before;
	uint64_t old, t0, took;
	struct buf b;
	int err;

	if (!e)
		return;
	ASSERT_TRUE(t, buf_alloc(&b, 1));
	fill(b.va, 64, 9);
	memset(b.va + 64, GUARD, 64);
	before = stats_of(e);
	old = edu_test_set_watchdog(e, 300 * MS);
	edu_test_drop_irqs(e, 1);
	t0 = time_ns();
	err = dma_copy_sync(e, b.pa + 64, b.pa, 1, WAIT_NS);
	took = time_ns() - t0;
	edu_test_drop_irqs(e, 0);
	edu_test_set_watchdog(e, old);
	EXPECT_ERR(t, err, -ETIMEDOUT);
	EXPECT_GE(t, took, 300 * MS);
	EXPECT_LT(t, took, 5000 * MS);
	EXPECT_EQ(t, stats_of(e).timeouts - before.timeouts, 1);
	EXPECT_EQ(t, stats_of(e).resets - before.resets, 1);
	/* the next transfer goes through */
	EXPECT_OK(t, dma_copy_sync(e, b.pa + 64, b.pa, 32, WAIT_NS));
	EXPECT_MEMEQ(t, b.va + 64, b.va, 32);
	EXPECT_EQ(t, b.va[96], GUARD);
	buf_free(&b);
}

KTEST(dma, cancel_queued_and_active)
{
	struct dma_engine *e = edu(t);
	struct buf b;

	if (!e)
		return;
	ASSERT_TRUE(t, buf_alloc(&b, 1));
	fill(b.va, 16, 5);
	memset(b.va + 1024, GUARD, 3 * 16);
	batch_reset();
	for (unsigned i = 0; i < 3; i++)
		batch_set(i, b.pa, b.pa + 1024 + 16 * i, 16);
	for (unsigned i = 0; i < 3; i++)
		ASSERT_OK(t, dma_submit(e, &batch.d[i]));
	/* 1 is queued: taken off at once, its callback already ran */
	EXPECT_OK(t, dma_cancel(e, &batch.d[1]));
	EXPECT_EQ(t, batch.status[1], -ECANCELED);
	/* 0 is reading into the device: stopped before it writes anything */
	EXPECT_ERR(t, dma_cancel(e, &batch.d[0]), -EINPROGRESS);
	ASSERT_OK(t, batch_wait(3));
	EXPECT_EQ(t, batch.status[0], -ECANCELED);
	EXPECT_EQ(t, batch.status[2], 0);
	EXPECT_EQ(t, batch.order[0], 1);
	EXPECT_EQ(t, batch.order[1], 0);
	EXPECT_EQ(t, batch.order[2], 2);
	EXPECT_TRUE(t, all_are(b.va + 1024, 32, GUARD));
	EXPECT_MEMEQ(t, b.va + 1024 + 32, b.va, 16);
	EXPECT_ERR(t, dma_cancel(e, &batch.d[2]), -ENOENT);	/* finished */
	buf_free(&b);
}

KTEST(dma, copy_sync_timeout_lets_go_of_the_descriptor)
{
	struct dma_engine *e = edu(t);
	struct dma_stats before;
	struct buf b;

	if (!e)
		return;
	ASSERT_TRUE(t, buf_alloc(&b, 8));
	memset(b.va + 4 * PAGE_SIZE, GUARD, 4 * PAGE_SIZE);
	before = stats_of(e);
	/* four windows take eight 100 ms steps: 20 ms is not enough, even on
	 * a loaded host that runs the waiting thread late */
	EXPECT_ERR(t, dma_copy_sync(e, b.pa + 4 * PAGE_SIZE, b.pa, 4 * PAGE_SIZE, 20 * MS),
		   -ETIMEDOUT);
	EXPECT_EQ(t, stats_of(e).canceled - before.canceled, 1);
	EXPECT_EQ(t, dma_for_each_inflight(see, &(struct seen){ 0 }), 0);
	EXPECT_TRUE(t, all_are(b.va + 4 * PAGE_SIZE, 4 * PAGE_SIZE, GUARD));
	buf_free(&b);
}

KTEST(dma, polling_fallback_completes)
{
	struct dma_engine *e = edu(t);
	struct dma_engine_status st;
	struct buf b;
	int err;

	if (!e)
		return;
	ASSERT_TRUE(t, buf_alloc(&b, 1));
	fill(b.va, 100, 11);
	memset(b.va + 200, GUARD, 200);
	ASSERT_OK(t, edu_test_force_polling(e, true));
	dma_engine_status(e, &st);
	EXPECT_STREQ(t, st.mode, "polling");
	err = dma_copy_sync(e, b.pa + 201, b.pa, 100, WAIT_NS);
	EXPECT_OK(t, edu_test_force_polling(e, false));
	EXPECT_OK(t, err);
	EXPECT_MEMEQ(t, b.va + 201, b.va, 100);
	EXPECT_EQ(t, b.va[200], GUARD);
	EXPECT_EQ(t, b.va[301], GUARD);
	dma_engine_status(e, &st);
	EXPECT_STREQ(t, st.mode, "msi");
	buf_free(&b);
}

KTEST(dma, resubmitting_a_descriptor_in_flight_is_refused)
{
	struct dma_engine *e = edu(t);
	struct buf b;

	if (!e)
		return;
	ASSERT_TRUE(t, buf_alloc(&b, 1));
	batch_reset();
	batch_set(0, b.pa, b.pa + 2048, 8);
	ASSERT_OK(t, dma_submit(e, &batch.d[0]));
	EXPECT_ERR(t, dma_submit(e, &batch.d[0]), -EINVAL);
	ASSERT_OK(t, batch_wait(1));
	EXPECT_EQ(t, batch.status[0], 0);
	EXPECT_EQ(t, batch.d[0].state, DMA_DESC_FREE);
	EXPECT_MEMEQ(t, b.va + 2048, b.va, 8);
	buf_free(&b);
}

/* ------------------------------------------------- the unpin rule ---- */

struct sync_copy {
	struct dma_engine *e;
	uint64_t dst, src, len;
	int result;
	int done;			/* atomic */
};

static void sync_copy_thread(void *arg)
{
	struct sync_copy *c = arg;

	c->result = dma_copy_sync(c->e, c->dst, c->src, c->len, 0);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
}

static struct fake_engine sync_fake;

/*
 * dma_copy_sync() keeps the unpin rule by itself: the pmem pages of both
 * ranges are pinned from before the submit until the descriptor's done(),
 * which the (fake, slow) engine calls only when the test says; RAM has no
 * pins.  No violation is counted.
 */
KTEST(dma, copy_sync_pins_pmem_until_done)
{
	static struct sync_copy c;
	struct pmem_region *r = scratch_region(t, 3 * PAGE_SIZE);
	uint64_t early = dma_early_unpins(), end = time_ns() + WAIT_NS;
	struct thread *th;
	struct buf b;

	if (!r)
		return;
	ASSERT_TRUE(t, buf_alloc(&b, 1));
	fake_engine_init(&sync_fake);
	uint64_t pm = r->phys + DMA_SCRATCH_OFF;
	c = (struct sync_copy){ .e = &sync_fake.engine, .dst = pm + PAGE_SIZE + 100,
				.src = b.pa, .len = PAGE_SIZE };	/* two pmem pages */
	th = thread_create("sync-copy", sync_copy_thread, &c);
	if (!th) {
		buf_free(&b);
		ASSERT_NOT_NULL(t, th);
	}
	while (fake_engine_held(&sync_fake) == 0 && time_ns() < end)
		msleep(2);
	EXPECT_EQ(t, fake_engine_held(&sync_fake), 1);
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(pm + PAGE_SIZE)), 1);
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(pm + 2 * PAGE_SIZE)), 1);
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(pm)), 0);
	EXPECT_EQ(t, __atomic_load_n(&c.done, __ATOMIC_ACQUIRE), 0);
	fake_engine_complete(&sync_fake, 0, false);
	thread_join(th);
	EXPECT_OK(t, c.result);
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(pm + PAGE_SIZE)), 0);
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(pm + 2 * PAGE_SIZE)), 0);
	EXPECT_EQ(t, dma_early_unpins(), early);

	/* An engine that takes no work: nothing stays pinned. */
	sync_fake.full = true;
	EXPECT_ERR(t, dma_copy_sync(&sync_fake.engine, pm + 100, b.pa, 64, 0), -ENODEV);
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(pm)), 0);
	buf_free(&b);
}
