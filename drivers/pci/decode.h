/*
 * decode.h - the portable half of the PCI core: reading one function's
 * header, sizing its BARs, walking its capability list, matching IDs and
 * binding a driver.
 *
 * These functions reach config space only through a struct pci_cfg_io, so
 * host tests run them over fake config spaces (loops, garbage, odd BARs);
 * the kernel passes accessors for the real mechanism (pci.c).  They keep
 * no state and take no locks: the caller owns the function while they
 * run.  Every problem is reported through kprintf, naming the function
 * (io->name) and the value, and the bad field is left out.
 */
#ifndef DRIVERS_PCI_DECODE_H
#define DRIVERS_PCI_DECODE_H

#include <stdint.h>
#include <drivers/pci.h>

struct pci_cfg_io {
	uint32_t (*read)(void *ctx, uint16_t off, unsigned size);
	void (*write)(void *ctx, uint16_t off, unsigned size, uint32_t val);
	void *ctx;
	const char *name;	/* the function, for messages */
};

/* The BAR slots of a header type (PCI_HEADER_*). */
unsigned pci_header_bars(uint8_t header_type);

/**
 * pci_decode_header() - fill the identity fields of @d from config space:
 * vendor/device, class, revision, header type, interrupt pin/line and,
 * for bridges, the bus range behind them.
 *
 * Returns 0; -ENODEV when no function answers (vendor 0xFFFF or 0);
 * -EINVAL (reported) for a header type other than 0, 1 or 2.
 */
int pci_decode_header(const struct pci_cfg_io *io, struct pci_dev *d);

/**
 * pci_size_bar() - size BAR slot @i of @nbars by writing all-ones, reading
 * back and restoring [PCI 6.2.5.1].  Decoding should be off meanwhile.
 *
 * Fills *@bar (size 0: slot unused).  Returns the slots used (2 for a
 * 64-bit BAR, else 1), or -EINVAL after reporting a size that is not a
 * power of two, a reserved memory type, a 64-bit BAR in the last slot or
 * a base not aligned to the size (*@bar is then zeroed).
 */
int pci_size_bar(const struct pci_cfg_io *io, unsigned i, unsigned nbars, struct pci_bar *bar);

/**
 * pci_size_bars() - size every BAR slot of @d (header decoded already),
 * with memory and I/O decoding disabled in the command register meanwhile
 * (except on host bridges, which may not stop decoding) and restored after.
 */
void pci_size_bars(const struct pci_cfg_io *io, struct pci_dev *d);

/**
 * pci_cap_walk() - call @fn(@arg, offset, id) for each capability of a
 * function with header type @header_type, until @fn returns nonzero.
 *
 * Nothing is walked unless the status register says there is a list.
 * A pointer outside 0x40..0xFC, or one that comes back to a capability
 * already visited, is reported and ends the walk, so at most 48 entries
 * are visited.  Returns the number visited.
 */
unsigned pci_cap_walk(const struct pci_cfg_io *io, uint8_t header_type,
		      int (*fn)(void *arg, uint8_t off, uint8_t id), void *arg);

/* pci_cap_lookup() - offset of the first capability @id, or 0. */
uint8_t pci_cap_lookup(const struct pci_cfg_io *io, uint8_t header_type, uint8_t id);

/**
 * pci_driver_bind() - offer @d to the drivers in [@first, @end), in order:
 * the first whose ID table matches and whose probe() returns 0 gets it
 * (d->driver).  A driver that declines is reported and the next one is
 * asked.  Returns 0 when a driver took @d, -ENODEV otherwise.
 */
int pci_driver_bind(struct pci_dev *d, const struct pci_driver *const *first,
		    const struct pci_driver *const *end);

#endif /* DRIVERS_PCI_DECODE_H */
