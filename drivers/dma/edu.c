/*
 * edu.c - QEMU's "edu" educational PCI device (1234:11e8) as a DMA engine.
 *
 * edu has one DMA unit and a 4 KiB internal buffer.  One device step moves
 * up to EDU_WINDOW bytes (4 KiB less one: see edu_internal.h) between RAM
 * and that buffer; a copy of N bytes from A to B is therefore a chain of
 * windows, each two steps:
 *
 *	A + off --(step TO_DEV: RAM -> buffer)--> buffer
 *	buffer  --(step TO_RAM: buffer -> RAM)--> B + off,   off += window
 *
 * each ending in a DMA interrupt (MSI), so a window costs two interrupts
 * and, in QEMU, 2 x 100 ms of virtual time.  This file keeps one channel
 * per device: a FIFO of struct dma_desc, the descriptor on the device
 * (active), which step it is in, and a watchdog ktimer per step.
 *
 * Completions come from the MSI handler, or from a polling ktimer when MSI
 * cannot be set up.  A step that does not complete within the watchdog
 * period (EDU_WATCHDOG_NS) ends its descriptor with -ETIMEDOUT; if the
 * device still says it is busy, the channel waits ("stuck") until it is
 * idle before it starts the next descriptor, because edu ignores register
 * writes while it runs.  done() is always called with the lock dropped and
 * the channel marked "completing", so the next descriptor starts only
 * after it returns: callbacks come in submission order.
 *
 * The IOMMU: each step's RAM window is mapped for the device
 * (iommu_dma_map(), read for RAM -> buffer, write for buffer -> RAM) just
 * before the step is programmed and unmapped as soon as the step ends,
 * before the next one, before done() and before a timed-out step's
 * descriptor is given back: the device never reaches a page outside the
 * step it is doing.  With remapping on the I/O addresses lie below 256
 * MiB, so edu's default 28-bit mask works; with it off they are the
 * physical addresses (the mask is then taken as "all").
 *
 * Probe refuses a device that cannot reach memory above 4 GiB (where pmem
 * lives) when remapping is off: QEMU's edu ANDs every DMA address with its
 * dma_mask property, 28 bits by default.  The self-test only lets the device read memory
 * above 4 GiB; the one device write lands in a scratch page of this file,
 * below 256 MiB, which no mask can move (see edu_selftest()).
 *
 * Locking: edu.lock (spinlock, irqsave: the MSI handler and the ktimers
 * take it) guards the channel fields grouped under it, and the state,
 * start_ns, bytes_done and cancel fields of every descriptor it owns.
 * Register programming happens under it.  done() runs without it.
 * Lock order: edu.lock -> timer_lock (ktimer_arm); ktimer_cancel is never
 * called, stale timer firings are recognised by their deadline.
 *
 * Reference: QEMU 7.2 hw/misc/edu.c and docs/specs/edu.rst ("edu").
 */
#include <drivers/dma.h>
#include <drivers/iommu.h>
#include <drivers/pci.h>
#include <arch/x86_64/irq.h>
#include <arch/x86_64/cpu.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>
#include "edu_internal.h"

/* ------------------------------------------------ registers [edu] ---- */

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_BAR			0		/* 1 MiB of MMIO registers */

/* 32-bit registers below 0x80 take 4-byte accesses only; the DMA
 * registers from 0x80 take 4 or 8 bytes, and a 4-byte write clears the
 * upper half, so addresses are written with 8-byte accesses [edu.c
 * edu_mmio_write]. */
#define EDU_REG_ID		0x00	/* RO: 0xRRrr00ed */
#define EDU_ID_MAGIC_MASK	0xFFu
#define EDU_ID_MAGIC		0xEDu
#define EDU_REG_IRQ_STATUS	0x24	/* RO: raised interrupt bits */
#define EDU_REG_IRQ_RAISE	0x60	/* WO: OR bits into the status, interrupt */
#define EDU_REG_IRQ_ACK		0x64	/* WO: clear bits from the status */
#define EDU_REG_DMA_SRC		0x80	/* RW, 64 bits: source address */
#define EDU_REG_DMA_DST		0x88	/* RW, 64 bits: destination address */
#define EDU_REG_DMA_CNT		0x90	/* RW, 64 bits: byte count */
#define EDU_REG_DMA_CMD		0x98	/* RW: command; writes need START */

