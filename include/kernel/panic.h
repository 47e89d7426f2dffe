/*
 * panic.h - fatal errors and can't-happen checks.
 *
 * panic() prints the message, the registers of the caller and a symbolized
 * backtrace, stops the other CPUs, runs the registered panic hook (under
 * the test harness it exits QEMU with a failure code) and halts.  WARN_ON() prints a backtrace once per site and
 * carries on.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <lib/compiler.h>

/* panic - never returns.  Any context, any lock held; a second panic just halts. */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;
/* WARN_ON's report (a line and a backtrace).  Any context. */
void warn_at(const char *file, int line, const char *cond);

/**
 * panic_set_hook - @fn runs at the end of every panic, after the report
 * and after the other CPUs stopped, just before the halt (NULL: none).
 * It runs on the dying CPU with interrupts off and must not take locks
 * or sleep; it may end the machine (the in-kernel test runner exits QEMU
 * with the failure code).  One hook; a second call replaces the first.
 */
void panic_set_hook(void (*fn)(void));

/* panic_get_hook - the hook panic() would run now, or NULL. */
void (*panic_get_hook(void))(void);

#define BUG_ON(c) do { if (unlikely(c)) panic("BUG_ON(%s) at %s:%d", #c, __FILE__, __LINE__); } while (0)
#define WARN_ON(c) ({ int _w = !!(c); if (unlikely(_w)) warn_at(__FILE__, __LINE__, #c); _w; })

#endif
