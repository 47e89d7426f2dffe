/*
 * pit.c - the 8254 programmable interval timer, used only as a reference
 * clock to calibrate the TSC and the local APIC timer at boot.
 *
 * Channel 2 is gated by port 0x61 bit 0 and its output is readable in port
 * 0x61 bit 5, so a one-shot countdown can be polled without interrupts
 * (Intel 8254 datasheet; the PC's port 0x61 "system control port B").
 */
#include <kernel/timer.h>
#include <arch/x86_64/io.h>
#include <arch/x86_64/cpu.h>

#define PIT_HZ			1193182
#define PIT_CH2_DATA		0x42
#define PIT_CMD			0x43
#define PIT_PORT_B		0x61
#define PORTB_GATE2		0x01	/* channel 2 gate */
#define PORTB_SPEAKER		0x02	/* speaker data enable (keep off) */
#define PORTB_OUT2		0x20	/* channel 2 output (read-only) */
/* channel 2, access lobyte/hibyte, mode 0 (interrupt on terminal count), binary */
#define PIT_CMD_CH2_MODE0	0xB0

#define CALIBRATE_US		10000	/* 10 ms */

void pit_wait_start(uint32_t us)
{
	uint32_t count = (uint32_t)((uint64_t)PIT_HZ * us / 1000000);
	uint8_t b;

	if (count > 0xffff)
		count = 0xffff;
	b = inb(PIT_PORT_B);
	outb(PIT_PORT_B, (b & ~(PORTB_GATE2 | PORTB_SPEAKER)));	/* gate low: stop */
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2_DATA, count & 0xff);
	outb(PIT_CH2_DATA, count >> 8);
	b = inb(PIT_PORT_B);
	outb(PIT_PORT_B, (b & ~PORTB_SPEAKER) | PORTB_GATE2);	/* gate high: count */
}

bool pit_wait_done(void)
{
	return inb(PIT_PORT_B) & PORTB_OUT2;
}

/* TSC ticks per second: the best (shortest) of a few 10 ms PIT windows. */
uint64_t pit_calibrate_tsc(void)
{
	uint64_t best = 0;

	for (int i = 0; i < 3; i++) {
		pit_wait_start(CALIBRATE_US);
		uint64_t t0 = rdtsc();
		while (!pit_wait_done())
			cpu_relax();
		uint64_t d = rdtsc() - t0;
		if (best == 0 || d < best)
			best = d;
	}
	return best * (1000000 / CALIBRATE_US);
}
