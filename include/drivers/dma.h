/*
 * dma.h - DMA engines: a registry of copy engines and the one request type
 * they all take, a struct dma_desc ("copy len bytes from physical address
 * src to physical address dst, then call done()").
 *
 * An engine driver (drivers/dma/edu.c for QEMU's edu device) fills in a
 * struct dma_engine with its operations and calls dma_engine_register()
 * from its probe.  Users pick an engine with dma_get_engine() and hand it
 * descriptors with dma_submit(); dma_copy_sync() is the sleeping wrapper.
 * Nothing here knows about files: DMA on files (fs/) sits on top.
 *
 * The pin rule (docs/design.md, "How the invariant is kept", point 3): an engine
 * works on physical addresses only and never touches pmem pins.  A caller
 * whose source or destination is pmem pins every page of the range
 * (pmem_pin_page(), or pin_pages() for a file) BEFORE dma_submit() and
 * unpins them in its done() callback, which is the first moment the device
 * is certain to be finished with them: a descriptor that fails, times out
 * or is cancelled also ends with done(), and only then.  So "pinned" covers
 * every instant at which the device might still write a page.
 *
 * For the pins diagnostics (which DMA holds a busy page, since when), each
 * descriptor an engine owns records its channel, its id and its submission
 * time; dma_for_each_inflight() lists them, queued and active.
 *
 * Descriptor life: the caller fills src, dst, len, done and cookie and
 * calls dma_submit().  From a successful dma_submit() until done() is
 * called, the engine owns the descriptor: the caller must not change or
 * free it.  done() is called exactly once.  A descriptor may be submitted
 * again after its done() has been called.
 *
 * Locking: the registry is written only while drivers probe (boot) and read
 * without a lock afterwards; engines are never removed.  Each engine has
 * its own interrupt-safe lock around its queue (see its driver).
 */
#ifndef DRIVERS_DMA_H
#define DRIVERS_DMA_H

#include <stdbool.h>
#include <stdint.h>
#include <lib/list.h>

#define DMA_MAX_ENGINES		4
#define DMA_NAME_MAX		16

struct dma_engine;
struct dma_desc;

/*
 * Final status of a descriptor, passed to done():
 *   0           every byte was copied
 *   -EIO        the device refused or garbled a step (see the engine's
 *               error count and the console)
 *   -ETIMEDOUT  the engine's watchdog saw no completion in time; the
 *               channel was reset and goes on with the next descriptor
 *   -ECANCELED  dma_cancel() took it off the queue or stopped it between
 *               two device steps
 * After a non-zero status the destination may hold part of the data.
 */

/* Where a descriptor is in its life; engine-owned (dma_desc.state). */
enum dma_desc_state {
	DMA_DESC_FREE,		/* not submitted, or done() was called */
	DMA_DESC_QUEUED,	/* waiting on its channel's queue */
	DMA_DESC_ACTIVE,	/* on the device */
};

/**
 * typedef dma_done_fn - a descriptor's completion callback.
 * @d:      the descriptor, owned by the caller again.
 * @status: 0 or a negative errno (see above).
 *
 * Context: called once per descriptor, with no DMA lock held, in the order
 * descriptors were submitted to the same engine.  It usually runs in
 * interrupt context (the engine's interrupt handler, or its watchdog or
 * polling timer; interrupts disabled), and for dma_cancel() of a queued
 * descriptor in the thread that called dma_cancel().  It must not sleep;
 * it may unpin pages, complete() a completion, wake a wait queue and call
 * dma_submit().
 */
typedef void (*dma_done_fn)(struct dma_desc *d, int status);

struct dma_desc {
	/* set by the caller before dma_submit() */
	uint64_t src;			/* physical address of RAM or pmem */
	uint64_t dst;			/* physical address of RAM or pmem */
	uint64_t len;			/* bytes, > 0 */
	dma_done_fn done;
	void *cookie;			/* the submitter's; the engine ignores it */

