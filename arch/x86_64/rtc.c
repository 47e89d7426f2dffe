/*
 * rtc.c - reading the PC's CMOS real-time clock through ports 0x70/0x71
 * (include/arch/x86_64/rtc.h has the registers and their references).
 *
 * The clock updates its registers once a second; while it does (UIP set in
 * register A, for at most 1984 us plus the 244 us warning) a read may see
 * half an update.  So the registers are read only with UIP clear, and read
 * again until two snapshots in a row agree: an update that started between
 * the UIP check and the last register shows up as a difference.
 *
 * Runs once, at boot, on the boot CPU before the others start: the
 * index-then-data port pair needs no lock then.  The index is written
 * with the NMI-mask bit (bit 7) clear, leaving NMIs enabled.
 */
#include <arch/x86_64/rtc.h>
#include <arch/x86_64/io.h>
#include <kernel/printk.h>
#include <kernel/timer.h>
#include <lib/errno.h>

#define RTC_UIP_WAIT_US		10000	/* an update takes at most ~2.2 ms */
#define RTC_UIP_POLL_US		10
#define RTC_READ_TRIES		10	/* snapshots before giving up on agreement */

static uint8_t cmos_read(uint8_t index)
{
	outb(RTC_PORT_INDEX, index);
	return inb(RTC_PORT_DATA);
}

/* Wait until no update is in progress; false after RTC_UIP_WAIT_US. */
static bool wait_no_update(void)
{
	for (unsigned waited = 0; waited < RTC_UIP_WAIT_US; waited += RTC_UIP_POLL_US) {
		if (!(cmos_read(RTC_REG_A) & RTC_A_UIP))
			return true;
		udelay(RTC_UIP_POLL_US);
	}
	return false;
}

static void snapshot(struct rtc_regs *r, uint8_t century_index)
{
	r->seconds = cmos_read(RTC_REG_SECONDS);
	r->minutes = cmos_read(RTC_REG_MINUTES);
	r->hours = cmos_read(RTC_REG_HOURS);
	r->day = cmos_read(RTC_REG_DAY);
	r->month = cmos_read(RTC_REG_MONTH);
	r->year = cmos_read(RTC_REG_YEAR);
	r->has_century = century_index != 0;
	r->century_index = century_index;
	r->century = r->has_century ? cmos_read(century_index) : 0;
	r->status_b = cmos_read(RTC_REG_B);
}

static bool same(const struct rtc_regs *a, const struct rtc_regs *b)
{
	return a->seconds == b->seconds && a->minutes == b->minutes && a->hours == b->hours &&
	       a->day == b->day && a->month == b->month && a->year == b->year &&
	       a->century == b->century && a->status_b == b->status_b;
}

/* Two agreeing snapshots in *r; 0, -ETIMEDOUT or -EIO (said). */
static int read_stable(struct rtc_regs *r, uint8_t century_index)
{
	struct rtc_regs next;

	for (int i = 0; i <= RTC_READ_TRIES; i++) {
		if (!wait_no_update()) {
			kprintf("rtc: update in progress (register A bit 7) still set after %u ms: "
				"no working clock at ports %#x/%#x\n", RTC_UIP_WAIT_US / 1000,
				RTC_PORT_INDEX, RTC_PORT_DATA);
			return -ETIMEDOUT;
		}
		snapshot(&next, century_index);
		if (i > 0 && same(r, &next))
			return 0;
		*r = next;
	}
	kprintf("rtc: %d reads in a row disagree: the registers keep changing\n",
		RTC_READ_TRIES + 1);
	return -EIO;
}

int rtc_read_time(uint8_t century_index, uint64_t *unix_ns)
{
	char why[RTC_WHY_SIZE];
	struct rtc_regs r;
	int err;

	if (century_index && (century_index < RTC_FIRST_RAM_INDEX ||
			      century_index > RTC_LAST_INDEX)) {
		kprintf("rtc: the FADT's century register %#x is not a CMOS RAM index "
			"(%#x-%#x): ignored, years are 20xx\n", century_index,
			RTC_FIRST_RAM_INDEX, RTC_LAST_INDEX);
		century_index = 0;
	}
	if ((err = read_stable(&r, century_index)))
		return err;
	if ((err = rtc_decode(&r, unix_ns, why, sizeof(why))))
		kprintf("rtc: %s\n", why);
	return err;
}
