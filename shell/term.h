/*
 * term.h - terminal detection for the shell (term.c, progress.c).
 */
#ifndef SHELL_TERM_H
#define SHELL_TERM_H

#include <stdbool.h>
#include <stddef.h>

#define TERM_QUERY	"\x1b[6n"	/* "where is the cursor?" */

bool term_scan(const char *in, size_t n, char *rest, size_t *nrest);

#endif
