/*
 * progress.h - one-line progress for the host tools (mkfs.holdfs,
 * fsck.holdfs): "\rTOOL: IMAGE:  42% (N of M UNITS, R UNITS/s)" on stderr,
 * redrawn at most every PROGRESS_PERIOD_MS and ended with a newline.
 *
 * Shown only when stderr is a terminal (PROGRESS_AUTO), so scripts, tests
 * and pipes stay quiet; -P forces it (PROGRESS_ON), for tests of the
 * format.  Plugs into the core as an hfs_progress_fn (progress_cb).
 */
#ifndef TOOLS_PROGRESS_H
#define TOOLS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum progress_mode { PROGRESS_AUTO, PROGRESS_ON };

struct progress {
	FILE *out;
	const char *tool;	/* "mkfs.holdfs" */
	const char *image;
	bool on;
	bool drawn;		/* a line is on the screen, not yet ended */
	int width;		/* characters of the last line drawn */
	double start, last;	/* seconds, monotonic */
};

void progress_init(struct progress *p, const char *tool, const char *image,
		   enum progress_mode mode);
/* An hfs_progress_fn: @arg is the struct progress. */
void progress_cb(void *arg, const char *phase, uint64_t done, uint64_t total);
/* End the line (newline) if one is drawn; call before other output. */
void progress_end(struct progress *p);

#endif
