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
 * The unpin rule (docs/design.md, "How the invariant is kept", point 3).
 * An engine works on physical addresses only and never touches pmem pins.
 * Whoever submits a descriptor whose source or destination is pmem pins
 * every page of it BEFORE dma_submit() (dax_pin_file() or dax_pin_pages()
 * for a file, pmem_pin_page() for raw pmem; dma_copy_sync() does it
 * itself), and then:
 *
 *   A page pinned for DMA is unpinned in the done() callback of the
 *   descriptor that transfers it, which the engine driver calls exactly
 *   once, when the device is certainly done with the page (the descriptor
 *   completed, failed, timed out or was cancelled), and never earlier.
 *
 * So "pinned" covers every instant at which the device might still write
 * a page.  Every unpin path asks dma_unpin_check() first (dax_unpin_dma()
 * does), which refuses, logs and counts an unpin while an engine still
 * owns the descriptor (dma_early_unpins()).
 *
 * For the pins diagnostics (which DMA holds a busy page, since when), each
 * descriptor an engine owns records its channel, its id and its submission
 * time; dma_for_each_inflight() lists them, queued and active.
 *
 * Descriptor life: the caller fills src, dst, len, done and cookie and
 * calls dma_submit().  From a successful dma_submit() until done() is
 * called, the engine owns the descriptor: the caller must not change or
 * free it.  done() is called exactly once.  A descriptor may be submitted
 * again after its done() has been called.  The ownership is written in
 * d->state: dma_submit() marks it owned (DMA_DESC_QUEUED) before the
 * engine sees it, and the engine driver marks it free (DMA_DESC_FREE),
 * under its lock, before it calls done(); dma_desc_owned() reads it.
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

/* Where a descriptor is in its life (dma_desc.state): who owns it. */
enum dma_desc_state {
	DMA_DESC_FREE,		/* the caller's: not submitted, or done() is
				 * running or was called */
	DMA_DESC_QUEUED,	/* the engine's: accepted, waiting on its queue */
	DMA_DESC_ACTIVE,	/* the engine's: on the device */
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
 * descriptor in the thread that called dma_cancel().  @d is no longer
 * engine-owned (state DMA_DESC_FREE).  It must not sleep or take a lock
 * that is not interrupt-safe; it may unpin pages (the unpin rule: this is
 * where they are unpinned), complete() a completion, wake a wait queue
 * and call dma_submit().
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

