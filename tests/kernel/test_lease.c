/*
 * test_lease.c - pin leases (include/fs/dax.h enum dax_lease) on holdfs
 * files: what truncate, punch, collapse and unlink do over pinned pages.
 *
 *   wait    the layout change waits for the unpin (today's behaviour);
 *   fail    it fails at once with -ETXTBSY: the file, its blocks and the
 *           pins are as they were;
 *   revoke  refused (-EOPNOTSUPP) while DMA remapping is off; with the
 *           IOMMU on, the change returns at once, the holder is told, its
 *           transfer ends -ECANCELED, and blocks handed to a new file stay
 *           intact whatever the device writes late.
 *
 * The revoke-semantics cases run only when iommu_enabled() (a boot with
 * -device intel-iommu); elsewhere they are skipped, saying so.  Cases with
 * the edu engine (dma_file_copy_lease) skip without one.  Every case works
 * on the root holdfs (fs_test_ready) and removes its files.
 */
#include <tests/ktest_kernel.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <fs/vfs.h>
#include <fs/dax.h>
#include <fs/dmafile.h>
#include <fs/holdfs.h>
#include <drivers/dma.h>
#include <drivers/iommu.h>
#include <drivers/pmem.h>
#include <lib/string.h>
#include <lib/errno.h>

#define MS		1000000ULL
#define BLK		4096
#define NEEDS_IOMMU	"needs the IOMMU (a boot with intel-iommu)"

static uint64_t size_of(const char *path)
{
	struct hfs_stat st;

	return vfs_stat(path, &st) ? UINT64_MAX : st.size;
}

/* The physical block behind @off of @ip (0: a hole or an error). */
static uint64_t block_of(struct hfs_inode *ip, uint64_t off)
{
	struct hfs_mapping hm;
	uint64_t pa;

	hfs_down_read(hfs_layout_lock(ip));
	pa = hfs_map(ip, off, false, &hm) || hm.hole ? 0 : hm.phys;
	hfs_up_read(hfs_layout_lock(ip));
	return pa;
}

static unsigned pins_of(uint64_t pa)
{
	struct pmem_page *pg = pa ? pmem_phys_to_page(pa) : NULL;

	return pg ? pmem_page_pins(pg) : 0;
}

static struct dax_stats stats(void)
{
	struct dax_stats st;

	dax_get_stats(&st);
	return st;
}

/* @path made with @pages blocks of pattern @seed, opened: NULL (failed,
 * said) or a reference for hfs_iput(). */
static struct hfs_inode *lease_file(struct ktest *t, const char *path, unsigned pages, uint8_t seed)
{
	struct hfs_inode *ip;

	if (!fs_test_ready(t))
		return NULL;
	if (ktest_write_pattern(path, (uint64_t)pages * BLK, seed) ||
	    hfs_lookup(vfs_root(), path, true, &ip)) {
		ktest_fail_msg(t, "cannot make %s", path);
		return NULL;
	}
	return ip;
}

static struct dax_pin *pin_leased(struct hfs_inode *ip, uint64_t off, uint64_t len,
				  enum dax_lease mode, int *err)
{
	struct dax_lease_req req = { mode, NULL, NULL, NULL };

	return dax_pin_file_lease(hfs_dax_file(ip), off, len, DAX_PIN_WRITE, &req, "test-lease", err);
}

/* ------------------------------------------------------------------ wait */

struct truncator {
	const char *path;
	uint64_t size;
	int result;
	int done;			/* atomic */
};

static void truncate_thread(void *arg)
{
	struct truncator *tr = arg;

	tr->result = vfs_truncate(tr->path, tr->size, NULL);
	__atomic_store_n(&tr->done, 1, __ATOMIC_RELEASE);
}

KTEST(lease, wait_truncate_waits_for_the_unpin)
{
	struct truncator tr = { "/lease-wait", 0, 0, 0 };
	struct hfs_inode *ip = lease_file(t, "/lease-wait", 4, 1);
	struct dax_pin *pin;
	struct thread *th;
	int err;

	if (!ip)
		return;
	pin = pin_leased(ip, BLK, BLK, DAX_LEASE_WAIT, &err);
	ASSERT_NOT_NULL(t, pin);
	EXPECT_EQ(t, dax_pin_lease(pin), DAX_LEASE_WAIT);
	th = thread_create("lease-truncator", truncate_thread, &tr);
	ASSERT_NOT_NULL(t, th);
	msleep(50);
	EXPECT_EQ(t, __atomic_load_n(&tr.done, __ATOMIC_ACQUIRE), 0);	/* waiting */
	EXPECT_EQ(t, size_of("/lease-wait"), 4 * BLK);
	dax_unpin(pin);
	thread_join(th);
	EXPECT_OK(t, tr.result);
	EXPECT_EQ(t, size_of("/lease-wait"), 0);
	hfs_iput(ip);
	vfs_unlink("/lease-wait");
}

