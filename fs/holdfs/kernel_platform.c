/*
 * kernel_platform.c - holdfs's platform (fs/holdfs/platform.h) inside the
 * kernel: the device is a pmem region, locks are kernel mutexes and rwsems,
 * memory is kmalloc, the log is kprintf.
 *
 * hfs_kernel_pm(region) wraps a region as a struct hfs_pm.  Stores go
 * through the CPU cache (write, zero) or around it (write_nt ->
 * memcpy_to_pmem); flush and fence are pmem_flush / pmem_drain.  A block
 * whose page is pinned for DMA is reported by unpinned_blocks so the allocator
 * refuses it.
 */
#include "platform.h"
#include "hfs_int.h"
#include <drivers/pmem.h>
#include <kernel/mm.h>
#include <kernel/kmalloc.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <kernel/printk.h>
#include <lib/string.h>

struct kpm {
	struct hfs_pm pm;
	struct pmem_region *r;
};

static struct pmem_region *region(struct hfs_pm *pm)
{
	return ((struct kpm *)pm->priv)->r;
}

static const uint8_t *kpm_base(struct hfs_pm *pm) { return region(pm)->virt; }
static uint64_t kpm_size(struct hfs_pm *pm) { return region(pm)->size; }

static void kpm_write(struct hfs_pm *pm, uint64_t off, const void *src, size_t len)
{
	memcpy(region(pm)->virt + off, src, len);
}

static void kpm_zero(struct hfs_pm *pm, uint64_t off, size_t len)
{
	memset(region(pm)->virt + off, 0, len);
}

static void kpm_write_nt(struct hfs_pm *pm, uint64_t off, const void *src, size_t len)
{
	memcpy_to_pmem(region(pm)->virt + off, src, len);
}

static void kpm_flush(struct hfs_pm *pm, uint64_t off, size_t len)
{
	pmem_flush(region(pm)->virt + off, len);
}

static void kpm_fence(struct hfs_pm *pm)
{
	pmem_drain();
}

/*
 * The test-only switch that reproduces the seed's corruption (fs/dax.c)
 * turns off both lines of defence: the layout wait and this check.
 */
bool dax_unsafe_no_wait;

_Static_assert(HFS_BLOCK_SIZE == PMEM_BLOCK_SIZE, "a block is one pmem page");
/* A cached inode fits kmalloc's 512-byte class (hfs_int.h says why). */
_Static_assert(sizeof(struct hfs_inode) + KMALLOC_OVERHEAD <= 512, "struct hfs_inode grew");

/* A loop over the region's page descriptors: no lookup per block. */
static uint64_t kpm_unpinned_blocks(struct hfs_pm *pm, uint64_t off, uint64_t nblocks)
{
	struct pmem_region *r = region(pm);
	uint64_t first = off / PMEM_BLOCK_SIZE, n, i;

	if (dax_unsafe_no_wait || first >= r->npages)
		return nblocks;
	n = MIN(nblocks, r->npages - first);
	for (i = 0; i < n; i++)
		if (pmem_page_pins(&r->pages[first + i]))
			return i;
	return nblocks;
}

static uint64_t kpm_phys(struct hfs_pm *pm, uint64_t off)
{
	return region(pm)->phys + off;
}

static const struct hfs_pm_ops kpm_ops = {
	.base = kpm_base,
	.size = kpm_size,
	.write = kpm_write,
	.zero = kpm_zero,
	.write_nt = kpm_write_nt,
	.flush = kpm_flush,
	.fence = kpm_fence,
	.unpinned_blocks = kpm_unpinned_blocks,
	.phys = kpm_phys,
};

/**
 * hfs_kernel_pm - a struct hfs_pm for pmem region r (allocated; lives as
 * long as the kernel).  NULL on ENOMEM.
 */
struct hfs_pm *hfs_kernel_pm(struct pmem_region *r)
{
	struct kpm *k = kzalloc(sizeof(*k));

	if (!k)
		return NULL;
	k->r = r;
	k->pm.ops = &kpm_ops;
	k->pm.priv = k;
	return &k->pm;
}

/*
 * Zero-byte requests succeed, as on the host (kmalloc(0) is NULL).
 * hfs_dram_bytes counts what holdfs holds (the dram_per_pmem_gib figure).
 */
uint64_t hfs_dram_bytes;

static void *counted(void *p)
{
	if (p)
		__atomic_fetch_add(&hfs_dram_bytes, ksize(p), __ATOMIC_RELAXED);
	return p;
}

void *hfs_alloc(size_t size) { return counted(kmalloc(size ? size : 1)); }
void *hfs_zalloc(size_t size) { return counted(kzalloc(size ? size : 1)); }

void hfs_free(void *p)
{
	if (p)
		__atomic_fetch_sub(&hfs_dram_bytes, ksize(p), __ATOMIC_RELAXED);
	kfree(p);
}
/* File times are dates: nanoseconds since the Unix epoch (kernel/time.c). */
uint64_t hfs_now_ns(void) { return time_wall_ns(); }

void hfs_vlog(const char *fmt, va_list ap)
{
	kvprintf(fmt, ap);	/* the core prefixes its own messages */
}

void hfs_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hfs_vlog(fmt, ap);
	va_end(ap);
}

_Static_assert(sizeof(struct mutex) <= sizeof(hfs_mutex_t), "hfs_mutex_t too small");
_Static_assert(sizeof(struct rwsem) <= sizeof(hfs_rwsem_t), "hfs_rwsem_t too small");

void hfs_mutex_init(hfs_mutex_t *m, const char *name) { mutex_init((struct mutex *)m, name); }
void hfs_rwsem_init(hfs_rwsem_t *s, const char *name) { rwsem_init((struct rwsem *)s, name); }
void hfs_down_read(hfs_rwsem_t *s) { down_read((struct rwsem *)s); }
void hfs_up_read(hfs_rwsem_t *s) { up_read((struct rwsem *)s); }

/* A holdfs lock rule broken: the kernel's lock-check panic (sync.h). */
void hfs_lock_assert_failed(const char *lock, const char *want, const char *func)
{
	lock_assert_failed("holdfs lock", lock, want, func);
}

/* hfs_break_layout is the DAX layer's: fs/dax.c. */
