/*
 * mm.h - the kernel's view of memory: address-space layout, the direct map,
 * physical frames, MMIO mappings and kmalloc.
 *
 * Virtual layout (x86-64, 4-level paging, canonical higher half):
 *   DIRECT_MAP_BASE  0xffff800000000000  every physical RAM / ACPI / pmem range, WB
 *   VMAP_BASE        0xffffc90000000000  kernel stacks (with guard pages), ioremap
 *   KERNEL_BASE      0xffffffff80000000  the kernel image (phys + KERNEL_BASE)
 */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define PAGE_SHIFT   12
#define PAGE_SIZE    (1UL << PAGE_SHIFT)
#define PAGE_2M      (1UL << 21)
#define PAGE_1G      (1UL << 30)

#define DIRECT_MAP_BASE 0xffff800000000000UL
#define DIRECT_MAP_SIZE (1UL << 45)           /* 32 TiB of physical space */
#define VMAP_BASE       0xffffc90000000000UL
#define VMAP_SIZE       (1UL << 40)
#define KERNEL_BASE     0xffffffff80000000UL

/* Direct map conversions.  Valid only for physical ranges the kernel mapped. */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(pa + DIRECT_MAP_BASE); }
uint64_t virt_to_phys(const void *va);

/* Is [pa, pa+len) inside the direct map (RAM, ACPI and pmem ranges)? */
bool phys_range_mapped(uint64_t pa, uint64_t len);

/**
 * ioremap - map MMIO registers uncached.  Returns a kernel virtual address
 * for @pa, or NULL when out of virtual space or page-table memory (it says
 * which on the console).  Mappings are never torn down (devices are not
 * hot-removed).  Thread context, not an interrupt handler (vmap_lock and
 * the page-table lock are taken); never sleeps.
 */
void *ioremap(uint64_t pa, size_t len);

/*
 * Physical frames (4 KiB).  Any context, interrupt handlers included
 * (pmm_lock is taken with interrupts off); never sleep.  The allocators
 * return 0 when memory is exhausted (or no run of @n frames is free);
 * freeing a frame that is not allocated panics.
 */
uint64_t pmm_alloc_page(void);
uint64_t pmm_alloc_pages(size_t n);          /* n contiguous frames */
void pmm_free_page(uint64_t pa);
void pmm_free_pages(uint64_t pa, size_t n);
size_t pmm_free_count(void);                 /* snapshots */
size_t pmm_total_count(void);

/*
 * General-purpose kernel heap.  Any context, interrupt handlers included
 * (each size class has a spinlock taken with interrupts off); never sleep.
 * kmalloc returns NULL when memory is exhausted, and for kmalloc(0).
 * Memory is not zeroed by kmalloc; kzalloc zeroes.  kfree(NULL) does
 * nothing; a double free, a pointer kmalloc did not return or a write past
 * the end of the object panics, naming the address (kfree_checked() in
 * kmalloc.h returns those as errors instead).
 */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

#endif