/* ------------------------------------------------------------------ fail */

KTEST(lease, fail_layout_changes_get_etxtbsy_and_change_nothing)
{
	struct hfs_inode *ip = lease_file(t, "/lease-fail", 4, 7);
	struct dax_stats before = stats();
	struct dax_pin *pin;
	uint64_t pa, t0;
	int err;

	if (!ip)
		return;
	pa = block_of(ip, 2 * BLK);
	pin = pin_leased(ip, 2 * BLK, BLK, DAX_LEASE_FAIL, &err);
	ASSERT_NOT_NULL(t, pin);
	EXPECT_EQ(t, dax_pin_lease(pin), DAX_LEASE_FAIL);
	EXPECT_EQ(t, pins_of(pa), 1);

	/* Every caller of dax_break_layout() over page 2, at once. */
	t0 = time_ns();
	EXPECT_ERR(t, vfs_truncate("/lease-fail", 0, NULL), -ETXTBSY);
	EXPECT_ERR(t, hfs_truncate(ip, BLK, NULL), -ETXTBSY);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE, 2 * BLK, BLK,
				    NULL), -ETXTBSY);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_COLLAPSE, BLK, BLK, NULL), -ETXTBSY);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_ZERO_RANGE, 2 * BLK, BLK, NULL), -ETXTBSY);
	EXPECT_ERR(t, vfs_unlink("/lease-fail"), -ETXTBSY);
	EXPECT_LT(t, time_ns() - t0, 1000 * MS);	/* no wait (generous for TCG) */
	EXPECT_EQ(t, stats().layout_waits, before.layout_waits);
	EXPECT_GE(t, stats().lease_fails, before.lease_fails + 6);

	/* Nothing changed: size, data, the block, the pin, the record. */
	EXPECT_EQ(t, size_of("/lease-fail"), 4 * BLK);
	EXPECT_TRUE(t, ktest_has_pattern("/lease-fail", 4 * BLK, 7));
	EXPECT_EQ(t, block_of(ip, 2 * BLK), pa);
	EXPECT_EQ(t, pins_of(pa), 1);
	EXPECT_FALSE(t, dax_pin_revoked(pin));

	/* Outside the pinned page a layout change goes on. */
	EXPECT_OK(t, hfs_truncate(ip, 3 * BLK, NULL));
	EXPECT_OK(t, hfs_fallocate(ip, HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE, 0, BLK, NULL));

	dax_unpin(pin);
	EXPECT_EQ(t, pins_of(pa), 0);
	EXPECT_OK(t, hfs_truncate(ip, 0, NULL));		/* now it may */
	hfs_iput(ip);
	EXPECT_OK(t, vfs_unlink("/lease-fail"));
}

/* A fail lease wins over a wait pin elsewhere in the range: no waiting
 * first, the answer is -ETXTBSY at once. */
KTEST(lease, fail_goes_before_wait)
{
	struct hfs_inode *ip = lease_file(t, "/lease-mixed", 4, 9);
	struct dax_stats before = stats();
	struct dax_pin *w, *f;
	int err;

	if (!ip)
		return;
	w = pin_leased(ip, 0, BLK, DAX_LEASE_WAIT, &err);
	ASSERT_NOT_NULL(t, w);
	f = pin_leased(ip, 3 * BLK, BLK, DAX_LEASE_FAIL, &err);
	ASSERT_NOT_NULL(t, f);
	EXPECT_ERR(t, hfs_truncate(ip, 0, NULL), -ETXTBSY);
	EXPECT_EQ(t, stats().layout_waits, before.layout_waits);
	EXPECT_EQ(t, size_of("/lease-mixed"), 4 * BLK);
	dax_unpin(f);
	dax_unpin(w);
	hfs_iput(ip);
	vfs_unlink("/lease-mixed");
}

