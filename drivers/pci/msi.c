/*
 * msi.c - message signalled interrupts: MSI [PCI 6.8.1] and MSI-X
 * [PCI 6.8.2], one vector per device, delivered to one local APIC.
 *
 * Interface: pci_msi_enable/disable, pci_msix_enable/disable and
 * pci_msix_table_size (include/drivers/pci.h).  The address/data pair comes
 * from msi_compose() (arch/x86_64/irq.h): fixed delivery, edge triggered.
 *
 * Locking: pci_cmd_lock (irqsave) around every read-modify-write of a
 * message control register and of the command register, so that these
 * and pci_set_command() do not lose each other's bits.  pci_msix_enable()
 * maps the table through pci_bar_map() first, outside the lock (thread
 * context).  Which vector a device uses is its driver's business: two
 * callers must not program one device's interrupts at the same time.
 */
#include <stdbool.h>
#include <stdint.h>
#include <arch/x86_64/irq.h>
#include <drivers/pci.h>
#include <kernel/printk.h>
#include <kernel/sync.h>
#include <lib/errno.h>
#include "pci_internal.h"

#define XAPIC_DEST_MAX		0xFF	/* 8-bit destination ID [SDM 3A 11.11.1] */
#define MSI_DATA_VECTOR_MASK	0xFFFFu	/* message data is 16 bits [PCI 6.8.1.6] */

static int check_target(const struct pci_dev *dev, uint8_t vector, uint32_t apic_id)
{
	if (vector < VEC_EXCEPTIONS || apic_id > XAPIC_DEST_MAX) {
		kprintf("pci %s: message to vector %u, APIC ID %u refused\n",
			dev->name, vector, apic_id);
		return -EINVAL;
	}
	return 0;
}

/* Set then clear bits of the 16-bit register at @off.  Caller holds
 * pci_cmd_lock. */
static void reg_bits(struct pci_dev *dev, uint16_t off, uint16_t set, uint16_t clear)
{
	uint16_t v;

	assert_held(&pci_cmd_lock);
	v = pci_read16(dev, off);
	pci_write16(dev, off, (uint16_t)((v | set) & ~clear));
}

static uint16_t msi_ctrl(const struct pci_dev *dev)
{
	return dev->msi_cap + PCI_MSI_CTRL;
}

static uint16_t msix_ctrl(const struct pci_dev *dev)
{
	return dev->msix_cap + PCI_MSIX_CTRL;
}

/* ------------------------------------------------------------- MSI ---- */

/* Address, data and (with per-vector masking) the mask of vector 0.
 * Caller holds pci_cmd_lock, with MSI disabled. */
static void msi_program(struct pci_dev *dev, uint16_t ctrl, uint64_t addr, uint32_t data)
{
	bool is_64 = ctrl & PCI_MSI_CTRL_64BIT;
	uint8_t cap = dev->msi_cap;

	assert_held(&pci_cmd_lock);
	pci_write32(dev, cap + PCI_MSI_ADDR_LO, (uint32_t)addr);
	if (is_64)
		pci_write32(dev, cap + PCI_MSI_ADDR_HI, (uint32_t)(addr >> 32));
	pci_write16(dev, cap + (is_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32),
		    (uint16_t)(data & MSI_DATA_VECTOR_MASK));
	if (ctrl & PCI_MSI_CTRL_PVM) {
		uint16_t mask = cap + (is_64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32);

		pci_write32(dev, mask, pci_read32(dev, mask) & ~PCI_MSI_MASK_VECTOR0);
	}
}

int pci_msi_enable(struct pci_dev *dev, uint8_t vector, uint32_t apic_id)
{
	unsigned long flags;
	uint64_t addr;
	uint32_t data;
	uint16_t ctrl;
	int err;

	if (!dev->msi_cap)
		return -ENODEV;
	err = check_target(dev, vector, apic_id);
	if (err)
		return err;
	msi_compose(apic_id, vector, &addr, &data);
	flags = spin_lock_irqsave(&pci_cmd_lock);
	ctrl = pci_read16(dev, msi_ctrl(dev));
	reg_bits(dev, msi_ctrl(dev), 0, PCI_MSI_CTRL_ENABLE);
	msi_program(dev, ctrl, addr, data);
	/* one vector (multiple message enable = 0), then on */
	reg_bits(dev, msi_ctrl(dev), PCI_MSI_CTRL_ENABLE, PCI_MSI_CTRL_MME_MASK);
	reg_bits(dev, PCI_COMMAND, PCI_CMD_INTX_DISABLE, 0);
	spin_unlock_irqrestore(&pci_cmd_lock, flags);
	return 0;
}

