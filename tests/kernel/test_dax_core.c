/*
 * test_dax_core.c - the DAX layer alone (fs/dax.c), against a fake file
 * that implements struct dax_file_ops, with no filesystem mounted or named.
 *
 * The fake file's blocks are a few pages of pmem region 0 (FAKE_POOL_OFF),
 * handed out by its map op; its layout lock is an rwsem of its own, and
 * every op records a call made without the lock the ops table says the
 * caller holds.  The cases check the pin/wait protocol: a pin makes
 * dax_break_layout() wait until the unpin; DAX_WAIT_NONE gives -EBUSY, a
 * timeout -ETIMEDOUT, an interrupt -EINTR (not with DAX_WAIT_NOINTR); the
 * unsafe switch skips the wait; pins outside the range do not block.  And
 * the unpin rule (include/drivers/dma.h): with the fake engine of
 * fake_dma.h, an unpin while the engine still owns the descriptor is
 * refused and counted, the one in done() goes through.
 *
 * Only the mapping case writes pmem, one byte, through a fresh block it
 * restores afterwards; the others only pin.  Nothing is timed: a wait is
 * seen through dax_stats.layout_waits.
 */
#include <tests/ktest_kernel.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <kernel/mm.h>
#include <fs/dax.h>
#include <drivers/dma.h>
#include <drivers/pmem.h>
#include <arch/x86_64/paging.h>
#include <lib/string.h>
#include <lib/errno.h>
#include "fake_dma.h"

#define MS		1000000ULL
#define BLK		PAGE_SIZE
#define FAKE_PAGES	8			/* the largest fake file, in pages */
#define FAKE_POOL	(2 * FAKE_PAGES)	/* pmem pages its map op hands out */
#define FAKE_POOL_OFF	(6ull << 20)		/* 6 MiB into pmem region 0 */
#define FAKE_INO	4242

/* ------------------------------------------------------------ the fake -- */

struct fake_file {
	struct rwsem layout;
	uint64_t size;				/* layout */
	uint64_t phys[FAKE_PAGES];		/* layout: block of page i, 0: hole */
	unsigned next_block;			/* layout: pool pages handed out */
	int refs;				/* atomic */
	unsigned allocs;			/* layout: holes filled by map */
	unsigned lock_violations;		/* atomic: an op without its lock */
};

static uint64_t pool_phys(unsigned i)
{
	return pmem_region(0)->phys + FAKE_POOL_OFF + (uint64_t)i * BLK;
}

static void need_lock(struct fake_file *f, bool exclusive)
{
	bool ok = exclusive ? rwsem_is_write_locked_by_me(&f->layout) : rwsem_is_locked(&f->layout);

	if (!ok)
		__atomic_fetch_add(&f->lock_violations, 1, __ATOMIC_RELAXED);
}

/* One page per extent, or the run of holes up to the next block. */
static int fake_map(void *file, uint64_t off, bool alloc, struct dax_extent *ext)
{
	struct fake_file *f = file;
	uint64_t i = off / BLK;

	need_lock(f, alloc);
	if (i >= FAKE_PAGES) {
		*ext = (struct dax_extent){ .hole = true, .len = 0 };
		return alloc ? -EFBIG : 0;
	}
	if (!f->phys[i] && alloc) {
		if (f->next_block == FAKE_POOL)
			return -ENOSPC;
		f->phys[i] = pool_phys(f->next_block++);
		f->allocs++;
	}
	if (f->phys[i]) {
		*ext = (struct dax_extent){ .phys = f->phys[i] + off % BLK, .len = BLK - off % BLK };
		return 0;
	}
	uint64_t end = i;
	while (end < FAKE_PAGES && !f->phys[end])
		end++;
	*ext = (struct dax_extent){ .hole = true, .len = end * BLK - off };
	return 0;
}

static int fake_size(void *file, uint64_t *size)
{
	struct fake_file *f = file;

	need_lock(f, false);
	*size = f->size;
	return 0;
}

