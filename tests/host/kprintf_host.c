/*
 * kprintf_host.c - kprintf for portable kernel code built into host tests:
 * messages are appended to host_log (so tests can assert on them) and, with
 * HOST_LOG_ECHO=1 in the environment, echoed to stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <kernel/printk.h>
#include <lib/printf.h>
#include <lib/string.h>
#include "kprintf_host.h"

char host_log[HOST_LOG_SIZE];
static size_t host_log_len;

void host_log_clear(void)
{
	host_log_len = 0;
	host_log[0] = 0;
}

void kvprintf(const char *fmt, va_list ap)
{
	char buf[1024];
	va_list copy;

	va_copy(copy, ap);
	int n = vsnprintf(buf, sizeof(buf), fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (host_log_len + (size_t)n < sizeof(host_log)) {
		memcpy(host_log + host_log_len, buf, (size_t)n);
		host_log_len += (size_t)n;
		host_log[host_log_len] = 0;
	}
	if (getenv("HOST_LOG_ECHO"))
		fputs(buf, stderr);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void console_write(const char *s, size_t n)
{
	kprintf("%.*s", (int)n, s);
}
