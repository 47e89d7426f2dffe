/*
 * nvme.h - the NVMe driver's public side: what the shell's `nvme` command,
 * the tests and the benchmarks may ask of it.  Data moves through the
 * block-device registry (include/drivers/blkdev.h: read/write through a
 * bounce buffer, submit for zero copy); nothing here moves data.
 *
 * Spec: NVM Express Base Specification, Revision 1.4c [NVMe].
 *
 * Locking: the snapshot calls take each queue's lock (irqsave) in turn;
 * any thread context.
 */
#ifndef DRIVERS_NVME_H
#define DRIVERS_NVME_H

#include <stdbool.h>
#include <stdint.h>

#define NVME_MAX_CTRLS		2
#define NVME_MAX_NS		8	/* namespaces registered per controller */
#define NVME_MAX_IOQ		8	/* I/O queue pairs per controller */

struct nvme_queue_info {
	unsigned qid, depth, inflight, max_inflight;
	uint64_t submitted, completed, errors;
	int vector;			/* -1: polled */
	uint64_t irqs;			/* interrupts taken for it */
};

struct nvme_ns_info {
	unsigned nsid;
	char name[16];			/* "nvme0n1" */
	uint64_t blocks;
	uint32_t lba_size;
};

struct nvme_ctrl_info {
	char name[8];			/* "nvme0" */
	const char *pci;		/* "0000:00:04.0" */
	char model[41], serial[21], firmware[9];
	uint32_t version;		/* VS: major << 16 | minor << 8 | tertiary */
	uint64_t max_xfer;		/* bytes per command (MDTS, capped) */
	bool vwc;			/* volatile write cache: Flush sent */
	const char *irq_mode;		/* "MSI-X", "MSI", "polling" */
	const char *state;		/* "live", "resetting", "dead" */
	unsigned nns, nq;
	struct nvme_ns_info ns[NVME_MAX_NS];
	struct nvme_queue_info q[NVME_MAX_IOQ];
	uint64_t timeouts, aborts, resets, errors;
	uint64_t timeout_ns;
	unsigned inflight, max_inflight;	/* I/O commands, all queues */
};

/**
 * nvme_report - say in one line at boot that there is no NVMe controller.
 * Boot, once, after pci_init().
 */
void nvme_report(void);

/**
 * nvme_count - controllers the driver took.  Any context.
 */
unsigned nvme_count(void);

/**
 * nvme_info - fill @out with controller @i's state.  Returns false past
 * the last.  Thread context; takes each queue lock briefly.
 */
bool nvme_info(unsigned i, struct nvme_ctrl_info *out);

/**
 * nvme_set_timeout - command timeout for controller @i (0: the default,
 * NVME_TIMEOUT_NS); returns the old one.  For tests.  Any context.
 */
uint64_t nvme_set_timeout(unsigned i, uint64_t ns);
/**
 * nvme_test_fault - fault injection for tests: "bad-lba" sends the @n-th
 * next I/O command with a starting LBA past the namespace's end (the
 * device answers LBA Out of Range); "lose-completion" ignores the next @n
 * completions, so the commands time out (Abort, then controller reset);
 * "hold" keeps the SQ doorbell of the next command unrung for @n ms (the
 * watchdog rings it), so its DMA happens that much later.
 * Returns 0, -ENODEV (no controller @i), -EINVAL (unknown fault).
 */
int nvme_test_fault(unsigned i, const char *what, unsigned n);
/**
 * nvme_test_bring_up - run the driver's bring-up (CAP checks, then reset
 * and enable with the CAP.TO wait) on @size bytes of fake registers at
 * @regs (ordinary memory the test fills: CAP, CSTS), for the states QEMU
 * cannot make: a controller that never becomes ready (-ETIMEDOUT after
 * CAP.TO), one that reads as gone (-ENODEV), fatal status (-EIO), bad CAP
 * fields (-ENODEV).  Thread context; sleeps up to CAP.TO.
 */
int nvme_test_bring_up(volatile void *regs, uint64_t size);
#define NVME_TIMEOUT_NS		(10ULL * 1000 * 1000 * 1000)

/**
 * nvme_status_name - the words for a completion status (SCT << 8 | SC),
 * [NVMe 4.6.1.2]: "Unrecovered Read Error".  Any context.
 */
const char *nvme_status_name(unsigned sct_sc);

#endif
