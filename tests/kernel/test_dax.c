/*
 * test_dax.c - DAX mappings, pins and layout changes that wait.
 *
 * The "device" in most cases is a kernel thread that writes into pinned
 * pages through their physical addresses after a delay, as a DMA engine
 * would (tests/kernel/test_dma_files.c does the same with the edu engine).
 * The unsafe switch (dax_unsafe_no_wait) turns both defences off, and the
 * seed's corruption must then be seen; with the protection on it must not.
 *
 * Every case works on the root holdfs; a scratch pmem is formatted first
 * when nothing is mounted (test boots use a fresh image).
 */
#include <tests/ktest_kernel.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/mm.h>
#include <fs/vfs.h>
#include <fs/dax.h>
#include <drivers/pmem.h>
#include <arch/x86_64/paging.h>
#include <arch/x86_64/smp.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <fs/holdfs.h>

#define MS		1000000ULL
#define BLK		4096

/* Create path with len bytes of pattern (byte i = seed + i), fsync'd. */
static struct hfs_inode *make_file(struct ktest *t, const char *path, uint64_t len, uint8_t seed)
{
	struct hfs_inode *ip;
	static uint8_t buf[BLK];

	if (hfs_open(vfs_root(), path, HFS_O_RDWR | HFS_O_CREAT | HFS_O_TRUNC, 0644, &ip)) {
		ktest_fail_msg(t, "cannot create %s", path);
		return NULL;
	}
	for (uint64_t off = 0; off < len; off += BLK) {
		for (int i = 0; i < BLK; i++)
			buf[i] = (uint8_t)(seed + off + i);
		hfs_write(ip, off, buf, MIN((uint64_t)BLK, len - off));
	}
	hfs_fsync(ip);
	return ip;
}

static bool file_has_pattern(struct hfs_inode *ip, uint64_t len, uint8_t seed)
{
	static uint8_t buf[BLK];

	for (uint64_t off = 0; off < len; off += BLK) {
		uint64_t n = MIN((uint64_t)BLK, len - off);
		if (hfs_read(ip, off, buf, n) != (int64_t)n)
			return false;
		for (uint64_t i = 0; i < n; i++)
			if (buf[i] != (uint8_t)(seed + off + i))
				return false;
	}
	return true;
}

static uint64_t free_blocks(void)
{
	struct hfs_statfs st;

	return vfs_statfs(&st) ? 0 : st.free_blocks;
}

KTEST(dax, mmap_reads_and_writes_the_file)
{
	struct hfs_inode *ip;
	volatile uint8_t *p;
	void *va;
	uint8_t b;

	if (!fs_test_ready(t) || !(ip = make_file(t, "/dax-rw", 3 * BLK, 7)))
		return;
	ASSERT_OK(t, dax_mmap(hfs_dax_file(ip), 0, 3 * BLK, true, "test", &va));
	p = va;
	EXPECT_EQ(t, p[0], 7);
	EXPECT_EQ(t, p[BLK + 5], (uint8_t)(7 + BLK + 5));
	p[2 * BLK + 1] = 0xEE;			/* a store through the mapping */
	ASSERT_EQ(t, hfs_read(ip, 2 * BLK + 1, &b, 1), 1);
	EXPECT_EQ(t, b, 0xEE);			/* is the file: no page cache */
	EXPECT_OK(t, dax_munmap(va));
	hfs_iput(ip);
	vfs_unlink("/dax-rw");
}

KTEST(dax, hole_reads_zero_write_allocates)
{
	struct hfs_inode *ip;
	volatile uint8_t *p;
	struct hfs_stat st;
	void *va;

	if (!fs_test_ready(t))
		return;
	ASSERT_OK(t, hfs_open(vfs_root(), "/dax-hole", HFS_O_RDWR | HFS_O_CREAT | HFS_O_TRUNC, 0644, &ip));
	ASSERT_OK(t, hfs_truncate(ip, 4 * BLK, NULL));		/* sparse */
	ASSERT_OK(t, dax_mmap(hfs_dax_file(ip), 0, 4 * BLK, true, "test", &va));
	p = va;
	EXPECT_EQ(t, p[BLK + 9], 0);			/* the zero page */
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.blocks, 0);			/* a read allocates nothing */
	p[BLK + 9] = 0x42;				/* write fault: allocate */
	hfs_getattr(ip, &st);
	EXPECT_GE(t, st.blocks, 1);
	uint8_t b = 0;
	hfs_read(ip, BLK + 9, &b, 1);
	EXPECT_EQ(t, b, 0x42);
	EXPECT_OK(t, dax_munmap(va));
	hfs_iput(ip);
	vfs_unlink("/dax-hole");
}

