/*
 * test_multiboot.c - host tests of kernel/multiboot.c with crafted boot
 * information: well-formed multiboot1 and multiboot2 structures, and the
 * bad ones (unknown magic, truncated or oversized structures, bad tags,
 * empty, overlapping, wrapping and oversized memory maps, long strings).
 */
#include <lib/ktest.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <kernel/bootinfo.h>
#include <arch/x86_64/boot.h>
#include "kprintf_host.h"

#define MEM_SIZE	(64 * 1024)
#define INFO_PA		0x1000
#define MMAP_PA		0x2000
#define STR_PA		0x3000

static uint8_t mem[MEM_SIZE];
static struct boot_info bi;

static const void *fake_phys(uint64_t pa, uint64_t len)
{
	if (pa > MEM_SIZE || len > MEM_SIZE - pa)
		return NULL;
	return mem + pa;
}

static void put32(uint64_t pa, uint32_t v) { memcpy(mem + pa, &v, 4); }
static void put64(uint64_t pa, uint64_t v) { memcpy(mem + pa, &v, 8); }

static void reset(void)
{
	memset(mem, 0, sizeof(mem));
	host_log_clear();
}

/* ------------------------------------------------------------ multiboot 1 */

#define MB1_FLAGS	0
#define MB1_MEM_LOWER	4
#define MB1_MEM_UPPER	8
#define MB1_CMDLINE	16
#define MB1_MODS_COUNT	20
#define MB1_MODS_ADDR	24
#define MB1_MMAP_LEN	44
#define MB1_MMAP_ADDR	48
#define MB1_LOADER	64

static uint32_t mb1_mmap_off;

static void mb1_entry(uint64_t base, uint64_t len, uint32_t type)
{
	put32(MMAP_PA + mb1_mmap_off, 20);
	put64(MMAP_PA + mb1_mmap_off + 4, base);
	put64(MMAP_PA + mb1_mmap_off + 12, len);
	put32(MMAP_PA + mb1_mmap_off + 20, type);
	mb1_mmap_off += 24;
	put32(INFO_PA + MB1_MMAP_LEN, mb1_mmap_off);
}

static void mb1_begin(uint32_t flags)
{
	reset();
	mb1_mmap_off = 0;
	put32(INFO_PA + MB1_FLAGS, flags);
	put32(INFO_PA + MB1_MMAP_ADDR, MMAP_PA);
	put32(INFO_PA + MB1_CMDLINE, STR_PA);
	strcpy((char *)mem + STR_PA, "/boot/holdfast.elf test=all");
	put32(INFO_PA + MB1_LOADER, STR_PA + 0x100);
	strcpy((char *)mem + STR_PA + 0x100, "qemu");
}

KTEST(multiboot, mb1_well_formed)
{
	mb1_begin((1 << 6) | (1 << 2) | (1 << 9));
	mb1_entry(0, 0x9fc00, MEM_AVAILABLE);
	mb1_entry(0x100000, 0x1ff00000, MEM_AVAILABLE);
	mb1_entry(0xfffc0000, 0x40000, MEM_RESERVED);
	EXPECT_OK(t, multiboot_parse(MB1_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi));
	EXPECT_EQ(t, bi.protocol, 1);
	EXPECT_STREQ(t, bi.cmdline, "/boot/holdfast.elf test=all");
	EXPECT_STREQ(t, bi.loader, "qemu");
	ASSERT_EQ(t, bi.nmmap, 3);
	EXPECT_EQ(t, bi.mmap[1].base, 0x100000);
	EXPECT_EQ(t, bi.mmap[1].len, 0x1ff00000);
	EXPECT_EQ(t, bi.mmap[2].type, MEM_RESERVED);
	EXPECT_EQ(t, bi.warnings, 0);
}

