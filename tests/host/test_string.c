/*
 * test_string.c - host tests of lib/string.c: the memory functions at every
 * small size and alignment, overlapping moves, string edge cases, strlcpy
 * and strlcat truncation, and parse_u64/parse_size errors and limits.
 *
 * lib/string.h maps the names to lib_*, so everything called here is ours.
 */
#include <lib/ktest.h>
#include <lib/string.h>
#include <lib/errno.h>

#define BUF 96
#define MAX_ALIGN 8
#define FILL 0xa5

/* A byte pattern that differs at every offset. */
static void pattern(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7 + 1);
}

KTEST(string, memcpy_sizes_and_alignments)
{
	unsigned char src[BUF], dst[BUF], want[BUF];
	size_t so, doff, n, i;

	pattern(src, BUF, 3);
	for (so = 0; so < MAX_ALIGN; so++)
		for (doff = 0; doff < MAX_ALIGN; doff++)
			for (n = 0; n + MAX_ALIGN <= BUF; n += 5) {
				for (i = 0; i < BUF; i++)
					want[i] = dst[i] = FILL;
				for (i = 0; i < n; i++)
					want[doff + i] = src[so + i];
				ASSERT_TRUE(t, memcpy(dst + doff, src + so, n) == dst + doff);
				ASSERT_MEMEQ(t, dst, want, BUF);
			}
}

KTEST(string, memset_edges)
{
	unsigned char buf[BUF];
	size_t i;

	memset(buf, 0, sizeof(buf));
	EXPECT_TRUE(t, memset(buf + 3, 0x1ff, 10) == buf + 3); /* c is cut to a byte */
	for (i = 0; i < BUF; i++)
		EXPECT_EQ(t, buf[i], (i >= 3 && i < 13) ? 0xff : 0);
	memset(buf, 'x', 0);
	EXPECT_EQ(t, buf[0], 0);
}

KTEST(string, memmove_overlap_forward_and_backward)
{
	unsigned char buf[BUF], ref[BUF];
	size_t from, to, n, i;

	for (n = 0; n < 40; n += 3)
		for (from = 0; from < 20; from++)
			for (to = 0; to < 20; to++) {
				pattern(buf, BUF, 11);
				pattern(ref, BUF, 11);
				/* Reference: through a temporary buffer. */
				{
					unsigned char tmp[BUF];

					for (i = 0; i < n; i++)
						tmp[i] = ref[from + i];
					for (i = 0; i < n; i++)
						ref[to + i] = tmp[i];
				}
				ASSERT_TRUE(t, memmove(buf + to, buf + from, n) == buf + to);
				ASSERT_MEMEQ(t, buf, ref, BUF);
			}
}

/*
 * Overlapping moves longer than memcpy's 64-byte blocks, by less than a
 * block (a 16-byte record array shifted down by one record): the kernel
 * build once sent the forward case to memcpy, whose restrict lets gcc
 * store part of a block before loading the rest of it.
 */
#define BIG 336
KTEST(string, memmove_overlap_long)
{
	static const size_t lens[] = { 63, 64, 65, 127, 128, 129, 200, 255 };
	unsigned char buf[BIG], ref[BIG], tmp[BIG];
	size_t k, shift, i;

	for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
		for (shift = 1; shift <= 64; shift++)
			for (int dir = 0; dir < 2; dir++) {
				size_t n = lens[k], lo = 3, from = dir ? lo + shift : lo,
				       to = dir ? lo : lo + shift;

				pattern(buf, BIG, 5);
				pattern(ref, BIG, 5);
				for (i = 0; i < n; i++)
					tmp[i] = ref[from + i];
				for (i = 0; i < n; i++)
					ref[to + i] = tmp[i];
				ASSERT_TRUE(t, memmove(buf + to, buf + from, n) == buf + to);
				ASSERT_MEMEQ(t, buf, ref, BIG);
			}
}

KTEST(string, memmove_text)
{
	char s[] = "abcdef";

	memmove(s + 1, s, 4);
	EXPECT_STREQ(t, s, "aabcdf");
	memmove(s, s + 2, 4);
	EXPECT_STREQ(t, s, "bcdfdf");
}

KTEST(string, memcmp_sign_and_length)
{
	EXPECT_EQ(t, memcmp("abc", "abd", 2), 0);
	EXPECT_LT(t, memcmp("abc", "abd", 3), 0);
	EXPECT_GT(t, memcmp("\xff", "\x01", 1), 0); /* bytes are unsigned */
	EXPECT_EQ(t, memcmp(NULL, NULL, 0), 0);
}