/* dax_pin_set_lease() on a record of a mapping's pins (dax_pin_pages). */
KTEST(lease, fail_lease_set_on_a_mapping_pin)
{
	struct hfs_inode *ip = lease_file(t, "/lease-map", 2, 3);
	struct dax_lease_req fail = { DAX_LEASE_FAIL, NULL, NULL, NULL };
	struct pmem_page *pages[1];
	struct dax_pin *pin;
	void *va;
	int err;

	if (!ip)
		return;
	ASSERT_OK(t, dax_mmap(hfs_dax_file(ip), 0, 2 * BLK, true, "test-lease", &va));
	pin = dax_pin_pages((uint64_t)va + BLK, 1, DAX_PIN_WRITE, pages, "test-lease", &err);
	ASSERT_NOT_NULL(t, pin);
	EXPECT_OK(t, dax_pin_set_lease(pin, &fail));
	EXPECT_ERR(t, hfs_truncate(ip, 0, NULL), -ETXTBSY);
	EXPECT_EQ(t, size_of("/lease-map"), 2 * BLK);
	dax_unpin(pin);
	EXPECT_OK(t, hfs_truncate(ip, 0, NULL));
	dax_munmap(va);
	hfs_iput(ip);
	vfs_unlink("/lease-map");
}

static bool job_over(int id, struct dma_job_info *out)
{
	for (unsigned i = 0; i < DMA_JOBS_MAX; i++)
		if (dma_job_get(i, out) && (int)out->id == id)
			return out->finished_ns != 0;
	return true;
}

static bool need_dma(struct ktest *t)
{
	if (!fs_test_ready(t))
		return false;
	if (dma_engine_count() == 0) {
		ktest_skip(t, "no DMA engine (boot with -device edu,dma_mask=0xffffffffffffffff)");
		return false;
	}
	return true;
}

/* dma_file_copy_lease with fail: the truncate of the destination fails
 * while the copy runs, and the copy completes normally. */
KTEST(lease, fail_dma_copy_completes_and_truncate_gets_etxtbsy)
{
	struct dma_job_info j;
	int id;

	if (!need_dma(t))
		return;
	ASSERT_OK(t, ktest_write_pattern("/lease-src", 8 * BLK, 0x31));
	id = dma_file_copy_lease("/lease-src", "/lease-dst", DAX_LEASE_FAIL, false, NULL);
	ASSERT_GT(t, id, 0);
	/* The first chunk (all 8 pages) is pinned by now, for ~0.8 s. */
	EXPECT_ERR(t, vfs_truncate("/lease-dst", 0, NULL), -ETXTBSY);
	EXPECT_ERR(t, vfs_truncate("/lease-src", 0, NULL), -ETXTBSY);
	EXPECT_FALSE(t, job_over(id, &j));	/* it did not wait for the copy */
	while (!job_over(id, &j))
		msleep(20);
	EXPECT_OK(t, j.error);
	EXPECT_EQ(t, j.done, 8 * BLK);
	EXPECT_TRUE(t, ktest_has_pattern("/lease-dst", 8 * BLK, 0x31));
	EXPECT_OK(t, vfs_truncate("/lease-dst", 0, NULL));	/* no pins now */
	vfs_unlink("/lease-dst");
	vfs_unlink("/lease-src");
}

/* ---------------------------------------------------------------- revoke */

static int revoke_calls;
static void count_revoke(struct dax_pin *pin, void *ctx)
{
	(void)pin;
	(void)ctx;
	revoke_calls++;
}

