/*
 * test_mm.c - in-kernel tests of the frame allocator, the page-table API
 * (map, unmap, protect, large pages and splitting, with deliberate faults
 * caught by probe_read/probe_write), guard pages, W^X of the kernel image,
 * and kmalloc (sizes, stress, double free and red-zone detection).
 */
#include <tests/ktest_kernel.h>
#include <kernel/mm.h>
#include <kernel/kmalloc.h>
#include <kernel/vmap.h>
#include <kernel/sched.h>
#include <arch/x86_64/paging.h>
#include <arch/x86_64/boot.h>
#include <arch/x86_64/irq.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <lib/string.h>
#include <lib/errno.h>

/* A virtual window nobody else uses: the last GiB of the vmap area. */
#define TEST_VA		(VMAP_BASE + VMAP_SIZE - PAGE_1G)

static uint64_t rng_state = 0x243F6A8885A308D3ULL;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

KTEST(pmm, alloc_free_counts)
{
	size_t before = pmm_free_count();
	uint64_t a = pmm_alloc_page(), b = pmm_alloc_page();

	ASSERT_NE(t, a, 0);
	ASSERT_NE(t, b, 0);
	EXPECT_NE(t, a, b);
	EXPECT_TRUE(t, IS_ALIGNED(a, PAGE_SIZE));
	EXPECT_EQ(t, pmm_free_count(), before - 2);
	pmm_free_page(a);
	pmm_free_page(b);
	EXPECT_EQ(t, pmm_free_count(), before);
}

KTEST(pmm, contiguous_run)
{
	uint64_t pa = pmm_alloc_pages(64);

	ASSERT_NE(t, pa, 0);
	/* every frame of the run is ours: write a pattern through the direct map */
	for (int i = 0; i < 64; i++)
		*(volatile uint64_t *)phys_to_virt(pa + i * PAGE_SIZE) = pa + i;
	for (int i = 0; i < 64; i++)
		EXPECT_EQ(t, *(volatile uint64_t *)phys_to_virt(pa + i * PAGE_SIZE), pa + i);
	pmm_free_pages(pa, 64);
}

KTEST(pmm, stress_random)
{
	enum { SLOTS = 256, ROUNDS = 4000 };
	static uint64_t held[SLOTS];
	size_t before = pmm_free_count();

	memset(held, 0, sizeof(held));
	for (int r = 0; r < ROUNDS; r++) {
		unsigned i = rng() % SLOTS;
		if (held[i]) {
			/* the frame still holds its own address: nobody else got it */
			EXPECT_EQ(t, *(uint64_t *)phys_to_virt(held[i]), held[i]);
			pmm_free_page(held[i]);
			held[i] = 0;
		} else {
			held[i] = pmm_alloc_page();
			ASSERT_NE(t, held[i], 0);
			*(uint64_t *)phys_to_virt(held[i]) = held[i];
		}
	}
	for (int i = 0; i < SLOTS; i++)
		if (held[i])
			pmm_free_page(held[i]);
	EXPECT_EQ(t, pmm_free_count(), before);
}

KTEST(paging, map_write_read_unmap)
{
	uint64_t pa = pmm_alloc_page(), got, size;
	struct probe_fault f = { 0 };
	volatile uint64_t *p = (volatile uint64_t *)TEST_VA;
	unsigned prot;

	ASSERT_NE(t, pa, 0);
	ASSERT_OK(t, pt_map(&kernel_pgtable, TEST_VA, pa, PAGE_SIZE, PROT_WRITE));
	ASSERT_TRUE(t, pt_lookup(&kernel_pgtable, TEST_VA + 8, &got, &size, &prot));
	EXPECT_EQ(t, got, pa + 8);
	EXPECT_EQ(t, size, PAGE_SIZE_4K);
	EXPECT_TRUE(t, prot & PROT_WRITE);
	*p = 0x1234abcd;
	/* the same frame seen through the direct map */
	EXPECT_EQ(t, *(volatile uint64_t *)phys_to_virt(pa), 0x1234abcd);
	EXPECT_ERR(t, pt_map(&kernel_pgtable, TEST_VA, pa, PAGE_SIZE, PROT_WRITE), -EEXIST);

	ASSERT_OK(t, pt_unmap(&kernel_pgtable, TEST_VA, PAGE_SIZE));
	EXPECT_FALSE(t, pt_lookup(&kernel_pgtable, TEST_VA, NULL, NULL, NULL));
	EXPECT_EQ(t, probe_read(p, &f), EXC_PF);
	EXPECT_EQ(t, f.addr, TEST_VA);
	EXPECT_EQ(t, f.error & PF_PRESENT, 0);
	pmm_free_page(pa);
}