KTEST(string, strlen_strnlen)
{
	EXPECT_EQ(t, strlen(""), 0);
	EXPECT_EQ(t, strlen("hello"), 5);
	EXPECT_EQ(t, strnlen("hello", 3), 3);
	EXPECT_EQ(t, strnlen("hello", 10), 5);
	EXPECT_EQ(t, strnlen("hello", 0), 0);
	/* strnlen must not read past max: no terminator inside the array. */
	{
		char nz[4] = { 'a', 'b', 'c', 'd' };

		EXPECT_EQ(t, strnlen(nz, sizeof(nz)), 4);
	}
}

KTEST(string, strcmp_strncmp)
{
	EXPECT_EQ(t, strcmp("", ""), 0);
	EXPECT_EQ(t, strcmp("abc", "abc"), 0);
	EXPECT_LT(t, strcmp("ab", "abc"), 0);
	EXPECT_GT(t, strcmp("abc", "ab"), 0);
	EXPECT_GT(t, strcmp("\x80", "a"), 0);   /* compared as unsigned char */
	EXPECT_EQ(t, strncmp("abcx", "abcy", 3), 0);
	EXPECT_LT(t, strncmp("abcx", "abcy", 4), 0);
	EXPECT_EQ(t, strncmp("ab", "ab\0x", 4), 0);
	EXPECT_EQ(t, strncmp("a", "b", 0), 0);
}

KTEST(string, strchr_strrchr)
{
	const char *s = "a/b/c";

	EXPECT_TRUE(t, strchr(s, '/') == s + 1);
	EXPECT_TRUE(t, strrchr(s, '/') == s + 3);
	EXPECT_NULL(t, strchr(s, 'z'));
	EXPECT_NULL(t, strrchr(s, 'z'));
	EXPECT_TRUE(t, strchr(s, '\0') == s + 5);
	EXPECT_TRUE(t, strrchr(s, '\0') == s + 5);
	EXPECT_TRUE(t, strchr("x\xe9y", 0xe9) != NULL); /* int c cut to char */
}

KTEST(string, strstr_cases)
{
	const char *h = "abababc";

	EXPECT_TRUE(t, strstr(h, "abc") == h + 4);
	EXPECT_TRUE(t, strstr(h, "") == h);
	EXPECT_TRUE(t, strstr("", "") != NULL);
	EXPECT_NULL(t, strstr("", "a"));
	EXPECT_NULL(t, strstr(h, "abcd"));
	EXPECT_TRUE(t, strstr(h, "c") == h + 6);
}

KTEST(string, strlcpy_truncation)
{
	char buf[8];

	memset(buf, 'z', sizeof(buf));
	EXPECT_EQ(t, strlcpy(buf, "hello", sizeof(buf)), 5);
	EXPECT_STREQ(t, buf, "hello");
	EXPECT_EQ(t, strlcpy(buf, "a longer string", sizeof(buf)), 15);
	EXPECT_STREQ(t, buf, "a longe");
	EXPECT_EQ(t, strlcpy(buf, "exactly8", sizeof(buf)), 8);
	EXPECT_STREQ(t, buf, "exactly");
	buf[0] = 'q';
	EXPECT_EQ(t, strlcpy(buf, "abc", 0), 3);
	EXPECT_EQ(t, buf[0], 'q');              /* size 0 writes nothing */
	EXPECT_EQ(t, strlcpy(buf, "abc", 1), 3);
	EXPECT_STREQ(t, buf, "");
}

KTEST(string, strlcat_truncation)
{
	char buf[8] = "ab";

	EXPECT_EQ(t, strlcat(buf, "cd", sizeof(buf)), 4);
	EXPECT_STREQ(t, buf, "abcd");
	EXPECT_EQ(t, strlcat(buf, "efghij", sizeof(buf)), 10);
	EXPECT_STREQ(t, buf, "abcdefg");
	EXPECT_EQ(t, strlcat(buf, "x", sizeof(buf)), 8);
	EXPECT_STREQ(t, buf, "abcdefg");
	/* No NUL within size: returns size + strlen(src), writes nothing. */
	EXPECT_EQ(t, strlcat(buf, "xyz", 3), 6);
	EXPECT_STREQ(t, buf, "abcdefg");
}

