/*
 * decode.c - one PCI function's header, BARs and capability list, read
 * through a struct pci_cfg_io; driver ID matching and binding.
 *
 * Interface: decode.h (pci_id_match() is public, in drivers/pci.h).
 * Portable C, built into the kernel and into the host tests.  No state, no
 * locks: the caller owns the function while these run (pci_init() runs
 * them before any driver has the device).
 */
#include <stdbool.h>
#include <stdint.h>
#include <kernel/printk.h>
#include <lib/bitmap.h>
#include <lib/errno.h>
#include "decode.h"

#define PCI_IRQ_PIN_MAX		4		/* INTD# [PCI 6.2.4] */
#define BAR_ALL_ONES		0xFFFFFFFFu
#define BAR_REG_SIZE		4
#define UPPER_32		0xFFFFFFFF00000000ull
#define CAP_SLOTS		(PCI_CFG_SIZE / 4)	/* dword positions */

static uint32_t rd(const struct pci_cfg_io *io, uint16_t off, unsigned size)
{
	return io->read(io->ctx, off, size);
}

static void wr(const struct pci_cfg_io *io, uint16_t off, unsigned size, uint32_t val)
{
	io->write(io->ctx, off, size, val);
}

unsigned pci_header_bars(uint8_t header_type)
{
	switch (header_type) {
	case PCI_HEADER_NORMAL:		return PCI_MAX_BARS;
	case PCI_HEADER_BRIDGE:		return PCI_BRIDGE_BARS;
	case PCI_HEADER_CARDBUS:	return PCI_CARDBUS_BARS;
	default:			return 0;
	}
}

/* --------------------------------------------------------------- header */

static void decode_irq(const struct pci_cfg_io *io, struct pci_dev *d)
{
	uint8_t pin = (uint8_t)rd(io, PCI_INTERRUPT_PIN, 1);

	if (pin > PCI_IRQ_PIN_MAX) {
		kprintf("pci %s: interrupt pin %u is not 0..%u; ignored\n",
			io->name, pin, PCI_IRQ_PIN_MAX);
		pin = 0;
	}
	d->irq_pin = pin;
	d->irq_line = (uint8_t)rd(io, PCI_INTERRUPT_LINE, 1);
}

static void decode_bridge(const struct pci_cfg_io *io, struct pci_dev *d)
{
	bool cardbus = d->header_type == PCI_HEADER_CARDBUS;

	d->sec_bus = (uint8_t)rd(io, cardbus ? PCI_CB_BUS : PCI_SECONDARY_BUS, 1);
	d->sub_bus = (uint8_t)rd(io, cardbus ? PCI_CB_SUBORDINATE_BUS : PCI_SUBORDINATE_BUS, 1);
}

int pci_decode_header(const struct pci_cfg_io *io, struct pci_dev *d)
{
	uint16_t vendor = (uint16_t)rd(io, PCI_VENDOR_ID, 2);
	uint8_t type;

	if (vendor == PCI_VENDOR_NONE || vendor == 0)
		return -ENODEV;
	type = (uint8_t)rd(io, PCI_HEADER_TYPE, 1);
	if ((type & PCI_HEADER_LAYOUT_MASK) > PCI_HEADER_CARDBUS) {
		kprintf("pci %s: header type %#x is not 0, 1 or 2; function skipped\n",
			io->name, type);
		return -EINVAL;
	}
	d->vendor = vendor;
	d->device = (uint16_t)rd(io, PCI_DEVICE_ID, 2);
	d->class = (uint8_t)rd(io, PCI_CLASS, 1);
	d->subclass = (uint8_t)rd(io, PCI_SUBCLASS, 1);
	d->prog_if = (uint8_t)rd(io, PCI_PROG_IF, 1);
	d->revision = (uint8_t)rd(io, PCI_REVISION_ID, 1);
	d->header_type = type & PCI_HEADER_LAYOUT_MASK;
	d->multifunction = type & PCI_HEADER_MULTIFUNCTION;
	d->nbars = pci_header_bars(d->header_type);
	decode_irq(io, d);
	if (d->header_type != PCI_HEADER_NORMAL)
		decode_bridge(io, d);
	return 0;
}

/* ----------------------------------------------------------------- BARs */