KTEST(paging, protect_read_only_faults_on_write)
{
	uint64_t pa = pmm_alloc_page();
	struct probe_fault f = { 0 };
	volatile uint8_t *p = (volatile uint8_t *)(TEST_VA + PAGE_SIZE);

	ASSERT_NE(t, pa, 0);
	ASSERT_OK(t, pt_map(&kernel_pgtable, (uint64_t)p, pa, PAGE_SIZE, PROT_WRITE));
	EXPECT_EQ(t, probe_write(p + 100, NULL), -1);
	ASSERT_OK(t, pt_protect(&kernel_pgtable, (uint64_t)p, PAGE_SIZE, PROT_READ));
	EXPECT_EQ(t, probe_read(p + 100, NULL), -1);
	EXPECT_EQ(t, probe_write(p + 100, &f), EXC_PF);
	EXPECT_EQ(t, f.addr, (uint64_t)p + 100);
	EXPECT_EQ(t, f.error & (PF_PRESENT | PF_WRITE), PF_PRESENT | PF_WRITE);
	ASSERT_OK(t, pt_protect(&kernel_pgtable, (uint64_t)p, PAGE_SIZE, PROT_WRITE));
	EXPECT_EQ(t, probe_write(p + 100, NULL), -1);
	pt_unmap(&kernel_pgtable, (uint64_t)p, PAGE_SIZE);
	pmm_free_page(pa);
}

KTEST(paging, large_page_split_on_partial_unmap)
{
	uint64_t pa = pmm_alloc_pages(2 * PAGE_2M / PAGE_SIZE), got, size;
	uint64_t va = TEST_VA + PAGE_2M * 4, base;

	ASSERT_NE(t, pa, 0);
	base = ALIGN_UP(pa, PAGE_2M);	/* a 2 MiB-aligned frame run inside */
	ASSERT_OK(t, pt_map(&kernel_pgtable, va, base, PAGE_2M, PROT_WRITE));
	ASSERT_TRUE(t, pt_lookup(&kernel_pgtable, va + 0x12345, &got, &size, NULL));
	EXPECT_EQ(t, size, PAGE_SIZE_2M);
	EXPECT_EQ(t, got, base + 0x12345);
	/* unmap one 4 KiB page in the middle: the 2 MiB page is split */
	ASSERT_OK(t, pt_unmap(&kernel_pgtable, va + 5 * PAGE_SIZE, PAGE_SIZE));
	EXPECT_EQ(t, probe_read((void *)(va + 5 * PAGE_SIZE), NULL), EXC_PF);
	ASSERT_TRUE(t, pt_lookup(&kernel_pgtable, va + 6 * PAGE_SIZE + 7, &got, &size, NULL));
	EXPECT_EQ(t, size, PAGE_SIZE_4K);
	EXPECT_EQ(t, got, base + 6 * PAGE_SIZE + 7);
	ASSERT_TRUE(t, pt_lookup(&kernel_pgtable, va + 4 * PAGE_SIZE, &got, NULL, NULL));
	EXPECT_EQ(t, got, base + 4 * PAGE_SIZE);
	EXPECT_OK(t, pt_unmap(&kernel_pgtable, va, PAGE_2M));
	EXPECT_FALSE(t, pt_lookup(&kernel_pgtable, va + PAGE_2M - 1, NULL, NULL, NULL));
	pmm_free_pages(pa, 2 * PAGE_2M / PAGE_SIZE);
}

KTEST(paging, map_range_uses_large_pages)
{
	uint64_t pa = pmm_alloc_pages(2 * PAGE_2M / PAGE_SIZE), base, size, got;
	uint64_t va = TEST_VA + 64 * PAGE_2M;

	ASSERT_NE(t, pa, 0);
	base = ALIGN_UP(pa, PAGE_2M);
	/* 4 KiB + 2 MiB: one small page, then (aligned) one large page */
	ASSERT_OK(t, pt_map_range(&kernel_pgtable, va - PAGE_SIZE, base - PAGE_SIZE,
				  PAGE_2M + PAGE_SIZE, PROT_WRITE));
	ASSERT_TRUE(t, pt_lookup(&kernel_pgtable, va - PAGE_SIZE, &got, &size, NULL));
	EXPECT_EQ(t, size, PAGE_SIZE_4K);
	ASSERT_TRUE(t, pt_lookup(&kernel_pgtable, va + 100, &got, &size, NULL));
	EXPECT_EQ(t, size, PAGE_SIZE_2M);
	EXPECT_EQ(t, got, base + 100);
	EXPECT_OK(t, pt_unmap(&kernel_pgtable, va - PAGE_SIZE, PAGE_2M + PAGE_SIZE));
	EXPECT_ERR(t, pt_map(&kernel_pgtable, va + 1, base, PAGE_SIZE, 0), -EINVAL);
	EXPECT_ERR(t, pt_map(&kernel_pgtable, va, base, 12345, 0), -EINVAL);
	pmm_free_pages(pa, 2 * PAGE_2M / PAGE_SIZE);
}

static void ret_only(void) { }

