/*
 * blkdev.h - the block device registry: drivers register the devices they
 * find, the VFS (mount, /dev, mkfs, fsck) looks them up by name.
 *
 * A block device has a name ("pmem0", later "pmem0.1" for a namespace,
 * "nvme0n1"), a size in bytes, and one of two ways in:
 *
 *   - a byte range of a pmem region (DAX devices): pmem != NULL, and
 *     pmem_off / size say where inside the region the device lies.  A
 *     filesystem with direct access maps that range itself.
 *   - read/write ops (ops != NULL), for devices without a direct map
 *     (NVMe, a network block device).  Neither is required of the other.
 *
 * Lifetime: a device stays registered until blkdev_unregister(); the
 * registry does not count users, so whoever unregisters (the driver) first
 * makes sure nothing has it open (the VFS refuses to unmount a busy
 * filesystem, and a device in use by a mount reports it: blkdev->holder).
 *
 * Locking: blk_lock (a spinlock) guards the table; lookup and iteration
 * hand out pointers that stay valid while the device is registered.  Every
 * call is thread context; none sleeps.
 */
#ifndef DRIVERS_BLKDEV_H
#define DRIVERS_BLKDEV_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <drivers/dma.h>
#include <kernel/sync.h>

#define BLKDEV_NAME_MAX		16	/* with the NUL */
#define BLKDEV_MAX		32

struct pmem_region;
struct blkdev;

/*
 * A transfer between a device and pages the caller has pinned (zero copy):
 * the device DMAs straight into or out of @pages.  Whoever pinned the pages
 * (fs/dmafile.c with dax_pin_file(); later a system call with
 * pin_user_pages()) keeps them pinned until @done.  The unpin rule
 * (include/drivers/dma.h) holds with @desc as "the descriptor": the driver
 * marks desc.state DMA_DESC_ACTIVE before the device may see the request
 * and DMA_DESC_FREE, when the device can no longer touch the pages (the
 * command completed, failed, was aborted, or the controller was reset),
 * just before it calls @done, exactly once.  So dax_unpin_dma(pin, i, len,
 * &rq->desc) in @done is the unpin, and an early unpin is caught.
 */
struct blk_req;
typedef void (*blk_done_fn)(struct blk_req *rq, int status);

#define BLK_DMA_WINDOW		(2ull << 20)	/* a window's size and alignment */

/*
 * A 2 MiB window (optional, for devices behind an IOMMU): the caller (the
 * owner) has pinned, for the device, the whole naturally aligned 2 MiB of
 * physical memory at @pa.  The driver may map the window for the device
 * as one 2 MiB IOMMU page, the first time a request names it, and share
 * that mapping with every later request that names it (one translation
 * per 2 MiB instead of one per 4 KiB page).  The mapping lasts while
 * anybody uses the window: the owner, from blk_dma_window_init() to its
 * blk_dma_window_put(), and each request that uses the mapping, until it
 * finishes (before its done()).  The last put unmaps; the owner may unpin
 * the 2 MiB only after its own put, and after done() of every request
 * that named the window.  A request whose pages are not all inside the
 * window, or a driver or IOMMU that cannot, maps its own pages as usual.
 *
 * Locking: @lock (spinlock, irqsave: requests finish in interrupt
 * context) guards the fields below it; lock order: @lock -> iommu_lock.
 */
struct blk_dma_window {
	uint64_t pa;			/* caller: BLK_DMA_WINDOW aligned */
	spinlock_t lock;
	unsigned users;			/* the owner (until its put) + requests mapped in it */
	bool mapped, failed;		/* the driver's; failed: do not try again */
	uint64_t iova;			/* the driver's, while mapped */
	void (*unmap)(struct blk_dma_window *w);	/* the driver's, set when it maps */
	void *dev;			/* the driver's, for unmap */
};

/**
 * blk_dma_window_init() - ready @w for the 2 MiB at @pa (pinned by the
 * caller), holding the owner's use of it.  Any context.
 */
void blk_dma_window_init(struct blk_dma_window *w, uint64_t pa);

/**
 * blk_dma_window_put() - end one use of @w (the owner's, or a request's,
 * by its driver); the last one unmaps the window if it is mapped, and
 * returns after the device can no longer reach it.  Takes @w->lock
 * (irqsave); any context the driver's unmap allows (the IOMMU's: any).
 */
void blk_dma_window_put(struct blk_dma_window *w);

