/*
 * fake_dma.c - the test DMA engine of fake_dma.h: a queue the test drains
 * by hand, no device, no data moved.
 */
#include "fake_dma.h"
#include <lib/errno.h>
#include <lib/string.h>

static struct fake_engine *fake_of(struct dma_engine *e)
{
	return e->priv;
}

static int fake_submit(struct dma_engine *e, struct dma_desc *d)
{
	struct fake_engine *f = fake_of(e);
	unsigned long fl = spin_lock_irqsave(&f->lock);
	int err = 0;

	if (f->full || f->nheld == FAKE_DMA_MAX) {
		err = -ENODEV;
	} else {
		d->state = DMA_DESC_QUEUED;
		d->start_ns = 0;
		d->bytes_done = 0;
		f->held[f->nheld++] = d;
	}
	spin_unlock_irqrestore(&f->lock, fl);
	return err;
}

static void fake_status(struct dma_engine *e, struct dma_engine_status *st)
{
	struct fake_engine *f = fake_of(e);
	unsigned long fl = spin_lock_irqsave(&f->lock);

	st->queued = f->nheld;
	st->mode = "fake";
	spin_unlock_irqrestore(&f->lock, fl);
}

static void fake_for_each(struct dma_engine *e,
			  void (*fn)(const struct dma_desc *d, void *ctx), void *ctx)
{
	struct fake_engine *f = fake_of(e);
	unsigned long fl = spin_lock_irqsave(&f->lock);

	for (unsigned i = 0; i < f->nheld; i++)
		fn(f->held[i], ctx);
	spin_unlock_irqrestore(&f->lock, fl);
}

static const struct dma_engine_ops fake_ops = {
	.submit = fake_submit,
	.status = fake_status,
	.for_each = fake_for_each,
};

void fake_engine_init(struct fake_engine *f)
{
	memset(f, 0, sizeof(*f));
	spin_lock_init(&f->lock, "fake-dma");
	strlcpy(f->engine.name, "fake0", sizeof(f->engine.name));
	f->engine.device = "none";
	f->engine.ops = &fake_ops;
	f->engine.max_seg = 1ull << 20;
	f->engine.priv = f;
}

unsigned fake_engine_held(struct fake_engine *f)
{
	unsigned long fl = spin_lock_irqsave(&f->lock);
	unsigned n = f->nheld;

	spin_unlock_irqrestore(&f->lock, fl);
	return n;
}

bool fake_engine_complete(struct fake_engine *f, int status, bool buggy)
{
	unsigned long fl = spin_lock_irqsave(&f->lock);
	struct dma_desc *d = NULL;

	if (f->nheld) {
		d = f->held[0];
		memmove(&f->held[0], &f->held[1], --f->nheld * sizeof(f->held[0]));
		if (!buggy)
			d->state = DMA_DESC_FREE;
	}
	spin_unlock_irqrestore(&f->lock, fl);
	if (d)
		d->done(d, status);
	return d != NULL;
}
