/*
 * panic.c - stop the machine with a report.
 *
 * panic() prints "PANIC: <message>" and a backtrace, stops the other CPUs
 * with an NMI, runs the panic hook if one is registered (the in-kernel
 * test runner's exits QEMU with the test-failure code, so the harness does
 * not wait for a timeout), and halts.  A panic inside a panic just halts.
 */
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/ksyms.h>
#include <kernel/kernel.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>

static int panicking;
static void (*panic_hook)(void);	/* atomic */

void panic_set_hook(void (*fn)(void))
{
	__atomic_store_n(&panic_hook, fn, __ATOMIC_RELEASE);
}

void (*panic_get_hook(void))(void)
{
	return __atomic_load_n(&panic_hook, __ATOMIC_ACQUIRE);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	void (*hook)(void);

	irq_disable();
	if (__atomic_fetch_add(&panicking, 1, __ATOMIC_SEQ_CST) > 0) {
		for (;;)
			cpu_halt();
	}
	console_enter_panic();
	kprintf("\nPANIC: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	backtrace_here();
	smp_stop_others();
	hook = panic_get_hook();
	if (hook)
		hook();
	kprintf("System halted.\n");
	for (;;)
		cpu_halt();
}

void warn_at(const char *file, int line, const char *cond)
{
	kprintf("WARNING: %s at %s:%d\n", cond, file, line);
	backtrace_here();
}
