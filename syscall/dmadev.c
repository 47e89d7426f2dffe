/*
 * dmadev.c - /dev/dma0: the DMA engine (drivers/dma, channel 0) as a
 * device file for user programs; the interface is include/uapi/holdfast/dma.h,
 * the manual docs/dma0.4.md.
 *
 * One request: pin the source pages (read) and the destination pages
 * (write) of the calling process with pin_user_pages(), cut the copy into
 * descriptors that each stay inside one source page and one destination
 * page (the pages need not be contiguous in physical memory; the edu
 * engine moves at most its 4 KiB buffer per step anyway), submit them
 * all, and wait for the last completion.
 *
 * The unpin rule (include/drivers/dma.h): a page is unpinned in the done()
 * callback of the last descriptor that uses it (xdone), once
 * dma_unpin_check() agrees the engine no longer owns that descriptor;
 * never earlier, whatever the program does meanwhile (munmap, exit,
 * close: release waits for the device).  A descriptor never accepted by
 * dma_submit() goes through xdone() too.
 *
 * Leases (flags & HF_DMA_LEASE_MASK, include/fs/dax.h enum dax_lease):
 * with fail or revoke the record of the pmem pages (describe()) is
 * required and carries the lease, and those pages' pins are dropped
 * through it (dax_pin_drop_page), so that a revoke and xdone() drop each
 * exactly once.  A revoke (xrevoked, the record's callback) marks the
 * transfer and takes back its queued descriptors; the result is then
 * -ECANCELED.  The lease applies to layout changes that start once the
 * record exists (a truncate already waiting for those pages keeps waiting).
 *
 * Locking: struct dmadev.lock (mutex) serialises the ioctls and release of
 * one open file; a struct xfer's counters are atomics (xdone runs in
 * interrupt context), its completion is `done`; its sub_lock (mutex)
 * orders submitting against revoking.
 */
#include "sys_int.h"
#include <uapi/holdfast/dma.h>
#include <fs/vfs.h>
#include <fs/dax.h>
#include <fs/holdfs.h>
#include <drivers/dma.h>
#include <kernel/sync.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/uaccess.h>
#include <arch/x86_64/syscall.h>
#include <kernel/mm.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <drivers/pmem.h>

#define S_IFCHR		0020000
#define DMADEV_WHO	"/dev/dma0"

struct xdesc {
	struct dma_desc d;
	struct xfer *x;
	unsigned si, di;		/* the source and destination page it uses */
};

struct xfer {
	struct dma_engine *e;
	unsigned ndesc, nsrc, ndst;
	struct xdesc *desc;
	uint64_t *src_pa, *dst_pa;	/* pinned pages */
	uint32_t *src_uses, *dst_uses;	/* atomic: descriptors still using each */
	unsigned outstanding;		/* atomic */
	int error;			/* atomic: the first error */
	uint64_t start_ns, end_ns;
	struct completion done;
	struct dax_pin *record;		/* who holds the pmem pages, for `pins` */
	int *src_rec, *dst_rec;		/* page i's index in the record, or -1 */
	enum dax_lease lease;
	struct mutex sub_lock;		/* guards revoked against xsubmit */
	bool revoked;			/* sub_lock (atomic reads) */
};

struct dmadev {
	struct mutex lock;
	struct xfer *cur;		/* lock: a SUBMIT not yet waited for */
};

static void xfree(struct xfer *x)
{
	if (x->record)
		dax_unpin(x->record);		/* the record only: xdone() unpinned */
	kfree(x->desc);
	kfree(x->src_pa);
	kfree(x->dst_pa);
	kfree(x->src_uses);
	kfree(x->dst_uses);
	kfree(x->src_rec);
	kfree(x->dst_rec);
	kfree(x);
}

/* Drop page i's pin: through the record under a lease (a revoke may have
 * dropped it already), else directly. */