#define EDU_CMD_START		(1u << 0)	/* start; reads 1 while running */
#define EDU_CMD_TO_RAM		(1u << 1)	/* direction: buffer -> RAM */
#define EDU_CMD_IRQ		(1u << 2)	/* raise EDU_IRQ_DMA when done */

#define EDU_IRQ_FACT		0x001u	/* factorial computed (unused here) */
#define EDU_IRQ_DMA		0x100u	/* a DMA step finished */

/* The buffer, as the DMA engine addresses it (it is not mapped in BAR0:
 * reads there return all-ones).  Every step uses it from its start, for at
 * most EDU_WINDOW bytes; QEMU 7.2 stops the VM when a step leaves it. */
#define EDU_BUF_ADDR		0x40000ull

/* QEMU's default dma_mask (edu_instance_init): 28 bits. */
#define EDU_DEFAULT_MASK_LIMIT	(1ull << 28)

#define EDU_MAX_DEVICES		2
#define EDU_POLL_NS		2000000ull	/* polling period without MSI */
#define NS_PER_MS		1000000ul

/* ----------------------------------------------------------- state ---- */

enum edu_step { STEP_NONE, STEP_TO_DEV, STEP_TO_RAM };

struct edu {
	/* set at probe, then read-only */
	struct pci_dev *pci;
	void *regs;
	struct dma_engine engine;
	int msi_vector;			/* allocated vector, -1: none */
	uint64_t dma_mask;		/* highest I/O address it generates */

	unsigned drop_irqs;		/* atomic; test hook: ignore this many */

	spinlock_t lock;		/* irqsave; guards the fields below */
	int vector;			/* MSI in use, -1: completions are polled */
	struct list_node queue;		/* dma_desc.node, FIFO */
	unsigned queued;
	struct dma_desc *active;	/* on the device, or NULL */
	enum edu_step step;		/* STEP_NONE when nothing runs */
	uint64_t win_len;		/* bytes in the current window */
	uint64_t map_iova, map_len;	/* the step's IOMMU mapping; len 0: none */
	bool completing;		/* a done() is running: do not start */
	bool stuck;			/* device busy after a timeout */
	bool dead;			/* refused: take no work */
	int pending_err;		/* step could not start: the watchdog
					 * ends the descriptor with this */
	uint64_t wd_deadline;		/* the watchdog's; UINT64_MAX: none */
	uint64_t wd_period;		/* per-step watchdog, ns */
	struct dma_stats stats;
	struct ktimer watchdog;
	struct ktimer poll;
};

static struct edu edus[EDU_MAX_DEVICES];
static unsigned nedus;			/* probe only (pci_init_lock) */

/* ------------------------------------------------------ registers ---- */

static uint32_t rd32(struct edu *e, unsigned off)
{
	return *(volatile uint32_t *)((uint8_t *)e->regs + off);
}

static void wr32(struct edu *e, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)((uint8_t *)e->regs + off) = v;
}

static uint64_t rd64(struct edu *e, unsigned off)
{
	return *(volatile uint64_t *)((uint8_t *)e->regs + off);
}

static void wr64(struct edu *e, unsigned off, uint64_t v)
{
	*(volatile uint64_t *)((uint8_t *)e->regs + off) = v;
}

static bool device_busy(struct edu *e)
{
	return rd64(e, EDU_REG_DMA_CMD) & EDU_CMD_START;
}

/* ------------------------------------------------------- the channel ---- */

static void arm_watchdog(struct edu *e, uint64_t delay_ns)
{
	e->wd_deadline = time_ns() + delay_ns;
	ktimer_arm(&e->watchdog, e->wd_deadline);
	if (e->vector < 0)
		ktimer_arm(&e->poll, time_ns() + EDU_POLL_NS);
}

/* End the device's access to the step's RAM window (IOTLB invalidated
 * when this returns).  Caller holds e->lock. */
