/*
 * progress.c - progress lines for long shell commands (cp, dma cp), shown
 * only to a person at a terminal, never in scripts.
 *
 * `progress auto` (the default) asks the terminal where its cursor is the
 * first time a long command starts (term.c): a terminal answers within a
 * few milliseconds, a script does not, and whatever the script had typed
 * ahead meanwhile is handed back to the shell's input (shell_getc()).
 * `progress on` / `progress off` decide without asking.
 *
 * A progress line is rewritten in place ("\r") at most every 250 ms:
 *	cp: 42% 107/256 MiB, 1234 MB/s
 * and ends with the 100% line and a newline.  Counts that are not bytes
 * (holdfs's mkfs and fsck phases, through progress_hfs) show as
 *	mkfs: 42% 107/256 metadata blocks  Only the shell thread uses
 * any of this: no locking.
 */
#include <kernel/timer.h>
#include <kernel/sched.h>
#include <kernel/printk.h>
#include <drivers/uart16550.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <shell/shell.h>
#include "term.h"
#include "progress.h"

#define ANSWER_WAIT_NS	(150ull * 1000 * 1000)
#define REDRAW_NS	(250ull * 1000 * 1000)
#define PUSHBACK	256
#define MIB		(1024 * 1024)

enum { MODE_AUTO, MODE_ON, MODE_OFF };
static int mode = MODE_AUTO;
static int detected = -1;		/* -1: not asked yet */
static char pushback[PUSHBACK];
static size_t npush, push_pos;

/* The shell's input: bytes handed back by the terminal query first. */
char shell_getc(void)
{
	if (push_pos < npush)
		return pushback[push_pos++];
	return uart_getc();
}

static bool ask_terminal(void)
{
	char got[PUSHBACK];
	size_t n = 0, nrest;
	uint64_t end;
	bool found;

	/* Unread bytes from an earlier query go first. */
	while (push_pos < npush && n < sizeof(got))
		got[n++] = pushback[push_pos++];
	console_write(TERM_QUERY, sizeof(TERM_QUERY) - 1);
	end = time_ns() + ANSWER_WAIT_NS;
	while (time_ns() < end && n < sizeof(got)) {
		int c = uart_trygetc();

		if (c < 0) {
			msleep(2);
			continue;
		}
		got[n++] = (char)c;
		if (c == 'R' && term_scan(got, n, pushback, &nrest))
			break;
	}
	found = term_scan(got, n, pushback, &nrest);
	npush = nrest;
	push_pos = 0;
	return found;
}

bool progress_wanted(void)
{
	if (mode != MODE_AUTO)
		return mode == MODE_ON;
	if (detected < 0)
		detected = ask_terminal();
	return detected;
}

void progress_begin(struct progress *p, const char *what, uint64_t total)
{
	p->what = what;
	p->unit = NULL;
	p->total = total;
	p->t0 = p->last = time_ns();
	p->shown = false;
	p->on = total && progress_wanted();
}

static void draw(struct progress *p, uint64_t done, uint64_t now)
{
	uint64_t ns = now - p->t0 + 1;

	if (p->unit) {
		shell_printf("\r%s: %3lu%% %lu/%lu %s", p->what,
			     (unsigned long)(done * 100 / p->total), (unsigned long)done,
			     (unsigned long)p->total, p->unit);
		p->shown = true;
		return;
	}
	shell_printf("\r%s: %3lu%% %lu/%lu MiB, %lu MB/s", p->what,
		     (unsigned long)(done * 100 / p->total), (unsigned long)(done / MIB),
		     (unsigned long)(p->total / MIB), (unsigned long)(done * 1000 / ns));
	p->shown = true;
}

void progress_update(struct progress *p, uint64_t done)
{
	uint64_t now;

	if (!p->on)
		return;
	now = time_ns();
	if (now - p->last < REDRAW_NS)
		return;
	p->last = now;
	draw(p, done > p->total ? p->total : done, now);
}

void progress_end(struct progress *p, uint64_t done)
{
	if (!p->on)
		return;
	draw(p, done > p->total ? p->total : done, time_ns());
	shell_printf("\n");
}

/*
 * progress_hfs - holdfs's progress callback (hfs_progress_fn) drawing into
 * @arg, a struct progress whose .what the caller set and whose .unit is
 * NULL before the first call: each phase gets its own line, ended when
 * holdfs reports it done.
 */
void progress_hfs(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	struct progress *p = arg;

	if (!p->unit || strcmp(p->unit, phase) || p->total != total) {
		progress_begin(p, p->what, total);
		p->unit = phase;
	}
	if (done < total) {
		progress_update(p, done);
		return;
	}
	progress_end(p, done);
	p->unit = NULL;
}

static int cmd_progress(int argc, char **argv)
{
	if (argc > 2)
		return shell_usage_error(argv[0], "takes at most one argument");
	if (argc == 2) {
		if (!strcmp(argv[1], "on"))
			mode = MODE_ON;
		else if (!strcmp(argv[1], "off"))
			mode = MODE_OFF;
		else if (!strcmp(argv[1], "auto"))
			mode = MODE_AUTO;
		else
			return shell_usage_error(argv[0], "expected on, off or auto, not '%s'",
						 argv[1]);
	}
	shell_printf("progress: %s\n", mode == MODE_ON ? "on" : mode == MODE_OFF ? "off" :
		     detected < 0 ? "auto (not asked the terminal yet)" :
		     detected ? "auto (a terminal answered: shown)" :
		     "auto (no terminal answered: quiet)");
	return 0;
}
SHELL_CMD("progress", "progress [on|off|auto]",
	  "progress lines of long commands (cp, dma cp, mkfs, fsck): auto shows them on a terminal",
	  cmd_progress);
