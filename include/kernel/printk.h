/*
 * printk.h - kernel console output.
 *
 * kprintf() formats with lib/printf (see include/lib/printf.h for the
 * conversions) and writes to every console (the serial port).  It may be
 * called from any context, interrupts included; output of one call is not
 * interleaved with another CPU's.
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <stdarg.h>
#include <lib/compiler.h>

void kprintf(const char *fmt, ...) __printf(1, 2);
void kvprintf(const char *fmt, va_list ap);
/* Raw bytes to the console, no formatting. */
void console_write(const char *s, size_t n);

#endif