static struct rwsem *fake_layout_lock(void *file)
{
	return &((struct fake_file *)file)->layout;
}

static void fake_grab(void *file)
{
	__atomic_fetch_add(&((struct fake_file *)file)->refs, 1, __ATOMIC_RELAXED);
}

static void fake_put(void *file)
{
	__atomic_fetch_sub(&((struct fake_file *)file)->refs, 1, __ATOMIC_RELAXED);
}

static uint64_t fake_ino(void *file)
{
	(void)file;
	return FAKE_INO;
}

static const struct dax_file_ops fake_ops = {
	.map = fake_map,
	.size = fake_size,
	.layout_lock = fake_layout_lock,
	.grab = fake_grab,
	.put = fake_put,
	.ino = fake_ino,
};

/* A file of @pages pages whose first @blocks pages have blocks; the rest
 * are holes.  NULL (and the case skipped) without pmem. */
static struct dax_file fake_file(struct ktest *t, struct fake_file *f, unsigned pages,
				 unsigned blocks)
{
	struct pmem_region *r = pmem_region(0);

	memset(f, 0, sizeof(*f));
	if (!r || r->size < FAKE_POOL_OFF + FAKE_POOL * BLK) {
		ktest_skip(t, "no pmem region large enough");
		return (struct dax_file){ NULL, NULL };
	}
	rwsem_init(&f->layout, "fake-layout");
	f->size = (uint64_t)pages * BLK;
	f->refs = 1;
	for (unsigned i = 0; i < blocks; i++)
		f->phys[i] = pool_phys(f->next_block++);
	return (struct dax_file){ &fake_ops, f };
}

static unsigned pins_of(uint64_t phys)
{
	return pmem_page_pins(pmem_phys_to_page(phys));
}

static struct dax_stats stats(void)
{
	struct dax_stats st;

	dax_get_stats(&st);
	return st;
}

/* dax_break_layout() as a filesystem calls it: layout lock held for write.
 * Checks that the lock is held again when it returns. */
static int break_locked(struct dax_file file, uint64_t off, uint64_t len,
			const struct dax_wait *w, bool *relocked)
{
	struct fake_file *f = file.priv;
	int err;

	down_write(&f->layout);
	err = dax_break_layout(file, off, len, w);
	*relocked = rwsem_is_write_locked_by_me(&f->layout);
	up_write(&f->layout);
	return err;
}

static int try_break(struct dax_file file, uint64_t off, uint64_t len, unsigned flags,
		     uint64_t timeout_ns)
{
	struct dax_wait w = { flags, timeout_ns };
	bool relocked;
	int err = break_locked(file, off, len, &w, &relocked);

	return relocked ? err : -EDEADLK;
}

/* A layout change in a thread of its own. */
struct breaker {
	struct dax_file file;
	uint64_t off, len;
	struct dax_wait w;
	bool use_wait;
	int result;
	int done;			/* atomic */
};

static void breaker_thread(void *arg)
{
	struct breaker *b = arg;
	bool relocked;

	b->result = break_locked(b->file, b->off, b->len, b->use_wait ? &b->w : NULL, &relocked);
	if (!relocked)
		b->result = -EDEADLK;
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
}

/* Wait until a layout change has gone to sleep since @before, within a
 * generous bound (a failure bound, not a measurement). */
static bool layout_wait_started(uint64_t before)
{
	uint64_t end = time_ns() + 10000 * MS;

	while (stats().layout_waits == before && time_ns() < end)
		msleep(2);
	return stats().layout_waits != before;
}

/* ------------------------------------------------------------- mapping -- */

/*
 * A mapping reads the file's blocks and the zero page for a hole, a write
 * into a hole allocates through map(alloc) under the lock held exclusive,
 * nothing is mapped past the end of the file, and the mapping holds a
 * reference for its life.
 */