KTEST(dax, huge_entries_for_2m_extents)
{
	struct hfs_inode *ip;
	uint64_t size;
	void *va;

	if (!fs_test_ready(t))
		return;
	ASSERT_OK(t, hfs_open(vfs_root(), "/dax-huge", HFS_O_RDWR | HFS_O_CREAT | HFS_O_TRUNC, 0644, &ip));
	ASSERT_OK(t, hfs_fallocate(ip, 0, 0, 2 * PAGE_2M, NULL));
	ASSERT_OK(t, dax_mmap(hfs_dax_file(ip), 0, 2 * PAGE_2M, true, "test", &va));
	(void)*(volatile uint8_t *)((uint8_t *)va + 12345);
	ASSERT_TRUE(t, pt_lookup(&kernel_pgtable, (uint64_t)va + 12345, NULL, &size, NULL));
	EXPECT_EQ(t, size, PAGE_SIZE_2M);
	EXPECT_OK(t, dax_munmap(va));
	hfs_iput(ip);
	vfs_unlink("/dax-huge");
}

KTEST(dax, pin_fast_and_slow_paths)
{
	struct pmem_page *pages[2];
	struct dax_stats before, after;
	struct hfs_inode *ip;
	struct dax_pin *pin;
	uint64_t pa;
	void *va;
	int err;

	if (!fs_test_ready(t) || !(ip = make_file(t, "/dax-pin", 2 * BLK, 1)))
		return;
	ASSERT_OK(t, dax_mmap(hfs_dax_file(ip), 0, 2 * BLK, true, "test", &va));
	(void)*(volatile uint8_t *)va;			/* fault page 0 in only */
	dax_get_stats(&before);
	pin = dax_pin_pages((uint64_t)va, 2, DAX_PIN_WRITE, pages, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	dax_get_stats(&after);
	EXPECT_EQ(t, after.pins_fast - before.pins_fast, 1);	/* page 0: mapped */
	EXPECT_EQ(t, after.pins_slow - before.pins_slow, 1);	/* page 1: faulted in */
	ASSERT_TRUE(t, pt_lookup(&kernel_pgtable, (uint64_t)va, &pa, NULL, NULL));
	EXPECT_EQ(t, pmem_phys_to_page(pa), pages[0]);
	EXPECT_EQ(t, pmem_page_pins(pages[0]), 1);
	dax_unpin(pin);
	EXPECT_EQ(t, pmem_page_pins(pages[0]), 0);
	EXPECT_OK(t, dax_munmap(va));
	hfs_iput(ip);
	vfs_unlink("/dax-pin");
}

struct truncator {
	struct hfs_inode *ip;
	uint64_t size;
	struct hfs_wait w;
	bool use_wait;
	volatile int done;
	int result;
	uint64_t end_ns;		/* time_ns() when the truncate returned */
};

static void truncate_thread(void *arg)
{
	struct truncator *tr = arg;

	tr->result = hfs_truncate(tr->ip, tr->size, tr->use_wait ? &tr->w : NULL);
	tr->end_ns = time_ns();
	__atomic_store_n(&tr->done, 1, __ATOMIC_RELEASE);
}

KTEST(dax, truncate_waits_until_unpinned)
{
	struct truncator tr = { 0 };
	struct hfs_inode *ip;
	struct dax_pin *pin;
	struct thread *th;
	struct hfs_stat st;
	uint64_t unpinned_at;
	int err;

	if (!fs_test_ready(t) || !(ip = make_file(t, "/dax-wait", 4 * BLK, 3)))
		return;
	pin = dax_pin_file(hfs_dax_file(ip), BLK, BLK, DAX_PIN_WRITE, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	tr.ip = ip;
	th = thread_create("truncator", truncate_thread, &tr);
	ASSERT_NOT_NULL(t, th);
	msleep(50);
	EXPECT_EQ(t, tr.done, 0);			/* still waiting for the pin */
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 4 * BLK);			/* and nothing changed yet */
	unpinned_at = time_ns();
	dax_unpin(pin);
	thread_join(th);
	EXPECT_EQ(t, tr.done, 1);
	EXPECT_OK(t, tr.result);
	/* it returned after the unpin (when it started depends on the host) */
	EXPECT_GE(t, tr.end_ns, unpinned_at);
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 0);
	hfs_iput(ip);
	vfs_unlink("/dax-wait");
}

