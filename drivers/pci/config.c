/*
 * config.c - PCI configuration space access: PCI Express ECAM where the
 * ACPI MCFG gives a window for segment 0, the legacy 0xCF8/0xCFC ports
 * otherwise (the i440fx `pc` machine has no MCFG).
 *
 * Interface: pci_conf_read/pci_conf_write (include/drivers/pci.h) and, for
 * the PCI core, pci_internal.h.  Each bus gets its own 1 MiB ECAM window,
 * mapped by pci_init() when it scans the bus; a bus it never scanned (no
 * device there) stays on the legacy ports, so an access never has to map
 * anything and works in any context.
 *
 * Locking: cf8_lock (irqsave) serialises the two-step legacy access.
 * ECAM accesses are single MMIO loads and stores and need no lock.  The
 * window table is written by pci_init() only (pci_config_setup,
 * pci_ecam_map_bus), each entry published with one store after it is
 * mapped; readers use READ_ONCE.
 */
#include <stdbool.h>
#include <stdint.h>
#include <arch/x86_64/io.h>
#include <drivers/acpi.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sync.h>
#include <lib/compiler.h>
#include <lib/errno.h>
#include "pci_internal.h"

/* Configuration mechanism #1 [PCI 3.2.2.3.2]: write the address of a
 * dword to CONFIG_ADDRESS, then access it at CONFIG_DATA (+ byte offset). */
#define PCI_CONFIG_ADDRESS	0xCF8	/* 32 bits, RW */
#define PCI_CONFIG_DATA		0xCFC	/* 8/16/32 bits at 0xCFC..0xCFF */
#define CF8_ENABLE		(1u << 31)
#define CF8_BUS_SHIFT		16	/* bits 23:16 */
#define CF8_DEV_SHIFT		11	/* bits 15:11 */
#define CF8_FN_SHIFT		8	/* bits 10:8 */
#define CF8_REG_MASK		0xFCu	/* bits 7:2, dword aligned */
#define CF8_BYTE_MASK		0x3u

/* ECAM address of a register [PCIe 7.2.2, table 7-1]: bus in bits 27:20,
 * device 19:15, function 14:12, register 11:0, from the MCFG base (which
 * is the address of bus 0, whatever the window's first bus). */
#define ECAM_BUS_SHIFT		20
#define ECAM_DEV_SHIFT		15
#define ECAM_FN_SHIFT		12
#define ECAM_BUS_SIZE		(1ul << ECAM_BUS_SHIFT)

static spinlock_t cf8_lock = SPINLOCK_INIT("pci-cf8");
static bool legacy_ok;				/* pci_config_setup */
static unsigned nwindows;			/* segment-0 windows in mcfg */
static struct acpi_mcfg_alloc windows[ACPI_MAX_MCFG];
static volatile uint8_t *ecam_bus[PCI_MAX_BUS];	/* NULL: legacy; READ_ONCE */

/* What an absent function reads as (a master abort) [PCI 6.1]. */
static uint32_t all_ones(unsigned size)
{
	return size == 1 ? 0xFFu : size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
}

/* ---------------------------------------------------------- legacy ---- */

static uint32_t cf8_address(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	return CF8_ENABLE | (uint32_t)bus << CF8_BUS_SHIFT |
	       (uint32_t)dev << CF8_DEV_SHIFT | (uint32_t)fn << CF8_FN_SHIFT |
	       (off & CF8_REG_MASK);
}

static uint32_t legacy_read(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, unsigned size)
{
	uint16_t port = PCI_CONFIG_DATA + (off & CF8_BYTE_MASK);
	unsigned long flags = spin_lock_irqsave(&cf8_lock);
	uint32_t v;

	outl(PCI_CONFIG_ADDRESS, cf8_address(bus, dev, fn, off));
	v = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
	spin_unlock_irqrestore(&cf8_lock, flags);
	return v;
}

static void legacy_write(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
			 unsigned size, uint32_t val)
{
	uint16_t port = PCI_CONFIG_DATA + (off & CF8_BYTE_MASK);
	unsigned long flags = spin_lock_irqsave(&cf8_lock);

	outl(PCI_CONFIG_ADDRESS, cf8_address(bus, dev, fn, off));
	if (size == 1)
		outb(port, (uint8_t)val);
	else if (size == 2)
		outw(port, (uint16_t)val);
	else
		outl(port, val);
	spin_unlock_irqrestore(&cf8_lock, flags);
}

/* CONFIG_ADDRESS holds what is written to it only where mechanism #1 is
 * implemented; put back what was there. */
static bool legacy_probe(void)
{
	unsigned long flags = spin_lock_irqsave(&cf8_lock);
	uint32_t old = inl(PCI_CONFIG_ADDRESS);
	bool ok;

	outl(PCI_CONFIG_ADDRESS, CF8_ENABLE);
	ok = inl(PCI_CONFIG_ADDRESS) == CF8_ENABLE;
	outl(PCI_CONFIG_ADDRESS, old);
	spin_unlock_irqrestore(&cf8_lock, flags);
	return ok;
}

bool pci_legacy_available(void)
{
	return legacy_ok;
}

uint32_t pci_legacy_read(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, unsigned size)
{
	if (!legacy_ok || off >= PCI_CFG_SIZE)
		return all_ones(size);
	return legacy_read(bus, dev, fn, off, size);
}

/* ------------------------------------------------------------ ECAM ---- */

