/*
 * tty.c - the console as a file: fds 0, 1 and 2 of the programs the
 * shell starts.  Writes go to the console (kernel/console.c, which turns
 * "\n" into "\r\n" on the serial line).  Reads take a line from the
 * serial port: bytes are echoed as typed, backspace (DEL or ^H) rubs out,
 * Enter ("\r" or "\n") ends the line and is given as "\n", ^D on an empty
 * line is end of file.  A ^C throws the line away and the read goes on:
 * the shell, interrupted by the same ^C, sends SIGINT to the foreground
 * job, and that signal (pending before the reader is woken) ends the
 * read with -EINTR, so the program dies of SIGINT or its handler runs
 * (and SA_RESTART reads again) -- never a bare EINTR from a keystroke,
 * and one ^C is one SIGINT.  Reading sleeps interruptibly.  One line buffer per open console file; the serial
 * input is shared with the shell, which does not read while it waits for
 * a foreground program.
 */
#include "sys_int.h"
#include <kernel/printk.h>
#include <kernel/mm.h>
#include <drivers/uart16550.h>
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <lib/errno.h>
#include <lib/string.h>

#define S_IFCHR		0020000
#define TTY_LINE	256
#define CH_EOF		0x04
#define CH_INTR		0x03
#define CH_BS		0x08
#define CH_DEL		0x7f

struct tty {
	struct mutex lock;
	char line[TTY_LINE];	/* lock: a line read but not yet given out */
	size_t len, pos;
};

static int fill_line(struct tty *t)
{
	t->len = t->pos = 0;
	for (;;) {
		int c = uart_getc_interruptible();
		if (c < 0)
			return c;
		if (c == CH_INTR) {
			/* As a tty's line discipline does (ISIG): ^C is SIGINT
			 * for the reader's job, now, so the read's -EINTR never
			 * reaches the program before the signal does. */
			console_write("^C\n", 3);
			t->len = 0;
			continue;
		}
		if (c == CH_EOF && t->len == 0)
			return 0;
		if (c == CH_BS || c == CH_DEL) {
			if (t->len) {
				t->len--;
				console_write("\b \b", 3);
			}
			continue;
		}
		if (c == '\r' || c == '\n') {
			t->line[t->len++] = '\n';
			console_write("\n", 1);
			return 0;
		}
		if (t->len < TTY_LINE - 1) {
			char ch = (char)c;
			t->line[t->len++] = ch;
			console_write(&ch, 1);
		}
	}
}

static int64_t tty_read(struct file *f, void *buf, size_t len)
{
	struct tty *t = file_priv(f);
	size_t n;
	int err = 0;

	mutex_lock(&t->lock);
	if (t->pos == t->len)
		err = fill_line(t);
	n = MIN(len, t->len - t->pos);
	memcpy(buf, t->line + t->pos, n);
	t->pos += n;
	mutex_unlock(&t->lock);
	return err ? err : (int64_t)n;
}

/* In pieces: console_write holds the console lock with interrupts off
 * while the UART sends. */
#define TTY_WRITE_CHUNK	256

static int64_t tty_write(struct file *f, const void *buf, size_t len)
{
	for (size_t off = 0; off < len; off += TTY_WRITE_CHUNK)
		console_write((const char *)buf + off, MIN(len - off, (size_t)TTY_WRITE_CHUNK));
	return (int64_t)len;
}

static int tty_getattr(struct file *f, struct hfs_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->mode = S_IFCHR | 0620;
	st->nlink = 1;
	return 0;
}

static void tty_release(struct file *f)
{
	kfree(file_priv(f));
}

/* Readable when a line read earlier is not all given out, or a byte has
 * arrived (a whole line may not have: a read may still wait for Enter,
 * where a Linux tty in canonical mode would report a full line only).
 * Always writable. */
static unsigned tty_poll(struct file *f, struct poll_table *pt)
{
	struct tty *t = file_priv(f);
	unsigned mask = POLLOUT | POLLWRNORM;

	poll_wait(pt, uart_rx_waitqueue());
	if (READ_ONCE(t->pos) < READ_ONCE(t->len) || uart_rx_pending())
		mask |= POLLIN | POLLRDNORM;
	return mask;
}

static const struct file_ops tty_ops = {
	.read = tty_read,
	.write = tty_write,
	.getattr = tty_getattr,
	.release = tty_release,
	.poll = tty_poll,
};

struct file *tty_open(void)
{
	struct tty *t = kzalloc(sizeof(*t));
	struct file *f;

	if (!t)
		return NULL;
	mutex_init(&t->lock, "tty");
	f = file_special(&tty_ops, t, HFS_O_RDWR);
	if (!f)
		kfree(t);
	return f;
}