KTEST(lease, revoke_refused_without_the_iommu)
{
	struct dax_lease_req revoke = { DAX_LEASE_REVOKE, count_revoke, NULL, NULL };
	struct dax_lease_req bogus = { (enum dax_lease)7, NULL, NULL, NULL };
	struct hfs_inode *ip;
	struct dax_pin *pin;
	uint64_t pa;
	int err = 0;

	if (iommu_enabled()) {
		ktest_skip(t, "the IOMMU is on: revoke leases are allowed");
		return;
	}
	if (!(ip = lease_file(t, "/lease-norevoke", 2, 5)))
		return;
	pa = block_of(ip, 0);
	EXPECT_ERR(t, dax_lease_check(DAX_LEASE_REVOKE), -EOPNOTSUPP);
	EXPECT_ERR(t, dax_lease_check(7), -EINVAL);
	EXPECT_ERR(t, dax_lease_check(-1), -EINVAL);
	EXPECT_NULL(t, dax_pin_file_lease(hfs_dax_file(ip), 0, BLK, 0, &revoke, "test-lease", &err));
	EXPECT_EQ(t, err, -EOPNOTSUPP);
	EXPECT_NULL(t, dax_pin_file_lease(hfs_dax_file(ip), 0, BLK, 0, &bogus, "test-lease", &err));
	EXPECT_EQ(t, err, -EINVAL);
	EXPECT_EQ(t, pins_of(pa), 0);			/* nothing was pinned */
	/* A record asked to become revocable later: refused the same way. */
	pin = dax_pin_file(hfs_dax_file(ip), 0, BLK, 0, "test-lease", &err);
	ASSERT_NOT_NULL(t, pin);
	EXPECT_ERR(t, dax_pin_set_lease(pin, &revoke), -EOPNOTSUPP);
	EXPECT_ERR(t, dax_pin_set_lease(pin, &bogus), -EINVAL);
	EXPECT_EQ(t, dax_pin_lease(pin), DAX_LEASE_WAIT);
	dax_unpin(pin);
	/* And the DMA copies refuse before opening anything. */
	EXPECT_ERR(t, dma_file_copy_lease("/lease-norevoke", "/lease-nothere", DAX_LEASE_REVOKE,
					  true, NULL), -EOPNOTSUPP);
	EXPECT_ERR(t, dma_file_copy_lease("/lease-norevoke", "/lease-nothere", (enum dax_lease)3,
					  true, NULL), -EINVAL);
	EXPECT_EQ(t, size_of("/lease-nothere"), UINT64_MAX);
	EXPECT_EQ(t, revoke_calls, 0);
	EXPECT_OK(t, strcmp(DAX_LEASE_REVOKE_NEEDS, "revoke needs the IOMMU (make run IOMMU=1)"));
	hfs_iput(ip);
	vfs_unlink("/lease-norevoke");
}

KTEST(lease, names_parse_both_ways)
{
	enum dax_lease m;

	for (int i = 0; i < DAX_LEASE_MODES; i++) {
		ASSERT_OK(t, dax_lease_parse(dax_lease_name(i), &m));
		EXPECT_EQ(t, (int)m, i);
	}
	EXPECT_ERR(t, dax_lease_parse("sometimes", &m), -EINVAL);
	EXPECT_OK(t, strcmp(dax_lease_name(9), "?"));
}

static bool need_iommu(struct ktest *t)
{
	if (!iommu_enabled()) {
		ktest_skip(t, NEEDS_IOMMU);
		return false;
	}
	return fs_test_ready(t);
}

struct find_ctx {
	const struct dax_pin *pin;
	bool found;		/* listed, revoked, lease revoke */
};

static void find_revoked(const struct dax_pin *p, void *arg)
{
	struct find_ctx *c = arg;

	if (p == c->pin && dax_pin_revoked(p) && dax_pin_lease(p) == DAX_LEASE_REVOKE)
		c->found = true;
}

/*
 * A revoke lease: the truncate does not wait; the holder is told once; the
 * page's pin is gone; the holder's own unpins afterwards are quiet no-ops
 * (not early unpins, no page unpinned twice).  Also with the unsafe switch
 * on, which must not skip revocation.
 */
