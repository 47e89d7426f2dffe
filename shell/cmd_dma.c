/*
 * cmd_dma.c - the `dma` shell command:
 *   dma status                     engines, queues, the descriptor on each
 *                                  device and its age, counters
 *   dma copy SRC DST LEN           raw copy between physical addresses,
 *                                  both inside pmem regions (debugging)
 *   dma cp SRC DST [&]             copy a file with the DMA engine, through
 *                                  DMA on files (fs/dmafile.c); & runs it in
 *                                  the background and prints the job id
 *   dma cp [-d DEVOFF] [-f FILEOFF] [-n LEN] DEV FILE | FILE DEV [&]
 *                                  zero-copy DMA between a block device
 *                                  with a submit op (/dev/nvme0n1) and a
 *                                  file (dma_blk_copy): the device itself
 *                                  DMAs into or out of the file's pages
 *   dma jobs                       copies in progress and finished
 *   dma cp --lease=wait|fail|revoke ...
 *                                  the pins' lease (include/fs/dax.h): a
 *                                  truncate of a range in flight waits
 *                                  (default), fails with ETXTBSY, or revokes
 *                                  the copy's access (IOMMU) and goes on
 *
 * `dma copy` follows the unpin rule of include/drivers/dma.h through
 * dma_copy_sync(), which pins every pmem page of both ranges before it
 * submits and unpins them in the descriptor's done().
 */
#include <drivers/dma.h>
#include <drivers/pmem.h>
#include <fs/dmafile.h>
#include <fs/vfs.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <shell/shell.h>
#include "progress.h"

#define NS_PER_MS	1000000ul
#define NS_PER_US	1000ul

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

/* ---------------------------------------------------- DMA on files -- */

/* The job with this id, copied out; false if it is not in the table. */
static bool find_job(int id, struct dma_job_info *j)
{
	for (unsigned i = 0; i < DMA_JOBS_MAX; i++)
		if (dma_job_get(i, j) && (int)j->id == id)
			return true;
	return false;
}

/* Show job @id's progress until it ends; its error, or 0.  Ctrl-C stops
 * the job after its chunk in flight (dma_job_stop), and this waits for it. */
static int watch_job(int id)
{
	struct dma_job_info j;
	struct progress prog;
	bool stopping = false;

	if (!find_job(id, &j))
		return 0;
	progress_begin(&prog, "dma cp", j.total);
	while (find_job(id, &j) && !j.finished_ns) {
		progress_update(&prog, j.done);
		if (stopping)
			msleep(50);	/* an interrupt is pending: sleep anyway */
		else if (msleep_interruptible(50) == -EINTR) {
			dma_job_stop((unsigned)id);
			stopping = true;
		}
	}
	progress_end(&prog, j.done);
	/* The job thread prints its own "dma job N: copied ..." line. */
	return find_job(id, &j) ? j.error : 0;
}

/* -d DEVOFF, -f FILEOFF, -n LEN in front of SRC DST: removed from argv
 * into @r.  Returns the new argc, or -EINVAL (said). */
static int parse_blk_opts(int argc, char **argv, struct dma_blk_range *r, bool *any)
{
	int out = 1;

	memset(r, 0, sizeof(*r));
	*any = false;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		uint64_t *v = !strcmp(o, "-d") ? &r->dev_off : !strcmp(o, "-f") ? &r->file_off :
			      !strcmp(o, "-n") ? &r->len : NULL;

		if (!v || i + 1 >= argc) {
			argv[out++] = argv[i];
			continue;
		}
		if (shell_parse_size(argv[i + 1], !strcmp(o, "-n") ? "length" : "offset", v))
			return -EINVAL;
		r->len_set |= v == &r->len;
		r->file_off_set |= v == &r->file_off;
		*any = true;
		i++;
	}
	argv[out] = NULL;
	return out;
}

/* --lease=MODE anywhere in argv: removed into *@lease.  The new argc, or
 * a negative errno (said). */
