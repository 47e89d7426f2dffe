/*
 * timer.h - the monotonic clock, the wall clock and one-shot kernel timers.
 *
 * time_ns() counts nanoseconds since boot from the TSC, calibrated against
 * the PIT at boot.  time_wall_ns() is the date: the CMOS real-time clock's
 * time read once at boot (time_wall_init) plus time_ns() since, in
 * nanoseconds since 1970-01-01 00:00:00 UTC; it never steps.  Without a
 * usable RTC (none, or a value out of range: a console line says which)
 * it counts from the Unix epoch at boot, so dates read 1970-01-01.
 * ktimers fire from the timer interrupt on CPU 0, at SCHED_HZ granularity
 * (1 ms); their callbacks run in interrupt context with interrupts off and
 * must not sleep.
 */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <stdint.h>
#include <stdbool.h>
#include <lib/list.h>

struct ktimer {
	uint64_t deadline_ns;
	void (*fn)(void *arg);
	void *arg;
	struct list_node node;		/* timer_lock */
	bool armed;			/* timer_lock */
};

/*
 * The clocks: any context, no lock, never fail (after time_init).
 * time_ns - nanoseconds since boot, monotonic on every CPU.
 * tsc_hz - the calibrated TSC frequency; tsc_to_ns - convert a TSC delta.
 */
uint64_t time_ns(void);
uint64_t tsc_hz(void);
/* TSC value at the first instruction of the kernel (boot.S). */
uint64_t boot_tsc(void);
/* Where boot_tsc() reads it: kmain copies boot.S's boot_tsc_start here
 * first thing, while it is still reachable (kernel/time.c). */
extern uint64_t kernel_entry_tsc;
uint64_t tsc_to_ns(uint64_t tsc_delta);
/* Busy-wait (no sleeping): for drivers during boot and short delays.  Any context. */
void udelay(uint64_t us);

void time_init(void);			/* boot CPU, once: calibrate the TSC against the PIT */

/**
 * time_wall_init() - set the wall clock from the CMOS RTC.
 * @century_index: the ACPI FADT's CENTURY field (the CMOS index of the
 *                 century register), 0 when it names none: years are 20xx.
 * @no_rtc: the FADT says the machine has no CMOS RTC (IAPC_BOOT_ARCH).
 *
 * Prints one "time: " line with the date, or with why there is none and
 * the fallback (the Unix epoch at boot).  Boot CPU, once, after
 * time_init() and before the other CPUs start; nothing locks the clock.
 */
void time_wall_init(uint8_t century_index, bool no_rtc);
/* Nanoseconds since the Unix epoch, UTC.  Any context. */
uint64_t time_wall_ns(void);
/* Where the wall clock came from, for `date`: "from the CMOS RTC at boot,
 * plus the TSC since", or why there is no date. */
const char *time_wall_source(void);
/*
 * ktimers: arm and cancel from any context (timer_lock is taken with
 * interrupts off); no errors.  fn(arg) runs once, on CPU 0 in the timer
 * interrupt, with no lock held: it must not sleep.
 */
/** ktimer_init - set the callback; the timer is not armed. */
void ktimer_init(struct ktimer *t, void (*fn)(void *), void *arg);
/** ktimer_arm - fire at time_ns() >= @deadline_ns; re-arming moves the deadline. */
void ktimer_arm(struct ktimer *t, uint64_t deadline_ns);
/**
 * ktimer_cancel - returns true if the timer was still pending.  After
 * return the callback is not running and will not run: it spins while the
 * callback runs on another CPU, so it must not be called from the
 * timer's own callback.
 */
bool ktimer_cancel(struct ktimer *t);
/* The timer interrupt on CPU 0: run the callbacks that are due. */
void ktimer_run_expired(void);

/* PIT channel 2 as a calibration reference (arch/x86_64/pit.c): boot CPU,
 * before the other CPUs start; nothing locks the PIT. */
uint64_t pit_calibrate_tsc(void);	/* TSC ticks per second */
void pit_wait_start(uint32_t us);
bool pit_wait_done(void);

#endif
