/*
 * dax_int.h - what the two files of the DAX layer share (fs/dax.c: kernel
 * mappings, file pins, the layout break; fs/dax_user.c: mappings in
 * processes and pin_user_pages).  Not for other modules.
 *
 * Locking: dax_lock (spinlock, not interrupt-safe) guards dax.c's lists
 * and dax_user.c's list of user mappings and their ranges.  Lock order:
 * a file's layout lock -> (a process's mm->lock is never taken under it)
 * -> dax_lock -> a page table's lock.
 */
#ifndef FS_DAX_INT_H
#define FS_DAX_INT_H

#include <fs/dax.h>
#include <kernel/sync.h>

extern spinlock_t dax_lock;
extern uint64_t zero_page_pa;		/* the shared zero page (holes, read) */
extern struct dax_stats stats;

#define STAT_INC(f) __atomic_fetch_add(&stats.f, 1, __ATOMIC_RELAXED)

struct rwsem *layout_of(struct dax_file f);
bool same_file(struct dax_file a, struct dax_file b);
bool file_ok(struct dax_file f);
/* Where @off lives, -EFAULT past the end of the file.  Caller holds the
 * layout lock (exclusive with @alloc). */
int map_in_size(struct dax_file f, uint64_t off, bool alloc, struct dax_extent *ext);

/* fs/dax_user.c: clear [off, end) of @f from every process's page table
 * (shot down on every CPU).  Caller holds @f's layout lock for write and
 * dax_lock.  Never sleeps. */
void dax_user_unmap_range(struct dax_file f, uint64_t off, uint64_t end);

#endif
