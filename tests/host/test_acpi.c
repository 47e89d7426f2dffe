/*
 * test_acpi.c - host tests of drivers/acpi/tables.c with crafted tables.
 *
 * Each test builds table bytes at the offsets the ACPI specification gives
 * (not through the parser's structures), fixes the checksums, and hands
 * the parser an exact-size heap copy, so ASan catches any read past the
 * length it was given.  Messages reported through struct acpi_diag are
 * captured and checked for the value they must name.  The last suites run
 * on tables captured from QEMU 7.2 (q35 and pc, SeaBIOS).
 */
#include <stdint.h>
#include <stdlib.h>
#include <lib/ktest.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>

#include "../../drivers/acpi/tables.h"	/* the ACPI driver's portable parsers, on purpose */

/* ------------------------------------------------------- byte builder -- */

#define TBL_MAX		4096
#define HDR_LEN		36
#define CSUM_OFF	9	/* SDT header checksum byte */

struct tbl {
	uint8_t b[TBL_MAX];
	size_t len;
};

static void w8(uint8_t *p, uint8_t v)   { p[0] = v; }
static void w16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void w32(uint8_t *p, uint32_t v) { w16(p, v); w16(p + 2, v >> 16); }
static void w64(uint8_t *p, uint64_t v) { w32(p, v); w32(p + 4, v >> 32); }

static void add8(struct tbl *t, uint8_t v)   { w8(t->b + t->len, v); t->len += 1; }
static void add16(struct tbl *t, uint16_t v) { w16(t->b + t->len, v); t->len += 2; }
static void add32(struct tbl *t, uint32_t v) { w32(t->b + t->len, v); t->len += 4; }
static void add64(struct tbl *t, uint64_t v) { w64(t->b + t->len, v); t->len += 8; }

static void add_bytes(struct tbl *t, const void *p, size_t n)
{
	memcpy(t->b + t->len, p, n);
	t->len += n;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* Set b[at] so that the first @n bytes sum to zero. */
static void fix_sum(uint8_t *b, size_t n, size_t at)
{
	b[at] = 0;
	b[at] = -sum(b, n);
}

static void sdt_begin(struct tbl *t, const char *sig, uint8_t rev)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, sig, 4);
	t->b[8] = rev;
	memcpy(t->b + 10, "HOLDFS", 6);
	memcpy(t->b + 16, "TESTTABL", 8);
	t->len = HDR_LEN;
}

/* Length field = bytes so far; checksum fixed. */
static void sdt_finish(struct tbl *t)
{
	w32(t->b + 4, t->len);
	fix_sum(t->b, t->len, CSUM_OFF);
}

/* A heap copy of exactly @len bytes; freed at the next call. */
static const void *exact(const void *p, size_t len)
{
	static void *last;

	free(last);
	last = malloc(len ? len : 1);
	memcpy(last, p, len);
	return last;
}

#define EXACT(t)	exact((t)->b, (t)->len)

/* ---------------------------------------------------- message capture -- */

static struct {
	unsigned n, nerr, nwarn, ninfo;
	char all[4096];
} cap;

static void cap_report(void *ctx, enum acpi_msg_level level, const char *msg)
{
	cap.n++;
	cap.nerr += level == ACPI_MSG_ERROR;
	cap.nwarn += level == ACPI_MSG_WARN;
	cap.ninfo += level == ACPI_MSG_INFO;
	strlcat(cap.all, msg, sizeof(cap.all));
	strlcat(cap.all, " | ", sizeof(cap.all));
}

static const struct acpi_diag diag = { .report = cap_report };

static void cap_reset(void)
{
	memset(&cap, 0, sizeof(cap));
}

/* Some captured message contains @s. */
#define EXPECT_MSG(t, s) do {						\
	if (!strstr(cap.all, s))					\
		ktest_fail_msg(t, "%s:%d: no message with \"%s\"; got: %s", \
			       __FILE__, __LINE__, s, cap.all);		\
} while (0)

/* -------------------------------------------------------------- RSDP -- */

#define RSDT_PA		0x7fe1000u
#define XSDT_PA		0x17fe2000ull

static void rsdp_v1(uint8_t *b, uint32_t rsdt)
{
	memset(b, 0, 36);
	memcpy(b, "RSD PTR ", 8);
	memcpy(b + 9, "HOLDFS", 6);
	w32(b + 16, rsdt);
	fix_sum(b, 20, 8);
}

static void rsdp_v2(uint8_t *b, uint32_t rsdt, uint64_t xsdt)
{
	rsdp_v1(b, rsdt);
	b[15] = 2;
	fix_sum(b, 20, 8);
	w32(b + 20, 36);
	w64(b + 24, xsdt);
	fix_sum(b, 36, 32);
}

KTEST(acpi_rsdp, v1_uses_rsdt)
{
	uint8_t b[36];
	struct acpi_rsdp_info r;
	bool x;

	cap_reset();
	rsdp_v1(b, RSDT_PA);
	ASSERT_OK(t, acpi_parse_rsdp(exact(b, 20), 20, &r, &diag));
	EXPECT_EQ(t, r.revision, 0);
	EXPECT_EQ(t, r.rsdt_addr, RSDT_PA);
	EXPECT_EQ(t, r.xsdt_addr, 0);
	EXPECT_EQ(t, r.length, 20);
	EXPECT_STREQ(t, r.oem_id, "HOLDFS");
	EXPECT_EQ(t, acpi_rsdp_root(&r, &x), RSDT_PA);
	EXPECT_FALSE(t, x);
	EXPECT_EQ(t, cap.n, 0);
}

KTEST(acpi_rsdp, v2_prefers_xsdt)
{
	uint8_t b[36];
	struct acpi_rsdp_info r;
	bool x;

	rsdp_v2(b, RSDT_PA, XSDT_PA);
	ASSERT_OK(t, acpi_parse_rsdp(exact(b, 36), 36, &r, &diag));
	EXPECT_EQ(t, r.revision, 2);
	EXPECT_EQ(t, r.length, 36);
	EXPECT_EQ(t, r.xsdt_addr, XSDT_PA);
	EXPECT_EQ(t, acpi_rsdp_root(&r, &x), XSDT_PA);
	EXPECT_TRUE(t, x);
}

KTEST(acpi_rsdp, v2_without_xsdt_uses_rsdt)
{
	uint8_t b[36];
	struct acpi_rsdp_info r;
	bool x;

	rsdp_v2(b, RSDT_PA, 0);
	ASSERT_OK(t, acpi_parse_rsdp(exact(b, 36), 36, &r, &diag));
	EXPECT_EQ(t, acpi_rsdp_root(&r, &x), RSDT_PA);
	EXPECT_FALSE(t, x);
}

KTEST(acpi_rsdp, v2_longer_structure)
{
	uint8_t b[40] = { 0 };
	struct acpi_rsdp_info r;

	rsdp_v2(b, RSDT_PA, XSDT_PA);
	w32(b + 20, 40);
	b[38] = 0x5a;
	fix_sum(b, 40, 32);
	ASSERT_OK(t, acpi_parse_rsdp(exact(b, 40), 40, &r, &diag));
	EXPECT_EQ(t, r.length, 40);
}

KTEST(acpi_rsdp, bad_signature)
{
	uint8_t b[36];
	struct acpi_rsdp_info r;

	cap_reset();
	rsdp_v1(b, RSDT_PA);
	b[4] = 'p';
	fix_sum(b, 20, 8);
	EXPECT_ERR(t, acpi_parse_rsdp(exact(b, 20), 20, &r, &diag), -EINVAL);
	EXPECT_MSG(t, "RSDP: signature");
}

KTEST(acpi_rsdp, bad_checksum)
{
	uint8_t b[36];
	struct acpi_rsdp_info r;

	cap_reset();
	rsdp_v1(b, RSDT_PA);
	b[8] += 3;
	EXPECT_ERR(t, acpi_parse_rsdp(exact(b, 20), 20, &r, &diag), -EBADMSG);
	EXPECT_MSG(t, "RSDP: checksum of the first 20 bytes is 0x03");
}

