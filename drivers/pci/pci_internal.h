/*
 * pci_internal.h - what the kernel files of drivers/pci share (and the
 * in-kernel tests look at); drivers use include/drivers/pci.h only.
 */
#ifndef DRIVERS_PCI_INTERNAL_H
#define DRIVERS_PCI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <drivers/pci.h>
#include <kernel/sync.h>
#include "decode.h"

/*
 * Guards read-modify-write of every device's command register and MSI /
 * MSI-X control registers (irqsave: drivers may call from interrupts).
 */
extern spinlock_t pci_cmd_lock;

/* config.c */

/**
 * pci_config_setup() - choose the configuration mechanism: record the
 * segment-0 ECAM windows of the MCFG and check for the legacy ports.
 * pci_init() only, once.  Returns 0, or -ENODEV when neither exists.
 */
int pci_config_setup(void);

/**
 * pci_ecam_map_bus() - map the 1 MiB ECAM window of @bus, when an MCFG
 * window covers it, so that pci_conf_read/write use ECAM for it from now
 * on.  pci_init() only (thread context: ioremap).  A failure is reported
 * and leaves the bus on the legacy ports.
 */
void pci_ecam_map_bus(uint8_t bus);

/* pci_ecam_bus_mapped() - does config access to @bus go through ECAM? */
bool pci_ecam_bus_mapped(uint8_t bus);

/* pci_legacy_available() - do the 0xCF8/0xCFC ports work? */
bool pci_legacy_available(void);

/* pci_legacy_read() - read through the legacy ports, whatever pci_conf_read
 * would use (tests compare the two mechanisms).  All-ones when the ports
 * are absent or @off >= PCI_CFG_SIZE. */
uint32_t pci_legacy_read(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, unsigned size);

/* pci.c */

/* pci_dev_cfg_io() - config accessors of @d for the decode.c functions. */
void pci_dev_cfg_io(struct pci_dev *d, struct pci_cfg_io *io);

#endif /* DRIVERS_PCI_INTERNAL_H */
