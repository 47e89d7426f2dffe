/*
 * printk.h - the kernel console: output, and the interrupt character.
 *
 * kprintf() formats with lib/printf (see include/lib/printf.h for the
 * conversions) and writes to every console (the serial port).  It may be
 * called from any context, interrupts included; output of one call is not
 * interleaved with another CPU's.
 *
 * Ctrl-C (CONSOLE_INTR_CHAR) on the console's input interrupts the
 * console's foreground thread (the shell) the moment the receive path sees
 * it: thread_interrupt() (sched.h), which ends the interruptible wait the
 * shell's command is in with -EINTR.  The byte itself stays in the input,
 * in order, for the shell to read (shell/shell_main.c says what it
 * does with it).
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <stdarg.h>
#include <lib/compiler.h>

/* Any context (see above); no errors: output that cannot go out is dropped. */
void kprintf(const char *fmt, ...) __printf(1, 2);
void kvprintf(const char *fmt, va_list ap);
/* Raw bytes to the console, no formatting.  Any context. */
void console_write(const char *s, size_t n);

/**
 * console_register - the console's output driver registers its writer:
 * kprintf() and console_write() send every byte to @write from then on
 * (until then output is dropped; the serial driver registers first thing
 * at boot).  @write is called under the console lock with interrupts off,
 * and without it during a panic: it must work in any context, must not
 * sleep and must not call kprintf.  One console; a second call replaces
 * the first.
 */
void console_register(void (*write)(const char *s, size_t n));

/**
 * console_enter_panic - from now on console_write() bypasses the console
 * lock (the CPU that died may hold it).  For panic() only.
 */
void console_enter_panic(void);

#define CONSOLE_INTR_CHAR	0x03	/* ASCII ETX: what a terminal sends for Ctrl-C */

struct thread;

/**
 * console_set_foreground - the thread that Ctrl-C interrupts (NULL: none).
 * @t must stay alive until it is replaced.  Any context.
 */
void console_set_foreground(struct thread *t);

/**
 * console_interrupt - the console's input driver received
 * CONSOLE_INTR_CHAR: interrupt the foreground thread, if there is one.
 * Any context (the receive interrupt calls it); takes no console lock.
 */
void console_interrupt(void);

#endif
