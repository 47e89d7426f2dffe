/*
 * test_dmar.c - host tests of drivers/iommu/dmar.c with crafted DMAR tables.
 *
 * Tables are built byte by byte at the offsets of the VT-d specification
 * (chapter 8), not through the parser's structures, checksums fixed, and
 * handed over as exact-size heap copies so ASan catches a read past the
 * given length.  One table has QEMU 7.2's q35 layout (build_dmar_q35 in
 * hw/i386/acpi-build.c: INCLUDE_PCI_ALL unit at 0xfed90000 with the I/O
 * APIC in its scope); the rest break one rule each and check the message
 * names the structure and the value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <lib/ktest.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <drivers/dmar.h>

#include "../../drivers/acpi/tables.h"

#define TBL_MAX		1024

struct tbl {
	uint8_t b[TBL_MAX];
	size_t len;
};

static void w16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void w32(uint8_t *p, uint32_t v) { w16(p, v); w16(p + 2, v >> 16); }
static void w64(uint8_t *p, uint64_t v) { w32(p, v); w32(p + 4, v >> 32); }

static void add8(struct tbl *t, uint8_t v)   { t->b[t->len++] = v; }
static void add16(struct tbl *t, uint16_t v) { w16(t->b + t->len, v); t->len += 2; }
static void add64(struct tbl *t, uint64_t v) { w64(t->b + t->len, v); t->len += 8; }

static void dmar_begin(struct tbl *t, uint8_t haw_field, uint8_t flags)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, "DMAR", 4);
	t->b[8] = 1;
	memcpy(t->b + 10, "BOCHS ", 6);
	memcpy(t->b + 16, "BXPC    ", 8);
	t->len = 36;
	add8(t, haw_field);
	add8(t, flags);
	t->len += 10;			/* reserved */
}

static void dmar_finish(struct tbl *t)
{
	uint8_t s = 0;

	w32(t->b + 4, (uint32_t)t->len);
	t->b[9] = 0;
	for (size_t i = 0; i < t->len; i++)
		s += t->b[i];
	t->b[9] = (uint8_t)-s;
}

/* A DRHD header; returns its offset so the length can be patched. */
static size_t drhd_begin(struct tbl *t, uint8_t flags, uint16_t seg, uint64_t base)
{
	size_t at = t->len;

	add16(t, DMAR_TYPE_DRHD);
	add16(t, 0);
	add8(t, flags);
	add8(t, 0);
	add16(t, seg);
	add64(t, base);
	return at;
}

static size_t rmrr_begin(struct tbl *t, uint64_t base, uint64_t limit)
{
	size_t at = t->len;

	add16(t, DMAR_TYPE_RMRR);
	add16(t, 0);
	add16(t, 0);
	add16(t, 0);
	add64(t, base);
	add64(t, limit);
	return at;
}

static void struct_end(struct tbl *t, size_t at)
{
	w16(t->b + at + 2, (uint16_t)(t->len - at));
}

/* A device scope with one hop. */
static void scope(struct tbl *t, uint8_t type, uint8_t id, uint8_t bus, uint8_t dev, uint8_t fn)
{
	add8(t, type);
	add8(t, 8);
	add16(t, 0);
	add8(t, id);
	add8(t, bus);
	add8(t, dev);
	add8(t, fn);
}

static const void *exact(const struct tbl *t)
{
	static void *last;

	free(last);
	last = malloc(t->len);
	memcpy(last, t->b, t->len);
	return last;
}

static struct {
	char all[2048];
	unsigned nerr;
} cap;

static void cap_report(void *ctx, enum acpi_msg_level level, const char *msg)
{
	(void)ctx;
	cap.nerr += level == ACPI_MSG_ERROR;
	strlcat(cap.all, msg, sizeof(cap.all));
	strlcat(cap.all, " | ", sizeof(cap.all));
}

static const struct acpi_diag diag = { .report = cap_report };
static struct dmar_info info;

static int parse(const struct tbl *t)
{
	memset(&cap, 0, sizeof(cap));
	return dmar_parse(exact(t), t->len, &info, &diag);
}

#define EXPECT_MSG(t, s) do {						\
	if (!strstr(cap.all, s))					\
		ktest_fail_msg(t, "%s:%d: no message with \"%s\"; got: %s", \
			       __FILE__, __LINE__, s, cap.all);		\
} while (0)

/* QEMU 7.2 q35 with -device intel-iommu,intremap=off: 39-bit HAW, one
 * INCLUDE_PCI_ALL unit at 0xfed90000, the I/O APIC (id 0) in its scope at
 * bus 0xff device 0 function 0. */