KTEST(acpi_rsdp, bad_extended_checksum)
{
	uint8_t b[36];
	struct acpi_rsdp_info r;

	cap_reset();
	rsdp_v2(b, RSDT_PA, XSDT_PA);
	b[32] += 1;			/* first 20 bytes still sum to 0 */
	EXPECT_ERR(t, acpi_parse_rsdp(exact(b, 36), 36, &r, &diag), -EBADMSG);
	EXPECT_MSG(t, "RSDP: extended checksum over 36 bytes is 0x01");
}

KTEST(acpi_rsdp, too_short)
{
	uint8_t b[36];
	struct acpi_rsdp_info r;

	cap_reset();
	rsdp_v1(b, RSDT_PA);
	EXPECT_ERR(t, acpi_parse_rsdp(exact(b, 19), 19, &r, &diag), -EINVAL);
	EXPECT_MSG(t, "RSDP: 19 bytes, need at least 20");
}

KTEST(acpi_rsdp, v2_in_a_v1_sized_copy)
{
	uint8_t b[36];
	struct acpi_rsdp_info r;

	cap_reset();
	rsdp_v2(b, RSDT_PA, XSDT_PA);
	EXPECT_ERR(t, acpi_parse_rsdp(exact(b, 20), 20, &r, &diag), -EINVAL);
	EXPECT_MSG(t, "RSDP: revision 2 needs 36 bytes, only 20 given");
}

KTEST(acpi_rsdp, v2_bad_length_field)
{
	uint8_t b[36];
	struct acpi_rsdp_info r;

	cap_reset();
	rsdp_v2(b, RSDT_PA, XSDT_PA);
	w32(b + 20, 100);
	fix_sum(b, 36, 32);
	EXPECT_ERR(t, acpi_parse_rsdp(exact(b, 36), 36, &r, &diag), -EINVAL);
	EXPECT_MSG(t, "RSDP: length 100 is outside 36..36");

	w32(b + 20, 20);
	fix_sum(b, 36, 32);
	EXPECT_ERR(t, acpi_parse_rsdp(exact(b, 36), 36, &r, &diag), -EINVAL);
	EXPECT_MSG(t, "RSDP: length 20 is outside");
}

KTEST(acpi_rsdp, no_root_address)
{
	uint8_t b[36];
	struct acpi_rsdp_info r;

	cap_reset();
	rsdp_v2(b, 0, 0);
	EXPECT_ERR(t, acpi_parse_rsdp(exact(b, 36), 36, &r, &diag), -EINVAL);
	EXPECT_MSG(t, "neither an RSDT nor an XSDT");
}

/* --------------------------------------------------------- SDT header -- */

static void small_table(struct tbl *t)
{
	sdt_begin(t, "SSDT", 1);
	add32(t, 0xdeadbeef);
	sdt_finish(t);
}

KTEST(acpi_sdt, valid)
{
	struct tbl t_;

	cap_reset();
	small_table(&t_);
	EXPECT_OK(t, acpi_sdt_validate(EXACT(&t_), t_.len, t_.len, "SSDT", &diag));
	EXPECT_OK(t, acpi_sdt_validate(EXACT(&t_), t_.len, 4096, NULL, &diag));
	EXPECT_EQ(t, cap.n, 0);
}

KTEST(acpi_sdt, buffer_shorter_than_header)
{
	struct tbl t_;

	cap_reset();
	small_table(&t_);
	EXPECT_ERR(t, acpi_sdt_validate(exact(t_.b, 30), 30, 4096, "SSDT", &diag), -EINVAL);
	EXPECT_MSG(t, "SSDT: only 30 bytes, less than the 36-byte table header");
}

KTEST(acpi_sdt, wrong_signature)
{
	struct tbl t_;

	cap_reset();
	small_table(&t_);
	EXPECT_ERR(t, acpi_sdt_validate(EXACT(&t_), t_.len, 4096, "APIC", &diag), -EINVAL);
	EXPECT_MSG(t, "APIC: signature is \"SSDT\"");
}

KTEST(acpi_sdt, length_less_than_header)
{
	struct tbl t_;

	cap_reset();
	small_table(&t_);
	w32(t_.b + 4, 20);
	fix_sum(t_.b, 20, CSUM_OFF);
	EXPECT_ERR(t, acpi_sdt_validate(EXACT(&t_), t_.len, 4096, NULL, &diag), -EINVAL);
	EXPECT_MSG(t, "SSDT: length 20 is less than the 36-byte header");
}

KTEST(acpi_sdt, length_past_buffer)
{
	struct tbl t_;

	cap_reset();
	small_table(&t_);
	EXPECT_ERR(t, acpi_sdt_validate(exact(t_.b, 38), 38, 4096, NULL, &diag), -EINVAL);
	EXPECT_MSG(t, "SSDT: length 40 runs past the 38 bytes available");
}

KTEST(acpi_sdt, length_over_limit)
{
	struct tbl t_;

	cap_reset();
	small_table(&t_);
	EXPECT_ERR(t, acpi_sdt_validate(EXACT(&t_), t_.len, 39, NULL, &diag), -EINVAL);
	EXPECT_MSG(t, "SSDT: length 40 exceeds the limit 39");
}

KTEST(acpi_sdt, bad_checksum)
{
	struct tbl t_;

	cap_reset();
	small_table(&t_);
	t_.b[38] ^= 0x10;
	EXPECT_ERR(t, acpi_sdt_validate(EXACT(&t_), t_.len, 4096, NULL, &diag), -EBADMSG);
	EXPECT_MSG(t, "SSDT: checksum over 40 bytes is 0x");
}

/* ---------------------------------------------------------- RSDT/XSDT -- */

KTEST(acpi_root, rsdt_entries)
{
	struct tbl t_;
	uint64_t a[8];
	unsigned n;

	sdt_begin(&t_, "RSDT", 1);
	add32(&t_, 0x1000);
	add32(&t_, 0x2000);
	add32(&t_, 0xfffff000u);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_root(EXACT(&t_), t_.len, a, 8, &n, &diag));
	ASSERT_EQ(t, n, 3);
	EXPECT_EQ(t, a[0], 0x1000);
	EXPECT_EQ(t, a[1], 0x2000);
	EXPECT_EQ(t, a[2], 0xfffff000u);
}

KTEST(acpi_root, xsdt_entries_above_4g)
{
	struct tbl t_;
	uint64_t a[8];
	unsigned n;

	sdt_begin(&t_, "XSDT", 1);
	add64(&t_, 0x123456789000ull);
	add64(&t_, 0x1000);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_root(EXACT(&t_), t_.len, a, 8, &n, &diag));
	ASSERT_EQ(t, n, 2);
	EXPECT_EQ(t, a[0], 0x123456789000ull);
	EXPECT_EQ(t, a[1], 0x1000);
}

KTEST(acpi_root, xsdt_partial_entry)
{
	struct tbl t_;
	uint64_t a[8];
	unsigned n;

	cap_reset();
	sdt_begin(&t_, "XSDT", 1);
	add64(&t_, 0x1000);
	add32(&t_, 0x2000);
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_root(EXACT(&t_), t_.len, a, 8, &n, &diag), -EINVAL);
	EXPECT_MSG(t, "XSDT: length 48 leaves a partial 8-byte entry at offset 0x2c");
}

KTEST(acpi_root, null_entry_skipped_and_overflow_reported)
{
	struct tbl t_;
	uint64_t a[2];
	unsigned n;

	cap_reset();
	sdt_begin(&t_, "RSDT", 1);
	add32(&t_, 0x1000);
	add32(&t_, 0);
	add32(&t_, 0x2000);
	add32(&t_, 0x3000);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_root(EXACT(&t_), t_.len, a, 2, &n, &diag));
	EXPECT_EQ(t, n, 2);
	EXPECT_EQ(t, a[1], 0x2000);
	EXPECT_MSG(t, "RSDT: entry at offset 0x28 is a null address, skipped");
	EXPECT_MSG(t, "RSDT: more than 2 tables, entry at offset 0x30 (0x3000) dropped");
}