KTEST(dax, pins_outside_the_range_do_not_block)
{
	struct hfs_inode *ip;
	struct dax_pin *pin;
	struct hfs_wait nowait = { HFS_WAIT_NONE, 0 };
	int err;

	if (!fs_test_ready(t) || !(ip = make_file(t, "/dax-outside", 8 * BLK, 5)))
		return;
	pin = dax_pin_file(hfs_dax_file(ip), 0, BLK, 0, "test", &err);	/* page 0 */
	ASSERT_NOT_NULL(t, pin);
	/* Cutting [4 blocks, end) does not touch page 0: no wait at all. */
	EXPECT_OK(t, hfs_truncate(ip, 4 * BLK, &nowait));
	EXPECT_OK(t, hfs_fallocate(ip, HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE, 2 * BLK, BLK, &nowait));
	/* ...but a punch over page 0 would. */
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE, 0, BLK, &nowait), -EBUSY);
	dax_unpin(pin);
	hfs_iput(ip);
	vfs_unlink("/dax-outside");
}

KTEST(dax, nowait_and_timeout_leave_the_file_unchanged)
{
	struct hfs_wait nowait = { HFS_WAIT_NONE, 0 };
	struct hfs_wait timeout = { HFS_WAIT_TIMEOUT, 30 * MS };
	struct hfs_inode *ip;
	struct dax_pin *pin;
	struct hfs_stat st;
	uint64_t t0;
	int err;

	if (!fs_test_ready(t) || !(ip = make_file(t, "/dax-busy", 4 * BLK, 9)))
		return;
	pin = dax_pin_file(hfs_dax_file(ip), 2 * BLK, BLK, DAX_PIN_WRITE, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	EXPECT_ERR(t, hfs_truncate(ip, 0, &nowait), -EBUSY);
	t0 = time_ns();
	EXPECT_ERR(t, hfs_truncate(ip, BLK, &timeout), -ETIMEDOUT);
	EXPECT_GE(t, time_ns() - t0, 30 * MS);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_COLLAPSE, BLK, BLK, &nowait), -EBUSY);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_ZERO_RANGE, 0, 4 * BLK, &nowait), -EBUSY);
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 4 * BLK);
	EXPECT_TRUE(t, file_has_pattern(ip, 4 * BLK, 9));	/* nothing half-done */
	dax_unpin(pin);
	EXPECT_OK(t, hfs_truncate(ip, 0, &nowait));
	hfs_iput(ip);
	vfs_unlink("/dax-busy");
}

/* Wait until a layout change has gone to sleep for a pin since @before
 * (dax_stats.layout_waits counts the sleeps), within a generous bound. */
static bool layout_wait_started(uint64_t before)
{
	uint64_t end = time_ns() + 10000 * MS;
	struct dax_stats st;

	do {
		msleep(2);
		dax_get_stats(&st);
	} while (st.layout_waits == before && time_ns() < end);
	return st.layout_waits != before;
}

static uint64_t stat_layout_waits(void)
{
	struct dax_stats st;

	dax_get_stats(&st);
	return st.layout_waits;
}

/*
 * A truncate waiting for a pin is interrupted (Ctrl-C on the shell does
 * this to the shell's thread): it returns -EINTR and the file is as it
 * was, size, blocks and bytes.  With HFS_WAIT_NOINTR it waits on.
 */
