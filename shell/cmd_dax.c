/*
 * cmd_dax.c - shell commands on DMA into files and on pins:
 *   dma cp SRC DST [&]   copy a file with the DMA engine (& runs it in the
 *                        background and prints the job id)
 *   dma jobs             copies in progress and finished
 *   pins [PATH]          pinned pages: holder, file, offset, pages, age
 */
#include <drivers/dma.h>
#include <fs/dmafile.h>
#include <fs/dax.h>
#include <fs/vfs.h>
#include <kernel/timer.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <fs/holdfs.h>
#include "progress.h"
#include <kernel/sched.h>
#include <shell/shell.h>

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

int cmd_dma_cp(int argc, char **argv)
{
	bool background = argc == 4 && !strcmp(argv[3], "&");
	bool watch;
	int id, result = 0;

	if (argc != 3 && !background) {
		shell_printf("usage: dma cp SRC DST [&]\n");
		return -EINVAL;
	}
	if (vfs_same_file(argv[1], argv[2], true)) {
		shell_printf("dma cp: %s and %s are the same file\n", argv[1], argv[2]);
		return -EINVAL;
	}
	/* In the foreground on a terminal: run it as a job and watch it. */
	watch = !background && progress_wanted();
	id = dma_file_copy(argv[1], argv[2], !background && !watch, &result);
	if (id < 0 && dma_engine_count() == 0) {
		shell_printf("dma cp: no DMA engine: %s\n", dma_why_none());
		return id;
	}
	if (id < 0) {
		shell_printf("dma cp: %s -> %s: %s\n", argv[1], argv[2], strerror(id));
		return id;
	}
	if (background)
		shell_printf("[%d] dma cp %s %s running in the background\n", id, argv[1], argv[2]);
	return watch ? watch_job(id) : result;
}

static int cmd_jobs(void)
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

int cmd_dma_jobs(int argc, char **argv)
{
	return cmd_jobs();
}

struct pins_ctx {
	uint64_t ino;		/* 0: all */
	uint64_t now;
	unsigned shown;
};

static void show_pin(const struct dax_pin *p, void *arg)
{
	struct pins_ctx *c = arg;

	if (c->ino && dax_pin_ino(p) != c->ino)
		return;
	shell_printf("%-18s inode %-6lu offset %#-10lx %4u pages  %6lu ms  %s\n",
		     dax_pin_holder(p), dax_pin_ino(p), dax_pin_offset(p), dax_pin_npages(p),
		     (c->now - dax_pin_since(p)) / 1000000, dax_pin_detail(p));
	c->shown++;
}

static int cmd_pins(int argc, char **argv)
{
	struct pins_ctx c = { 0, time_ns(), 0 };
	struct hfs_stat st;
	int err;

	if (argc > 2)
		return shell_usage_error(argv[0], "takes at most one path");
	if (argc == 2) {
		if ((err = vfs_stat(argv[1], &st))) {
			shell_printf("pins: %s: %s\n", argv[1], strerror(err));
			return err;
		}
		c.ino = st.ino;
	}
	dax_for_each_pin(show_pin, &c);
	if (!c.shown)
		shell_printf("no pinned pages%s%s\n", argc == 2 ? " in " : "", argc == 2 ? argv[1] : "");
	return 0;
}
SHELL_CMD("pins", "pins [PATH]", "pinned pmem pages: who holds them, where, for how long", cmd_pins);