KTEST(acpi_root, bad_checksum)
{
	struct tbl t_;
	uint64_t a[2];
	unsigned n;

	sdt_begin(&t_, "RSDT", 1);
	add32(&t_, 0x1000);
	sdt_finish(&t_);
	t_.b[CSUM_OFF]++;
	EXPECT_ERR(t, acpi_parse_root(EXACT(&t_), t_.len, a, 2, &n, &diag), -EBADMSG);
}

/* -------------------------------------------------------------- MADT -- */

#define LAPIC_PA	0xfee00000u
#define IOAPIC_PA	0xfec00000u

static void madt_begin(struct tbl *t, uint32_t flags)
{
	sdt_begin(t, "APIC", 3);
	add32(t, LAPIC_PA);
	add32(t, flags);
}

static void e_lapic(struct tbl *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	add8(t, 0); add8(t, 8); add8(t, uid); add8(t, id); add32(t, flags);
}

static void e_ioapic(struct tbl *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
	add8(t, 1); add8(t, 12); add8(t, id); add8(t, 0); add32(t, addr); add32(t, gsi);
}

static void e_override(struct tbl *t, uint8_t src, uint32_t gsi, uint16_t flags)
{
	add8(t, 2); add8(t, 10); add8(t, 0); add8(t, src); add32(t, gsi); add16(t, flags);
}

static void e_nmi_source(struct tbl *t, uint16_t flags, uint32_t gsi)
{
	add8(t, 3); add8(t, 8); add16(t, flags); add32(t, gsi);
}

static void e_lapic_nmi(struct tbl *t, uint8_t uid, uint16_t flags, uint8_t lint)
{
	add8(t, 4); add8(t, 6); add8(t, uid); add16(t, flags); add8(t, lint);
}

static void e_lapic_override(struct tbl *t, uint64_t addr)
{
	add8(t, 5); add8(t, 12); add16(t, 0); add64(t, addr);
}

static void e_x2apic(struct tbl *t, uint32_t id, uint32_t flags, uint32_t uid)
{
	add8(t, 9); add8(t, 16); add16(t, 0); add32(t, id); add32(t, flags); add32(t, uid);
}

static void e_x2apic_nmi(struct tbl *t, uint16_t flags, uint32_t uid, uint8_t lint)
{
	add8(t, 10); add8(t, 12); add16(t, flags); add32(t, uid); add8(t, lint);
	add8(t, 0); add8(t, 0); add8(t, 0);
}

static struct acpi_madt_info madt;

KTEST(acpi_madt, pc_like_layout)
{
	struct tbl t_;

	cap_reset();
	madt_begin(&t_, 1);
	e_lapic(&t_, 0, 0, 1);
	e_lapic(&t_, 1, 1, 1);
	e_ioapic(&t_, 0, IOAPIC_PA, 0);
	e_override(&t_, 0, 2, 0);
	e_override(&t_, 9, 9, 0xd);
	e_nmi_source(&t_, 0x5, 23);
	e_lapic_nmi(&t_, 0xff, 0, 1);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag));
	EXPECT_EQ(t, cap.n, 0);
	EXPECT_EQ(t, madt.revision, 3);
	EXPECT_EQ(t, madt.lapic_addr, LAPIC_PA);
	EXPECT_TRUE(t, madt.pcat_compat);
	ASSERT_EQ(t, madt.ncpus, 2);
	EXPECT_EQ(t, madt.cpus[1].apic_id, 1);
	EXPECT_EQ(t, madt.cpus[1].uid, 1);
	EXPECT_TRUE(t, madt.cpus[1].enabled);
	EXPECT_FALSE(t, madt.cpus[1].x2apic);
	ASSERT_EQ(t, madt.nioapics, 1);
	EXPECT_EQ(t, madt.ioapics[0].addr, IOAPIC_PA);
	EXPECT_EQ(t, madt.ioapics[0].gsi_base, 0);
	ASSERT_EQ(t, madt.noverrides, 2);
	EXPECT_EQ(t, madt.overrides[0].source, 0);
	EXPECT_EQ(t, madt.overrides[0].gsi, 2);
	EXPECT_EQ(t, madt.overrides[1].flags & ACPI_INTI_POLARITY_MASK, ACPI_INTI_POLARITY_HIGH);
	EXPECT_EQ(t, madt.overrides[1].flags & ACPI_INTI_TRIGGER_MASK, ACPI_INTI_TRIGGER_LEVEL);
	ASSERT_EQ(t, madt.nnmi_sources, 1);
	EXPECT_EQ(t, madt.nmi_sources[0].gsi, 23);
	EXPECT_EQ(t, madt.nmi_sources[0].flags, 5);
	ASSERT_EQ(t, madt.nlapic_nmis, 1);
	EXPECT_EQ(t, madt.lapic_nmis[0].uid, ACPI_UID_ALL_CPUS);
	EXPECT_EQ(t, madt.lapic_nmis[0].lint, 1);
	EXPECT_EQ(t, madt.dropped, 0);
	EXPECT_EQ(t, madt.unknown, 0);
}

KTEST(acpi_madt, no_pcat_compat)
{
	struct tbl t_;

	madt_begin(&t_, 0);
	e_lapic(&t_, 0, 0, 1);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag));
	EXPECT_FALSE(t, madt.pcat_compat);
	EXPECT_EQ(t, madt.flags, 0);
}

KTEST(acpi_madt, x2apic_entries)
{
	struct tbl t_;

	madt_begin(&t_, 1);
	e_x2apic(&t_, 300, 1, 7);
	e_x2apic_nmi(&t_, 0xd, 0xffffffffu, 1);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag));
	ASSERT_EQ(t, madt.ncpus, 1);
	EXPECT_EQ(t, madt.cpus[0].apic_id, 300);
	EXPECT_EQ(t, madt.cpus[0].uid, 7);
	EXPECT_TRUE(t, madt.cpus[0].x2apic);
	ASSERT_EQ(t, madt.nlapic_nmis, 1);
	EXPECT_EQ(t, madt.lapic_nmis[0].uid, ACPI_UID_ALL_CPUS);
	EXPECT_EQ(t, madt.lapic_nmis[0].flags, 0xd);
}

KTEST(acpi_madt, lapic_address_override)
{
	struct tbl t_;

	madt_begin(&t_, 1);
	e_lapic(&t_, 0, 0, 1);
	e_lapic_override(&t_, 0xfedc00000000ull);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag));
	EXPECT_EQ(t, madt.lapic_addr, 0xfedc00000000ull);
}

KTEST(acpi_madt, cpu_flags)
{
	struct tbl t_;

	madt_begin(&t_, 1);
	e_lapic(&t_, 0, 0, ACPI_MADT_CPU_ENABLED);
	e_lapic(&t_, 1, 1, 0);				/* unusable: ignored */
	e_lapic(&t_, 2, 2, ACPI_MADT_CPU_ONLINE_CAPABLE);
	e_x2apic(&t_, 3, 0, 3);				/* unusable: ignored */
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag));
	ASSERT_EQ(t, madt.ncpus, 2);
	EXPECT_EQ(t, madt.unusable_cpus, 2);
	EXPECT_TRUE(t, madt.cpus[0].enabled);
	EXPECT_FALSE(t, madt.cpus[0].online_capable);
	EXPECT_EQ(t, madt.cpus[1].apic_id, 2);
	EXPECT_FALSE(t, madt.cpus[1].enabled);
	EXPECT_TRUE(t, madt.cpus[1].online_capable);
}

KTEST(acpi_madt, broadcast_apic_id_skipped)
{
	struct tbl t_;

	cap_reset();
	madt_begin(&t_, 1);
	e_lapic(&t_, 0, 0xff, 1);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag));
	EXPECT_EQ(t, madt.ncpus, 0);
	EXPECT_MSG(t, "MADT: local APIC entry at offset 0x2c has APIC ID 0xff, skipped");
}

KTEST(acpi_madt, zero_length_entry)
{
	struct tbl t_;

	cap_reset();
	madt_begin(&t_, 1);
	add8(&t_, 0);
	add8(&t_, 0);
	e_lapic(&t_, 0, 0, 1);
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag), -EINVAL);
	EXPECT_MSG(t, "MADT: entry at offset 0x2c has length 0 (must be >= 2)");
	EXPECT_EQ(t, cap.nerr, 1);
}