static void revoke_round(struct ktest *t, bool unsafe)
{
	struct dax_lease_req req = { DAX_LEASE_REVOKE, count_revoke, NULL, NULL };
	struct dax_stats before = stats();
	struct dma_desc d = { 0 };
	struct hfs_inode *ip;
	struct dax_pin *pin;
	uint64_t pa, early = dma_early_unpins();
	int err;

	if (!(ip = lease_file(t, "/lease-revoke", 4, 11)))
		return;
	pa = block_of(ip, BLK);
	revoke_calls = 0;
	pin = dax_pin_file_lease(hfs_dax_file(ip), BLK, BLK, DAX_PIN_WRITE, &req, "test-lease", &err);
	ASSERT_NOT_NULL(t, pin);
	dax_unsafe_no_wait = unsafe;
	EXPECT_OK(t, hfs_truncate(ip, 0, NULL));
	dax_unsafe_no_wait = false;
	EXPECT_EQ(t, stats().layout_waits, before.layout_waits);	/* did not wait */
	EXPECT_EQ(t, revoke_calls, 1);
	EXPECT_TRUE(t, dax_pin_revoked(pin));
	EXPECT_EQ(t, stats().lease_revokes, before.lease_revokes + 1);
	EXPECT_EQ(t, pins_of(pa), 0);
	EXPECT_EQ(t, size_of("/lease-revoke"), 0);
	/* Still listed (for `pins`: "lease=revoke revoked") until its holder
	 * drops it. */
	struct find_ctx fc = { pin, false };
	dax_for_each_pin(find_revoked, &fc);
	EXPECT_TRUE(t, fc.found);
	pmem_pin_page(pmem_phys_to_page(pa));		/* a witness */
	EXPECT_OK(t, dax_unpin_dma(pin, 0, BLK, &d));	/* quiet */
	dax_unpin(pin);
	EXPECT_EQ(t, pins_of(pa), 1);			/* the witness only */
	pmem_unpin_page(pmem_phys_to_page(pa));
	EXPECT_EQ(t, dma_early_unpins(), early);
	hfs_iput(ip);
	vfs_unlink("/lease-revoke");
}

KTEST(lease, revoke_truncate_returns_at_once)
{
	if (need_iommu(t))
		revoke_round(t, false);
}

KTEST(lease, revoke_still_revokes_in_unsafe_mode)
{
	if (need_iommu(t))
		revoke_round(t, true);
}

/* Fill all free space so the next allocation must reuse freed blocks. */
static void fill(void)
{
	int fd = vfs_open("/lease-filler", HFS_O_RDWR | HFS_O_CREAT | HFS_O_TRUNC, 0644);
	struct hfs_statfs sf;
	struct hfs_stat st;

	if (fd < 0)
		return;
	for (int i = 0; i < 64 && !vfs_statfs(&sf) && sf.free_blocks > 0; i++) {
		uint64_t want = sf.free_blocks;
		vfs_fstat(fd, &st);
		while (want > 0 && vfs_fallocate(fd, 0, st.size, want * BLK, NULL))
			want = want > 8 ? want - want / 8 : want - 1;
	}
	vfs_close(fd);
}

/*
 * The seed's scenario with a revoke lease: a DMA copy into A is in flight;
 * truncate A returns at once; A's blocks go to a new file B, which gets a
 * pattern; the copy ends -ECANCELED; whatever the device wrote late was
 * blocked by the IOMMU, so B still holds its pattern.
 */
KTEST(lease, revoke_dma_ends_ecanceled_and_reused_blocks_intact)
{
	enum { PAGES = 8 };
	uint64_t a_phys[PAGES], t0, took;
	struct dma_job_info j;
	struct hfs_inode *a, *b;
	unsigned reused = 0;
	int id;

	if (!need_iommu(t) || !need_dma(t))
		return;
	ASSERT_OK(t, ktest_write_pattern("/lease-src", PAGES * BLK, 0xD0));
	id = dma_file_copy_lease("/lease-src", "/lease-a", DAX_LEASE_REVOKE, false, NULL);
	ASSERT_GT(t, id, 0);
	ASSERT_OK(t, hfs_lookup(vfs_root(), "/lease-a", true, &a));
	for (unsigned p = 0; p < PAGES; p++)
		a_phys[p] = block_of(a, (uint64_t)p * BLK);
	hfs_iput(a);
	fill();
	t0 = time_ns();
	EXPECT_OK(t, vfs_truncate("/lease-a", 0, NULL));
	took = time_ns() - t0;
	EXPECT_LT(t, took, 100 * MS);			/* not one edu step */
	EXPECT_FALSE(t, job_over(id, &j));		/* the device is still at it */
	ASSERT_OK(t, ktest_write_pattern("/lease-b", PAGES * BLK, 0x70));
	if (!hfs_lookup(vfs_root(), "/lease-b", true, &b)) {
		for (unsigned p = 0; p < PAGES; p++)
			for (unsigned q = 0; q < PAGES; q++)
				reused += block_of(b, (uint64_t)p * BLK) == a_phys[q] && a_phys[q];
		hfs_iput(b);
	}
	ktest_log(t, "B reuses %u of A's %u blocks; truncate took %lu us", reused, PAGES,
		  took / 1000);
	while (!job_over(id, &j))
		msleep(20);
	EXPECT_ERR(t, j.error, -ECANCELED);
	EXPECT_LT(t, j.done, PAGES * BLK);
	EXPECT_TRUE(t, ktest_has_pattern("/lease-b", PAGES * BLK, 0x70));
	vfs_unlink("/lease-a");
	vfs_unlink("/lease-b");
	vfs_unlink("/lease-src");
	vfs_unlink("/lease-filler");
}

