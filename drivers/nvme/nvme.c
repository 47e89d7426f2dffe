/*
 * nvme.c - NVM Express controllers (QEMU's `nvme`, and anything that
 * follows the NVMe 1.4 base specification as far as used here).
 *
 * What it owns: each controller found by PCI class 01/08/02, its admin
 * queue, one I/O queue pair per CPU (as many as Set Features Number of
 * Queues grants, at most NVME_MAX_IOQ), and a block device per active
 * namespace (nvme0n1, nvme0n2 ...) in the blkdev registry.
 *
 * Interface (include/drivers/blkdev.h, include/drivers/nvme.h):
 *   - blkdev ops read/write: byte ranges through a bounce buffer in DRAM
 *     (the shell's cp, hexdump, crc32 on /dev/nvme0n1);
 *   - blkdev op submit: zero copy, the caller's pinned pages become the
 *     command's PRPs; its done() is called exactly once (the unpin rule);
 *   - nvme_info() for `nvme`, nvme_set_timeout() and nvme_test_fault() for
 *     tests.
 *
 * One command's path: nvme_submit() checks the request, picks the queue of
 * the CPU it runs on, takes a free command id (sleeping if all are in
 * flight), builds the SQ entry and its PRPs (PRP1 the first page, PRP2 the
 * second page or a PRP list), marks rq->desc ACTIVE and rings the SQ tail
 * doorbell.  The controller DMAs, posts a CQ entry and raises the queue's
 * MSI-X vector; q_reap() takes every new entry (phase bit), frees the
 * command id, marks rq->desc FREE, rings the CQ head doorbell, and after
 * dropping the lock calls rq->done(rq, status).
 *
 * The IOMMU (include/drivers/iommu.h): the controller is given I/O
 * addresses, never physical ones.  Its rings and PRP list pages are mapped
 * for it once, when the queues are made (SQ and PRP lists read-only for
 * it, CQ writable); an Identify buffer only while the command runs; the
 * data pages of each I/O command are mapped at submission as one I/O
 * range (iommu_dma_map_pages: PRPs are then consecutive I/O pages) and
 * unmapped in finish(), before done() can unpin them.  A request that
 * names a 2 MiB window (blkdev.h: the caller keeps the whole 2 MiB
 * pinned) shares one 2 MiB IOMMU page with the window's other requests,
 * mapped by the first and unmapped when the window's last user lets go
 * (blk_dma_window_put): QEMU's intel-iommu then translates once per
 * 2 MiB, not once per page.  With remapping off
 * the I/O addresses are the physical ones.
 *
 * Faults: a watchdog (ktimer, every NVME_WATCH_NS) reaps the CQs (a lost
 * interrupt costs latency, not a hang) and finds commands older than the
 * timeout; the recovery thread then sends Abort for each, and when one is
 * still in flight a timeout later, resets the controller: CC.EN = 0 and
 * CSTS.RDY = 0 means the controller has stopped all DMA [NVMe 7.3.2]; only
 * then is each command in flight failed (-EIO, "failed by controller
 * reset") and its done() called, and the queues are built again.
 *
 * Locking:
 *  - nvme_q.lock (spinlock, irqsave: the MSI-X handler, the watchdog and
 *    submitters take it) guards the fields grouped under it in struct
 *    nvme_q and the SQ/CQ memory and doorbells of that queue.  done() is
 *    called without it.
 *  - nvme_ctrl.admin_lock (mutex) serialises admin commands, which are
 *    polled (the admin CQ's vector is never unmasked).
 *  - ctrl->state changes under every queue lock of the controller (so a
 *    submitter holding one queue lock sees a stable state).
 * Lock order: admin_lock -> nvme_q.lock -> timer_lock.
 *
 * Every value read from the device is checked: CAP fields, CSTS (all ones:
 * the device is gone), Identify fields (entry sizes, namespace count,
 * LBA formats), completion entries (phase, command id in range and in
 * flight, SQ head in range).  A bad one is reported with its value.
 *
 * Reference: [NVMe] NVM Express Base Specification 1.4c (register and
 * field names below follow it); QEMU 7.2 hw/nvme/ behaves as it says.
 */
#include <drivers/nvme.h>
#include <drivers/blkdev.h>
#include <drivers/dma.h>
#include <drivers/iommu.h>
#include <drivers/pci.h>
#include <arch/x86_64/irq.h>
#include <arch/x86_64/percpu.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>
#include "nvme_regs.h"

#define ADMIN_DEPTH		16		/* admin SQ/CQ entries */
#define IO_DEPTH		64		/* I/O SQ/CQ entries; 63 in flight */
#define ADMIN_TIMEOUT_NS	(5ULL * 1000 * 1000 * 1000)
#define NVME_WATCH_NS		(100ULL * 1000 * 1000)
#define NVME_POLL_NS		(1ULL * 1000 * 1000)
#define BOUNCE_PAGES		32		/* per namespace: 128 KiB */
#define MAX_XFER_CAP		(512u * NVME_PAGE)	/* one PRP list page */
#define MS			(1000ULL * 1000)

struct nvme_ctrl;

struct nvme_q {
	/* set at creation, then read-only */
	struct nvme_ctrl *c;
	unsigned qid, depth;
	struct nvme_sqe *sq;
	volatile struct nvme_cqe *cq;
	uint64_t sq_pa, cq_pa;
	volatile uint32_t *sq_db, *cq_db;
	uint64_t prp_pa[IO_DEPTH];		/* a PRP list page per command id */
	uint64_t sq_io, cq_io;			/* ... as the controller addresses them */
	uint64_t prp_io[IO_DEPTH];
	int vector;				/* -1: none of its own */
	struct wait_queue slot_wq;		/* submitters waiting for a free id */

	spinlock_t lock;
	/* under lock */
	uint16_t sq_tail, cq_head;
	uint8_t phase;				/* the phase a new CQ entry carries */
	uint64_t busy;				/* bit i: command id i in flight */
	struct blk_req *slot[IO_DEPTH];
	uint64_t abort_ns[IO_DEPTH];		/* Abort sent at; 0: none */
	bool timed_out[IO_DEPTH];
	unsigned inflight, max_inflight;
	uint64_t submitted, completed, errors;
	uint64_t irqs;				/* atomic: interrupts taken */
};

struct nvme_ns {
	struct nvme_ctrl *c;
	unsigned nsid;
	uint64_t blocks;
	unsigned lba_shift;
	struct blkdev bd;
	struct mutex bounce_lock;		/* guards bounce */
	uint64_t bounce_pa;
};

enum ctrl_state { CTRL_LIVE, CTRL_RESETTING, CTRL_DEAD };

struct nvme_ctrl {
	/* set at probe, then read-only */
	struct pci_dev *pci;
	char name[8];
	volatile uint8_t *regs;
	uint64_t bar_size;
	uint64_t cap;
	unsigned dstrd, nq;
	unsigned nn;				/* Identify NN: highest namespace ID */
	unsigned nns;				/* namespaces registered (ns[]) */
	uint64_t ready_timeout_ns;
	uint64_t max_xfer;
	bool vwc;
	const char *irq_mode;
	char model[41], serial[21], firmware[9];
	uint32_t version;
	struct nvme_ns ns[NVME_MAX_NS];
	struct ktimer watch, poll;
	bool polled;
	bool msix;				/* entry q for I/O queue q */

	struct mutex admin_lock;
	/* under admin_lock */
	struct nvme_q aq;
	uint16_t admin_cid;

	struct nvme_q ioq[NVME_MAX_IOQ];

	/* written under every queue lock; read under any one, or racy for
	 * messages */
	enum ctrl_state state;

	/* recovery: recover_pending is atomic; the thread owns the rest */
	struct wait_queue recover_wq;
	bool recover_pending;
	uint64_t timeout_ns;			/* atomic */

	/* counters, atomic */
	uint64_t timeouts, aborts, resets, errors;
	unsigned inflight, max_inflight;	/* over every I/O queue */
	unsigned fault_bad_lba;			/* test: the Nth next command gets a bad LBA */
	unsigned fault_lose_cqe;		/* test: next N completions are "lost" */
	unsigned fault_hold_ms;			/* test: hold the next doorbell this long */
	uint64_t held_until;			/* atomic; I/O doorbells held till then */
};

static struct nvme_ctrl *ctrls[NVME_MAX_CTRLS];
static unsigned nctrls;				/* probe only (pci_init_lock) */