KTEST(string, parse_u64_good)
{
	uint64_t v = 0;

	EXPECT_OK(t, parse_u64("0", 0, &v));
	EXPECT_EQ(t, v, 0);
	EXPECT_OK(t, parse_u64("12345", 0, &v));
	EXPECT_EQ(t, v, 12345);
	EXPECT_OK(t, parse_u64("0x1F", 0, &v));
	EXPECT_EQ(t, v, 0x1f);
	EXPECT_OK(t, parse_u64("0XaBc", 0, &v));
	EXPECT_EQ(t, v, 0xabc);
	EXPECT_OK(t, parse_u64("0x10", 16, &v));
	EXPECT_EQ(t, v, 16);
	EXPECT_OK(t, parse_u64("ff", 16, &v));
	EXPECT_EQ(t, v, 255);
	EXPECT_OK(t, parse_u64("0755", 8, &v));
	EXPECT_EQ(t, v, 0755);
	EXPECT_OK(t, parse_u64("0755", 0, &v));   /* base 0 has no octal */
	EXPECT_EQ(t, v, 755);
	EXPECT_OK(t, parse_u64("1010", 2, &v));
	EXPECT_EQ(t, v, 10);
	EXPECT_OK(t, parse_u64("zz", 36, &v));
	EXPECT_EQ(t, v, 35 * 36 + 35);
	EXPECT_OK(t, parse_u64("18446744073709551615", 0, &v));
	EXPECT_EQ(t, v, UINT64_MAX);
	EXPECT_OK(t, parse_u64("0xffffffffffffffff", 0, &v));
	EXPECT_EQ(t, v, UINT64_MAX);
	EXPECT_OK(t, parse_u64("000000000000000000000000001", 10, &v));
	EXPECT_EQ(t, v, 1);
}

KTEST(string, parse_u64_errors)
{
	uint64_t v = 77;

	EXPECT_ERR(t, parse_u64("", 0, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64(NULL, 0, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64("0x", 0, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64("12a", 0, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64("12 ", 0, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64(" 12", 0, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64("-1", 0, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64("+1", 0, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64("0xg", 0, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64("2", 2, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64("1", 1, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64("1", 37, &v), -EINVAL);
	EXPECT_ERR(t, parse_u64("18446744073709551616", 0, &v), -ERANGE);
	EXPECT_ERR(t, parse_u64("99999999999999999999999", 10, &v), -ERANGE);
	EXPECT_ERR(t, parse_u64("0x10000000000000000", 0, &v), -ERANGE);
	EXPECT_ERR(t, parse_u64("99999999999999999999999x", 10, &v), -EINVAL);
	EXPECT_EQ(t, v, 77);                      /* untouched on error */
}

KTEST(string, parse_size_suffixes)
{
	uint64_t v = 0;

	EXPECT_OK(t, parse_size("4096", &v));
	EXPECT_EQ(t, v, 4096);
	EXPECT_OK(t, parse_size("64K", &v));
	EXPECT_EQ(t, v, 64 * 1024);
	EXPECT_OK(t, parse_size("64k", &v));
	EXPECT_EQ(t, v, 64 * 1024);
	EXPECT_OK(t, parse_size("128M", &v));
	EXPECT_EQ(t, v, 128ull << 20);
	EXPECT_OK(t, parse_size("2g", &v));
	EXPECT_EQ(t, v, 2ull << 30);
	EXPECT_OK(t, parse_size("3T", &v));
	EXPECT_EQ(t, v, 3ull << 40);
	EXPECT_OK(t, parse_size("0x10M", &v));
	EXPECT_EQ(t, v, 16ull << 20);
	EXPECT_OK(t, parse_size("0K", &v));
	EXPECT_EQ(t, v, 0);
	EXPECT_OK(t, parse_size("16777215T", &v));    /* 2^24 - 1 TiB fits */
	EXPECT_EQ(t, v, ((1ull << 24) - 1) << 40);
}

KTEST(string, parse_size_errors)
{
	uint64_t v = 5;

	EXPECT_ERR(t, parse_size("", &v), -EINVAL);
	EXPECT_ERR(t, parse_size("K", &v), -EINVAL);
	EXPECT_ERR(t, parse_size("12X", &v), -EINVAL);
	EXPECT_ERR(t, parse_size("12KB", &v), -EINVAL);
	EXPECT_ERR(t, parse_size("12 K", &v), -EINVAL);
	EXPECT_ERR(t, parse_size("0x", &v), -EINVAL);
	EXPECT_ERR(t, parse_size("16777216T", &v), -ERANGE);  /* 2^64 */
	EXPECT_ERR(t, parse_size("17179869184G", &v), -ERANGE);
	EXPECT_ERR(t, parse_size("18446744073709551616", &v), -ERANGE);
	EXPECT_ERR(t, parse_size("18446744073709551616Q", &v), -EINVAL);
	EXPECT_EQ(t, v, 5);
}
