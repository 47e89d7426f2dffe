/*
 * arch/cc.h - lwIP's compiler and platform port for Holdfast (lwIP's
 * include/lwip/arch.h lists what a port defines here).
 *
 * lwIP is built freestanding, like the kernel: no C library.  The few C
 * headers its sources include (string.h, stdlib.h, ...) come from
 * net/lwip/libc/, small stand-ins that point at lib/; inttypes, ctype and
 * unistd are switched off here.  Diagnostics go to the kernel console;
 * a failed lwIP assertion panics, naming the file and line.
 *
 * Included by every lwIP source and by our port; it includes no kernel
 * header, so that lwIP's names and the kernel's never meet.
 */
#ifndef HOLDFAST_LWIP_ARCH_CC_H
#define HOLDFAST_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>

#define BYTE_ORDER		LITTLE_ENDIAN
#define LWIP_NO_INTTYPES_H	1
#define LWIP_NO_UNISTD_H	1
#define LWIP_NO_CTYPE_H		1
#define SSIZE_MAX		LONG_MAX
typedef long ssize_t;

/* printf formats for lwIP's types (LWIP_NO_INTTYPES_H) */
#define X8_F	"02x"
#define U16_F	"u"
#define S16_F	"d"
#define X16_F	"x"
#define U32_F	"u"
#define S32_F	"d"
#define X32_F	"x"
#define SZT_F	"zu"

/* Implemented in net/lwip/sys_arch.c. */
void lwip_port_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lwip_port_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
uint32_t lwip_port_rand(void);

#define LWIP_PLATFORM_DIAG(x)		do { lwip_port_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x)		lwip_port_assert((x), __FILE__, __LINE__)
#define LWIP_RAND()			lwip_port_rand()

#endif