static void unmap_step(struct edu *e)
{
	assert_held(&e->lock);
	if (e->map_len)
		iommu_dma_unmap(e->pci, e->map_iova, e->map_len);
	e->map_len = 0;
}

/*
 * Program one step of the active descriptor and start it: map its RAM
 * window for the device, write the registers.  Caller holds e->lock.
 * Returns 0, or -EIO when the window cannot be mapped, the device is busy
 * or did not take the addresses (edu ignores DMA register writes while it
 * runs); nothing stays mapped then.
 */
static int start_step(struct edu *e, enum edu_step step)
{
	struct dma_desc *d = e->active;
	uint64_t off = d->bytes_done, src, dst, ram, io;
	uint32_t cmd = EDU_CMD_START | EDU_CMD_IRQ;
	int err;

	assert_held(&e->lock);
	unmap_step(e);
	if (step == STEP_TO_DEV)
		e->win_len = MIN(d->len - off, (uint64_t)EDU_WINDOW);
	ram = step == STEP_TO_DEV ? d->src + off : d->dst + off;
	if (step == STEP_TO_RAM)
		cmd |= EDU_CMD_TO_RAM;
	if (device_busy(e))
		return -EIO;
	err = iommu_dma_map(e->pci, ram, e->win_len,
			    step == STEP_TO_DEV ? IOMMU_READ : IOMMU_WRITE, e->dma_mask, &io);
	if (err) {
		kprintf("dma: %s: cannot map %#lx+%lu for the device (error %d)\n",
			e->engine.name, ram, e->win_len, err);
		return -EIO;
	}
	e->map_iova = io;
	e->map_len = e->win_len;
	src = step == STEP_TO_DEV ? io : EDU_BUF_ADDR;
	dst = step == STEP_TO_DEV ? EDU_BUF_ADDR : io;
	wr64(e, EDU_REG_DMA_SRC, src);
	wr64(e, EDU_REG_DMA_DST, dst);
	wr64(e, EDU_REG_DMA_CNT, e->win_len);
	if (rd64(e, EDU_REG_DMA_SRC) != src || rd64(e, EDU_REG_DMA_DST) != dst ||
	    rd64(e, EDU_REG_DMA_CNT) != e->win_len) {
		unmap_step(e);
		return -EIO;
	}
	e->step = step;
	wr64(e, EDU_REG_DMA_CMD, cmd);
	arm_watchdog(e, e->wd_period);
	return 0;
}

static bool channel_free(const struct edu *e)
{
	return !e->active && !e->completing && !e->stuck && !e->dead;
}

static void count_status(struct edu *e, struct dma_desc *d, int status)
{
	if (status == 0) {
		e->stats.completed++;
		e->stats.bytes += d->len;
	} else if (status == -ETIMEDOUT) {
		e->stats.timeouts++;
	} else if (status == -ECANCELED) {
		e->stats.canceled++;
	} else {
		e->stats.errors++;
	}
}

/*
 * End the active descriptor with @status: call its done() with e->lock
 * dropped, then take the lock again.  Caller holds e->lock (flags @f);
 * returns the flags of the re-taken lock.
 */
static unsigned long finish(struct edu *e, int status, unsigned long f)
{
	struct dma_desc *d = e->active;

	assert_held(&e->lock);
	unmap_step(e);			/* before done(): the pages may be unpinned */
	e->active = NULL;
	e->step = STEP_NONE;
	e->pending_err = 0;
	e->wd_deadline = UINT64_MAX;
	d->state = DMA_DESC_FREE;
	count_status(e, d, status);
	e->completing = true;
	spin_unlock_irqrestore(&e->lock, f);
	d->done(d, status);		/* d is the caller's again */
	f = spin_lock_irqsave(&e->lock);
	e->completing = false;
	return f;
}

/*
 * Start the first queued descriptor if the channel is free; drop e->lock.
 * A descriptor whose first step cannot start is left to the watchdog,
 * which ends it at once with -EIO: done() never runs inside dma_submit().
 */
