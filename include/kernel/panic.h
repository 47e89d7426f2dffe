/*
 * panic.h - fatal errors and can't-happen checks.
 *
 * panic() prints the message, the registers of the caller and a symbolized
 * backtrace, stops the other CPUs and halts; under the test harness it exits
 * QEMU with a failure code.  WARN_ON() prints a backtrace once per site and
 * carries on.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <lib/compiler.h>

/* panic - never returns.  Any context, any lock held; a second panic just halts. */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;
/* WARN_ON's report (a line and a backtrace).  Any context. */
void warn_at(const char *file, int line, const char *cond);

#define BUG_ON(c) do { if (unlikely(c)) panic("BUG_ON(%s) at %s:%d", #c, __FILE__, __LINE__); } while (0)
#define WARN_ON(c) ({ int _w = !!(c); if (unlikely(_w)) warn_at(__FILE__, __LINE__, #c); _w; })

#endif
