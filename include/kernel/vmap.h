/*
 * vmap.h - the kernel's virtual area for stacks and MMIO (VMAP_BASE).
 *
 * Kernel stacks: each gets fresh frames and an unmapped guard page below
 * it, so an overflow faults instead of corrupting a neighbour.  Slots are
 * recycled.  ioremap (include/kernel/mm.h) hands out uncached windows.
 * Locking: vmap_lock guards the slot list and the bump pointers.
 */
#ifndef KERNEL_VMAP_H
#define KERNEL_VMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * vmap_alloc_stack - @size bytes of fresh, mapped frames with a guard page
 * below; returns the lowest usable address, or NULL when frames, page
 * tables or virtual space run out.  vmap_free_stack gives the frames and
 * the slot back.  Thread context, not interrupt handlers (vmap_lock is a
 * plain spinlock); neither sleeps.
 */
void *vmap_alloc_stack(size_t size);
void vmap_free_stack(void *base, size_t size);
/* The guard page below a stack from vmap_alloc_stack (for tests). */
static inline uint64_t vmap_stack_guard(void *base) { return (uint64_t)base - 4096; }

#endif