KTEST(dax, interrupted_layout_wait_leaves_the_file_unchanged)
{
	struct truncator tr = { 0 }, keep = { 0 };
	struct hfs_inode *ip;
	struct dax_pin *pin;
	struct thread *th;
	struct hfs_stat before, st;
	struct dax_stats ds0, ds;
	int err;

	if (!fs_test_ready(t) || !(ip = make_file(t, "/dax-intr", 4 * BLK, 11)))
		return;
	hfs_getattr(ip, &before);
	pin = dax_pin_file(hfs_dax_file(ip), 2 * BLK, BLK, DAX_PIN_WRITE, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	dax_get_stats(&ds0);
	tr.ip = ip;
	th = thread_create("truncator", truncate_thread, &tr);
	ASSERT_NOT_NULL(t, th);
	EXPECT_TRUE(t, layout_wait_started(ds0.layout_waits));
	EXPECT_EQ(t, tr.done, 0);
	thread_interrupt(th);
	thread_join(th);
	EXPECT_ERR(t, tr.result, -EINTR);
	dax_get_stats(&ds);
	EXPECT_EQ(t, ds.layout_interrupted, ds0.layout_interrupted + 1);
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, before.size);
	EXPECT_EQ(t, st.blocks, before.blocks);
	EXPECT_TRUE(t, file_has_pattern(ip, 4 * BLK, 11));
	EXPECT_EQ(t, pmem_page_pins(pmem_phys_to_page(dax_pin_phys(pin, 0))), 1);

	/* HFS_WAIT_NOINTR: the interrupt does not end the wait. */
	keep.ip = ip;
	keep.use_wait = true;
	keep.w.flags = HFS_WAIT_NOINTR;
	uint64_t waits = stat_layout_waits();
	th = thread_create("truncator", truncate_thread, &keep);
	ASSERT_NOT_NULL(t, th);
	EXPECT_TRUE(t, layout_wait_started(waits));
	thread_interrupt(th);
	msleep(50);
	EXPECT_EQ(t, keep.done, 0);			/* still waiting */
	dax_unpin(pin);
	thread_join(th);
	EXPECT_OK(t, keep.result);
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 0);
	hfs_iput(ip);
	vfs_unlink("/dax-intr");
}

/* An interrupt already pending when a layout change finds a pin: -EINTR at
 * once, from truncate, punch, collapse and unlink alike, nothing changed;
 * a range with no pin is changed all the same (the pins come first). */
KTEST(dax, pending_interrupt_fails_layout_changes_that_would_wait)
{
	struct hfs_inode *ip;
	struct dax_pin *pin;
	struct hfs_stat before, st;
	int err;

	if (!fs_test_ready(t) || !(ip = make_file(t, "/dax-intr2", 8 * BLK, 13)))
		return;
	pin = dax_pin_file(hfs_dax_file(ip), 2 * BLK, BLK, 0, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	hfs_getattr(ip, &before);
	thread_interrupt(current_thread());
	EXPECT_ERR(t, hfs_truncate(ip, BLK, NULL), -EINTR);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE,
				    0, 4 * BLK, NULL), -EINTR);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_COLLAPSE, BLK, BLK, NULL), -EINTR);
	EXPECT_ERR(t, vfs_unlink("/dax-intr2"), -EINTR);
	EXPECT_OK(t, hfs_truncate(ip, 6 * BLK, NULL));	/* pages 6, 7: not pinned */
	thread_interrupt_clear();
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 6 * BLK);
	EXPECT_LT(t, st.blocks, before.blocks);		/* the tail was freed */
	EXPECT_TRUE(t, file_has_pattern(ip, 6 * BLK, 13));
	EXPECT_OK(t, vfs_stat("/dax-intr2", &st));	/* still linked */
	dax_unpin(pin);
	hfs_iput(ip);
	EXPECT_OK(t, vfs_unlink("/dax-intr2"));
}

static void unlink_thread(void *arg)
{
	*(int *)arg = vfs_unlink("/dax-unlink");
}

/*
 * Unlink of a pinned file must not free its blocks while they are pinned.
 * It may return at once (the pin's inode reference keeps the file alive)
 * or wait for the pin; either way the free count must not grow until the
 * unpin.
 */
KTEST(dax, unlink_of_a_pinned_file_keeps_its_blocks)
{
	struct hfs_inode *ip;
	struct dax_pin *pin;
	struct thread *th;
	uint64_t before;
	int err, result = 1;

	if (!fs_test_ready(t) || !(ip = make_file(t, "/dax-unlink", 16 * BLK, 2)))
		return;
	pin = dax_pin_file(hfs_dax_file(ip), 0, 16 * BLK, DAX_PIN_WRITE, "test", &err);
	ASSERT_NOT_NULL(t, pin);
	hfs_iput(ip);					/* only the pin holds it now */
	before = free_blocks();
	th = thread_create("unlinker", unlink_thread, &result);
	ASSERT_NOT_NULL(t, th);
	msleep(50);
	EXPECT_EQ(t, free_blocks(), before);		/* still allocated */
	dax_unpin(pin);					/* idle: may be freed now */
	thread_join(th);
	EXPECT_OK(t, result);
	EXPECT_GE(t, free_blocks(), before + 16);
	struct hfs_stat st;
	EXPECT_ERR(t, vfs_stat("/dax-unlink", &st), -ENOENT);
}