/* --------------------------------------------------------- registers ---- */

static uint32_t rd32(struct nvme_ctrl *c, unsigned off)
{
	return *(volatile uint32_t *)(c->regs + off);
}

static void wr32(struct nvme_ctrl *c, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(c->regs + off) = v;
}

/* 64-bit registers as two dword accesses, low first [NVMe 3.1]. */
static uint64_t rd64(struct nvme_ctrl *c, unsigned off)
{
	uint64_t lo = rd32(c, off);

	return lo | (uint64_t)rd32(c, off + 4) << 32;
}

static void wr64(struct nvme_ctrl *c, unsigned off, uint64_t v)
{
	wr32(c, off, (uint32_t)v);
	wr32(c, off + 4, (uint32_t)(v >> 32));
}

static volatile uint32_t *doorbell(struct nvme_ctrl *c, unsigned qid, bool cq)
{
	return (volatile uint32_t *)(c->regs + NVME_REG_DBS +
				     (2 * qid + (cq ? 1 : 0)) * (4u << c->dstrd));
}

/* ------------------------------------------------------ status words ---- */

static const struct { uint16_t code; const char *name; } status_names[] = {
	{ 0x000, "Successful Completion" },
	{ 0x001, "Invalid Command Opcode" },
	{ 0x002, "Invalid Field in Command" },
	{ 0x003, "Command ID Conflict" },
	{ 0x004, "Data Transfer Error" },
	{ 0x005, "Commands Aborted due to Power Loss Notification" },
	{ 0x006, "Internal Error" },
	{ 0x007, "Command Abort Requested" },
	{ 0x008, "Command Aborted due to SQ Deletion" },
	{ 0x009, "Command Aborted due to Failed Fused Command" },
	{ 0x00A, "Command Aborted due to Missing Fused Command" },
	{ 0x00B, "Invalid Namespace or Format" },
	{ 0x00C, "Command Sequence Error" },
	{ 0x013, "PRP Offset Invalid" },
	{ 0x080, "LBA Out of Range" },
	{ 0x081, "Capacity Exceeded" },
	{ 0x082, "Namespace Not Ready" },
	{ 0x100, "Completion Queue Invalid" },
	{ 0x101, "Invalid Queue Identifier" },
	{ 0x102, "Invalid Queue Size" },
	{ 0x103, "Abort Command Limit Exceeded" },
	{ 0x108, "Invalid Interrupt Vector" },
	{ 0x10A, "Invalid Format" },
	{ 0x280, "Write Fault" },
	{ 0x281, "Unrecovered Read Error" },
	{ 0x282, "End-to-end Guard Check Error" },
	{ 0x285, "Compare Failure" },
	{ 0x286, "Access Denied" },
	{ 0x287, "Deallocated or Unwritten Logical Block" },
};

const char *nvme_status_name(unsigned sct_sc)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (status_names[i].code == sct_sc)
			return status_names[i].name;
	switch (sct_sc >> 8) {
	case NVME_SCT_GENERIC: return "generic error";
	case NVME_SCT_CMD: return "command specific error";
	case NVME_SCT_MEDIA: return "media or data integrity error";
	case 3: return "path related error";
	case 7: return "vendor specific error";
	default: return "reserved status code type";
	}
}

/* The errno a completion status becomes. */
static int status_errno(unsigned st, bool timed_out)
{
	if (!st)
		return 0;
	if (st == NVME_SC_ABORT_REQ && timed_out)
		return -ETIMEDOUT;
	return -EIO;		/* the words went to the console (finish()) */
}

/* ------------------------------------------------------------ queues ---- */

/* Allocate and zero one queue's SQ and CQ pages (and PRP list pages for an
 * I/O queue).  Boot or thread context. */
static int q_alloc(struct nvme_ctrl *c, struct nvme_q *q, unsigned qid, unsigned depth)
{
	memset(q, 0, sizeof(*q));
	q->c = c;
	q->qid = qid;
	q->depth = depth;
	q->vector = -1;
	spin_lock_init(&q->lock, "nvme_q");
	wait_queue_init(&q->slot_wq);
	q->sq_pa = pmm_alloc_page();
	q->cq_pa = pmm_alloc_page();
	if (!q->sq_pa || !q->cq_pa)
		return -ENOMEM;
	q->sq = phys_to_virt(q->sq_pa);
	q->cq = phys_to_virt(q->cq_pa);
	if (iommu_dma_map(c->pci, q->sq_pa, NVME_PAGE, IOMMU_READ, UINT64_MAX, &q->sq_io) ||
	    iommu_dma_map(c->pci, q->cq_pa, NVME_PAGE, IOMMU_WRITE, UINT64_MAX, &q->cq_io))
		return -ENOMEM;
	if (qid) {
		for (unsigned i = 0; i < depth; i++)
			if (!(q->prp_pa[i] = pmm_alloc_page()) ||
			    iommu_dma_map(c->pci, q->prp_pa[i], NVME_PAGE, IOMMU_READ, UINT64_MAX,
					  &q->prp_io[i]))
				return -ENOMEM;
	}
	return 0;
}

/* Empty the rings (after a reset, the controller forgot them).  Under
 * q->lock or before the queue is used. */
static void q_reset_rings(struct nvme_q *q)
{
	memset(q->sq, 0, NVME_PAGE);
	memset((void *)q->cq, 0, NVME_PAGE);
	q->sq_tail = q->cq_head = 0;
	q->phase = 1;
	q->sq_db = doorbell(q->c, q->qid, false);
	q->cq_db = doorbell(q->c, q->qid, true);
}

/* Put @e at the SQ tail and ring the doorbell.  Caller holds q->lock (or
 * admin_lock for the admin queue). */
static void q_push(struct nvme_q *q, const struct nvme_sqe *e)
{
	if (q->qid)
		assert_held(&q->lock);
	else
		assert_held(&q->c->admin_lock);
	q->sq[q->sq_tail] = *e;
	q->sq_tail = (uint16_t)((q->sq_tail + 1) % q->depth);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* entry visible before the doorbell */
	if (!q->qid || !__atomic_load_n(&q->c->held_until, __ATOMIC_ACQUIRE))
		*q->sq_db = q->sq_tail;
}

/* The next CQ entry if the controller has posted it, else NULL. */
static volatile struct nvme_cqe *q_peek(struct nvme_q *q)
{
	volatile struct nvme_cqe *e = &q->cq[q->cq_head];

	if (NVME_CQE_PHASE(e->status) != q->phase)
		return NULL;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* then the rest of the entry */
	return e;
}

static void q_advance(struct nvme_q *q)
{
	if (++q->cq_head == q->depth) {
		q->cq_head = 0;
		q->phase ^= 1;
	}
}

/* ---------------------------------------------------- admin commands ---- */

/*
 * Run one admin command and poll for its completion.  Returns 0, -EIO with
 * *@st set (the controller's status), -ETIMEDOUT, or -ENODEV (the device
 * reads as gone).  Caller holds c->admin_lock.  Thread context.
 */
static int admin_cmd(struct nvme_ctrl *c, struct nvme_sqe *e, uint32_t *result, unsigned *st)
{
	struct nvme_q *q = &c->aq;
	uint64_t deadline = time_ns() + ADMIN_TIMEOUT_NS;
	uint16_t cid;

	assert_held(&c->admin_lock);
	cid = c->admin_cid++;

	e->cid = cid;
	q_push(q, e);
	for (;;) {
		volatile struct nvme_cqe *ce = q_peek(q);

		if (ce) {
			uint16_t status = ce->status, got = ce->cid;
			uint32_t res = ce->result;

			q_advance(q);
			*q->cq_db = q->cq_head;
			if (got != cid) {
				kprintf("%s: admin completion for command id %u, expected %u; ignored\n",
					c->name, got, cid);
				continue;
			}
			if (result)
				*result = res;
			if (st)
				*st = NVME_CQE_STATUS(status);
			return NVME_CQE_STATUS(status) ? -EIO : 0;
		}
		if (rd32(c, NVME_REG_CSTS) == NVME_CSTS_GONE)
			return -ENODEV;
		if (time_ns() > deadline) {
			kprintf("%s: admin command %#x (id %u) got no completion in %llu ms\n",
				c->name, e->opcode, cid, ADMIN_TIMEOUT_NS / MS);
			return -ETIMEDOUT;
		}
		udelay(10);
	}
}