KTEST(dax_core, mapping_faults_and_allocates_through_the_ops)
{
	static uint8_t saved[BLK];
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 3, 1);	/* page 0 block, 1-2 holes */
	struct pmem_page *pg[1];
	volatile uint8_t *va;
	uint64_t pa;
	int err;

	if (!file.ops)
		return;
	uint8_t *blk0 = pmem_region(0)->virt + FAKE_POOL_OFF;
	uint8_t *blk1 = blk0 + BLK;		/* the next pool page: the write's block */
	memcpy(saved, blk1, BLK);
	ASSERT_OK(t, dax_mmap(file, 0, 4 * BLK, true, "test", (void **)&va));
	EXPECT_EQ(t, f.refs, 2);
	EXPECT_EQ(t, va[5], blk0[5]);
	ASSERT_TRUE(t, pt_lookup(&kernel_pgtable, (uint64_t)va, &pa, NULL, NULL));
	EXPECT_EQ(t, pa, f.phys[0]);
	EXPECT_EQ(t, va[BLK + 5], 0);			/* a hole reads zeros */
	ASSERT_TRUE(t, pt_lookup(&kernel_pgtable, (uint64_t)va + BLK, &pa, NULL, NULL));
	EXPECT_NULL(t, pmem_phys_to_page(pa));		/* the shared zero page */
	EXPECT_EQ(t, f.allocs, 0);

	va[BLK + 7] = 0x5a;				/* write fault into the hole */
	EXPECT_EQ(t, f.allocs, 1);
	EXPECT_EQ(t, f.phys[1], pool_phys(1));
	EXPECT_EQ(t, blk1[7], 0x5a);
	memcpy(blk1, saved, BLK);

	/* Past the end of the file (3 pages) nothing is mapped. */
	EXPECT_NULL(t, dax_pin_pages((uint64_t)va + 3 * BLK, 1, 0, pg, "test", &err));
	EXPECT_EQ(t, err, -EFAULT);
	EXPECT_OK(t, dax_munmap((void *)va));
	EXPECT_EQ(t, f.refs, 1);
	EXPECT_EQ(t, f.lock_violations, 0);
	EXPECT_ERR(t, dax_mmap((struct dax_file){ NULL, &f }, 0, BLK, false, "t", (void **)&va),
		   -EINVAL);
}

/* dax_pin_pages on a fake mapping: the pages are the fake's blocks, the
 * record names the file by its ino op. */
KTEST(dax_core, pin_pages_of_a_mapping)
{
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 2, 2);
	struct pmem_page *pg[2];
	struct dax_pin *pin;
	void *va;
	int err;

	if (!file.ops)
		return;
	ASSERT_OK(t, dax_mmap(file, 0, 2 * BLK, true, "test", &va));
	pin = dax_pin_pages((uint64_t)va, 2, DAX_PIN_WRITE, pg, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	EXPECT_EQ(t, pmem_page_to_phys(pg[0]), f.phys[0]);
	EXPECT_EQ(t, pmem_page_to_phys(pg[1]), f.phys[1]);
	EXPECT_EQ(t, pins_of(f.phys[1]), 1);
	EXPECT_EQ(t, dax_pin_ino(pin), FAKE_INO);
	dax_unpin(pin);
	EXPECT_EQ(t, pins_of(f.phys[1]), 0);
	EXPECT_OK(t, dax_munmap(va));
	EXPECT_EQ(t, f.refs, 1);
	EXPECT_EQ(t, f.lock_violations, 0);
}

/* ---------------------------------------------------------------- pins -- */

