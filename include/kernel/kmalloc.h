/*
 * kmalloc.h - heap internals for the boot code and the tests
 * (kmalloc/kzalloc/kfree themselves are in include/kernel/mm.h).
 */
#ifndef KERNEL_KMALLOC_H
#define KERNEL_KMALLOC_H

#include <stddef.h>
#include <stdint.h>

/* Bytes kmalloc adds to every small object (header and red zone): an
 * object of n bytes takes a slot of the class holding n + this. */
#define KMALLOC_OVERHEAD	24

void kmalloc_init(void);
/* 0, -EALREADY (double free), -EFAULT (not from kmalloc), -EOVERFLOW (red zone hit). */
int kfree_checked(void *p);
size_t ksize(const void *p);
uint64_t kmalloc_in_use(void);
/* Frames the size classes took from the frame allocator (never returned). */
size_t kmalloc_slab_frames(void);

struct boot_info;
void pmm_init(const struct boot_info *bi);

#endif
