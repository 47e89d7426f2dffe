/*
 * dmafile.c - DMA on files: copy a file to another through the DMA engine
 * (interface in include/fs/dmafile.h).
 *
 * One follow-the-request path, as docs/design.md asks: shell `dma cp` ->
 * dma_file_copy -> job thread -> dax_pin_file (both sides) -> dma_submit
 * per page -> edu completion interrupt -> page_done: dax_unpin_dma (the
 * last unpin of a page wakes a waiting truncate) -> complete -> the job
 * thread drops the pin records -> next chunk.
 *
 * The unpin rule (include/drivers/dma.h): a page pinned for DMA is
 * unpinned in the done() callback of the descriptor that transfers it,
 * which the engine driver calls exactly once, when the device is certainly
 * done with the page (the descriptor completed, failed, timed out or was
 * cancelled), and never earlier.  Here that callback is page_done().
 *
 * Leases (include/fs/dax.h enum dax_lease): every pin of a job carries the
 * job's lease.  wait: a truncate of either file waits for the chunk or
 * command in flight.  fail: it fails with -ETXTBSY and the copy goes on.
 * revoke: the truncate revokes the pin and goes on; job_revoked() (the
 * pin's revoke callback) marks the job revoked and cancels the chunk's
 * descriptors still queued, and the job ends with -ECANCELED after what is
 * in flight has finished.  Submission and revocation are serialised by the
 * job's sub_lock, so no descriptor of a revoked pin reaches a device
 * after the revoke: the submitter looks at the revoked mark under the lock.
 */
#include <fs/dmafile.h>
#include <fs/dax.h>
#include <fs/vfs.h>
#include <drivers/dma.h>
#include <drivers/blkdev.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <lib/printf.h>
#include <lib/errno.h>
#include <fs/holdfs.h>

#define CHUNK_PAGES	16		/* pinned at a time per side */
#define PAGE		4096
#define DETAIL_LEN	64

struct job {
	struct dma_job_info info;	/* job_lock */
	bool used;			/* job_lock */
	bool stop;			/* atomic: dma_job_stop() asked */
	struct file *srcf, *dstf;	/* held for the job: their mounts stay busy */
	struct hfs_inode *src, *dst;	/* theirs (vfs_file_hfs) */
	struct completion started;	/* the first pages are pinned (or it failed) */
	/* block-device copies (dma_blk_copy) */
	struct blkdev *bd;		/* NULL: file to file */
	bool to_file;			/* device -> file */
	uint64_t dev_off, file_off;
	struct completion finished;
	/* leases */
	enum dax_lease lease;		/* for every pin the job takes */
	struct job_side {
		struct job *j;
		const char *path;	/* info.src or info.dst */
	} side[2];			/* the revoke callbacks' contexts: 0 src, 1 dst */
	struct mutex sub_lock;		/* submitting vs revoking; guards: */
	const char *revoked;		/* sub_lock: the file whose pin was revoked */
	struct dma_engine *e;		/* sub_lock: the edu chunk in flight */
	struct chunk *chunk;		/* sub_lock: (file to file copies) */
};

static spinlock_t job_lock = SPINLOCK_INIT("dma_jobs");
static struct job jobs[DMA_JOBS_MAX];
static unsigned next_id;

/* Descriptor k of a chunk moves byte k * PAGE of its pins (page k). */
struct chunk {
	struct dma_desc desc[CHUNK_PAGES];
	struct dax_pin *pins[2];	/* what the descriptors transfer: the
					 * files' pins (pins[1] NULL: the other
					 * side is a DRAM buffer) */
	struct completion all_done;
	unsigned outstanding;		/* atomic */
	int error;			/* first error, atomic */
};

/*
 * Descriptor d is over (or was never accepted): unpin its pages, the
 * first moment the device is certainly done with them, then count it.
 * done() callback: interrupt context, must not sleep.
 */
