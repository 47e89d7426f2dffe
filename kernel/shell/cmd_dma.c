/*
 * cmd_dma.c - the `dma` shell command:
 *   dma status                     engines, queues, the descriptor on each
 *                                  device and its age, counters
 *   dma copy SRC DST LEN           raw copy between physical addresses,
 *                                  both inside pmem regions (debugging)
 *   dma cp ...                     DMA on files: provided by the DMA-on-files
 *                                  layer as a strong cmd_dma_cp(); without
 *                                  it the subcommand says it is missing
 *
 * `dma copy` follows the unpin rule of include/drivers/dma.h through
 * dma_copy_sync(), which pins every pmem page of both ranges before it
 * submits and unpins them in the descriptor's done().
 */
#include <drivers/dma.h>
#include <drivers/pmem.h>
#include <kernel/mm.h>
#include <kernel/timer.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "shell.h"

#define NS_PER_MS	1000000ul
#define NS_PER_US	1000ul

/* Defined by the DMA-on-files layer when it is built in. */
int cmd_dma_cp(int argc, char **argv) __attribute__((weak));
int cmd_dma_jobs(int argc, char **argv) __attribute__((weak));

static void print_active(const struct dma_engine_status *st, uint64_t now)
{
	if (!st->active) {
		shell_printf("  active: none\n");
		return;
	}
	shell_printf("  active: #%lu, %lu of %lu bytes, submitted %lu ms ago, on the device for %lu ms\n",
		     st->active_id, st->active_done, st->active_len,
		     (now - st->active_submit_ns) / NS_PER_MS, (now - st->active_start_ns) / NS_PER_MS);
}

static void print_engine(struct dma_engine *e)
{
	struct dma_engine_status st;
	const struct dma_stats *s = &st.stats;

	dma_engine_status(e, &st);
	shell_printf("%s: %s, %lu-byte steps, completions by %s", e->name, e->device ? e->device : "-",
		     e->max_seg, st.mode ? st.mode : "?");
	if (st.vector >= 0)
		shell_printf(" (vector %d)", st.vector);
	shell_printf("\n  queue: %u waiting\n", st.queued);
	print_active(&st, time_ns());
	shell_printf("  transfers %lu, bytes %lu, errors %lu, timeouts %lu, canceled %lu\n",
		     s->completed, s->bytes, s->errors, s->timeouts, s->canceled);
	shell_printf("  interrupts %lu (unexpected %lu), channel resets %lu\n",
		     s->irqs, s->unexpected_irqs, s->resets);
}

static int dma_cmd_status(void)
{
	if (dma_engine_count() == 0) {
		shell_printf("no DMA engine: %s\n", dma_why_none());
		return 0;
	}
	for (unsigned i = 0; i < dma_engine_count(); i++)
		print_engine(dma_get_engine(i));
	return 0;
}

/* Is [pa, pa+len) inside one pmem region? */
static bool in_one_region(uint64_t pa, uint64_t len)
{
	for (unsigned i = 0; i < pmem_region_count(); i++) {
		const struct pmem_region *r = pmem_region(i);

		if (pa >= r->phys && len <= r->size && pa - r->phys <= r->size - len)
			return true;
	}
	return false;
}

static int dma_cmd_copy(char **argv)
{
	struct dma_engine *e = dma_get_engine(0);
	uint64_t src, dst, len, t0;
	int err;

	if (shell_parse_u64(argv[2], "source", &src) || shell_parse_u64(argv[3], "destination", &dst) ||
	    shell_parse_size(argv[4], "length", &len))
		return -EINVAL;
	if (!e) {
		shell_printf("dma copy: no DMA engine: %s\n", dma_why_none());
		return -ENODEV;
	}
	if (!len || !in_one_region(src, len) || !in_one_region(dst, len)) {
		shell_printf("dma copy: %#lx and %#lx + %#lx must both lie inside one pmem region\n",
			     src, dst, len);
		return -ERANGE;
	}
	if (src < dst + len && dst < src + len) {
		shell_printf("dma copy: the ranges overlap\n");
		return -EINVAL;
	}
	t0 = time_ns();
	err = dma_copy_sync(e, dst, src, len, 0);	/* pins both ranges until done() */
	t0 = time_ns() - t0;
	if (err) {
		shell_printf("dma copy: %s\n", strerror(err));
		return err;
	}
	shell_printf("copied %lu bytes from %#lx to %#lx with %s in %lu ms\n", len, src, dst, e->name,
		     t0 / NS_PER_MS);
	return 0;
}

static int cmd_dma(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";

	if (!strcmp(op, "status") && argc == 2)
		return dma_cmd_status();
	if (!strcmp(op, "copy") && argc == 5)
		return dma_cmd_copy(argv);
	if (!strcmp(op, "jobs") && argc == 2 && cmd_dma_jobs)
		return cmd_dma_jobs(argc - 1, argv + 1);
	if (!strcmp(op, "cp")) {
		if (cmd_dma_cp)
			return cmd_dma_cp(argc - 1, argv + 1);
		shell_printf("dma cp: DMA on files is not built into this kernel\n");
		return -ENOSYS;
	}
	{
		static const char *const ops[] = { "status", "jobs", "copy", "cp", NULL };
		const char *guess = shell_suggest_word(op, ops);
		bool known = false;

		for (const char *const *o = ops; *o; o++)
			known |= !strcmp(op, *o);
		if (*op && !known && guess)
			return shell_usage_error(argv[0], "no subcommand '%s' (did you mean '%s'?)",
						 op, guess);
		if (*op && !known)
			return shell_usage_error(argv[0], "no subcommand '%s'", op);
	}
	return shell_usage_error(argv[0], "expected status, jobs, copy SRC DST LEN, or cp SRC DST [&]");
}
SHELL_CMD("dma", "dma status | jobs | copy SRC_PHYS DST_PHYS LEN | cp SRC DST [&]",
	  "the DMA engines: state and counters, raw pmem-to-pmem copies, DMA on files", cmd_dma);