	/* set by dma_submit(), read-only until done(): diagnostics */
	struct dma_engine *engine;	/* the channel it went to */
	uint64_t id;			/* unique, increasing in submission order */
	uint64_t submit_ns;		/* time_ns() at dma_submit() */

	/* engine-owned, under the engine's lock */
	struct list_node node;		/* on the engine's queue */
	enum dma_desc_state state;
	uint64_t start_ns;		/* when it reached the device (0: queued) */
	uint64_t bytes_done;		/* copied so far */
	bool cancel;			/* dma_cancel() asked for it to stop */
};

/* Counters an engine keeps; all monotonic except queued. */
struct dma_stats {
	uint64_t submitted;		/* descriptors accepted */
	uint64_t completed;		/* done() with status 0 */
	uint64_t bytes;			/* bytes of completed descriptors */
	uint64_t errors;		/* done() with -EIO */
	uint64_t timeouts;		/* done() with -ETIMEDOUT */
	uint64_t canceled;		/* done() with -ECANCELED */
	uint64_t irqs;			/* device completion interrupts handled */
	uint64_t unexpected_irqs;	/* interrupts with no step in flight */
	uint64_t resets;		/* channel resets after a timeout */
};

/* A snapshot for `dma status`, filled by dma_engine_status(). */
struct dma_engine_status {
	struct dma_stats stats;
	unsigned queued;		/* descriptors waiting (active excluded) */
	bool active;			/* a descriptor is on the device */
	uint64_t active_id, active_len, active_done;
	uint64_t active_submit_ns, active_start_ns;
	const char *mode;		/* how completions arrive: "msi", "polling" */
	int vector;			/* its interrupt vector, or -1 */
};

/* What an engine driver provides.  Called by dma.c only. */
struct dma_engine_ops {
	/* Queue @d (already checked by dma_submit).  Any context.  Returns 0,
	 * or -ENODEV when the device can take no more work. */
	int (*submit)(struct dma_engine *e, struct dma_desc *d);
	/* Optional; see dma_cancel().  Thread context. */
	int (*cancel)(struct dma_engine *e, struct dma_desc *d);
	/* Fill @st under the engine's lock.  Any context. */
	void (*status)(struct dma_engine *e, struct dma_engine_status *st);
	/* Call @fn for each descriptor it owns, queue order, active first,
	 * under the engine's lock (interrupts off). */
	void (*for_each)(struct dma_engine *e,
			 void (*fn)(const struct dma_desc *d, void *ctx), void *ctx);
};

struct dma_engine {
	char name[DMA_NAME_MAX];	/* "edu0": the channel name in diagnostics */
	const char *device;		/* the hardware behind it: "0000:00:03.0" */
	const struct dma_engine_ops *ops;
	uint64_t max_seg;		/* bytes the hardware moves per step */
	void *priv;			/* the driver's own */
	unsigned index;			/* set by dma_engine_register() */
};

/**
 * dma_engine_register() - make @e available to dma_get_engine().
 * @e: filled in (ops, max_seg, name; an empty name becomes "dmaN"); lives
 *     forever.
 *
 * Context: thread context, while drivers probe.  Returns 0, or -ENOSPC
 * when DMA_MAX_ENGINES are registered, -EINVAL when ops are missing.
 */
int dma_engine_register(struct dma_engine *e);

/* What a user must add to QEMU's command line to get a DMA engine. */
#define DMA_HOW_TO_ADD \
	"start QEMU with -device edu,dma_mask=0xffffffffffffffff (make run adds it)"

/**
 * dma_note_refusal() - a driver found a device but refused it: remember why,
 * for dma_why_none().  @fmt says what and what to do, without a newline.
 * Context: thread context, while drivers probe.  The first note is kept.
 */
void dma_note_refusal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * dma_why_none() - why no engine is registered, and how to get one: the
 * first refusal a driver noted, else that no device was found and
 * DMA_HOW_TO_ADD.  Any context, after drivers probed.
 */