KTEST(dax_core, pin_file_holds_the_pages_and_a_reference)
{
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 4, 2);	/* pages 2, 3: holes */
	struct dax_pin *pin;
	int err;

	if (!file.ops)
		return;
	pin = dax_pin_file(file, 100, BLK, 0, "test", &err);	/* pages 0 and 1 */
	ASSERT_NOT_NULL(t, pin);
	EXPECT_EQ(t, pins_of(f.phys[0]), 1);
	EXPECT_EQ(t, pins_of(f.phys[1]), 1);
	EXPECT_EQ(t, f.refs, 2);
	EXPECT_EQ(t, dax_pin_phys(pin, 100), f.phys[0] + 100);
	EXPECT_EQ(t, dax_pin_phys(pin, BLK + 1), f.phys[1] + 1);
	EXPECT_EQ(t, dax_pin_phys(pin, 2 * BLK), 0);
	EXPECT_EQ(t, dax_pin_ino(pin), FAKE_INO);
	EXPECT_EQ(t, dax_pin_offset(pin), 0);
	EXPECT_EQ(t, dax_pin_npages(pin), 2);
	dax_unpin(pin);
	EXPECT_EQ(t, pins_of(f.phys[0]), 0);
	EXPECT_EQ(t, f.refs, 1);

	/* A hole read by a device: nothing pinned.  Written: allocated. */
	EXPECT_NULL(t, dax_pin_file(file, 2 * BLK, BLK, 0, "test", &err));
	EXPECT_EQ(t, err, -ENODATA);
	EXPECT_NULL(t, dax_pin_file(file, 3 * BLK, 2 * BLK, DAX_PIN_IN_SIZE, "test", &err));
	EXPECT_EQ(t, err, -ESTALE);
	EXPECT_NULL(t, dax_pin_file(file, 0, 0, 0, "test", &err));
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_EQ(t, pins_of(f.phys[0]), 0);		/* failures leave no pin */
	pin = dax_pin_file(file, 2 * BLK, BLK, DAX_PIN_WRITE, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	EXPECT_EQ(t, f.allocs, 1);
	EXPECT_EQ(t, pins_of(f.phys[2]), 1);
	dax_unpin(pin);
	EXPECT_EQ(t, f.refs, 1);
	EXPECT_EQ(t, f.lock_violations, 0);
}

/* --------------------------------------------------------- layout break -- */

KTEST(dax_core, break_waits_until_the_pin_is_dropped)
{
	static struct breaker b;
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 4, 4);
	struct dax_pin *pin;
	struct thread *th;
	int err;

	if (!file.ops)
		return;
	pin = dax_pin_file(file, BLK, BLK, DAX_PIN_WRITE, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	b = (struct breaker){ .file = file, .off = 0, .len = 4 * BLK };
	uint64_t waits = stats().layout_waits;
	th = thread_create("breaker", breaker_thread, &b);
	ASSERT_NOT_NULL(t, th);
	EXPECT_TRUE(t, layout_wait_started(waits));
	EXPECT_EQ(t, __atomic_load_n(&b.done, __ATOMIC_ACQUIRE), 0);	/* still waiting */
	dax_unpin(pin);					/* the last unpin wakes it */
	thread_join(th);
	EXPECT_EQ(t, b.done, 1);
	EXPECT_OK(t, b.result);
	EXPECT_EQ(t, f.lock_violations, 0);
}

KTEST(dax_core, no_wait_gives_ebusy_and_timeout_gives_etimedout)
{
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 4, 4);
	struct dax_pin *pin;
	int err;

	if (!file.ops)
		return;
	pin = dax_pin_file(file, 2 * BLK, BLK, 0, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	EXPECT_ERR(t, try_break(file, 0, 4 * BLK, DAX_WAIT_NONE, 0), -EBUSY);
	EXPECT_ERR(t, try_break(file, 0, 4 * BLK, DAX_WAIT_TIMEOUT, 20 * MS), -ETIMEDOUT);
	EXPECT_EQ(t, pins_of(f.phys[2]), 1);
	dax_unpin(pin);
	EXPECT_OK(t, try_break(file, 0, 4 * BLK, DAX_WAIT_NONE, 0));
	EXPECT_EQ(t, f.lock_violations, 0);
}

/*
 * An interrupt ends the wait with -EINTR: one already pending, and one
 * that comes while the break sleeps; DAX_WAIT_NOINTR ignores it.  An idle
 * range is broken even with an interrupt pending (pins come first).
 */
