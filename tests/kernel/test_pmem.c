/*
 * test_pmem.c - the NVDIMM driver in QEMU: regions found and mapped, page
 * descriptor conversions, pins and the idle wait (woken by the last unpin,
 * timing out while pinned), persistence primitives, bounds-checked block
 * access.  Cases skip with a reason when the machine has no NVDIMM.
 */
#include <tests/ktest_kernel.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/mm.h>
#include <drivers/pmem.h>
#include <arch/x86_64/paging.h>
#include <lib/string.h>
#include <lib/errno.h>

#define MS		1000000ULL
#define SCRATCH_OFF	(1 << 20)	/* tests write here, 1 MiB into region 0 */

static struct pmem_region *region0(struct ktest *t)
{
	struct pmem_region *r = pmem_region(0);

	if (!r)
		ktest_skip(t, "no persistent memory on this machine");
	return r;
}

KTEST(pmem, regions_mapped_write_back)
{
	struct pmem_region *r = region0(t);
	uint64_t pa, size;
	unsigned prot;

	if (!r)
		return;
	EXPECT_GE(t, r->phys, 1ULL << 32);	/* QEMU puts pmem above 4 GiB */
	EXPECT_EQ(t, r->size % PAGE_SIZE, 0);
	EXPECT_EQ(t, r->npages, r->size / PAGE_SIZE);
	ASSERT_TRUE(t, pt_lookup(&kernel_pgtable, (uint64_t)r->virt + 12345, &pa, &size, &prot));
	EXPECT_EQ(t, pa, r->phys + 12345);
	EXPECT_GE(t, size, PAGE_SIZE_2M);	/* aligned ranges get large pages */
	EXPECT_EQ(t, prot & PROT_NOCACHE, 0);
	EXPECT_TRUE(t, phys_range_mapped(r->phys, r->size));
	for (unsigned i = 1; i < pmem_region_count(); i++) {
		struct pmem_region *o = pmem_region(i);
		EXPECT_TRUE(t, o->phys >= r->phys + r->size || o->phys + o->size <= r->phys);
	}
}

KTEST(pmem, page_descriptor_conversions)
{
	struct pmem_region *r = region0(t);

	if (!r)
		return;
	uint64_t pa = r->phys + 77 * PAGE_SIZE + 5;
	struct pmem_page *p = pmem_phys_to_page(pa);
	ASSERT_NOT_NULL(t, p);
	EXPECT_EQ(t, p, &r->pages[77]);
	EXPECT_EQ(t, pmem_page_to_phys(p), r->phys + 77 * PAGE_SIZE);
	EXPECT_EQ(t, pmem_page_region(p), r);
	EXPECT_NULL(t, pmem_phys_to_page(0x100000));		/* RAM */
	/* just past: nothing, or the first page of an adjacent region */
	struct pmem_page *next = pmem_phys_to_page(r->phys + r->size);
	if (next)
		EXPECT_EQ(t, pmem_page_to_phys(next), r->phys + r->size);
	EXPECT_NE(t, pmem_page_region(next), r);
	EXPECT_EQ(t, pmem_phys_to_page(r->phys + r->size - 1), &r->pages[r->npages - 1]);
	EXPECT_LE(t, sizeof(struct pmem_page), 16);
}

struct unpinner {
	struct pmem_page *page;
	uint64_t delay_ms;
	uint64_t unpinned_at;
};

static void unpin_later(void *arg)
{
	struct unpinner *u = arg;

	msleep(u->delay_ms);
	u->unpinned_at = time_ns();
	pmem_unpin_page(u->page);
}

KTEST(pmem, last_unpin_wakes_the_waiter)
{
	struct pmem_region *r = region0(t);

	if (!r)
		return;
	struct pmem_page *p = &r->pages[SCRATCH_OFF / PAGE_SIZE];
	struct unpinner u = { p, 20, 0 };

	EXPECT_EQ(t, pmem_pin_page(p), 1);
	EXPECT_EQ(t, pmem_pin_page(p), 2);
	pmem_unpin_page(p);
	EXPECT_EQ(t, pmem_page_pins(p), 1);
	struct thread *th = thread_create("unpinner", unpin_later, &u);
	ASSERT_NOT_NULL(t, th);
	EXPECT_OK(t, pmem_wait_page_idle(p, 2000 * MS));
	EXPECT_EQ(t, pmem_page_pins(p), 0);
	EXPECT_NE(t, u.unpinned_at, 0);		/* woke only after the unpin */
	thread_join(th);
}

