/*
 * kernel.h - kernel-wide odds and ends: the command line options, leaving
 * QEMU, power off and reset.
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

/* isa-debug-exit (QEMU -device isa-debug-exit,iobase=0xf4): QEMU exits
 * with status (value << 1) | 1. */
#define QEMU_EXIT_PORT	0xf4
#define QEMU_EXIT_PASS	0x10	/* status 33 */
#define QEMU_EXIT_FAIL	0x11	/* status 35 */

/* Leave QEMU through isa-debug-exit with @code (powers off when there is
 * no such device).  Any context. */
void qemu_exit(uint8_t code) __attribute__((noreturn));
/* Stop every other CPU with an NMI (panic).  Any context. */
void smp_stop_others(void);

/* Command line (kernel/cmdline.c) */
struct kernel_options {
	char test[256];		/* test=SUITE[,SUITE] or "all"; empty: no tests */
	unsigned maxcpus;	/* maxcpus=N: start at most N CPUs (0: all) */
	char root[32];		/* root=/dev/pmemN or root=pmemN; empty: pmem0 */
};
extern struct kernel_options kopts;
/* Boot CPU, once: fill kopts; unknown options are reported and ignored. */
void cmdline_parse(const char *cmdline);

/* ACPI S5, or a halt with a console line saying why not / the ACPI reset
 * register, then the keyboard controller's reset line, then a triple
 * fault.  Any context: they take no lock of their own. */
void machine_poweroff(void) __attribute__((noreturn));
void machine_reboot(void) __attribute__((noreturn));

/*
 * How the machine is powered off and reset, as the firmware driver offers
 * it (ACPI registers its S5 sleep state and the FADT reset register from
 * acpi_init()).  Each returns only when it failed, with a negative errno;
 * machine_poweroff() then halts, machine_reboot() tries the 8042 and a
 * triple fault.
 */
struct machine_power_ops {
	const char *poweroff_name;	/* for messages: "ACPI S5" */
	int (*poweroff)(void);
	int (*reset)(void);
};

/**
 * machine_power_register - use @ops from now on (it must stay valid).
 * Boot CPU, before the other CPUs start; a second call replaces the first.
 */
void machine_power_register(const struct machine_power_ops *ops);

#endif