KTEST(multiboot, unknown_magic_is_refused_with_fallback)
{
	reset();
	EXPECT_ERR(t, multiboot_parse(0x12345678, INFO_PA, fake_phys, &bi), -EINVAL);
	EXPECT_NOT_NULL(t, strstr(host_log, "unknown boot loader magic 0x12345678"));
	/* the kernel still gets some memory to run with */
	ASSERT_EQ(t, bi.nmmap, 1);
	EXPECT_EQ(t, bi.mmap[0].type, MEM_AVAILABLE);
	EXPECT_NOT_NULL(t, strstr(host_log, "no usable RAM"));
}

KTEST(multiboot, mb1_info_outside_memory)
{
	reset();
	EXPECT_ERR(t, multiboot_parse(MB1_BOOTLOADER_MAGIC, MEM_SIZE - 8, fake_phys, &bi), -EINVAL);
	EXPECT_NOT_NULL(t, strstr(host_log, "not in accessible memory"));
}

KTEST(multiboot, mb1_bad_entry_size_stops_the_map)
{
	mb1_begin(1 << 6);
	mb1_entry(0x100000, 0x1000000, MEM_AVAILABLE);
	put32(MMAP_PA + mb1_mmap_off, 0);	/* next entry claims size 0 */
	put32(INFO_PA + MB1_MMAP_LEN, mb1_mmap_off + 24);
	EXPECT_OK(t, multiboot_parse(MB1_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi));
	EXPECT_EQ(t, bi.nmmap, 1);
	EXPECT_NOT_NULL(t, strstr(host_log, "has size 0"));
}

KTEST(multiboot, mb1_no_map_uses_basic_memory)
{
	mb1_begin(1 << 0);
	put32(INFO_PA + MB1_MEM_LOWER, 639);
	put32(INFO_PA + MB1_MEM_UPPER, 130048);
	EXPECT_OK(t, multiboot_parse(MB1_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi));
	ASSERT_EQ(t, bi.nmmap, 2);
	EXPECT_EQ(t, bi.mmap[1].base, 0x100000);
	EXPECT_EQ(t, bi.mmap[1].len, 130048ULL * 1024);
	EXPECT_NOT_NULL(t, strstr(host_log, "no memory map"));
}