KTEST(paging, no_execute_on_data)
{
	uint64_t pa, va = TEST_VA + 3 * PAGE_SIZE;
	struct probe_fault f = { 0 };

	if (!cpu_features.nx) {
		ktest_skip(t, "this CPU has no NX bit");
		return;
	}
	pa = pmm_alloc_page();
	ASSERT_NE(t, pa, 0);
	ASSERT_OK(t, pt_map(&kernel_pgtable, va, pa, PAGE_SIZE, PROT_WRITE));
	memcpy((void *)va, (const void *)ret_only, 16);
	EXPECT_EQ(t, probe_exec(va, &f), EXC_PF);
	EXPECT_EQ(t, f.addr, va);
	EXPECT_TRUE(t, f.error & PF_INSTR);
	/* the same bytes run once the page is executable */
	ASSERT_OK(t, pt_protect(&kernel_pgtable, va, PAGE_SIZE, PROT_EXEC));
	EXPECT_EQ(t, probe_exec(va, NULL), -1);
	pt_unmap(&kernel_pgtable, va, PAGE_SIZE);
	pmm_free_page(pa);
}

extern char __text_start[], __rodata_start[];	/* linker.ld */

KTEST(paging, kernel_image_protection)
{
	EXPECT_EQ(t, probe_read(__text_start, NULL), -1);
	EXPECT_EQ(t, probe_write(__text_start, NULL), EXC_PF);	/* text is RX */
	EXPECT_EQ(t, probe_write(__rodata_start, NULL), EXC_PF);	/* rodata is R */
	EXPECT_EQ(t, probe_read(boot_stack_guard, NULL), EXC_PF);	/* guard page */
	EXPECT_EQ(t, probe_read(NULL, NULL), EXC_PF);			/* null */
}

static void noop(void *arg) { }

KTEST(paging, thread_stack_guard_page)
{
	struct thread *th = thread_create("guard", noop, NULL);
	struct probe_fault f = { 0 };

	ASSERT_NOT_NULL(t, th);
	EXPECT_EQ(t, probe_read((void *)vmap_stack_guard(th->stack_base), &f), EXC_PF);
	EXPECT_EQ(t, f.addr, vmap_stack_guard(th->stack_base));
	EXPECT_EQ(t, probe_read(th->stack_base, NULL), -1);
	thread_join(th);
}

KTEST(kmalloc, sizes_and_alignment)
{
	static const size_t sizes[] = { 1, 7, 16, 24, 100, 1000, 2000, 4000, 4096, 10000, 100000 };
	void *p[ARRAY_SIZE(sizes)];

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = kmalloc(sizes[i]);
		ASSERT_NOT_NULL(t, p[i]);
		EXPECT_EQ(t, (uint64_t)p[i] % 16, 0);
		EXPECT_EQ(t, ksize(p[i]), sizes[i]);
		memset(p[i], (int)i, sizes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		const uint8_t *b = p[i];
		EXPECT_EQ(t, b[0], i);
		EXPECT_EQ(t, b[sizes[i] - 1], i);
		EXPECT_OK(t, kfree_checked(p[i]));
	}
	EXPECT_NULL(t, kmalloc(0));
	uint8_t *z = kzalloc(300);
	ASSERT_NOT_NULL(t, z);
	for (int i = 0; i < 300; i++)
		if (z[i]) {
			EXPECT_EQ(t, z[i], 0);
			break;
		}
	kfree(z);
}

KTEST(kmalloc, stress_patterns)
{
	enum { SLOTS = 128, ROUNDS = 5000 };
	static uint8_t *obj[SLOTS];
	static size_t len[SLOTS];

	memset(obj, 0, sizeof(obj));
	for (int r = 0; r < ROUNDS; r++) {
		unsigned i = rng() % SLOTS;
		if (obj[i]) {
			for (size_t k = 0; k < len[i]; k += 61)
				if (obj[i][k] != (uint8_t)(i + k)) {
					EXPECT_EQ(t, obj[i][k], (uint8_t)(i + k));
					break;
				}
			ASSERT_OK(t, kfree_checked(obj[i]));
			obj[i] = NULL;
		} else {
			len[i] = 1 + rng() % 3000;
			obj[i] = kmalloc(len[i]);
			ASSERT_NOT_NULL(t, obj[i]);
			for (size_t k = 0; k < len[i]; k++)
				obj[i][k] = (uint8_t)(i + k);
		}
	}
	for (int i = 0; i < SLOTS; i++)
		kfree(obj[i]);
}

KTEST(kmalloc, double_free_detected)
{
	void *p = kmalloc(40);

	ASSERT_NOT_NULL(t, p);
	EXPECT_OK(t, kfree_checked(p));
	EXPECT_ERR(t, kfree_checked(p), -EALREADY);
}

KTEST(kmalloc, overflow_hits_red_zone)
{
	char *p = kmalloc(40);

	ASSERT_NOT_NULL(t, p);
	char saved = p[40];
	p[40] = 'X';			/* one byte past the end */
	EXPECT_ERR(t, kfree_checked(p), -EOVERFLOW);
	p[40] = saved;			/* repair, then free for real */
	EXPECT_OK(t, kfree_checked(p));
	EXPECT_ERR(t, kfree_checked((char *)p + 16), -EFAULT);
}
