/*
 * smp.h - secondary CPUs, inter-processor interrupts, cross-CPU calls and
 * TLB shootdown.
 *
 * smp_init() starts every enabled CPU of the MADT (INIT-SIPI-SIPI through
 * the trampoline at TRAMP_BASE); each joins the scheduler.  smp_call_on()
 * runs a function on another CPU from its IPI handler; with wait it
 * returns after the function ran there.  While a CPU waits for others it
 * keeps serving calls addressed to it, so two CPUs calling each other
 * (with interrupts off) cannot deadlock.  Call functions run with
 * interrupts off and must not sleep.
 */
#ifndef ARCH_X86_64_SMP_H
#define ARCH_X86_64_SMP_H

#define TRAMP_BASE	0x8000		/* below 1 MiB, page aligned (SIPI vector 0x08) */

#ifndef __ASSEMBLY__
#include <stdint.h>
#include <stdbool.h>

struct acpi_madt_info;
/* Boot CPU, once, thread context: start at most @max_cpus CPUs (0: all);
 * a CPU that does not answer is reported and left out. */
void smp_init(const struct acpi_madt_info *madt, unsigned max_cpus);
/* CPUs running now.  Any context, no lock. */
unsigned smp_online_count(void);

/* Run fn(arg) on CPU cpu; wait: until it has run.  Thread or boot context,
 * interrupts on or off.  0, -EINVAL (CPU offline), -ENOMEM (an async call
 * that cannot be queued). */
int smp_call_on(unsigned cpu, void (*fn)(void *), void *arg, bool wait);
/* Run fn(arg) on every other online CPU and wait for all of them.  As
 * smp_call_on; no errors. */
void smp_call_others(void (*fn)(void *), void *arg);

/* Round-trip cost of an IPI: ns per synchronous smp_call_on to cpu. */
uint64_t smp_measure_ipi_ns(unsigned cpu, unsigned rounds);
#endif

#endif
