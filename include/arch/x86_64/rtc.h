/*
 * rtc.h - the PC's CMOS real-time clock (the Motorola MC146818A and its
 * compatibles), read once at boot to set the wall clock (kernel/time.c).
 *
 * Two halves: rtc_decode() (arch/x86_64/rtc_decode.c) turns a snapshot of
 * the clock's registers into nanoseconds since the Unix epoch, checking
 * every field; it is pure C, host-tested (tests/host/test_rtc.c).
 * rtc_read_time() (arch/x86_64/rtc.c) takes the snapshot through the
 * index/data ports and decodes it.
 *
 * References: Motorola MC146818A data sheet ("Real-Time Clock Plus RAM"):
 * "Address Map" for the registers, "Register A" (UIP) and "Register B"
 * (DM, 24/12), and "Time, Calendar and Alarm Data Modes" (BCD or binary;
 * in 12-hour mode the hours register's top bit means PM); the IBM PC AT
 * Technical Reference for the CMOS index port 0x70 and data port 0x71; ACPI
 * 6.5, 5.2.9, table "FADT Format", field CENTURY (the CMOS index of the
 * century register; 0 when there is none).
 */
#ifndef ARCH_X86_64_RTC_H
#define ARCH_X86_64_RTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTC_PORT_INDEX		0x70	/* write: CMOS register index (bit 7: NMI mask) */
#define RTC_PORT_DATA		0x71	/* read/write: the register selected */

/* Register indexes, MC146818A "Address Map". */
#define RTC_REG_SECONDS		0x00
#define RTC_REG_MINUTES		0x02
#define RTC_REG_HOURS		0x04
#define RTC_REG_DAY		0x07	/* day of the month */
#define RTC_REG_MONTH		0x08
#define RTC_REG_YEAR		0x09	/* 00-99 */
#define RTC_REG_A		0x0A
#define RTC_REG_B		0x0B
/* The clock's registers end at 0x0D; a century register (FADT) lies in the
 * CMOS RAM after them, below the NMI-mask bit of the index port. */
#define RTC_FIRST_RAM_INDEX	0x0E
#define RTC_LAST_INDEX		0x7F

#define RTC_A_UIP		0x80	/* update in progress: registers changing */
#define RTC_B_24H		0x02	/* 1: 24-hour mode, 0: 12-hour mode */
#define RTC_B_BINARY		0x04	/* DM: 1 binary, 0 BCD */
#define RTC_HOURS_PM		0x80	/* 12-hour mode: PM */

/* A snapshot of the registers, as read (BCD or binary, as status_b says). */
struct rtc_regs {
	uint8_t seconds, minutes, hours, day, month, year;
	uint8_t century;		/* meaningful when has_century */
	bool has_century;		/* the FADT named a century register */
	uint8_t century_index;		/* ... at this CMOS index (for messages) */
	uint8_t status_b;
};

#define RTC_WHY_SIZE		96

/**
 * rtc_decode() - the time a register snapshot says, in ns since the epoch.
 * @r: the registers; BCD or binary and 12- or 24-hour per r->status_b.
 * @unix_ns: the result, on success.
 * @why: on failure, RTC_WHY_SIZE bytes: which register held what, and why
 *       that is not a time ("month register 0x08 holds 0x13: not 1-12").
 *
 * Every field is range-checked: BCD digits 0-9, seconds and minutes 0-59,
 * hours 0-23 (1-12 with the PM bit in 12-hour mode), month 1-12, the day
 * within that month, year 00-99.  With a century register the year is
 * century * 100 + year; without, 2000 + year.  The full date must lie in
 * 1970-2554 (what a uint64_t of nanoseconds holds).  Pure: any context.
 *
 * Returns 0, or -EINVAL with @why filled.
 */
int rtc_decode(const struct rtc_regs *r, uint64_t *unix_ns, char *why, size_t why_size);

/**
 * rtc_read_time() - read the CMOS clock and decode it.
 * @century_index: the FADT's CENTURY (a CMOS index), or 0 for none.
 * @unix_ns: the time, on success (to the second: the clock has no finer
 *           field).
 *
 * Waits for each update to finish (UIP clear, at most 10 ms) and
 * reads all registers until two reads in a row agree.  Prints a line
 * starting "rtc: " saying what was wrong, and returns -ETIMEDOUT (UIP
 * stays set: no clock there), -EIO (the reads never agree) or -EINVAL
 * (rtc_decode refused a field).  Boot CPU only, before the other CPUs
 * start (the index/data port pair is not locked).
 */
int rtc_read_time(uint8_t century_index, uint64_t *unix_ns);

#endif /* ARCH_X86_64_RTC_H */
