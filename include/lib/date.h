/*
 * date.h - calendar dates in UTC: days since the Unix epoch to and from
 * year/month/day (the proleptic Gregorian calendar), nanoseconds since the
 * epoch to and from a broken-down date, and the two ways dates are printed.
 *
 * Used by the kernel (the RTC gives a date, holdfs stores nanoseconds
 * since 1970-01-01 00:00:00 UTC, the shell prints dates) and by the host
 * tools, so that `stat` and `ls -l` print the same text on both sides.
 * Pure functions: no state, no locks, any context.  No time zones: every
 * date is UTC and printed with "+0000".
 */
#ifndef LIB_DATE_H
#define LIB_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DATE_NS_PER_SEC		1000000000ULL
#define DATE_SECS_PER_DAY	86400
#define DATE_EPOCH_YEAR		1970
/* The last moment a uint64_t of nanoseconds holds: 2554-07-21 23:34:33. */
#define DATE_MAX_YEAR		2554

/* "2026-12-04 16:27:15.123456789 +0000" and "2026-12-04 16:27", with NUL */
#define DATE_FULL_SIZE		36
#define DATE_SHORT_SIZE		17

struct date_time {
	int64_t year;
	unsigned month;			/* 1-12 */
	unsigned day;			/* 1-31 */
	unsigned hour;			/* 0-23 */
	unsigned minute;		/* 0-59 */
	unsigned second;		/* 0-59 (no leap seconds: Unix time has none) */
	uint32_t nsec;			/* 0-999999999 */
};

/* Divisible by 4, and not by 100 unless by 400: 2000 is, 2100 is not. */
bool date_is_leap_year(int64_t year);

/* 28-31 days; 0 when @month is not 1-12. */
unsigned date_days_in_month(int64_t year, unsigned month);

/*
 * date_days_from_civil - days from 1970-01-01 to @year-@month-@day
 * (negative before it).  The date must be valid (date_days_in_month).
 */
int64_t date_days_from_civil(int64_t year, unsigned month, unsigned day);

/* date_civil_from_days - the inverse: the date @days after 1970-01-01. */
void date_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);

/* date_from_unix_ns - the UTC date @ns nanoseconds after the epoch. */
void date_from_unix_ns(uint64_t ns, struct date_time *dt);

/**
 * date_to_unix_ns - nanoseconds since the epoch of @dt.
 * Returns 0; -EINVAL when a field is out of its range (month 13, April 31,
 * hour 24 ...); -ERANGE before 1970 or after what a uint64_t holds.
 */
int date_to_unix_ns(const struct date_time *dt, uint64_t *ns);

/**
 * date_format_full - "2026-12-04 16:27:15.123456789 +0000", as coreutils'
 * stat prints a time in UTC.  Returns what snprintf returns.
 */
int date_format_full(char *buf, size_t size, uint64_t ns);

/**
 * date_format_short - "2026-12-04 16:27", as `ls -l --time-style=long-iso`
 * prints it (the minute, UTC).  Returns what snprintf returns.
 */
int date_format_short(char *buf, size_t size, uint64_t ns);

#endif /* LIB_DATE_H */
