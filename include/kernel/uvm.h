/*
 * uvm.h - user address spaces: a process's page table, its regions
 * (VMAs), demand-zero faults, brk, anonymous mmap/munmap/mprotect and the
 * eager copy that fork makes.
 *
 * Layout of a process (x86-64 lower half; the upper half is the kernel's):
 *   0x0000000000000000 .. UVM_MIN_ADDR   never mapped (NULL faults)
 *   the ELF's PT_LOAD segments            (0x400000 for a classic static binary)
 *   brk heap                              from the page after the last segment, up
 *   mmap area                             from UVM_MMAP_BASE down
 *   stack                                 UVM_STACK_SIZE below UVM_STACK_TOP, demand-zero
 *
 * Every page is a 4 KiB frame from the pmm.  A private page belongs to its
 * one mapping (fork copies it); a MAP_SHARED|MAP_ANONYMOUS region keeps its
 * frames in a reference-counted object shared across fork.  Frames go back
 * to the pmm at munmap and at mm_destroy: uvm_frames() counts them.
 *
 * Locking: mm->lock (a mutex) guards the VMA array, brk and every change
 * this file makes to the page table; the page table's own spinlock is
 * taken inside.  A fault takes mm->lock, so the faulting context must be
 * able to sleep: faults from ring 3 always can; a kernel copy to or from
 * user memory faults only from thread context with no spinlock held
 * (otherwise it gets -EFAULT).  Nobody holds mm->lock while copying user
 * memory.
 */
#ifndef KERNEL_UVM_H
#define KERNEL_UVM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define UVM_MIN_ADDR	0x10000UL		/* mmap_min_addr */
#define UVM_STACK_TOP	0x00007ffffffff000UL
#define UVM_STACK_SIZE	(8UL << 20)
#define UVM_MMAP_BASE	0x00007f0000000000UL

/* Linux's PROT_* and MAP_* values (include/uapi/asm-generic/mman-common.h). */
#define UVM_PROT_READ	0x1
#define UVM_PROT_WRITE	0x2
#define UVM_PROT_EXEC	0x4
#define UVM_MAP_SHARED	0x01
#define UVM_MAP_PRIVATE	0x02
#define UVM_MAP_FIXED	0x10
#define UVM_MAP_ANON	0x20

struct mm;
struct pgtable;

/* A new, empty address space, or NULL (no memory). */
struct mm *mm_create(void);
/* Free every frame, table and region of @mm.  It must not be loaded
 * (the caller switched its thread away from it). */
void mm_destroy(struct mm *mm);
/* A copy of @mm for fork (private pages copied now, shared ones shared),
 * or NULL (no memory; nothing leaks). */
struct mm *mm_fork(struct mm *mm);
/* The CR3 value that loads @mm. */
uint64_t mm_cr3(struct mm *mm);

/*
 * mm_map - add an anonymous region of @len bytes with UVM_PROT_* @prot and
 * UVM_MAP_* @flags at @addr (UVM_MAP_FIXED: exactly there, replacing what
 * was; otherwise a hint) and return its address in *@out.  0, -EINVAL
 * (bad length, flags, alignment, or below UVM_MIN_ADDR), -ENOMEM (no
 * room or no memory).
 */
int mm_map(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags,
	   uint64_t *out);
/* Remove [addr, addr+len): 0 or -EINVAL (misaligned, out of range). */
int mm_unmap(struct mm *mm, uint64_t addr, uint64_t len);
/* Change the protection: 0, -EINVAL, -ENOMEM (part of the range unmapped). */
int mm_protect(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot);
/* brk(2): move the break to @want if it can (0 asks); returns the break. */
uint64_t mm_brk(struct mm *mm, uint64_t want);
/* Where the heap starts (exec sets it after the last segment). */
void mm_set_brk(struct mm *mm, uint64_t start);
/* Add the stack region below UVM_STACK_TOP: 0 or -ENOMEM. */
int mm_add_stack(struct mm *mm);

/*
 * mm_fault - resolve a fault at @addr: 0 when a page was mapped (or
 * already allows the access), -EFAULT when no region allows it (not
 * mapped, a write to a read-only region, an instruction fetch from a
 * no-exec one), -ENOMEM when no frame is left, -EIO when a file region
 * has no page there (past the end of the file: SIGBUS).
 */
int mm_fault(struct mm *mm, uint64_t addr, bool write, bool exec);
/* Copy @len bytes from kernel memory into @mm at @va (faulting pages in
 * as needed; the regions must exist): 0 or -EFAULT/-ENOMEM.  For exec,
 * which fills an address space that is not loaded. */
int mm_write(struct mm *mm, uint64_t va, const void *src, size_t len);