static bool window_usable(const struct acpi_mcfg_alloc *a)
{
	if (a->segment != 0) {
		kprintf("pci: MCFG window for segment %u ignored (only segment 0 is supported)\n",
			a->segment);
		return false;
	}
	if (!a->base || !IS_ALIGNED(a->base, ECAM_BUS_SIZE) || a->start_bus > a->end_bus) {
		kprintf("pci: MCFG window base %#lx, buses %u-%u is malformed; ignored\n",
			a->base, a->start_bus, a->end_bus);
		return false;
	}
	return true;
}

static void ecam_setup(void)
{
	struct acpi_mcfg_info mcfg;
	int err = acpi_mcfg(&mcfg);

	if (err) {
		if (err != -ENOENT)
			kprintf("pci: the MCFG is unusable (%d); no ECAM\n", err);
		return;
	}
	for (unsigned i = 0; i < mcfg.n && i < ACPI_MAX_MCFG; i++) {
		if (window_usable(&mcfg.alloc[i]))
			windows[nwindows++] = mcfg.alloc[i];
	}
}

static const struct acpi_mcfg_alloc *window_of(uint8_t bus)
{
	for (unsigned i = 0; i < nwindows; i++) {
		if (bus >= windows[i].start_bus && bus <= windows[i].end_bus)
			return &windows[i];
	}
	return NULL;
}

void pci_ecam_map_bus(uint8_t bus)
{
	const struct acpi_mcfg_alloc *w = window_of(bus);
	uint64_t pa;
	void *va;

	if (!w || ecam_bus[bus])
		return;
	pa = w->base + ((uint64_t)bus << ECAM_BUS_SHIFT);
	va = ioremap(pa, ECAM_BUS_SIZE);
	if (!va) {
		kprintf("pci: cannot map the ECAM window of bus %u at %#lx; using the legacy ports\n",
			bus, pa);
		return;
	}
	WRITE_ONCE(ecam_bus[bus], (volatile uint8_t *)va);
}

bool pci_ecam_bus_mapped(uint8_t bus)
{
	return READ_ONCE(ecam_bus[bus]) != NULL;
}

static volatile uint8_t *ecam_reg(volatile uint8_t *win, uint8_t dev, uint8_t fn, uint16_t off)
{
	return win + ((uint32_t)dev << ECAM_DEV_SHIFT | (uint32_t)fn << ECAM_FN_SHIFT | off);
}

static uint32_t ecam_read(volatile uint8_t *p, unsigned size)
{
	if (size == 1)
		return *p;
	if (size == 2)
		return *(volatile uint16_t *)p;
	return *(volatile uint32_t *)p;
}

static void ecam_write(volatile uint8_t *p, unsigned size, uint32_t val)
{
	if (size == 1)
		*p = (uint8_t)val;
	else if (size == 2)
		*(volatile uint16_t *)p = (uint16_t)val;
	else
		*(volatile uint32_t *)p = val;
}

/* ------------------------------------------------------------ common ---- */

int pci_config_setup(void)
{
	legacy_ok = legacy_probe();
	ecam_setup();
	if (!legacy_ok && !nwindows) {
		kprintf("pci: no configuration mechanism (no MCFG, no 0xCF8 ports)\n");
		return -ENODEV;
	}
	return 0;
}

const char *pci_config_mechanism(void)
{
	if (nwindows)
		return "ECAM";
	return legacy_ok ? "legacy ports" : "none";
}

/* Why a request can never be made, or NULL. */
static const char *bad_request(uint16_t seg, uint8_t dev, uint8_t fn, uint16_t off, unsigned size)
{
	if (size != 1 && size != 2 && size != 4)
		return "the size is not 1, 2 or 4";
	if (off & (size - 1))
		return "the offset is not aligned to the size";
	if (dev >= PCI_MAX_DEV || fn >= PCI_MAX_FN)
		return "no such device or function number";
	if (seg != 0)
		return "only segment 0 is supported";
	return NULL;
}

/*
 * Check an access: 0, -EINVAL (reported: a caller's mistake), or -ERANGE
 * (silent: the offset is beyond what this bus's mechanism reaches, which
 * is how extended config space looks on a conventional machine).
 */
static int check_access(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
			uint16_t off, unsigned size, const char *op)
{
	const char *why = bad_request(seg, dev, fn, off, size);
	unsigned limit;

	if (why) {
		kprintf("pci %04x:%02x:%02x.%x: config %s of %u bytes at %#x refused: %s\n",
			seg, bus, dev, fn, op, size, off, why);
		return -EINVAL;
	}
	limit = pci_ecam_bus_mapped(bus) ? PCIE_CFG_SIZE : legacy_ok ? PCI_CFG_SIZE : 0;
	return off + size > limit ? -ERANGE : 0;
}

uint32_t pci_conf_read(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
		       uint16_t off, unsigned size)
{
	volatile uint8_t *win;

	if (check_access(seg, bus, dev, fn, off, size, "read"))
		return all_ones(size);
	win = READ_ONCE(ecam_bus[bus]);
	if (win)
		return ecam_read(ecam_reg(win, dev, fn, off), size);
	return legacy_read(bus, dev, fn, off, size);
}

int pci_conf_write(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
		   uint16_t off, unsigned size, uint32_t val)
{
	volatile uint8_t *win;
	int err = check_access(seg, bus, dev, fn, off, size, "write");

	if (err)
		return err;
	win = READ_ONCE(ecam_bus[bus]);
	if (win)
		ecam_write(ecam_reg(win, dev, fn, off), size, val);
	else
		legacy_write(bus, dev, fn, off, size, val);
	return 0;
}