static int bar_refuse(const struct pci_cfg_io *io, unsigned i, struct pci_bar *bar,
		      const char *why, uint64_t value)
{
	kprintf("pci %s: BAR%u %s (%#llx); BAR ignored\n", io->name, i, why,
		(unsigned long long)value);
	*bar = (struct pci_bar){ 0 };
	return -EINVAL;
}

/* Write all-ones to the register at @off, read it back, restore @orig. */
static uint32_t probe_reg(const struct pci_cfg_io *io, uint16_t off, uint32_t orig)
{
	uint32_t back;

	wr(io, off, 4, BAR_ALL_ONES);
	back = rd(io, off, 4);
	wr(io, off, 4, orig);
	return back;
}

/*
 * The decoded size from the writable address bits @mask (all 64 bits, the
 * bits above a 32-bit BAR set): they must be ones from the top down to
 * the size and zeros below it.  Returns 0 when they are not.
 */
static uint64_t mask_to_size(uint64_t mask)
{
	uint64_t size = ~mask + 1;

	return (size & (size - 1)) ? 0 : size;
}

static int size_io_bar(const struct pci_cfg_io *io, unsigned i, uint32_t lo,
		       struct pci_bar *bar)
{
	uint16_t off = PCI_BAR0 + i * BAR_REG_SIZE;
	uint32_t mask = probe_reg(io, off, lo) & PCI_BAR_IO_ADDR_MASK;

	if (!mask)
		return 1;			/* nothing decodes: no BAR */
	if (!(mask & PCI_BAR_IO_16BIT_HI))
		mask |= PCI_BAR_IO_16BIT_HI;	/* a 16-bit decoder */
	bar->size = mask_to_size(UPPER_32 | mask);
	if (!bar->size)
		return bar_refuse(io, i, bar, "I/O size read-back is not a power of two", mask);
	bar->base = lo & PCI_BAR_IO_ADDR_MASK;
	bar->is_io = true;
	return 1;
}

static int size_mem_bar(const struct pci_cfg_io *io, unsigned i, unsigned nbars,
			uint32_t lo, struct pci_bar *bar)
{
	uint16_t off = PCI_BAR0 + i * BAR_REG_SIZE;
	uint32_t type = lo & PCI_BAR_MEM_TYPE_MASK;
	bool is_64 = type == PCI_BAR_MEM_TYPE_64;
	uint32_t hi = 0, back_hi = BAR_ALL_ONES, back_lo;
	uint64_t mask;

	if (type == PCI_BAR_MEM_TYPE_RSVD)
		return bar_refuse(io, i, bar, "has the reserved memory type", lo);
	if (is_64 && i + 1 >= nbars)
		return bar_refuse(io, i, bar, "is 64-bit but is the last slot", lo);
	back_lo = probe_reg(io, off, lo) & PCI_BAR_MEM_ADDR_MASK;
	if (is_64) {
		hi = rd(io, off + BAR_REG_SIZE, 4);
		back_hi = probe_reg(io, off + BAR_REG_SIZE, hi);
	}
	if (!back_lo && (!is_64 || !back_hi))
		return is_64 ? 2 : 1;		/* nothing decodes: no BAR */
	mask = (uint64_t)back_hi << 32 | back_lo;
	bar->size = mask_to_size(mask);
	if (!bar->size)
		return bar_refuse(io, i, bar, "memory size read-back is not a power of two", mask);
	bar->base = (uint64_t)hi << 32 | (lo & PCI_BAR_MEM_ADDR_MASK);
	bar->is_64 = is_64;
	bar->prefetchable = lo & PCI_BAR_MEM_PREFETCH;
	return is_64 ? 2 : 1;
}

int pci_size_bar(const struct pci_cfg_io *io, unsigned i, unsigned nbars, struct pci_bar *bar)
{
	uint32_t lo = rd(io, PCI_BAR0 + i * BAR_REG_SIZE, 4);
	int used;

	*bar = (struct pci_bar){ 0 };
	used = (lo & PCI_BAR_IO) ? size_io_bar(io, i, lo, bar)
				 : size_mem_bar(io, i, nbars, lo, bar);
	if (used > 0 && bar->size && (bar->base & (bar->size - 1)))
		return bar_refuse(io, i, bar, "base is not aligned to its size", bar->base);
	return used;
}

