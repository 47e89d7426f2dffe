/*
 * term.c - is a person at a terminal on the serial port?  Parsing the
 * answer to a cursor-position query (portable: host-tested).
 *
 * A terminal (xterm, the console QEMU's -serial stdio hands to `make run`)
 * answers ESC [ 6 n with ESC [ row ; col R.  A script piping commands in
 * answers nothing.  term_scan() finds such an answer among bytes read
 * back, and returns the other bytes (typed-ahead input) in order.
 */
#include <lib/string.h>
#include "term.h"

/* Length of a cursor-position report starting at s[0], or 0. */
static size_t report_len(const char *s, size_t n)
{
	size_t i = 2, digits;

	if (n < 6 || s[0] != '\x1b' || s[1] != '[')
		return 0;
	for (digits = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (!digits || i >= n || s[i] != ';')
		return 0;
	for (i++, digits = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (!digits || i >= n || s[i] != 'R')
		return 0;
	return i + 1;
}

/**
 * term_scan - look for a cursor-position report in @in (@n bytes).  Copies
 * every other byte, in order, to @rest (room for @n) and sets *@nrest.
 * Returns true if a report was found (it is removed).
 */
bool term_scan(const char *in, size_t n, char *rest, size_t *nrest)
{
	bool found = false;
	size_t i = 0, k = 0;

	while (i < n) {
		size_t len = found ? 0 : report_len(in + i, n - i);

		if (len) {
			found = true;
			i += len;
			continue;
		}
		rest[k++] = in[i++];
	}
	*nrest = k;
	return found;
}
