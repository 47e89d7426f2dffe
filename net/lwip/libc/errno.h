/* errno.h for lwIP's sources: the kernel's error numbers (lib/errno.h). */
#ifndef HOLDFAST_LWIP_LIBC_ERRNO_H
#define HOLDFAST_LWIP_LIBC_ERRNO_H
#include <lib/errno.h>
#endif
