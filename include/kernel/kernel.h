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

void qemu_exit(uint8_t code) __attribute__((noreturn));
bool kernel_test_mode(void);
void smp_stop_others(void);

/* Command line (kernel/cmdline.c) */
struct kernel_options {
	char test[256];		/* test=SUITE[,SUITE] or "all"; empty: no tests */
	unsigned maxcpus;	/* maxcpus=N: start at most N CPUs (0: all) */
};
extern struct kernel_options kopts;
void cmdline_parse(const char *cmdline);

void machine_poweroff(void) __attribute__((noreturn));
void machine_reboot(void) __attribute__((noreturn));

/* Boot time: TSC at the first instruction to the first prompt, in ns. */
extern uint64_t boot_to_prompt_ns;

#endif