KTEST(multiboot, mb1_long_command_line_truncated)
{
	mb1_begin(1 << 2);
	memset(mem + STR_PA, 'a', 700);
	mem[STR_PA + 700] = 0;
	EXPECT_OK(t, multiboot_parse(MB1_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi));
	EXPECT_EQ(t, strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	EXPECT_NOT_NULL(t, strstr(host_log, "command line longer than 511 bytes"));
}

KTEST(multiboot, mb1_unterminated_string_at_end_of_memory)
{
	mb1_begin(1 << 2);
	put32(INFO_PA + MB1_CMDLINE, MEM_SIZE - 4);
	memset(mem + MEM_SIZE - 4, 'x', 4);	/* no NUL before the end */
	EXPECT_OK(t, multiboot_parse(MB1_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi));
	EXPECT_STREQ(t, bi.cmdline, "xxxx");
}

/* ------------------------------------------------------ map sanitising */

KTEST(multiboot, overlap_gets_the_restrictive_type)
{
	memset(&bi, 0, sizeof(bi));
	host_log_clear();
	bi.mmap[0] = (struct boot_mem_region){ 0x100000, 0xf00000, MEM_AVAILABLE };
	bi.mmap[1] = (struct boot_mem_region){ 0x800000, 0x100000, MEM_RESERVED };
	bi.mmap[2] = (struct boot_mem_region){ 0x2000000, 0, MEM_AVAILABLE };	/* empty */
	bi.nmmap = 3;
	bootinfo_sanitize_mmap(&bi);
	ASSERT_EQ(t, bi.nmmap, 3);
	EXPECT_EQ(t, bi.mmap[0].base, 0x100000);
	EXPECT_EQ(t, bi.mmap[0].len, 0x700000);
	EXPECT_EQ(t, bi.mmap[1].base, 0x800000);
	EXPECT_EQ(t, bi.mmap[1].type, MEM_RESERVED);
	EXPECT_EQ(t, bi.mmap[2].base, 0x900000);
	EXPECT_EQ(t, bi.mmap[2].len, 0x700000);
	EXPECT_NOT_NULL(t, strstr(host_log, "overlap"));
	EXPECT_NOT_NULL(t, strstr(host_log, "length 0"));
}

KTEST(multiboot, unsorted_adjacent_merged_and_wrap_clamped)
{
	memset(&bi, 0, sizeof(bi));
	host_log_clear();
	bi.mmap[0] = (struct boot_mem_region){ 0x200000, 0x100000, MEM_AVAILABLE };
	bi.mmap[1] = (struct boot_mem_region){ 0x100000, 0x100000, MEM_AVAILABLE };
	bi.mmap[2] = (struct boot_mem_region){ 0xfffffffffffff000ULL, 0x10000, MEM_RESERVED };
	bi.nmmap = 3;
	bootinfo_sanitize_mmap(&bi);
	ASSERT_EQ(t, bi.nmmap, 2);
	EXPECT_EQ(t, bi.mmap[0].base, 0x100000);
	EXPECT_EQ(t, bi.mmap[0].len, 0x200000);
	EXPECT_EQ(t, bi.mmap[1].base + bi.mmap[1].len, UINT64_MAX);
	EXPECT_NOT_NULL(t, strstr(host_log, "wraps around"));
}

/* ------------------------------------------------------------ multiboot 2 */

static uint32_t mb2_off;

static void mb2_begin(void)
{
	reset();
	mb2_off = 8;
}

static uint64_t mb2_tag(uint32_t type, uint32_t size)
{
	uint64_t at = INFO_PA + mb2_off;

	put32(at, type);
	put32(at + 4, size);
	mb2_off += (size + 7) & ~7u;
	return at;
}

static void mb2_end(void)
{
	mb2_tag(0, 8);
	put32(INFO_PA, mb2_off);
}

KTEST(multiboot, mb2_well_formed)
{
	uint64_t tag;
	const char cmd[] = "test=all";

	mb2_begin();
	tag = mb2_tag(1, 8 + sizeof(cmd));
	memcpy(mem + tag + 8, cmd, sizeof(cmd));
	tag = mb2_tag(6, 16 + 2 * 24);
	put32(tag + 8, 24);
	put32(tag + 12, 0);
	put64(tag + 16, 0x100000);
	put64(tag + 24, 0x1000000);
	put32(tag + 32, MEM_AVAILABLE);
	put64(tag + 40, 0x1ffe0000);
	put64(tag + 48, 0x20000);
	put32(tag + 56, MEM_RESERVED);
	tag = mb2_tag(14, 8 + 20);
	memcpy(mem + tag + 8, "RSD PTR old", 11);
	tag = mb2_tag(15, 8 + 36);
	memcpy(mem + tag + 8, "RSD PTR new", 11);
	mb2_end();
	EXPECT_OK(t, multiboot_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi));
	EXPECT_EQ(t, bi.protocol, 2);
	EXPECT_STREQ(t, bi.cmdline, "test=all");
	ASSERT_EQ(t, bi.nmmap, 2);
	EXPECT_EQ(t, bi.mmap[1].base, 0x1ffe0000);
	EXPECT_EQ(t, bi.rsdp_len, 36);
	EXPECT_MEMEQ(t, bi.rsdp, "RSD PTR new", 11);	/* the ACPI 2.0 copy wins */
	EXPECT_EQ(t, bi.info_len, mb2_off);
	EXPECT_EQ(t, bi.warnings, 0);
}

KTEST(multiboot, mb2_total_size_out_of_range)
{
	mb2_begin();
	put32(INFO_PA, 4);
	EXPECT_ERR(t, multiboot_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi), -EINVAL);
	EXPECT_NOT_NULL(t, strstr(host_log, "total_size 4 is out of range"));
	mb2_begin();
	put32(INFO_PA, 0x7fffffff);
	EXPECT_ERR(t, multiboot_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi), -EINVAL);
}

