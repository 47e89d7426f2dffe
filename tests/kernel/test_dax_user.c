/*
 * test_dax_user.c - DAX mappings in processes and pin_user_pages, from
 * inside the kernel, where a test can look at a process's page table
 * (mm_pgtable) and at frame and pin counts directly: a layout change
 * clears the range from every address space that maps it; a pinned page
 * holds a truncate off (DAX_WAIT_NONE answers -EBUSY) until it is
 * unpinned; a pinned anonymous frame outlives munmap until its unpin; a
 * private copy survives a truncate; bad ranges are refused.  The address
 * spaces are made here (mm_create) and never run.  Frames are counted
 * before and after each case.  User-visible behaviour is /bin/mmaptests'.
 */
#include <tests/ktest_kernel.h>
#include <kernel/uvm.h>
#include <kernel/mm.h>
#include <fs/dax.h>
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <fs/holdfs_platform.h>
#include <drivers/pmem.h>
#include <arch/x86_64/paging.h>
#include <arch/x86_64/smp.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <lib/string.h>
#include <lib/errno.h>

#define BLK	4096
#define RW	(UVM_PROT_READ | UVM_PROT_WRITE)

static struct hfs_inode *file_of(struct ktest *t, const char *path, uint64_t len)
{
	static uint8_t buf[BLK];
	struct hfs_inode *ip;

	if (!fs_test_ready(t))
		return NULL;
	if (hfs_open(vfs_root(), path, HFS_O_RDWR | HFS_O_CREAT | HFS_O_TRUNC, 0644, &ip)) {
		ktest_fail_msg(t, "cannot create %s", path);
		return NULL;
	}
	for (uint64_t off = 0; off < len; off += BLK) {
		memset(buf, (int)('a' + off / BLK), BLK);
		hfs_write(ip, off, buf, BLK);
	}
	return ip;
}

static bool mapped(struct mm *mm, uint64_t va)
{
	return pt_lookup(mm_pgtable(mm), va, NULL, NULL, NULL);
}

KTEST(dax_user, layout_change_clears_every_process)
{
	size_t frames = uvm_frames();
	struct hfs_inode *ip = file_of(t, "/du-two", 4 * BLK);
	struct mm *a = mm_create(), *b = mm_create();
	uint64_t va = 0, vb = 0;

	ASSERT_TRUE(t, ip && a && b);
	ASSERT_OK(t, dax_mmap_user(a, hfs_dax_file(ip), 0, 4 * BLK, RW, UVM_MAP_SHARED, 0, &va));
	ASSERT_OK(t, dax_mmap_user(b, hfs_dax_file(ip), 0, 4 * BLK, UVM_PROT_READ,
				   UVM_MAP_SHARED, 0, &vb));
	for (int i = 0; i < 4; i++) {
		EXPECT_OK(t, mm_fault(a, va + i * BLK, true, false));
		EXPECT_OK(t, mm_fault(b, vb + i * BLK, false, false));
	}
	EXPECT_EQ(t, mm_fault(b, vb, true, false), -EFAULT);	/* read-only region */
	EXPECT_TRUE(t, mapped(a, va + 3 * BLK) && mapped(b, vb + 3 * BLK));
	EXPECT_OK(t, hfs_truncate(ip, BLK, NULL));
	for (int i = 1; i < 4; i++) {
		EXPECT_FALSE(t, mapped(a, va + i * BLK));
		EXPECT_FALSE(t, mapped(b, vb + i * BLK));
	}
	EXPECT_TRUE(t, mapped(a, va) && mapped(b, vb));		/* outside the range */
	EXPECT_EQ(t, mm_fault(a, va + 2 * BLK, false, false), -EIO);	/* SIGBUS */
	mm_destroy(a);
	mm_destroy(b);
	hfs_iput(ip);
	vfs_unlink("/du-two");
	EXPECT_EQ(t, uvm_frames(), frames);
}