static void qemu_q35(struct tbl *t)
{
	size_t at;

	dmar_begin(t, 38, 0);
	at = drhd_begin(t, 1, 0, 0xfed90000);
	scope(t, DMAR_SCOPE_IOAPIC, 0, 0xff, 0, 0);
	struct_end(t, at);
	dmar_finish(t);
}

KTEST(dmar, qemu_q35_layout)
{
	struct tbl tb;

	qemu_q35(&tb);
	ASSERT_OK(t, parse(&tb));
	EXPECT_EQ(t, cap.nerr, 0);
	EXPECT_EQ(t, info.haw_bits, 39);
	EXPECT_EQ(t, info.flags, 0);
	ASSERT_EQ(t, info.nunits, 1);
	EXPECT_EQ(t, info.units[0].base, 0xfed90000);
	EXPECT_TRUE(t, info.units[0].include_all);
	EXPECT_EQ(t, info.units[0].segment, 0);
	ASSERT_EQ(t, info.units[0].nscopes, 1);
	EXPECT_EQ(t, info.units[0].scopes[0].type, DMAR_SCOPE_IOAPIC);
	EXPECT_EQ(t, info.units[0].scopes[0].start_bus, 0xff);
	EXPECT_EQ(t, info.units[0].scopes[0].npath, 1);
	EXPECT_EQ(t, info.nrmrrs, 0);
}

KTEST(dmar, rmrr_and_other_structures)
{
	struct tbl tb;
	size_t at;

	dmar_begin(&tb, 47, DMAR_FLAG_INTR_REMAP);
	at = drhd_begin(&tb, 0, 0, 0xfed91000);
	scope(&tb, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 4, 0);
	scope(&tb, DMAR_SCOPE_PCI_SUBHIER, 0, 0, 0x1c, 2);
	struct_end(&tb, at);
	at = rmrr_begin(&tb, 0x7f000000, 0x7f00ffff);
	scope(&tb, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 2, 0);
	struct_end(&tb, at);
	add16(&tb, DMAR_TYPE_ATSR);	/* an ATSR of 8 bytes: skipped */
	add16(&tb, 8);
	add16(&tb, 0);
	add16(&tb, 0);
	dmar_finish(&tb);
	ASSERT_OK(t, parse(&tb));
	EXPECT_EQ(t, info.haw_bits, 48);
	EXPECT_EQ(t, info.flags, DMAR_FLAG_INTR_REMAP);
	ASSERT_EQ(t, info.nunits, 1);
	EXPECT_FALSE(t, info.units[0].include_all);
	ASSERT_EQ(t, info.units[0].nscopes, 2);
	EXPECT_EQ(t, info.units[0].scopes[0].path[0].dev, 4);
	EXPECT_EQ(t, info.units[0].scopes[1].type, DMAR_SCOPE_PCI_SUBHIER);
	EXPECT_EQ(t, info.units[0].scopes[1].path[0].fn, 2);
	ASSERT_EQ(t, info.nrmrrs, 1);
	EXPECT_EQ(t, info.rmrrs[0].base, 0x7f000000);
	EXPECT_EQ(t, info.rmrrs[0].limit, 0x7f00ffff);
	EXPECT_EQ(t, info.rmrrs[0].nscopes, 1);
	EXPECT_EQ(t, info.nskipped, 1);
	EXPECT_TRUE(t, dmar_scope_matches(&info.units[0].scopes[0], 0, 4, 0, NULL, NULL));
	EXPECT_FALSE(t, dmar_scope_matches(&info.units[0].scopes[0], 0, 4, 1, NULL, NULL));
	EXPECT_FALSE(t, dmar_scope_matches(&info.units[0].scopes[0], 1, 4, 0, NULL, NULL));
}

KTEST(dmar, structure_longer_than_the_table)
{
	struct tbl tb;

	qemu_q35(&tb);
	w16(tb.b + 48 + 2, 200);	/* the DRHD claims 200 bytes */
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -EINVAL);
	EXPECT_MSG(t, "DRHD at 0x30 has length 200");
}

KTEST(dmar, structure_of_length_zero_does_not_loop)
{
	struct tbl tb;

	qemu_q35(&tb);
	w16(tb.b + 48 + 2, 0);
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -EINVAL);
	EXPECT_MSG(t, "has length 0");
}

