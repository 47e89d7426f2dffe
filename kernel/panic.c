/*
 * panic.c - stop the machine with a report.
 *
 * panic() prints "PANIC: <message>" and a backtrace, stops the other CPUs
 * with an NMI, and then either exits QEMU with the test-failure code (when
 * a test run is in progress, so the harness does not wait for a timeout)
 * or halts.  A panic inside a panic just halts.
 */
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/ksyms.h>
#include <kernel/kernel.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>

extern bool console_panic_mode;
static int panicking;

void panic(const char *fmt, ...)
{
	va_list ap;

	irq_disable();
	if (__atomic_fetch_add(&panicking, 1, __ATOMIC_SEQ_CST) > 0) {
		for (;;)
			cpu_halt();
	}
	console_panic_mode = true;
	kprintf("\nPANIC: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	backtrace_here();
	smp_stop_others();
	if (kernel_test_mode())
		qemu_exit(QEMU_EXIT_FAIL);
	kprintf("System halted.\n");
	for (;;)
		cpu_halt();
}

void warn_at(const char *file, int line, const char *cond)
{
	kprintf("WARNING: %s at %s:%d\n", cond, file, line);
	backtrace_here();
}
