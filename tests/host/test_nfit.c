/*
 * test_nfit.c - host tests of the NFIT parser and region checks with
 * crafted tables: QEMU's layout (one and two NVDIMMs), flush hints, and the
 * bad cases the driver must refuse with a message (zero size, RAM overlap,
 * overlapping ranges, memdev past its range or naming a missing range,
 * truncated and zero-length structures, unknown types, non-pmem GUIDs).
 */
#include <lib/ktest.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <drivers/nfit.h>
#include "kprintf_host.h"

static uint8_t tbl[1024];
static size_t tlen;
static struct nfit_info info;
static struct nfit_region reg[8];

static const uint8_t pmem_guid[16] = {
	0x79, 0xd3, 0xf0, 0x66, 0xf3, 0xb4, 0x74, 0x40,
	0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb,
};
static const struct phys_range ram[] = { { 0, 0x9fc00 }, { 0x100000, 0x1fee0000 } };

static void w16(size_t o, uint16_t v) { memcpy(tbl + o, &v, 2); }
static void w32(size_t o, uint32_t v) { memcpy(tbl + o, &v, 4); }
static void w64(size_t o, uint64_t v) { memcpy(tbl + o, &v, 8); }

static void begin(void)
{
	memset(tbl, 0, sizeof(tbl));
	memcpy(tbl, "NFIT", 4);
	tlen = 40;
	host_log_clear();
}

static size_t add(uint16_t type, uint16_t len)
{
	size_t at = tlen;

	w16(at, type);
	w16(at + 2, len);
	tlen += len;
	w32(4, (uint32_t)tlen);
	return at;
}

static void spa(uint16_t index, uint64_t base, uint64_t len, bool pmem)
{
	size_t s = add(0, 56);

	w16(s + 4, index);
	if (pmem)
		memcpy(tbl + s + 16, pmem_guid, 16);
	else
		memset(tbl + s + 16, 0x11, 16);
	w64(s + 32, base);
	w64(s + 40, len);
	w64(s + 48, 0x8008);
}

static void memdev(uint32_t handle, uint16_t spa_index, uint64_t size, uint64_t off, uint16_t flags)
{
	size_t s = add(1, 48);

	w32(s + 4, handle);
	w16(s + 12, spa_index);
	w16(s + 14, 1);
	w64(s + 16, size);
	w64(s + 24, off);
	w16(s + 42, 1);
	w16(s + 44, flags);
}

static unsigned regions(void)
{
	return nfit_regions(&info, ram, 2, reg, 8);
}

KTEST(nfit, qemu_two_dimms)
{
	begin();
	spa(2, 0x100000000ULL, 128 << 20, true);
	memdev(1, 2, 128 << 20, 0, 0);
	add(4, 80);
	spa(3, 0x108000000ULL, 4ULL << 30, true);
	memdev(2, 3, 4ULL << 30, 0, 0);
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_EQ(t, info.nspa, 2);
	EXPECT_EQ(t, info.nmemdev, 2);
	EXPECT_EQ(t, info.nctrl, 1);
	EXPECT_TRUE(t, info.spa[0].is_pmem);
	ASSERT_EQ(t, regions(), 2);
	EXPECT_EQ(t, reg[0].base, 0x100000000ULL);
	EXPECT_EQ(t, reg[0].size, 128 << 20);
	EXPECT_EQ(t, reg[0].handle, 1);
	EXPECT_EQ(t, reg[1].handle, 2);
	EXPECT_EQ(t, reg[1].size, 4ULL << 30);
	EXPECT_EQ(t, host_log[0], 0);		/* nothing to complain about */
}

KTEST(nfit, flush_hints_and_not_armed)
{
	begin();
	spa(1, 0x100000000ULL, 1 << 30, true);
	memdev(7, 1, 1 << 30, 0, NFIT_MEM_NOT_ARMED);
	size_t f = add(6, 16 + 2 * 8);
	w32(f + 4, 7);
	w16(f + 8, 2);
	w64(f + 16, 0xfed00000);
	w64(f + 24, 0xfed00040);
	size_t c = add(7, 16);
	w32(c + 8, NFIT_CAP_CPU_FLUSH);
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_TRUE(t, info.has_caps);
	EXPECT_EQ(t, info.caps, NFIT_CAP_CPU_FLUSH);
	ASSERT_EQ(t, regions(), 1);
	EXPECT_EQ(t, reg[0].nhints, 2);
	EXPECT_EQ(t, reg[0].hint[1], 0xfed00040);
	EXPECT_TRUE(t, reg[0].memdev_flags & NFIT_MEM_NOT_ARMED);
}

/* Only the capability bits up to Highest Valid Capability (byte 4 of the
 * Platform Capabilities Structure, ACPI 6.6 table 5.155) count. */
