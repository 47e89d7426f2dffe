/*
 * test_iommu.c - DMA remapping (drivers/iommu/, include/drivers/iommu.h):
 * map/unmap/revoke semantics and counters, the caller's DMA mask, a stray
 * edu DMA that must fault and change no byte, a revoked range whose late
 * access is reported with what it used to be, and NVMe data integrity
 * (PRP lists included) through the IOMMU, and a DMA copy of whole 2 MiB
 * blocks through 2 MiB windows.
 *
 * Booted with -device intel-iommu (boot ktest-q35-iommu); on machines
 * without it only remapping_off_is_identity runs, the rest skip.
 */
#include <tests/ktest_kernel.h>
#include <drivers/blkdev.h>
#include <drivers/dma.h>
#include <drivers/iommu.h>
#include <drivers/pci.h>
#include <fs/dax.h>
#include <fs/dmafile.h>
#include <fs/holdfs.h>
#include <fs/vfs.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <lib/crc.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "../../drivers/dma/edu_internal.h"	/* the stray DMA, on purpose */

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define MASK_28		((1ull << 28) - 1)
#define PG		4096ull
#define MS		1000000ull
#define NVME_OFF	(1ull << 20)		/* 1 MiB into the namespace */
#define NVME_PAGES	3			/* > 2: a PRP list */
#define STRAY_IOVA	0x0FFF0000ull		/* below 256 MiB, never mapped here */

/* The edu device, with remapping on; NULL (case skipped) otherwise. */
static struct pci_dev *edu_dev(struct ktest *t)
{
	struct pci_dev *d;

	if (!iommu_enabled()) {
		ktest_skip(t, "DMA remapping is off (no -device intel-iommu)");
		return NULL;
	}
	d = pci_find_dev(EDU_VENDOR, EDU_DEVICE, 0);
	if (!d)
		ktest_skip(t, "no edu device");
	return d;
}

static struct dma_engine *edu_engine(void)
{
	for (unsigned i = 0; i < DMA_MAX_ENGINES; i++) {
		struct dma_engine *e = dma_get_engine(i);

		if (e && edu_test_is_edu(e))
			return e;
	}
	return NULL;
}

KTEST(iommu, remapping_off_is_identity)
{
	uint64_t iova = 0;

	if (iommu_enabled()) {
		ktest_skip(t, "remapping is on");
		return;
	}
	EXPECT_OK(t, iommu_dma_map(NULL, 0x123456, 100, IOMMU_READ, UINT64_MAX, &iova));
	EXPECT_EQ(t, iova, 0x123456);
	EXPECT_ERR(t, iommu_dma_map(NULL, 1ull << 32, 100, IOMMU_READ, MASK_28, &iova), -ERANGE);
	EXPECT_ERR(t, iommu_dma_map(NULL, 0x1000, 0, IOMMU_READ, UINT64_MAX, &iova), -EINVAL);
	EXPECT_EQ(t, iommu_revoke_phys(0x1000, PG, "x", 0), 0u);
}

KTEST(iommu, map_unmap_keeps_offset_and_counts)
{
	struct pci_dev *d = edu_dev(t);
	struct iommu_stats a, b, c;
	uint64_t pa, iova = 0;

	if (!d)
		return;
	ASSERT_NE(t, pa = pmm_alloc_page(), 0);
	iommu_get_stats(&a);
	ASSERT_OK(t, iommu_dma_map(d, pa + 0x123, 2 * PG, IOMMU_READ | IOMMU_WRITE, MASK_28,
				   &iova));
	iommu_get_stats(&b);
	EXPECT_EQ(t, iova & (PG - 1), 0x123);
	EXPECT_NE(t, iova & ~(PG - 1), pa);	/* an I/O address, not the physical one */
	EXPECT_LE(t, iova + 2 * PG - 1, MASK_28);
	EXPECT_EQ(t, b.pages_mapped, a.pages_mapped + 3);	/* 0x123 + 8 KiB: 3 pages */
	EXPECT_EQ(t, b.maps, a.maps + 1);
	iommu_dma_unmap(d, iova, 2 * PG);
	iommu_get_stats(&c);
	EXPECT_EQ(t, c.pages_mapped, a.pages_mapped);
	EXPECT_EQ(t, c.unmaps, a.unmaps + 1);
	EXPECT_ERR(t, iommu_dma_map(d, pa, 0, IOMMU_READ, MASK_28, &iova), -EINVAL);
	EXPECT_ERR(t, iommu_dma_map(d, UINT64_MAX - 10, 100, IOMMU_READ, MASK_28, &iova),
		   -EINVAL);
	pmm_free_page(pa);
}

