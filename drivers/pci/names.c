/*
 * names.c - what PCI calls things: class and subclass names [CODES 1],
 * capability names [CODES 2] and PCI Express device/port types
 * [PCIe 7.5.3.2], for messages and lspci.  Constant tables; no state, no
 * locks, any context.  Portable: the host tests build it.
 */
#include <stdint.h>
#include <drivers/pci.h>
#include <lib/compiler.h>

#define ANY_SUBCLASS	0xFF

/* Class and subclass names [CODES 1]; ANY_SUBCLASS names the class. */
static const struct {
	uint8_t class, subclass;
	const char *name;
} class_names[] = {
	{ 0x00, ANY_SUBCLASS, "unclassified" },
	{ 0x01, 0x01, "IDE controller" },
	{ 0x01, 0x06, "SATA controller" },
	{ 0x01, 0x08, "NVM controller" },
	{ 0x01, ANY_SUBCLASS, "mass storage controller" },
	{ 0x02, 0x00, "Ethernet controller" },
	{ 0x02, ANY_SUBCLASS, "network controller" },
	{ 0x03, 0x00, "VGA controller" },
	{ 0x03, ANY_SUBCLASS, "display controller" },
	{ 0x04, ANY_SUBCLASS, "multimedia controller" },
	{ 0x05, ANY_SUBCLASS, "memory controller" },
	{ 0x06, 0x00, "host bridge" },
	{ 0x06, 0x01, "ISA bridge" },
	{ 0x06, 0x04, "PCI bridge" },
	{ 0x06, 0x07, "CardBus bridge" },
	{ 0x06, ANY_SUBCLASS, "bridge" },
	{ 0x07, ANY_SUBCLASS, "communication controller" },
	{ 0x08, ANY_SUBCLASS, "system peripheral" },
	{ 0x09, ANY_SUBCLASS, "input device controller" },
	{ 0x0C, 0x03, "USB controller" },
	{ 0x0C, 0x05, "SMBus controller" },
	{ 0x0C, ANY_SUBCLASS, "serial bus controller" },
	{ 0x0D, ANY_SUBCLASS, "wireless controller" },
	{ 0x10, ANY_SUBCLASS, "encryption controller" },
	{ 0x11, ANY_SUBCLASS, "signal processing controller" },
	{ 0x12, ANY_SUBCLASS, "processing accelerator" },
	{ 0xFF, ANY_SUBCLASS, "unassigned class" },
};

/* Capability names [CODES 2]. */
static const struct {
	uint8_t id;
	const char *name;
} cap_names[] = {
	{ PCI_CAP_ID_PM, "power management" },
	{ PCI_CAP_ID_AGP, "AGP" },
	{ PCI_CAP_ID_VPD, "vital product data" },
	{ PCI_CAP_ID_SLOTID, "slot ID" },
	{ PCI_CAP_ID_MSI, "MSI" },
	{ PCI_CAP_ID_CHSWP, "CompactPCI hot swap" },
	{ PCI_CAP_ID_PCIX, "PCI-X" },
	{ PCI_CAP_ID_HT, "HyperTransport" },
	{ PCI_CAP_ID_VNDR, "vendor specific" },
	{ PCI_CAP_ID_DBG, "debug port" },
	{ PCI_CAP_ID_SHPC, "standard hot-plug controller" },
	{ PCI_CAP_ID_SSVID, "subsystem vendor ID" },
	{ PCI_CAP_ID_EXP, "PCI Express" },
	{ PCI_CAP_ID_MSIX, "MSI-X" },
	{ PCI_CAP_ID_SATA, "SATA" },
	{ PCI_CAP_ID_AF, "advanced features" },
};

/* PCI Express device/port types [PCIe 7.5.3.2]. */
static const char *const pcie_types[16] = {
	[0x0] = "endpoint", [0x1] = "legacy endpoint",
	[0x4] = "root port", [0x5] = "switch upstream port",
	[0x6] = "switch downstream port", [0x7] = "PCIe-to-PCI bridge",
	[0x8] = "PCI-to-PCIe bridge", [0x9] = "root complex integrated endpoint",
	[0xA] = "root complex event collector",
};

const char *pci_class_name(uint8_t class, uint8_t subclass)
{
	for (unsigned i = 0; i < ARRAY_SIZE(class_names); i++) {
		uint8_t sub = class_names[i].subclass;

		if (class_names[i].class == class && (sub == subclass || sub == ANY_SUBCLASS))
			return class_names[i].name;
	}
	return "unknown class";
}

const char *pci_cap_name(uint8_t id)
{
	for (unsigned i = 0; i < ARRAY_SIZE(cap_names); i++) {
		if (cap_names[i].id == id)
			return cap_names[i].name;
	}
	return "unknown";
}

const char *pci_exp_type_name(unsigned type)
{
	if (type >= ARRAY_SIZE(pcie_types) || !pcie_types[type])
		return "reserved type";
	return pcie_types[type];
}