KTEST(acpi_madt, length_one_entry)
{
	struct tbl t_;

	cap_reset();
	madt_begin(&t_, 1);
	e_lapic(&t_, 0, 0, 1);
	add8(&t_, 0x7f);
	add8(&t_, 1);
	add16(&t_, 0);
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag), -EINVAL);
	EXPECT_MSG(t, "MADT: entry at offset 0x34 has length 1 (must be >= 2)");
}

KTEST(acpi_madt, entry_past_end)
{
	struct tbl t_;

	cap_reset();
	madt_begin(&t_, 1);
	e_lapic(&t_, 0, 0, 1);
	add8(&t_, 1);			/* I/O APIC claiming 12 bytes, 6 present */
	add8(&t_, 12);
	add32(&t_, 0);
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag), -EINVAL);
	EXPECT_MSG(t, "MADT: entry at offset 0x34 (type 1, length 12) runs past the table end (6 bytes left)");
}

KTEST(acpi_madt, one_byte_left)
{
	struct tbl t_;

	cap_reset();
	madt_begin(&t_, 1);
	e_lapic(&t_, 0, 0, 1);
	add8(&t_, 0);
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag), -EINVAL);
	EXPECT_MSG(t, "MADT: entry at offset 0x34: 1 byte left, need 2");
}

KTEST(acpi_madt, known_entry_too_short)
{
	struct tbl t_;

	cap_reset();
	madt_begin(&t_, 1);
	add8(&t_, 0);			/* local APIC with length 6 */
	add8(&t_, 6);
	add8(&t_, 0);
	add8(&t_, 0);
	add16(&t_, 1);
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag), -EINVAL);
	EXPECT_MSG(t, "MADT: local APIC entry at offset 0x2c has length 6 (must be >= 8)");
}

KTEST(acpi_madt, longer_entry_accepted)
{
	struct tbl t_;

	madt_begin(&t_, 1);
	add8(&t_, 1);			/* I/O APIC with 4 extra bytes */
	add8(&t_, 16);
	add8(&t_, 2);
	add8(&t_, 0);
	add32(&t_, IOAPIC_PA);
	add32(&t_, 24);
	add32(&t_, 0xffffffffu);
	e_lapic(&t_, 0, 5, 1);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag));
	EXPECT_EQ(t, madt.ioapics[0].id, 2);
	EXPECT_EQ(t, madt.ioapics[0].gsi_base, 24);
	ASSERT_EQ(t, madt.ncpus, 1);
	EXPECT_EQ(t, madt.cpus[0].apic_id, 5);
}

KTEST(acpi_madt, unknown_type_skipped)
{
	struct tbl t_;

	cap_reset();
	madt_begin(&t_, 1);
	add8(&t_, 0x7f);
	add8(&t_, 4);
	add16(&t_, 0xabcd);
	add8(&t_, 11);			/* a GICC-type entry: not ours */
	add8(&t_, 2);
	e_lapic(&t_, 0, 3, 1);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag));
	EXPECT_EQ(t, madt.unknown, 2);
	EXPECT_EQ(t, madt.ncpus, 1);
	EXPECT_EQ(t, madt.cpus[0].apic_id, 3);
	EXPECT_EQ(t, cap.ninfo, 2);
	EXPECT_EQ(t, cap.nerr, 0);
	EXPECT_MSG(t, "MADT: unknown entry type 127 at offset 0x2c (length 4), skipped");
	EXPECT_MSG(t, "MADT: unknown entry type 11 at offset 0x30 (length 2), skipped");
}

KTEST(acpi_madt, too_many_cpus)
{
	struct tbl t_;

	cap_reset();
	madt_begin(&t_, 1);
	for (unsigned i = 0; i < ACPI_MAX_CPUS + 6; i++)
		e_lapic(&t_, i, i, 1);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag));
	EXPECT_EQ(t, madt.ncpus, ACPI_MAX_CPUS);
	EXPECT_EQ(t, madt.dropped, 6);
	EXPECT_EQ(t, madt.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
	EXPECT_EQ(t, cap.nwarn, 6);
	EXPECT_MSG(t, "MADT: more than 64 CPUs, entry at offset 0x22c dropped");
}

KTEST(acpi_madt, too_many_ioapics_and_overrides)
{
	struct tbl t_;

	cap_reset();
	madt_begin(&t_, 1);
	for (unsigned i = 0; i < ACPI_MAX_IOAPICS + 1; i++)
		e_ioapic(&t_, i, IOAPIC_PA + i * 0x1000, i * 24);
	for (unsigned i = 0; i < ACPI_MAX_OVERRIDES + 1; i++)
		e_override(&t_, i, i, 0);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag));
	EXPECT_EQ(t, madt.nioapics, ACPI_MAX_IOAPICS);
	EXPECT_EQ(t, madt.noverrides, ACPI_MAX_OVERRIDES);
	EXPECT_EQ(t, madt.dropped, 2);
	EXPECT_MSG(t, "more than 8 I/O APICs");
	EXPECT_MSG(t, "more than 16 interrupt overrides");
}

KTEST(acpi_madt, shorter_than_madt_header)
{
	struct tbl t_;

	cap_reset();
	sdt_begin(&t_, "APIC", 3);
	add32(&t_, LAPIC_PA);
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag), -EINVAL);
	EXPECT_MSG(t, "MADT: length 40 is less than the 44-byte MADT header");
}

KTEST(acpi_madt, bad_checksum_and_signature)
{
	struct tbl t_;

	madt_begin(&t_, 1);
	e_lapic(&t_, 0, 0, 1);
	sdt_finish(&t_);
	t_.b[46] ^= 1;
	EXPECT_ERR(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag), -EBADMSG);
	t_.b[46] ^= 1;
	memcpy(t_.b, "APIX", 4);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	EXPECT_ERR(t, acpi_parse_madt(EXACT(&t_), t_.len, &madt, &diag), -EINVAL);
}

KTEST(acpi_madt, truncated_buffer)
{
	struct tbl t_;

	cap_reset();
	madt_begin(&t_, 1);
	e_lapic(&t_, 0, 0, 1);
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_madt(exact(t_.b, t_.len - 4), t_.len - 4, &madt, &diag), -EINVAL);
	EXPECT_MSG(t, "APIC: length 52 runs past the 48 bytes available");
}

/* -------------------------------------------------------------- FADT -- */

/* FADT field offsets, ACPI 6.5 5.2.9. */
#define F_FIRMWARE_CTRL	36
#define F_DSDT		40
#define F_SCI_INT	46
#define F_SMI_CMD	48
#define F_ACPI_ENABLE	52
#define F_PM1A_EVT	56
#define F_PM1B_EVT	60
#define F_PM1A_CNT	64
#define F_PM1B_CNT	68
#define F_PM_TMR	76
#define F_PM1_EVT_LEN	88
#define F_PM1_CNT_LEN	89
#define F_PM_TMR_LEN	91
#define F_CENTURY	108
#define F_BOOT_ARCH	109
#define F_FLAGS		112
#define F_RESET_REG	116
#define F_RESET_VALUE	128
#define F_X_FACS	132
#define F_X_DSDT	140
#define F_X_PM1A_EVT	148
#define F_X_PM1A_CNT	172
#define F_X_PM1B_CNT	184
#define F_X_PM_TMR	208
#define FADT_V1_LEN	116
#define FADT_V3_LEN	244
#define FADT_V6_LEN	276

#define PM_BASE		0x600
#define DSDT_PA		0x7fe0040u

static void gas(uint8_t *p, uint8_t space, uint8_t width, uint64_t addr)
{
	p[0] = space;
	p[1] = width;
	p[2] = 0;
	p[3] = 0;
	w64(p + 4, addr);
}

