/*
 * power.c - leaving the machine: power off and reset through what the
 * firmware driver registered (ACPI: S5 and the FADT reset register), the
 * 8042 and triple-fault fallbacks, and the isa-debug-exit port that ends
 * a QEMU test run with a status code.
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/timer.h>
#include <lib/errno.h>
#include <arch/x86_64/io.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/desc.h>

#define KBC_STATUS		0x64	/* 8042 keyboard controller */
#define KBC_CMD_PULSE_RESET	0xFE
#define KBC_STATUS_INPUT_FULL	0x02
#define POWER_SETTLE_US		100000

static const struct machine_power_ops *power_ops;	/* set at boot, then read-only */

void machine_power_register(const struct machine_power_ops *ops)
{
	power_ops = ops;
}

void qemu_exit(uint8_t code)
{
	outb(QEMU_EXIT_PORT, code);
	/* No isa-debug-exit device: fall back to powering off. */
	machine_poweroff();
}

void machine_poweroff(void)
{
	const struct machine_power_ops *ops = power_ops;
	int err = ops && ops->poweroff ? ops->poweroff() : -ENODEV;

	udelay(POWER_SETTLE_US);
	kprintf("poweroff: %s did not power the machine off (error %d); halting\n",
		ops && ops->poweroff_name ? ops->poweroff_name : "no power-off method", err);
	irq_disable();
	for (;;)
		cpu_halt();
}

void machine_reboot(void)
{
	if (power_ops && power_ops->reset)
		power_ops->reset();
	udelay(POWER_SETTLE_US);
	/* The 8042's reset line, then a triple fault. */
	for (int i = 0; i < 1000 && (inb(KBC_STATUS) & KBC_STATUS_INPUT_FULL); i++)
		udelay(10);
	outb(KBC_STATUS, KBC_CMD_PULSE_RESET);
	udelay(POWER_SETTLE_US);
	struct desc_ptr none = { 0, 0 };
	__asm__ __volatile__("lidt %0; int3" :: "m"(none));
	for (;;)
		cpu_halt();
}
