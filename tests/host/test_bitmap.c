/*
 * test_bitmap.c - host tests of lib/bitmap.c against a bit-at-a-time model:
 * ranges and runs across word boundaries, the partial last word (whose
 * spare bits are filled with ones or zeros on purpose), and the limits.
 */
#include <lib/ktest.h>
#include <lib/bitmap.h>
#include <lib/string.h>

#define NBITS 200                       /* 3 full words and 8 bits */
#define WORDS BITMAP_WORDS(NBITS)

/* Simple models, one bit at a time. */
static size_t model_next(const uint64_t *map, size_t nbits, size_t start,
			 bool value)
{
	for (; start < nbits; start++)
		if (bitmap_test(map, start) == value)
			return start;
	return nbits;
}

static size_t model_run(const uint64_t *map, size_t nbits, size_t start,
			size_t run)
{
	size_t pos, i;

	for (pos = start; pos + run <= nbits; pos++) {
		for (i = 0; i < run && !bitmap_test(map, pos + i); i++)
			;
		if (i == run)
			return pos;
	}
	return nbits;
}

KTEST(bitmap, single_bits)
{
	uint64_t map[WORDS] = { 0 };

	bitmap_set(map, 0);
	bitmap_set(map, 63);
	bitmap_set(map, 64);
	bitmap_set(map, 199);
	EXPECT_EQ(t, map[0], 0x8000000000000001ull);
	EXPECT_EQ(t, map[1], 1);
	EXPECT_EQ(t, map[3], 0x80);
	EXPECT_TRUE(t, bitmap_test(map, 63));
	EXPECT_FALSE(t, bitmap_test(map, 62));
	bitmap_clear(map, 63);
	EXPECT_FALSE(t, bitmap_test(map, 63));
	EXPECT_EQ(t, bitmap_count_set(map, NBITS), 3);
}

KTEST(bitmap, ranges_across_words)
{
	uint64_t map[WORDS] = { 0 };
	size_t i;

	bitmap_set_range(map, 60, 70);          /* bits 60..129 */
	EXPECT_EQ(t, map[0], 0xf000000000000000ull);
	EXPECT_EQ(t, map[1], UINT64_MAX);
	EXPECT_EQ(t, map[2], 0x3);
	EXPECT_EQ(t, bitmap_count_set(map, NBITS), 70);
	bitmap_clear_range(map, 62, 66);        /* leaves 60, 61, 128, 129 */
	EXPECT_EQ(t, bitmap_count_set(map, NBITS), 4);
	for (i = 0; i < NBITS; i++)
		EXPECT_EQ(t, bitmap_test(map, i), i == 60 || i == 61 || i == 128 || i == 129);
	bitmap_set_range(map, 5, 0);            /* empty range */
	EXPECT_EQ(t, bitmap_count_set(map, NBITS), 4);
	bitmap_set_range(map, 64, 64);          /* exactly one word */
	EXPECT_EQ(t, map[1], UINT64_MAX);
	EXPECT_EQ(t, map[0], 0x3000000000000000ull);
}

KTEST(bitmap, find_next_ignores_spare_bits)
{
	uint64_t map[WORDS];

	memset(map, 0, sizeof(map));
	map[3] = ~0xffull;                      /* spare bits 200..255 set */
	EXPECT_EQ(t, bitmap_find_next_set(map, NBITS, 0), NBITS);
	EXPECT_EQ(t, bitmap_count_set(map, NBITS), 0);
	memset(map, 0xff, sizeof(map));
	map[3] = 0xff;                          /* valid bits set, spare clear */
	EXPECT_EQ(t, bitmap_find_next_zero(map, NBITS, 0), NBITS);
	EXPECT_EQ(t, bitmap_count_set(map, NBITS), NBITS);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 0, 1), NBITS);
}

KTEST(bitmap, find_next_limits)
{
	uint64_t map[WORDS] = { 0 };

	EXPECT_EQ(t, bitmap_find_next_zero(map, NBITS, 0), 0);
	EXPECT_EQ(t, bitmap_find_next_zero(map, NBITS, 199), 199);
	EXPECT_EQ(t, bitmap_find_next_zero(map, NBITS, 200), NBITS);
	EXPECT_EQ(t, bitmap_find_next_zero(map, NBITS, 5000), NBITS);
	EXPECT_EQ(t, bitmap_find_next_set(map, NBITS, 0), NBITS);
	bitmap_set(map, 128);
	EXPECT_EQ(t, bitmap_find_next_set(map, NBITS, 0), 128);
	EXPECT_EQ(t, bitmap_find_next_set(map, NBITS, 128), 128);
	EXPECT_EQ(t, bitmap_find_next_set(map, NBITS, 129), NBITS);
	EXPECT_EQ(t, bitmap_find_next_set(map, 128, 0), 128);   /* beyond nbits */
	EXPECT_EQ(t, bitmap_find_next_zero(map, 0, 0), 0);
}

KTEST(bitmap, find_matches_model)
{
	uint64_t map[WORDS];
	unsigned seed = 12345;
	size_t round, start;

	for (round = 0; round < 50; round++) {
		size_t w;

		/* Sparse and dense patterns from a small LCG. */
		for (w = 0; w < WORDS; w++) {
			seed = seed * 1103515245u + 12345u;
			map[w] = (uint64_t)seed << 32 | (seed * 2654435761u);
			if (round % 3 == 0)
				map[w] &= map[w] >> 3;
			if (round % 3 == 1)
				map[w] |= map[w] << 5;
		}
		for (start = 0; start <= NBITS; start += 7) {
			ASSERT_EQ(t, bitmap_find_next_zero(map, NBITS, start),
				  model_next(map, NBITS, start, false));
			ASSERT_EQ(t, bitmap_find_next_set(map, NBITS, start),
				  model_next(map, NBITS, start, true));
		}
	}
}

KTEST(bitmap, zero_runs)
{
	uint64_t map[WORDS];
	size_t run, start;

	memset(map, 0xff, sizeof(map));
	bitmap_clear_range(map, 10, 3);         /* short hole */
	bitmap_clear_range(map, 60, 10);        /* hole across words 0/1 */
	bitmap_clear_range(map, 120, 75);       /* long hole, words 1..3 */
	bitmap_clear_range(map, 197, 3);        /* hole at the very end */
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 0, 1), 10);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 0, 3), 10);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 0, 4), 60);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 0, 10), 60);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 0, 11), 120);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 0, 75), 120);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 0, 76), NBITS);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 62, 8), 62);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 195, 3), 197);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 195, 4), NBITS);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 7, 0), 7);
	EXPECT_EQ(t, bitmap_find_zero_run(map, NBITS, 0, SIZE_MAX), NBITS);
	for (run = 1; run < 80; run += 3)
		for (start = 0; start < NBITS; start += 11)
			ASSERT_EQ(t, bitmap_find_zero_run(map, NBITS, start, run),
				  model_run(map, NBITS, start, run));
}

KTEST(bitmap, count_partial)
{
	uint64_t map[WORDS];

	memset(map, 0xff, sizeof(map));
	EXPECT_EQ(t, bitmap_count_set(map, 0), 0);
	EXPECT_EQ(t, bitmap_count_set(map, 1), 1);
	EXPECT_EQ(t, bitmap_count_set(map, 64), 64);
	EXPECT_EQ(t, bitmap_count_set(map, 65), 65);
	EXPECT_EQ(t, bitmap_count_set(map, 199), 199);
	map[1] = 0x5555555555555555ull;
	EXPECT_EQ(t, bitmap_count_set(map, 128), 96);
}