static void kick_and_unlock(struct edu *e, unsigned long f)
{
	if (channel_free(e) && !list_empty(&e->queue)) {
		struct dma_desc *d = list_first_entry(&e->queue, struct dma_desc, node);

		list_del(&d->node);
		e->queued--;
		e->active = d;
		d->state = DMA_DESC_ACTIVE;
		d->start_ns = time_ns();
		if (start_step(e, STEP_TO_DEV)) {
			e->pending_err = -EIO;
			arm_watchdog(e, 0);
		}
	}
	spin_unlock_irqrestore(&e->lock, f);
}

/*
 * The step in flight finished.  Returns 1 when the descriptor goes on (the
 * next step is started), else its final status.  Caller holds e->lock.
 */
static int advance(struct edu *e, struct dma_desc *d)
{
	assert_held(&e->lock);
	unmap_step(e);
	if (e->step == STEP_TO_DEV)
		return d->cancel ? -ECANCELED : (start_step(e, STEP_TO_RAM) ?: 1);
	d->bytes_done += e->win_len;
	if (d->bytes_done == d->len)
		return 0;
	if (d->cancel)
		return -ECANCELED;
	return start_step(e, STEP_TO_DEV) ?: 1;
}

/* A DMA-done indication arrived (interrupt or poll).  Any context. */
static void step_done(struct edu *e)
{
	unsigned long f = spin_lock_irqsave(&e->lock);
	int status;

	e->stats.irqs++;
	/* edu clears START before it raises the interrupt: one that finds
	 * the device busy is a late one for an earlier step. */
	if (!e->active || e->step == STEP_NONE || device_busy(e)) {
		e->stats.unexpected_irqs++;
		if (e->stuck && !device_busy(e))
			e->stuck = false;
		kick_and_unlock(e, f);
		return;
	}
	status = advance(e, e->active);
	if (status > 0) {
		spin_unlock_irqrestore(&e->lock, f);
		return;
	}
	if (status == -EIO)
		kprintf("dma: %s: descriptor #%lu: the device refused a step at byte %lu\n",
			e->engine.name, e->active->id, e->active->bytes_done);
	f = finish(e, status, f);
	kick_and_unlock(e, f);
}

/* Read and acknowledge the interrupt status; true if a DMA step ended. */
static bool take_dma_irq(struct edu *e)
{
	uint32_t st = rd32(e, EDU_REG_IRQ_STATUS);
	unsigned long f;

	if (st)
		wr32(e, EDU_REG_IRQ_ACK, st);
	if (st & EDU_IRQ_DMA) {
		if (!__atomic_load_n(&e->drop_irqs, __ATOMIC_RELAXED))
			return true;
		__atomic_sub_fetch(&e->drop_irqs, 1, __ATOMIC_RELAXED);
		return false;
	}
	f = spin_lock_irqsave(&e->lock);
	e->stats.unexpected_irqs++;
	spin_unlock_irqrestore(&e->lock, f);
	return false;
}

static void edu_irq(struct trap_frame *tf, void *ctx)
{
	struct edu *e = ctx;

	(void)tf;
	if (take_dma_irq(e))
		step_done(e);
}

/* Polling mode (no MSI): look at the status register every EDU_POLL_NS
 * while something runs.  ktimer context. */
static void edu_poll(void *arg)
{
	struct edu *e = arg;
	unsigned long f;
	bool again;

	if (rd32(e, EDU_REG_IRQ_STATUS) & EDU_IRQ_DMA && take_dma_irq(e))
		step_done(e);
	f = spin_lock_irqsave(&e->lock);
	again = e->active || e->stuck;
	if (again)
		ktimer_arm(&e->poll, time_ns() + EDU_POLL_NS);
	spin_unlock_irqrestore(&e->lock, f);
}