/* A FADT like QEMU's q35 one, cut to @len bytes (with header fixed). */
static void fadt_build(struct tbl *t, uint8_t rev, size_t len)
{
	sdt_begin(t, "FACP", rev);
	w32(t->b + F_FIRMWARE_CTRL, 0x7fe0000);
	w32(t->b + F_DSDT, DSDT_PA);
	w16(t->b + F_SCI_INT, 9);
	w32(t->b + F_SMI_CMD, 0xb2);
	t->b[F_ACPI_ENABLE] = 0xf1;
	t->b[F_ACPI_ENABLE + 1] = 0xf0;
	w32(t->b + F_PM1A_EVT, PM_BASE);
	w32(t->b + F_PM1A_CNT, PM_BASE + 4);
	w32(t->b + F_PM_TMR, PM_BASE + 8);
	t->b[F_PM1_EVT_LEN] = 4;
	t->b[F_PM1_CNT_LEN] = 2;
	t->b[F_PM_TMR_LEN] = 4;
	t->b[F_CENTURY] = 0x32;
	w16(t->b + F_BOOT_ARCH, ACPI_BOOT_ARCH_8042);
	w32(t->b + F_FLAGS, 0x84a5);		/* includes RESET_REG_SUP */
	gas(t->b + F_RESET_REG, ACPI_SPACE_IO, 8, 0xcf9);
	t->b[F_RESET_VALUE] = 0x0f;
	w64(t->b + F_X_DSDT, DSDT_PA);
	gas(t->b + F_X_PM1A_EVT, ACPI_SPACE_IO, 32, PM_BASE);
	gas(t->b + F_X_PM1A_CNT, ACPI_SPACE_IO, 16, PM_BASE + 4);
	gas(t->b + F_X_PM_TMR, ACPI_SPACE_IO, 32, PM_BASE + 8);
	t->len = len;
	sdt_finish(t);
}

static struct acpi_fadt_info fadt;

KTEST(acpi_fadt, rev3_full)
{
	struct tbl t_;

	cap_reset();
	fadt_build(&t_, 3, FADT_V3_LEN);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_EQ(t, cap.n, 0);
	EXPECT_EQ(t, fadt.revision, 3);
	EXPECT_EQ(t, fadt.length, FADT_V3_LEN);
	EXPECT_EQ(t, fadt.dsdt, DSDT_PA);
	EXPECT_EQ(t, fadt.facs, 0x7fe0000);
	EXPECT_EQ(t, fadt.sci_irq, 9);
	EXPECT_EQ(t, fadt.smi_cmd, 0xb2);
	EXPECT_EQ(t, fadt.acpi_enable, 0xf1);
	EXPECT_EQ(t, fadt.acpi_disable, 0xf0);
	EXPECT_EQ(t, fadt.pm1a_cnt.space, ACPI_SPACE_IO);
	EXPECT_EQ(t, fadt.pm1a_cnt.addr, PM_BASE + 4);
	EXPECT_EQ(t, fadt.pm1a_cnt.bit_width, 16);
	EXPECT_EQ(t, fadt.pm1b_cnt.addr, 0);
	EXPECT_EQ(t, fadt.pm1a_evt.addr, PM_BASE);
	EXPECT_EQ(t, fadt.pm_tmr.addr, PM_BASE + 8);
	EXPECT_EQ(t, fadt.pm1_cnt_len, 2);
	EXPECT_TRUE(t, fadt.reset_supported);
	EXPECT_EQ(t, fadt.reset_reg.space, ACPI_SPACE_IO);
	EXPECT_EQ(t, fadt.reset_reg.addr, 0xcf9);
	EXPECT_EQ(t, fadt.reset_value, 0x0f);
	EXPECT_EQ(t, fadt.flags, 0x84a5);
	EXPECT_FALSE(t, fadt.hw_reduced);
	EXPECT_EQ(t, fadt.boot_arch, ACPI_BOOT_ARCH_8042);
	EXPECT_EQ(t, fadt.century, 0x32);
}

KTEST(acpi_fadt, rev6_full_length)
{
	struct tbl t_;

	cap_reset();
	fadt_build(&t_, 6, FADT_V6_LEN);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_EQ(t, fadt.length, FADT_V6_LEN);
	EXPECT_EQ(t, fadt.dsdt, DSDT_PA);
	EXPECT_EQ(t, cap.n, 0);
}

KTEST(acpi_fadt, rev1_uses_legacy_fields)
{
	struct tbl t_;

	cap_reset();
	fadt_build(&t_, 1, FADT_V1_LEN);
	w32(t_.b + F_FLAGS, 0x80a5);		/* QEMU pc: no RESET_REG_SUP */
	w32(t_.b + F_PM1B_CNT, 0x640);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_EQ(t, cap.n, 0);
	EXPECT_EQ(t, fadt.revision, 1);
	EXPECT_EQ(t, fadt.dsdt, DSDT_PA);
	EXPECT_EQ(t, fadt.pm1a_cnt.space, ACPI_SPACE_IO);
	EXPECT_EQ(t, fadt.pm1a_cnt.addr, PM_BASE + 4);
	EXPECT_EQ(t, fadt.pm1a_cnt.bit_width, 16);
	EXPECT_EQ(t, fadt.pm1b_cnt.addr, 0x640);
	EXPECT_FALSE(t, fadt.reset_supported);
	EXPECT_EQ(t, fadt.reset_reg.addr, 0);
}

KTEST(acpi_fadt, rev1_with_reset_flag_has_no_reset_reg)
{
	struct tbl t_;

	cap_reset();
	fadt_build(&t_, 1, FADT_V1_LEN);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_FALSE(t, fadt.reset_supported);
	EXPECT_MSG(t, "FADT: RESET_REG_SUP is set but length 116 holds no RESET_REG/RESET_VALUE");
}

KTEST(acpi_fadt, cut_after_reset_value)
{
	struct tbl t_;

	cap_reset();
	fadt_build(&t_, 2, 132);		/* RESET_REG yes, X_DSDT no */
	w32(t_.b + F_DSDT, 0x1234000);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_TRUE(t, fadt.reset_supported);
	EXPECT_EQ(t, fadt.dsdt, 0x1234000);
	EXPECT_EQ(t, fadt.pm1a_cnt.addr, PM_BASE + 4);
	EXPECT_EQ(t, cap.n, 0);
}

KTEST(acpi_fadt, cut_inside_x_dsdt)
{
	struct tbl t_;

	fadt_build(&t_, 3, F_X_DSDT + 4);	/* half of X_DSDT: absent */
	w32(t_.b + F_DSDT, 0x1234000);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_EQ(t, fadt.dsdt, 0x1234000);
}

KTEST(acpi_fadt, shorter_than_v1)
{
	struct tbl t_;

	cap_reset();
	fadt_build(&t_, 1, 100);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_MSG(t, "FADT: length 100 is shorter than an ACPI 1.0 FADT (116)");
	EXPECT_EQ(t, fadt.flags, 0);
	EXPECT_EQ(t, fadt.century, 0);
	EXPECT_EQ(t, fadt.pm1a_cnt.addr, PM_BASE + 4);
	EXPECT_FALSE(t, fadt.reset_supported);
}

KTEST(acpi_fadt, x_dsdt_wins)
{
	struct tbl t_;

	cap_reset();
	fadt_build(&t_, 3, FADT_V3_LEN);
	w64(t_.b + F_X_DSDT, 0x100000000ull);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_EQ(t, fadt.dsdt, 0x100000000ull);
	EXPECT_MSG(t, "FADT: DSDT 0x7fe0040 and X_DSDT 0x100000000 differ, using X_DSDT");
}

KTEST(acpi_fadt, x_facs_wins)
{
	struct tbl t_;

	fadt_build(&t_, 3, FADT_V3_LEN);
	w32(t_.b + F_FIRMWARE_CTRL, 0);
	w64(t_.b + F_X_FACS, 0x200000000ull);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_EQ(t, fadt.facs, 0x200000000ull);
}

KTEST(acpi_fadt, zero_x_pm1_falls_back_to_legacy)
{
	struct tbl t_;

	fadt_build(&t_, 3, FADT_V3_LEN);
	gas(t_.b + F_X_PM1A_CNT, 0, 0, 0);
	w32(t_.b + F_PM1A_CNT, 0x1004);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_EQ(t, fadt.pm1a_cnt.space, ACPI_SPACE_IO);
	EXPECT_EQ(t, fadt.pm1a_cnt.addr, 0x1004);
}