static void page_done(struct dma_desc *d, int status)
{
	struct chunk *c = d->cookie;
	uint64_t i = (uint64_t)(d - c->desc) * PAGE;

	for (unsigned p = 0; p < 2 && c->pins[p]; p++)
		dax_unpin_dma(c->pins[p], i, d->len, d);	/* the last unpin wakes a truncate */
	if (status)
		__atomic_compare_exchange_n(&c->error, &(int){ 0 }, status, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	if (__atomic_sub_fetch(&c->outstanding, 1, __ATOMIC_ACQ_REL) == 0)
		complete(&c->all_done);
}

/*
 * A layout change revoked one of the job's pins (the revoke callback,
 * include/fs/dax.h: the truncating thread, its layout lock held): no device
 * reaches those pages any more.  Mark the job, and take back the chunk's
 * descriptors still queued (their done() comes here, -ECANCELED); the one
 * on the device finishes its step, its late writes blocked by the IOMMU.
 */
static void job_revoked(struct dax_pin *pin, void *ctx)
{
	struct job_side *s = ctx;
	struct job *j = s->j;

	(void)pin;
	mutex_lock(&j->sub_lock);
	if (!j->revoked)
		__atomic_store_n(&j->revoked, s->path, __ATOMIC_RELEASE);
	if (j->chunk && j->e) {
		for (unsigned k = 0; k < CHUNK_PAGES; k++)
			if (dma_desc_owned(&j->chunk->desc[k]))
				dma_cancel(j->e, &j->chunk->desc[k]);
	}
	mutex_unlock(&j->sub_lock);
}

/* The lease for side @s (0 source, 1 destination) of job @j. */
static const struct dax_lease_req *job_lease(struct job *j, unsigned s, struct dax_lease_req *req)
{
	req->mode = j->lease;
	req->revoke = job_revoked;
	req->ctx = &j->side[s];
	req->name = j->side[s].path;
	return req;
}

/* Has a pin of @j been revoked?  Caller holds sub_lock. */
static bool job_is_revoked(struct job *j)
{
	return j->revoked != NULL;
}

/* The job's end, on the console: copied, revoked, or failed. */
static void job_report(struct job *j, uint64_t done, int err)
{
	if (err == -ECANCELED && j->revoked) {
		kprintf("dma cp: %s: revoked by a layout change after %lu bytes (%s)\n",
			j->revoked, done, strerror(err));
		return;
	}
	kprintf("dma job %u: %s %lu bytes %s -> %s in %lu ms%s%s\n", j->info.id,
		err ? "failed after" : "copied", done, j->info.src, j->info.dst,
		(j->info.finished_ns - j->info.started_ns) / 1000000,
		err ? ": " : "", err == -ESTALE ? "the destination was truncated under the copy" :
		err ? strerror(err) : "");
}

static void job_update(struct job *j, uint64_t done, int error, bool over)
{
	spin_lock(&job_lock);
	j->info.done = done;
	if (error && !j->info.error)
		j->info.error = error;
	if (over)
		j->info.finished_ns = time_ns();
	spin_unlock(&job_lock);
}

/* Copy [off, off+len) (len <= CHUNK_PAGES pages) with the engine. */
static int copy_chunk(struct job *j, struct dma_engine *e, struct chunk *c,
		      uint64_t off, uint64_t len)
{
	char detail[DETAIL_LEN];
	struct dax_lease_req lease;
	struct dax_pin *ps, *pd;
	unsigned n = 0;
	int err;

	ps = dax_pin_file_lease(hfs_dax_file(j->src), off, len, 0, job_lease(j, 0, &lease),
				"dma-cp (source)", &err);
	if (!ps)
		return err == -ENODATA ? 0 : err;	/* a hole: the copy reads zeros */
	/* The destination was sized at the start: a chunk past its end now
	 * means it was truncated under the copy, which then stops (-ESTALE)
	 * instead of allocating blocks past the new end of file. */
	pd = dax_pin_file_lease(hfs_dax_file(j->dst), off, len, DAX_PIN_WRITE | DAX_PIN_IN_SIZE,
				job_lease(j, 1, &lease), "dma-cp", &err);
	if (!pd) {
		dax_unpin(ps);
		return err;
	}
	completion_init(&c->all_done);
	c->error = 0;
	c->pins[0] = pd;
	c->pins[1] = ps;
	unsigned pages = (unsigned)DIV_ROUND_UP(len, PAGE);

	c->outstanding = pages;
	for (unsigned k = 0; k < pages; k++) {
		struct dma_desc *d = &c->desc[k];
		uint64_t o = (uint64_t)k * PAGE;

		memset(d, 0, sizeof(*d));
		d->src = dax_pin_phys(ps, o);
		d->dst = dax_pin_phys(pd, o);
		d->len = MIN((uint64_t)PAGE, len - o);
		d->done = page_done;
		d->cookie = c;
	}
	mutex_lock(&j->sub_lock);
	j->e = e;
	j->chunk = c;
	for (; n < pages; n++) {
		struct dma_desc *d = &c->desc[n];
		err = job_is_revoked(j) ? -ECANCELED : dma_submit(e, d);
		if (err) {
			/*
			 * End descriptors n.. (never submitted) here: no engine
			 * owns them, so their pages are unpinned at once.  Not
			 * from c->outstanding: pages submitted earlier may have
			 * completed meanwhile and lowered it already, and then
			 * the count would never reach 0.
			 */
			for (unsigned k = n; k < pages; k++)
				page_done(&c->desc[k], err);
			break;
		}
		if (n == 0) {
			snprintf(detail, sizeof(detail), "DMA channel %s, descriptor #%lu",
				 e->name, d->id);
			dax_pin_set_detail(pd, detail);
			dax_pin_set_detail(ps, detail);
		}
	}
	mutex_unlock(&j->sub_lock);
	complete_all(&j->started);
	wait_for_completion(&c->all_done);
	mutex_lock(&j->sub_lock);
	j->chunk = NULL;		/* no descriptor of it is owned any more */
	mutex_unlock(&j->sub_lock);
	/* Every page was unpinned by its descriptor's done(): drop the
	 * records and the file references. */
	dax_unpin(pd);
	dax_unpin(ps);
	return c->error;
}

static void job_thread(void *arg)
{
	struct job *j = arg;
	struct dma_engine *e = dma_get_engine(0);
	struct chunk *c = kzalloc(sizeof(*c));
	uint64_t done = 0, total = j->info.total;
	int err = e ? 0 : -ENODEV;

	if (!c)
		err = -ENOMEM;
	while (!err && done < total) {
		uint64_t len = MIN((uint64_t)CHUNK_PAGES * PAGE, total - done);

		/* Between chunks: nothing is pinned or on the device now. */
		if (__atomic_load_n(&j->stop, __ATOMIC_ACQUIRE)) {
			err = -EINTR;
			break;
		}
		err = copy_chunk(j, e, c, done, len);
		if (__atomic_load_n(&j->revoked, __ATOMIC_ACQUIRE))
			err = -ECANCELED;	/* the chunk does not count, whatever reached it */
		if (!err)
			done += len;
		job_update(j, done, err, false);
	}
	if (!err)
		err = hfs_fsync(j->dst);
	kfree(c);
	file_put(j->srcf);
	file_put(j->dstf);
	job_update(j, done, err, true);
	complete_all(&j->started);
	job_report(j, done, err);
	complete_all(&j->finished);
}

static struct job *job_alloc(void)
{
	struct job *j = NULL;

	spin_lock(&job_lock);
	for (unsigned i = 0; i < DMA_JOBS_MAX; i++) {
		bool over = jobs[i].used && jobs[i].info.finished_ns;
		if (!jobs[i].used || over) {
			j = &jobs[i];
			memset(&j->info, 0, sizeof(j->info));
			j->used = true;
			j->stop = false;
			j->bd = NULL;
			j->lease = DAX_LEASE_WAIT;
			j->revoked = NULL;
			j->chunk = NULL;
			j->e = NULL;
			j->side[0] = (struct job_side){ j, j->info.src };
			j->side[1] = (struct job_side){ j, j->info.dst };
			mutex_init(&j->sub_lock, "dma_job");
			j->info.id = ++next_id;
			break;
		}
	}
	spin_unlock(&job_lock);
	return j;
}

/*
 * Run job @j in a thread of its own (@name, @fn), return once the device
 * has its first pages pinned, so whatever the caller does next (a
 * truncate...) meets the DMA in flight; with @wait, also until the job
 * ends, its error in *@result.  Interrupted: the copy stops after the
 * chunk or commands in flight, and this returns once it has.  Returns the
 * job's id, or -ENOMEM (no thread: the job is over, the caller drops its
 * files).
 */
static int job_start(struct job *j, const char *name, void (*fn)(void *), bool wait,
		     int *result)
{
	struct thread *th;

	j->info.started_ns = time_ns();
	th = thread_create(name, fn, j);
	if (!th) {
		job_update(j, 0, -ENOMEM, true);
		return -ENOMEM;
	}
	thread_detach(th);
	wait_for_completion(&j->started);
	if (wait) {
		if (wait_for_completion_interruptible(&j->finished)) {
			__atomic_store_n(&j->stop, true, __ATOMIC_RELEASE);
			wait_for_completion(&j->finished);
		}
		if (result)
			*result = j->info.error;
	}
	return (int)j->info.id;
}

int dma_file_copy(const char *src, const char *dst, bool wait, int *result)
{
	return dma_file_copy_lease(src, dst, DAX_LEASE_WAIT, wait, result);
}

int dma_file_copy_lease(const char *src, const char *dst, enum dax_lease lease, bool wait,
			int *result)
{
	struct hfs_stat st;
	struct file *sf, *df;
	struct job *j;
	int err;

	if ((err = dax_lease_check(lease)))
		return err;
	if (!vfs_mounted())
		return -ENODEV;
	if (dma_engine_count() == 0)
		return -ENODEV;
	if (!(j = job_alloc()))
		return -EAGAIN;
	j->lease = lease;
	strlcpy(j->info.src, src, sizeof(j->info.src));
	strlcpy(j->info.dst, dst, sizeof(j->info.dst));
	completion_init(&j->finished);
	completion_init(&j->started);
	if (vfs_same_file(src, dst, true)) {
		job_update(j, 0, -EINVAL, true);
		return -EINVAL;		/* truncating DST would empty SRC */
	}
	/* Through the VFS, so that a path in any mount works, and the open
	 * files keep those mounts busy (no umount) until the job ends. */
	j->srcf = j->dstf = NULL;
	err = vfs_file_open(src, HFS_O_RDONLY, 0, &j->srcf);
	if (!err && !(j->src = vfs_file_hfs(j->srcf)))
		err = -EOPNOTSUPP;	/* not a holdfs file: no pages to pin */
	if (!err && !(err = hfs_getattr(j->src, &st)) && (st.mode & HFS_S_IFMT) != HFS_S_IFREG)
		err = -EISDIR;
	if (!err)
		err = vfs_file_open(dst, HFS_O_RDWR | HFS_O_CREAT | HFS_O_TRUNC, 0644, &j->dstf);
	if (!err && !(j->dst = vfs_file_hfs(j->dstf)))
		err = -EOPNOTSUPP;
	if (!err)
		err = hfs_truncate(j->dst, st.size, NULL);
	if (err) {
		if (j->dstf)
			file_put(j->dstf);
		if (j->srcf)
			file_put(j->srcf);
		job_update(j, 0, err, true);
		return err;
	}
	j->info.total = st.size;
	sf = j->srcf;		/* a failed start frees the slot: keep them */
	df = j->dstf;
	err = job_start(j, "dma-cp", job_thread, wait, result);
	if (err < 0) {
		file_put(sf);
		file_put(df);
	}
	return err;
}

bool dma_job_stop(unsigned id)
{
	bool running = false;

	spin_lock(&job_lock);
	for (unsigned i = 0; i < DMA_JOBS_MAX; i++) {
		struct job *j = &jobs[i];

		if (j->used && j->info.id == id && !j->info.finished_ns) {
			__atomic_store_n(&j->stop, true, __ATOMIC_RELEASE);
			running = true;
		}
	}
	spin_unlock(&job_lock);
	return running;
}

bool dma_job_get(unsigned i, struct dma_job_info *out)
{
	bool used;

	spin_lock(&job_lock);
	used = i < DMA_JOBS_MAX && jobs[i].used;
	if (used)
		*out = jobs[i].info;
	spin_unlock(&job_lock);
	return used;
}

int dma_file_buffer(struct hfs_inode *ip, uint64_t off, uint64_t buf_phys, uint64_t len,
		    bool to_file)
{
	struct dma_engine *e = dma_get_engine(0);
	struct chunk *c;
	int err = 0;

	if (!e)
		return -ENODEV;
	if (len == 0 || off + len < off || !dma_phys_ok(buf_phys, len))
		return -EINVAL;
	if (!(c = kzalloc(sizeof(*c))))
		return -ENOMEM;
	for (uint64_t done = 0; done < len && !err;) {
		/* page by page within the file: its blocks need not be contiguous */
		uint64_t fo = off + done, n = MIN(len - done, PAGE - fo % PAGE);
		struct dax_pin *pin = dax_pin_file(hfs_dax_file(ip), fo, n, to_file ? DAX_PIN_WRITE : 0,
						   to_file ? "dma-write" : "dma-read", &err);
		if (!pin)
			break;
		struct dma_desc *d = &c->desc[0];
		memset(d, 0, sizeof(*d));
		uint64_t fp = dax_pin_phys(pin, fo % PAGE);
		d->src = to_file ? buf_phys + done : fp;
		d->dst = to_file ? fp : buf_phys + done;
		d->len = n;
		d->done = page_done;
		d->cookie = c;
		completion_init(&c->all_done);
		c->pins[0] = pin;
		c->pins[1] = NULL;
		c->outstanding = 1;
		c->error = 0;
		err = dma_submit(e, d);
		if (err)
			page_done(d, err);	/* never accepted: unpin now */
		wait_for_completion(&c->all_done);
		err = c->error;
		dax_unpin(pin);		/* the record; page_done() unpinned the page */
		done += n;
	}
	kfree(c);
	return err;
}

/* ------------------------------------------- block devices (NVMe) ---- */

/*
 * DMA between a block device with a submit op (NVMe) and a holdfs file,
 * zero copy: each command's PRPs are the file's own pmem pages.
 *
 * The path: dma_blk_copy -> job thread (blk_job_thread) -> per command:
 * dax_pin_file (its file range only) -> bd->ops->submit (the driver marks
 * rq.desc ACTIVE and rings the doorbell) -> completion interrupt ->
 * blk_cmd_done: dax_unpin_dma (the unpin rule: the driver has marked the
 * descriptor FREE, the controller is done with the pages; the last unpin
 * of a page wakes a truncate waiting for it) -> the job thread drops the
 * record (dax_unpin) and reuses the slot.  Up to BLK_WINDOW commands are
 * in flight, each pinning only its own pages, so a truncate waits for the
 * commands in its range only.
 *
 * 2 MiB windows (when the device offers them: bd->dma_windows, NVMe
 * behind an IOMMU): where the copy covers a whole 2 MiB-aligned block of
 * the file whose pmem is one aligned 2 MiB, the job pins that block as a
 * whole (the window pin, "2 MiB IOMMU window" in `pins`) before its first
 * command, instead of pinning each command's pages, and names it in each
 * command of the block (rq.win): their pages stay pinned until the
 * window ends, after the last of them has completed (never before).  The
 * driver then maps the block once, as one 2 MiB IOMMU page, instead of
 * 512 pages one by one; the mapping lasts until the job has moved past
 * the block and the block's last command has finished (blkdev.h,
 * blk_dma_window_put), and only after that does the job drop the window
 * pin.  So the
 * device can reach the whole block only while the whole block is pinned
 * for it, and a truncate in the block waits for the block's commands (at
 * most 2 MiB of them) rather than for one.  Without an IOMMU the device
 * reaches all memory anyway and no window is made.
 */
#define BLK_WINDOW	32		/* commands in flight per job */
#define BLK_CMD_PAGES	128		/* pages per command: 512 KiB (QEMU's MDTS) */
#define BLK_WINS	(BLK_WINDOW / 4 + 2)	/* windows a job holds at most */

/* A window (job thread only, but for w, which the driver shares). */
struct blk_win {
	struct blk_dma_window w;
	struct dax_pin *pin;		/* the whole block; NULL: slot free */
	uint64_t fo;			/* the block's first byte in the file */
	unsigned users;			/* commands in flight naming it */
	bool open;			/* later commands may still join */
};

enum { CMD_FREE, CMD_BUSY, CMD_DONE };

struct blk_cmd {
	struct blk_req rq;
	uint64_t pages[BLK_CMD_PAGES];
	struct dax_pin *pin;
	struct blk_win *win;		/* the window it names, or NULL */
	struct completion *any_done;	/* the job's */
	int state;			/* atomic: CMD_* */
	int status;			/* written before state = CMD_DONE */
	uint64_t bytes;			/* of the copy this slot moves */
};

struct blk_job {
	struct blk_cmd cmd[BLK_WINDOW];
	struct blk_win win[BLK_WINS];
	uint64_t no_win;		/* a block that cannot be a window; or ~0 */
	struct completion any_done;	/* one event per finished command */
};

/* done() of one command: interrupt context (or the driver's recovery
 * thread after a reset).  The device is done with the pages. */
static void blk_cmd_done(struct blk_req *rq, int status)
{
	struct blk_cmd *c = rq->cookie;

	if (c->pin)	/* in a window, its pages stay pinned until the window ends */
		dax_unpin_dma(c->pin, rq->first_off, rq->len, &rq->desc);
	c->status = status;
	__atomic_store_n(&c->state, CMD_DONE, __ATOMIC_RELEASE);
	complete(c->any_done);
}

/* Write zeros for [fo, fo+n) of a hole in the source: no page to pin, so
 * through the driver's own buffer.  Thread context. */
static int blk_write_zeros(struct blkdev *bd, uint64_t dev_off, uint64_t n)
{
	static const uint8_t zeros[PAGE];
	int err = 0;

	for (uint64_t d = 0; d < n && !err; d += MIN(n - d, (uint64_t)PAGE))
		err = bd->ops->write(bd, dev_off + d, zeros, MIN(n - d, (uint64_t)PAGE));
	return err;
}

/* Pin [fo, fo+n) of the job's file for the device, with the job's lease. */
static struct dax_pin *blk_pin(struct job *j, uint64_t fo, uint64_t n, int *err)
{
	struct hfs_inode *ip = j->to_file ? j->dst : j->src;
	struct dax_lease_req lease;

	job_lease(j, j->to_file ? 1 : 0, &lease);
	return dax_pin_file_lease(hfs_dax_file(ip), fo, n,
				  j->to_file ? DAX_PIN_WRITE | DAX_PIN_IN_SIZE : 0, &lease,
				  j->to_file ? "dma-cp (from NVMe)" : "dma-cp (to NVMe)", err);
}

/* Pin slot @c's [fo, fo + *n) of the file.  0 (pinned); 1 when the
 * source has a hole there: then only its first page piece is taken (*@n,
 * *@taken shrink) and, if that is the hole, it is written as zeros at once
 * and @c is done; or the error. */
static int blk_pin_cmd(struct job *j, struct blk_cmd *c, uint64_t fo, uint64_t dev_off,
		       uint64_t *n, uint64_t *taken)
{
	int err;

	c->pin = blk_pin(j, fo, *n, &err);
	if (!c->pin && err == -ENODATA && !j->to_file) {
		/* A hole somewhere in the range: its first page piece alone. */
		*n = MIN(*n, PAGE - fo % PAGE);
		*taken = *n;
		c->pin = blk_pin(j, fo, *n, &err);
		if (!c->pin && err == -ENODATA) {
			c->status = blk_write_zeros(j->bd, dev_off, *n);
			c->state = CMD_DONE;	/* nothing in flight: reaped at once */
			complete(c->any_done);
			return 1;
		}
	}
	return c->pin ? 0 : err;
}

/* Pin [fo, fo+n) of the file (unless @win's pin holds it) and submit it
 * as slot @c; *@taken says how many bytes that covers (less than @n when
 * the source has a hole: then only its first page piece is handled, a
 * hole written as zeros at once).  0, or the error (nothing left pinned). */
static int blk_start(struct job *j, struct blk_cmd *c, struct blk_win *win, uint64_t fo,
		     uint64_t dev_off, uint64_t n, uint64_t *taken)
{
	struct blkdev *bd = j->bd;
	char detail[DETAIL_LEN];
	int err;

	*taken = n;
	c->pin = NULL;
	/* a window's pin holds its pages; 1: a hole, written as zeros */
	if (!win && (err = blk_pin_cmd(j, c, fo, dev_off, &n, taken)))
		return err < 0 ? err : 0;
	memset(&c->rq, 0, sizeof(c->rq));
	c->rq.first_off = (unsigned)(fo % PAGE);
	c->rq.npages = (unsigned)DIV_ROUND_UP(c->rq.first_off + n, PAGE);
	for (unsigned k = 0; k < c->rq.npages; k++)
		c->pages[k] = win ? win->w.pa + ((fo - win->fo) & ~(uint64_t)(PAGE - 1)) +
					    (uint64_t)k * PAGE
				  : dax_pin_phys(c->pin, (uint64_t)k * PAGE);
	c->rq.pages = c->pages;
	c->rq.win = win ? &win->w : NULL;
	c->rq.write = !j->to_file;
	c->rq.off = dev_off;
	c->rq.len = n;
	c->rq.done = blk_cmd_done;
	c->rq.cookie = c;
	c->state = CMD_BUSY;
	/* Under sub_lock: a revoke either came first (nothing submitted) or
	 * comes after the device has the command (the IOMMU cuts it off). */
	mutex_lock(&j->sub_lock);
	err = job_is_revoked(j) ? -ECANCELED : bd->ops->submit(bd, &c->rq);
	mutex_unlock(&j->sub_lock);
	if (err) {
		c->state = CMD_FREE;
		if (c->pin)
			dax_unpin(c->pin);	/* never accepted: the device never saw the pages */
		c->pin = NULL;
		return err;
	}
	c->win = win;
	if (win)
		win->users++;
	snprintf(detail, sizeof(detail), "%s queue %u, command %u%s", bd->name, c->rq.hw_queue,
		 c->rq.hw_tag, win ? " and the rest of a 2 MiB IOMMU window" : "");
	dax_pin_set_detail(win ? win->pin : c->pin, detail);
	return 0;
}

static void win_release(struct blk_win *w)
{
	blk_dma_window_put(&w->w);	/* the last use: unmapped when this returns */
	dax_unpin(w->pin);
	w->pin = NULL;
}

/* The window for a command at [fo, fo + n) of the file, opening one for a
 * new block (and closing the ones before it) when it can; NULL when the
 * command goes without.  Job thread. */
static struct blk_win *win_for(struct job *j, struct blk_job *b, uint64_t fo, uint64_t n)
{
	uint64_t start = fo & ~(BLK_DMA_WINDOW - 1), base;
	struct blk_win *w = NULL;
	char detail[DETAIL_LEN];
	struct dax_pin *pin;
	int err;

	if (!j->bd->dma_windows || fo + n > start + BLK_DMA_WINDOW || start < j->file_off ||
	    start + BLK_DMA_WINDOW > j->file_off + j->info.total)
		return NULL;
	for (unsigned k = 0; k < BLK_WINS; k++)
		if (b->win[k].pin && b->win[k].open && b->win[k].fo == start)
			return &b->win[k];
	/* A new block: the copy has moved past the open ones. */
	for (unsigned k = 0; k < BLK_WINS; k++) {
		struct blk_win *o = &b->win[k];

		if (o->pin && o->open) {
			o->open = false;
			if (!o->users)
				win_release(o);
		}
	}
	if (b->no_win == start)
		return NULL;
	for (unsigned k = 0; k < BLK_WINS && !w; k++)
		if (!b->win[k].pin)
			w = &b->win[k];
	if (!w)
		return NULL;
	pin = blk_pin(j, start, BLK_DMA_WINDOW, &err);
	base = pin ? dax_pin_phys(pin, 0) : 0;
	for (uint64_t k = 1; pin && k < BLK_DMA_WINDOW / PAGE && base; k++)
		if (dax_pin_phys(pin, k * PAGE) != base + k * PAGE)
			base = 0;
	if (!pin || !base || base & (BLK_DMA_WINDOW - 1)) {
		if (pin)
			dax_unpin(pin);
		b->no_win = start;	/* not one aligned 2 MiB: page by page */
		return NULL;
	}
	blk_dma_window_init(&w->w, base);
	w->pin = pin;
	w->fo = start;
	w->users = 0;
	w->open = true;
	snprintf(detail, sizeof(detail), "%s: 2 MiB IOMMU window", j->bd->name);
	dax_pin_set_detail(pin, detail);
	return w;
}

static void blk_job_thread(void *arg)
{
	struct job *j = arg;
	struct blk_job *b = kzalloc(sizeof(*b));
	uint64_t pos = 0, done = 0, total = j->info.total;
	unsigned inflight = 0;
	uint64_t bs = j->bd->lba_size ? j->bd->lba_size : 1;
	int err = b ? 0 : -ENOMEM;

	if (b) {
		completion_init(&b->any_done);
		b->no_win = ~0ull;
	}
	for (unsigned k = 0; b && k < BLK_WINDOW; k++)
		b->cmd[k].any_done = &b->any_done;
	while (b) {
		/* Fill the window while there is work and no error or stop. */
		for (unsigned k = 0; k < BLK_WINDOW && !err && pos < total; k++) {
			struct blk_cmd *c = &b->cmd[k];
			uint64_t fo = j->file_off + pos;
			uint64_t n = MIN(total - pos, (uint64_t)BLK_CMD_PAGES * PAGE - fo % PAGE);

			if (c->state != CMD_FREE)
				continue;
			if (__atomic_load_n(&j->stop, __ATOMIC_ACQUIRE)) {
				err = -EINTR;
				break;
			}
			if (__atomic_load_n(&j->revoked, __ATOMIC_ACQUIRE)) {
				err = -ECANCELED;
				break;
			}
			n = MIN(n, j->bd->max_io);
			if (n > bs)
				n -= n % bs;
			if ((err = blk_start(j, c, win_for(j, b, fo, n), fo, j->dev_off + pos, n,
					     &c->bytes)))
				break;
			pos += c->bytes;
			inflight++;
		}
		complete_all(&j->started);
		if (!inflight)
			break;
		wait_for_completion(&b->any_done);
		for (unsigned k = 0; k < BLK_WINDOW; k++) {
			struct blk_cmd *c = &b->cmd[k];

			if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != CMD_DONE)
				continue;
			/* A revoked command's bytes went nowhere (the IOMMU
			 * blocked them), whatever its status says. */
			bool revoked = (c->pin && dax_pin_revoked(c->pin)) ||
				       (c->win && dax_pin_revoked(c->win->pin));

			if (c->pin)
				dax_unpin(c->pin);	/* the record; done() unpinned the pages */
			c->pin = NULL;
			if (c->win && --c->win->users == 0 && !c->win->open)
				win_release(c->win);
			c->win = NULL;
			if (c->status && !err)
				err = c->status;
			if (!c->status && !revoked)
				done += c->bytes;
			c->state = CMD_FREE;
			inflight--;
		}
		job_update(j, done, 0, false);
	}
	for (unsigned k = 0; b && k < BLK_WINS; k++)
		if (b->win[k].pin)		/* nothing in flight any more */
			win_release(&b->win[k]);
	if (__atomic_load_n(&j->revoked, __ATOMIC_ACQUIRE))
		err = -ECANCELED;		/* whatever the commands in flight said */
	if (!err)
		err = j->to_file ? hfs_fsync(j->dst) : j->bd->ops->flush ? j->bd->ops->flush(j->bd) : 0;
	kfree(b);
	file_put(j->to_file ? j->dstf : j->srcf);
	job_update(j, done, err, true);
	complete_all(&j->started);
	job_report(j, done, err);
	complete_all(&j->finished);
}

