/*
 * blkdirect.c - O_DIRECT reads and writes of a block device with a
 * zero-copy op (NVMe: /dev/nvme0n1), docs/13-nvme.md "From user space:
 * O_DIRECT".
 *
 * One call: check the buffer address, length and offset against the
 * device's LBA size (-EINVAL, the value named on the console), clip the
 * length at the end of the device, then per window of at most
 * DIRECT_WINDOW bytes: pin the user pages with pin_user_pages() (DAX file
 * pages of a MAP_SHARED mapping or anonymous memory; DAX_PIN_WRITE when
 * the device writes them, i.e. a read), cut the window into commands of at
 * most DIRECT_CMD bytes (several in flight), hand each to bd->ops->submit
 * as a struct blk_req with the pinned pages' physical addresses, and wait
 * for the last done().
 *
 * The unpin rule (include/drivers/blkdev.h, include/drivers/dma.h): a
 * page may be used by two commands (a buffer that is LBA- but not page-
 * aligned), so each page counts the commands still using it, and it is
 * unpinned in the done() of the last one (cmd_done), once
 * dma_unpin_check() agrees the controller no longer owns the command.  A
 * command the driver refuses (done() not called) goes through cmd_done
 * too.  The caller waits for every done() before it returns, whatever the
 * errors, so no pin outlives the call.
 *
 * Locking: none of our own; a window's counters are atomics (cmd_done
 * runs in interrupt context), its completion is `done`.
 */
#include "sys_int.h"
#include <fs/vfs.h>
#include <fs/dax.h>
#include <drivers/blkdev.h>
#include <drivers/dma.h>
#include <drivers/pmem.h>
#include <kernel/sync.h>
#include <kernel/proc.h>
#include <kernel/uaccess.h>
#include <kernel/mm.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <kernel/printk.h>
#include <fs/holdfs.h>

#define DIRECT_WINDOW	(4u << 20)	/* bytes pinned at a time */
#define DIRECT_CMD	(128u << 10)	/* bytes per command at most */
#define DIRECT_WHO	"O_DIRECT"
#define DIRECT_SAY_MAX	16		/* console lines about bad requests */

struct dcmd {
	struct blk_req rq;
	struct dwin *w;
	unsigned first;			/* index of its first page in w->pa */
};

struct dwin {
	uint64_t *pa;			/* pinned pages */
	uint32_t *uses;			/* atomic: commands still using each */
	unsigned npages, ncmd;
	struct dcmd *cmd;
	unsigned outstanding;		/* atomic */
	int error;			/* atomic: the first error */
	struct completion done;
};

static unsigned said;

/* Name the bad value once per bad call (at most DIRECT_SAY_MAX lines). */
static int bad(const struct blkdev *bd, const char *what, uint64_t v, uint32_t lba)
{
	if (__atomic_add_fetch(&said, 1, __ATOMIC_RELAXED) <= DIRECT_SAY_MAX)
		kprintf("%s: O_DIRECT %s %#lx is not a multiple of the block size %u (pid %d): "
			"EINVAL\n", bd->name, what, v, lba, proc_current()->pid);
	return -EINVAL;
}

/* A command is over (or was never accepted): the unpin rule's place. */
static void cmd_done(struct blk_req *rq, int status)
{
	struct dcmd *c = rq->cookie;
	struct dwin *w = c->w;
	int none = 0;

	if (status)
		__atomic_compare_exchange_n(&w->error, &none, status, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE);
	if (dma_unpin_check(&rq->desc, DIRECT_WHO)) {
		for (unsigned i = 0; i < rq->npages; i++) {
			unsigned k = c->first + i;
			if (__atomic_sub_fetch(&w->uses[k], 1, __ATOMIC_ACQ_REL) == 0)
				unpin_user_page(w->pa[k]);	/* the last unpin wakes a truncate */
		}
	}
	if (__atomic_sub_fetch(&w->outstanding, 1, __ATOMIC_ACQ_REL) == 0)
		complete(&w->done);
}

static unsigned pages_of(uint64_t addr, uint64_t len)
{
	return (unsigned)((ALIGN_UP(addr + len, PAGE_SIZE) - ALIGN_DOWN(addr, PAGE_SIZE)) / PAGE_SIZE);
}

/* A record of the pinned pmem pages for `pins` (best effort): NULL when
 * none is pmem or no memory. */
static struct dax_pin *describe(struct blkdev *bd, struct dwin *w, bool write, uint64_t off,
				uint64_t len)
{
	struct pmem_page **pages = kmalloc(w->npages * sizeof(*pages));
	struct proc *p = proc_current();
	struct dax_pin *pin;
	char who[48], what[64];		/* until submission names the queue */
	unsigned k = 0;

	if (!pages)
		return NULL;
	for (unsigned i = 0; i < w->npages; i++) {
		struct pmem_page *pg = pmem_phys_to_page(w->pa[i]);
		if (pg)
			pages[k++] = pg;
	}
	snprintf(who, sizeof(who), "pid %d %s", p->pid, p->name);
	if (!(pin = dax_pin_record(pages, k, who))) {
		kfree(pages);
		return NULL;
	}
	dax_pin_set_pid(pin, p->pid);
	snprintf(what, sizeof(what), "%s %s %lu+%lu O_DIRECT: %u commands", bd->name,
		 write ? "write" : "read", off, len, w->ncmd);
	dax_pin_set_detail(pin, what);
	return pin;
}

