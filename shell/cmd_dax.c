/*
 * cmd_dax.c - the shell command on the DAX layer's pins:
 *   pins [PATH]          pin records: holder, file, offset, pages, age,
 *                        lease mode (wait/fail/revoke; "revoked" for a
 *                        revoked pin its holder still holds); a record
 *                        whose pages are all unpinned already is left out
 * (DMA into files, `dma cp` and `dma jobs`, is in cmd_dma.c with the
 * rest of the `dma` command.)
 */
#include <fs/dax.h>
#include <fs/holdfs.h>
#include <fs/vfs.h>
#include <kernel/timer.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <shell/shell.h>

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
	/* A record whose pages have all been unpinned by their done()s is
	 * on its way out: nothing is pinned by it any more.  A revoked one
	 * is shown (with the pages it had) while its holder keeps it. */
	if (!dax_pin_held_pages(p) && !dax_pin_revoked(p))
		return;
	shell_printf("%-18s inode %-6lu offset %#-10lx %4u pages  %6lu ms  lease=%s%s  %s\n",
		     dax_pin_holder(p), dax_pin_ino(p), dax_pin_offset(p), dax_pin_npages(p),
		     (c->now - dax_pin_since(p)) / 1000000, dax_lease_name(dax_pin_lease(p)),
		     dax_pin_revoked(p) ? " revoked" : "", dax_pin_detail(p));
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
