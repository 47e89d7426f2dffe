/*
 * dmafile.h - copying files with a DMA engine (DMA on files).
 *
 * A copy pins every page of both sides before the device is programmed
 * (the source read-only, the destination for write, allocating its blocks)
 * and follows the unpin rule (include/drivers/dma.h): a page pinned for
 * DMA is unpinned in the done() callback of the descriptor that transfers
 * it, which the engine driver calls exactly once, when the device is
 * certainly done with the page (the descriptor completed, failed, timed
 * out or was cancelled), and never earlier.  While the pins are held, a
 * layout change of either range waits (fs/dax.c): the DMA can never write
 * into a block that has gone to another file.
 *
 * Jobs run in their own thread; dma_file_copy() returns a job id at once
 * (background) or waits for it.  Locking: job_lock guards the job table.
 */
#ifndef FS_DMAFILE_H
#define FS_DMAFILE_H

#include <stdint.h>
#include <stdbool.h>
#include <fs/dax.h>

#define DMA_JOBS_MAX	16

struct dma_job_info {
	unsigned id;
	char src[64], dst[64];
	uint64_t total, done;
	uint64_t started_ns, finished_ns;	/* finished 0: running */
	int error;
};

/*
 * Start copying src to dst (replacing dst).  Returns the job id (> 0) or
 * a negative errno.  With wait, returns only when the copy is over and
 * gives its result in *result; if the calling thread is interrupted
 * meanwhile (Ctrl-C, sched.h), the copy stops after its chunk in flight,
 * dst keeps what was copied so far (at its full size), and *result is
 * -EINTR.  Without wait, the job runs in a thread of its own, which no
 * Ctrl-C interrupts.  Opening dst with O_TRUNC and sizing it may wait for
 * pins on it, interruptibly (-EINTR, dst unchanged).
 * Errors: -ENODEV (nothing mounted, or no DMA engine), -EAGAIN
 * (DMA_JOBS_MAX jobs alive), -EINVAL (src and dst are one file), -EISDIR
 * (src is not a regular file), -ENOMEM, or hfs_open's and hfs_truncate's.
 * Thread context, may sleep (even without wait: until the first pages are
 * pinned); no spinlock or holdfs lock held.
 */
int dma_file_copy(const char *src, const char *dst, bool wait, int *result);

/**
 * dma_file_copy_lease - dma_file_copy() whose pins carry lease @lease
 * (include/fs/dax.h): with DAX_LEASE_FAIL a truncate (punch, rm...) of a
 * range in flight fails with -ETXTBSY and the copy goes on; with
 * DAX_LEASE_REVOKE the truncate revokes the pins and goes on, and the job
 * ends with -ECANCELED ("dma cp: PATH: revoked by a layout change after N
 * bytes" on the console).  Returns as dma_file_copy(), and -EINVAL (no
 * such lease) or -EOPNOTSUPP (revoke while DMA remapping is off) before
 * anything is opened.  Context as dma_file_copy().
 */
int dma_file_copy_lease(const char *src, const char *dst, enum dax_lease lease, bool wait,
			int *result);

/* Which part of a block device and of a file dma_blk_copy() moves. */
struct dma_blk_range {
	uint64_t dev_off;		/* device byte offset, whole blocks */
	uint64_t file_off;		/* file byte offset, whole blocks too */
	uint64_t len;			/* bytes, whole blocks */
	bool len_set;			/* else: to the end of the source */
	bool file_off_set;		/* device -> file: else the file is
					 * replaced (O_TRUNC), as by cp */
	enum dax_lease lease;		/* of each command's pin (0: wait), as
					 * for dma_file_copy_lease() */
};

/**
 * dma_blk_copy - copy between a block device with a submit op (/dev/nvme0n1)
 * and a holdfs file, zero copy: the device DMAs straight into or out of the
 * file's pmem pages, each command pinning its own pages from before its
 * submission until its completion (fs/dmafile.c, "block devices"); behind
 * an IOMMU, a whole 2 MiB-aligned block of the file is pinned once for
 * all its commands (a 2 MiB window) and unpinned after the last of them
 * completes.  Up to 32 commands in flight.  One of @src, @dst is the device.
 *
 * Device -> file: the file is created if missing, sized to cover the
 * range.  File -> device: a hole in the file is written as zeros, and the
 * device is flushed at the end.  A failed command ends the copy with its
 * error after the commands in flight have finished; the destination keeps
 * what was moved.  @wait and *@result as dma_file_copy().
 *
 * @r->lease: as for dma_file_copy_lease() (a revoked copy ends with
 * -ECANCELED once its commands in flight have finished).
 *
 * Returns the job id, or -ENODEV (no such device, or nothing mounted),
 * -EXDEV (both are devices), -EINVAL (offsets not in whole blocks, or past
 * the end of the device or of the file: said on the console), -EAGAIN,
 * -EISDIR, -ENOMEM, or the VFS's error.  Thread context; sleeps.
 */
int dma_blk_copy(const char *src, const char *dst, const struct dma_blk_range *r, bool wait,
		 int *result);

/* dma_is_blkdev - does @path name a block device dma_blk_copy() takes? */
bool dma_is_blkdev(const char *path);

/*
 * Ask job @id to stop after the chunk it is copying (its error becomes
 * -EINTR).  Returns false if no such job is running.  Any thread; takes
 * job_lock (a spinlock), so not from an interrupt handler.
 */
bool dma_job_stop(unsigned id);
/*
 * Move len bytes between [off, off+len) of ip and a physically contiguous
 * DRAM buffer at buf_phys, through the DMA engine; the file's pages are
 * pinned for the transfer.  to_file: buffer -> file (allocating holes).
 * Sleeps until done: thread context, no spinlock held, and not @ip's
 * layout lock (pinning takes it).  0, or -ENODEV (no DMA engine), -EINVAL
 * (empty or overflowing range, or a buffer the engine cannot reach),
 * -ENOMEM, -ENODATA (reading a hole), or the pin's or the engine's error
 * (-EIO, -ETIMEDOUT...).
 */
struct hfs_inode;
int dma_file_buffer(struct hfs_inode *ip, uint64_t off, uint64_t buf_phys, uint64_t len,
		    bool to_file);

/* Copy out job i's state (0 <= i < DMA_JOBS_MAX); false if unused.  Takes
 * job_lock; thread context. */
bool dma_job_get(unsigned i, struct dma_job_info *out);

#endif