static void drop_pin(struct xfer *x, const uint64_t *pa, const int *rec, unsigned i)
{
	if (x->lease != DAX_LEASE_WAIT && x->record && rec && rec[i] >= 0)
		dax_pin_drop_page(x->record, (unsigned)rec[i]);
	else
		unpin_user_page(pa[i]);		/* the last unpin wakes a truncate */
}

static void drop_use(struct xfer *x, uint32_t *uses, const uint64_t *pa, const int *rec, unsigned i)
{
	if (__atomic_sub_fetch(&uses[i], 1, __ATOMIC_ACQ_REL) == 0)
		drop_pin(x, pa, rec, i);
}

/* A descriptor is over (or was never accepted): the unpin rule's place. */
static void xdone(struct dma_desc *d, int status)
{
	struct xdesc *xd = d->cookie;
	struct xfer *x = xd->x;
	int none = 0;

	if (status)
		__atomic_compare_exchange_n(&x->error, &none, status, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE);
	if (dma_unpin_check(d, DMADEV_WHO)) {
		drop_use(x, x->src_uses, x->src_pa, x->src_rec, xd->si);
		drop_use(x, x->dst_uses, x->dst_pa, x->dst_rec, xd->di);
	}
	if (__atomic_sub_fetch(&x->outstanding, 1, __ATOMIC_ACQ_REL) == 0) {
		x->end_ns = time_ns();
		complete(&x->done);
	}
}

static unsigned pages_of(uint64_t addr, uint64_t len)
{
	return (unsigned)((ALIGN_UP(addr + len, PAGE_SIZE) - ALIGN_DOWN(addr, PAGE_SIZE)) / PAGE_SIZE);
}

/*
 * A layout change revoked the record (its revoke callback: the truncating
 * thread, the file's layout lock held): no device reaches the pmem pages
 * any more.  Mark the transfer and take back what is still queued.
 */
static void xrevoked(struct dax_pin *pin, void *ctx)
{
	struct xfer *x = ctx;

	(void)pin;
	mutex_lock(&x->sub_lock);
	__atomic_store_n(&x->revoked, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < x->ndesc; i++)
		if (dma_desc_owned(&x->desc[i].d))
			dma_cancel(x->e, &x->desc[i].d);
	mutex_unlock(&x->sub_lock);
}

/*
 * A record of the pinned pmem pages, naming the process: for `pins` (best
 * effort under the wait lease), and the carrier of any other lease (then
 * 0 or -ENOMEM; with no pmem page at all there is nothing to lease).
 */
static int describe(struct xfer *x, const struct hf_dma_copy *rq)
{
	struct pmem_page **pages = kmalloc((x->nsrc + x->ndst) * sizeof(*pages));
	struct dax_lease_req lease = { x->lease, xrevoked, x, NULL };
	struct proc *p = proc_current();
	char who[48], what[48];
	unsigned k = 0;
	int err = x->lease == DAX_LEASE_WAIT ? 0 : -ENOMEM;

	x->src_rec = kmalloc(x->nsrc * sizeof(int));
	x->dst_rec = kmalloc(x->ndst * sizeof(int));
	if (!pages || !x->src_rec || !x->dst_rec) {
		kfree(pages);
		return err;
	}
	for (unsigned i = 0; i < x->nsrc + x->ndst; i++) {
		bool src = i < x->nsrc;
		uint64_t pa = src ? x->src_pa[i] : x->dst_pa[i - x->nsrc];
		struct pmem_page *pg = pmem_phys_to_page(pa);
		int *rec = src ? &x->src_rec[i] : &x->dst_rec[i - x->nsrc];

		*rec = pg ? (int)k : -1;
		if (pg)
			pages[k++] = pg;
	}
	snprintf(who, sizeof(who), "pid %d %s", p->pid, p->name);
	if (!(x->record = dax_pin_record(pages, k, who))) {
		kfree(pages);
		return k ? err : 0;
	}
	dax_pin_set_pid(x->record, p->pid);
	snprintf(what, sizeof(what), "/dev/dma0: %u descriptors, %lu bytes", x->ndesc, rq->len);
	dax_pin_set_detail(x->record, what);
	return x->lease == DAX_LEASE_WAIT ? 0 : dax_pin_set_lease(x->record, &lease);
}