/* The block device @path names, if it has a submit op. */
static struct blkdev *dma_blkdev(const char *path)
{
	struct blkdev *bd = strncmp(path, "/dev/", 5) ? NULL : blkdev_lookup(path);

	return bd && bd->ops && bd->ops->submit ? bd : NULL;
}

bool dma_is_blkdev(const char *path)
{
	return dma_blkdev(path) != NULL;
}

int dma_blk_copy(const char *src, const char *dst, const struct dma_blk_range *r, bool wait,
		 int *result)
{
	struct blkdev *bd = dma_blkdev(src);
	bool to_file = bd != NULL;
	const char *file = to_file ? dst : src;
	struct hfs_inode *ip = NULL;
	struct file *f = NULL;
	struct hfs_stat st;
	uint64_t bs, len;
	struct job *j;
	int err;

	if ((err = dax_lease_check(r->lease)))
		return err;
	if (!bd && !(bd = dma_blkdev(dst)))
		return -ENODEV;
	if (dma_blkdev(file))
		return -EXDEV;		/* device to device: not here */
	bs = bd->lba_size ? bd->lba_size : 1;
	if (!vfs_mounted())
		return -ENODEV;
	if (!(j = job_alloc()))
		return -EAGAIN;
	strlcpy(j->info.src, src, sizeof(j->info.src));
	strlcpy(j->info.dst, dst, sizeof(j->info.dst));
	completion_init(&j->finished);
	completion_init(&j->started);
	err = vfs_file_open(file, to_file ? HFS_O_RDWR | HFS_O_CREAT | (r->file_off_set ? 0 : HFS_O_TRUNC)
				  : HFS_O_RDONLY, 0644, &f);
	if (!err && !(ip = vfs_file_hfs(f)))
		err = -EOPNOTSUPP;
	if (!err && !(err = hfs_getattr(ip, &st)) && (st.mode & HFS_S_IFMT) != HFS_S_IFREG)
		err = -EISDIR;
	len = r->len;
	if (!err && !r->len_set)
		len = to_file ? (r->dev_off < bd->size ? bd->size - r->dev_off : 0)
			      : (r->file_off < st.size ? st.size - r->file_off : 0);
	if (!err && (r->dev_off % bs || len % bs || !len || r->file_off % bs)) {
		kprintf("dma cp: %s: device offset %lu, file offset %lu and length %lu must be "
			"whole %lu-byte blocks\n", bd->name, r->dev_off, r->file_off, len, bs);
		err = -EINVAL;
	}
	if (!err && (r->dev_off > bd->size || len > bd->size - r->dev_off)) {
		kprintf("dma cp: %s: byte %lu+%lu is past the end of the device (%lu bytes)\n",
			bd->name, r->dev_off, len, bd->size);
		err = -EINVAL;
	}
	if (!err && !to_file && (r->file_off > st.size || len > st.size - r->file_off)) {
		kprintf("dma cp: %s: byte %lu+%lu is past the end of the file (%lu bytes)\n",
			file, r->file_off, len, st.size);
		err = -EINVAL;
	}
	if (!err && to_file && st.size < r->file_off + len)
		err = hfs_truncate(ip, r->file_off + len, NULL);
	if (err) {
		if (f)
			file_put(f);
		job_update(j, 0, err, true);
		return err;
	}
	j->bd = bd;
	j->lease = r->lease;
	j->to_file = to_file;
	j->dev_off = r->dev_off;
	j->file_off = r->file_off;
	if (to_file) {
		j->dstf = f;
		j->dst = ip;
	} else {
		j->srcf = f;
		j->src = ip;
	}
	j->info.total = len;
	err = job_start(j, "dma-cp-blk", blk_job_thread, wait, result);
	if (err < 0)
		file_put(f);
	return err;
}