/* Frames now held by all user address spaces (leak checks). */
size_t uvm_frames(void);
/* Resident pages of @mm (a snapshot). */
size_t mm_pages(struct mm *mm);

/*
 * File-backed regions (the DAX layer's mmap of a file, fs/dax_user.c).
 * The kernel core never names a filesystem: a region may carry a backing
 * object and these operations, registered by whoever made it.  The
 * object describes one region of one mm; it is told every change of the
 * region's range (so a layout change of the file can remove exactly the
 * pages this region maps, from this mm's page table, without mm->lock).
 *
 * Order of teardown (the pin race, fs/dax_user.c): uvm clears the page
 * table entries of a range first, then tells the object the range is
 * gone (set_range/release), so a layout change never misses a live entry.
 *
 * Pages: a shared region's entries point at file pages (pmem, or the
 * shared zero page for a hole); they are never freed here.  A private
 * region (MAP_PRIVATE) maps file pages read-only and, at the first write,
 * a private copy in a DRAM frame that uvm owns (freed at munmap/exit,
 * copied at fork).  file_page() tells the two apart.
 */
struct uvm_backing_ops {
	/**
	 * fault - map the page at @va (page aligned) of the region into
	 * @pt, writable only if @prot (PROT_* of paging.h) has PROT_WRITE and
	 * the page is a block of the file (a write into a hole allocates).
	 * Locks: the caller holds the mm's lock; this takes the file's layout
	 * lock.  Context: thread; may sleep.  Returns 0, -EIO (past the end
	 * of the file: SIGBUS), -ENOMEM/-ENOSPC, -EACCES.
	 */
	int (*fault)(void *obj, struct pgtable *pt, uint64_t va, bool write, unsigned prot);
	/**
	 * cow - a private region's first write at @va: fill @frame (a DRAM
	 * frame of uvm's, physical) with the file bytes behind @va (zeros
	 * for a hole) and map it at @va in @pt with @prot, in place of the
	 * file page, all under the layout lock (so a layout change never
	 * mistakes the copy for a file page).  Same locks and errors as
	 * fault.
	 */
	int (*cow)(void *obj, struct pgtable *pt, uint64_t va, uint64_t frame, unsigned prot);
	/** file_page - is @pa a page of the file (or the zero page), not a
	 * private copy?  Any context, never sleeps. */
	bool (*file_page)(void *obj, uint64_t pa);
	/** set_range - the region is now [@start, @end) at file offset @off.
	 * Caller holds the mm's lock.  Never sleeps. */
	void (*set_range)(void *obj, uint64_t start, uint64_t end, uint64_t off);
	/** clone - a new object for the same file and @mm (fork, a split),
	 * with no range yet; NULL: no memory.  Thread; may sleep. */
	void *(*clone)(void *obj, struct mm *mm);
	/** release - the region is gone (its entries are cleared): forget
	 * it and drop its file reference.  Thread; may sleep; caller holds
	 * the mm's lock (the file's put must not take it). */
	void (*release)(void *obj);
};

/*
 * mm_map_backed - mm_map() for a region that @ops/@obj back (a file
 * mapping) at file offset @off (page aligned).  On success the region
 * owns @obj (release() at munmap/exit); on error the caller still does.
 * UVM_MAP_SHARED or UVM_MAP_PRIVATE as for mm_map.
 */
int mm_map_backed(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags,
		  uint64_t off, const struct uvm_backing_ops *ops, void *obj, uint64_t *out);

/*
 * mm_msync - call @fn(pa, len, @ctx) for every page that the shared,
 * file-backed regions of [@addr, @addr + @len) map (to write back its
 * cache lines).  0; -ENOMEM when part of the range is not mapped (Linux);
 * -EINVAL misaligned.
 */
int mm_msync(struct mm *mm, uint64_t addr, uint64_t len,
	     void (*fn)(uint64_t pa, uint64_t len, void *ctx), void *ctx);

/* The page table of @mm, for the lock-free walk of pin_user_pages (which
 * may run without mm->lock: see fs/dax_user.c). */
struct pgtable *mm_pgtable(struct mm *mm);

/*
 * Pins on DRAM frames of user memory (anonymous pages, private copies):
 * a frame pinned for DMA is not given back to the pmm while pinned; a
 * munmap or exit that drops it meanwhile leaves it to the last unpin,
 * which frees it.  uvm_pin_frame: 0, or -ENOMEM (the pin table is full).
 * Any context (the unpin runs in DMA completion callbacks); never sleep.
 */
int uvm_pin_frame(uint64_t pa);
void uvm_unpin_frame(uint64_t pa);
/* DRAM frames pinned now (leak checks). */
size_t uvm_pinned_frames(void);

#endif