KTEST(dax_core, interrupt_gives_eintr_unless_nointr)
{
	static struct breaker b;
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 4, 4);
	struct dax_pin *pin;
	struct thread *th;
	int err;

	if (!file.ops)
		return;
	pin = dax_pin_file(file, 0, BLK, 0, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	uint64_t intr = stats().layout_interrupted;
	thread_interrupt(current_thread());
	EXPECT_ERR(t, try_break(file, 0, BLK, 0, 0), -EINTR);
	EXPECT_ERR(t, try_break(file, 0, BLK, DAX_WAIT_NOINTR | DAX_WAIT_TIMEOUT, 10 * MS),
		   -ETIMEDOUT);
	EXPECT_OK(t, try_break(file, BLK, 3 * BLK, 0, 0));	/* idle: broken */
	thread_interrupt_clear();
	EXPECT_EQ(t, stats().layout_interrupted, intr + 1);

	b = (struct breaker){ .file = file, .off = 0, .len = 4 * BLK };
	uint64_t waits = stats().layout_waits;
	th = thread_create("breaker", breaker_thread, &b);
	ASSERT_NOT_NULL(t, th);
	EXPECT_TRUE(t, layout_wait_started(waits));
	thread_interrupt(th);
	thread_join(th);
	EXPECT_ERR(t, b.result, -EINTR);
	EXPECT_EQ(t, stats().layout_interrupted, intr + 2);
	EXPECT_EQ(t, pins_of(f.phys[0]), 1);
	dax_unpin(pin);
	EXPECT_EQ(t, f.lock_violations, 0);
}

KTEST(dax_core, unsafe_switch_skips_the_wait)
{
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 2, 2);
	struct dax_pin *pin;
	int err;

	if (!file.ops)
		return;
	pin = dax_pin_file(file, 0, BLK, DAX_PIN_WRITE, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	dax_unsafe_no_wait = true;
	err = try_break(file, 0, 2 * BLK, DAX_WAIT_NONE, 0);
	dax_unsafe_no_wait = false;
	EXPECT_OK(t, err);
	EXPECT_ERR(t, try_break(file, 0, 2 * BLK, DAX_WAIT_NONE, 0), -EBUSY);
	dax_unpin(pin);
}

/* A break looks at its own range only: it unmaps only that range, and a
 * pin elsewhere in the file does not make it wait. */
KTEST(dax_core, pins_outside_the_range_do_not_block)
{
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 4, 4);
	struct dax_pin *pin;
	volatile uint8_t *va;
	uint64_t pa;
	int err;

	if (!file.ops)
		return;
	ASSERT_OK(t, dax_mmap(file, 0, 4 * BLK, false, "test", (void **)&va));
	(void)va[0];
	(void)va[2 * BLK];
	pin = dax_pin_file(file, 2 * BLK, BLK, 0, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	EXPECT_OK(t, try_break(file, 0, 2 * BLK, DAX_WAIT_NONE, 0));
	EXPECT_FALSE(t, pt_lookup(&kernel_pgtable, (uint64_t)va, &pa, NULL, NULL));
	EXPECT_TRUE(t, pt_lookup(&kernel_pgtable, (uint64_t)va + 2 * BLK, &pa, NULL, NULL));
	EXPECT_OK(t, try_break(file, 3 * BLK, BLK, DAX_WAIT_NONE, 0));
	EXPECT_ERR(t, try_break(file, BLK, 2 * BLK, DAX_WAIT_NONE, 0), -EBUSY);
	EXPECT_FALSE(t, pt_lookup(&kernel_pgtable, (uint64_t)va + 2 * BLK, &pa, NULL, NULL));
	dax_unpin(pin);
	EXPECT_OK(t, dax_munmap((void *)va));
	EXPECT_EQ(t, f.refs, 1);
}

/* --------------------------------------------------------- unpin rule -- */

struct unpin_ctx {
	struct dax_pin *pin;
	int result;
	unsigned calls;
};

