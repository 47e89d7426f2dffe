/* stdlib.h for lwIP's sources: its allocator is mapped to the kernel heap
 * by lwipopts.h (mem_clib_malloc...); netif_find() wants atoi. */
#ifndef HOLDFAST_LWIP_LIBC_STDLIB_H
#define HOLDFAST_LWIP_LIBC_STDLIB_H
#include <stddef.h>

static inline int atoi(const char *s)
{
	int n = 0;

	while (*s >= '0' && *s <= '9' && n < 100000000)
		n = n * 10 + (*s++ - '0');
	return n;
}
#endif