KTEST(acpi_fadt, pm1_in_memory_space_reported)
{
	struct tbl t_;

	cap_reset();
	fadt_build(&t_, 5, 268);
	gas(t_.b + F_X_PM1A_CNT, ACPI_SPACE_MEMORY, 16, 0xfed80004ull);
	gas(t_.b + F_X_PM1B_CNT, ACPI_SPACE_IO, 16, 0x12345);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_EQ(t, fadt.pm1a_cnt.space, ACPI_SPACE_MEMORY);
	EXPECT_EQ(t, fadt.pm1a_cnt.addr, 0xfed80004ull);
	EXPECT_MSG(t, "FADT: PM1a_CNT_BLK is in address space 0 (system memory); only system I/O is supported");
	EXPECT_MSG(t, "FADT: PM1b_CNT_BLK port 0x12345 is above 0xffff");
}

KTEST(acpi_fadt, no_pm1a)
{
	struct tbl t_;

	cap_reset();
	fadt_build(&t_, 3, FADT_V3_LEN);
	gas(t_.b + F_X_PM1A_CNT, 0, 0, 0);
	w32(t_.b + F_PM1A_CNT, 0);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_MSG(t, "FADT: no PM1a control block");

	cap_reset();
	w32(t_.b + F_FLAGS, ACPI_FADT_HW_REDUCED_ACPI);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_TRUE(t, fadt.hw_reduced);
	EXPECT_EQ(t, cap.n, 0);
}

KTEST(acpi_fadt, reset_reg_wrong_width)
{
	struct tbl t_;

	cap_reset();
	fadt_build(&t_, 3, FADT_V3_LEN);
	gas(t_.b + F_RESET_REG, ACPI_SPACE_IO, 16, 0xcf9);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_FALSE(t, fadt.reset_supported);
	EXPECT_MSG(t, "FADT: RESET_REG is 16 bits at bit offset 0 (must be 8 at 0)");
}

KTEST(acpi_fadt, reset_reg_in_memory)
{
	struct tbl t_;

	cap_reset();
	fadt_build(&t_, 3, FADT_V3_LEN);
	gas(t_.b + F_RESET_REG, ACPI_SPACE_MEMORY, 8, 0xfed00000ull);
	fix_sum(t_.b, t_.len, CSUM_OFF);
	ASSERT_OK(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag));
	EXPECT_FALSE(t, fadt.reset_supported);
	EXPECT_EQ(t, fadt.reset_reg.space, ACPI_SPACE_MEMORY);
	EXPECT_MSG(t, "FADT: RESET_REG is in address space 0 (system memory)");
}

KTEST(acpi_fadt, bad_checksum)
{
	struct tbl t_;

	fadt_build(&t_, 3, FADT_V3_LEN);
	t_.b[F_SCI_INT]++;
	EXPECT_ERR(t, acpi_parse_fadt(EXACT(&t_), t_.len, &fadt, &diag), -EBADMSG);
}

/* ---------------------------------------------------------------- _S5 -- */

#define NAME_OP		0x08
#define PACKAGE_OP	0x12
#define S5		'_', 'S', '5', '_'

static struct acpi_sleep_type slp;

/* Parse @aml (an exact-size copy) for \_S5_. */
static int s5(const uint8_t *aml, size_t len)
{
	return acpi_aml_find_s5(exact(aml, len), len, &slp, &diag);
}

#define S5_OF(...) ({								\
	static const uint8_t aml_[] = { __VA_ARGS__ };				\
	s5(aml_, sizeof(aml_));							\
})

KTEST(acpi_s5, zero_and_one_ops)
{
	ASSERT_OK(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x06, 0x04, 0x00, 0x01, 0x00, 0x00));
	EXPECT_EQ(t, slp.slp_typa, 0);
	EXPECT_EQ(t, slp.slp_typb, 1);
}

KTEST(acpi_s5, byte_prefix)
{
	ASSERT_OK(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x07, 0x00, 0x00));
	EXPECT_EQ(t, slp.slp_typa, 5);
	EXPECT_EQ(t, slp.slp_typb, 7);
}

KTEST(acpi_s5, word_prefix)
{
	ASSERT_OK(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x08, 0x02, 0x0b, 0x06, 0x00, 0x0b, 0x03, 0x00));
	EXPECT_EQ(t, slp.slp_typa, 6);
	EXPECT_EQ(t, slp.slp_typb, 3);
}

KTEST(acpi_s5, dword_prefix)
{
	ASSERT_OK(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x0c, 0x02,
			   0x0c, 0x02, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x00, 0x00, 0x00));
	EXPECT_EQ(t, slp.slp_typa, 2);
	EXPECT_EQ(t, slp.slp_typb, 4);
}

KTEST(acpi_s5, qword_prefix)
{
	ASSERT_OK(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x14, 0x02,
			   0x0e, 0x07, 0, 0, 0, 0, 0, 0, 0,
			   0x0e, 0x01, 0, 0, 0, 0, 0, 0, 0));
	EXPECT_EQ(t, slp.slp_typa, 7);
	EXPECT_EQ(t, slp.slp_typb, 1);
}

KTEST(acpi_s5, root_prefixed_name)
{
	ASSERT_OK(t, S5_OF(0x10, 0x05, '_', 'S', 'B', '_',		/* Scope(_SB) {} */
			   NAME_OP, '\\', S5, PACKAGE_OP, 0x05, 0x02, 0x0a, 0x05, 0x01));
	EXPECT_EQ(t, slp.slp_typa, 5);
	EXPECT_EQ(t, slp.slp_typb, 1);
}

KTEST(acpi_s5, two_byte_pkglength)
{
	uint8_t aml[96];
	size_t n = 0, count = 62, body = 4 + (count - 2);

	aml[n++] = NAME_OP;
	memcpy(aml + n, "_S5_", 4);
	n += 4;
	aml[n++] = PACKAGE_OP;
	/* PkgLength = 2 (itself) + 1 (NumElements) + body = 67 = 0x43 */
	aml[n++] = 0x40 | ((2 + 1 + body) & 0x0f);
	aml[n++] = (2 + 1 + body) >> 4;
	aml[n++] = count;
	aml[n++] = 0x0a;
	aml[n++] = 0x03;
	aml[n++] = 0x0a;
	aml[n++] = 0x04;
	memset(aml + n, 0x00, count - 2);
	n += count - 2;
	ASSERT_OK(t, s5(aml, n));
	EXPECT_EQ(t, slp.slp_typa, 3);
	EXPECT_EQ(t, slp.slp_typb, 4);
}

KTEST(acpi_s5, not_found)
{
	cap_reset();
	EXPECT_ERR(t, S5_OF(NAME_OP, '_', 'S', '3', '_', PACKAGE_OP, 0x04, 0x02, 0x01, 0x01),
		   -ENOENT);
	EXPECT_MSG(t, "DSDT: no \\_S5_ package");
	/* "_S5_" inside a string, not after NameOp */
	EXPECT_ERR(t, S5_OF(0x0d, S5, PACKAGE_OP, 0x04, 0x02, 0x01, 0x01, 0x00), -ENOENT);
	/* name at the very end */
	EXPECT_ERR(t, S5_OF(0x00, NAME_OP, S5), -ENOENT);
}

KTEST(acpi_s5, skips_non_package_candidate)
{
	/* Method(_S5_) whose PkgLength byte happens to be 0x08, then the real one */
	ASSERT_OK(t, S5_OF(0x14, NAME_OP, S5, 0x00, 0xa4, 0x00,
			   NAME_OP, S5, PACKAGE_OP, 0x04, 0x02, 0x01, 0x00));
	EXPECT_EQ(t, slp.slp_typa, 1);
	EXPECT_EQ(t, slp.slp_typb, 0);
}

KTEST(acpi_s5, pkglength_past_end)
{
	cap_reset();
	EXPECT_ERR(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x20, 0x04, 0x00, 0x00), -EINVAL);
	EXPECT_MSG(t, "DSDT: _S5_ package length 32 at offset 0x6 does not fit (4 bytes left)");
}

KTEST(acpi_s5, pkglength_follow_bytes_missing)
{
	cap_reset();
	EXPECT_ERR(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0xc5, 0x01), -EINVAL);
	EXPECT_MSG(t, "needs 3 more bytes");
}