static int admin_report(struct nvme_ctrl *c, const char *what, int err, unsigned st)
{
	if (err == -EIO)
		kprintf("%s: %s: %s (%#x)\n", c->name, what, nvme_status_name(st), st);
	else if (err)
		kprintf("%s: %s: %s\n", c->name, what, strerror(err));
	return err;
}

/* Identify into @buf_pa, mapped for the controller while it runs. */
static int identify(struct nvme_ctrl *c, unsigned cns, unsigned nsid, uint64_t buf_pa)
{
	struct nvme_sqe e = { .opcode = NVME_ADM_IDENTIFY, .nsid = nsid, .cdw10 = cns };
	unsigned st = 0;
	int err = iommu_dma_map(c->pci, buf_pa, NVME_PAGE, IOMMU_WRITE, UINT64_MAX, &e.prp1);

	if (err)
		return admin_report(c, "Identify (mapping its buffer)", err, 0);
	err = admin_report(c, "Identify", admin_cmd(c, &e, NULL, &st), st);
	iommu_dma_unmap(c->pci, e.prp1, NVME_PAGE);
	return err;
}

/* --------------------------------------------------- enable / disable ---- */

/* Wait until CSTS.RDY == @rdy, at most CAP.TO.  0, -ETIMEDOUT, -ENODEV
 * (the device reads as all ones), -EIO (Controller Fatal Status). */
static int wait_ready(struct nvme_ctrl *c, bool rdy)
{
	uint64_t deadline = time_ns() + c->ready_timeout_ns;

	for (;;) {
		uint32_t csts = rd32(c, NVME_REG_CSTS);

		if (csts == NVME_CSTS_GONE) {
			kprintf("%s: CSTS reads %#x: the device is gone\n", c->name, csts);
			return -ENODEV;
		}
		if (rdy && (csts & NVME_CSTS_CFS)) {
			kprintf("%s: controller fatal status (CSTS %#x) while enabling\n", c->name, csts);
			return -EIO;
		}
		if (!!(csts & NVME_CSTS_RDY) == rdy)
			return 0;
		if (time_ns() > deadline) {
			kprintf("%s: controller not %s after %llu ms (CAP.TO %u x 500 ms, CSTS %#x)\n",
				c->name, rdy ? "ready" : "disabled", c->ready_timeout_ns / MS,
				NVME_CAP_TO(c->cap), csts);
			return -ETIMEDOUT;
		}
		msleep(1);
	}
}

/* CC.EN = 0 and wait for RDY = 0: afterwards the controller does no DMA. */
static int ctrl_disable(struct nvme_ctrl *c)
{
	wr32(c, NVME_REG_CC, rd32(c, NVME_REG_CC) & ~NVME_CC_EN);
	return wait_ready(c, false);
}

/* Reset, program the admin queue, enable.  Caller holds admin_lock. */
static int ctrl_enable(struct nvme_ctrl *c)
{
	int err;

	if ((err = ctrl_disable(c)))
		return err;
	q_reset_rings(&c->aq);
	wr32(c, NVME_REG_AQA, NVME_AQA(ADMIN_DEPTH, ADMIN_DEPTH));
	wr64(c, NVME_REG_ASQ, c->aq.sq_io);
	wr64(c, NVME_REG_ACQ, c->aq.cq_io);
	wr32(c, NVME_REG_INTMS, ~0u);		/* INTx/MSI: only I/O vectors matter */
	wr32(c, NVME_REG_CC, NVME_CC_CSS_NVM | 0u << NVME_CC_MPS_SHIFT | NVME_CC_AMS_RR |
	     NVME_SQES_LOG2 << NVME_CC_IOSQES_SHIFT | NVME_CQES_LOG2 << NVME_CC_IOCQES_SHIFT |
	     NVME_CC_EN);
	return wait_ready(c, true);
}

/* Create I/O queue pair @q on the controller.  admin_lock held. */
static int create_ioq(struct nvme_ctrl *c, struct nvme_q *q)
{
	unsigned iv = c->msix ? q->qid : 0;	/* MSI-X: its own entry; MSI: the one vector */
	struct nvme_sqe cq = {
		.opcode = NVME_ADM_CREATE_CQ, .prp1 = q->cq_io,
		.cdw10 = (q->depth - 1) << 16 | q->qid,
		.cdw11 = iv << 16 | (c->polled ? 0 : NVME_CQ_IEN) | NVME_QUEUE_PC,
	};
	struct nvme_sqe sq = {
		.opcode = NVME_ADM_CREATE_SQ, .prp1 = q->sq_io,
		.cdw10 = (q->depth - 1) << 16 | q->qid,
		.cdw11 = q->qid << 16 | NVME_QUEUE_PC,
	};
	unsigned st = 0;
	int err;

	q_reset_rings(q);
	if ((err = admin_report(c, "Create I/O Completion Queue", admin_cmd(c, &cq, NULL, &st), st)))
		return err;
	return admin_report(c, "Create I/O Submission Queue", admin_cmd(c, &sq, NULL, &st), st);
}

/* ------------------------------------------------------- completions ---- */

struct reaped {
	struct blk_req *rq;
	unsigned status;
	bool timed_out;
};

/* End the controller's access to @rq's data pages. */
static void unmap_data(struct nvme_ctrl *c, struct blk_req *rq)
{
	if (rq->hw_in_win)
		blk_dma_window_put(rq->win);	/* the last user unmaps it */
	else if (rq->hw_iova_pages)
		iommu_dma_unmap(c->pci, rq->hw_iova, (uint64_t)rq->hw_iova_pages * NVME_PAGE);
	rq->hw_iova_pages = 0;
	rq->hw_in_win = false;
}

static void finish(struct nvme_ctrl *c, struct reaped *r, int forced)
{
	struct blk_req *rq = r->rq;
	int err = forced ? forced : status_errno(r->status, r->timed_out);

	if (r->status || forced) {
		__atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
		if (forced)
			kprintf("%s: %s byte %llu+%llu (queue %u, command %u): failed by controller reset\n",
				c->name, rq->write ? "write" : "read", (unsigned long long)rq->off,
				(unsigned long long)rq->len, rq->hw_queue, rq->hw_tag);
		else
			kprintf("%s: %s byte %llu+%llu (queue %u, command %u): %s (%#x)%s\n", c->name,
				rq->write ? "write" : rq->len ? "read" : "flush",
				(unsigned long long)rq->off, (unsigned long long)rq->len, rq->hw_queue,
				rq->hw_tag, nvme_status_name(r->status), r->status,
				r->timed_out ? ", after a timeout" : "");
	}
	unmap_data(c, rq);		/* before done() may unpin the pages */
	rq->done(rq, err);
}

/* Take every new completion of @q; call their done() after the lock.
 * Any context. */
static void q_reap(struct nvme_q *q)
{
	struct nvme_ctrl *c = q->c;
	struct reaped done[IO_DEPTH];
	unsigned n = 0;
	unsigned long f = spin_lock_irqsave(&q->lock);
	volatile struct nvme_cqe *e;

	while (n < IO_DEPTH && (e = q_peek(q))) {
		uint16_t status = e->status, cid = e->cid, sqhd = e->sq_head;

		q_advance(q);
		if (cid >= q->depth || !(q->busy & (1ULL << cid)) || sqhd >= q->depth) {
			kprintf("%s: queue %u: completion with command id %u, SQ head %u: "
				"no such command in flight; ignored\n", c->name, q->qid, cid, sqhd);
			continue;
		}
		if (c->fault_lose_cqe && __atomic_sub_fetch(&c->fault_lose_cqe, 1, __ATOMIC_RELAXED) < 0x80000000u) {
			kprintf("%s: queue %u: test fault: completion of command %u dropped\n",
				c->name, q->qid, cid);
			continue;	/* stays in flight: the watchdog will find it */
		}
		struct blk_req *rq = q->slot[cid];
		done[n].rq = rq;
		done[n].status = NVME_CQE_STATUS(status);
		done[n].timed_out = q->timed_out[cid];
		n++;
		q->slot[cid] = NULL;
		q->busy &= ~(1ULL << cid);
		q->inflight--;
		__atomic_sub_fetch(&c->inflight, 1, __ATOMIC_RELAXED);
		q->completed++;
		if (NVME_CQE_STATUS(status))
			q->errors++;
		/* the controller is done with the pages: the unpin may follow */
		__atomic_store_n(&rq->desc.state, DMA_DESC_FREE, __ATOMIC_RELEASE);
	}
	*q->cq_db = q->cq_head;
	spin_unlock_irqrestore(&q->lock, f);
	for (unsigned i = 0; i < n; i++)
		finish(c, &done[i], 0);
	if (n)
		wake_up_all(&q->slot_wq);
}