	/* engine-owned, under the engine's lock (state: see "Descriptor life") */
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

/*
 * What an engine driver provides.  Called by dma.c only.  Every descriptor
 * the driver accepted ends with its done(), called exactly once with no
 * engine lock held, after the driver set d->state to DMA_DESC_FREE under
 * its lock and when the device can no longer touch d's memory.
 */
struct dma_engine_ops {
	/* Queue @d (already checked by dma_submit, state DMA_DESC_QUEUED).
	 * Any context; never sleeps; done() must not run inside it.  Returns
	 * 0, or -ENODEV when the device can take no more work (d untouched). */
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
 * Locks: takes the registry's lock.  Context: thread context, while
 * drivers probe; never sleeps.  Returns 0, or -ENOSPC when
 * DMA_MAX_ENGINES are registered, -EINVAL when ops are missing.
 */
int dma_engine_register(struct dma_engine *e);

/* What a user must add to QEMU's command line to get a DMA engine. */
#define DMA_HOW_TO_ADD \
	"start QEMU with -device edu,dma_mask=0xffffffffffffffff (make run adds it)"

/**
 * dma_note_refusal() - a driver found a device but refused it: remember why,
 * for dma_why_none().  @fmt says what and what to do, without a newline.
 * Locks: none (probe is serialised).  Context: thread context, while
 * drivers probe; never sleeps.  The first note is kept.
 */
void dma_note_refusal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * dma_why_none() - why no engine is registered, and how to get one: the
 * first refusal a driver noted, else that no device was found and
 * DMA_HOW_TO_ADD.  Locks: none.  Context: any, after drivers probed.
 * Returns a string that lives forever.
 */
const char *dma_why_none(void);

/**
 * dma_report() - log "dma: no DMA engine: <why>" when none registered.
 * Locks: none.  Context: boot, once, after pci_init() probed the drivers.
 */
void dma_report(void);

/**
 * dma_engine_count() - how many engines are registered.
 * Locks: none needed.  Context: any.
 */
unsigned dma_engine_count(void);

/**
 * dma_get_engine() - engine @index (0 first, registration order).
 * Locks: none needed.  Context: any.  Returns it, or NULL past the last.
 */
struct dma_engine *dma_get_engine(unsigned index);

/**
 * dma_phys_ok() - is [@pa, @pa + @len) a DMA target: one usable RAM range
 * from the boot memory map, or inside one pmem region?
 * Locks: none.  Context: any; never sleeps.  @len 0 or a range that wraps
 * is not.
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
 * From here until done() an engine owns @d (dma_desc_owned()).
 *
 * Locks: no engine lock held.  Context: any (interrupt handlers
 * included: it never sleeps).
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
 * own: -ENOENT.  -EOPNOTSUPP when the engine cannot cancel.  Either way
 * the pages stay pinned until done().
 *
 * Locks: no DMA lock held.  Context: thread; never sleeps.
 */
int dma_cancel(struct dma_engine *e, struct dma_desc *d);

/**
 * dma_copy_sync() - copy @len bytes from @src to @dst through @e and wait.
 * @timeout_ns: how long to wait; 0 waits as long as the engine's watchdog
 *              lets it.
 *
 * It follows the unpin rule itself: it pins every pmem page of both
 * ranges before it submits and unpins them in the descriptor's done().
 * The caller need not pin.
 *
 * Locks: none held.  Context: thread; sleeps.
 * Returns 0; -EINVAL or -ENODEV as dma_submit(); -EIO, -ETIMEDOUT (the
 * engine's watchdog, or @timeout_ns: the descriptor is then cancelled and
 * this waits until the engine has let go of it) or -ECANCELED from the
 * engine.
 */
int dma_copy_sync(struct dma_engine *e, uint64_t dst, uint64_t src, uint64_t len,
		  uint64_t timeout_ns);

/**
 * dma_engine_status() - fill @st with a snapshot of @e's queue and counters.
 * Locks: no engine lock held (it takes @e's).  Context: any; never sleeps.
 */
void dma_engine_status(struct dma_engine *e, struct dma_engine_status *st);

/**
 * dma_desc_owned() - does an engine own @d now (accepted by dma_submit(),
 * its done() not yet called)?
 * Locks: none needed (one atomic load).  Context: any; never sleeps.
 */
bool dma_desc_owned(const struct dma_desc *d);

/**
 * dma_unpin_check() - may the pages @d transferred be unpinned now?  The
 * unpin rule's check, asked by every unpin path before it unpins.
 * @who: the pins' holder, for the message.
 *
 * True when no engine owns @d: its done() is running or has run, or
 * dma_submit() never accepted it.  False when an engine still owns it
 * (queued or on the device), so the device may still write those pages:
 * a bug in the caller, which must then leave them pinned.  It is logged
 * ("dma: BUG: ...") and counted (dma_early_unpins()).
 * Locks: none needed.  Context: any, interrupt handlers included; never
 * sleeps.
 */
bool dma_unpin_check(const struct dma_desc *d, const char *who);

/**
 * dma_early_unpins() - how many unpins dma_unpin_check() has refused since
 * boot.  Zero in a correct kernel; tests read it.  Context: any.
 */
uint64_t dma_early_unpins(void);

/**
 * dma_for_each_inflight() - call @fn(d, @ctx) for every descriptor any
 * engine owns (queued or on the device), engine by engine, each engine's
 * in queue order.
 *
 * @fn runs under that engine's lock with interrupts off: it must only read
 * @d (engine->name, id, submit_ns, start_ns, src, dst, len, bytes_done,
 * cookie) and must not sleep, take sleeping locks or call into DMA.
 * Locks: no engine lock held.  Context: any.  Returns how many
 * descriptors were visited.
 */
unsigned dma_for_each_inflight(void (*fn)(const struct dma_desc *d, void *ctx), void *ctx);

#endif /* DRIVERS_DMA_H */