KTEST(acpi_s5, pkglength_reserved_bits)
{
	cap_reset();
	EXPECT_ERR(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x70, 0x00, 0x04, 0x00, 0x00), -EINVAL);
	EXPECT_MSG(t, "lead byte 0x70 at offset 0x6 has reserved bits 5-4 set");
}

KTEST(acpi_s5, element_past_package_end)
{
	cap_reset();
	/* PkgLength 3 covers only NumElements and one element; more bytes follow */
	EXPECT_ERR(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x03, 0x02, 0x00, 0x00, 0x00), -EINVAL);
	EXPECT_MSG(t, "DSDT: _S5_ package ends at offset 0x9 before its element");
}

KTEST(acpi_s5, integer_past_package_end)
{
	cap_reset();
	EXPECT_ERR(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x04, 0x02, 0x00, 0x0b, 0x05, 0x00), -EINVAL);
	EXPECT_MSG(t, "DSDT: _S5_ integer at offset 0x9 runs past the package end 0xa");
}

KTEST(acpi_s5, not_an_integer)
{
	cap_reset();
	EXPECT_ERR(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x06, 0x02, 0x0d, 'A', 0x00, 0x00), -EINVAL);
	EXPECT_MSG(t, "element at offset 0x8 starts with opcode 0x0d, not an integer constant");
}

KTEST(acpi_s5, value_too_large)
{
	cap_reset();
	EXPECT_ERR(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x05, 0x02, 0x0a, 0x08, 0x00), -ERANGE);
	EXPECT_MSG(t, "DSDT: _S5_ SLP_TYPa is 0x8, more than the 3-bit field holds");
	EXPECT_ERR(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x04, 0x02, 0x00, 0xff), -ERANGE);
	EXPECT_MSG(t, "SLP_TYPb is 0xffffffffffffffff");
}

KTEST(acpi_s5, one_element)
{
	cap_reset();
	EXPECT_ERR(t, S5_OF(NAME_OP, S5, PACKAGE_OP, 0x04, 0x01, 0x0b, 0x05, 0x05), -EINVAL);
	EXPECT_MSG(t, "DSDT: _S5_ package has 1 element(s)");
}

KTEST(acpi_s5, in_a_dsdt)
{
	static const uint8_t aml[] = { NAME_OP, S5, PACKAGE_OP, 0x06, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00 };
	struct tbl t_;

	sdt_begin(&t_, "DSDT", 2);
	add_bytes(&t_, aml, sizeof(aml));
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_s5(EXACT(&t_), t_.len, &slp, &diag));
	EXPECT_EQ(t, slp.slp_typa, 5);
	EXPECT_EQ(t, slp.slp_typb, 0);

	t_.b[HDR_LEN + 8]++;
	EXPECT_ERR(t, acpi_parse_s5(EXACT(&t_), t_.len, &slp, &diag), -EBADMSG);
}

KTEST(acpi_s5, dsdt_without_s5)
{
	struct tbl t_;

	cap_reset();
	sdt_begin(&t_, "DSDT", 2);
	add_bytes(&t_, (const uint8_t[]){ 0x10, 0x05, '_', 'S', 'B', '_' }, 6);
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_s5(EXACT(&t_), t_.len, &slp, &diag), -ENOENT);
	EXPECT_MSG(t, "no \\_S5_ package");
}

/* -------------------------------------------------------------- MCFG -- */

static void mcfg_begin(struct tbl *t)
{
	sdt_begin(t, "MCFG", 1);
	add64(t, 0);			/* reserved */
}

static void mcfg_entry(struct tbl *t, uint64_t base, uint16_t seg, uint8_t start, uint8_t end)
{
	add64(t, base);
	add16(t, seg);
	add8(t, start);
	add8(t, end);
	add32(t, 0);
}

static struct acpi_mcfg_info mcfg;

KTEST(acpi_mcfg, entries)
{
	struct tbl t_;

	cap_reset();
	mcfg_begin(&t_);
	mcfg_entry(&t_, 0xb0000000u, 0, 0, 255);
	mcfg_entry(&t_, 0x3800000000ull, 1, 0x10, 0x1f);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_mcfg(EXACT(&t_), t_.len, &mcfg, &diag));
	EXPECT_EQ(t, cap.n, 0);
	ASSERT_EQ(t, mcfg.n, 2);
	EXPECT_EQ(t, mcfg.alloc[0].base, 0xb0000000u);
	EXPECT_EQ(t, mcfg.alloc[0].end_bus, 255);
	EXPECT_EQ(t, mcfg.alloc[1].base, 0x3800000000ull);
	EXPECT_EQ(t, mcfg.alloc[1].segment, 1);
	EXPECT_EQ(t, mcfg.alloc[1].start_bus, 0x10);
	EXPECT_EQ(t, mcfg.alloc[1].end_bus, 0x1f);
}

KTEST(acpi_mcfg, empty)
{
	struct tbl t_;

	mcfg_begin(&t_);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_mcfg(EXACT(&t_), t_.len, &mcfg, &diag));
	EXPECT_EQ(t, mcfg.n, 0);
}

KTEST(acpi_mcfg, partial_entry)
{
	struct tbl t_;

	cap_reset();
	mcfg_begin(&t_);
	mcfg_entry(&t_, 0xb0000000u, 0, 0, 255);
	add64(&t_, 0xc0000000u);	/* half an entry */
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_mcfg(EXACT(&t_), t_.len, &mcfg, &diag), -EINVAL);
	EXPECT_MSG(t, "MCFG: length 68 leaves a partial 16-byte allocation at offset 0x3c");
}

KTEST(acpi_mcfg, shorter_than_header)
{
	struct tbl t_;

	cap_reset();
	sdt_begin(&t_, "MCFG", 1);
	add32(&t_, 0);
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_mcfg(EXACT(&t_), t_.len, &mcfg, &diag), -EINVAL);
	EXPECT_MSG(t, "MCFG: length 40 is less than the 44-byte MCFG header");
}

KTEST(acpi_mcfg, start_after_end)
{
	struct tbl t_;

	cap_reset();
	mcfg_begin(&t_);
	mcfg_entry(&t_, 0xb0000000u, 0, 8, 7);
	sdt_finish(&t_);
	EXPECT_ERR(t, acpi_parse_mcfg(EXACT(&t_), t_.len, &mcfg, &diag), -EINVAL);
	EXPECT_MSG(t, "MCFG: allocation at offset 0x2c has start bus 8 > end bus 7");
}

KTEST(acpi_mcfg, too_many)
{
	struct tbl t_;

	cap_reset();
	mcfg_begin(&t_);
	for (unsigned i = 0; i < ACPI_MAX_MCFG + 1; i++)
		mcfg_entry(&t_, 0xb0000000u + i * 0x10000000ull, i, 0, 255);
	sdt_finish(&t_);
	ASSERT_OK(t, acpi_parse_mcfg(EXACT(&t_), t_.len, &mcfg, &diag));
	EXPECT_EQ(t, mcfg.n, ACPI_MAX_MCFG);
	EXPECT_EQ(t, mcfg.dropped, 1);
	EXPECT_MSG(t, "MCFG: more than 8 allocations, entry at offset 0xac dropped");
}

KTEST(acpi_mcfg, bad_checksum)
{
	struct tbl t_;

	mcfg_begin(&t_);
	mcfg_entry(&t_, 0xb0000000u, 0, 0, 255);
	sdt_finish(&t_);
	t_.b[HDR_LEN + 8] ^= 0x80;
	EXPECT_ERR(t, acpi_parse_mcfg(EXACT(&t_), t_.len, &mcfg, &diag), -EBADMSG);
}

/* ------------------------------------------- tables captured from QEMU -- */

/*
 * QEMU 7.2 (Debian 1:7.2+dfsg-7), SeaBIOS, -machine q35 / pc, -m 512M,
 * -smp 2, one NVDIMM: the bytes the firmware left in memory, read by a
 * small multiboot probe.  The RSDP was revision 0 (no XSDT); the RSDT
 * listed FACP APIC HPET SRAT MCFG(q35 only) SSDT NFIT WAET.
 */