/* Pin both ranges and build the descriptors: a new xfer, or NULL with *err. */
static struct xfer *xprepare(const struct hf_dma_copy *rq, int *err)
{
	struct mm *mm = proc_current()->mm;
	struct xfer *x;

	*err = -EINVAL;
	if ((rq->flags & ~HF_DMA_LEASE_MASK) || !rq->len || rq->len > HF_DMA_MAX_LEN || rq->src + rq->len < rq->src ||
	    rq->dst + rq->len < rq->dst || rq->src + rq->len > USER_TOP ||
	    rq->dst + rq->len > USER_TOP)
		return NULL;
	/* The lease: an unknown one is -EINVAL, revoke without the IOMMU
	 * -EOPNOTSUPP, before anything is pinned. */
	if ((*err = dax_lease_check((int)(rq->flags & HF_DMA_LEASE_MASK))))
		return NULL;
	*err = -ENODEV;
	struct dma_engine *e = dma_get_engine(0);
	if (!e)
		return NULL;
	*err = -ENOMEM;
	if (!(x = kzalloc(sizeof(*x))))
		return NULL;
	x->e = e;
	x->lease = (enum dax_lease)(rq->flags & HF_DMA_LEASE_MASK);
	mutex_init(&x->sub_lock, "dma0_xfer");
	x->nsrc = pages_of(rq->src, rq->len);
	x->ndst = pages_of(rq->dst, rq->len);
	x->src_pa = kzalloc(x->nsrc * sizeof(uint64_t));
	x->dst_pa = kzalloc(x->ndst * sizeof(uint64_t));
	x->src_uses = kzalloc(x->nsrc * sizeof(uint32_t));
	x->dst_uses = kzalloc(x->ndst * sizeof(uint32_t));
	x->desc = kzalloc((x->nsrc + x->ndst) * sizeof(struct xdesc));
	if (!x->src_pa || !x->dst_pa || !x->src_uses || !x->dst_uses || !x->desc)
		goto out_free;
	completion_init(&x->done);
	x->start_ns = time_ns();
	*err = pin_user_pages(mm, ALIGN_DOWN(rq->src, PAGE_SIZE), x->nsrc, 0, x->src_pa);
	if (*err)
		goto out_free;
	*err = pin_user_pages(mm, ALIGN_DOWN(rq->dst, PAGE_SIZE), x->ndst, DAX_PIN_WRITE, x->dst_pa);
	if (*err)
		goto out_unpin_src;
	for (uint64_t done = 0; done < rq->len;) {
		uint64_t s = rq->src + done, t = rq->dst + done;
		uint64_t n = MIN(rq->len - done, MIN(PAGE_SIZE - s % PAGE_SIZE, PAGE_SIZE - t % PAGE_SIZE));
		struct xdesc *xd = &x->desc[x->ndesc++];

		xd->x = x;
		xd->si = (unsigned)((ALIGN_DOWN(s, PAGE_SIZE) - ALIGN_DOWN(rq->src, PAGE_SIZE)) / PAGE_SIZE);
		xd->di = (unsigned)((ALIGN_DOWN(t, PAGE_SIZE) - ALIGN_DOWN(rq->dst, PAGE_SIZE)) / PAGE_SIZE);
		xd->d.src = x->src_pa[xd->si] + s % PAGE_SIZE;
		xd->d.dst = x->dst_pa[xd->di] + t % PAGE_SIZE;
		xd->d.len = n;
		xd->d.done = xdone;
		xd->d.cookie = xd;
		x->src_uses[xd->si]++;
		x->dst_uses[xd->di]++;
		done += n;
	}
	x->outstanding = x->ndesc;
	if ((*err = describe(x, rq)))
		goto out_unpin_both;
	return x;
out_unpin_both:
	/* Nothing submitted: every page still has its pin (a revoke cannot
	 * have run: the lease was not set). */
	for (unsigned i = 0; i < x->ndst; i++)
		unpin_user_page(x->dst_pa[i]);
out_unpin_src:
	for (unsigned i = 0; i < x->nsrc; i++)
		unpin_user_page(x->src_pa[i]);
out_free:
	xfree(x);
	return NULL;
}

