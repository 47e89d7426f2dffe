/*
 * test_size.c - lib/size.c: sizes are shown exactly, never rounded.
 */
#include <lib/ktest.h>
#include <lib/size.h>
#include <lib/string.h>

static const char *fmt(uint64_t bytes)
{
	static char buf[SIZE_STR_MAX];

	return size_str(buf, sizeof(buf), bytes);
}

KTEST(size, whole_units)
{
	EXPECT_STREQ(t, fmt(0), "0 B");
	EXPECT_STREQ(t, fmt(1000), "1000 B");
	EXPECT_STREQ(t, fmt(1023), "1023 B");
	EXPECT_STREQ(t, fmt(1024), "1 KiB");
	EXPECT_STREQ(t, fmt(4096), "4 KiB");
	EXPECT_STREQ(t, fmt(128ULL << 20), "128 MiB");
	EXPECT_STREQ(t, fmt(1ULL << 30), "1 GiB");
	EXPECT_STREQ(t, fmt(3ULL << 40), "3 TiB");
	EXPECT_STREQ(t, fmt(5000ULL << 40), "5000 TiB");
}

/* The region with a 128 KiB label area taken off: not "255 MiB". */
KTEST(size, remainders_are_exact)
{
	EXPECT_STREQ(t, fmt(268304384), "255.875 MiB");
	EXPECT_STREQ(t, fmt(1536), "1.5 KiB");
	EXPECT_STREQ(t, fmt((1ULL << 20) + 1), "1.00000095367431640625 MiB");
	EXPECT_STREQ(t, fmt((1ULL << 30) - 4096), "1023.99609375 MiB");
	EXPECT_STREQ(t, fmt(1025), "1.0009765625 KiB");
}

KTEST(size, small_buffers_cut_and_say_so)
{
	char buf[12];

	EXPECT_STREQ(t, size_str(buf, sizeof(buf), (1ULL << 20) + 1), "1.00... MiB");
	EXPECT_EQ(t, strlen(size_str(buf, 4, 268304384)) < 4, true);
	EXPECT_STREQ(t, size_str(buf, sizeof(buf), 1536), "1.5 KiB");
}
