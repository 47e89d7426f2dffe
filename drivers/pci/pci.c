/*
 * pci.c - the PCI core: enumeration, the device list, the command
 * register, BAR mapping, capability lookups and the driver registry.
 *
 * Interface: include/drivers/pci.h.  Config access is config.c, MSI and
 * MSI-X msi.c, the header/BAR/capability decoding decode.c (portable).
 *
 * Enumeration: bus 0 is scanned first; every PCI-to-PCI or CardBus bridge
 * the firmware numbered adds its secondary bus, which must be above the
 * bridge's own bus, so one ascending pass over the bus numbers reaches
 * every bus and cannot loop.  A bus claimed twice, a bridge range that
 * points backwards and an unnumbered bridge are reported and not scanned.
 * Device structures come from a fixed pool (no allocation: pci_init() may
 * run inside a leak-checked test); functions beyond it are reported.
 *
 * Locking:
 *   pci_init_lock (mutex)  makes pci_init() run once; while it runs it is
 *                          the only writer of the pool, the device list
 *                          and the bus bitmaps.  Read-only afterwards.
 *   pci_cmd_lock (spin, irqsave)  read-modify-write of command registers
 *                          (and MSI/MSI-X control, in msi.c).
 *   pci_map_lock (mutex)   bars[].virt, written once by pci_bar_map().
 */
#include <stdbool.h>
#include <stdint.h>
#include <drivers/pci.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sync.h>
#include <lib/bitmap.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>
#include "pci_internal.h"

#define PCI_MAX_DEVICES	256	/* functions recorded; more are reported */

#define MUTEX_STATIC(m, n) { .owner = NULL, .name = (n), .wq = WAIT_QUEUE_INIT((m).wq, n) }

/* The registry: linker.ld brackets section "pci_drivers" with these.  Weak,
 * so that a kernel without any driver still links. */
extern const struct pci_driver *const __start_pci_drivers[] __attribute__((weak));
extern const struct pci_driver *const __stop_pci_drivers[] __attribute__((weak));

spinlock_t pci_cmd_lock = SPINLOCK_INIT("pci-cmd");
static struct mutex pci_map_lock = MUTEX_STATIC(pci_map_lock, "pci-map");
static struct mutex pci_init_lock = MUTEX_STATIC(pci_init_lock, "pci-init");

/* pci_init_lock while pci_init() runs; read-only afterwards */
static bool pci_done;
static int pci_result;
static struct pci_dev dev_pool[PCI_MAX_DEVICES];
static unsigned ndevs;
static unsigned nbuses;
static uint64_t bus_wanted[BITMAP_WORDS(PCI_MAX_BUS)];
static struct pci_dev *bus_bridge[PCI_MAX_BUS];	/* the bridge leading to each bus */
struct list_node pci_devices = LIST_INIT(pci_devices);

/* ------------------------------------------------------- config io ---- */

static uint32_t dev_cfg_read(void *ctx, uint16_t off, unsigned size)
{
	struct pci_dev *d = ctx;

	return pci_conf_read(d->seg, d->bus, d->dev, d->fn, off, size);
}

static void dev_cfg_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
	struct pci_dev *d = ctx;

	pci_conf_write(d->seg, d->bus, d->dev, d->fn, off, size, val);
}

void pci_dev_cfg_io(struct pci_dev *d, struct pci_cfg_io *io)
{
	*io = (struct pci_cfg_io){
		.read = dev_cfg_read, .write = dev_cfg_write, .ctx = d, .name = d->name,
	};
}

/* ---------------------------------------------------- enumeration ---- */

static int note_cap(void *arg, uint8_t off, uint8_t id)
{
	struct pci_dev *d = arg;

	if (id == PCI_CAP_ID_MSI && !d->msi_cap)
		d->msi_cap = off;
	else if (id == PCI_CAP_ID_MSIX && !d->msix_cap)
		d->msix_cap = off;
	else if (id == PCI_CAP_ID_EXP && !d->pcie_cap)
		d->pcie_cap = off;
	return 0;
}

