/* stdio.h for lwIP's sources: empty; diagnostics use LWIP_PLATFORM_DIAG. */
#ifndef HOLDFAST_LWIP_LIBC_STDIO_H
#define HOLDFAST_LWIP_LIBC_STDIO_H
#endif
