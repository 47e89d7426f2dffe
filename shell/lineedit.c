/*
 * lineedit.c - the serial shell's line editor (see lineedit.h for the keys).
 *
 * le_feed() takes one byte and sends it to one of three places: the escape
 * sequence parser while a sequence is open, the control-key table for
 * bytes below SPACE and DEL, or insert() for printable ASCII.  Every edit
 * updates buf/len/cur first and then repaints only what changed: the tail
 * of the line from the cursor, followed by "erase to end of line" and a
 * cursor move back.  buf is always NUL-terminated at len.
 */
#include <lib/string.h>

#include "lineedit.h"

/* Control bytes (ASCII) */
#define CH_CTRL_A	0x01	/* cursor to start of line */
#define CH_CTRL_C	0x03	/* abandon the line */
#define CH_CTRL_E	0x05	/* cursor to end of line */
#define CH_BS		0x08	/* backspace */
#define CH_LF		0x0a	/* line feed: end of line */
#define CH_CR		0x0d	/* carriage return: end of line */
#define CH_CTRL_U	0x15	/* erase the line */
#define CH_ESC		0x1b	/* starts an escape sequence */
#define CH_SPACE	0x20	/* first printable byte */
#define CH_TILDE	0x7e	/* last printable byte */
#define CH_DEL		0x7f	/* what most terminals send for Backspace */

/* Escape sequences (ECMA-48 / VT100): ESC [ params final, ESC O final */
#define ESC_CSI		'['	/* ESC [ : control sequence introducer */
#define ESC_SS3		'O'	/* ESC O : keypad in application mode */
#define CSI_PARAM_LO	0x30	/* parameter bytes: 0-9 : ; < = > ? */
#define CSI_PARAM_HI	0x3f
#define CSI_INTER_LO	0x20	/* intermediate bytes: space ! " # ... / */
#define CSI_INTER_HI	0x2f
#define CSI_FINAL_LO	0x40	/* final bytes: @ A-Z [ \ ] ^ _ ` a-z { | } ~ */
#define CSI_FINAL_HI	0x7e
#define CSI_PARAM_CAP	1000	/* larger parameters mean nothing to us */

#define KEY_UP		'A'	/* final bytes of the keys we act on */
#define KEY_DOWN	'B'
#define KEY_RIGHT	'C'
#define KEY_LEFT	'D'
#define KEY_END		'F'
#define KEY_HOME	'H'
#define KEY_VT		'~'	/* ESC [ n ~ : key number n */
#define VT_HOME		1
#define VT_DELETE	3
#define VT_END		4
#define VT_HOME_RXVT	7
#define VT_END_RXVT	8

/* Output sequences */
#define OUT_NEWLINE	"\r\n"
#define OUT_ERASE_EOL	"\x1b[K"	/* ESC [ K: erase to end of line */
#define OUT_CTRL_C	"^C"
#define MOVE_LEFT	'D'		/* ESC [ n D: cursor left n columns */
#define MOVE_RIGHT	'C'		/* ESC [ n C: cursor right n columns */

/* ------------------------------------------------------------ output -- */

static void emit(struct lineedit *le, const char *s, size_t n)
{
	if (le->echo && n)
		le->echo(le->ctx, s, n);
}

static void emit_str(struct lineedit *le, const char *s)
{
	emit(le, s, strlen(s));
}

