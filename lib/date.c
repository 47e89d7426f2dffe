/*
 * date.c - UTC calendar arithmetic for lib/date.h.
 *
 * Days and dates convert in O(1) by counting from March 1 of year 0 in
 * 400-year eras: an era is always 146097 days, and with the year starting
 * in March the leap day is the last day of a year, so the day of the year
 * gives the month by one linear formula (153 days per 5 months: 31, 30,
 * 31, 30, 31).  This is the method H. Hinnant describes in "chrono-
 * Compatible Low-Level Date Algorithms"; tests/host/test_date.c checks it
 * against known dates and a day-by-day walk from 1970 to 2554.
 */
#include <lib/date.h>
#include <lib/errno.h>
#include <lib/printf.h>

#define DAYS_PER_ERA		146097	/* 400 Gregorian years */
#define YEARS_PER_ERA		400
/* Days from 0000-03-01 (day 0 of era 0) to 1970-01-01 */
#define EPOCH_FROM_MARCH_0	719468
#define MONTHS_MARCH_TO_DEC	10	/* March..December are months 0..9 */
#define SECS_PER_HOUR		3600
#define SECS_PER_MINUTE		60
#define MAX_UNIX_SECS		(UINT64_MAX / DATE_NS_PER_SEC)

bool date_is_leap_year(int64_t year)
{
	return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

unsigned date_days_in_month(int64_t year, unsigned month)
{
	static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month < 1 || month > 12)
		return 0;
	return days[month - 1] + (month == 2 && date_is_leap_year(year));
}

/* Floor division for the era of a possibly negative count. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return (a >= 0 ? a : a - (b - 1)) / b;
}

int64_t date_days_from_civil(int64_t year, unsigned month, unsigned day)
{
	int64_t y = year - (month <= 2);	/* January and February end the year */
	int64_t era = floor_div(y, YEARS_PER_ERA);
	int64_t yoe = y - era * YEARS_PER_ERA;			/* 0..399 */
	int64_t mp = month > 2 ? month - 3 : month + 9;		/* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + day - 1;		/* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* 0..146096 */

	return era * DAYS_PER_ERA + doe - EPOCH_FROM_MARCH_0;
}

void date_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
	int64_t z = days + EPOCH_FROM_MARCH_0;
	int64_t era = floor_div(z, DAYS_PER_ERA);
	int64_t doe = z - era * DAYS_PER_ERA;			/* 0..146096 */
	/* the leap days before doe: one per 4 years, less per 100, more per 400 */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / (DAYS_PER_ERA - 1)) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* 0..365 */
	int64_t mp = (5 * doy + 2) / 153;			/* March = 0 */

	*day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*month = (unsigned)(mp < MONTHS_MARCH_TO_DEC ? mp + 3 : mp - 9);
	*year = yoe + era * YEARS_PER_ERA + (*month <= 2);
}

void date_from_unix_ns(uint64_t ns, struct date_time *dt)
{
	uint64_t secs = ns / DATE_NS_PER_SEC;
	uint64_t sod = secs % DATE_SECS_PER_DAY;

	dt->nsec = (uint32_t)(ns % DATE_NS_PER_SEC);
	date_civil_from_days((int64_t)(secs / DATE_SECS_PER_DAY), &dt->year, &dt->month, &dt->day);
	dt->hour = (unsigned)(sod / SECS_PER_HOUR);
	dt->minute = (unsigned)(sod / SECS_PER_MINUTE % 60);
	dt->second = (unsigned)(sod % SECS_PER_MINUTE);
}

int date_to_unix_ns(const struct date_time *dt, uint64_t *ns)
{
	int64_t days;
	uint64_t secs;

	if (dt->day < 1 || dt->day > date_days_in_month(dt->year, dt->month) ||
	    dt->hour > 23 || dt->minute > 59 || dt->second > 59 || dt->nsec >= DATE_NS_PER_SEC)
		return -EINVAL;
	if (dt->year < DATE_EPOCH_YEAR || dt->year > DATE_MAX_YEAR)
		return -ERANGE;
	days = date_days_from_civil(dt->year, dt->month, dt->day);
	secs = (uint64_t)days * DATE_SECS_PER_DAY + dt->hour * SECS_PER_HOUR +
	       dt->minute * SECS_PER_MINUTE + dt->second;
	if (secs > MAX_UNIX_SECS ||
	    secs * DATE_NS_PER_SEC > UINT64_MAX - dt->nsec)
		return -ERANGE;
	*ns = secs * DATE_NS_PER_SEC + dt->nsec;
	return 0;
}

int date_format_full(char *buf, size_t size, uint64_t ns)
{
	struct date_time dt;

	date_from_unix_ns(ns, &dt);
	return snprintf(buf, size, "%04lld-%02u-%02u %02u:%02u:%02u.%09u +0000",
			(long long)dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second,
			dt.nsec);
}

int date_format_short(char *buf, size_t size, uint64_t ns)
{
	struct date_time dt;

	date_from_unix_ns(ns, &dt);
	return snprintf(buf, size, "%04lld-%02u-%02u %02u:%02u", (long long)dt.year, dt.month,
			dt.day, dt.hour, dt.minute);
}