/* The step watchdog.  ktimer context. */
static void edu_watchdog(void *arg)
{
	struct edu *e = arg;
	unsigned long f = spin_lock_irqsave(&e->lock);
	int status = e->pending_err ? e->pending_err : -ETIMEDOUT;

	if (time_ns() < e->wd_deadline) {	/* stale: re-armed since */
		spin_unlock_irqrestore(&e->lock, f);
		return;
	}
	if (!e->active) {			/* stuck, waiting for idle */
		e->wd_deadline = UINT64_MAX;
		e->stuck = e->stuck && device_busy(e);
		if (e->stuck)
			arm_watchdog(e, e->wd_period);
		kick_and_unlock(e, f);
		return;
	}
	if (status == -ETIMEDOUT) {
		kprintf("dma: %s: descriptor #%lu: no completion %lu ms into a step; "
			"resetting the channel\n", e->engine.name, e->active->id,
			e->wd_period / NS_PER_MS);
		e->stats.resets++;
		e->stuck = device_busy(e);
	}
	f = finish(e, status, f);
	if (e->stuck)		/* look again later; no new step until idle */
		arm_watchdog(e, e->wd_period);
	kick_and_unlock(e, f);
}

/* -------------------------------------------------- engine operations ---- */

static int edu_queue(struct edu *e, struct dma_desc *d)
{
	unsigned long f = spin_lock_irqsave(&e->lock);

	if (e->dead) {
		spin_unlock_irqrestore(&e->lock, f);
		return -ENODEV;
	}
	d->state = DMA_DESC_QUEUED;
	d->start_ns = 0;
	d->bytes_done = 0;
	d->cancel = false;
	list_add_tail(&e->queue, &d->node);
	e->queued++;
	e->stats.submitted++;
	kick_and_unlock(e, f);
	return 0;
}

static int edu_submit(struct dma_engine *eng, struct dma_desc *d)
{
	return edu_queue(eng->priv, d);
}

static bool on_queue(struct edu *e, const struct dma_desc *d)
{
	const struct dma_desc *q;

	list_for_each_entry(q, &e->queue, node) {
		if (q == d)
			return true;
	}
	return false;
}

static int edu_cancel(struct dma_engine *eng, struct dma_desc *d)
{
	struct edu *e = eng->priv;
	unsigned long f = spin_lock_irqsave(&e->lock);

	if (d == e->active) {
		d->cancel = true;
		spin_unlock_irqrestore(&e->lock, f);
		return -EINPROGRESS;
	}
	if (!on_queue(e, d)) {
		spin_unlock_irqrestore(&e->lock, f);
		return -ENOENT;
	}
	list_del(&d->node);
	e->queued--;
	d->state = DMA_DESC_FREE;
	e->stats.canceled++;
	spin_unlock_irqrestore(&e->lock, f);
	d->done(d, -ECANCELED);
	return 0;
}

static void edu_status(struct dma_engine *eng, struct dma_engine_status *st)
{
	struct edu *e = eng->priv;
	unsigned long f = spin_lock_irqsave(&e->lock);

	st->stats = e->stats;
	st->queued = e->queued;
	st->mode = e->vector >= 0 ? "msi" : "polling";
	st->vector = e->vector;
	if (e->active) {
		st->active = true;
		st->active_id = e->active->id;
		st->active_len = e->active->len;
		st->active_done = e->active->bytes_done;
		st->active_submit_ns = e->active->submit_ns;
		st->active_start_ns = e->active->start_ns;
	}
	spin_unlock_irqrestore(&e->lock, f);
}

static void edu_for_each(struct dma_engine *eng,
			 void (*fn)(const struct dma_desc *d, void *ctx), void *ctx)
{
	struct edu *e = eng->priv;
	unsigned long f = spin_lock_irqsave(&e->lock);
	const struct dma_desc *d;

	if (e->active)
		fn(e->active, ctx);
	list_for_each_entry(d, &e->queue, node)
		fn(d, ctx);
	spin_unlock_irqrestore(&e->lock, f);
}

static const struct dma_engine_ops edu_ops = {
	.submit = edu_submit,
	.cancel = edu_cancel,
	.status = edu_status,
	.for_each = edu_for_each,
};

/* ------------------------------------------------------- self-test ---- */

/*
 * Two scratch pages in the kernel image, which the loader puts a few MiB
 * above 0: far below 256 MiB, so below any dma_mask a device could have.
 * Used by one self-test at a time (selftest_lock).
 */
