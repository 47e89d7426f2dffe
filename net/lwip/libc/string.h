/* string.h for lwIP's sources: the kernel's own (lib/string.c). */
#ifndef HOLDFAST_LWIP_LIBC_STRING_H
#define HOLDFAST_LWIP_LIBC_STRING_H
#include <lib/string.h>
#endif
