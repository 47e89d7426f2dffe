/*
 * test_crc.c - host tests of lib/crc.c: published check values, chaining
 * (any split of a buffer gives the same CRC), and the sliced path against a
 * bit-at-a-time reference at every length and alignment.
 */
#include <lib/ktest.h>
#include <lib/crc.h>
#include <lib/string.h>

#define CHECK_INPUT "123456789"
#define CHECK_LEN   9
#define BUF         300
#define MAX_ALIGN   8

/* Reference CRC, one bit at a time, with zlib's conditioning. */
static uint32_t ref_crc(uint32_t poly, uint32_t crc, const uint8_t *p, size_t n)
{
	int b;

	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ ((crc & 1) ? poly : 0);
	}
	return ~crc;
}

static void fill(uint8_t *p, size_t n)
{
	uint32_t x = 0x9e3779b9u;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1664525u + 1013904223u;
		p[i] = (uint8_t)(x >> 24);
	}
}

KTEST(crc, check_values)
{
	EXPECT_EQ(t, crc32c(0, CHECK_INPUT, CHECK_LEN), 0xE3069283u);
	EXPECT_EQ(t, crc32_ieee(0, CHECK_INPUT, CHECK_LEN), 0xCBF43926u);
	EXPECT_EQ(t, crc32c(0, "", 0), 0);
	EXPECT_EQ(t, crc32_ieee(0, NULL, 0), 0);
	/* Known values: 32 zero bytes (RFC 3720 B.4) and "a" (zlib). */
	{
		uint8_t zeros[32] = { 0 };

		EXPECT_EQ(t, crc32c(0, zeros, sizeof(zeros)), 0x8A9136AAu);
	}
	EXPECT_EQ(t, crc32_ieee(0, "a", 1), 0xE8B7BE43u);
	EXPECT_EQ(t, crc32_ieee(0, "The quick brown fox jumps over the lazy dog", 43),
		  0x414FA339u);
}

KTEST(crc, chaining_any_split)
{
	uint8_t buf[BUF];
	uint32_t whole_c, whole_i;
	size_t cut;

	fill(buf, BUF);
	whole_c = crc32c(0, buf, BUF);
	whole_i = crc32_ieee(0, buf, BUF);
	for (cut = 0; cut <= BUF; cut += 13) {
		EXPECT_EQ(t, crc32c(crc32c(0, buf, cut), buf + cut, BUF - cut), whole_c);
		EXPECT_EQ(t, crc32_ieee(crc32_ieee(0, buf, cut), buf + cut, BUF - cut),
			  whole_i);
	}
	EXPECT_EQ(t, crc32c(0, CHECK_INPUT, CHECK_LEN),
		  crc32c(crc32c(crc32c(0, "1", 1), "2345", 4), "6789", 4));
}

/*
 * crc32c(), the table walk crc32c_sw() and crc32_ieee(), from zero and
 * from other start values, match the reference on @buf at every
 * alignment below MAX_ALIGN, every length below 40 and every @stride-th
 * length up to BUF.  Stops at the first mismatch.
 */
static void tables_match_reference(struct ktest *t, const uint8_t *buf, size_t stride)
{
	for (size_t off = 0; off < MAX_ALIGN; off++)
		for (size_t len = 0; len <= BUF; len += (len < 40 ? 1 : stride)) {
			const uint8_t *p = buf + off;

			ASSERT_EQ(t, crc32c(0, p, len), ref_crc(CRC32C_POLY, 0, p, len));
			ASSERT_EQ(t, crc32c_sw(0, p, len), ref_crc(CRC32C_POLY, 0, p, len));
			ASSERT_EQ(t, crc32c_sw(0xdeadbeef, p, len),
				  ref_crc(CRC32C_POLY, 0xdeadbeef, p, len));
			ASSERT_EQ(t, crc32_ieee(0, p, len), ref_crc(CRC32_IEEE_POLY, 0, p, len));
			ASSERT_EQ(t, crc32_ieee(0x1234, p, len),
				  ref_crc(CRC32_IEEE_POLY, 0x1234, p, len));
		}
}

KTEST(crc, sliced_matches_bitwise)
{
	uint8_t buf[BUF + MAX_ALIGN];

	fill(buf, sizeof(buf));
	tables_match_reference(t, buf, 17);
}

/*
 * Metadata-like words (zeros, small numbers): the table walk skips the
 * lookups of a zero high half, so words whose high half is zero, whose
 * low half is zero, and mixes of both must still match bit by bit.
 */
KTEST(crc, sliced_matches_bitwise_on_sparse_words)
{
	uint8_t buf[BUF + MAX_ALIGN];

	fill(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		if ((i / 8) % 3 != 2 && i % 8 >= (i / 8) % 3 * 4)
			buf[i] = 0;		/* whole zero words, zero high halves */
	tables_match_reference(t, buf, 13);
}

/* The CPU's crc32 instruction and the tables agree, at every alignment and
 * length, chained from any start value, and crc32c() (whichever of the two
 * it chose) agrees with both. */
KTEST(crc, instruction_matches_tables)
{
	uint8_t buf[BUF + MAX_ALIGN];
	size_t off, len;

	if (!crc32c_hw_available()) {
		ktest_skip(t, "this CPU has no SSE4.2 crc32 instruction");
		return;
	}
	fill(buf, sizeof(buf));
	for (off = 0; off < MAX_ALIGN; off++)
		for (len = 0; len <= BUF; len += (len < 40 ? 1 : 13)) {
			ASSERT_EQ(t, crc32c_hw(0, buf + off, len), crc32c_sw(0, buf + off, len));
			ASSERT_EQ(t, crc32c_hw(0xdeadbeef, buf + off, len),
				  crc32c_sw(0xdeadbeef, buf + off, len));
			ASSERT_EQ(t, crc32c(0, buf + off, len), crc32c_sw(0, buf + off, len));
			ASSERT_EQ(t, crc32c(0xdeadbeef, buf + off, len),
				  crc32c_sw(0xdeadbeef, buf + off, len));
			ASSERT_EQ(t, crc32c_sw(0, buf + off, len),
				  ref_crc(CRC32C_POLY, 0, buf + off, len));
		}
}
