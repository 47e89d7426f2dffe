/*
 * lineedit.h - the serial shell's line editor.
 *
 * A state machine fed one input byte at a time; it owns the line being
 * typed, the cursor, a ring of recent lines and the state of a half-read
 * VT100 escape sequence.  Everything the user should see is written
 * through the echo callback, including the VT100 sequences that redraw the
 * line after an edit in the middle of it.  No locking: one editor belongs
 * to one reader (the shell thread, or a host test).
 *
 * Keys understood (anything else is consumed and ignored):
 *   printable ASCII             insert at the cursor
 *   Backspace (BS or DEL byte)  delete the character before the cursor
 *   Enter: CR, LF or CR LF      end the line (CR LF counts once)
 *   Left/Right  ESC [ D / C     move the cursor (also ESC O D / C)
 *   Home  ESC [ H, ESC [ 1 ~, ESC [ 7 ~, ESC O H, Ctrl-A
 *   End   ESC [ F, ESC [ 4 ~, ESC [ 8 ~, ESC O F, Ctrl-E
 *   Delete  ESC [ 3 ~           delete the character under the cursor
 *   Up/Down  ESC [ A / B        walk the history (also ESC O A / B)
 *   Ctrl-U                      erase the whole line
 *   Ctrl-C                      abandon the line (echoes "^C")
 *
 * Bytes >= 0x80 are ignored, always: commands are ASCII, and the cursor
 * arithmetic counts one column per byte.
 *
 * A recalled history line is a copy: editing it and pressing Enter runs the
 * edited line (stored as a new entry); walking away from it drops the edit.
 * The line that was being typed before Up is kept and comes back on Down.
 */
#ifndef SHELL_LINEEDIT_H
#define SHELL_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <lib/errno.h>

/* Buffer size: a line holds at most LE_LINE_MAX - 1 characters.  (Not
 * LINE_MAX: <limits.h> in the host build defines that name.) */
#define LE_LINE_MAX	1024
#define LE_HISTORY	16

/* le_feed() result for a line longer than LE_LINE_MAX - 1 characters. */
#define LE_TOO_LONG	(-E2BIG)

typedef void (*le_echo_fn)(void *ctx, const char *s, size_t n);

enum le_esc_state {
	LE_ESC_NONE,	/* plain input */
	LE_ESC_START,	/* ESC seen */
	LE_ESC_CSI,	/* ESC [ seen: parameters until a final byte */
	LE_ESC_SS3,	/* ESC O seen: one final byte follows */
};

struct lineedit {
	char buf[LE_LINE_MAX];	/* the line being edited, NUL-terminated */
	size_t len;		/* characters in buf */
	size_t cur;		/* cursor: 0..len */
	bool too_long;		/* overflowed: swallow until the end of line */
	bool after_cr;		/* last byte was CR: a following LF is eaten */

	enum le_esc_state esc;
	unsigned int esc_param;	/* first numeric CSI parameter */
	bool esc_param_done;	/* a ';' ended the first parameter */

	char hist[LE_HISTORY][LE_LINE_MAX];
	unsigned int hist_count;	/* entries stored, <= LE_HISTORY */
	unsigned int hist_next;		/* slot the next entry goes to */
	int hist_pos;			/* -1: live line, else 0 = newest */
	char saved[LE_LINE_MAX];	/* the live line while browsing */

	le_echo_fn echo;
	void *ctx;
};

/**
 * le_init - reset an editor, history included.
 * @echo: receives every byte to show the user; may be NULL (no echo).
 * @ctx:  passed back to @echo.
 */
void le_init(struct lineedit *le, le_echo_fn echo, void *ctx);

/**
 * le_feed - give the editor one input byte.
 * @out:   receives the completed line, NUL-terminated, without line end.
 * @outsz: size of @out; LE_LINE_MAX always suffices.
 *
 * Returns 1 when a line is complete and copied to @out.  Ctrl-C also
 * returns 1, with an empty @out (the shell treats it as an empty line).
 * Returns 0 while the line is still being typed.  Returns LE_TOO_LONG at
 * the end of a line that had more than LE_LINE_MAX - 1 characters (or did
 * not fit @outsz); the excess was discarded, @out holds "" and the next
 * line starts fresh.
 */
int le_feed(struct lineedit *le, char c, char *out, size_t outsz);

#endif /* SHELL_LINEEDIT_H */
