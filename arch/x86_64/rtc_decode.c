/*
 * rtc_decode.c - the CMOS real-time clock's registers to a time
 * (include/arch/x86_64/rtc.h): BCD or binary fields, 12- or 24-hour
 * hours, the century, and a range check on every value.  Pure C with no
 * hardware access, so tests/host/test_rtc.c runs it on the host.
 */
#include <arch/x86_64/rtc.h>
#include <lib/date.h>
#include <lib/errno.h>
#include <lib/printf.h>

#define BCD_DIGIT_MAX		9
#define BCD_HIGH_SHIFT		4
#define BCD_LOW_MASK		0x0F
#define CENTURY_IMPLIED		20	/* no century register: 20xx */
#define YEARS_PER_CENTURY	100
#define HOURS_PER_HALF_DAY	12

/* How one register is checked: its name, index and allowed values. */
struct rtc_field {
	const char *name;
	uint8_t index;
	unsigned min, max;
};

static const struct rtc_field f_seconds = { "seconds", RTC_REG_SECONDS, 0, 59 };
static const struct rtc_field f_minutes = { "minutes", RTC_REG_MINUTES, 0, 59 };
static const struct rtc_field f_hours24 = { "hours", RTC_REG_HOURS, 0, 23 };
static const struct rtc_field f_hours12 = { "hours", RTC_REG_HOURS, 1, 12 };
static const struct rtc_field f_month = { "month", RTC_REG_MONTH, 1, 12 };
static const struct rtc_field f_year = { "year", RTC_REG_YEAR, 0, 99 };

/*
 * The value of register @f holding @raw (BCD unless @binary), checked
 * against the field's range.  0, or -EINVAL with @why saying what it held.
 */
static int field(const struct rtc_field *f, uint8_t raw, bool binary, unsigned *val,
		 char *why, size_t size)
{
	unsigned hi = raw >> BCD_HIGH_SHIFT, lo = raw & BCD_LOW_MASK;

	if (!binary && (hi > BCD_DIGIT_MAX || lo > BCD_DIGIT_MAX)) {
		snprintf(why, size, "%s register 0x%02x holds 0x%02x: not a BCD number",
			 f->name, f->index, raw);
		return -EINVAL;
	}
	*val = binary ? raw : hi * 10 + lo;
	if (*val < f->min || *val > f->max) {
		snprintf(why, size, "%s register 0x%02x holds 0x%02x (%s %u): not %u-%u",
			 f->name, f->index, raw, binary ? "binary" : "BCD", *val, f->min, f->max);
		return -EINVAL;
	}
	return 0;
}

/* Hours in either mode, as 0-23. */
static int hours(const struct rtc_regs *r, bool binary, unsigned *hour, char *why, size_t size)
{
	bool pm = r->hours & RTC_HOURS_PM;
	int err;

	if (r->status_b & RTC_B_24H) {
		if (pm) {
			snprintf(why, size, "hours register 0x%02x holds 0x%02x: the PM bit is set "
				 "in 24-hour mode", RTC_REG_HOURS, r->hours);
			return -EINVAL;
		}
		return field(&f_hours24, r->hours, binary, hour, why, size);
	}
	err = field(&f_hours12, r->hours & ~RTC_HOURS_PM, binary, hour, why, size);
	if (err)
		return err;
	/* 12 AM is midnight (0), 12 PM is noon (12) */
	*hour = *hour % HOURS_PER_HALF_DAY + (pm ? HOURS_PER_HALF_DAY : 0);
	return 0;
}

/* The full year: the century register's, or 20xx without one. */
static int full_year(const struct rtc_regs *r, bool binary, int64_t *year, char *why,
		     size_t size)
{
	struct rtc_field f_century = { "century", r->century_index, 0, 99 };
	unsigned yy, cc = CENTURY_IMPLIED;
	int err;

	if ((err = field(&f_year, r->year, binary, &yy, why, size)))
		return err;
	if (r->has_century && (err = field(&f_century, r->century, binary, &cc, why, size)))
		return err;
	*year = (int64_t)cc * YEARS_PER_CENTURY + yy;
	return 0;
}

int rtc_decode(const struct rtc_regs *r, uint64_t *unix_ns, char *why, size_t why_size)
{
	bool binary = r->status_b & RTC_B_BINARY;
	struct date_time dt = { 0 };
	struct rtc_field f_day = { "day", RTC_REG_DAY, 1, 31 };
	int err;

	if ((err = field(&f_seconds, r->seconds, binary, &dt.second, why, why_size)) ||
	    (err = field(&f_minutes, r->minutes, binary, &dt.minute, why, why_size)) ||
	    (err = hours(r, binary, &dt.hour, why, why_size)) ||
	    (err = field(&f_month, r->month, binary, &dt.month, why, why_size)) ||
	    (err = full_year(r, binary, &dt.year, why, why_size)))
		return err;
	f_day.max = date_days_in_month(dt.year, dt.month);
	if ((err = field(&f_day, r->day, binary, &dt.day, why, why_size)))
		return err;
	if (date_to_unix_ns(&dt, unix_ns)) {
		snprintf(why, why_size, "the year %lld is outside %d-%d (%s)", (long long)dt.year,
			 DATE_EPOCH_YEAR, DATE_MAX_YEAR,
			 r->has_century ? "from the century register" : "20xx: no century register");
		return -EINVAL;
	}
	return 0;
}