/* Queue the bus behind bridge @d, if its numbers make sense. */
static void note_bridge(struct pci_dev *d)
{
	if (d->header_type == PCI_HEADER_NORMAL)
		return;
	if (!d->sec_bus && !d->sub_bus) {
		kprintf("pci %s: bridge has no bus numbers (firmware left it unconfigured); not scanned behind\n",
			d->name);
	} else if (d->sec_bus <= d->bus || d->sub_bus < d->sec_bus) {
		kprintf("pci %s: bridge bus range %u-%u is not below bus %u; not scanned behind\n",
			d->name, d->sec_bus, d->sub_bus, d->bus);
	} else if (bitmap_test(bus_wanted, d->sec_bus)) {
		kprintf("pci %s: bus %u behind the bridge was already claimed; not scanned twice\n",
			d->name, d->sec_bus);
	} else {
		bitmap_set(bus_wanted, d->sec_bus);
		bus_bridge[d->sec_bus] = d;
	}
}

/* Record the function at bus:dev.fn, unless the pool is full or its
 * header is unusable. */
static void add_function(uint8_t bus, uint8_t dev, uint8_t fn)
{
	struct pci_dev *d;
	struct pci_cfg_io io;

	if (ndevs >= PCI_MAX_DEVICES) {
		kprintf("pci 0000:%02x:%02x.%x: more than %u functions; left out\n",
			bus, dev, fn, PCI_MAX_DEVICES);
		return;
	}
	d = &dev_pool[ndevs];
	*d = (struct pci_dev){ .seg = 0, .bus = bus, .dev = dev, .fn = fn,
			       .parent = bus_bridge[bus] };
	snprintf(d->name, sizeof(d->name), "%04x:%02x:%02x.%x", d->seg, bus, dev, fn);
	pci_dev_cfg_io(d, &io);
	if (pci_decode_header(&io, d))
		return;
	pci_size_bars(&io, d);
	pci_cap_walk(&io, d->header_type, note_cap, d);
	note_bridge(d);
	list_add_tail(&pci_devices, &d->node);
	ndevs++;
}

static bool fn_present(uint8_t bus, uint8_t dev, uint8_t fn)
{
	uint16_t vendor = (uint16_t)pci_conf_read(0, bus, dev, fn, PCI_VENDOR_ID, 2);

	return vendor != PCI_VENDOR_NONE && vendor != 0;
}

/* Function 0 says whether the others exist [PCI 6.2.1]. */
static void scan_slot(uint8_t bus, uint8_t dev)
{
	uint8_t type;

	if (!fn_present(bus, dev, 0))
		return;
	add_function(bus, dev, 0);
	type = (uint8_t)pci_conf_read(0, bus, dev, 0, PCI_HEADER_TYPE, 1);
	if (!(type & PCI_HEADER_MULTIFUNCTION))
		return;
	for (uint8_t fn = 1; fn < PCI_MAX_FN; fn++) {
		if (fn_present(bus, dev, fn))
			add_function(bus, dev, fn);
	}
}

static void scan_buses(void)
{
	bitmap_set(bus_wanted, 0);
	for (unsigned bus = 0; bus < PCI_MAX_BUS; bus++) {
		if (!bitmap_test(bus_wanted, bus))
			continue;
		pci_ecam_map_bus((uint8_t)bus);
		nbuses++;
		for (uint8_t dev = 0; dev < PCI_MAX_DEV; dev++)
			scan_slot((uint8_t)bus, dev);
	}
}

/* -------------------------------------------------------- drivers ---- */

static void probe_drivers(void)
{
	struct pci_dev *d;

	pci_for_each_dev(d)
		pci_driver_bind(d, __start_pci_drivers, __stop_pci_drivers);
}

/* ----------------------------------------------------------- init ---- */

