/*
 * fake_dma.h - a DMA engine for tests that keeps what it is given: every
 * descriptor submitted to it stays engine-owned (queued) until the test
 * ends it with fake_engine_complete(), as a slow device would.  It moves
 * no data.  It is never registered (dma_get_engine() does not see it); a
 * test passes &fake->engine to dma_submit() or dma_copy_sync().
 *
 * Used by tests/kernel/test_dax_core.c and test_dma.c to try the unpin
 * rule's orders (include/drivers/dma.h) without a device.
 *
 * Locking: fake->lock (irqsave) guards the queue; done() runs without it.
 */
#ifndef TESTS_KERNEL_FAKE_DMA_H
#define TESTS_KERNEL_FAKE_DMA_H

#include <stdbool.h>
#include <drivers/dma.h>
#include <kernel/sync.h>

#define FAKE_DMA_MAX	8

struct fake_engine {
	struct dma_engine engine;
	spinlock_t lock;
	struct dma_desc *held[FAKE_DMA_MAX];	/* lock: submission order */
	unsigned nheld;				/* lock */
	bool full;				/* refuse submissions (-ENODEV) */
};

/* Set up @f (a static: the engine may hold pointers into it). */
void fake_engine_init(struct fake_engine *f);

/* How many descriptors it owns now.  Any context. */
unsigned fake_engine_held(struct fake_engine *f);

/*
 * End the oldest descriptor it owns with @status, the way a driver must:
 * mark it free (DMA_DESC_FREE) under the lock, then call done() without
 * it.  With @buggy, call done() while still marking it owned, as a
 * driver that reports completion before it has let go would (the test
 * then sets d->state back itself).  Thread context.  Returns false when it
 * owns none.
 */
bool fake_engine_complete(struct fake_engine *f, int status, bool buggy);

#endif