KTEST(multiboot, mb2_tag_past_the_end)
{
	uint64_t tag;

	mb2_begin();
	tag = mb2_tag(1, 16);
	memcpy(mem + tag + 8, "quiet", 6);
	tag = mb2_tag(6, 16);
	put32(tag + 4, 5000);			/* claims more than the structure */
	mb2_off = (uint32_t)(tag - INFO_PA) + 16;
	mb2_end();
	EXPECT_OK(t, multiboot_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi));
	EXPECT_STREQ(t, bi.cmdline, "quiet");	/* what came before is kept */
	EXPECT_NOT_NULL(t, strstr(host_log, "has size 5000"));
	EXPECT_NOT_NULL(t, strstr(host_log, "no usable RAM"));
}

KTEST(multiboot, mb2_missing_end_tag_and_bad_entry_size)
{
	uint64_t tag;

	mb2_begin();
	tag = mb2_tag(6, 16 + 24);
	put32(tag + 8, 12);			/* entry size below the minimum */
	put32(INFO_PA, mb2_off);		/* no end tag */
	EXPECT_OK(t, multiboot_parse(MB2_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi));
	EXPECT_NOT_NULL(t, strstr(host_log, "entry size 12 is invalid"));
	EXPECT_NOT_NULL(t, strstr(host_log, "no end tag"));
}

/* A loader may put the structures at any byte address: the fields must be
 * read without assuming alignment (under UBSan an aligned-only load of a
 * uint32_t at an odd address aborts the test). */
KTEST(multiboot, structures_at_odd_addresses)
{
	uint64_t tag;

	mb2_begin();
	tag = mb2_tag(1, 8 + 6);
	memcpy(mem + tag + 8, "quiet", 6);
	tag = mb2_tag(4, 16);
	put32(tag + 8, 639);
	put32(tag + 12, 130048);
	mb2_end();
	memmove(mem + INFO_PA + 1, mem + INFO_PA, mb2_off);
	EXPECT_OK(t, multiboot_parse(MB2_BOOTLOADER_MAGIC, INFO_PA + 1, fake_phys, &bi));
	EXPECT_STREQ(t, bi.cmdline, "quiet");
	EXPECT_EQ(t, bi.info_len, mb2_off);
	ASSERT_EQ(t, bi.nmmap, 2);		/* from the basic memory tag */
	EXPECT_EQ(t, bi.mmap[1].len, 130048ULL * 1024);

	mb1_begin(1 << 3);
	put32(INFO_PA + MB1_MODS_COUNT, 2);
	put32(INFO_PA + MB1_MODS_ADDR, MMAP_PA + 1);
	put32(MMAP_PA + 1, 0x200000);		/* module 0: start, end */
	put32(MMAP_PA + 1 + 4, 0x201000);
	put32(MMAP_PA + 1 + 16, 0x300000);	/* module 1 */
	put32(MMAP_PA + 1 + 20, 0x302000);
	EXPECT_OK(t, multiboot_parse(MB1_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi));
	ASSERT_EQ(t, bi.nmodules, 2);
	EXPECT_EQ(t, bi.modules[0].end, 0x201000);
	EXPECT_EQ(t, bi.modules[1].start, 0x300000);
}

KTEST(multiboot, too_many_map_entries)
{
	mb1_begin(1 << 6);
	for (int i = 0; i < BOOT_MMAP_MAX + 5; i++)
		mb1_entry(0x100000 + (uint64_t)i * 0x2000, 0x1000, MEM_AVAILABLE);
	EXPECT_OK(t, multiboot_parse(MB1_BOOTLOADER_MAGIC, INFO_PA, fake_phys, &bi));
	EXPECT_EQ(t, bi.nmmap, BOOT_MMAP_MAX);
	EXPECT_NOT_NULL(t, strstr(host_log, "more than 128 entries"));
}