KTEST(dmar, scope_longer_than_its_structure)
{
	struct tbl tb;

	qemu_q35(&tb);
	tb.b[48 + 16 + 1] = 10;		/* the scope says 10; 8 are there */
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -EINVAL);
	EXPECT_MSG(t, "device scope at 0x40 has length 10");
}

KTEST(dmar, scope_with_odd_length)
{
	struct tbl tb;
	size_t at;

	dmar_begin(&tb, 38, 0);
	at = drhd_begin(&tb, 1, 0, 0xfed90000);
	add8(&tb, DMAR_SCOPE_PCI_ENDPOINT);
	add8(&tb, 7);
	add16(&tb, 0);
	add8(&tb, 0);
	add8(&tb, 0);
	add8(&tb, 3);
	struct_end(&tb, at);
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -EINVAL);
	EXPECT_MSG(t, "has length 7 (must be 6 + 2n");
}

KTEST(dmar, register_base_zero_or_unaligned)
{
	struct tbl tb;

	qemu_q35(&tb);
	w64(tb.b + 48 + 8, 0);
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -ERANGE);
	EXPECT_MSG(t, "register base 0x0");
	qemu_q35(&tb);
	w64(tb.b + 48 + 8, 0xfed90010);
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -ERANGE);
	EXPECT_MSG(t, "register base 0xfed90010");
}

KTEST(dmar, register_base_beyond_address_width)
{
	struct tbl tb;

	qemu_q35(&tb);
	w64(tb.b + 48 + 8, 1ULL << 40);
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -ERANGE);
	EXPECT_MSG(t, "beyond the 39-bit host address width");
}

KTEST(dmar, bad_checksum_and_signature)
{
	struct tbl tb;

	qemu_q35(&tb);
	tb.b[9] ^= 1;
	EXPECT_ERR(t, parse(&tb), -EBADMSG);
	qemu_q35(&tb);
	memcpy(tb.b, "DMAX", 4);
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -EINVAL);
}

KTEST(dmar, truncated_header_and_no_unit)
{
	struct tbl tb;

	dmar_begin(&tb, 38, 0);
	tb.len = 40;			/* stops inside the DMAR header */
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -EINVAL);
	EXPECT_MSG(t, "shorter than its 48-byte header");
	dmar_begin(&tb, 38, 0);
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -ENOENT);
	EXPECT_MSG(t, "no DRHD");
}

KTEST(dmar, host_address_width_out_of_range)
{
	struct tbl tb;

	qemu_q35(&tb);
	tb.b[36] = 11;			/* 12 bits */
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -ERANGE);
	EXPECT_MSG(t, "host address width 12 bits");
}

KTEST(dmar, rmrr_limit_below_base)
{
	struct tbl tb;
	size_t at;

	dmar_begin(&tb, 38, 0);
	at = drhd_begin(&tb, 1, 0, 0xfed90000);
	struct_end(&tb, at);
	at = rmrr_begin(&tb, 0x80000000, 0x7fffffff - 0x1000);
	scope(&tb, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 2, 0);
	struct_end(&tb, at);
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -ERANGE);
	EXPECT_MSG(t, "RMRR at 0x40 covers 0x80000000..");
}

KTEST(dmar, scope_naming_function_8)
{
	struct tbl tb;
	size_t at;

	dmar_begin(&tb, 38, 0);
	at = drhd_begin(&tb, 0, 0, 0xfed90000);
	scope(&tb, DMAR_SCOPE_PCI_ENDPOINT, 0, 0, 4, 8);
	struct_end(&tb, at);
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -ERANGE);
	EXPECT_MSG(t, "device 4 function 8");
}

KTEST(dmar, too_many_units)
{
	struct tbl tb;

	dmar_begin(&tb, 38, 0);
	for (unsigned i = 0; i <= DMAR_MAX_UNITS; i++) {
		size_t at = drhd_begin(&tb, 0, 0, 0xfed90000 + 0x1000ULL * i);
		struct_end(&tb, at);
	}
	dmar_finish(&tb);
	EXPECT_ERR(t, parse(&tb), -E2BIG);
	EXPECT_MSG(t, "more than 8 DRHDs");
}

/* Every prefix of a good table is refused without reading past it. */
KTEST(dmar, every_truncation_is_refused)
{
	struct tbl tb;

	qemu_q35(&tb);
	for (size_t n = 0; n < tb.len; n++) {
		memset(&cap, 0, sizeof(cap));
		struct tbl cut = tb;
		cut.len = n;
		EXPECT_NE(t, dmar_parse(exact(&cut), n, &info, &diag), 0);
	}
}
