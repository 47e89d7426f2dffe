/*
 * test_date.c - host tests of lib/date.c: known instants (the epoch, 2000's
 * leap day, 2100's missing one, 2^31 seconds, the last uint64_t
 * nanosecond), the leap-year rule, a day-by-day walk from 1970 to 2554
 * against a plain counter, the range checks of date_to_unix_ns, and the
 * two printed forms.
 */
#include <lib/ktest.h>
#include <lib/date.h>
#include <lib/errno.h>
#include <lib/string.h>

#define NS	DATE_NS_PER_SEC

struct known {
	uint64_t secs;
	int64_t year;
	unsigned month, day, hour, minute, second;
};

/* Values from `date -u -d @SECS`. */
static const struct known known[] = {
	{ 0, 1970, 1, 1, 0, 0, 0 },
	{ 86399, 1970, 1, 1, 23, 59, 59 },
	{ 951782400, 2000, 2, 29, 0, 0, 0 },		/* 2000 is a leap year */
	{ 951868800, 2000, 3, 1, 0, 0, 0 },
	{ 1234567890, 2009, 2, 13, 23, 31, 30 },
	{ 2147483648ULL, 2038, 1, 19, 3, 14, 8 },	/* 2^31 s */
	{ 4107456000ULL, 2100, 2, 28, 0, 0, 0 },
	{ 4107542400ULL, 2100, 3, 1, 0, 0, 0 },	/* 2100 is not */
	{ 18446744073ULL, 2554, 7, 21, 23, 34, 33 },	/* UINT64_MAX ns */
};

KTEST(date, known_instants)
{
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		const struct known *k = &known[i];
		struct date_time dt;
		uint64_t back;

		date_from_unix_ns(k->secs * NS + 5, &dt);
		EXPECT_EQ(t, dt.year, k->year);
		EXPECT_EQ(t, dt.month, k->month);
		EXPECT_EQ(t, dt.day, k->day);
		EXPECT_EQ(t, dt.hour, k->hour);
		EXPECT_EQ(t, dt.minute, k->minute);
		EXPECT_EQ(t, dt.second, k->second);
		EXPECT_EQ(t, dt.nsec, 5u);
		ASSERT_OK(t, date_to_unix_ns(&dt, &back));
		EXPECT_EQ(t, back, k->secs * NS + 5);
	}
}

KTEST(date, leap_years)
{
	EXPECT_TRUE(t, date_is_leap_year(2000));
	EXPECT_TRUE(t, date_is_leap_year(2024));
	EXPECT_TRUE(t, date_is_leap_year(2400));
	EXPECT_FALSE(t, date_is_leap_year(2100));
	EXPECT_FALSE(t, date_is_leap_year(1900));
	EXPECT_FALSE(t, date_is_leap_year(2023));
	EXPECT_EQ(t, date_days_in_month(2000, 2), 29u);
	EXPECT_EQ(t, date_days_in_month(2100, 2), 28u);
	EXPECT_EQ(t, date_days_in_month(2024, 2), 29u);
	EXPECT_EQ(t, date_days_in_month(2026, 4), 30u);
	EXPECT_EQ(t, date_days_in_month(2026, 12), 31u);
	EXPECT_EQ(t, date_days_in_month(2026, 0), 0u);
	EXPECT_EQ(t, date_days_in_month(2026, 13), 0u);
}

/* Every day from 1970-01-01 to the end of 2554, counted the slow way. */
KTEST(date, every_day_round_trips)
{
	int64_t n = 0, y;
	unsigned m, d, gy, gm, gd;

	for (y = DATE_EPOCH_YEAR; y <= DATE_MAX_YEAR; y++) {
		for (m = 1; m <= 12; m++) {
			for (d = 1; d <= date_days_in_month(y, m); d++, n++) {
				int64_t year;

				if (date_days_from_civil(y, m, d) != n) {
					EXPECT_EQ(t, date_days_from_civil(y, m, d), n);
					return;
				}
				date_civil_from_days(n, &year, &gm, &gd);
				gy = (unsigned)year;
				if (gy != y || gm != m || gd != d) {
					EXPECT_EQ(t, gy, y);
					EXPECT_EQ(t, gm, m);
					EXPECT_EQ(t, gd, d);
					return;
				}
			}
		}
	}
	EXPECT_EQ(t, n, date_days_from_civil(DATE_MAX_YEAR + 1, 1, 1));
	/* and before the epoch, where the era division rounds down */
	EXPECT_EQ(t, date_days_from_civil(1969, 12, 31), -1);
	EXPECT_EQ(t, date_days_from_civil(1600, 3, 1), -135080);
}

KTEST(date, out_of_range_fields)
{
	struct date_time ok = { 2026, 12, 4, 16, 27, 15, 123456789 };
	struct date_time dt;
	uint64_t ns;

	ASSERT_OK(t, date_to_unix_ns(&ok, &ns));
	EXPECT_EQ(t, ns, 1796401635ULL * NS + 123456789);
	dt = ok, dt.month = 13;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -EINVAL);
	dt = ok, dt.month = 0;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -EINVAL);
	dt = ok, dt.month = 4, dt.day = 31;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -EINVAL);
	dt = ok, dt.year = 2100, dt.month = 2, dt.day = 29;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -EINVAL);
	dt = ok, dt.day = 0;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -EINVAL);
	dt = ok, dt.hour = 24;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -EINVAL);
	dt = ok, dt.minute = 60;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -EINVAL);
	dt = ok, dt.second = 60;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -EINVAL);
	dt = ok, dt.nsec = 1000000000;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -EINVAL);
	dt = ok, dt.year = 1969;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -ERANGE);
	dt = ok, dt.year = 2555;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -ERANGE);
	/* 2554-07-21 23:34:34 is one second past UINT64_MAX ns */
	dt = (struct date_time){ 2554, 7, 21, 23, 34, 34, 0 };
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -ERANGE);
	dt = (struct date_time){ 2554, 7, 21, 23, 34, 33, 709551615 };
	ASSERT_OK(t, date_to_unix_ns(&dt, &ns));
	EXPECT_EQ(t, ns, UINT64_MAX);
	dt.nsec++;
	EXPECT_ERR(t, date_to_unix_ns(&dt, &ns), -ERANGE);
}

KTEST(date, printed_forms)
{
	char buf[DATE_FULL_SIZE];
	uint64_t ns = 1796401635ULL * NS + 123456789;

	EXPECT_EQ(t, date_format_full(buf, sizeof(buf), ns), DATE_FULL_SIZE - 1);
	EXPECT_STREQ(t, buf, "2026-12-04 16:27:15.123456789 +0000");
	EXPECT_EQ(t, date_format_short(buf, DATE_SHORT_SIZE, ns), DATE_SHORT_SIZE - 1);
	EXPECT_STREQ(t, buf, "2026-12-04 16:27");
	date_format_full(buf, sizeof(buf), 0);
	EXPECT_STREQ(t, buf, "1970-01-01 00:00:00.000000000 +0000");
	date_format_full(buf, sizeof(buf), UINT64_MAX);
	EXPECT_STREQ(t, buf, "2554-07-21 23:34:33.709551615 +0000");
	date_format_short(buf, sizeof(buf), 951782400ULL * NS + 59 * 60 * NS);
	EXPECT_STREQ(t, buf, "2000-02-29 00:59");
}