KTEST(iommu, mask_is_respected)
{
	struct pci_dev *d = edu_dev(t);
	uint64_t pa, iova = 0, iova2 = 0;

	if (!d)
		return;
	ASSERT_NE(t, pa = pmm_alloc_page(), 0);
	/* a mask of 0x1fff leaves exactly one page (0 is never handed out) */
	ASSERT_OK(t, iommu_dma_map(d, pa, PG, IOMMU_READ, 0x1FFF, &iova));
	EXPECT_EQ(t, iova, 0x1000);
	EXPECT_ERR(t, iommu_dma_map(d, pa, PG, IOMMU_READ, 0x1FFF, &iova2), -ENOSPC);
	EXPECT_ERR(t, iommu_dma_map(d, pa, 3 * PG, IOMMU_READ, 0x2FFF, &iova2), -ENOSPC);
	iommu_dma_unmap(d, iova, PG);
	/* high physical page (pmem lives above 4 GiB), low I/O address */
	ASSERT_OK(t, iommu_dma_map(d, (1ull << 32) + pa, PG, IOMMU_READ, MASK_28, &iova2));
	EXPECT_LE(t, iova2, MASK_28);
	iommu_dma_unmap(d, iova2, PG);
	pmm_free_page(pa);
}

KTEST(iommu, revoke_takes_mapping_and_late_unmap_is_quiet)
{
	struct pci_dev *d = edu_dev(t);
	struct iommu_stats a, b, c;
	uint64_t pa, iova = 0;

	if (!d)
		return;
	ASSERT_NE(t, pa = pmm_alloc_pages(2), 0);
	ASSERT_OK(t, iommu_dma_map(d, pa, 2 * PG, IOMMU_WRITE, MASK_28, &iova));
	iommu_get_stats(&a);
	/* a range touching only the second page still takes the mapping */
	EXPECT_EQ(t, iommu_revoke_phys(pa + PG, 16, "/t", 0x3000), 1u);
	iommu_get_stats(&b);
	EXPECT_EQ(t, b.revokes, a.revokes + 1);
	EXPECT_EQ(t, b.pages_mapped, a.pages_mapped - 2);
	EXPECT_EQ(t, iommu_revoke_phys(pa, 2 * PG, "/t", 0), 0u);	/* already gone */
	EXPECT_EQ(t, iommu_revoke_phys(pa + 2 * PG, PG, "/t", 0), 0u);	/* not mapped */
	iommu_dma_unmap(d, iova, 2 * PG);
	iommu_get_stats(&c);
	EXPECT_EQ(t, c.pages_mapped, b.pages_mapped);
	EXPECT_EQ(t, c.unmaps, b.unmaps + 1);
	pmm_free_pages(pa, 2);
}

/* Fill @p with a pattern; its CRC. */
static uint32_t fill(uint8_t *p, uint8_t seed)
{
	for (size_t i = 0; i < PG; i++)
		p[i] = (uint8_t)(seed + i * 7);
	return crc32c(0, p, PG);
}

/* The device writes to @iova, which nothing maps: a fault is recorded and
 * counted; the page at @pa keeps every byte. */
static void stray_write(struct ktest *t, struct dma_engine *eng, uint64_t iova, uint64_t pa)
{
	struct iommu_stats a, b;
	uint8_t *p = phys_to_virt(pa);
	uint32_t crc = fill(p, 0x5A);

	iommu_poll_faults();
	iommu_get_stats(&a);
	ASSERT_OK(t, edu_test_raw_to_ram(eng, iova, 256));
	iommu_poll_faults();		/* in case the interrupt is not taken yet */
	iommu_get_stats(&b);
	EXPECT_GE(t, b.faults, a.faults + 1);
	EXPECT_EQ(t, crc32c(0, p, PG), crc);
}

KTEST(iommu, stray_edu_dma_faults_and_changes_nothing)
{
	struct pci_dev *d = edu_dev(t);
	struct dma_engine *eng;
	uint64_t pa;

	if (!d)
		return;
	eng = edu_engine();
	ASSERT_NOT_NULL(t, eng);
	ASSERT_NE(t, pa = pmm_alloc_page(), 0);
	/* a driver that forgot to map and gave the physical address (kept
	 * below the mask: edu would drop the high bits) */
	stray_write(t, eng, pa & MASK_28, pa);
	/* and an I/O address the allocator has not reached */
	stray_write(t, eng, STRAY_IOVA, pa);
	pmm_free_page(pa);
}