void pci_size_bars(const struct pci_cfg_io *io, struct pci_dev *d)
{
	bool host = d->class == PCI_CLASS_BRIDGE && d->subclass == PCI_SUBCLASS_HOST;
	uint16_t cmd = (uint16_t)rd(io, PCI_COMMAND, 2);
	bool toggle = !host && (cmd & (PCI_CMD_IO | PCI_CMD_MEMORY));

	if (toggle)
		wr(io, PCI_COMMAND, 2, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
	for (unsigned i = 0; i < d->nbars && i < PCI_MAX_BARS;) {
		int used = pci_size_bar(io, i, d->nbars, &d->bars[i]);

		i += used > 0 ? (unsigned)used : 1;
	}
	if (toggle)
		wr(io, PCI_COMMAND, 2, cmd);
}

/* --------------------------------------------------------- capabilities */

unsigned pci_cap_walk(const struct pci_cfg_io *io, uint8_t header_type,
		      int (*fn)(void *arg, uint8_t off, uint8_t id), void *arg)
{
	uint64_t seen[BITMAP_WORDS(CAP_SLOTS)] = { 0 };
	uint16_t from = header_type == PCI_HEADER_CARDBUS ? PCI_CB_CAP_PTR : PCI_CAP_PTR;
	uint8_t off = (uint8_t)rd(io, from, 1) & PCI_CAP_PTR_MASK;
	unsigned n = 0;

	if (!(rd(io, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	for (; off; off = (uint8_t)rd(io, from, 1) & PCI_CAP_PTR_MASK) {
		if (off < PCI_CAP_MIN) {
			kprintf("pci %s: capability pointer %#x (at %#x) is outside %#x..%#x; list cut there\n",
				io->name, off, from, PCI_CAP_MIN, PCI_CAP_MAX);
			break;
		}
		if (bitmap_test(seen, off / 4)) {
			kprintf("pci %s: capability list loops back to %#x (at %#x); list cut there\n",
				io->name, off, from);
			break;
		}
		bitmap_set(seen, off / 4);
		n++;
		if (fn && fn(arg, off, (uint8_t)rd(io, off + PCI_CAP_ID, 1)))
			break;
		from = off + PCI_CAP_NEXT;
	}
	return n;
}

struct cap_search {
	uint8_t id, found;
};

static int cap_match(void *arg, uint8_t off, uint8_t id)
{
	struct cap_search *s = arg;

	if (id != s->id)
		return 0;
	s->found = off;
	return 1;
}

uint8_t pci_cap_lookup(const struct pci_cfg_io *io, uint8_t header_type, uint8_t id)
{
	struct cap_search s = { .id = id, .found = 0 };

	pci_cap_walk(io, header_type, cap_match, &s);
	return s.found;
}

/* -------------------------------------------------------------- drivers */

static bool id_matches(const struct pci_id *id, const struct pci_dev *d)
{
	uint32_t cc = PCI_CLASS_CODE(d->class, d->subclass, d->prog_if);

	return (id->vendor == PCI_ANY_ID || id->vendor == d->vendor) &&
	       (id->device == PCI_ANY_ID || id->device == d->device) &&
	       ((cc ^ id->class_code) & id->class_mask) == 0;
}

const struct pci_id *pci_id_match(const struct pci_id *ids, const struct pci_dev *dev)
{
	for (; ids && ids->vendor; ids++) {
		if (id_matches(ids, dev))
			return ids;
	}
	return NULL;
}

int pci_driver_bind(struct pci_dev *d, const struct pci_driver *const *first,
		    const struct pci_driver *const *end)
{
	for (const struct pci_driver *const *p = first; p < end; p++) {
		const struct pci_driver *drv = *p;
		int err;

		if (!drv || !drv->probe || !pci_id_match(drv->ids, d))
			continue;
		err = drv->probe(d);
		if (!err) {
			d->driver = drv;
			kprintf("pci %s: bound to driver %s\n", d->name, drv->name);
			return 0;
		}
		kprintf("pci %s: driver %s declined it (%s)\n", d->name, drv->name,
			errno_name(err));
	}
	return -ENODEV;
}
