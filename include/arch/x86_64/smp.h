/*
 * smp.h - secondary CPUs, inter-processor interrupts, cross-CPU calls and
 * TLB shootdown.
 *
 * smp_init() starts the CPUs it is given (init/main.c passes the enabled
 * CPUs of the MADT) with INIT-SIPI-SIPI through the trampoline at
 * TRAMP_BASE; each joins the scheduler.  smp_call_on()
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

/**
 * smp_init - start the CPUs whose local APIC IDs are @apic_ids[0..@n) (the
 * boot CPU's own ID, if listed, is skipped), at most @max_cpus CPUs in
 * all; @n == 0: the boot CPU only.  A CPU that needs x2APIC mode (ID above
 * 255), or does not answer, is reported and left out.  Boot CPU, thread
 * context, after the scheduler and the local APIC timer are running; once.
 */
void smp_init(const uint32_t *apic_ids, unsigned n, unsigned max_cpus);
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
