/*
 * pipe.c - pipes: a 4 KiB ring between a read end and a write end, each a
 * struct file (fs/vfs_file.c's special files) with its own reference
 * count, so fork and dup share them like any file.
 *
 * read sleeps while the ring is empty and a writer exists (then returns
 * 0 at end of file); write sleeps while it is full and a reader exists
 * (with no reader: -EPIPE; SIGPIPE is not sent yet).  Both sleeps are
 * interruptible (-EINTR: Ctrl-C, kill).
 *
 * Locking: pipe->lock (spinlock) over the ring and the end counts; the
 * wait queue wakes both sides after every change.
 */
#include "sys_int.h"
#include <kernel/sync.h>
#include <kernel/mm.h>
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <lib/errno.h>
#include <lib/string.h>

#define PIPE_SIZE	4096
#define S_IFIFO		0010000

struct pipe {
	spinlock_t lock;
	struct wait_queue wq;
	/* lock: */
	char buf[PIPE_SIZE];
	size_t head, count;
	unsigned readers, writers;
};

static bool readable(struct pipe *p)
{
	unsigned long f = spin_lock_irqsave(&p->lock);
	bool r = p->count || !p->writers;

	spin_unlock_irqrestore(&p->lock, f);
	return r;
}

static bool writable(struct pipe *p)
{
	unsigned long f = spin_lock_irqsave(&p->lock);
	bool r = p->count < PIPE_SIZE || !p->readers;

	spin_unlock_irqrestore(&p->lock, f);
	return r;
}

static int64_t pipe_read(struct file *file, void *buf, size_t len)
{
	struct pipe *p = file_priv(file);
	size_t n = 0;
	int err;

	if (!len)
		return 0;
	err = wait_event_interruptible(&p->wq, readable(p));
	if (err)
		return err;
	unsigned long f = spin_lock_irqsave(&p->lock);
	while (n < len && p->count) {
		((char *)buf)[n++] = p->buf[p->head];
		p->head = (p->head + 1) % PIPE_SIZE;
		p->count--;
	}
	spin_unlock_irqrestore(&p->lock, f);
	wake_up_all(&p->wq);
	return (int64_t)n;
}

static int64_t pipe_write(struct file *file, const void *buf, size_t len)
{
	struct pipe *p = file_priv(file);
	size_t n = 0;

	while (n < len) {
		int err = wait_event_interruptible(&p->wq, writable(p));
		if (err)
			return n ? (int64_t)n : err;
		unsigned long f = spin_lock_irqsave(&p->lock);
		if (!p->readers) {
			spin_unlock_irqrestore(&p->lock, f);
			return n ? (int64_t)n : -EPIPE;
		}
		while (n < len && p->count < PIPE_SIZE) {
			p->buf[(p->head + p->count) % PIPE_SIZE] = ((const char *)buf)[n++];
			p->count++;
		}
		spin_unlock_irqrestore(&p->lock, f);
		wake_up_all(&p->wq);
	}
	return (int64_t)n;
}

static int pipe_getattr(struct file *file, struct hfs_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->mode = S_IFIFO | 0600;
	st->nlink = 1;
	return 0;
}

static void pipe_release(struct file *file)
{
	struct pipe *p = file_priv(file);
	bool reader = (file_flags(file) & HFS_O_ACCMODE) == HFS_O_RDONLY, last;
	unsigned long f = spin_lock_irqsave(&p->lock);

	if (reader)
		p->readers--;
	else
		p->writers--;
	last = !p->readers && !p->writers;
	spin_unlock_irqrestore(&p->lock, f);
	wake_up_all(&p->wq);
	if (last)
		kfree(p);
}

/* Read end: data (or no writer left: end of file, POLLHUP); write end:
 * room (or no reader left: POLLERR, a write would be EPIPE). */
static unsigned pipe_poll(struct file *file, struct poll_table *pt)
{
	struct pipe *p = file_priv(file);
	bool reader = (file_flags(file) & HFS_O_ACCMODE) == HFS_O_RDONLY;
	unsigned mask = 0;

	poll_wait(pt, &p->wq);
	unsigned long f = spin_lock_irqsave(&p->lock);
	if (reader) {
		if (p->count)
			mask |= POLLIN | POLLRDNORM;
		if (!p->writers)
			mask |= POLLHUP;
	} else {
		if (p->count < PIPE_SIZE)
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	spin_unlock_irqrestore(&p->lock, f);
	return mask;
}

static const struct file_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.getattr = pipe_getattr,
	.release = pipe_release,
	.poll = pipe_poll,
};

int pipe_create(struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	spin_lock_init(&p->lock, "pipe");
	wait_queue_init(&p->wq);
	p->readers = p->writers = 1;
	*rd = file_special(&pipe_ops, p, HFS_O_RDONLY);
	*wr = file_special(&pipe_ops, p, HFS_O_WRONLY);
	if (!*rd || !*wr) {
		kfree(*rd);
		kfree(*wr);
		kfree(p);
		return -ENOMEM;
	}
	return 0;
}