int pci_init(void)
{
	int err;

	mutex_lock(&pci_init_lock);
	if (pci_done) {
		err = pci_result;
		goto out_unlock;
	}
	err = pci_config_setup();
	if (!err) {
		scan_buses();
		kprintf("pci: %u function%s on %u bus%s, config access through %s\n",
			ndevs, ndevs == 1 ? "" : "s", nbuses, nbuses == 1 ? "" : "es",
			pci_config_mechanism());
		probe_drivers();
	}
	pci_result = err;
	pci_done = true;
out_unlock:
	mutex_unlock(&pci_init_lock);
	return err;
}

unsigned pci_dev_count(void)
{
	return ndevs;
}

struct pci_dev *pci_find_dev(uint16_t vendor, uint16_t device, unsigned index)
{
	struct pci_dev *d;

	pci_for_each_dev(d) {
		if ((vendor == PCI_ANY_ID || d->vendor == vendor) &&
		    (device == PCI_ANY_ID || d->device == device) && index-- == 0)
			return d;
	}
	return NULL;
}

struct pci_dev *pci_get_dev(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
	struct pci_dev *d;

	pci_for_each_dev(d) {
		if (d->seg == seg && d->bus == bus && d->dev == dev && d->fn == fn)
			return d;
	}
	return NULL;
}

/* ------------------------------------------------- command, BARs ---- */

uint16_t pci_set_command(struct pci_dev *dev, uint16_t set, uint16_t clear)
{
	unsigned long flags = spin_lock_irqsave(&pci_cmd_lock);
	uint16_t old = pci_read16(dev, PCI_COMMAND);

	pci_write16(dev, PCI_COMMAND, (uint16_t)((old | set) & ~clear));
	spin_unlock_irqrestore(&pci_cmd_lock, flags);
	return old;
}

/* Parents sit on lower bus numbers (note_bridge), so the walk ends. */
void pci_enable_bus_master(struct pci_dev *dev)
{
	for (struct pci_dev *d = dev; d; d = d->parent)
		pci_set_command(d, PCI_CMD_MASTER, 0);
}

static const char *bar_unusable(const struct pci_dev *dev, unsigned i)
{
	if (i >= dev->nbars || i >= PCI_MAX_BARS)
		return "no such BAR";
	if (!dev->bars[i].size)
		return "BAR not implemented";
	if (dev->bars[i].is_io)
		return "BAR is I/O space";
	if (!dev->bars[i].base)
		return "BAR was never assigned an address";
	return NULL;
}

void *pci_bar_map(struct pci_dev *dev, unsigned i)
{
	const char *why = bar_unusable(dev, i);
	void *va;

	if (why) {
		kprintf("pci %s: cannot map BAR%u: %s\n", dev->name, i, why);
		return NULL;
	}
	mutex_lock(&pci_map_lock);
	va = dev->bars[i].virt;
	if (!va) {
		va = ioremap(dev->bars[i].base, dev->bars[i].size);
		dev->bars[i].virt = va;
	}
	mutex_unlock(&pci_map_lock);
	if (!va)
		kprintf("pci %s: cannot map BAR%u (%#lx, %#lx bytes)\n", dev->name, i,
			dev->bars[i].base, dev->bars[i].size);
	return va;
}

/* --------------------------------------------------- capabilities ---- */

unsigned pci_for_each_capability(struct pci_dev *dev,
				 int (*fn)(void *arg, uint8_t off, uint8_t id), void *arg)
{
	struct pci_cfg_io io;

	pci_dev_cfg_io(dev, &io);
	return pci_cap_walk(&io, dev->header_type, fn, arg);
}

uint8_t pci_find_capability(struct pci_dev *dev, uint8_t cap_id)
{
	struct pci_cfg_io io;

	pci_dev_cfg_io(dev, &io);
	return pci_cap_lookup(&io, dev->header_type, cap_id);
}
