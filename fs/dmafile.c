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
 */
#include <fs/dmafile.h>
#include <fs/dax.h>
#include <fs/vfs.h>
#include <drivers/dma.h>
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
	struct completion finished;
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
	struct dax_pin *ps, *pd;
	unsigned n = 0;
	int err;

	ps = dax_pin_file(hfs_dax_file(j->src), off, len, 0, "dma-cp (source)", &err);
	if (!ps)
		return err == -ENODATA ? 0 : err;	/* a hole: the copy reads zeros */
	/* The destination was sized at the start: a chunk past its end now
	 * means it was truncated under the copy, which then stops (-ESTALE)
	 * instead of allocating blocks past the new end of file. */
	pd = dax_pin_file(hfs_dax_file(j->dst), off, len, DAX_PIN_WRITE | DAX_PIN_IN_SIZE, "dma-cp", &err);
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
	for (; n < pages; n++) {
		struct dma_desc *d = &c->desc[n];
		if ((err = dma_submit(e, d))) {
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
	complete_all(&j->started);
	wait_for_completion(&c->all_done);
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
	kprintf("dma job %u: %s %lu bytes %s -> %s in %lu ms%s%s\n", j->info.id,
		err ? "failed after" : "copied", done, j->info.src, j->info.dst,
		(j->info.finished_ns - j->info.started_ns) / 1000000,
		err ? ": " : "", err == -ESTALE ? "the destination was truncated under the copy" :
		err ? strerror(err) : "");
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
			j->info.id = ++next_id;
			break;
		}
	}
	spin_unlock(&job_lock);
	return j;
}

int dma_file_copy(const char *src, const char *dst, bool wait, int *result)
{
	struct hfs_stat st;
	struct thread *th;
	struct job *j;
	int err;

	if (!vfs_mounted())
		return -ENODEV;
	if (dma_engine_count() == 0)
		return -ENODEV;
	if (!(j = job_alloc()))
		return -EAGAIN;
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
	j->info.started_ns = time_ns();
	th = thread_create("dma-cp", job_thread, j);
	if (!th) {
		file_put(j->srcf);
		file_put(j->dstf);
		job_update(j, 0, -ENOMEM, true);
		return -ENOMEM;
	}
	thread_detach(th);
	/* Return once the device has its first pages pinned, so whatever the
	 * caller does next (a truncate...) meets the DMA in flight. */
	wait_for_completion(&j->started);
	if (wait) {
		/* Interrupted: the copy stops after the chunk in flight (at
		 * most CHUNK_PAGES transfers), and this returns once it has. */
		if (wait_for_completion_interruptible(&j->finished)) {
			__atomic_store_n(&j->stop, true, __ATOMIC_RELEASE);
			wait_for_completion(&j->finished);
		}
		if (result)
			*result = j->info.error;
	}
	return (int)j->info.id;
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
