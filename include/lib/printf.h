/*
 * printf.h - formatted output without libc.
 *
 * vcbprintf() is the one formatter: it hands each character to a callback,
 * so the console, a string buffer and the test framework share it.
 * vsnprintf()/snprintf() have C99 semantics.
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %%.  Flags: - 0 + space #.
 * Width and precision, as numbers or '*'.  Length modifiers: hh h l ll z t j.
 * %p prints "0x" and 16 hex digits; %s of NULL prints "(null)" (cut by the
 * precision like any string).  %n is not supported: its argument is consumed
 * and nothing is stored.  An unknown conversion is copied to the output as
 * written.  No floating point (the kernel has no SSE).
 *
 * Host build (HOST_BUILD): libc's <stdio.h> is included first and our
 * snprintf/vsnprintf are renamed lib_snprintf/lib_vsnprintf by macros, so
 * host tests run this code rather than libc's.
 *
 * Any context (the console and panics use it): no lock, no allocation,
 * no state; every function returns the length the output has (or would
 * have, for a truncated vsnprintf), never an error.
 */
#ifndef LIB_PRINTF_H
#define LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>
#include <lib/compiler.h>

#ifdef HOST_BUILD
#include <stdio.h>
#define snprintf  lib_snprintf
#define vsnprintf lib_vsnprintf
#endif

/* Receives one output character; @ctx is the caller's. */
typedef void (*printf_putc_fn)(void *ctx, char c);

/**
 * vcbprintf() - format @fmt and pass each character to @out(@ctx, c).
 *
 * Returns the number of characters passed to @out.  Safe in any context
 * (no locks, no allocation); @out decides where the bytes go.
 */
int vcbprintf(printf_putc_fn out, void *ctx, const char *fmt, va_list ap)
	__printf(3, 0);

/**
 * vsnprintf() - format into @buf of @size bytes.
 *
 * Writes at most @size bytes including the terminating NUL, which is always
 * written when @size > 0 (@buf may be NULL when @size is 0).  Returns the
 * length the full output would have had: the output was truncated iff the
 * result is >= @size.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__printf(3, 0);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif /* LIB_PRINTF_H */
