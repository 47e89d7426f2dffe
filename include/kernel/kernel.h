/*
 * kernel.h - kernel-wide odds and ends: the command line options, test
 * mode, leaving QEMU, power off.
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
/* Is a test= run in progress?  Any context. */
bool kernel_test_mode(void);
/* Stop every other CPU with an NMI (panic).  Any context. */
void smp_stop_others(void);

/* Command line (kernel/cmdline.c) */
struct kernel_options {
	char test[256];		/* test=SUITE[,SUITE] or "all"; empty: no tests */
	unsigned maxcpus;	/* maxcpus=N: start at most N CPUs (0: all) */
};
extern struct kernel_options kopts;
/* Boot CPU, once: fill kopts; unknown options are reported and ignored. */
void cmdline_parse(const char *cmdline);

/* ACPI S5, or a halt with a console line saying why not / the ACPI reset
 * register, then the keyboard controller's reset line, then a triple
 * fault.  Any context: they take no lock of their own. */
void machine_poweroff(void) __attribute__((noreturn));
void machine_reboot(void) __attribute__((noreturn));

/* Boot time: TSC at the first instruction to the first prompt, in ns. */
extern uint64_t boot_to_prompt_ns;

#endif