KTEST(nfit, caps_above_highest_valid_ignored)
{
	begin();
	size_t c = add(7, 16);
	tbl[c + 4] = 0;				/* only bit 0 is valid */
	w32(c + 8, NFIT_CAP_CPU_FLUSH | NFIT_CAP_MEM_FLUSH | 0x80000000u);
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_TRUE(t, info.has_caps);
	EXPECT_EQ(t, info.caps, NFIT_CAP_CPU_FLUSH);
	EXPECT_NOT_NULL(t, strstr(host_log, "above the highest valid bit 0"));

	begin();
	c = add(7, 16);
	tbl[c + 4] = 31;			/* every bit is valid */
	w32(c + 8, 0x80000000u | NFIT_CAP_MEM_FLUSH);
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_EQ(t, info.caps, 0x80000000u | NFIT_CAP_MEM_FLUSH);
	EXPECT_EQ(t, host_log[0], 0);
}

KTEST(nfit, flush_hint_count_larger_than_structure)
{
	begin();
	size_t f = add(6, 16 + 8);
	w32(f + 4, 7);
	w16(f + 8, 100);
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_EQ(t, info.flush[0].count, 1);
	EXPECT_NOT_NULL(t, strstr(host_log, "lists 100 addresses but has room for 1"));
}

KTEST(nfit, zero_size_refused)
{
	begin();
	spa(1, 0x100000000ULL, 0, true);
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_EQ(t, regions(), 0);
	EXPECT_NOT_NULL(t, strstr(host_log, "SPA range 1 has size 0"));
}

KTEST(nfit, overlapping_ram_refused)
{
	begin();
	spa(1, 0x10000000, 0x20000000, true);
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_EQ(t, regions(), 0);
	EXPECT_NOT_NULL(t, strstr(host_log, "overlaps RAM"));
}

KTEST(nfit, overlapping_ranges_second_refused)
{
	begin();
	spa(1, 0x100000000ULL, 1 << 30, true);
	spa(2, 0x120000000ULL, 1 << 30, true);
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	ASSERT_EQ(t, regions(), 1);
	EXPECT_EQ(t, reg[0].spa_index, 1);
	EXPECT_NOT_NULL(t, strstr(host_log, "SPA range 2 overlaps SPA range 1"));
}

KTEST(nfit, memdev_disagrees_with_range)
{
	begin();
	spa(1, 0x100000000ULL, 1 << 20, true);
	memdev(5, 1, 2 << 20, 0, 0);		/* maps more than the range holds */
	memdev(6, 9, 1 << 20, 0, 0);		/* names a range that is not there */
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_EQ(t, regions(), 0);
	EXPECT_NOT_NULL(t, strstr(host_log, "memory device 0x5 maps"));
	EXPECT_NOT_NULL(t, strstr(host_log, "names SPA range 9, which does not exist"));
}

KTEST(nfit, misaligned_or_wrapping_refused)
{
	begin();
	spa(1, 0x100000800ULL, 1 << 20, true);
	spa(2, 0xfffffffffffff000ULL, 0x2000, true);
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_EQ(t, regions(), 0);
	EXPECT_NOT_NULL(t, strstr(host_log, "SPA range 1"));
	EXPECT_NOT_NULL(t, strstr(host_log, "SPA range 2"));
}

KTEST(nfit, other_guids_ignored_unknown_types_skipped)
{
	begin();
	spa(1, 0x100000000ULL, 1 << 20, false);	/* e.g. a control region range */
	add(42, 8);
	spa(2, 0x200000000ULL, 1 << 20, true);
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_EQ(t, info.unknown, 1);
	EXPECT_NOT_NULL(t, strstr(host_log, "unknown structure type 42"));
	ASSERT_EQ(t, regions(), 1);
	EXPECT_EQ(t, reg[0].spa_index, 2);
}

KTEST(nfit, truncated_and_zero_length_structures)
{
	begin();
	spa(1, 0x100000000ULL, 1 << 20, true);
	size_t bad = add(0, 20);		/* an SPA range too short to read */
	(void)bad;
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_EQ(t, info.nspa, 1);
	EXPECT_NOT_NULL(t, strstr(host_log, "has length 20 (needs 56)"));

	begin();
	spa(1, 0x100000000ULL, 1 << 20, true);
	add(1, 0);				/* zero length: the walk must stop */
	tlen += 8;
	EXPECT_ERR(t, nfit_parse(tbl, tlen, &info), -EINVAL);
	EXPECT_EQ(t, info.nspa, 1);		/* what came before is kept */
	EXPECT_NOT_NULL(t, strstr(host_log, "has length 0"));

	begin();
	spa(1, 0x100000000ULL, 1 << 20, true);
	w16(40 + 2, 500);			/* runs past the table */
	EXPECT_ERR(t, nfit_parse(tbl, tlen, &info), -EINVAL);
	EXPECT_ERR(t, nfit_parse(tbl, 20, &info), -EINVAL);
}

KTEST(nfit, too_many_ranges)
{
	begin();
	for (int i = 0; i < NFIT_MAX_SPA + 2 && tlen + 56 <= sizeof(tbl); i++)
		spa((uint16_t)i, 0x100000000ULL + ((uint64_t)i << 30), 1 << 20, true);
	ASSERT_OK(t, nfit_parse(tbl, tlen, &info));
	EXPECT_EQ(t, info.nspa, NFIT_MAX_SPA);
	EXPECT_GT(t, info.dropped, 0);
	EXPECT_EQ(t, regions(), 8);		/* bounded by the caller's array */
	EXPECT_NOT_NULL(t, strstr(host_log, "more than 8 persistent-memory regions"));
}
