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

/* Boot, one CPU: set up the size classes. */
void kmalloc_init(void);
/* kfree that returns what kfree panics on: 0, -EALREADY (double free),
 * -EFAULT (not from kmalloc), -EOVERFLOW (red zone hit).  Any context. */
int kfree_checked(void *p);
/* The size @p was allocated with (no lock; @p must be live). */
size_t ksize(const void *p);
/* Live heap objects (a snapshot: the tests' leak check).  Any context. */
uint64_t kmalloc_in_use(void);
/* Frames the size classes took from the frame allocator (never returned). */
size_t kmalloc_slab_frames(void);

struct boot_info;
/* Boot, one CPU: hand the usable RAM of the memory map to the frame allocator. */
void pmm_init(const struct boot_info *bi);

#endif