void pci_msi_disable(struct pci_dev *dev)
{
	unsigned long flags;

	if (!dev->msi_cap)
		return;
	flags = spin_lock_irqsave(&pci_cmd_lock);
	reg_bits(dev, msi_ctrl(dev), 0, PCI_MSI_CTRL_ENABLE);
	reg_bits(dev, PCI_COMMAND, 0, PCI_CMD_INTX_DISABLE);
	spin_unlock_irqrestore(&pci_cmd_lock, flags);
}

/* ----------------------------------------------------------- MSI-X ---- */

unsigned pci_msix_table_size(struct pci_dev *dev)
{
	if (!dev->msix_cap)
		return 0;
	return (pci_read16(dev, msix_ctrl(dev)) & PCI_MSIX_CTRL_SIZE_MASK) + 1;
}

/* Map the table and point *@out at entry @entry of @n.  Returns 0,
 * -ENXIO or -EINVAL after a report. */
static int msix_entry(struct pci_dev *dev, unsigned entry, unsigned n, volatile uint32_t **out)
{
	uint32_t table = pci_read32(dev, dev->msix_cap + PCI_MSIX_TABLE);
	unsigned bir = table & PCI_MSIX_BIR_MASK;
	uint64_t off = table & PCI_MSIX_OFFSET_MASK;
	const struct pci_bar *bar;
	uint8_t *base;

	if (bir >= dev->nbars || !dev->bars[bir].size || dev->bars[bir].is_io) {
		kprintf("pci %s: MSI-X table in BIR %u, which is not a memory BAR\n", dev->name, bir);
		return -ENXIO;
	}
	bar = &dev->bars[bir];
	if (off + (uint64_t)n * PCI_MSIX_ENTRY_SIZE > bar->size) {
		kprintf("pci %s: MSI-X table at %#lx, %u entries, runs past BAR%u (%#lx bytes)\n",
			dev->name, off, n, bir, bar->size);
		return -EINVAL;
	}
	base = pci_bar_map(dev, bir);
	if (!base)
		return -ENXIO;
	*out = (volatile uint32_t *)(base + off + (uint64_t)entry * PCI_MSIX_ENTRY_SIZE);
	return 0;
}

/* The entry's registers are dwords at the PCI_MSIX_ENTRY_* byte offsets. */
#define MSIX_REG(e, off)	((e)[(off) / sizeof(*(e))])

static void msix_write_entry(volatile uint32_t *e, uint64_t addr, uint32_t data)
{
	MSIX_REG(e, PCI_MSIX_ENTRY_ADDR_LO) = (uint32_t)addr;
	MSIX_REG(e, PCI_MSIX_ENTRY_ADDR_HI) = (uint32_t)(addr >> 32);
	MSIX_REG(e, PCI_MSIX_ENTRY_DATA) = data;
	MSIX_REG(e, PCI_MSIX_ENTRY_CTRL) &= ~PCI_MSIX_ENTRY_MASKED;
}

int pci_msix_enable(struct pci_dev *dev, unsigned entry, uint8_t vector, uint32_t apic_id)
{
	unsigned n = pci_msix_table_size(dev);
	volatile uint32_t *e;
	unsigned long flags;
	uint64_t addr;
	uint32_t data;
	int err;

	if (!n)
		return -ENODEV;
	if (entry >= n)
		return -ERANGE;
	err = check_target(dev, vector, apic_id);
	if (err)
		return err;
	err = msix_entry(dev, entry, n, &e);
	if (err)
		return err;
	msi_compose(apic_id, vector, &addr, &data);
	pci_enable_memory(dev);
	flags = spin_lock_irqsave(&pci_cmd_lock);
	if (dev->msi_cap)	/* never both at once [PCI 6.8.2] */
		reg_bits(dev, msi_ctrl(dev), 0, PCI_MSI_CTRL_ENABLE);
	/* on, but masked while the entry changes */
	reg_bits(dev, msix_ctrl(dev), PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL, 0);
	msix_write_entry(e, addr, data);
	reg_bits(dev, msix_ctrl(dev), 0, PCI_MSIX_CTRL_MASKALL);
	reg_bits(dev, PCI_COMMAND, PCI_CMD_INTX_DISABLE, 0);
	spin_unlock_irqrestore(&pci_cmd_lock, flags);
	return 0;
}

void pci_msix_disable(struct pci_dev *dev)
{
	unsigned long flags;

	if (!dev->msix_cap)
		return;
	flags = spin_lock_irqsave(&pci_cmd_lock);
	reg_bits(dev, msix_ctrl(dev), 0, PCI_MSIX_CTRL_ENABLE);
	reg_bits(dev, PCI_COMMAND, 0, PCI_CMD_INTX_DISABLE);
	spin_unlock_irqrestore(&pci_cmd_lock, flags);
}
