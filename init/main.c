/*
 * main.c - kmain: the boot CPU's path from the 64-bit entry to the shell.
 *
 * The order matters; each step may use only what is above it:
 *   1. per-CPU data, descriptor tables, exceptions (so faults are reported)
 *   2. serial console (kprintf)
 *   3. boot information (multiboot1/2), command line
 *   4. physical frames, kernel heap, the kernel's own page tables
 *   5. TSC clock, ACPI tables, the wall clock (CMOS RTC; the FADT names its
 *      century register), local APIC / IOAPIC, PIC off
 *   6. the scheduler (this code becomes thread "main"), timer, interrupts
 *   7. serial input, the other CPUs, PCI devices and their drivers, persistent memory
 *      (NFIT), then either the test run
 *      (test=...) or the shell
 */
#include <init/main.h>
#include <kernel/kernel.h>
#include <kernel/bootinfo.h>
#include <kernel/printk.h>
#include <kernel/panic.h>
#include <kernel/mm.h>
#include <kernel/kmalloc.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/sync.h>
#include <arch/x86_64/boot.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/irq.h>
#include <arch/x86_64/paging.h>
#include <drivers/uart16550.h>
#include <drivers/acpi.h>
#include <drivers/pmem.h>
#include <drivers/blkdev.h>
#include <drivers/pci.h>
#include <drivers/dma.h>
#include <drivers/iommu.h>
#include <drivers/nvme.h>
#include <arch/x86_64/smp.h>
#include <fs/vfs.h>
#include <net/net.h>
#include <net/nbd.h>
#include <drivers/namespace.h>
#include <fs/dax.h>
#include <shell/shell.h>
#include <syscall/syscall.h>
#include <tests/ktest_kernel.h>
#include <lib/string.h>

#define HOLDFAST_VERSION	"0.1"
#define EARLY_MAP_LIMIT		0x100000000ULL	/* boot.S maps 4 GiB */


static const void *early_phys(uint64_t pa, uint64_t len)
{
	if (pa + len < pa || pa + len > EARLY_MAP_LIMIT)
		return NULL;
	return phys_to_virt(pa);
}

/* Local APIC, IOAPICs and ISA overrides from the MADT; without one, the
 * PC defaults (LAPIC at 0xFEE00000, one IOAPIC at 0xFEC00000). */
static struct acpi_madt_info madt;
static bool have_madt;
static uint32_t cpu_apic_ids[ACPI_MAX_CPUS];	/* the MADT's enabled CPUs */

static void interrupts_init(void)
{
	ioapic_init();
	pic_disable();
	if (acpi_madt(&madt) == 0) {
		have_madt = true;
		lapic_init(madt.lapic_addr);
		cpus[0].apic_id = lapic_id();
		for (unsigned i = 0; i < madt.nioapics; i++)
			ioapic_add(madt.ioapics[i].addr, madt.ioapics[i].gsi_base);
		for (unsigned i = 0; i < madt.noverrides; i++)
			ioapic_set_isa_override(madt.overrides[i].source,
						madt.overrides[i].gsi,
						madt.overrides[i].flags);
	} else {
		kprintf("apic: no usable MADT; assuming the PC defaults\n");
		lapic_init(0xFEE00000);
		cpus[0].apic_id = lapic_id();
		ioapic_add(0xFEC00000, 0);
	}
}

/* Start the other CPUs the MADT lists as enabled, at most maxcpus=. */
static void cpus_init(void)
{
	unsigned n = 0;

	for (unsigned i = 0; have_madt && i < madt.ncpus && i < ACPI_MAX_CPUS; i++)
		if (madt.cpus[i].enabled)
			cpu_apic_ids[n++] = madt.cpus[i].apic_id;
	smp_init(cpu_apic_ids, n, kopts.maxcpus ? kopts.maxcpus : MAX_CPUS);
}

/* The date from the CMOS RTC, with the century register the FADT names. */
static void wall_clock_init(void)
{
	const struct acpi_fadt_info *fadt = acpi_fadt();

	time_wall_init(fadt ? fadt->century : 0,
		       fadt && (fadt->boot_arch & ACPI_BOOT_ARCH_NO_CMOS_RTC));
}

void kmain(uint32_t magic, uint32_t info_pa)
{
	int err;

	/* boot.S wrote it at its physical address, identity mapped only
	 * until paging_init: copy it first. */
	kernel_entry_tsc = boot_tsc_start;
	percpu_init_boot_cpu();
	uart_init();
	kprintf("\nHoldfast %s booting\n", HOLDFAST_VERSION);
	cpu_detect_features();

	err = multiboot_parse(magic, info_pa, early_phys, &boot_info);
	kprintf("boot: multiboot%d%s%s, command line '%s'\n", boot_info.protocol,
		boot_info.loader[0] ? " from " : "", boot_info.loader, boot_info.cmdline);
	if (err)
		kprintf("boot: the boot information was not usable; going on with defaults\n");
	cmdline_parse(boot_info.cmdline);

	pmm_init(&boot_info);
	kmalloc_init();
	paging_init(&boot_info);
	time_init();
	sync_init();

	acpi_init(boot_info.rsdp_len ? boot_info.rsdp : NULL, boot_info.rsdp_len);
	wall_clock_init();
	interrupts_init();

	sched_init();
	lapic_timer_start(SCHED_HZ);
	irq_enable();
	uart_enable_rx_irq();
	cpus_init();
	iommu_init();		/* before pci_init(): drivers map through it */
	pci_init();
	dma_report();
	nvme_report();
	kprintf("cpu: %s, %s\n", cpu_features.vendor, cpu_features.brand);
	pmem_init();
	namespace_init();
	blkdev_register_pmem();
	dax_init();
	vfs_mount_root();
	syscall_init();
	if (net_init() == 0)	/* nothing without a network device */
		nbd_init();

	if (kopts.test[0])
		ktest_kernel_main(kopts.test);	/* does not return */
	shell_main();
}