const char *dma_why_none(void);

/**
 * dma_report() - log "dma: no DMA engine: <why>" when none registered.
 * Boot, once, after pci_init() probed the drivers.
 */
void dma_report(void);

/* dma_engine_count() - how many engines are registered.  Any context. */
unsigned dma_engine_count(void);

/* dma_get_engine() - engine @index (0 first, registration order), or NULL.
 * Any context. */
struct dma_engine *dma_get_engine(unsigned index);

/**
 * dma_phys_ok() - is [@pa, @pa + @len) a DMA target: one usable RAM range
 * from the boot memory map, or inside one pmem region?
 * Any context.  @len 0 or a range that wraps is not.
 */
bool dma_phys_ok(uint64_t pa, uint64_t len);

/**
 * dma_submit() - queue a copy on @e.
 * @e: the engine (NULL: -ENODEV).
 * @d: src, dst, len, done and cookie filled; everything else is set here.
 *
 * The request is checked first: len > 0, neither range wraps, both lie in
 * RAM or pmem (dma_phys_ok), the ranges do not overlap, done is set, and
 * @d is not still in flight (state DMA_DESC_FREE).  Then
 * d gets its id and submit time and goes to the tail of @e's queue; its
 * done() follows those of every descriptor submitted to @e before it.
 * Pmem pages must already be pinned by the caller (see the top of this file).
 *
 * Context: any (interrupt handlers included: it never sleeps).
 * Returns 0; -EINVAL for a bad request (nothing queued, done() not called);
 * -ENODEV when @e is NULL or its device is gone; -ENOMEM when the engine
 * could not take it.
 */
int dma_submit(struct dma_engine *e, struct dma_desc *d);

/**
 * dma_cancel() - take back a descriptor submitted to @e.
 *
 * A queued descriptor is removed and its done(-ECANCELED) is called before
 * this returns, in this thread: returns 0.  A descriptor on the device is
 * stopped when the device finishes its current step (within one step's
 * time, 100 ms on edu); its done() comes later with -ECANCELED (or 0 if
 * that step was its last): returns -EINPROGRESS.  A descriptor @e does not
 * own: -ENOENT.  -EOPNOTSUPP when the engine cannot cancel.
 *
 * Context: thread context, no DMA lock held.
 */
int dma_cancel(struct dma_engine *e, struct dma_desc *d);

/**
 * dma_copy_sync() - copy @len bytes from @src to @dst through @e and wait.
 * @timeout_ns: how long to wait; 0 waits as long as the engine's watchdog
 *              lets it.
 *
 * Context: thread context; sleeps.  The caller pins pmem as for
 * dma_submit().  Returns 0; -EINVAL or -ENODEV as dma_submit(); -EIO,
 * -ETIMEDOUT (the engine's watchdog, or @timeout_ns: the descriptor is then
 * cancelled and this waits until the engine has let go of it) or
 * -ECANCELED from the engine.
 */
int dma_copy_sync(struct dma_engine *e, uint64_t dst, uint64_t src, uint64_t len,
		  uint64_t timeout_ns);

/* dma_engine_status() - snapshot of @e's queue and counters.  Any context. */
void dma_engine_status(struct dma_engine *e, struct dma_engine_status *st);

/**
 * dma_for_each_inflight() - call @fn(d, @ctx) for every descriptor any
 * engine owns (queued or on the device), engine by engine, each engine's
 * in queue order.
 *
 * @fn runs under that engine's lock with interrupts off: it must only read
 * @d (engine->name, id, submit_ns, start_ns, src, dst, len, bytes_done,
 * cookie) and must not sleep, take sleeping locks or call into DMA.
 * Context: any.  Returns how many descriptors were visited.
 */
unsigned dma_for_each_inflight(void (*fn)(const struct dma_desc *d, void *ctx), void *ctx);

#endif /* DRIVERS_DMA_H */