/* Move the cursor n columns; dir is MOVE_LEFT or MOVE_RIGHT. */
static void emit_move(struct lineedit *le, size_t n, char dir)
{
	char seq[24];
	char digits[20];
	size_t len = 0, nd = 0;

	if (n == 0)
		return;
	do {
		digits[nd++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	seq[len++] = CH_ESC;
	seq[len++] = ESC_CSI;
	while (nd)
		seq[len++] = digits[--nd];
	seq[len++] = dir;
	emit(le, seq, len);
}

/* Repaint from the cursor to the end of the line; the cursor stays put. */
static void redraw_tail(struct lineedit *le)
{
	emit(le, le->buf + le->cur, le->len - le->cur);
	emit_str(le, OUT_ERASE_EOL);
	emit_move(le, le->len - le->cur, MOVE_LEFT);
}

/* Replace the whole line with s (shorter than LE_LINE_MAX); cursor at end. */
static void replace_line(struct lineedit *le, const char *s)
{
	emit_move(le, le->cur, MOVE_LEFT);
	le->len = strlen(s);
	memcpy(le->buf, s, le->len + 1);
	le->cur = le->len;
	emit(le, le->buf, le->len);
	emit_str(le, OUT_ERASE_EOL);
}

/* ------------------------------------------------------------- edits -- */

static void insert(struct lineedit *le, char c)
{
	if (le->len == LE_LINE_MAX - 1) {
		le->too_long = true;
		return;
	}
	memmove(le->buf + le->cur + 1, le->buf + le->cur, le->len - le->cur + 1);
	le->buf[le->cur] = c;
	le->len++;
	le->cur++;
	emit(le, &c, 1);
	if (le->cur < le->len)
		redraw_tail(le);
}

static void delete_at_cursor(struct lineedit *le)
{
	if (le->cur == le->len)
		return;
	memmove(le->buf + le->cur, le->buf + le->cur + 1, le->len - le->cur);
	le->len--;
	redraw_tail(le);
}

static void backspace(struct lineedit *le)
{
	if (le->cur == 0)
		return;
	le->cur--;
	emit_move(le, 1, MOVE_LEFT);
	delete_at_cursor(le);
}

static void cursor_left(struct lineedit *le)
{
	if (le->cur == 0)
		return;
	le->cur--;
	emit_move(le, 1, MOVE_LEFT);
}

static void cursor_right(struct lineedit *le)
{
	if (le->cur == le->len)
		return;
	le->cur++;
	emit_move(le, 1, MOVE_RIGHT);
}

static void cursor_home(struct lineedit *le)
{
	emit_move(le, le->cur, MOVE_LEFT);
	le->cur = 0;
}

static void cursor_end(struct lineedit *le)
{
	emit_move(le, le->len - le->cur, MOVE_RIGHT);
	le->cur = le->len;
}

static void kill_line(struct lineedit *le)
{
	replace_line(le, "");
}

/* ----------------------------------------------------------- history -- */

/* The i-th most recent entry, i < hist_count. */
static char *hist_entry(struct lineedit *le, unsigned int i)
{
	return le->hist[(le->hist_next + LE_HISTORY - 1 - i) % LE_HISTORY];
}

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

/* Store a finished line unless it is blank or repeats the newest entry. */
static void hist_add(struct lineedit *le, const char *line)
{
	if (is_blank(line))
		return;
	if (le->hist_count && strcmp(hist_entry(le, 0), line) == 0)
		return;
	memcpy(le->hist[le->hist_next], line, strlen(line) + 1);
	le->hist_next = (le->hist_next + 1) % LE_HISTORY;
	if (le->hist_count < LE_HISTORY)
		le->hist_count++;
}

static void hist_up(struct lineedit *le)
{
	if (le->hist_pos + 1 >= (int)le->hist_count)
		return;
	if (le->hist_pos < 0)
		memcpy(le->saved, le->buf, le->len + 1);
	le->hist_pos++;
	replace_line(le, hist_entry(le, le->hist_pos));
}

static void hist_down(struct lineedit *le)
{
	if (le->hist_pos < 0)
		return;
	le->hist_pos--;
	if (le->hist_pos < 0)
		replace_line(le, le->saved);
	else
		replace_line(le, hist_entry(le, le->hist_pos));
}

/* ------------------------------------------------------- line endings -- */

static void reset_line(struct lineedit *le)
{
	le->buf[0] = '\0';
	le->len = 0;
	le->cur = 0;
	le->too_long = false;
	le->esc = LE_ESC_NONE;
	le->hist_pos = -1;
}

static int finish_line(struct lineedit *le, char *out, size_t outsz)
{
	int ret = 1;

	emit_str(le, OUT_NEWLINE);
	if (le->too_long || le->len >= outsz) {
		if (outsz)
			out[0] = '\0';
		ret = LE_TOO_LONG;
	} else {
		memcpy(out, le->buf, le->len + 1);
		hist_add(le, le->buf);
	}
	reset_line(le);
	return ret;
}

static int cancel_line(struct lineedit *le, char *out, size_t outsz)
{
	cursor_end(le);
	emit_str(le, OUT_CTRL_C OUT_NEWLINE);
	if (outsz)
		out[0] = '\0';
	reset_line(le);
	return 1;
}

/* -------------------------------------------------- escape sequences -- */

static void do_key(struct lineedit *le, char key)
{
	switch (key) {
	case KEY_UP:	hist_up(le); break;
	case KEY_DOWN:	hist_down(le); break;
	case KEY_RIGHT:	cursor_right(le); break;
	case KEY_LEFT:	cursor_left(le); break;
	case KEY_HOME:	cursor_home(le); break;
	case KEY_END:	cursor_end(le); break;
	}
}

static void do_vt_key(struct lineedit *le, unsigned int n)
{
	switch (n) {
	case VT_HOME:
	case VT_HOME_RXVT:	cursor_home(le); break;
	case VT_END:
	case VT_END_RXVT:	cursor_end(le); break;
	case VT_DELETE:		delete_at_cursor(le); break;
	}
}

static void csi_byte(struct lineedit *le, unsigned char c)
{
	if (c >= '0' && c <= '9') {
		if (!le->esc_param_done && le->esc_param < CSI_PARAM_CAP)
			le->esc_param = le->esc_param * 10 + (c - '0');
		return;
	}
	if (c >= CSI_PARAM_LO && c <= CSI_PARAM_HI) {
		/* ';' and friends: only the first parameter matters to us
		 * (ESC [ 1 ; 5 C is Ctrl-Right: still Right). */
		le->esc_param_done = true;
		return;
	}
	if (c >= CSI_INTER_LO && c <= CSI_INTER_HI)
		return;
	le->esc = LE_ESC_NONE;
	if (c == KEY_VT)
		do_vt_key(le, le->esc_param);
	else
		do_key(le, (char)c);
}

/* One byte of an open sequence; c is in CH_SPACE..CH_TILDE. */
static void escape_byte(struct lineedit *le, unsigned char c)
{
	switch (le->esc) {
	case LE_ESC_START:
		le->esc_param = 0;
		le->esc_param_done = false;
		if (c == ESC_CSI)
			le->esc = LE_ESC_CSI;
		else if (c == ESC_SS3)
			le->esc = LE_ESC_SS3;
		else
			le->esc = LE_ESC_NONE;	/* Alt-<key>: ignored */
		break;
	case LE_ESC_SS3:
		le->esc = LE_ESC_NONE;
		do_key(le, (char)c);
		break;
	case LE_ESC_CSI:
		csi_byte(le, c);
		break;
	case LE_ESC_NONE:
		break;
	}
}

/* --------------------------------------------------------- the feeder -- */

static int control_byte(struct lineedit *le, unsigned char c,
			char *out, size_t outsz)
{
	switch (c) {
	case CH_CR:
		le->after_cr = true;
		return finish_line(le, out, outsz);
	case CH_LF:
		return finish_line(le, out, outsz);
	case CH_CTRL_C:
		return cancel_line(le, out, outsz);
	}
	if (le->too_long)
		return 0;
	switch (c) {
	case CH_BS:
	case CH_DEL:	backspace(le); break;
	case CH_CTRL_A:	cursor_home(le); break;
	case CH_CTRL_E:	cursor_end(le); break;
	case CH_CTRL_U:	kill_line(le); break;
	case CH_ESC:	le->esc = LE_ESC_START; break;
	}
	return 0;
}

void le_init(struct lineedit *le, le_echo_fn echo, void *ctx)
{
	memset(le, 0, sizeof(*le));
	le->echo = echo;
	le->ctx = ctx;
	reset_line(le);
}

int le_feed(struct lineedit *le, char ch, char *out, size_t outsz)
{
	unsigned char c = (unsigned char)ch;
	bool after_cr = le->after_cr;

	le->after_cr = false;
	if (c == CH_LF && after_cr)
		return 0;		/* the LF of a CR LF */
	if (le->esc != LE_ESC_NONE) {
		if (c >= CH_SPACE && c <= CH_TILDE) {
			escape_byte(le, c);
			return 0;
		}
		le->esc = LE_ESC_NONE;	/* broken sequence: drop it */
	}
	if (c < CH_SPACE || c == CH_DEL)
		return control_byte(le, c, out, outsz);
	if (c > CH_TILDE || le->too_long)
		return 0;
	insert(le, (char)c);
	return 0;
}
