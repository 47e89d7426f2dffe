/*
 * test_printf.c - host tests of lib/printf.c.
 *
 * A table of (expected, format, arguments) in the form of FMT() lines, the
 * C99 truncation rules of vsnprintf, vcbprintf's count, and a differential
 * test that compares every integer conversion, flag, width and precision
 * combination against the host libc's snprintf (the one place where libc is
 * the oracle: the integer rules are C's).
 */
#include <limits.h>
#include <stdint.h>
#include <lib/ktest.h>
#include <lib/printf.h>
#include <lib/string.h>

#define OUT_MAX 128

/* Format with our snprintf and check both the text and the returned length. */
#define FMT(t, expected, ...) do {                                      \
	char buf_[OUT_MAX];                                             \
	int n_ = snprintf(buf_, sizeof(buf_), __VA_ARGS__);            \
	EXPECT_STREQ(t, buf_, expected);                                \
	EXPECT_EQ(t, n_, (int)strlen(expected));                        \
} while (0)

/*
 * Same, for formats that -Wformat rightly warns about but C defines (flag
 * conflicts, NULL for %s in our dialect): no format attribute here.
 */
static int unchecked_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

#define FMT_UNCHECKED(t, expected, ...) do {                            \
	char buf_[OUT_MAX];                                             \
	int n_ = unchecked_snprintf(buf_, sizeof(buf_), __VA_ARGS__);   \
	EXPECT_STREQ(t, buf_, expected);                                \
	EXPECT_EQ(t, n_, (int)strlen(expected));                        \
} while (0)

KTEST(printf, plain_and_percent)
{
	FMT(t, "", "%s", "");
	FMT(t, "hello", "hello");
	FMT(t, "100%", "100%%");
	FMT(t, "a%b", "a%cb", '%');
}

KTEST(printf, signed_decimal)
{
	FMT(t, "0", "%d", 0);
	FMT(t, "-1", "%d", -1);
	FMT(t, "2147483647", "%d", INT_MAX);
	FMT(t, "-2147483648", "%d", INT_MIN);
	FMT(t, "-2147483648", "%i", INT_MIN);
	FMT(t, "9223372036854775807", "%lld", (long long)INT64_MAX);
	FMT(t, "-9223372036854775808", "%lld", (long long)INT64_MIN);
	FMT(t, "-9223372036854775808", "%ld", (long)INT64_MIN);
	FMT(t, "-9223372036854775808", "%jd", (intmax_t)INT64_MIN);
	FMT(t, "-5", "%zd", (long)-5);     /* signed size_t */
	FMT(t, "-7", "%td", (ptrdiff_t)-7);
	FMT(t, "-128", "%hhd", -128);
	FMT(t, "-1", "%hhd", 255);              /* cut to signed char */
	FMT(t, "-32768", "%hd", 32768);         /* cut to short */
}