/* ------------------------------------- the revoke path, without the IOMMU */

/*
 * dax_revoke_without_iommu lets the cases below run the revoke path on any
 * machine: the break, the holder's callback, the dropped pins, the quiet
 * unpins.  No device write comes late into a reused block here: nothing
 * is allocated before the device is done.
 */
KTEST(lease, revoke_path_with_the_test_switch)
{
	if (!fs_test_ready(t))
		return;
	dax_revoke_without_iommu = true;
	revoke_round(t, false);
	revoke_round(t, true);		/* the unsafe switch still revokes */
	dax_revoke_without_iommu = false;
}

/* A page that a wait pin and a revoke lease both hold: the wait pin is
 * waited for first, then the lease is revoked and the change goes on. */
KTEST(lease, wait_pin_first_then_revoke)
{
	struct dax_lease_req req = { DAX_LEASE_REVOKE, count_revoke, NULL, NULL };
	struct truncator tr = { "/lease-both", 0, 0, 0 };
	struct dax_pin *w, *r;
	struct hfs_inode *ip;
	struct thread *th;
	uint64_t pa;
	int err;

	if (!(ip = lease_file(t, "/lease-both", 2, 13)))
		return;
	pa = block_of(ip, BLK);
	dax_revoke_without_iommu = true;
	revoke_calls = 0;
	r = dax_pin_file_lease(hfs_dax_file(ip), BLK, BLK, 0, &req, "test-lease", &err);
	w = dax_pin_file(hfs_dax_file(ip), BLK, BLK, 0, "test-lease", &err);
	dax_revoke_without_iommu = false;
	ASSERT_NOT_NULL(t, r);
	ASSERT_NOT_NULL(t, w);
	EXPECT_EQ(t, pins_of(pa), 2);
	th = thread_create("lease-truncator", truncate_thread, &tr);
	ASSERT_NOT_NULL(t, th);
	msleep(50);
	EXPECT_EQ(t, __atomic_load_n(&tr.done, __ATOMIC_ACQUIRE), 0);	/* waits for w */
	EXPECT_EQ(t, revoke_calls, 0);					/* r not yet */
	dax_unpin(w);
	thread_join(th);
	EXPECT_OK(t, tr.result);
	EXPECT_EQ(t, revoke_calls, 1);
	EXPECT_TRUE(t, dax_pin_revoked(r));
	EXPECT_EQ(t, pins_of(pa), 0);
	dax_unpin(r);
	EXPECT_EQ(t, pins_of(pa), 0);
	EXPECT_EQ(t, size_of("/lease-both"), 0);
	hfs_iput(ip);
	vfs_unlink("/lease-both");
}

/* dma cp with revoke: the truncate of the destination does not wait, the
 * job's queued descriptors are taken back and it ends -ECANCELED. */
KTEST(lease, revoked_dma_copy_ends_ecanceled)
{
	struct dma_job_info j;
	int id;

	if (!need_dma(t))
		return;
	ASSERT_OK(t, ktest_write_pattern("/lease-src", 8 * BLK, 0x55));
	dax_revoke_without_iommu = true;
	id = dma_file_copy_lease("/lease-src", "/lease-dst", DAX_LEASE_REVOKE, false, NULL);
	dax_revoke_without_iommu = false;
	ASSERT_GT(t, id, 0);
	EXPECT_OK(t, vfs_truncate("/lease-dst", 0, NULL));
	EXPECT_FALSE(t, job_over(id, &j));	/* it did not wait for the copy */
	EXPECT_EQ(t, size_of("/lease-dst"), 0);
	while (!job_over(id, &j))
		msleep(20);
	EXPECT_ERR(t, j.error, -ECANCELED);
	EXPECT_LT(t, j.done, 8 * BLK);
	vfs_unlink("/lease-dst");
	vfs_unlink("/lease-src");
}
