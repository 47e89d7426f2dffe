/*
 * progress.h - progress lines for long shell commands (progress.c).
 */
#ifndef SHELL_PROGRESS_H
#define SHELL_PROGRESS_H

#include <stdint.h>
#include <stdbool.h>

struct progress {
	const char *what;
	const char *unit;		/* NULL: bytes, shown in MiB and MB/s */
	uint64_t total, t0, last;
	bool on, shown;
};

bool progress_wanted(void);
void progress_begin(struct progress *p, const char *what, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
void progress_end(struct progress *p, uint64_t done);
void progress_hfs(void *arg, const char *phase, uint64_t done, uint64_t total);
char shell_getc(void);

#endif
