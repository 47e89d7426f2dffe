/*
 * console.c - kprintf, the console lock, and the foreground thread that
 * Ctrl-C interrupts.
 *
 * Output goes to the console driver that registered itself
 * (console_register(): the serial port, drivers/serial, first thing at
 * boot).  One kprintf call is formatted into a line buffer on the stack
 * and written under console_lock, so lines from different CPUs do not
 * interleave.  During a panic the lock is bypassed (the CPU that died may
 * have held it).
 *
 * Input is the serial driver's; it tells console_interrupt() when a Ctrl-C
 * arrives, from its receive interrupt, whatever the shell is doing (it is
 * seen as it is received, not when the shell reads it).  The foreground
 * thread is one pointer, read and written atomically.
 */
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <lib/printf.h>

#define KPRINTF_BUF	512

static spinlock_t console_lock = SPINLOCK_INIT("console");
static bool console_panic_mode;
static void (*console_out)(const char *s, size_t n);	/* atomic */

void console_register(void (*write)(const char *s, size_t n))
{
	__atomic_store_n(&console_out, write, __ATOMIC_RELEASE);
}

void console_enter_panic(void)
{
	__atomic_store_n(&console_panic_mode, true, __ATOMIC_RELEASE);
}

void console_write(const char *s, size_t n)
{
	void (*out)(const char *s, size_t n) = __atomic_load_n(&console_out, __ATOMIC_ACQUIRE);

	if (!out)
		return;
	if (__atomic_load_n(&console_panic_mode, __ATOMIC_ACQUIRE)) {
		out(s, n);
		return;
	}
	unsigned long f = spin_lock_irqsave(&console_lock);
	out(s, n);
	spin_unlock_irqrestore(&console_lock, f);
}

struct kbuf {
	char buf[KPRINTF_BUF];
	size_t n;
};

static void kbuf_putc(void *ctx, char c)
{
	struct kbuf *b = ctx;

	if (b->n == sizeof(b->buf)) {
		console_write(b->buf, b->n);
		b->n = 0;
	}
	b->buf[b->n++] = c;
}

void kvprintf(const char *fmt, va_list ap)
{
	struct kbuf b;

	b.n = 0;
	vcbprintf(kbuf_putc, &b, fmt, ap);
	if (b.n)
		console_write(b.buf, b.n);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ Ctrl-C -- */

static struct thread *foreground;	/* atomic */

void console_set_foreground(struct thread *t)
{
	__atomic_store_n(&foreground, t, __ATOMIC_RELEASE);
}

void console_interrupt(void)
{
	struct thread *t = __atomic_load_n(&foreground, __ATOMIC_ACQUIRE);

	if (t)
		thread_interrupt(t);
}