static uint8_t st_pattern[PAGE_SIZE] __aligned(PAGE_SIZE);	/* the pattern, low */
static uint8_t st_sink[PAGE_SIZE] __aligned(PAGE_SIZE);		/* the device writes here */
static struct mutex selftest_lock = {
	.name = "edu-selftest",
	.wq = WAIT_QUEUE_INIT(selftest_lock.wq, "edu-selftest"),
};

#define SELFTEST_BIT		32	/* prove the device honours bit 32 */
#define SELFTEST_WAIT_NS	(3 * EDU_WATCHDOG_NS)

static void fill_pattern(uint8_t *p, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i < PAGE_SIZE; i += sizeof(x)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, sizeof(x));
	}
}

/* Is [pa, pa+len) inside a PCI BAR (where a read may have side effects)? */
static bool in_some_bar(uint64_t pa, uint64_t len)
{
	struct pci_dev *d;

	pci_for_each_dev(d) {
		for (unsigned i = 0; i < d->nbars; i++) {
			const struct pci_bar *b = &d->bars[i];

			if (b->size && !b->is_io && pa < b->base + b->size && b->base < pa + len)
				return true;
		}
	}
	return false;
}

struct st_wait {
	struct completion done;
	int status;
};

static void selftest_done(struct dma_desc *d, int status)
{
	struct st_wait *w = d->cookie;

	w->status = status;
	complete(&w->done);
}

/* One RAM->buffer->RAM copy through the channel, bypassing dma_submit()'s
 * checks (the source need not be RAM or pmem). */
static int selftest_copy(struct edu *e, uint64_t dst, uint64_t src)
{
	struct st_wait w;
	struct dma_desc d = {
		.src = src, .dst = dst, .len = EDU_WINDOW,
		.done = selftest_done, .cookie = &w, .engine = &e->engine,
	};
	int err;

	completion_init(&w.done);
	d.submit_ns = time_ns();
	err = edu_queue(e, &d);
	if (err)
		return err;
	if (wait_for_completion_timeout(&w.done, SELFTEST_WAIT_NS) == 0)
		return w.status;
	edu_cancel(&e->engine, &d);
	wait_for_completion(&w.done);	/* the watchdog guarantees it */
	return -ETIMEDOUT;
}

/*
 * Does the device reach memory above 4 GiB?
 *
 * A pattern goes into the low page L (st_pattern).  The device reads the
 * page at H = L + 4 GiB into its buffer and writes the buffer to the low
 * page S (st_sink).  A device whose mask drops bit 32 (QEMU's default
 * mask keeps 28 bits) reads L instead of H, so S then holds the pattern;
 * a device that honours the bit reads whatever is at H (pmem, RAM or
 * nothing), and where the CPU can see H too, S must equal it.
 *
 * Why this cannot corrupt memory: the only step towards RAM writes S,
 * which lies below 256 MiB, so a mask of 28 bits or more leaves its
 * address alone; the step that uses the high address only reads, and H
 * is checked not to be a device's registers.
 *
 * Thread context.  Returns 0 (passed, or could not run: warned), -ENODEV
 * (cannot reach above 4 GiB), -ETIMEDOUT/-EIO (the DMA itself failed).
 */
static int edu_selftest(struct edu *e)
{
	uint64_t low = virt_to_phys(st_pattern), sink = virt_to_phys(st_sink);
	uint64_t high = low + (1ull << SELFTEST_BIT);
	int err;

	if (sink + PAGE_SIZE > EDU_DEFAULT_MASK_LIMIT || low >> SELFTEST_BIT ||
	    in_some_bar(high, PAGE_SIZE)) {
		kprintf("dma: %s (%s): WARNING: the above-4-GiB self-test could not run "
			"(scratch pages at %#lx, %#lx); accepting the device untested\n",
			e->engine.name, e->pci->name, low, sink);
		return 0;
	}
	mutex_lock(&selftest_lock);
	fill_pattern(st_pattern, rdtsc() ^ low);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		st_sink[i] = (uint8_t)~st_pattern[i];
	err = selftest_copy(e, sink, high);
	if (!err && !memcmp(st_sink, st_pattern, EDU_WINDOW))
		err = -ENODEV;
	if (!err && phys_range_mapped(high, EDU_WINDOW) &&
	    memcmp(st_sink, phys_to_virt(high), EDU_WINDOW)) {
		kprintf("dma: %s (%s): self-test read wrong data at %#lx\n",
			e->engine.name, e->pci->name, high);
		err = -EIO;
	}
	mutex_unlock(&selftest_lock);
	return err;
}