/* Name the first command's queue and id in the record (the driver set
 * them at submission; the command may be over already: harmless). */
static void say_queue(struct dax_pin *pin, struct blkdev *bd, struct dwin *w, bool write,
		      uint64_t off, uint64_t len)
{
	char what[64];		/* the record keeps 63 characters */
	int n;

	n = snprintf(what, sizeof(what), "%s %s %lu+%lu O_DIRECT: queue %u, command %u", bd->name,
		     write ? "write" : "read", off, len, w->cmd[0].rq.hw_queue, w->cmd[0].rq.hw_tag);
	if (w->ncmd > 1 && n > 0 && (size_t)n < sizeof(what))
		snprintf(what + n, sizeof(what) - (size_t)n, " +%u", w->ncmd - 1);
	dax_pin_set_detail(pin, what);
}

/* One window: pin, submit every command, wait for every done(). */
static int do_window(struct blkdev *bd, uint64_t ubuf, uint64_t len, uint64_t off, bool write)
{
	struct dwin w = { 0 };
	struct dax_pin *record;
	uint64_t base = ALIGN_DOWN(ubuf, PAGE_SIZE);
	uint64_t cmdmax = MIN((uint64_t)DIRECT_CMD, bd->max_io ? bd->max_io : DIRECT_CMD);
	int err;

	w.npages = pages_of(ubuf, len);
	w.pa = kzalloc(w.npages * sizeof(uint64_t));
	w.uses = kzalloc(w.npages * sizeof(uint32_t));
	w.cmd = kzalloc((len / cmdmax + 1) * sizeof(struct dcmd));
	err = -ENOMEM;
	if (!w.pa || !w.uses || !w.cmd)
		goto out;
	completion_init(&w.done);
	/* The pin is taken here, before the device can know about the pages. */
	err = pin_user_pages(proc_current()->mm, base, w.npages, write ? 0 : DAX_PIN_WRITE, w.pa);
	if (err)
		goto out;
	for (uint64_t d = 0; d < len;) {
		uint64_t a = ubuf + d, n = MIN(len - d, cmdmax);
		struct dcmd *c = &w.cmd[w.ncmd++];

		c->w = &w;
		c->first = (unsigned)((ALIGN_DOWN(a, PAGE_SIZE) - base) / PAGE_SIZE);
		c->rq.write = write;
		c->rq.off = off + d;
		c->rq.len = n;
		c->rq.pages = &w.pa[c->first];
		c->rq.npages = pages_of(a, n);
		c->rq.first_off = (unsigned)(a % PAGE_SIZE);
		c->rq.done = cmd_done;
		c->rq.cookie = c;
		for (unsigned i = 0; i < c->rq.npages; i++)
			w.uses[c->first + i]++;
		d += n;
	}
	w.outstanding = w.ncmd;
	record = describe(bd, &w, write, off, len);
	for (unsigned i = 0; i < w.ncmd; i++) {
		int e = bd->ops->submit(bd, &w.cmd[i].rq);
		if (e)
			cmd_done(&w.cmd[i].rq, e);	/* never accepted: unpin now */
		else if (i == 0 && record)
			say_queue(record, bd, &w, write, off, len);
	}
	wait_for_completion(&w.done);		/* every done() ran: no pin left */
	if (record)
		dax_unpin(record);		/* the record only: cmd_done unpinned */
	err = __atomic_load_n(&w.error, __ATOMIC_ACQUIRE);
out:
	kfree(w.pa);
	kfree(w.uses);
	kfree(w.cmd);
	return err;
}

bool blk_direct_can(struct file *f)
{
	struct blkdev *bd = file_blkdev(f);

	return bd && bd->ops && bd->ops->submit;
}

int64_t blk_direct_io(struct file *f, uint64_t ubuf, uint64_t len, int64_t off, bool write)
{
	struct blkdev *bd = file_blkdev(f);
	uint32_t lba;
	uint64_t pos, done = 0;
	int err = 0;

	if (!bd || !bd->ops || !bd->ops->submit)
		return -EINVAL;
	lba = bd->lba_size ? bd->lba_size : 1;
	if (write && (file_flags(f) & HFS_O_ACCMODE) == HFS_O_RDONLY)
		return -EBADF;
	if (!write && (file_flags(f) & HFS_O_ACCMODE) == HFS_O_WRONLY)
		return -EBADF;
	pos = off < 0 ? (uint64_t)file_lseek(f, 0, 1 /* SEEK_CUR */) : (uint64_t)off;
	if ((int64_t)pos < 0)
		return (int64_t)pos;
	if (lba < 4)
		lba = 4;		/* a blk_req's first_off is a multiple of 4 */
	if (ubuf % lba)
		return bad(bd, "buffer", ubuf, lba);
	if (len % lba)
		return bad(bd, "length", len, lba);
	if (pos % lba)
		return bad(bd, "offset", pos, lba);
	if (pos > bd->size)
		return -EINVAL;
	if (pos == bd->size)
		return write && len ? -ENOSPC : 0;
	len = MIN(len, bd->size - pos);
	if (!user_range_ok(ubuf, len))
		return -EFAULT;
	while (done < len) {
		uint64_t n = MIN(len - done, (uint64_t)DIRECT_WINDOW);
		err = do_window(bd, ubuf + done, n, pos + done, write);
		if (err)
			break;
		done += n;
	}
	if (off < 0 && done)
		file_lseek(f, (int64_t)(pos + done), 0 /* SEEK_SET */);
	return done ? (int64_t)done : err;
}