KTEST(iommu, late_dma_to_revoked_range_faults)
{
	struct pci_dev *d = edu_dev(t);
	struct dma_engine *eng;
	uint64_t pa, iova = 0;

	if (!d)
		return;
	eng = edu_engine();
	ASSERT_NOT_NULL(t, eng);
	ASSERT_NE(t, pa = pmm_alloc_page(), 0);
	ASSERT_OK(t, iommu_dma_map(d, pa, PG, IOMMU_WRITE, MASK_28, &iova));
	EXPECT_EQ(t, iommu_revoke_phys(pa, PG, "/victim", 0x3000), 1u);
	/* the console shows "... blocked (not mapped) - was /victim offset 0x3000" */
	stray_write(t, eng, iova, pa);
	iommu_dma_unmap(d, iova, PG);
	pmm_free_page(pa);
}

KTEST(iommu, edu_copy_with_default_mask_through_iommu)
{
	struct pci_dev *d = edu_dev(t);
	struct dma_engine *eng;
	uint64_t src, dst;

	if (!d)
		return;
	eng = edu_engine();
	ASSERT_NOT_NULL(t, eng);
	ASSERT_NE(t, src = pmm_alloc_page(), 0);
	ASSERT_NE(t, dst = pmm_alloc_page(), 0);
	fill(phys_to_virt(src), 0x33);
	memset(phys_to_virt(dst), 0, PG);
	EXPECT_OK(t, dma_copy_sync(eng, dst, src, 1000, 5000 * MS));
	EXPECT_MEMEQ(t, phys_to_virt(dst), phys_to_virt(src), 1000);
	pmm_free_page(src);
	pmm_free_page(dst);
}

struct nv_wait {
	struct completion done;
	int status;
};

static void nv_done(struct blk_req *rq, int status)
{
	struct nv_wait *w = rq->cookie;

	w->status = status;
	complete(&w->done);
}

static int nv_io(struct blkdev *bd, bool write, const uint64_t *pages)
{
	struct nv_wait w;
	struct blk_req rq = {
		.write = write, .off = NVME_OFF, .len = NVME_PAGES * PG, .pages = pages,
		.npages = NVME_PAGES, .done = nv_done, .cookie = &w,
	};
	int err;

	completion_init(&w.done);
	err = bd->ops->submit(bd, &rq);
	if (err)
		return err;
	wait_for_completion(&w.done);
	return w.status;
}

KTEST(iommu, nvme_data_integrity_through_iommu)
{
	struct blkdev *bd = blkdev_lookup("nvme0n1");
	uint64_t out[NVME_PAGES], in[NVME_PAGES];
	struct iommu_stats a, b;

	if (!iommu_enabled() || !bd || !bd->ops || !bd->ops->submit) {
		ktest_skip(t, "needs remapping on and /dev/nvme0n1");
		return;
	}
	for (unsigned i = 0; i < NVME_PAGES; i++) {
		ASSERT_NE(t, out[i] = pmm_alloc_page(), 0);
		ASSERT_NE(t, in[i] = pmm_alloc_page(), 0);
		fill(phys_to_virt(out[i]), (uint8_t)(0x40 + i));
		memset(phys_to_virt(in[i]), 0xEE, PG);
	}
	/* pages in no particular order: the PRP list holds I/O addresses */
	iommu_get_stats(&a);
	EXPECT_OK(t, nv_io(bd, true, out));
	EXPECT_OK(t, nv_io(bd, false, in));
	iommu_get_stats(&b);
	EXPECT_GE(t, b.maps, a.maps + 2);
	EXPECT_EQ(t, b.pages_mapped, a.pages_mapped);	/* all unmapped at completion */
	EXPECT_EQ(t, b.faults, a.faults);
	for (unsigned i = 0; i < NVME_PAGES; i++) {
		EXPECT_MEMEQ(t, phys_to_virt(in[i]), phys_to_virt(out[i]), PG);
		pmm_free_page(out[i]);
		pmm_free_page(in[i]);
	}
}

/* ------------------------------------------------- 2 MiB windows ---- */

