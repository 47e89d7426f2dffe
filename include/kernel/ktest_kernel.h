/*
 * ktest_kernel.h - running the in-kernel test suites (test= on the kernel
 * command line) and helpers the kernel suites share.
 */
#ifndef KERNEL_KTEST_KERNEL_H
#define KERNEL_KTEST_KERNEL_H

#include <lib/ktest.h>
#include <kernel/kjmp.h>
#include <stdbool.h>
#include <stdint.h>

/* Run the suites in `filter`, print KTAP, exit QEMU with pass/fail. */
void ktest_kernel_main(const char *filter) __attribute__((noreturn));

/*
 * Touch memory expecting a fault: returns the exception vector (EXC_PF...)
 * if the access faulted, or -1 if it did not.  *fault_addr gets CR2.
 */
int probe_read(const volatile void *p, uint64_t *fault_addr);
int probe_write(volatile void *p, uint64_t *fault_addr);

#endif