/* Physical address of the block under file offset @off, or 0. */
static uint64_t block_phys(struct hfs_inode *ip, uint64_t off)
{
	struct hfs_mapping m;
	int err;

	hfs_down_read(hfs_layout_lock(ip));		/* as hfs_map() wants */
	err = hfs_map(ip, off, false, &m);
	hfs_up_read(hfs_layout_lock(ip));
	return err || m.hole ? 0 : m.phys;
}

/*
 * The second line of defence: a free block whose page is pinned (pinned
 * here by hand, as a layout path that forgot hfs_break_layout would leave
 * it) is never handed out.  A file's next block goes right after its
 * last one; with that block pinned it must go elsewhere, and the bytes
 * the "device" put there must stay.
 */
KTEST(dax, allocator_skips_a_pinned_free_block)
{
	static uint8_t buf[BLK];
	struct hfs_inode *ip;
	struct pmem_page *pg;
	uint64_t p0, p1;

	if (!fs_test_ready(t) || !(ip = make_file(t, "/dax-skip", 2 * BLK, 5)))
		return;
	p0 = block_phys(ip, 0);
	p1 = block_phys(ip, BLK);
	if (p0 == 0 || p1 != p0 + BLK) {
		hfs_iput(ip);
		vfs_unlink("/dax-skip");
		ktest_skip(t, "the block after the file's first was already in use, "
			   "so the case cannot pick the block the allocator wants next");
		return;
	}
	EXPECT_OK(t, hfs_truncate(ip, BLK, NULL));	/* frees p1 again */
	pg = pmem_phys_to_page(p1);
	ASSERT_NOT_NULL(t, pg);
	pmem_pin_page(pg);
	memset(phys_to_virt(p1), 0xd7, BLK);		/* the device's bytes */
	memset(buf, 0x3c, BLK);
	EXPECT_EQ(t, hfs_write(ip, BLK, buf, BLK), BLK);
	EXPECT_NE(t, block_phys(ip, BLK), 0);
	EXPECT_NE(t, block_phys(ip, BLK), p1);
	EXPECT_EQ(t, ((uint8_t *)phys_to_virt(p1))[BLK - 1], 0xd7);
	pmem_unpin_page(pg);
	hfs_iput(ip);
	vfs_unlink("/dax-skip");
}

/* ------------------------------------------------ the seed's corruption */

struct fake_dma {
	struct dax_pin *pin;
	uint64_t len, delay_ms;
	uint8_t value;
	bool wait_go;		/* write only once go is set, not after the delay */
	volatile int go;
	volatile int done;
};

/* A device writing into pinned pages by physical address after a delay
 * (or, with wait_go, when the test says: the unprotected seed scenario
 * needs the write to land after file B took the blocks, however slowly
 * the test's own CPU runs on a loaded host). */
static void fake_dma_thread(void *arg)
{
	struct fake_dma *d = arg;

	if (d->wait_go)
		wait_var_event(&d->go, READ_ONCE(d->go));
	else
		msleep(d->delay_ms);
	for (uint64_t i = 0; i < d->len; i += BLK) {
		uint8_t *dst = phys_to_virt(dax_pin_phys(d->pin, i));
		memset(dst, d->value, BLK);
		pmem_flush(dst, BLK);
	}
	pmem_drain();
	/* Done before the unpin: the unpin lets a waiting truncate run at
	 * once on the other CPU, and it reads done. */
	__atomic_store_n(&d->done, 1, __ATOMIC_RELEASE);
	dax_unpin(d->pin);
}

#define FILL_TRIES	64

/* Take (nearly) all free space, so that once A is truncated, file B can
 * only be allocated from A's freed blocks, as on a full device. */
static struct hfs_inode *fill_free_space(struct ktest *t)
{
	struct hfs_inode *f;

