/*
 * cmd_pci.c - the shell command `lspci [-v]`: one entry per PCI function
 * with its address (bus:dev.fn), vendor:device, class, BARs and interrupt;
 * -v adds the command/status registers and the capability list.
 *
 * Only the formatting is here: the device list, config space and the
 * names of classes and capabilities come from the PCI driver's interface
 * (include/drivers/pci.h).  Reads the device list (read-only after
 * pci_init()) and live config space; no locks of its own.  Runs in the
 * shell thread.
 */
#include <stdbool.h>
#include <stdint.h>
#include <drivers/pci.h>
#include <lib/compiler.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <shell/shell.h>

#define SIZE_STR_MAX	24

/* "1M", "4K", "256" ... */
static const char *size_str(uint64_t size, char *buf)
{
	static const char units[] = "KMGTPE";
	unsigned u = 0;

	if (size < 1024 || (size & 1023)) {
		snprintf(buf, SIZE_STR_MAX, "%lu", size);
		return buf;
	}
	for (size >>= 10; size >= 1024 && !(size & 1023) && u + 1 < sizeof(units) - 1; u++)
		size >>= 10;
	snprintf(buf, SIZE_STR_MAX, "%lu%c", size, units[u]);
	return buf;
}

static void print_bar(const struct pci_dev *d, unsigned i)
{
	const struct pci_bar *b = &d->bars[i];
	char sz[SIZE_STR_MAX];

	if (!b->size)
		return;
	shell_printf("\tBAR%u %s%s 0x%lx size %s%s\n", i,
		     b->is_io ? "io" : b->is_64 ? "mem64" : "mem32",
		     b->prefetchable ? " prefetchable" : "", b->base,
		     size_str(b->size, sz), b->base ? "" : " [unassigned]");
}

static void print_irq(struct pci_dev *d)
{
	shell_printf("\tinterrupt: ");
	if (d->irq_pin)
		shell_printf("INT%c line %u", 'A' + d->irq_pin - 1, d->irq_line);
	else
		shell_printf("no INTx");
	if (d->msi_cap)
		shell_printf(", MSI %s", pci_read16(d, d->msi_cap + PCI_MSI_CTRL) &
			     PCI_MSI_CTRL_ENABLE ? "on" : "off");
	if (d->msix_cap)
		shell_printf(", MSI-X %s", pci_read16(d, d->msix_cap + PCI_MSIX_CTRL) &
			     PCI_MSIX_CTRL_ENABLE ? "on" : "off");
	shell_printf("\n");
}

static void print_msi(struct pci_dev *d, uint8_t off)
{
	uint16_t ctrl = pci_read16(d, off + PCI_MSI_CTRL);
	bool is_64 = ctrl & PCI_MSI_CTRL_64BIT;
	uint64_t addr = pci_read32(d, off + PCI_MSI_ADDR_LO);

	if (is_64)
		addr |= (uint64_t)pci_read32(d, off + PCI_MSI_ADDR_HI) << 32;
	shell_printf(": %s, %u vector%s requested%s, %s, address 0x%lx data 0x%x",
		     is_64 ? "64-bit" : "32-bit",
		     1u << ((ctrl & PCI_MSI_CTRL_MMC_MASK) >> PCI_MSI_CTRL_MMC_SHIFT),
		     (ctrl & PCI_MSI_CTRL_MMC_MASK) ? "s" : "",
		     (ctrl & PCI_MSI_CTRL_PVM) ? ", maskable" : "",
		     (ctrl & PCI_MSI_CTRL_ENABLE) ? "enabled" : "disabled", addr,
		     pci_read16(d, off + (is_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32)));
}

static void print_msix(struct pci_dev *d, uint8_t off)
{
	uint16_t ctrl = pci_read16(d, off + PCI_MSIX_CTRL);
	uint32_t table = pci_read32(d, off + PCI_MSIX_TABLE);
	unsigned n = (ctrl & PCI_MSIX_CTRL_SIZE_MASK) + 1;

	shell_printf(": %u entr%s, table BAR%u+0x%x, %s%s", n, n == 1 ? "y" : "ies",
		     table & PCI_MSIX_BIR_MASK, table & PCI_MSIX_OFFSET_MASK,
		     (ctrl & PCI_MSIX_CTRL_ENABLE) ? "enabled" : "disabled",
		     (ctrl & PCI_MSIX_CTRL_MASKALL) ? ", function masked" : "");
}

static void print_pcie(struct pci_dev *d, uint8_t off)
{
	unsigned type = (pci_read16(d, off + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE_MASK) >>
			PCI_EXP_FLAGS_TYPE_SHIFT;

	shell_printf(": %s", pci_exp_type_name(type));
}

static int print_cap(void *arg, uint8_t off, uint8_t id)
{
	struct pci_dev *d = arg;

	shell_printf("\tcapability 0x%02x %s", off, pci_cap_name(id));
	if (id == PCI_CAP_ID_MSI)
		print_msi(d, off);
	else if (id == PCI_CAP_ID_MSIX)
		print_msix(d, off);
	else if (id == PCI_CAP_ID_EXP)
		print_pcie(d, off);
	shell_printf("\n");
	return 0;
}

static void print_verbose(struct pci_dev *d)
{
	shell_printf("\tcommand 0x%04x status 0x%04x header type %u%s\n",
		     pci_read16(d, PCI_COMMAND), pci_read16(d, PCI_STATUS), d->header_type,
		     d->multifunction ? " (multi-function)" : "");
	if (d->header_type != PCI_HEADER_NORMAL)
		shell_printf("\tbuses %u-%u behind it\n", d->sec_bus, d->sub_bus);
	if (!pci_for_each_capability(d, print_cap, d))
		shell_printf("\tno capabilities\n");
}

static void print_dev(struct pci_dev *d, bool verbose)
{
	if (d->seg)
		shell_printf("%04x:", d->seg);
	shell_printf("%02x:%02x.%x %04x:%04x %s [%02x%02x] rev %02x", d->bus, d->dev, d->fn,
		     d->vendor, d->device, pci_class_name(d->class, d->subclass), d->class, d->subclass, d->revision);
	if (d->driver)
		shell_printf(", driver %s", d->driver->name);
	shell_printf("\n");
	for (unsigned i = 0; i < d->nbars && i < PCI_MAX_BARS; i++)
		print_bar(d, i);
	print_irq(d);
	if (verbose)
		print_verbose(d);
}

static int cmd_lspci(int argc, char **argv)
{
	struct pci_dev *d;
	bool verbose;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "-v")))
		return shell_usage_error(argv[0], "the only option is -v");
	verbose = argc == 2;
	if (pci_init()) {
		shell_printf("lspci: no PCI configuration mechanism\n");
		return -ENODEV;
	}
	pci_for_each_dev(d)
		print_dev(d, verbose);
	shell_printf("%u function%s, config access through %s\n", pci_dev_count(),
		     pci_dev_count() == 1 ? "" : "s", pci_config_mechanism());
	return 0;
}
SHELL_CMD("lspci", "lspci [-v]", "list PCI functions (-v: registers and capabilities)", cmd_lspci);