/* done(): the unpin rule's moment. */
static void unpin_in_done(struct dma_desc *d, int status)
{
	struct unpin_ctx *u = d->cookie;

	(void)status;
	u->result = dax_unpin_dma(u->pin, 0, d->len, d);
	u->calls++;
}

static struct fake_engine fake;
static struct dma_desc rule_desc;

/*
 * The wrong order: unpinning a page while the engine still owns the
 * descriptor that writes it is refused (the page stays pinned, a layout
 * change still cannot free it) and counted; the same unpin from done(),
 * once the engine let go, goes through and lets the layout change on.
 */
KTEST(dax_core, unpin_while_the_engine_owns_the_descriptor_is_refused)
{
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 4, 4);
	struct unpin_ctx u = { 0 };
	uint64_t early;
	int err;

	if (!file.ops)
		return;
	fake_engine_init(&fake);
	u.pin = dax_pin_file(file, 0, BLK, DAX_PIN_WRITE, "test-dma", &err);
	ASSERT_NOT_NULL(t, u.pin);
	rule_desc = (struct dma_desc){ .src = f.phys[3], .dst = dax_pin_phys(u.pin, 0), .len = BLK,
				       .done = unpin_in_done, .cookie = &u };
	ASSERT_OK(t, dma_submit(&fake.engine, &rule_desc));
	EXPECT_TRUE(t, dma_desc_owned(&rule_desc));

	early = dma_early_unpins();
	ktest_log(t, "the \"dma: BUG\" line that follows is this case's doing");
	EXPECT_ERR(t, dax_unpin_dma(u.pin, 0, BLK, &rule_desc), -EBUSY);
	EXPECT_EQ(t, dma_early_unpins(), early + 1);
	EXPECT_EQ(t, pins_of(f.phys[0]), 1);
	EXPECT_ERR(t, try_break(file, 0, BLK, DAX_WAIT_NONE, 0), -EBUSY);

	uint64_t unpins = stats().dma_unpins;
	ASSERT_TRUE(t, fake_engine_complete(&fake, 0, false));
	EXPECT_EQ(t, u.calls, 1);
	EXPECT_OK(t, u.result);
	EXPECT_FALSE(t, dma_desc_owned(&rule_desc));
	EXPECT_EQ(t, dma_early_unpins(), early + 1);
	EXPECT_EQ(t, stats().dma_unpins, unpins + 1);
	EXPECT_EQ(t, pins_of(f.phys[0]), 0);
	/* The record is still there, its page is not: the break goes on. */
	EXPECT_OK(t, try_break(file, 0, BLK, DAX_WAIT_NONE, 0));
	pmem_pin_page(pmem_phys_to_page(f.phys[0]));	/* a witness pin */
	dax_unpin(u.pin);				/* must not unpin page 0 again */
	EXPECT_EQ(t, pins_of(f.phys[0]), 1);
	pmem_unpin_page(pmem_phys_to_page(f.phys[0]));
	EXPECT_EQ(t, f.refs, 1);
}

/* An engine driver that calls done() before it has let go of the
 * descriptor is caught the same way: nothing unpinned in done(). */
KTEST(dax_core, done_before_the_engine_lets_go_is_caught)
{
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 2, 2);
	struct unpin_ctx u = { 0 };
	uint64_t early;
	int err;

	if (!file.ops)
		return;
	fake_engine_init(&fake);
	u.pin = dax_pin_file(file, BLK, BLK, DAX_PIN_WRITE, "test-dma", &err);
	ASSERT_NOT_NULL(t, u.pin);
	rule_desc = (struct dma_desc){ .src = f.phys[0], .dst = dax_pin_phys(u.pin, 0), .len = BLK,
				       .done = unpin_in_done, .cookie = &u };
	ASSERT_OK(t, dma_submit(&fake.engine, &rule_desc));
	early = dma_early_unpins();
	ktest_log(t, "the \"dma: BUG\" line that follows is this case's doing");
	ASSERT_TRUE(t, fake_engine_complete(&fake, 0, true));	/* still owned */
	EXPECT_EQ(t, u.calls, 1);
	EXPECT_ERR(t, u.result, -EBUSY);
	EXPECT_EQ(t, dma_early_unpins(), early + 1);
	EXPECT_EQ(t, pins_of(f.phys[1]), 1);
	rule_desc.state = DMA_DESC_FREE;		/* what the driver forgot */
	dax_unpin(u.pin);
	EXPECT_EQ(t, pins_of(f.phys[1]), 0);
}