static const uint8_t qemu_q35_facp[244] = {
	0x46, 0x41, 0x43, 0x50, 0xf4, 0x00, 0x00, 0x00, 0x03, 0x13, 0x42, 0x4f,
	0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20,
	0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00,
	0x00, 0xf0, 0xfd, 0x1f, 0x40, 0xf0, 0xfd, 0x1f, 0x01, 0x00, 0x09, 0x00,
	0xb2, 0x00, 0x00, 0x00, 0x02, 0x03, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x08, 0x06, 0x00, 0x00, 0x20, 0x06, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x02, 0x00, 0x04, 0x10, 0x00, 0x00, 0x00,
	0xff, 0x0f, 0xff, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x32, 0x02, 0x00, 0x00, 0xa5, 0x84, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00,
	0xf9, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0xf0, 0xfd, 0x1f,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x10, 0x00, 0x00, 0x04, 0x06, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x00, 0x00, 0x08, 0x06, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x20, 0x06, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};
static const uint8_t qemu_q35_apic[128] = {
	0x41, 0x50, 0x49, 0x43, 0x80, 0x00, 0x00, 0x00, 0x01, 0x77, 0x42, 0x4f,
	0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20,
	0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xe0, 0xfe, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x0c, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xfe, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x0a,
	0x00, 0x05, 0x05, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x02, 0x0a, 0x00, 0x09,
	0x09, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x02, 0x0a, 0x00, 0x0a, 0x0a, 0x00,
	0x00, 0x00, 0x0d, 0x00, 0x02, 0x0a, 0x00, 0x0b, 0x0b, 0x00, 0x00, 0x00,
	0x0d, 0x00, 0x04, 0x06, 0xff, 0x00, 0x00, 0x01,
};
static const uint8_t qemu_q35_mcfg[60] = {
	0x4d, 0x43, 0x46, 0x47, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x8c, 0x42, 0x4f,
	0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20,
	0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xb0,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t qemu_pc_facp[116] = {
	0x46, 0x41, 0x43, 0x50, 0x74, 0x00, 0x00, 0x00, 0x01, 0xe3, 0x42, 0x4f,
	0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20,
	0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00,
	0x00, 0xf0, 0xfd, 0x1f, 0x40, 0xf0, 0xfd, 0x1f, 0x01, 0x00, 0x09, 0x00,
	0xb2, 0x00, 0x00, 0x00, 0xf1, 0xf0, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x08, 0x06, 0x00, 0x00, 0xe0, 0xaf, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x02, 0x00, 0x04, 0x04, 0x00, 0x00, 0x00,
	0xff, 0x0f, 0xff, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x32, 0x00, 0x00, 0x00, 0xa5, 0x80, 0x00, 0x00,
};
static const uint8_t qemu_sleep_scope[42] = {
	0x10, 0x29, 0x5c, 0x00, 0x08, 0x5f, 0x53, 0x33, 0x5f, 0x12, 0x06, 0x04,
	0x01, 0x01, 0x00, 0x00, 0x08, 0x5f, 0x53, 0x34, 0x5f, 0x12, 0x08, 0x04,
	0x0a, 0x02, 0x0a, 0x02, 0x00, 0x00, 0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12,
	0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
};

KTEST(acpi_qemu, q35_fadt)
{
	cap_reset();
	ASSERT_OK(t, acpi_parse_fadt(exact(qemu_q35_facp, sizeof(qemu_q35_facp)),
				     sizeof(qemu_q35_facp), &fadt, &diag));
	EXPECT_EQ(t, cap.n, 0);
	EXPECT_EQ(t, fadt.revision, 3);
	EXPECT_EQ(t, fadt.length, 244);
	EXPECT_EQ(t, fadt.dsdt, 0x1ffdf040);
	EXPECT_EQ(t, fadt.facs, 0x1ffdf000);
	EXPECT_EQ(t, fadt.sci_irq, 9);
	EXPECT_EQ(t, fadt.pm1a_cnt.space, ACPI_SPACE_IO);
	EXPECT_EQ(t, fadt.pm1a_cnt.addr, 0x604);
	EXPECT_EQ(t, fadt.pm1a_cnt.bit_width, 16);
	EXPECT_EQ(t, fadt.pm1b_cnt.addr, 0);
	EXPECT_EQ(t, fadt.pm_tmr.addr, 0x608);
	EXPECT_TRUE(t, fadt.reset_supported);
	EXPECT_EQ(t, fadt.reset_reg.addr, 0xcf9);
	EXPECT_EQ(t, fadt.reset_value, 0x0f);
	EXPECT_EQ(t, fadt.boot_arch, ACPI_BOOT_ARCH_8042);
	EXPECT_EQ(t, fadt.century, 0x32);
}

KTEST(acpi_qemu, pc_fadt_rev1)
{
	cap_reset();
	ASSERT_OK(t, acpi_parse_fadt(exact(qemu_pc_facp, sizeof(qemu_pc_facp)),
				     sizeof(qemu_pc_facp), &fadt, &diag));
	EXPECT_EQ(t, cap.n, 0);
	EXPECT_EQ(t, fadt.revision, 1);
	EXPECT_EQ(t, fadt.length, 116);
	EXPECT_EQ(t, fadt.dsdt, 0x1ffdf040);
	EXPECT_EQ(t, fadt.pm1a_cnt.space, ACPI_SPACE_IO);
	EXPECT_EQ(t, fadt.pm1a_cnt.addr, 0x604);
	EXPECT_FALSE(t, fadt.reset_supported);
}

KTEST(acpi_qemu, q35_madt)
{
	cap_reset();
	ASSERT_OK(t, acpi_parse_madt(exact(qemu_q35_apic, sizeof(qemu_q35_apic)),
				     sizeof(qemu_q35_apic), &madt, &diag));
	EXPECT_EQ(t, cap.n, 0);
	EXPECT_EQ(t, madt.lapic_addr, LAPIC_PA);
	EXPECT_TRUE(t, madt.pcat_compat);
	ASSERT_EQ(t, madt.ncpus, 2);
	EXPECT_EQ(t, madt.cpus[0].apic_id, 0);
	EXPECT_EQ(t, madt.cpus[1].apic_id, 1);
	ASSERT_EQ(t, madt.nioapics, 1);
	EXPECT_EQ(t, madt.ioapics[0].id, 0);
	EXPECT_EQ(t, madt.ioapics[0].addr, IOAPIC_PA);
	ASSERT_EQ(t, madt.noverrides, 5);
	EXPECT_EQ(t, madt.overrides[0].source, 0);
	EXPECT_EQ(t, madt.overrides[0].gsi, 2);
	EXPECT_EQ(t, madt.overrides[0].flags, 0);
	EXPECT_EQ(t, madt.overrides[2].source, 9);
	EXPECT_EQ(t, madt.overrides[2].flags, 0xd);
	ASSERT_EQ(t, madt.nlapic_nmis, 1);
	EXPECT_EQ(t, madt.lapic_nmis[0].uid, ACPI_UID_ALL_CPUS);
	EXPECT_EQ(t, madt.lapic_nmis[0].lint, 1);
}

KTEST(acpi_qemu, q35_mcfg)
{
	ASSERT_OK(t, acpi_parse_mcfg(exact(qemu_q35_mcfg, sizeof(qemu_q35_mcfg)),
				     sizeof(qemu_q35_mcfg), &mcfg, &diag));
	ASSERT_EQ(t, mcfg.n, 1);
	EXPECT_EQ(t, mcfg.alloc[0].base, 0xb0000000u);
	EXPECT_EQ(t, mcfg.alloc[0].segment, 0);
	EXPECT_EQ(t, mcfg.alloc[0].start_bus, 0);
	EXPECT_EQ(t, mcfg.alloc[0].end_bus, 255);
}

/* Scope(\) { Name(_S3, ...) Name(_S4, ...) Name(_S5, Package(4){0,0,0,0}) } */
KTEST(acpi_qemu, sleep_states_scope)
{
	slp.slp_typa = slp.slp_typb = 0xee;
	ASSERT_OK(t, s5(qemu_sleep_scope, sizeof(qemu_sleep_scope)));
	EXPECT_EQ(t, slp.slp_typa, 0);
	EXPECT_EQ(t, slp.slp_typb, 0);
}