static void selftest_report(struct edu *e, int err)
{
	if (err == -ENODEV) {
		kprintf("dma: edu %s cannot reach memory above 4 GiB (QEMU's default dma_mask "
			"is 28 bits): start QEMU with -device edu,dma_mask=0xffffffffffffffff\n",
			e->pci->name);
		dma_note_refusal("edu %s was refused: it cannot reach memory above 4 GiB "
				 "(QEMU's default dma_mask is 28 bits); " DMA_HOW_TO_ADD,
				 e->pci->name);
	} else if (err) {
		kprintf("dma: edu %s: the self-test DMA failed (error %d); device refused\n",
			e->pci->name, err);
		dma_note_refusal("edu %s was refused: its self-test DMA failed (error %d)",
				 e->pci->name, err);
	}
}

/* ----------------------------------------------------------- probe ---- */

static void edu_setup_irq(struct edu *e)
{
	int vec = irq_alloc_vector(edu_irq, e, e->engine.name);
	int err = vec < 0 ? vec : pci_msi_enable(e->pci, (uint8_t)vec, lapic_id());

	e->vector = err ? -1 : vec;
	e->msi_vector = vec < 0 ? -1 : vec;
	if (err)
		kprintf("dma: %s (%s): no MSI (error %d); polling for completions\n",
			e->engine.name, e->pci->name, err);
}

static void edu_init_state(struct edu *e, struct pci_dev *pci, unsigned index)
{
	e->pci = pci;
	spin_lock_init(&e->lock, "edu");
	list_init(&e->queue);
	e->wd_period = EDU_WATCHDOG_NS;
	e->wd_deadline = UINT64_MAX;
	ktimer_init(&e->watchdog, edu_watchdog, e);
	ktimer_init(&e->poll, edu_poll, e);
	snprintf(e->engine.name, sizeof(e->engine.name), "edu%u", index);
	e->engine.device = pci->name;
	e->engine.ops = &edu_ops;
	e->engine.max_seg = EDU_WINDOW;
	e->engine.priv = e;
}

/* Turn a refused device off for good: no interrupts, no bus mastering. */
static void edu_disable(struct edu *e)
{
	unsigned long f = spin_lock_irqsave(&e->lock);

	e->dead = true;
	spin_unlock_irqrestore(&e->lock, f);
	if (e->vector >= 0)
		pci_msi_disable(e->pci);
	pci_set_command(e->pci, 0, PCI_CMD_MASTER);
}

static int edu_probe(struct pci_dev *pci)
{
	struct edu *e;
	int err;

	if (nedus == EDU_MAX_DEVICES) {
		kprintf("dma: edu %s: only %u edu devices are supported\n", pci->name,
			EDU_MAX_DEVICES);
		return -ENOSPC;
	}
	e = &edus[nedus];
	edu_init_state(e, pci, nedus);
	e->regs = pci_bar_map(pci, EDU_BAR);
	if (!e->regs)
		return -ENXIO;
	pci_enable_memory(pci);
	if ((rd32(e, EDU_REG_ID) & EDU_ID_MAGIC_MASK) != EDU_ID_MAGIC) {
		kprintf("dma: %s: ID register %#x is not edu's\n", pci->name, rd32(e, EDU_REG_ID));
		return -ENODEV;
	}
	/* with remapping the I/O addresses are below 256 MiB whatever
	 * dma_mask QEMU was given; without it they are physical */
	e->dma_mask = iommu_enabled() ? EDU_DEFAULT_MASK_LIMIT - 1 : UINT64_MAX;
	nedus++;		/* its vector and timers point at it from now on */
	pci_enable_bus_master(pci);
	edu_setup_irq(e);
	err = edu_selftest(e);
	if (!err)
		err = dma_engine_register(&e->engine);
	if (err) {
		selftest_report(e, err);
		edu_disable(e);
		return err;
	}
	pci->driver_data = e;
	kprintf("dma: %s: edu %s, %s, %s\n", e->engine.name, pci->name,
		e->vector >= 0 ? "MSI" : "polled", iommu_enabled() ?
		"through the IOMMU (I/O addresses below 256 MiB)" :
		"reaches memory above 4 GiB");
	return 0;
}