KTEST(pmem, wait_idle_times_out_while_pinned)
{
	struct pmem_region *r = region0(t);

	if (!r)
		return;
	struct pmem_page *p = &r->pages[SCRATCH_OFF / PAGE_SIZE + 1];
	uint64_t t0 = time_ns();

	pmem_pin_page(p);
	EXPECT_ERR(t, pmem_wait_page_idle(p, 15 * MS), -ETIMEDOUT);
	EXPECT_GE(t, time_ns() - t0, 15 * MS);
	EXPECT_EQ(t, pmem_page_pins(p), 1);
	pmem_unpin_page(p);
	EXPECT_OK(t, pmem_wait_page_idle(p, 15 * MS));
}

KTEST(pmem, flush_instruction_matches_cpuid)
{
	enum pmem_flush_kind k = pmem_flush_kind();

	if (cpu_features.clwb)
		EXPECT_EQ(t, k, PMEM_FLUSH_CLWB);
	else if (cpu_features.clflushopt)
		EXPECT_EQ(t, k, PMEM_FLUSH_CLFLUSHOPT);
	else
		EXPECT_EQ(t, k, PMEM_FLUSH_CLFLUSH);
	ktest_log(t, "flush instruction: %s", pmem_flush_name());
}

KTEST(pmem, write_persist_read_back)
{
	struct pmem_region *r = region0(t);
	static uint8_t src[64 * 1024], back[sizeof(src)];

	if (!r)
		return;
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 31 + 7);
	uint64_t lines = pmem_lines_flushed;
	/* odd offset and length: head, non-temporal body and tail paths */
	ASSERT_OK(t, pmem_write(r, SCRATCH_OFF + 3, src, sizeof(src) - 5));
	ASSERT_OK(t, pmem_read(r, SCRATCH_OFF + 3, back, sizeof(src) - 5));
	EXPECT_MEMEQ(t, back, src, sizeof(src) - 5);
	EXPECT_GT(t, pmem_lines_flushed, lines);	/* head/tail lines were flushed */
	/* a short write goes through cached stores + flush */
	lines = pmem_lines_flushed;
	ASSERT_OK(t, pmem_write(r, SCRATCH_OFF + 100, "abc", 3));
	EXPECT_EQ(t, pmem_lines_flushed, lines + 1);
	EXPECT_MEMEQ(t, r->virt + SCRATCH_OFF + 100, "abc", 3);
}

KTEST(pmem, block_access_bounds)
{
	struct pmem_region *r = region0(t);
	void *k;
	uint64_t pa, nb;
	char c;

	if (!r)
		return;
	nb = r->size / PMEM_BLOCK_SIZE;
	ASSERT_OK(t, pmem_direct_access(r, 3, 2, &k, &pa));
	EXPECT_EQ(t, pa, r->phys + 3 * PMEM_BLOCK_SIZE);
	EXPECT_EQ(t, k, r->virt + 3 * PMEM_BLOCK_SIZE);
	EXPECT_OK(t, pmem_direct_access(r, nb - 1, 1, &k, &pa));
	EXPECT_ERR(t, pmem_direct_access(r, nb - 1, 2, &k, &pa), -ERANGE);
	EXPECT_ERR(t, pmem_direct_access(r, nb, 1, &k, &pa), -ERANGE);
	EXPECT_ERR(t, pmem_direct_access(r, 1, UINT64_MAX, &k, &pa), -ERANGE);
	EXPECT_ERR(t, pmem_read(r, r->size, &c, 1), -ERANGE);
	EXPECT_ERR(t, pmem_write(r, UINT64_MAX, &c, 2), -ERANGE);
	EXPECT_OK(t, pmem_read(r, r->size - 1, &c, 1));
}