/* Each page's pin goes once, however often dax_unpin_dma() names it, and
 * a never-submitted descriptor (dma_submit() refused it) may unpin. */
KTEST(dax_core, unpin_dma_drops_each_page_once)
{
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 3, 3);
	struct dma_desc d = { 0 };
	struct dax_pin *pin;
	uint64_t unpins, early = dma_early_unpins();
	int err;

	if (!file.ops)
		return;
	pin = dax_pin_file(file, 0, 3 * BLK, 0, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	unpins = stats().dma_unpins;
	EXPECT_OK(t, dax_unpin_dma(pin, BLK - 1, 2, &d));		/* pages 0 and 1 */
	EXPECT_OK(t, dax_unpin_dma(pin, BLK, BLK, &d));		/* page 1 again */
	EXPECT_ERR(t, dax_unpin_dma(pin, 2 * BLK, 2 * BLK, &d), -EINVAL);	/* past it */
	EXPECT_ERR(t, dax_unpin_dma(pin, 0, 0, &d), -EINVAL);
	EXPECT_EQ(t, stats().dma_unpins, unpins + 2);
	EXPECT_EQ(t, pins_of(f.phys[0]), 0);
	EXPECT_EQ(t, pins_of(f.phys[1]), 0);
	EXPECT_EQ(t, pins_of(f.phys[2]), 1);
	for (unsigned i = 0; i < 3; i++)
		pmem_pin_page(pmem_phys_to_page(f.phys[i]));	/* witnesses */
	dax_unpin(pin);					/* only page 2 is its own */
	EXPECT_EQ(t, pins_of(f.phys[0]), 1);
	EXPECT_EQ(t, pins_of(f.phys[1]), 1);
	EXPECT_EQ(t, pins_of(f.phys[2]), 1);
	for (unsigned i = 0; i < 3; i++)
		pmem_unpin_page(pmem_phys_to_page(f.phys[i]));
	EXPECT_EQ(t, dma_early_unpins(), early);
}

/* dax_pin_held_pages() counts the pages a record still holds: what
 * `pins` and `ps` show, so that a record whose pages were all unpinned by
 * their done()s is not listed in the moment before its holder drops it. */
KTEST(dax_core, held_pages_count_what_the_record_still_holds)
{
	struct fake_file f;
	struct dax_file file = fake_file(t, &f, 3, 3);
	struct dma_desc d = { 0 };
	struct dax_pin *pin;
	int err;

	if (!file.ops)
		return;
	pin = dax_pin_file(file, 0, 3 * BLK, 0, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	EXPECT_EQ(t, dax_pin_held_pages(pin), 3u);
	EXPECT_OK(t, dax_unpin_dma(pin, 0, BLK, &d));
	EXPECT_EQ(t, dax_pin_held_pages(pin), 2u);
	EXPECT_TRUE(t, dax_pin_drop_page(pin, 2));
	EXPECT_EQ(t, dax_pin_held_pages(pin), 1u);
	EXPECT_OK(t, dax_unpin_dma(pin, BLK, BLK, &d));
	EXPECT_EQ(t, dax_pin_held_pages(pin), 0u);
	EXPECT_EQ(t, dax_pin_npages(pin), 3u);		/* the record is whole */
	for (unsigned i = 0; i < 3; i++)
		EXPECT_EQ(t, pins_of(f.phys[i]), 0);
	dax_unpin(pin);
}