struct blk_req {
	/* set by the caller */
	struct blk_dma_window *win;	/* NULL, or the pinned 2 MiB around @pages */
	bool write;			/* memory -> device; else device -> memory */
	uint64_t off;			/* device byte offset, a multiple of lba_size */
	uint64_t len;			/* bytes, a multiple of lba_size, <= max_io */
	const uint64_t *pages;		/* physical address of each 4 KiB page:
					 * pages[0] + first_off is the first byte,
					 * the others are page aligned */
	unsigned npages;
	unsigned first_off;		/* < 4096, a multiple of 4 */
	blk_done_fn done;		/* any context (interrupt handlers): must
					 * not sleep; may unpin and complete() */
	void *cookie;
	/* ownership (state) for the unpin rule; the driver fills id/submit_ns */
	struct dma_desc desc;
	/* set by the driver at submission, for diagnostics ("queue 1, command 7") */
	unsigned hw_queue, hw_tag;
	/* the driver's, from submission to done(): the I/O address range the
	 * device was given for @pages when the IOMMU maps them (pages 0: none) */
	uint64_t hw_iova;
	unsigned hw_iova_pages;
	bool hw_in_win;			/* hw_iova lies in win's mapping */
};

/* For devices without a direct map.  Each returns 0 or a negative errno. */
struct blkdev_ops {
	/* Byte-granular copies through the driver's own buffer; thread
	 * context, may sleep. */
	int (*read)(struct blkdev *bd, uint64_t off, void *buf, size_t len);
	int (*write)(struct blkdev *bd, uint64_t off, const void *buf, size_t len);
	/* Optional, zero copy: queue @rq (checked: alignment, range), then
	 * its done() follows.  Thread context; may sleep while the device's
	 * queue is full.  Returns 0 (done() will be called), or a negative
	 * errno with done() NOT called: -EINVAL (misaligned, too long, past
	 * the end: the driver says which value), -EIO (the device is dead). */
	int (*submit)(struct blkdev *bd, struct blk_req *rq);
	/* Optional: make completed writes durable (NVMe Flush when the device
	 * has a volatile write cache).  Thread context, sleeps. */
	int (*flush)(struct blkdev *bd);
};

struct blkdev {
	char name[BLKDEV_NAME_MAX];
	uint64_t size;				/* bytes */
	struct pmem_region *pmem;		/* DAX: the region, or NULL */
	uint64_t pmem_off;			/* DAX: first byte in the region */
	const struct blkdev_ops *ops;		/* otherwise: read/write */
	void *priv;				/* the driver's */
	uint32_t lba_size;			/* ops devices: the block size (512, 4096);
						 * 0 means 1 (byte addressed) */
	uint64_t max_io;			/* ops->submit: longest request, bytes */
	bool dma_windows;			/* ops->submit maps a blk_req's win as
						 * one 2 MiB IOMMU page: worth offering */
	bool writable;				/* /dev node may be opened for writing
						 * (never a DAX device: holdfs may be
						 * mounted on it) */
	/* Owned by the registry and the VFS (blk_lock): */
	bool registered;
	unsigned id;				/* 0, 1, ... in registration order,
						 * never reused (devfs's inode numbers) */
	const void *holder;			/* the mount using it, or NULL */
};

/**
 * blkdev_register - add @bd (filled in by the driver; it stays the
 * driver's memory) to the registry.  Thread context.  Returns 0, -EINVAL
 * (empty or too long a name, size 0, neither pmem nor ops, or a pmem range
 * outside its region), -EEXIST (the name is taken), -ENOSPC (BLKDEV_MAX
 * devices already).
 */
int blkdev_register(struct blkdev *bd);
/**
 * blkdev_unregister - remove @bd.  Returns 0, -ENOENT (not registered),
 * -EBUSY (a mount holds it: bd->holder).
 */
int blkdev_unregister(struct blkdev *bd);
/**
 * blkdev_lookup - the device called @name ("pmem1"; a leading "/dev/" is
 * accepted and skipped), or NULL.  Thread context, takes blk_lock.
 */
struct blkdev *blkdev_lookup(const char *name);
/**
 * blkdev_at - the @i-th registered device in registration order (0 ..),
 * or NULL past the last: the iteration /dev and `mount` use.  Takes
 * blk_lock.
 */
struct blkdev *blkdev_at(unsigned i);
/**
 * blkdev_claim - mark @bd as used by @holder (a mount): -EBUSY when
 * another holder has it.  blkdev_release(@bd) undoes it.  Takes blk_lock.
 */
int blkdev_claim(struct blkdev *bd, const void *holder);
void blkdev_release(struct blkdev *bd);
/**
 * blkdev_register_pmem - register a device for every pmem namespace (boot,
 * after namespace_init): pmemN for a region without labels or for its
 * first namespace, pmemN.M for the others, as Linux names them.
 */
void blkdev_register_pmem(void);
/* Re-match the pmem devices to the namespaces after a change (blkdev.c). */
void blkdev_sync_pmem(void);

#endif