static void nvme_irq_one(struct trap_frame *tf, void *ctx)
{
	struct nvme_q *q = ctx;

	(void)tf;
	__atomic_add_fetch(&q->irqs, 1, __ATOMIC_RELAXED);
	q_reap(q);
}

static void nvme_irq_all(struct trap_frame *tf, void *ctx)
{
	struct nvme_ctrl *c = ctx;

	(void)tf;
	for (unsigned i = 0; i < c->nq; i++) {
		if (tf)
			__atomic_add_fetch(&c->ioq[i].irqs, 1, __ATOMIC_RELAXED);
		q_reap(&c->ioq[i]);
	}
}

static void nvme_poll(void *arg)
{
	struct nvme_ctrl *c = arg;

	nvme_irq_all(NULL, c);
	ktimer_arm(&c->poll, time_ns() + NVME_POLL_NS);
}

/* The watchdog: reap (lost interrupts), then look for commands older than
 * the timeout and hand them to the recovery thread.  ktimer context. */
static void nvme_watch(void *arg)
{
	struct nvme_ctrl *c = arg;
	uint64_t now = time_ns(), limit = __atomic_load_n(&c->timeout_ns, __ATOMIC_RELAXED);
	bool kick = false, ring = false;

	/* Test fault over: clear it first, then ring under each queue lock,
	 * so a command pushed meanwhile is rung by one or the other. */
	if (c->held_until && now >= c->held_until) {
		__atomic_store_n(&c->held_until, 0, __ATOMIC_RELEASE);
		ring = true;
	}
	nvme_irq_all(NULL, c);
	for (unsigned i = 0; i < c->nq; i++) {
		struct nvme_q *q = &c->ioq[i];
		unsigned long f = spin_lock_irqsave(&q->lock);

		if (ring)
			*q->sq_db = q->sq_tail;		/* the held commands go */
		for (unsigned k = 0; k < q->depth; k++) {
			struct blk_req *rq = q->slot[k];

			/* submitted after @now was read: not old (no wrap) */
			if (!rq || rq->desc.submit_ns > now || now - rq->desc.submit_ns < limit)
				continue;
			if (!q->timed_out[k]) {
				q->timed_out[k] = true;
				__atomic_add_fetch(&c->timeouts, 1, __ATOMIC_RELAXED);
				kick = true;
			} else if (q->abort_ns[k] && now > q->abort_ns[k] &&
				   now - q->abort_ns[k] >= limit) {
				kick = true;	/* the Abort did not help: reset */
			}
		}
		spin_unlock_irqrestore(&q->lock, f);
	}
	if (kick) {
		__atomic_store_n(&c->recover_pending, true, __ATOMIC_RELEASE);
		wake_up_all(&c->recover_wq);
	}
	ktimer_arm(&c->watch, time_ns() + NVME_WATCH_NS);
}

/* ----------------------------------------------------------- recovery ---- */

static void set_state(struct nvme_ctrl *c, enum ctrl_state s)
{
	unsigned long f[NVME_MAX_IOQ];

	for (unsigned i = 0; i < c->nq; i++)
		f[i] = spin_lock_irqsave(&c->ioq[i].lock);
	c->state = s;
	for (unsigned i = c->nq; i-- > 0;)
		spin_unlock_irqrestore(&c->ioq[i].lock, f[i]);
	for (unsigned i = 0; i < c->nq; i++)
		wake_up_all(&c->ioq[i].slot_wq);
}

/*
 * Reset the controller: disable it (after RDY = 0 it does no more DMA), fail
 * every command in flight, then enable it and build the I/O queues again.
 * Recovery thread, admin_lock held.
 */
static void ctrl_reset(struct nvme_ctrl *c)
{
	struct reaped failed[IO_DEPTH];
	int err;

	assert_held(&c->admin_lock);

	__atomic_add_fetch(&c->resets, 1, __ATOMIC_RELAXED);
	kprintf("%s: resetting the controller: commands in flight will fail\n", c->name);
	set_state(c, CTRL_RESETTING);
	err = ctrl_disable(c);
	if (err) {
		/* Not known to be stopped: its pages must stay pinned. */
		kprintf("%s: the controller does not stop (%s); it is dead, its commands "
			"keep their pages\n", c->name, strerror(err));
		set_state(c, CTRL_DEAD);
		return;
	}
	for (unsigned i = 0; i < c->nq; i++) {
		struct nvme_q *q = &c->ioq[i];
		unsigned n = 0;
		unsigned long f = spin_lock_irqsave(&q->lock);

		for (unsigned k = 0; k < q->depth; k++) {
			if (!q->slot[k])
				continue;
			failed[n].rq = q->slot[k];
			failed[n].status = 0;
			failed[n].timed_out = q->timed_out[k];
			__atomic_store_n(&q->slot[k]->desc.state, DMA_DESC_FREE, __ATOMIC_RELEASE);
			q->slot[k] = NULL;
			q->errors++;
			__atomic_sub_fetch(&c->inflight, 1, __ATOMIC_RELAXED);
			n++;
		}
		q->busy = 0;
		q->inflight = 0;
		memset(q->timed_out, 0, sizeof(q->timed_out));
		memset(q->abort_ns, 0, sizeof(q->abort_ns));
		spin_unlock_irqrestore(&q->lock, f);
		for (unsigned k = 0; k < n; k++)
			finish(c, &failed[k], -EIO);
	}
	err = ctrl_enable(c);
	if (!err && !c->msix && !c->polled)
		wr32(c, NVME_REG_INTMC, 1);	/* MSI vector 0 unmasked again */
	for (unsigned i = 0; !err && i < c->nq; i++)
		err = create_ioq(c, &c->ioq[i]);
	if (err) {
		kprintf("%s: the controller did not come back after reset (%s): dead\n", c->name,
			strerror(err));
		set_state(c, CTRL_DEAD);
		return;
	}
	kprintf("%s: reset done, %u I/O queues again\n", c->name, c->nq);
	set_state(c, CTRL_LIVE);
}

static void recovery_thread(void *arg)
{
	struct nvme_ctrl *c = arg;

	for (;;) {
		wait_event(&c->recover_wq, __atomic_load_n(&c->recover_pending, __ATOMIC_ACQUIRE));
		__atomic_store_n(&c->recover_pending, false, __ATOMIC_RELEASE);
		mutex_lock(&c->admin_lock);
		bool reset = false;
		uint64_t now = time_ns(), limit = __atomic_load_n(&c->timeout_ns, __ATOMIC_RELAXED);

		for (unsigned i = 0; i < c->nq && c->state == CTRL_LIVE; i++) {
			struct nvme_q *q = &c->ioq[i];

			for (unsigned k = 0; k < q->depth; k++) {
				unsigned long f = spin_lock_irqsave(&q->lock);
				bool abort = q->slot[k] && q->timed_out[k] && !q->abort_ns[k];

				if (q->slot[k] && q->abort_ns[k] && now > q->abort_ns[k] &&
				    now - q->abort_ns[k] >= limit)
					reset = true;
				if (abort) {
					q->abort_ns[k] = now;
					kprintf("%s: queue %u command %u: no completion in %llu ms; "
						"sending Abort\n", c->name, q->qid, k, limit / MS);
				}
				spin_unlock_irqrestore(&q->lock, f);
				if (abort) {
					struct nvme_sqe e = { .opcode = NVME_ADM_ABORT,
							      .cdw10 = k << 16 | q->qid };
					unsigned st = 0;

					__atomic_add_fetch(&c->aborts, 1, __ATOMIC_RELAXED);
					if (admin_report(c, "Abort", admin_cmd(c, &e, NULL, &st), st))
						reset = true;
				}
			}
		}
		if (reset && c->state == CTRL_LIVE)
			ctrl_reset(c);
		mutex_unlock(&c->admin_lock);
	}
}

/* ------------------------------------------------------------ submit ---- */