#define WIN		(2ull << 20)
#define WIN_LEN		(4ull << 20)		/* the boot's whole NVMe disk */

/* How many 2 MiB blocks of @path lie in one aligned 2 MiB of pmem each:
 * the windows a copy of it can use. */
static unsigned aligned_blocks(const char *path, uint64_t len)
{
	struct hfs_inode *ip;
	unsigned n = 0;

	if (hfs_lookup(vfs_root(), path, true, &ip))
		return 0;
	hfs_down_read(hfs_layout_lock(ip));
	for (uint64_t b = 0; b < len; b += WIN) {
		struct hfs_mapping hm;
		uint64_t base = 0;
		bool ok = true;

		for (uint64_t off = b; ok && off < b + WIN; off += PG) {
			ok = !hfs_map(ip, off, false, &hm) && !hm.hole;
			if (ok && off == b)
				base = hm.phys;
			ok = ok && hm.phys == base + (off - b) && !(base & (WIN - 1));
		}
		n += ok;
	}
	hfs_up_read(hfs_layout_lock(ip));
	hfs_iput(ip);
	return n;
}

static void count_pin(const struct dax_pin *p, void *ctx)
{
	*(unsigned *)ctx += dax_pin_npages(p);
}

static unsigned pinned_pages(void)
{
	unsigned n = 0;

	dax_for_each_pin(count_pin, &n);
	return n;
}

/*
 * A DMA copy over whole 2 MiB blocks of a file goes through 2 MiB
 * windows: each block mapped once, as one 2 MiB IOMMU page, for all its
 * commands; every byte arrives in both directions; nothing stays mapped
 * or pinned, and no access faulted.
 */
KTEST(iommu, nvme_copy_maps_each_2mib_window_once)
{
	struct blkdev *bd = blkdev_lookup("nvme0n1");
	struct dma_blk_range r = { .len = WIN_LEN, .len_set = true };
	struct iommu_stats a, b, c;
	unsigned pins0;
	unsigned src_windows, dst_windows;
	int res = -1;

	if (!iommu_enabled() || !bd || !bd->ops || !bd->ops->submit || bd->size < WIN_LEN) {
		ktest_skip(t, "needs remapping on and a /dev/nvme0n1 of 4 MiB or more");
		return;
	}
	if (!fs_test_ready(t))
		return;
	EXPECT_TRUE(t, bd->dma_windows);
	ASSERT_OK(t, ktest_write_pattern("/win-src", WIN_LEN, 0x31));
	src_windows = aligned_blocks("/win-src", WIN_LEN);
	pins0 = pinned_pages();
	iommu_get_stats(&a);
	ASSERT_GT(t, dma_blk_copy("/win-src", "/dev/nvme0n1", &r, true, &res), 0);
	EXPECT_OK(t, res);
	iommu_get_stats(&b);
	res = -1;
	ASSERT_GT(t, dma_blk_copy("/dev/nvme0n1", "/win-dst", &r, true, &res), 0);
	EXPECT_OK(t, res);
	iommu_get_stats(&c);
	dst_windows = aligned_blocks("/win-dst", WIN_LEN);
	ktest_log(t, "windows: %u of the source's 2 MiB blocks, %u of the copy's; 2 MiB maps %lu, %lu",
		  src_windows, dst_windows, b.maps_2m - a.maps_2m, c.maps_2m - b.maps_2m);
	EXPECT_TRUE(t, ktest_has_pattern("/win-dst", WIN_LEN, 0x31));
	if (!src_windows && !dst_windows) {
		ktest_skip(t, "holdfs gave neither file an aligned 2 MiB extent (a fragmented pmem)");
		goto out;
	}
	/* each window exactly once, however its commands' completions fall;
	 * far fewer maps than 4 KiB commands would take */
	EXPECT_EQ(t, b.maps_2m - a.maps_2m, src_windows);
	EXPECT_EQ(t, c.maps_2m - b.maps_2m, dst_windows);
	EXPECT_LE(t, c.maps - a.maps, 2 * WIN_LEN / (512 * 1024) + 2);
	EXPECT_EQ(t, c.pages_mapped, a.pages_mapped);	/* all unmapped at the end */
	EXPECT_EQ(t, c.faults, a.faults);
	EXPECT_EQ(t, pinned_pages(), pins0);		/* and unpinned */
out:
	vfs_unlink("/win-src");
	vfs_unlink("/win-dst");
}