static int parse_lease(int argc, char **argv, enum dax_lease *lease)
{
	int out = 0, err;

	*lease = DAX_LEASE_WAIT;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--lease=", 8)) {
			argv[out++] = argv[i];
			continue;
		}
		if (dax_lease_parse(argv[i] + 8, lease)) {
			shell_printf("dma cp: no lease '%s': expected wait, fail or revoke\n", argv[i] + 8);
			return -EINVAL;
		}
		if ((err = dax_lease_check(*lease)) == -EOPNOTSUPP) {
			shell_printf("dma cp: --lease=revoke: %s\n", DAX_LEASE_REVOKE_NEEDS);
			return err;
		}
	}
	argv[out] = NULL;
	return out;
}

static int dma_cmd_cp(int argc, char **argv)
{
	struct dma_blk_range r;
	bool opts, background, watch, blk;
	enum dax_lease lease;
	int id, result = 0;

	if ((argc = parse_lease(argc, argv, &lease)) < 0)
		return argc;
	if ((argc = parse_blk_opts(argc, argv, &r, &opts)) < 0)
		return argc;
	r.lease = lease;
	background = argc == 4 && !strcmp(argv[3], "&");
	if (argc != 3 && !background) {
		shell_printf("usage: dma cp [--lease=wait|fail|revoke] [-d DEVOFF] [-f FILEOFF] [-n LEN] SRC DST [&]\n");
		return -EINVAL;
	}
	blk = dma_is_blkdev(argv[1]) || dma_is_blkdev(argv[2]);
	if (opts && !blk) {
		shell_printf("dma cp: -d, -f and -n are for a copy to or from a block device (/dev/nvme0n1)\n");
		return -EINVAL;
	}
	if (!blk && vfs_same_file(argv[1], argv[2], true)) {
		shell_printf("dma cp: %s and %s are the same file\n", argv[1], argv[2]);
		return -EINVAL;
	}
	/* In the foreground on a terminal: run it as a job and watch it. */
	watch = !background && progress_wanted();
	if (blk)
		id = dma_blk_copy(argv[1], argv[2], &r, !background && !watch, &result);
	else
		id = dma_file_copy_lease(argv[1], argv[2], lease, !background && !watch, &result);
	if (id < 0 && !blk && dma_engine_count() == 0) {
		shell_printf("dma cp: no DMA engine: %s\n", dma_why_none());
		return id;
	}
	if (id < 0) {
		shell_printf("dma cp: %s -> %s: %s\n", argv[1], argv[2], strerror(id));
		return id;
	}
	if (background)
		shell_printf("[%d] dma cp %s %s running in the background%s%s\n", id, argv[1], argv[2],
			     lease ? ", lease=" : "", lease ? dax_lease_name(lease) : "");
	return watch ? watch_job(id) : result;
}

static int dma_cmd_jobs(void)
{
	struct dma_job_info j;
	uint64_t now = time_ns();

	shell_printf(" job  state     bytes done/total        ms  copy\n");
	for (unsigned i = 0; i < DMA_JOBS_MAX; i++) {
		if (!dma_job_get(i, &j))
			continue;
		uint64_t end = j.finished_ns ? j.finished_ns : now;
		shell_printf("%4u  %-8s %10lu/%-10lu %6lu  %s -> %s%s%s\n", j.id,
			     !j.finished_ns ? "running" : j.error ? "failed" : "done",
			     j.done, j.total, (end - j.started_ns) / 1000000, j.src, j.dst,
			     j.error ? ": " : "", j.error ? strerror(j.error) : "");
	}
	return 0;
}

static int cmd_dma(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";

	if (!strcmp(op, "status") && argc == 2)
		return dma_cmd_status();
	if (!strcmp(op, "copy") && argc == 5)
		return dma_cmd_copy(argv);
	if (!strcmp(op, "jobs") && argc == 2)
		return dma_cmd_jobs();
	if (!strcmp(op, "cp"))
		return dma_cmd_cp(argc - 1, argv + 1);
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
SHELL_CMD("dma", "dma status | jobs | copy SRC_PHYS DST_PHYS LEN | cp [--lease=wait|fail|revoke] [-d DEVOFF] [-f FILEOFF] [-n LEN] SRC DST [&]",
	  "the DMA engines: state and counters, raw pmem-to-pmem copies, DMA on files", cmd_dma);