	if (hfs_open(vfs_root(), "/seed-filler", HFS_O_RDWR | HFS_O_CREAT | HFS_O_TRUNC, 0644, &f))
		return NULL;
	for (int i = 0; i < FILL_TRIES && free_blocks() > 0; i++) {
		struct hfs_stat st;
		uint64_t want = free_blocks();
		hfs_getattr(f, &st);
		/* metadata may need a block or two more than is left: shrink */
		while (want > 0 && hfs_fallocate(f, 0, st.size, want * BLK, NULL))
			want = want > 8 ? want - want / 8 : want - 1;
	}
	return f;
}

/* How many of B's blocks were A's. */
static unsigned overlap(struct hfs_inode *b, const uint64_t *a_phys, uint64_t blocks)
{
	unsigned n = 0;

	hfs_down_read(hfs_layout_lock(b));
	for (uint64_t i = 0; i < blocks; i++) {
		struct hfs_mapping hm;
		if (hfs_map(b, i * BLK, false, &hm) || hm.hole)
			continue;
		for (uint64_t j = 0; j < blocks; j++)
			n += hm.phys == a_phys[j];
	}
	hfs_up_read(hfs_layout_lock(b));
	return n;
}

/*
 * The seed's story: a DMA into file A is in flight, A is truncated, file B
 * is created on the freed blocks, the DMA lands.  Returns true when B was
 * corrupted; *reused says whether B really got A's blocks.
 */
static bool seed_scenario(struct ktest *t, bool unsafe, uint64_t blocks, unsigned *reused)
{
	struct fake_dma d = { .len = blocks * BLK, .delay_ms = 40, .value = 0xDD,
			      .wait_go = unsafe };
	static uint64_t a_phys[64];
	struct hfs_inode *a, *b, *filler;
	struct thread *dev;
	bool corrupted;
	int err;

	*reused = 0;
	if (blocks > ARRAY_SIZE(a_phys) || !(a = make_file(t, "/seed-a", blocks * BLK, 0x11)))
		return false;
	d.pin = dax_pin_file(hfs_dax_file(a), 0, blocks * BLK, DAX_PIN_WRITE, "fake-dma", &err);
	if (!d.pin) {
		ktest_fail_msg(t, "pin failed: %d", err);
		hfs_iput(a);
		return false;
	}
	for (uint64_t i = 0; i < blocks; i++)
		a_phys[i] = dax_pin_phys(d.pin, i * BLK);
	filler = fill_free_space(t);
	dev = thread_create("fake-dma", fake_dma_thread, &d);
	dax_unsafe_no_wait = unsafe;
	hfs_truncate(a, 0, NULL);			/* waits for the DMA unless unsafe */
	if (!unsafe && !d.done)
		ktest_fail_msg(t, "truncate returned while the DMA was in flight");
	b = make_file(t, "/seed-b", blocks * BLK, 0x77);
	if (b)
		*reused = overlap(b, a_phys, blocks);
	__atomic_store_n(&d.go, 1, __ATOMIC_RELEASE);	/* the device may write now */
	wake_up_var(&d.go);
	thread_join(dev);
	dax_unsafe_no_wait = false;
	corrupted = b && !file_has_pattern(b, blocks * BLK, 0x77);
	if (b)
		hfs_iput(b);
	if (filler)
		hfs_iput(filler);
	hfs_iput(a);
	vfs_unlink("/seed-a");
	vfs_unlink("/seed-b");
	vfs_unlink("/seed-filler");
	return corrupted;
}

KTEST(dax, seed_corruption_reproduced_when_unprotected)
{
	if (!fs_test_ready(t))
		return;
	unsigned reused;

	/* The test can fail: without the protection, B must be corrupted. */
	EXPECT_TRUE(t, seed_scenario(t, true, 8, &reused));
	EXPECT_GT(t, reused, 0);	/* B was built on A's blocks */
}

KTEST(dax, seed_corruption_prevented)
{
	if (!fs_test_ready(t))
		return;
	unsigned reused;

	for (uint64_t round = 0; round < 6; round++) {
		EXPECT_FALSE(t, seed_scenario(t, false, 1 + round * 3, &reused));
		ktest_log(t, "round %lu: B reused %u of A's blocks, intact", round, reused);
	}
}
