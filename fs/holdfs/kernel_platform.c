/*
 * kernel_platform.c - holdfs's platform (include/fs/holdfs_platform.h) inside the
 * kernel: the device is a pmem region, locks are kernel mutexes and rwsems,
 * memory is kmalloc, the log is kprintf; and holdfs's face to the DAX layer.
 *
 * hfs_kernel_pm(region) wraps a region as a struct hfs_pm.  Stores go
 * through the CPU cache (write, zero) or around it (write_nt ->
 * memcpy_to_pmem); flush and fence are pmem_flush / pmem_drain.  A block
 * whose page is pinned for DMA is reported by unpinned_blocks so the allocator
 * refuses it.
 *
 * hfs_dax_file(inode) pairs an inode with hfs_dax_ops, the struct
 * dax_file_ops through which fs/dax.c maps, sizes, locks and holds holdfs
 * files without naming holdfs; hfs_break_layout(), the core's layout seam,
 * is dax_break_layout() on that file.
 */
#include <fs/holdfs_platform.h>
#include "hfs_int.h"
#include <fs/dax.h>
#include <drivers/pmem.h>
#include <kernel/mm.h>
#include <kernel/kmalloc.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <kernel/printk.h>
#include <lib/string.h>

/* A byte range [off, off + size) of a region: the whole region, or a
 * namespace inside it (a block device, include/drivers/blkdev.h). */
struct kpm {
	struct hfs_pm pm;
	struct pmem_region *r;
	uint64_t off, size;		/* page aligned */
};

static struct kpm *kpm(struct hfs_pm *pm) { return pm->priv; }
static struct pmem_region *region(struct hfs_pm *pm) { return kpm(pm)->r; }
static uint8_t *kpm_virt(struct hfs_pm *pm) { return kpm(pm)->r->virt + kpm(pm)->off; }

static const uint8_t *kpm_base(struct hfs_pm *pm) { return kpm_virt(pm); }
static uint64_t kpm_size(struct hfs_pm *pm) { return kpm(pm)->size; }

static void kpm_write(struct hfs_pm *pm, uint64_t off, const void *src, size_t len)
{
	memcpy(kpm_virt(pm) + off, src, len);
}

static void kpm_zero(struct hfs_pm *pm, uint64_t off, size_t len)
{
	memset(kpm_virt(pm) + off, 0, len);
}

static void kpm_write_nt(struct hfs_pm *pm, uint64_t off, const void *src, size_t len)
{
	memcpy_to_pmem(kpm_virt(pm) + off, src, len);
}

static void kpm_flush(struct hfs_pm *pm, uint64_t off, size_t len)
{
	pmem_flush(kpm_virt(pm) + off, len);
}

static void kpm_fence(struct hfs_pm *pm)
{
	pmem_drain();
}

_Static_assert(HFS_BLOCK_SIZE == PMEM_BLOCK_SIZE, "a block is one pmem page");
/* A cached inode fits kmalloc's 512-byte class (hfs_int.h says why). */
_Static_assert(sizeof(struct hfs_inode) + KMALLOC_OVERHEAD <= 512, "struct hfs_inode grew");

/* A loop over the region's page descriptors: no lookup per block.  The
 * test-only dax_unsafe_no_wait (fs/dax.c), which reproduces the seed's
 * corruption, turns this check off too, with the layout wait. */
static uint64_t kpm_unpinned_blocks(struct hfs_pm *pm, uint64_t off, uint64_t nblocks)
{
	struct pmem_region *r = region(pm);
	uint64_t first = (kpm(pm)->off + off) / PMEM_BLOCK_SIZE, n, i;

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
	return region(pm)->phys + kpm(pm)->off + off;
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
 * hfs_kernel_pm_range - a struct hfs_pm for bytes [off, off + len) of pmem
 * region r (allocated; kfree it when done).  NULL on ENOMEM, or when the
 * range is not page aligned or not inside the region.
 */
struct hfs_pm *hfs_kernel_pm_range(struct pmem_region *r, uint64_t off, uint64_t len)
{
	struct kpm *k;

	if (off % PMEM_BLOCK_SIZE || len % PMEM_BLOCK_SIZE || off > r->size ||
	    len > r->size - off)
		return NULL;
	k = kzalloc(sizeof(*k));
	if (!k)
		return NULL;
	k->r = r;
	k->off = off;
	k->size = len;
	k->pm.ops = &kpm_ops;
	k->pm.priv = k;
	return &k->pm;
}

/** hfs_kernel_pm - hfs_kernel_pm_range() over the whole of region r. */
struct hfs_pm *hfs_kernel_pm(struct pmem_region *r)
{
	return hfs_kernel_pm_range(r, 0, r->size);
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

/* No process credentials yet: everything the kernel creates is root's. */
void hfs_plat_cred(uint32_t *uid, uint32_t *gid)
{
	*uid = 0;
	*gid = 0;
}

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

/* ------------------------------------------------- the DAX layer's view */

static int dax_map(void *file, uint64_t off, bool alloc, struct dax_extent *ext)
{
	struct hfs_mapping m;
	int err = hfs_map(file, off, alloc, &m);

	if (err)
		return err;
	ext->phys = m.phys;
	ext->len = m.len;
	ext->hole = m.hole;
	return 0;
}

static int dax_size(void *file, uint64_t *size)
{
	struct hfs_stat st;
	int err = hfs_getattr(file, &st);

	if (!err)
		*size = st.size;
	return err;
}

static struct rwsem *dax_layout_lock(void *file)
{
	return (struct rwsem *)hfs_layout_lock(file);
}

static void dax_grab(void *file) { hfs_igrab(file); }
static void dax_put(void *file) { hfs_iput(file); }
static uint64_t dax_ino(void *file) { return hfs_ino(file); }

static const struct dax_file_ops hfs_dax_ops = {
	.map = dax_map,
	.size = dax_size,
	.layout_lock = dax_layout_lock,
	.grab = dax_grab,
	.put = dax_put,
	.ino = dax_ino,
};

/* holdfs_platform.h. */
struct dax_file hfs_dax_file(struct hfs_inode *ip)
{
	return (struct dax_file){ .ops = &hfs_dax_ops, .priv = ip };
}

/*
 * The core's layout seam (holdfs_platform.h): the DAX layer's wait, for @ip.
 * @layout is @ip's layout lock, which the DAX layer finds through
 * hfs_dax_ops.  The wait flags are holdfs's (holdfs.h), passed on one by one.
 */
int hfs_break_layout(struct hfs_inode *ip, hfs_rwsem_t *layout, uint64_t off, uint64_t len,
		     const struct hfs_wait *w)
{
	struct dax_wait dw = { 0, 0 };

	(void)layout;
	if (w) {
		dw.flags = (w->flags & HFS_WAIT_NONE ? DAX_WAIT_NONE : 0) |
			   (w->flags & HFS_WAIT_TIMEOUT ? DAX_WAIT_TIMEOUT : 0) |
			   (w->flags & HFS_WAIT_NOINTR ? DAX_WAIT_NOINTR : 0);
		dw.timeout_ns = w->timeout_ns;
	}
	return dax_break_layout(hfs_dax_file(ip), off, len, w ? &dw : NULL);
}

/* A holdfs lock rule broken: the kernel's lock-check panic (sync.h). */
void hfs_lock_assert_failed(const char *lock, const char *want, const char *func)
{
	lock_assert_failed("holdfs lock", lock, want, func);
}
