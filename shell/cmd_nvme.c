/*
 * cmd_nvme.c - the `nvme` shell command:
 *   nvme                           each controller: model, queues (depth,
 *                                  commands in flight now and at most,
 *                                  counts), namespaces, error counters
 *   nvme timeout MS                the command timeout (0: the default)
 *   nvme fault bad-lba|lose-completion|hold N   fault injection for tests
 *                                  (include/drivers/nvme.h)
 * Data moves through /dev/nvme0n1 (cp, hexdump, crc32) and `dma cp`.
 */
#include <drivers/nvme.h>
#include <kernel/mm.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <shell/shell.h>

#define NS_PER_MS	1000000ul

static void show(const struct nvme_ctrl_info *c)
{
	shell_printf("%s: %s, \"%s\" serial \"%s\" firmware \"%s\", NVMe %u.%u, %s\n", c->name,
		     c->pci, c->model, c->serial, c->firmware, c->version >> 16,
		     (c->version >> 8) & 0xFF, c->state);
	shell_printf("  interrupts: %s; %lu KiB per command; %s; timeout %lu ms\n", c->irq_mode,
		     c->max_xfer >> 10, c->vwc ? "volatile write cache (Flush sent)" : "no volatile write cache",
		     (uint64_t)(c->timeout_ns / NS_PER_MS));
	for (unsigned i = 0; i < c->nns; i++)
		shell_printf("  namespace %u: /dev/%s, %lu blocks of %u bytes (%lu MiB)\n",
			     c->ns[i].nsid, c->ns[i].name, c->ns[i].blocks, c->ns[i].lba_size,
			     (c->ns[i].blocks * c->ns[i].lba_size) >> 20);
	for (unsigned i = 0; i < c->nq; i++) {
		const struct nvme_queue_info *q = &c->q[i];

		shell_printf("  queue %u: depth %u, in flight %u (most %u), submitted %lu, "
			     "completed %lu, errors %lu, ", q->qid, q->depth, q->inflight,
			     q->max_inflight, q->submitted, q->completed, q->errors);
		if (q->vector >= 0)
			shell_printf("vector %d, %lu interrupts\n", q->vector, q->irqs);
		else
			shell_printf("polled\n");
	}
	shell_printf("  commands in flight %u (most %u); errors %lu, timeouts %lu, aborts %lu, "
		     "resets %lu\n", c->inflight, c->max_inflight, c->errors, c->timeouts,
		     c->aborts, c->resets);
}

static int cmd_nvme(int argc, char **argv)
{
	struct nvme_ctrl_info *c;
	uint64_t v;
	int err;

	if (argc == 3 && !strcmp(argv[1], "timeout")) {
		if (shell_parse_u64(argv[2], "timeout", &v))
			return -EINVAL;
		if (!nvme_count()) {
			shell_printf("nvme: no NVMe controller\n");
			return -ENODEV;
		}
		nvme_set_timeout(0, v * NS_PER_MS);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "fault")) {
		if (shell_parse_u64(argv[3], "count", &v))
			return -EINVAL;
		err = nvme_test_fault(0, argv[2], (unsigned)v);
		if (err)
			shell_printf("nvme fault: %s\n", err == -EINVAL ?
				     "expected bad-lba, lose-completion or hold" : "no NVMe controller");
		return err;
	}
	if (argc != 1)
		return shell_usage_error(argv[0], "expected no argument, timeout MS, or fault KIND N");
	if (!nvme_count()) {
		shell_printf("no NVMe controller (make run attaches one: NVME=path, NVME=none)\n");
		return 0;
	}
	if (!(c = kzalloc(sizeof(*c))))
		return -ENOMEM;
	for (unsigned i = 0; nvme_info(i, c); i++)
		show(c);
	kfree(c);
	return 0;
}
SHELL_CMD("nvme", "nvme | nvme timeout MS | nvme fault bad-lba|lose-completion|hold N",
	  "NVMe controllers: namespaces, queues, commands in flight, errors", cmd_nvme);