KTEST(dax_user, pinned_page_holds_truncate_off)
{
	struct hfs_wait now = { .flags = HFS_WAIT_NONE };
	struct hfs_inode *ip = file_of(t, "/du-pin", 4 * BLK);
	struct mm *mm = mm_create();
	struct dax_stats s0, s1;
	uint64_t va = 0, pa[2];

	ASSERT_TRUE(t, ip && mm);
	ASSERT_OK(t, dax_mmap_user(mm, hfs_dax_file(ip), 0, 4 * BLK, RW, UVM_MAP_SHARED, 0, &va));
	dax_get_stats(&s0);
	ASSERT_OK(t, pin_user_pages(mm, va + BLK, 2, DAX_PIN_WRITE, pa));	/* not faulted: slow */
	dax_get_stats(&s1);
	EXPECT_GE(t, s1.pins_slow, s0.pins_slow + 1);
	EXPECT_TRUE(t, pmem_phys_to_page(pa[0]) && pmem_page_pins(pmem_phys_to_page(pa[0])) == 1);
	EXPECT_EQ(t, hfs_truncate(ip, 0, &now), -EBUSY);
	EXPECT_FALSE(t, mapped(mm, va + BLK));		/* unmapped before the pin search */
	uint64_t size = 0;
	EXPECT_OK(t, hfs_dax_file(ip).ops->size(hfs_dax_file(ip).priv, &size));
	EXPECT_EQ(t, size, 4 * BLK);			/* the file as it was */
	unpin_user_page(pa[0]);
	unpin_user_page(pa[1]);
	EXPECT_OK(t, hfs_truncate(ip, 0, &now));
	EXPECT_EQ(t, pin_user_pages(mm, va, 1, 0, pa), -EFAULT);	/* past the end now */
	mm_destroy(mm);
	hfs_iput(ip);
	vfs_unlink("/du-pin");
}

KTEST(dax_user, pinned_anonymous_frame_outlives_munmap)
{
	size_t frames = uvm_frames(), pinned = uvm_pinned_frames();
	struct mm *mm = mm_create();
	uint64_t va = 0, pa[2];

	ASSERT_TRUE(t, mm != NULL);
	ASSERT_OK(t, mm_map(mm, 0, 2 * BLK, RW, UVM_MAP_PRIVATE, &va));
	ASSERT_OK(t, pin_user_pages(mm, va, 2, DAX_PIN_WRITE, pa));	/* faults them in */
	EXPECT_EQ(t, uvm_frames(), frames + 2);
	EXPECT_EQ(t, uvm_pinned_frames(), pinned + 2);
	EXPECT_OK(t, mm_unmap(mm, va, 2 * BLK));
	EXPECT_EQ(t, uvm_frames(), frames + 2);		/* not freed under the "DMA" */
	memset(phys_to_virt(pa[0]), 0x5a, BLK);		/* the device may still write */
	unpin_user_page(pa[0]);
	EXPECT_EQ(t, uvm_frames(), frames + 1);		/* the last unpin frees it */
	unpin_user_page(pa[1]);
	EXPECT_EQ(t, uvm_frames(), frames);
	EXPECT_EQ(t, uvm_pinned_frames(), pinned);
	mm_destroy(mm);
}

KTEST(dax_user, private_copy_survives_truncate)
{
	size_t frames = uvm_frames();
	struct hfs_inode *ip = file_of(t, "/du-priv", 2 * BLK);
	struct mm *mm = mm_create();
	uint64_t va = 0, pa = 0;

	ASSERT_TRUE(t, ip && mm);
	ASSERT_OK(t, dax_mmap_user(mm, hfs_dax_file(ip), 0, 2 * BLK, RW, UVM_MAP_PRIVATE, 0, &va));
	EXPECT_OK(t, mm_fault(mm, va + BLK, false, false));	/* the file's page, read-only */
	EXPECT_TRUE(t, pt_lookup(mm_pgtable(mm), va + BLK, &pa, NULL, NULL) &&
		       pmem_phys_to_page(pa) != NULL);
	EXPECT_OK(t, mm_fault(mm, va, true, false));		/* a copy in DRAM */
	EXPECT_TRUE(t, pt_lookup(mm_pgtable(mm), va, &pa, NULL, NULL) && !pmem_phys_to_page(pa));
	EXPECT_EQ(t, *(char *)phys_to_virt(pa), 'a');
	EXPECT_EQ(t, uvm_frames(), frames + 1);
	EXPECT_OK(t, hfs_truncate(ip, 0, NULL));
	EXPECT_TRUE(t, mapped(mm, va));				/* the copy stays */
	EXPECT_FALSE(t, mapped(mm, va + BLK));			/* the file's page goes */
	mm_destroy(mm);
	EXPECT_EQ(t, uvm_frames(), frames);
	hfs_iput(ip);
	vfs_unlink("/du-priv");
}

