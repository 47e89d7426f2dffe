/*
 * test_rtc.c - host tests of the CMOS clock's decoding
 * (arch/x86_64/rtc_decode.c): BCD and binary, 24- and 12-hour (midnight,
 * noon, PM), with and without a century register, and a refusal naming the
 * register for every field out of range.
 */
#include <lib/ktest.h>
#include <lib/date.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <arch/x86_64/rtc.h>

#define NS		DATE_NS_PER_SEC
#define BCD_24H		RTC_B_24H
#define BIN_24H		(RTC_B_24H | RTC_B_BINARY)
#define BCD_12H		0
#define BIN_12H		RTC_B_BINARY
#define CENTURY_REG	0x32	/* where QEMU's FADT puts it */
/* 2026-12-04 16:27:15 UTC (date -u -d @1796401635) */
#define T_2026		1796401635ULL

static struct rtc_regs regs(uint8_t b, uint8_t s, uint8_t m, uint8_t h, uint8_t day,
			    uint8_t mon, uint8_t yy, int cc)
{
	struct rtc_regs r = {
		.seconds = s, .minutes = m, .hours = h, .day = day, .month = mon,
		.year = yy, .century = cc < 0 ? 0 : (uint8_t)cc, .has_century = cc >= 0,
		.century_index = cc < 0 ? 0 : CENTURY_REG, .status_b = b,
	};
	return r;
}

/* @r decodes to @want seconds after the epoch, and says nothing. */
static void decodes_to(struct ktest *t, struct rtc_regs r, uint64_t want)
{
	char why[RTC_WHY_SIZE] = "";
	uint64_t ns = 0;

	EXPECT_OK(t, rtc_decode(&r, &ns, why, sizeof(why)));
	EXPECT_STREQ(t, why, "");
	EXPECT_EQ(t, ns, want * NS);
}

KTEST(rtc, bcd_and_binary)
{
	decodes_to(t, regs(BCD_24H, 0x15, 0x27, 0x16, 0x04, 0x12, 0x26, 0x20), T_2026);
	decodes_to(t, regs(BIN_24H, 15, 27, 16, 4, 12, 26, 20), T_2026);
	/* no century register: 20xx */
	decodes_to(t, regs(BCD_24H, 0x15, 0x27, 0x16, 0x04, 0x12, 0x26, -1), T_2026);
	decodes_to(t, regs(BIN_24H, 0, 0, 0, 1, 1, 70, 19), 0u);
	decodes_to(t, regs(BCD_24H, 0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x19), 946684799u);				/* 1999-12-31 23:59:59 */
	decodes_to(t, regs(BCD_24H, 0, 0, 0, 0x29, 0x02, 0x00, 0x20), 951782400u);				/* 2000-02-29: a leap day */
}

KTEST(rtc, twelve_hour_mode)
{
	/* 4 PM, BCD and binary */
	decodes_to(t, regs(BCD_12H, 0x15, 0x27, RTC_HOURS_PM | 0x04, 0x04, 0x12, 0x26,
				  0x20), T_2026);
	decodes_to(t, regs(BIN_12H, 15, 27, RTC_HOURS_PM | 4, 4, 12, 26, 20), T_2026);
	/* 4 AM is 12 hours earlier */
	decodes_to(t, regs(BCD_12H, 0x15, 0x27, 0x04, 0x04, 0x12, 0x26, 0x20), T_2026 - 12 * 3600);
	/* 12 AM is midnight, 12 PM is noon */
	decodes_to(t, regs(BCD_12H, 0, 0, 0x12, 0x01, 0x01, 0x70, 0x19), 0u);
	decodes_to(t, regs(BIN_12H, 0, 0, RTC_HOURS_PM | 12, 1, 1, 70, 19), 12 * 3600u);
	decodes_to(t, regs(BCD_12H, 0, 0, RTC_HOURS_PM | 0x11, 0x01, 0x01, 0x70, 0x19), 23 * 3600u);
}

/* Decoding @r fails with -EINVAL and a reason containing @want. */
static void refused(struct ktest *t, struct rtc_regs r, const char *want)
{
	char why[RTC_WHY_SIZE] = "";
	uint64_t ns = 12345;

	EXPECT_ERR(t, rtc_decode(&r, &ns, why, sizeof(why)), -EINVAL);
	EXPECT_EQ(t, ns, 12345u);
	if (!strstr(why, want))
		ktest_fail_msg(t, "reason '%s' lacks '%s'", why, want);
}

KTEST(rtc, every_field_range_checked)
{
	refused(t, regs(BCD_24H, 0x60, 0, 0, 1, 1, 0x26, 0x20),
		"seconds register 0x00 holds 0x60 (BCD 60): not 0-59");
	refused(t, regs(BCD_24H, 0, 0x1a, 0, 1, 1, 0x26, 0x20),
		"minutes register 0x02 holds 0x1a: not a BCD number");
	refused(t, regs(BIN_24H, 0, 60, 0, 1, 1, 26, 20),
		"minutes register 0x02 holds 0x3c (binary 60): not 0-59");
	refused(t, regs(BCD_24H, 0, 0, 0x24, 1, 1, 0x26, 0x20),
		"hours register 0x04 holds 0x24 (BCD 24): not 0-23");
	refused(t, regs(BCD_24H, 0, 0, RTC_HOURS_PM | 0x04, 1, 1, 0x26, 0x20),
		"the PM bit is set in 24-hour mode");
	refused(t, regs(BCD_12H, 0, 0, 0x00, 1, 1, 0x26, 0x20), "not 1-12");
	refused(t, regs(BCD_12H, 0, 0, RTC_HOURS_PM | 0x13, 1, 1, 0x26, 0x20), "not 1-12");
	refused(t, regs(BCD_24H, 0, 0, 0, 1, 0x13, 0x26, 0x20),
		"month register 0x08 holds 0x13 (BCD 13): not 1-12");
	refused(t, regs(BCD_24H, 0, 0, 0, 1, 0x00, 0x26, 0x20), "month register 0x08");
	refused(t, regs(BCD_24H, 0, 0, 0, 0x31, 0x04, 0x26, 0x20),
		"day register 0x07 holds 0x31 (BCD 31): not 1-30");
	refused(t, regs(BCD_24H, 0, 0, 0, 0x00, 0x04, 0x26, 0x20), "day register 0x07");
	/* 2100 is not a leap year; 2028 is, 2027 is not */
	refused(t, regs(BCD_24H, 0, 0, 0, 0x29, 0x02, 0x00, 0x21), "not 1-28");
	refused(t, regs(BCD_24H, 0, 0, 0, 0x29, 0x02, 0x27, -1), "not 1-28");
	decodes_to(t, regs(BCD_24H, 0, 0, 0, 0x29, 0x02, 0x28, -1), 1835395200u);
	refused(t, regs(BIN_24H, 0, 0, 0, 1, 1, 100, 20), "year register 0x09 holds 0x64");
	refused(t, regs(BCD_24H, 0, 0, 0, 1, 1, 0x26, 0xf0),
		"century register 0x32 holds 0xf0: not a BCD number");
	refused(t, regs(BCD_24H, 0, 0, 0, 1, 1, 0x60, 0x19),
		"the year 1960 is outside 1970-2554 (from the century register)");
	refused(t, regs(BIN_24H, 0, 0, 0, 1, 1, 0, 26), "the year 2600 is outside");
	/* a floating bus reads all ones */
	refused(t, regs(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "seconds register 0x00");
}