static const struct pci_id edu_ids[] = {
	PCI_ID(EDU_VENDOR, EDU_DEVICE),
	{ 0 },
};

static const struct pci_driver edu_driver = {
	.name = "edu-dma",
	.ids = edu_ids,
	.probe = edu_probe,
};
PCI_DRIVER(edu_driver);

/* ------------------------------------------------------- test hooks ---- */

int edu_test_is_edu(const struct dma_engine *e)
{
	return e && e->ops == &edu_ops;
}

void edu_test_drop_irqs(struct dma_engine *eng, unsigned n)
{
	struct edu *e = eng->priv;

	__atomic_store_n(&e->drop_irqs, n, __ATOMIC_RELAXED);
}

uint64_t edu_test_set_watchdog(struct dma_engine *eng, uint64_t ns)
{
	struct edu *e = eng->priv;
	unsigned long f = spin_lock_irqsave(&e->lock);
	uint64_t old = e->wd_period;

	e->wd_period = ns ? ns : EDU_WATCHDOG_NS;
	spin_unlock_irqrestore(&e->lock, f);
	return old;
}

int edu_test_force_polling(struct dma_engine *eng, bool on)
{
	struct edu *e = eng->priv;
	unsigned long f;
	bool idle = false;
	int vec = -1;

	/* A waiter woken by done() may get here while that done() is still
	 * running (e->completing) on another CPU: give it a moment. */
	for (unsigned ms = 0; !idle && ms <= EDU_TEST_IDLE_WAIT_MS; ms++) {
		if (ms)
			thread_sleep_ns(1000000);
		f = spin_lock_irqsave(&e->lock);
		idle = !e->active && !e->completing && list_empty(&e->queue);
		vec = e->vector;
		if (idle && on && vec >= 0) {
			e->msi_vector = vec;
			e->vector = -1;
		}
		spin_unlock_irqrestore(&e->lock, f);
	}
	if (!idle)
		return -EBUSY;
	if (on && vec >= 0)
		pci_msi_disable(e->pci);
	if (!on && vec < 0 && e->msi_vector >= 0 &&
	    !pci_msi_enable(e->pci, (uint8_t)e->msi_vector, lapic_id())) {
		f = spin_lock_irqsave(&e->lock);
		e->vector = e->msi_vector;
		spin_unlock_irqrestore(&e->lock, f);
	}
	return 0;
}

int edu_test_selftest(struct dma_engine *eng)
{
	return edu_selftest(eng->priv);
}

int edu_test_raw_to_ram(struct dma_engine *eng, uint64_t iova, uint64_t len)
{
	struct edu *e = eng->priv;
	unsigned long f = spin_lock_irqsave(&e->lock);
	uint64_t end;

	if (!channel_free(e) || !list_empty(&e->queue) || device_busy(e) || len == 0 ||
	    len > EDU_WINDOW) {
		spin_unlock_irqrestore(&e->lock, f);
		return -EBUSY;
	}
	e->stuck = true;		/* no descriptor starts until it is idle */
	wr64(e, EDU_REG_DMA_SRC, EDU_BUF_ADDR);
	wr64(e, EDU_REG_DMA_DST, iova);
	wr64(e, EDU_REG_DMA_CNT, len);
	wr64(e, EDU_REG_DMA_CMD, EDU_CMD_START | EDU_CMD_TO_RAM | EDU_CMD_IRQ);
	spin_unlock_irqrestore(&e->lock, f);
	end = time_ns() + EDU_WATCHDOG_NS;
	while (device_busy(e) && time_ns() < end)
		msleep(1);
	f = spin_lock_irqsave(&e->lock);
	e->stuck = device_busy(e);
	spin_unlock_irqrestore(&e->lock, f);
	return e->stuck ? -ETIMEDOUT : 0;
}
