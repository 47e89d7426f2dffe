/*
 * time.c - the monotonic nanosecond clock (TSC), the wall clock, and
 * kernel timers.
 *
 * The TSC rate is measured once against the PIT.  time_ns() converts TSC
 * ticks to nanoseconds with a 64x64->128-bit multiply by a fixed-point
 * factor (ns per tick << 32), so it never overflows and needs no division.
 *
 * The wall clock is one offset: the CMOS RTC's date at boot minus
 * time_ns() then (arch/x86_64/rtc.c reads and checks it).  Written once
 * by time_wall_init() before the other CPUs start, read-only after.
 *
 * Timers sit on one list sorted by deadline, guarded by timer_lock (taken
 * with interrupts off: the timer interrupt takes it too).  Expired timers
 * are unlinked under the lock and their callbacks run after it is dropped;
 * `running` lets ktimer_cancel wait for a callback in flight on another CPU.
 */
#include <kernel/timer.h>
#include <kernel/sync.h>
#include <kernel/printk.h>
#include <kernel/panic.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/rtc.h>
#include <lib/date.h>

uint64_t kernel_entry_tsc;		/* TSC at _start, copied by kmain */

static uint64_t tsc_freq;		/* ticks per second */
static uint64_t tsc_base;		/* TSC at time_init */
static uint64_t ns_per_tick_fp32;	/* (1e9 << 32) / tsc_freq */

static spinlock_t timer_lock = SPINLOCK_INIT("timers");
static struct list_node timers = LIST_INIT(timers);
static struct ktimer *running;		/* callback in progress, timer_lock */

uint64_t tsc_hz(void) { return tsc_freq; }
uint64_t boot_tsc(void) { return kernel_entry_tsc; }

uint64_t tsc_to_ns(uint64_t d)
{
	return (uint64_t)(((unsigned __int128)d * ns_per_tick_fp32) >> 32);
}

void time_init(void)
{
	tsc_freq = pit_calibrate_tsc();
	if (tsc_freq == 0)
		panic("time: TSC does not advance");
	ns_per_tick_fp32 = (uint64_t)(((unsigned __int128)1000000000ULL << 32) / tsc_freq);
	tsc_base = kernel_entry_tsc ? kernel_entry_tsc : rdtsc();
	kprintf("time: TSC %lu.%03lu MHz\n", tsc_freq / 1000000, (tsc_freq / 1000) % 1000);
}

/* Wall-clock time when time_ns() was 0; 0 (the epoch) without an RTC. */
static uint64_t wall_at_zero_ns;
static const char *wall_source = "no RTC read yet: counted from the Unix epoch at boot";

void time_wall_init(uint8_t century_index, bool no_rtc)
{
	char date[DATE_FULL_SIZE];
	uint64_t rtc_ns, now;

	if (no_rtc) {
		wall_source = "the FADT says there is no CMOS RTC: counted from the Unix epoch at boot";
		kprintf("time: %s\n", wall_source);
		return;
	}
	if (rtc_read_time(century_index, &rtc_ns)) {
		wall_source = "no usable CMOS RTC: counted from the Unix epoch at boot";
		kprintf("time: no date from the RTC (above); dates count from "
			"1970-01-01 00:00:00 UTC at boot\n");
		return;
	}
	now = time_ns();
	wall_at_zero_ns = rtc_ns > now ? rtc_ns - now : 0;
	wall_source = "from the CMOS RTC at boot, plus the TSC since";
	date_format_full(date, sizeof(date), rtc_ns);
	kprintf("time: %s from the CMOS RTC%s\n", date,
		century_index ? "" : " (no century register: 20xx)");
}

uint64_t time_wall_ns(void)
{
	return wall_at_zero_ns + time_ns();
}

const char *time_wall_source(void)
{
	return wall_source;
}

/* Nanoseconds since the kernel's first instruction. */
uint64_t time_ns(void)
{
	if (!ns_per_tick_fp32)
		return 0;
	return tsc_to_ns(rdtsc() - tsc_base);
}

void udelay(uint64_t us)
{
	uint64_t end = time_ns() + us * 1000;

	while (time_ns() < end)
		cpu_relax();
}

void ktimer_init(struct ktimer *t, void (*fn)(void *), void *arg)
{
	t->fn = fn;
	t->arg = arg;
	t->armed = false;
	t->deadline_ns = 0;
	list_init(&t->node);
}

void ktimer_arm(struct ktimer *t, uint64_t deadline_ns)
{
	unsigned long f = spin_lock_irqsave(&timer_lock);
	struct ktimer *pos;

	if (t->armed)
		list_del(&t->node);
	t->deadline_ns = deadline_ns;
	t->armed = true;
	/* Insert before the first timer with a later deadline. */
	list_for_each_entry(pos, &timers, node) {
		if (pos->deadline_ns > deadline_ns)
			break;
	}
	list_add_tail(&pos->node, &t->node);
	spin_unlock_irqrestore(&timer_lock, f);
}

bool ktimer_cancel(struct ktimer *t)
{
	bool was;

	for (;;) {
		unsigned long f = spin_lock_irqsave(&timer_lock);
		was = t->armed;
		if (was) {
			list_del(&t->node);
			t->armed = false;
		}
		bool busy = running == t;
		spin_unlock_irqrestore(&timer_lock, f);
		if (!busy)
			return was;
		cpu_relax();	/* its callback runs on another CPU right now */
	}
}

void ktimer_run_expired(void)
{
	uint64_t now = time_ns();

	for (;;) {
		unsigned long f = spin_lock_irqsave(&timer_lock);
		struct ktimer *t = NULL;

		if (!list_empty(&timers)) {
			t = list_first_entry(&timers, struct ktimer, node);
			if (t->deadline_ns > now) {
				t = NULL;
			} else {
				list_del(&t->node);
				t->armed = false;
				running = t;
			}
		}
		spin_unlock_irqrestore(&timer_lock, f);
		if (!t)
			return;
		t->fn(t->arg);
		f = spin_lock_irqsave(&timer_lock);
		running = NULL;
		spin_unlock_irqrestore(&timer_lock, f);
	}
}