/* Page @i of @rq as the controller addresses it. */
static uint64_t io_page(const struct blk_req *rq, unsigned i)
{
	return rq->hw_iova_pages ? rq->hw_iova + (uint64_t)i * NVME_PAGE : rq->pages[i];
}

/* Fill e's PRP1/PRP2 from rq's pages (PRP list in @list_pa, which the
 * controller reads at @list_io, if > 2 pages). */
static void build_prps(struct nvme_sqe *e, const struct blk_req *rq, uint64_t list_pa,
		       uint64_t list_io)
{
	unsigned pages = (unsigned)((rq->first_off + rq->len + NVME_PAGE - 1) / NVME_PAGE);

	e->prp1 = io_page(rq, 0) + rq->first_off;
	if (pages == 2) {
		e->prp2 = io_page(rq, 1);
	} else if (pages > 2) {
		uint64_t *list = phys_to_virt(list_pa);

		for (unsigned i = 1; i < pages; i++)
			list[i - 1] = io_page(rq, i);
		e->prp2 = list_io;
	}
}

/* A window's unmap (blkdev.h), called by its last user's put. */
static void win_unmap(struct blk_dma_window *w)
{
	struct nvme_ctrl *c = w->dev;

	iommu_dma_unmap(c->pci, w->iova, BLK_DMA_WINDOW);
}

/* Use @rq's 2 MiB window (blkdev.h) when all its pages lie in it, in
 * order: map the window as one 2 MiB IOMMU page for the first request
 * that uses it.  True when rq->hw_iova is set that way. */
static bool map_in_window(struct nvme_ns *ns, struct blk_req *rq, unsigned pages)
{
	struct blk_dma_window *w = rq->win;
	unsigned long f;
	bool ok = false;

	if (!w || rq->pages[0] < w->pa ||
	    rq->pages[0] + (uint64_t)pages * NVME_PAGE > w->pa + BLK_DMA_WINDOW)
		return false;
	for (unsigned i = 1; i < pages; i++)
		if (rq->pages[i] != rq->pages[0] + (uint64_t)i * NVME_PAGE)
			return false;
	f = spin_lock_irqsave(&w->lock);
	if (!w->mapped && !w->failed) {
		int r = iommu_dma_map_2m(ns->c->pci, w->pa, rq->write ? IOMMU_READ : IOMMU_WRITE,
					 UINT64_MAX, &w->iova);

		w->mapped = r == 0;
		w->failed = r != 0;	/* off, no 2 MiB pages, no room: 4 KiB maps */
		w->unmap = win_unmap;
		w->dev = ns->c;
	}
	if (w->mapped) {
		w->users++;
		rq->hw_iova = w->iova + (rq->pages[0] - w->pa);
		rq->hw_iova_pages = pages;
		rq->hw_in_win = true;
		ok = true;
	}
	spin_unlock_irqrestore(&w->lock, f);
	return ok;
}

/* Map @rq's data pages for the controller (nothing for a flush).
 * Returns 0 or -EIO (no I/O address space left: said why). */
static int map_data(struct nvme_ns *ns, struct blk_req *rq, uint8_t opcode)
{
	unsigned pages = (unsigned)((rq->first_off + rq->len + NVME_PAGE - 1) / NVME_PAGE);
	int r;

	rq->hw_iova_pages = 0;
	rq->hw_in_win = false;
	if (opcode == NVME_CMD_FLUSH || !pages)
		return 0;
	if (map_in_window(ns, rq, pages))
		return 0;
	r = iommu_dma_map_pages(ns->c->pci, rq->pages, pages,
				rq->write ? IOMMU_READ : IOMMU_WRITE, UINT64_MAX, &rq->hw_iova);
	if (r < 0) {
		kprintf("%s: cannot map %u pages for the controller (%s)\n", ns->bd.name, pages,
			strerror(r));
		return -EIO;
	}
	if (r == 0)
		rq->hw_iova_pages = pages;
	return 0;
}

static int check_req(struct nvme_ns *ns, const struct blk_req *rq)
{
	struct nvme_ctrl *c = ns->c;
	uint64_t lba = 1ull << ns->lba_shift, size = ns->blocks << ns->lba_shift;
	unsigned pages;

	if (!rq->done || !rq->pages || rq->first_off >= NVME_PAGE || rq->first_off % 4) {
		kprintf("%s: request refused: first page offset %u (must be < 4096 and a multiple of 4)\n",
			ns->bd.name, rq->first_off);
		return -EINVAL;
	}
	if (!rq->len || rq->len % lba || rq->off % lba) {
		kprintf("%s: request refused: byte %llu+%llu is not in whole %llu-byte blocks\n",
			ns->bd.name, (unsigned long long)rq->off, (unsigned long long)rq->len,
			(unsigned long long)lba);
		return -EINVAL;
	}
	if (rq->len > c->max_xfer) {
		kprintf("%s: request refused: %llu bytes is more than the %llu a command moves\n",
			ns->bd.name, (unsigned long long)rq->len, (unsigned long long)c->max_xfer);
		return -EINVAL;
	}
	if (rq->off >= size || rq->len > size - rq->off) {
		kprintf("%s: request refused: byte %llu+%llu is past the end (%llu bytes)\n",
			ns->bd.name, (unsigned long long)rq->off, (unsigned long long)rq->len,
			(unsigned long long)size);
		return -EINVAL;
	}
	pages = (unsigned)((rq->first_off + rq->len + NVME_PAGE - 1) / NVME_PAGE);
	if (rq->npages < pages) {
		kprintf("%s: request refused: %u pages for %llu bytes\n", ns->bd.name, rq->npages,
			(unsigned long long)rq->len);
		return -EINVAL;
	}
	return 0;
}

static uint64_t next_req_id;

/* Queue @rq as NVM command @opcode on the queue of this CPU.  Thread
 * context; sleeps while every command id is in flight. */