KTEST(dax_user, bad_pins_are_refused)
{
	struct hfs_inode *ip = file_of(t, "/du-bad", 2 * BLK);
	struct mm *mm = mm_create();
	uint64_t va = 0, pa[4];

	ASSERT_TRUE(t, ip && mm);
	ASSERT_OK(t, dax_mmap_user(mm, hfs_dax_file(ip), 0, 4 * BLK, UVM_PROT_READ,
				   UVM_MAP_SHARED, 0, &va));
	EXPECT_EQ(t, pin_user_pages(mm, va + 1, 1, 0, pa), -EINVAL);
	EXPECT_EQ(t, pin_user_pages(mm, va, 0, 0, pa), -EINVAL);
	EXPECT_EQ(t, pin_user_pages(mm, va, 1, DAX_PIN_WRITE, pa), -EFAULT);	/* read-only */
	EXPECT_EQ(t, pin_user_pages(mm, va, 4, 0, pa), -EFAULT);	/* pages 2, 3: past EOF */
	EXPECT_TRUE(t, pmem_phys_to_page(pa[0]) && !pmem_page_pins(pmem_phys_to_page(pa[0])));
	EXPECT_EQ(t, pin_user_pages(mm, 0x10000, 1, 0, pa), -EFAULT);	/* no region */
	EXPECT_EQ(t, dax_mmap_user(mm, hfs_dax_file(ip), 0, BLK, RW, UVM_MAP_SHARED, 100, &va),
		  -EINVAL);
	mm_destroy(mm);
	hfs_iput(ip);
	vfs_unlink("/du-bad");
}

/*
 * The race itself: one thread pins page 0 of a process's mapping (fast path
 * when the entry is there, slow path when a truncate took it) while this one
 * truncates the file to 0 and back, 200 times, on another CPU when there is
 * one.  Whenever the pinner holds a pin, the page must still be block 0 of
 * the file: a truncate that would free it waits for the pin.
 */
struct race {
	struct mm *mm;
	uint64_t va;
	struct dax_file f;
	bool stop;			/* atomic */
	unsigned pins, bad;
	struct completion done;
};

static void pinner(void *arg)
{
	struct race *r = arg;
	struct rwsem *layout = r->f.ops->layout_lock(r->f.priv);

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		struct dax_extent e;
		uint64_t pa;

		if (pin_user_pages(r->mm, r->va, 1, DAX_PIN_WRITE, &pa)) {
			yield();
			continue;		/* past the end just now: -EFAULT */
		}
		down_read(layout);
		if (r->f.ops->map(r->f.priv, 0, false, &e) || e.hole ||
		    ALIGN_DOWN(e.phys, BLK) != pa)
			r->bad++;		/* a pinned page left the file */
		up_read(layout);
		r->pins++;
		unpin_user_page(pa);
	}
	complete(&r->done);
}

KTEST(dax_user, pin_races_truncate)
{
	struct hfs_inode *ip = file_of(t, "/du-race", BLK);
	struct race r = { 0 };
	struct thread *th;

	ASSERT_TRUE(t, ip != NULL);
	r.mm = mm_create();
	r.f = hfs_dax_file(ip);
	ASSERT_TRUE(t, r.mm != NULL);
	ASSERT_OK(t, dax_mmap_user(r.mm, r.f, 0, BLK, RW, UVM_MAP_SHARED, 0, &r.va));
	completion_init(&r.done);
	th = smp_online_count() > 1 ? thread_create_on(1, "pinner", pinner, &r)
				    : thread_create("pinner", pinner, &r);
	ASSERT_TRUE(t, th != NULL);
	for (int i = 0; i < 200; i++) {
		EXPECT_OK(t, hfs_truncate(ip, 0, NULL));
		EXPECT_OK(t, hfs_truncate(ip, BLK, NULL));	/* a hole: the pin allocates */
		thread_sleep_ns(200000);
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
	wait_for_completion(&r.done);
	thread_join(th);
	EXPECT_GT(t, r.pins, 0u);
	EXPECT_EQ(t, r.bad, 0u);
	mm_destroy(r.mm);
	hfs_iput(ip);
	vfs_unlink("/du-race");
}