/* Hand every descriptor to the engine; a refused one is done at once. */
static void xsubmit(struct xfer *x)
{
	mutex_lock(&x->sub_lock);
	for (unsigned i = 0; i < x->ndesc; i++) {
		int err = x->revoked ? -ECANCELED : dma_submit(x->e, &x->desc[i].d);
		if (err)
			xdone(&x->desc[i].d, err);	/* never accepted: unpin now */
	}
	mutex_unlock(&x->sub_lock);
}

/* Wait for the device; an interrupt cancels what has not run (still
 * waiting for every done(), so the pages are unpinned before we return). */
static int xwait(struct xfer *x, struct hf_dma_copy *rq)
{
	if (wait_for_completion_interruptible(&x->done)) {
		for (unsigned i = 0; i < x->ndesc; i++)
			dma_cancel(x->e, &x->desc[i].d);
		wait_for_completion(&x->done);
	}
	rq->result = __atomic_load_n(&x->error, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&x->revoked, __ATOMIC_ACQUIRE))
		rq->result = -ECANCELED;	/* whatever reached the pages was cut off */
	rq->ns = x->end_ns - x->start_ns;
	xfree(x);
	return 0;
}

int64_t dmadev_ioctl(struct file *f, uint64_t cmd, uint64_t arg)
{
	struct dmadev *dv = file_priv(f);
	struct hf_dma_copy rq;
	struct xfer *x;
	int err = 0;

	if (cmd != HF_DMA_COPY && cmd != HF_DMA_SUBMIT && cmd != HF_DMA_WAIT)
		return -ENOTTY;
	if (copy_from_user(&rq, arg, sizeof(rq)))
		return -EFAULT;
	mutex_lock(&dv->lock);
	if (cmd == HF_DMA_WAIT) {
		if (!dv->cur) {
			err = -EINVAL;		/* nothing submitted */
			goto out;
		}
		xwait(dv->cur, &rq);
		dv->cur = NULL;
	} else {
		if (cmd == HF_DMA_SUBMIT && dv->cur) {
			err = -EBUSY;		/* one in flight per open file */
			goto out;
		}
		if (!(x = xprepare(&rq, &err)))
			goto out;
		xsubmit(x);
		if (cmd == HF_DMA_SUBMIT) {
			dv->cur = x;
			goto out;
		}
		xwait(x, &rq);
	}
	if (copy_to_user(arg, &rq, sizeof(rq)))
		err = -EFAULT;
out:
	mutex_unlock(&dv->lock);
	return err;
}

static int dmadev_getattr(struct file *f, struct hfs_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->mode = S_IFCHR | 0666;
	st->nlink = 1;
	return 0;
}

/* The last close: a transfer still in flight is waited for (the device
 * may be writing the pages), then freed. */
static void dmadev_release(struct file *f)
{
	struct dmadev *dv = file_priv(f);
	struct hf_dma_copy rq;

	if (dv->cur)
		xwait(dv->cur, &rq);
	kfree(dv);
}

static const struct file_ops dmadev_ops = {
	.getattr = dmadev_getattr,
	.release = dmadev_release,
};

bool dmadev_is(struct file *f)
{
	return file_fops(f) == &dmadev_ops;
}

struct file *dmadev_open(void)
{
	struct dmadev *dv = kzalloc(sizeof(*dv));
	struct file *f;

	if (!dv)
		return NULL;
	mutex_init(&dv->lock, "dma0");
	f = file_special(&dmadev_ops, dv, HFS_O_RDWR);
	if (!f)
		kfree(dv);
	return f;
}
