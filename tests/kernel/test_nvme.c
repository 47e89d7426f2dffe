/*
 * test_nvme.c - the NVMe driver's bring-up on fake registers (ordinary
 * memory standing in for BAR0), for the states QEMU's nvme cannot be put
 * in: a controller that never becomes ready, one that reads as gone, one
 * with fatal status, and CAP fields the driver must refuse.  The real
 * device is exercised by the nvme-* boots (tests/boots.py).
 */
#include <tests/ktest_kernel.h>
#include <drivers/nvme.h>
#include <kernel/mm.h>
#include <kernel/timer.h>
#include <lib/errno.h>
#include <lib/string.h>

#define REGS_PAGES	2		/* registers + doorbells for 9 queues */
#define REG_CAP		0x00		/* [NVMe 3.1.1] */
#define REG_CSTS	0x1C		/* [NVMe 3.1.6] */
#define CAP_MQES_63	63ull
#define CAP_TO_500MS	(1ull << 24)
#define CAP_CSS_NVM	(1ull << 37)
#define CAP_MPSMIN_8K	(1ull << 48)
#define CSTS_CFS	0x2u
#define MS		1000000ull

static uint8_t *fake_regs(uint64_t cap, uint32_t csts)
{
	uint64_t pa = pmm_alloc_pages(REGS_PAGES);
	uint8_t *r;

	if (!pa)
		return NULL;
	r = phys_to_virt(pa);
	memset(r, 0, REGS_PAGES * PAGE_SIZE);
	memcpy(r + REG_CAP, &cap, sizeof(cap));
	memcpy(r + REG_CSTS, &csts, sizeof(csts));
	return r;
}

static void free_regs(uint8_t *r)
{
	pmm_free_pages(virt_to_phys(r), REGS_PAGES);
}

KTEST(nvme, never_ready_times_out_after_cap_to)
{
	uint8_t *r = fake_regs(CAP_MQES_63 | CAP_TO_500MS | CAP_CSS_NVM, 0);
	uint64_t t0;

	ASSERT_NOT_NULL(t, r);
	t0 = time_ns();
	EXPECT_ERR(t, nvme_test_bring_up(r, REGS_PAGES * PAGE_SIZE), -ETIMEDOUT);
	EXPECT_GE(t, time_ns() - t0, 500 * MS);		/* CAP.TO = 1: 500 ms */
	free_regs(r);
}

KTEST(nvme, all_ones_status_is_a_gone_device)
{
	uint8_t *r = fake_regs(CAP_MQES_63 | CAP_TO_500MS | CAP_CSS_NVM, 0xFFFFFFFFu);

	ASSERT_NOT_NULL(t, r);
	EXPECT_ERR(t, nvme_test_bring_up(r, REGS_PAGES * PAGE_SIZE), -ENODEV);
	free_regs(r);
}

KTEST(nvme, fatal_status_while_enabling_fails)
{
	uint8_t *r = fake_regs(CAP_MQES_63 | CAP_TO_500MS | CAP_CSS_NVM, CSTS_CFS);

	ASSERT_NOT_NULL(t, r);
	EXPECT_ERR(t, nvme_test_bring_up(r, REGS_PAGES * PAGE_SIZE), -EIO);
	free_regs(r);
}

KTEST(nvme, bad_capabilities_refused)
{
	uint8_t *r;

	r = fake_regs(~0ull, 0);			/* no device behind BAR0 */
	ASSERT_NOT_NULL(t, r);
	EXPECT_ERR(t, nvme_test_bring_up(r, REGS_PAGES * PAGE_SIZE), -ENODEV);
	free_regs(r);
	r = fake_regs(CAP_MQES_63 | CAP_TO_500MS, 0);	/* no NVM command set */
	ASSERT_NOT_NULL(t, r);
	EXPECT_ERR(t, nvme_test_bring_up(r, REGS_PAGES * PAGE_SIZE), -ENODEV);
	free_regs(r);
	r = fake_regs(CAP_MQES_63 | CAP_TO_500MS | CAP_CSS_NVM | CAP_MPSMIN_8K, 0);
	ASSERT_NOT_NULL(t, r);					/* no 4 KiB pages */
	EXPECT_ERR(t, nvme_test_bring_up(r, REGS_PAGES * PAGE_SIZE), -ENODEV);
	free_regs(r);
	r = fake_regs(CAP_MQES_63 | CAP_TO_500MS | CAP_CSS_NVM, 0);	/* BAR too small */
	ASSERT_NOT_NULL(t, r);
	EXPECT_ERR(t, nvme_test_bring_up(r, 0x1000), -ENODEV);
	free_regs(r);
}