static int queue_cmd(struct nvme_ns *ns, struct blk_req *rq, uint8_t opcode)
{
	struct nvme_ctrl *c = ns->c;
	struct nvme_q *q = &c->ioq[this_cpu()->id % c->nq];
	struct nvme_sqe e = { .opcode = opcode, .nsid = ns->nsid };
	unsigned long f;
	unsigned cid;

	assert_not_held(&q->lock);	/* it may sleep for a free command id */
	if (map_data(ns, rq, opcode))
		return -EIO;
	for (;;) {
		f = spin_lock_irqsave(&q->lock);
		if (c->state == CTRL_DEAD) {
			spin_unlock_irqrestore(&q->lock, f);
			unmap_data(c, rq);
			return -EIO;
		}
		if (c->state == CTRL_LIVE && q->inflight < q->depth - 1)
			break;
		spin_unlock_irqrestore(&q->lock, f);
		wait_event(&q->slot_wq, c->state == CTRL_DEAD ||
			   (c->state == CTRL_LIVE && READ_ONCE(q->inflight) < q->depth - 1));
	}
	cid = (unsigned)__builtin_ctzll(~q->busy);
	q->busy |= 1ULL << cid;
	q->slot[cid] = rq;
	q->timed_out[cid] = false;
	q->abort_ns[cid] = 0;
	if (++q->inflight > q->max_inflight)
		q->max_inflight = q->inflight;
	{
		unsigned all = __atomic_add_fetch(&c->inflight, 1, __ATOMIC_RELAXED);
		unsigned most = __atomic_load_n(&c->max_inflight, __ATOMIC_RELAXED);

		while (all > most && !__atomic_compare_exchange_n(&c->max_inflight, &most, all, false,
								  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	q->submitted++;
	rq->hw_queue = q->qid;
	rq->hw_tag = cid;
	rq->desc.id = ++next_req_id;
	rq->desc.len = rq->len;
	rq->desc.submit_ns = time_ns();
	__atomic_store_n(&rq->desc.state, DMA_DESC_ACTIVE, __ATOMIC_RELEASE);
	if (opcode != NVME_CMD_FLUSH) {
		uint64_t slba = rq->off >> ns->lba_shift;

		if (c->fault_bad_lba && --c->fault_bad_lba == 0) {
			slba = ns->blocks;	/* test fault: the device says LBA Out of Range */
			kprintf("%s: test fault: queue %u command %u sent with LBA %llu, past the end\n",
				ns->bd.name, q->qid, cid, (unsigned long long)slba);
		}
		build_prps(&e, rq, q->prp_pa[cid], q->prp_io[cid]);
		e.cdw10 = (uint32_t)slba;
		e.cdw11 = (uint32_t)(slba >> 32);
		e.cdw12 = (uint32_t)((rq->len >> ns->lba_shift) - 1);	/* NLB, 0's based */
	}
	e.cid = (uint16_t)cid;
	if (c->fault_hold_ms) {
		/* the watchdog rings every I/O doorbell then */
		__atomic_store_n(&c->held_until, time_ns() + c->fault_hold_ms * MS, __ATOMIC_RELEASE);
		kprintf("%s: test fault: I/O doorbells held %u ms from queue %u command %u\n",
			ns->bd.name, c->fault_hold_ms, q->qid, cid);
		c->fault_hold_ms = 0;
	}
	q_push(q, &e);
	spin_unlock_irqrestore(&q->lock, f);
	return 0;
}

static int nvme_submit(struct blkdev *bd, struct blk_req *rq)
{
	struct nvme_ns *ns = bd->priv;
	int err = check_req(ns, rq);

	return err ? err : queue_cmd(ns, rq, rq->write ? NVME_CMD_WRITE : NVME_CMD_READ);
}

/* ------------------------------------------- synchronous, bounce buffer ---- */

struct sync_req {
	struct blk_req rq;
	struct completion done;
	int status;
	uint64_t pages[BOUNCE_PAGES];
};

static void sync_done(struct blk_req *rq, int status)
{
	struct sync_req *s = rq->cookie;

	s->status = status;
	complete(&s->done);
}

/* Move [off, off+len) (whole blocks, len <= the bounce buffer) between the
 * device and ns->bounce.  bounce_lock held. */
static int bounce_io(struct nvme_ns *ns, bool write, uint64_t off, uint64_t len, uint8_t opcode)
{
	struct sync_req s;
	int err;

	memset(&s.rq, 0, sizeof(s.rq));
	for (unsigned i = 0; i < BOUNCE_PAGES; i++)
		s.pages[i] = ns->bounce_pa + (uint64_t)i * NVME_PAGE;
	s.rq.write = write;
	s.rq.off = off;
	s.rq.len = len;
	s.rq.pages = s.pages;
	s.rq.npages = BOUNCE_PAGES;
	s.rq.done = sync_done;
	s.rq.cookie = &s;
	completion_init(&s.done);
	err = opcode == NVME_CMD_FLUSH ? 0 : check_req(ns, &s.rq);
	if (!err)
		err = queue_cmd(ns, &s.rq, opcode);
	if (err)
		return err;
	wait_for_completion(&s.done);
	return s.status;
}

static uint64_t chunk_max(struct nvme_ns *ns)
{
	return MIN((uint64_t)BOUNCE_PAGES * NVME_PAGE, ns->c->max_xfer);
}

static int nvme_bd_read(struct blkdev *bd, uint64_t off, void *buf, size_t len)
{
	struct nvme_ns *ns = bd->priv;
	uint64_t bs = 1ull << ns->lba_shift;
	uint8_t *out = buf;
	int err = 0;

	if (off > bd->size || len > bd->size - off)
		return -EINVAL;
	mutex_lock(&ns->bounce_lock);
	while (len && !err) {
		uint64_t start = off & ~(bs - 1), skip = off - start;
		uint64_t n = MIN(chunk_max(ns) - skip, len);
		uint64_t io = (skip + n + bs - 1) & ~(bs - 1);

		err = bounce_io(ns, false, start, io, NVME_CMD_READ);
		if (!err)
			memcpy(out, (uint8_t *)phys_to_virt(ns->bounce_pa) + skip, n);
		out += n;
		off += n;
		len -= n;
	}
	mutex_unlock(&ns->bounce_lock);
	return err;
}

static int nvme_bd_write(struct blkdev *bd, uint64_t off, const void *buf, size_t len)
{
	struct nvme_ns *ns = bd->priv;
	uint64_t bs = 1ull << ns->lba_shift;
	const uint8_t *in = buf;
	uint8_t *b = phys_to_virt(ns->bounce_pa);
	int err = 0;

	if (off > bd->size || len > bd->size - off)
		return -EINVAL;
	mutex_lock(&ns->bounce_lock);
	while (len && !err) {
		uint64_t start = off & ~(bs - 1), skip = off - start;
		uint64_t n = MIN(chunk_max(ns) - skip, len);
		uint64_t io = (skip + n + bs - 1) & ~(bs - 1);

		/* Partial first or last block: read it first, then merge. */
		if (skip || (skip + n) % bs)
			err = bounce_io(ns, false, start, io, NVME_CMD_READ);
		if (!err) {
			memcpy(b + skip, in, n);
			err = bounce_io(ns, true, start, io, NVME_CMD_WRITE);
		}
		in += n;
		off += n;
		len -= n;
	}
	mutex_unlock(&ns->bounce_lock);
	return err;
}

static int nvme_bd_flush(struct blkdev *bd)
{
	struct nvme_ns *ns = bd->priv;
	int err;

	if (!ns->c->vwc)
		return 0;		/* no volatile cache: a completed write is durable */
	mutex_lock(&ns->bounce_lock);
	err = bounce_io(ns, false, 0, 0, NVME_CMD_FLUSH);
	mutex_unlock(&ns->bounce_lock);
	return err;
}

static const struct blkdev_ops nvme_bd_ops = {
	.read = nvme_bd_read,
	.write = nvme_bd_write,
	.submit = nvme_submit,
	.flush = nvme_bd_flush,
};

/* ------------------------------------------------------------- probe ---- */

static void copy_ascii(char *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7F ? (char)src[i] : '?';
	while (i > 0 && dst[i - 1] == ' ')
		i--;
	dst[i] = '\0';
}

static int check_cap(struct nvme_ctrl *c)
{
	uint64_t cap = c->cap;
	uint64_t need;

	if (cap == ~0ull) {
		kprintf("%s: CAP reads all ones: no device behind BAR0\n", c->name);
		return -ENODEV;
	}
	if (NVME_CAP_MQES(cap) < 1) {
		kprintf("%s: CAP.MQES %u: queues must hold at least 2 entries\n", c->name,
			NVME_CAP_MQES(cap));
		return -ENODEV;
	}
	if (!NVME_CAP_CSS_NVM(cap)) {
		kprintf("%s: CAP.CSS %#llx lacks the NVM command set\n", c->name,
			(unsigned long long)((cap >> 37) & 0xFF));
		return -ENODEV;
	}
	if (NVME_CAP_MPSMIN(cap) > 0) {
		kprintf("%s: CAP.MPSMIN %u: the controller does not take 4 KiB pages\n", c->name,
			NVME_CAP_MPSMIN(cap));
		return -ENODEV;
	}
	need = NVME_REG_DBS + 2ull * (NVME_MAX_IOQ + 1) * (4u << NVME_CAP_DSTRD(cap));
	if (c->bar_size < need) {
		kprintf("%s: BAR0 is %llu bytes; doorbells with stride %u need %llu\n", c->name,
			(unsigned long long)c->bar_size, 4u << NVME_CAP_DSTRD(cap),
			(unsigned long long)need);
		return -ENODEV;
	}
	c->dstrd = NVME_CAP_DSTRD(cap);
	/* CAP.TO 0 is not allowed; take 500 ms rather than no wait at all */
	c->ready_timeout_ns = (uint64_t)(NVME_CAP_TO(cap) ? NVME_CAP_TO(cap) : 1) *
			      NVME_CAP_TO_UNIT_MS * MS;
	return 0;
}

static int identify_ctrl(struct nvme_ctrl *c, uint64_t buf_pa)
{
	const uint8_t *id = phys_to_virt(buf_pa);
	uint8_t sqes, cqes, mdts;
	uint32_t nn;
	int err;

	if ((err = identify(c, NVME_CNS_CTRL, 0, buf_pa)))
		return err;
	copy_ascii(c->serial, id + NVME_IDC_SN, NVME_IDC_SN_LEN);
	copy_ascii(c->model, id + NVME_IDC_MN, NVME_IDC_MN_LEN);
	copy_ascii(c->firmware, id + NVME_IDC_FR, NVME_IDC_FR_LEN);
	sqes = id[NVME_IDC_SQES];
	cqes = id[NVME_IDC_CQES];
	if ((sqes & 0xF) > NVME_SQES_LOG2 || (sqes >> 4) < NVME_SQES_LOG2 ||
	    (cqes & 0xF) > NVME_CQES_LOG2 || (cqes >> 4) < NVME_CQES_LOG2) {
		kprintf("%s: Identify: SQES %#x, CQES %#x do not allow 64- and 16-byte entries\n",
			c->name, sqes, cqes);
		return -ENODEV;
	}
	memcpy(&nn, id + NVME_IDC_NN, sizeof(nn));
	if (nn == 0) {
		kprintf("%s: Identify: the controller has 0 namespaces\n", c->name);
		return -ENODEV;
	}
	mdts = id[NVME_IDC_MDTS];
	c->max_xfer = MAX_XFER_CAP;
	if (mdts && mdts < 20 && (NVME_PAGE << mdts) < c->max_xfer)
		c->max_xfer = NVME_PAGE << mdts;
	c->vwc = id[NVME_IDC_VWC] & 1;
	c->nn = nn;
	return 0;
}

static int set_num_queues(struct nvme_ctrl *c, unsigned want)
{
	struct nvme_sqe e = { .opcode = NVME_ADM_SET_FEATURES, .cdw10 = NVME_FEAT_NUM_QUEUES,
			      .cdw11 = (want - 1) << 16 | (want - 1) };
	uint32_t res = 0;
	unsigned st = 0, nsq, ncq;
	int err = admin_cmd(c, &e, &res, &st);

	if ((err = admin_report(c, "Set Features (Number of Queues)", err, st)))
		return err;
	nsq = (res & 0xFFFF) + 1;
	ncq = (res >> 16) + 1;
	c->nq = MIN(want, MIN(nsq, ncq));
	return 0;
}

/* MSI-X, one entry per I/O queue (entry q for queue q); else MSI, one
 * vector for all; else a polling timer.  Says which at boot. */
static void setup_irqs(struct nvme_ctrl *c)
{
	unsigned table = pci_msix_table_size(c->pci);
	int err = -ENODEV;

	if (table >= c->nq + 1) {
		err = 0;
		for (unsigned i = 0; i < c->nq && !err; i++) {
			struct nvme_q *q = &c->ioq[i];
			unsigned cpu = i % ncpus;
			int vec = irq_alloc_vector(nvme_irq_one, q, c->name);

			err = vec < 0 ? vec : pci_msix_enable(c->pci, q->qid, (uint8_t)vec,
							      cpus[cpu].apic_id);
			q->vector = vec < 0 ? -1 : vec;
		}
		if (!err) {
			c->irq_mode = "MSI-X";
			c->msix = true;
			return;
		}
		kprintf("%s: MSI-X failed (%s)\n", c->name, strerror(err));
		pci_msix_disable(c->pci);
	}
	int vec = irq_alloc_vector(nvme_irq_all, c, c->name);

	err = vec < 0 ? vec : pci_msi_enable(c->pci, (uint8_t)vec, lapic_id());
	if (!err) {
		for (unsigned i = 0; i < c->nq; i++)
			c->ioq[i].vector = vec;
		wr32(c, NVME_REG_INTMC, 1);	/* MSI vector 0 unmasked [NVMe 3.1.4] */
		c->irq_mode = "MSI";
		return;
	}
	for (unsigned i = 0; i < c->nq; i++)
		c->ioq[i].vector = -1;
	c->irq_mode = "polling";
	c->polled = true;
}

static int add_namespace(struct nvme_ctrl *c, unsigned nsid, uint64_t buf_pa)
{
	const uint8_t *id = phys_to_virt(buf_pa);
	struct nvme_ns *ns;
	uint64_t nsze;
	uint32_t lbaf;
	unsigned fmt, shift;
	int err;

	if (c->nns >= NVME_MAX_NS) {
		kprintf("%s: namespace %u: only %u namespaces are registered\n", c->name, nsid,
			NVME_MAX_NS);
		return -ENOSPC;
	}
	if ((err = identify(c, NVME_CNS_NS, nsid, buf_pa)))
		return err;
	memcpy(&nsze, id + NVME_IDN_NSZE, sizeof(nsze));
	if (!nsze)
		return 0;	/* inactive */
	fmt = id[NVME_IDN_FLBAS] & 0xF;
	if (fmt > id[NVME_IDN_NLBAF]) {
		kprintf("%s: namespace %u: FLBAS picks LBA format %u of %u\n", c->name, nsid, fmt,
			id[NVME_IDN_NLBAF] + 1);
		return -EINVAL;
	}
	memcpy(&lbaf, id + NVME_IDN_LBAF + 4 * fmt, sizeof(lbaf));
	shift = NVME_LBAF_LBADS(lbaf);
	if (shift < NVME_LBADS_MIN || shift > NVME_LBADS_MAX || NVME_LBAF_MS(lbaf)) {
		kprintf("%s: namespace %u: unsupported LBA format (%u-byte blocks, %u bytes of "
			"metadata); left out\n", c->name, nsid, shift < 32 ? 1u << shift : 0,
			NVME_LBAF_MS(lbaf));
		return -EINVAL;
	}
	if (nsze > (UINT64_MAX >> shift)) {
		kprintf("%s: namespace %u: size %llu blocks is too large\n", c->name, nsid,
			(unsigned long long)nsze);
		return -EINVAL;
	}
	ns = &c->ns[c->nns];
	ns->c = c;
	ns->nsid = nsid;
	ns->blocks = nsze;
	ns->lba_shift = shift;
	mutex_init(&ns->bounce_lock, "nvme_bounce");
	if (!(ns->bounce_pa = pmm_alloc_pages(BOUNCE_PAGES)))
		return -ENOMEM;
	snprintf(ns->bd.name, sizeof(ns->bd.name), "%sn%u", c->name, nsid);
	ns->bd.size = nsze << shift;
	ns->bd.ops = &nvme_bd_ops;
	ns->bd.priv = ns;
	ns->bd.lba_size = 1u << shift;
	ns->bd.max_io = c->max_xfer;
	ns->bd.dma_windows = iommu_enabled();
	ns->bd.writable = true;
	if ((err = blkdev_register(&ns->bd))) {
		kprintf("%s: cannot register %s (%s)\n", c->name, ns->bd.name, strerror(err));
		return err;
	}
	c->nns++;
	kprintf("%s: %s: %llu blocks of %u bytes (%llu MiB)\n", c->name, ns->bd.name,
		(unsigned long long)nsze, 1u << shift, (unsigned long long)(ns->bd.size >> 20));
	return 0;
}

/* Active namespaces: the Identify list (CNS 2), else 1..NN. */
static void add_namespaces(struct nvme_ctrl *c, uint64_t buf_pa, uint64_t list_pa)
{
	const uint32_t *list = phys_to_virt(list_pa);
	unsigned last = 0;

	if (!identify(c, NVME_CNS_NS_LIST, 0, list_pa)) {
		for (unsigned i = 0; i < NVME_IDENTIFY_SIZE / 4 && list[i]; i++) {
			if (list[i] <= last || list[i] > c->nn) {
				kprintf("%s: active namespace list: ID %u out of order or above NN %u; "
					"list ends here\n", c->name, list[i], c->nn);
				break;
			}
			last = list[i];
			add_namespace(c, list[i], buf_pa);
		}
		return;
	}
	for (unsigned id = 1; id <= c->nn && id <= NVME_MAX_NS; id++)
		add_namespace(c, id, buf_pa);
}

static int nvme_start(struct nvme_ctrl *c)
{
	uint64_t buf_pa = pmm_alloc_page(), list_pa = pmm_alloc_page();
	unsigned want = MIN(ncpus, (unsigned)NVME_MAX_IOQ);
	int err;

	if (!buf_pa || !list_pa)
		return -ENOMEM;
	c->cap = rd64(c, NVME_REG_CAP);
	if ((err = check_cap(c)))
		return err;
	c->version = rd32(c, NVME_REG_VS);
	if ((err = q_alloc(c, &c->aq, 0, ADMIN_DEPTH)))
		return err;
	mutex_lock(&c->admin_lock);
	err = ctrl_enable(c);
	if (!err)
		err = identify_ctrl(c, buf_pa);
	if (!err)
		err = set_num_queues(c, want);
	unsigned depth = MIN((unsigned)IO_DEPTH, NVME_CAP_MQES(c->cap) + 1);
	for (unsigned i = 0; !err && i < c->nq; i++)
		err = q_alloc(c, &c->ioq[i], i + 1, depth);
	if (!err)
		setup_irqs(c);
	for (unsigned i = 0; !err && i < c->nq; i++)
		err = create_ioq(c, &c->ioq[i]);
	if (!err)
		add_namespaces(c, buf_pa, list_pa);
	mutex_unlock(&c->admin_lock);
	pmm_free_page(buf_pa);
	pmm_free_page(list_pa);
	return err;
}

static int nvme_probe(struct pci_dev *pci)
{
	struct nvme_ctrl *c;
	struct thread *th;
	int err;

	if (nctrls == NVME_MAX_CTRLS) {
		kprintf("nvme: %s: only %u controllers are supported\n", pci->name, NVME_MAX_CTRLS);
		return -ENOSPC;
	}
	if (!(c = kzalloc(sizeof(*c))))
		return -ENOMEM;
	c->pci = pci;
	snprintf(c->name, sizeof(c->name), "nvme%u", nctrls);
	mutex_init(&c->admin_lock, "nvme_admin");
	wait_queue_init(&c->recover_wq);
	c->timeout_ns = NVME_TIMEOUT_NS;
	c->irq_mode = "none";
	c->state = CTRL_LIVE;
	c->bar_size = pci->bars[NVME_BAR].size;
	if (pci->bars[NVME_BAR].is_io || !(c->regs = pci_bar_map(pci, NVME_BAR))) {
		kprintf("%s: %s: BAR0 is not a usable memory BAR\n", c->name, pci->name);
		kfree(c);
		return -ENXIO;
	}
	pci_enable_memory(pci);
	pci_enable_bus_master(pci);
	err = nvme_start(c);
	if (err) {
		kprintf("%s: %s: controller refused (%s); going on without it\n", c->name, pci->name,
			strerror(err));
		wr32(c, NVME_REG_CC, rd32(c, NVME_REG_CC) & ~NVME_CC_EN);
		pci_msix_disable(pci);
		pci_set_command(pci, 0, PCI_CMD_MASTER);
		return err;	/* c leaks on purpose: a vector may point at it */
	}
	ktimer_init(&c->watch, nvme_watch, c);
	ktimer_init(&c->poll, nvme_poll, c);
	ktimer_arm(&c->watch, time_ns() + NVME_WATCH_NS);
	if (c->polled)
		ktimer_arm(&c->poll, time_ns() + NVME_POLL_NS);
	th = thread_create("nvme-recovery", recovery_thread, c);
	if (th)
		thread_detach(th);
	ctrls[nctrls++] = c;
	pci->driver_data = c;
	kprintf("%s: %s, NVMe %u.%u, \"%s\" serial \"%s\", %u namespace(s), %u I/O queue(s) "
		"of %u, %s, %llu KiB per command%s\n", c->name, pci->name, c->version >> 16,
		(c->version >> 8) & 0xFF, c->model, c->serial, c->nns, c->nq, c->ioq[0].depth,
		c->irq_mode, (unsigned long long)(c->max_xfer >> 10),
		c->vwc ? ", volatile write cache (Flush sent)" : "");
	return 0;
}

static const struct pci_id nvme_ids[] = {
	PCI_ID_CLASS(PCI_CLASS_CODE(NVME_PCI_CLASS, NVME_PCI_SUBCLASS, NVME_PCI_PROGIF), 0xFFFFFF),
	{ 0 },
};

static const struct pci_driver nvme_driver = {
	.name = "nvme",
	.ids = nvme_ids,
	.probe = nvme_probe,
};
PCI_DRIVER(nvme_driver);

/* ------------------------------------------------------- diagnostics ---- */

void nvme_report(void)
{
	if (!nctrls)
		kprintf("nvme: no NVMe controller (QEMU: -device nvme; make run attaches "
			"build/nvme.img unless NVME=none)\n");
}

unsigned nvme_count(void)
{
	return nctrls;
}

bool nvme_info(unsigned i, struct nvme_ctrl_info *out)
{
	struct nvme_ctrl *c = i < nctrls ? ctrls[i] : NULL;

	if (!c)
		return false;
	memset(out, 0, sizeof(*out));
	strlcpy(out->name, c->name, sizeof(out->name));
	out->pci = c->pci->name;
	strlcpy(out->model, c->model, sizeof(out->model));
	strlcpy(out->serial, c->serial, sizeof(out->serial));
	strlcpy(out->firmware, c->firmware, sizeof(out->firmware));
	out->version = c->version;
	out->max_xfer = c->max_xfer;
	out->vwc = c->vwc;
	out->irq_mode = c->irq_mode;
	out->state = c->state == CTRL_LIVE ? "live" : c->state == CTRL_RESETTING ? "resetting" : "dead";
	out->nns = c->nns;
	out->nq = c->nq;
	for (unsigned k = 0; k < c->nns; k++) {
		out->ns[k].nsid = c->ns[k].nsid;
		strlcpy(out->ns[k].name, c->ns[k].bd.name, sizeof(out->ns[k].name));
		out->ns[k].blocks = c->ns[k].blocks;
		out->ns[k].lba_size = 1u << c->ns[k].lba_shift;
	}
	for (unsigned k = 0; k < c->nq; k++) {
		struct nvme_q *q = &c->ioq[k];
		unsigned long f = spin_lock_irqsave(&q->lock);

		out->q[k] = (struct nvme_queue_info){ .qid = q->qid, .depth = q->depth,
			.inflight = q->inflight, .max_inflight = q->max_inflight,
			.submitted = q->submitted, .completed = q->completed, .errors = q->errors,
			.vector = q->vector, .irqs = __atomic_load_n(&q->irqs, __ATOMIC_RELAXED) };
		spin_unlock_irqrestore(&q->lock, f);
	}
	out->timeouts = __atomic_load_n(&c->timeouts, __ATOMIC_RELAXED);
	out->aborts = __atomic_load_n(&c->aborts, __ATOMIC_RELAXED);
	out->resets = __atomic_load_n(&c->resets, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&c->errors, __ATOMIC_RELAXED);
	out->timeout_ns = __atomic_load_n(&c->timeout_ns, __ATOMIC_RELAXED);
	out->inflight = __atomic_load_n(&c->inflight, __ATOMIC_RELAXED);
	out->max_inflight = __atomic_load_n(&c->max_inflight, __ATOMIC_RELAXED);
	return true;
}

uint64_t nvme_set_timeout(unsigned i, uint64_t ns)
{
	struct nvme_ctrl *c = i < nctrls ? ctrls[i] : NULL;

	if (!c)
		return 0;
	return __atomic_exchange_n(&c->timeout_ns, ns ? ns : NVME_TIMEOUT_NS, __ATOMIC_RELAXED);
}

int nvme_test_fault(unsigned i, const char *what, unsigned n)
{
	struct nvme_ctrl *c = i < nctrls ? ctrls[i] : NULL;

	if (!c)
		return -ENODEV;
	if (!strcmp(what, "bad-lba"))
		__atomic_store_n(&c->fault_bad_lba, n, __ATOMIC_RELAXED);
	else if (!strcmp(what, "hold"))
		__atomic_store_n(&c->fault_hold_ms, n, __ATOMIC_RELAXED);
	else if (!strcmp(what, "lose-completion"))
		__atomic_store_n(&c->fault_lose_cqe, n, __ATOMIC_RELAXED);
	else
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------- test hooks ---- */

int nvme_test_bring_up(volatile void *regs, uint64_t size)
{
	struct nvme_ctrl *c = kzalloc(sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	strlcpy(c->name, "nvmeT", sizeof(c->name));
	c->regs = regs;
	c->bar_size = size;
	mutex_init(&c->admin_lock, "nvme_admin");
	c->cap = rd64(c, NVME_REG_CAP);
	err = check_cap(c);
	if (!err)
		err = q_alloc(c, &c->aq, 0, ADMIN_DEPTH);
	if (!err) {
		mutex_lock(&c->admin_lock);
		err = ctrl_enable(c);
		mutex_unlock(&c->admin_lock);
	}
	if (c->aq.sq_pa)
		pmm_free_page(c->aq.sq_pa);
	if (c->aq.cq_pa)
		pmm_free_page(c->aq.cq_pa);
	kfree(c);
	return err;
}