KTEST(printf, unsigned_and_bases)
{
	FMT(t, "4294967295", "%u", UINT_MAX);
	FMT(t, "18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	FMT(t, "18446744073709551615", "%zu", SIZE_MAX);
	FMT(t, "ffffffffffffffff", "%lx", (unsigned long)UINT64_MAX);
	FMT(t, "DEADBEEF", "%X", 0xdeadbeefu);
	FMT(t, "deadbeef", "%x", 0xdeadbeefu);
	FMT(t, "1777777777777777777777", "%llo", (unsigned long long)UINT64_MAX);
	FMT(t, "17", "%o", 15u);
	FMT(t, "255", "%hhu", 0x1ff);
	FMT(t, "65535", "%hu", 0xfffff);
	FMT(t, "ff", "%hhx", -1);
	FMT(t, "12345678", "%jx", (uintmax_t)0x12345678);
	FMT(t, "18446744073709551615", "%tu", (ptrdiff_t)-1);
}

KTEST(printf, flags)
{
	FMT(t, "+5", "%+d", 5);
	FMT(t, "-5", "%+d", -5);
	FMT(t, " 5", "% d", 5);
	FMT_UNCHECKED(t, "+5", "%+ d", 5);                /* '+' wins over ' ' */
	FMT(t, "5  |", "%-3d|", 5);
	FMT(t, "005", "%03d", 5);
	FMT(t, "-05", "%03d", -5);
	FMT(t, "+05", "%+03d", 5);
	FMT_UNCHECKED(t, "-5 ", "%-03d", -5);             /* '-' wins over '0' */
	FMT(t, "0x1f", "%#x", 0x1f);
	FMT(t, "0X1F", "%#X", 0x1f);
	FMT(t, "0", "%#x", 0);                  /* no prefix for zero */
	FMT(t, "017", "%#o", 15);
	FMT(t, "0", "%#o", 0);
	FMT(t, "0x0001f", "%#07x", 0x1f);
	FMT(t, "   0x1f", "%#7x", 0x1f);
}

KTEST(printf, width_and_precision)
{
	FMT(t, "   42", "%5d", 42);
	FMT(t, "42   ", "%-5d", 42);
	FMT(t, "00042", "%.5d", 42);
	FMT(t, "  00042", "%7.5d", 42);
	FMT(t, "  -00042", "%8.5d", -42);
	FMT_UNCHECKED(t, "   42", "%05.2d", 42);          /* precision disables '0' */
	FMT(t, "", "%.0d", 0);                  /* zero with precision 0 */
	FMT(t, "   ", "%3.0d", 0);
	FMT(t, "", "%.0o", 0);
	FMT(t, "0", "%#.0o", 0);                /* '#' forces the octal 0 */
	FMT(t, "", "%.0x", 0);
	FMT(t, "0x00ff", "%#.4x", 0xff);
}

KTEST(printf, star_width_and_precision)
{
	FMT(t, "   42", "%*d", 5, 42);
	FMT(t, "42   |", "%*d|", -5, 42);       /* negative width = '-' */
	FMT(t, "00042", "%.*d", 5, 42);
	FMT(t, "42", "%.*d", -3, 42);           /* negative precision = none */
	FMT(t, "  abc", "%*.*s", 5, 3, "abcdef");
	FMT(t, "ab|", "%.*s|", 2, "abcdef");
}

KTEST(printf, chars_and_strings)
{
	FMT(t, "x", "%c", 'x');
	FMT(t, "  x", "%3c", 'x');
	FMT(t, "x  |", "%-3c|", 'x');
	FMT(t, "hello", "%s", "hello");
	FMT(t, "  hello", "%7s", "hello");
	FMT(t, "hello  |", "%-7s|", "hello");
	FMT(t, "hel", "%.3s", "hello");
	FMT(t, "hello", "%.10s", "hello");
	FMT(t, "", "%.0s", "hello");
	FMT_UNCHECKED(t, "(null)", "%s", (char *)NULL);
	FMT_UNCHECKED(t, "(nu", "%.3s", (char *)NULL);
	FMT_UNCHECKED(t, "  (null)", "%8s", (char *)NULL);
}

KTEST(printf, precision_string_not_terminated)
{
	/* With a precision, %s must not read past it. */
	char raw[3] = { 'a', 'b', 'c' };

	FMT(t, "abc", "%.3s", raw);
}

KTEST(printf, pointers)
{
	FMT(t, "0x0000000000000000", "%p", NULL);
	FMT(t, "0x00000000deadbeef", "%p", (void *)0xdeadbeefUL);
	FMT(t, "0xffff800000001000", "%p", (void *)0xffff800000001000UL);
	FMT(t, "  0x0000000000000001", "%20p", (void *)1);
	FMT(t, "0x0000000000000001  |", "%-20p|", (void *)1);
}

KTEST(printf, mixed)
{
	FMT(t, "page 3 of 0x10 at ffff: ok", "page %u of %#x at %lx: %s",
	    3u, 16u, 0xffffUL, "ok");
	FMT(t, "[  -1|1   |+0001]", "[%4d|%-4u|%+05d]", -1, 1u, 1);
}

KTEST(printf, unknown_conversion_copied)
{
	char buf[OUT_MAX];
	/* Built at run time so -Wformat does not reject it. */
	char fmt[] = "a%yb%";

	EXPECT_EQ(t, snprintf(buf, sizeof(buf), fmt), 5);
	EXPECT_STREQ(t, buf, "a%yb%");
}

static int call_vsnprintf(char *buf, size_t size, const char *fmt, ...)
	__printf(3, 4);
static int call_vsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

KTEST(printf, truncation_and_return_value)
{
	char buf[8];

	memset(buf, 'z', sizeof(buf));
	EXPECT_EQ(t, snprintf(buf, 4, "%d", 123456), 6);
	EXPECT_STREQ(t, buf, "123");
	EXPECT_EQ(t, buf[4], 'z');              /* nothing past size */
	EXPECT_EQ(t, snprintf(buf, 1, "abc"), 3);
	EXPECT_STREQ(t, buf, "");
	buf[0] = 'q';
	EXPECT_EQ(t, snprintf(buf, 0, "abc"), 3);
	EXPECT_EQ(t, buf[0], 'q');              /* size 0 writes nothing */
	EXPECT_EQ(t, snprintf(NULL, 0, "%s-%d", "xy", 42), 5);
	EXPECT_EQ(t, call_vsnprintf(buf, sizeof(buf), "%s", "1234567"), 7);
	EXPECT_STREQ(t, buf, "1234567");
	EXPECT_EQ(t, call_vsnprintf(buf, sizeof(buf), "%s", "12345678"), 8);
	EXPECT_STREQ(t, buf, "1234567");
	EXPECT_EQ(t, call_vsnprintf(buf, sizeof(buf), "%10d", 5), 10);
	EXPECT_STREQ(t, buf, "       ");
}

struct count_sink {
	char text[OUT_MAX];
	size_t len;
};

static void count_putc(void *ctx, char c)
{
	struct count_sink *s = ctx;

	if (s->len + 1 < sizeof(s->text))
		s->text[s->len++] = c;
}

static int call_vcbprintf(struct count_sink *s, const char *fmt, ...)
	__printf(2, 3);
static int call_vcbprintf(struct count_sink *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vcbprintf(count_putc, s, fmt, ap);
	va_end(ap);
	s->text[s->len] = '\0';
	return n;
}

KTEST(printf, vcbprintf_counts_every_character)
{
	struct count_sink s = { .len = 0 };

	EXPECT_EQ(t, call_vcbprintf(&s, "%s=%5d;%c", "ab", -3, '!'), 10);
	EXPECT_EQ(t, s.len, 10);
	EXPECT_STREQ(t, s.text, "ab=   -3;!");
}

/* --------------------------------------------- differential vs libc ---- */

#undef snprintf
#define libc_snprintf snprintf

static const char *const diff_flags[] = { "", "-", "0", "+", " ", "#", "-+",
					  "0#", "+0", " 0", "-#", "- " };
static const char *const diff_widths[] = { "", "1", "5", "21", "*" };
static const char *const diff_precs[] = { "", ".", ".0", ".1", ".4", ".22", ".*" };
static const long long diff_values[] = {
	0, 1, -1, 7, -8, 42, 255, 256, -129, 65535, INT_MAX, INT_MIN,
	(long long)UINT_MAX, INT64_MAX, INT64_MIN, 0x123456789abcdefLL,
};

/* Build "%<flags><width><prec><len><conv>". */
static void build_fmt(char *f, size_t size, const char *flags, const char *w,
		      const char *p, const char *len, char conv)
{
	lib_snprintf(f, size, "%%%s%s%s%s%c", flags, w, p, len, conv);
}

/* Both snprintfs with the same arguments; stars take 6 and 3. */
static bool same_output(struct ktest *t, const char *f, bool star_w,
			bool star_p, long long v)
{
	char ours[OUT_MAX], theirs[OUT_MAX];
	int a, b;

	if (star_w && star_p) {
		a = lib_snprintf(ours, sizeof(ours), f, 6, 3, v);
		b = libc_snprintf(theirs, sizeof(theirs), f, 6, 3, v);
	} else if (star_w || star_p) {
		a = lib_snprintf(ours, sizeof(ours), f, star_w ? -6 : 3, v);
		b = libc_snprintf(theirs, sizeof(theirs), f, star_w ? -6 : 3, v);
	} else {
		a = lib_snprintf(ours, sizeof(ours), f, v);
		b = libc_snprintf(theirs, sizeof(theirs), f, v);
	}
	if (a == b && !strcmp(ours, theirs))
		return true;
	ktest_fail_msg(t, "format \"%s\" value %lld: ours \"%s\" (%d), libc \"%s\" (%d)",
		       f, v, ours, a, theirs, b);
	return false;
}

KTEST(printf, integers_match_libc)
{
	static const char convs[] = "diuxXo";
	char f[32];
	size_t fl, w, p, v, c;
	unsigned mismatches = 0;

	for (c = 0; convs[c]; c++)
		for (fl = 0; fl < ARRAY_SIZE(diff_flags); fl++)
			for (w = 0; w < ARRAY_SIZE(diff_widths); w++)
				for (p = 0; p < ARRAY_SIZE(diff_precs); p++) {
					build_fmt(f, sizeof(f), diff_flags[fl],
						  diff_widths[w], diff_precs[p],
						  "ll", convs[c]);
					for (v = 0; v < ARRAY_SIZE(diff_values); v++)
						mismatches += !same_output(t, f,
							diff_widths[w][0] == '*',
							!strcmp(diff_precs[p], ".*"),
							diff_values[v]);
					if (mismatches > 10)
						return;
				}
	EXPECT_EQ(t, mismatches, 0);
}

KTEST(printf, length_modifiers_match_libc)
{
	static const char *const lens[] = { "hh", "h", "", "l", "ll", "z", "t", "j" };
	static const char convs[] = "dux";
	char f[32];
	size_t l, c, v;

	for (l = 0; l < ARRAY_SIZE(lens); l++)
		for (c = 0; convs[c]; c++)
			for (v = 0; v < ARRAY_SIZE(diff_values); v++) {
				build_fmt(f, sizeof(f), "", "", "", lens[l], convs[c]);
				/* Pass as long long; narrower conversions read the low bits. */
				if (!same_output(t, f, false, false, diff_values[v]))
					return;
			}
}
