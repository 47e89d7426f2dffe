/*
 * pci.h - PCI and PCI Express: configuration space, the device list, BARs,
 * capabilities, MSI/MSI-X and the driver registry.
 *
 * pci_init() picks the configuration mechanism (ECAM when the ACPI MCFG
 * gives a window for segment 0, else the legacy 0xCF8/0xCFC ports), walks
 * every bus reachable from bus 0 through bridges, records one struct
 * pci_dev per function (IDs, class, header type, sized BARs, interrupt
 * pin, capability offsets), then offers each device to the registered
 * drivers.  Devices are never removed; a struct pci_dev lives forever.
 *
 * Drivers register with PCI_DRIVER() (linker section "pci_drivers"); the
 * first driver whose ID table matches and whose probe() returns 0 owns the
 * device.  A driver then calls pci_enable_memory()/pci_enable_bus_master(),
 * pci_bar_map(), and pci_msi_enable() or pci_msix_enable() with a vector
 * from irq_alloc_vector().
 *
 * Everything read from config space is checked before use: a header type
 * other than 0/1/2, a BAR size that is not a power of two, a capability
 * pointer outside 0x40..0xFC or a capability loop is reported, naming the
 * device and the value, and that device or field is left out.
 *
 * Locking:
 *  - config accessors: any context; the legacy ports are serialised by a
 *    spinlock (irqsave), ECAM accesses need none.
 *  - the device list and every field of struct pci_dev marked "init" are
 *    written by pci_init() only, before it returns; afterwards read-only.
 *  - read-modify-write of the command register and of the MSI/MSI-X
 *    control registers goes through one spinlock (pci_cmd_lock, irqsave).
 *  - pci_bar_map() (and so pci_msix_enable()) may sleep: thread context.
 *  - a device's MSI/MSI-X set-up belongs to its driver: two callers must
 *    not program the same device's interrupts at once.
 *
 * References:
 *  [PCI]   PCI Local Bus Specification, Revision 3.0
 *  [P2P]   PCI-to-PCI Bridge Architecture Specification, Revision 1.2
 *  [PCIe]  PCI Express Base Specification, Revision 4.0
 *  [CODES] PCI Code and ID Assignment Specification, Revision 1.11
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/compiler.h>
#include <lib/list.h>

/* ------------------------------------------------ address limits ---- */

#define PCI_MAX_BUS		256
#define PCI_MAX_DEV		32	/* device numbers per bus */
#define PCI_MAX_FN		8	/* functions per device */
#define PCI_CFG_SIZE		256	/* conventional config space [PCI 6.1] */
#define PCIE_CFG_SIZE		4096	/* extended config space [PCIe 7.5] */

/* ----------------------------- configuration header [PCI 6.1, 6.2] ---- */

#define PCI_VENDOR_ID		0x00	/* 16 bits; 0xFFFF: no function here */
#define PCI_DEVICE_ID		0x02	/* 16 bits */
#define PCI_COMMAND		0x04	/* 16 bits [PCI 6.2.2] */
#define PCI_STATUS		0x06	/* 16 bits [PCI 6.2.3] */
#define PCI_REVISION_ID		0x08	/* 8 bits */
#define PCI_PROG_IF		0x09	/* class code, low byte */
#define PCI_SUBCLASS		0x0A	/* class code, middle byte */
#define PCI_CLASS		0x0B	/* class code, high byte [CODES 1] */
#define PCI_HEADER_TYPE		0x0E	/* 8 bits [PCI 6.2.1] */
#define PCI_BAR0		0x10	/* BARs, 32 bits each [PCI 6.2.5.1] */
#define PCI_CAP_PTR		0x34	/* header types 0 and 1 [PCI 6.7] */
#define PCI_INTERRUPT_LINE	0x3C	/* 8 bits, written by firmware */
#define PCI_INTERRUPT_PIN	0x3D	/* 8 bits: 0 none, 1..4 INTA#..INTD# */

/* Header type 1, PCI-to-PCI bridge [P2P 3.2.5.2, 3.2.5.3] */
#define PCI_PRIMARY_BUS		0x18
#define PCI_SECONDARY_BUS	0x19
#define PCI_SUBORDINATE_BUS	0x1A
/* Header type 2, CardBus bridge (PC Card Standard 8.0, vol. 10, 4.5) */
#define PCI_CB_CAP_PTR		0x14
#define PCI_CB_BUS		0x19	/* CardBus bus number */
#define PCI_CB_SUBORDINATE_BUS	0x1A

/* Header type register [PCI 6.2.1] */
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_HEADER_LAYOUT_MASK	0x7F
#define PCI_HEADER_NORMAL	0	/* a device */
#define PCI_HEADER_BRIDGE	1	/* PCI-to-PCI bridge */
#define PCI_HEADER_CARDBUS	2	/* CardBus bridge */

/* BAR slots per header type */
#define PCI_MAX_BARS		6
#define PCI_BRIDGE_BARS		2
#define PCI_CARDBUS_BARS	1

/* Command register bits [PCI 6.2.2] */
#define PCI_CMD_IO		(1u << 0)	/* respond to I/O space */
#define PCI_CMD_MEMORY		(1u << 1)	/* respond to memory space */
#define PCI_CMD_MASTER		(1u << 2)	/* may master the bus (DMA, MSI) */
#define PCI_CMD_INTX_DISABLE	(1u << 10)	/* no INTx# assertion */

/* Status register bits [PCI 6.2.3] */
#define PCI_STATUS_INTX		(1u << 3)	/* INTx# pending */
#define PCI_STATUS_CAP_LIST	(1u << 4)	/* PCI_CAP_PTR is valid */

/* BAR low bits [PCI 6.2.5.1] */
#define PCI_BAR_IO		0x1u		/* 1: I/O space BAR */
#define PCI_BAR_IO_ADDR_MASK	0xFFFFFFFCu
#define PCI_BAR_IO_16BIT_HI	0xFFFF0000u	/* upper half of a 16-bit decoder */
#define PCI_BAR_MEM_TYPE_MASK	0x6u
#define PCI_BAR_MEM_TYPE_32	0x0u		/* anywhere in 32-bit space */
#define PCI_BAR_MEM_TYPE_1M	0x2u		/* below 1 MiB (PCI 2.x, reserved in 3.0) */
#define PCI_BAR_MEM_TYPE_64	0x4u		/* 64-bit: takes the next slot too */
#define PCI_BAR_MEM_TYPE_RSVD	0x6u
#define PCI_BAR_MEM_PREFETCH	0x8u
#define PCI_BAR_MEM_ADDR_MASK	0xFFFFFFF0u

/* Capability list [PCI 6.7]: each entry starts with an ID byte and a next
 * pointer; pointers are dword aligned (the low two bits are reserved and
 * masked) and lie in 0x40..0xFC; 0 ends the list. */
#define PCI_CAP_ID		0
#define PCI_CAP_NEXT		1
#define PCI_CAP_PTR_MASK	0xFCu
#define PCI_CAP_MIN		0x40
#define PCI_CAP_MAX		0xFC

/* Capability IDs [CODES 2] */
#define PCI_CAP_ID_PM		0x01	/* power management */
#define PCI_CAP_ID_AGP		0x02
#define PCI_CAP_ID_VPD		0x03	/* vital product data */
#define PCI_CAP_ID_SLOTID	0x04	/* slot identification */
#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_CHSWP	0x06	/* CompactPCI hot swap */
#define PCI_CAP_ID_PCIX		0x07
#define PCI_CAP_ID_HT		0x08	/* HyperTransport */
#define PCI_CAP_ID_VNDR		0x09	/* vendor specific */
#define PCI_CAP_ID_DBG		0x0A	/* debug port */
#define PCI_CAP_ID_SHPC		0x0C	/* standard hot-plug controller */
#define PCI_CAP_ID_SSVID	0x0D	/* bridge subsystem vendor ID */
#define PCI_CAP_ID_EXP		0x10	/* PCI Express */
#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_SATA		0x12
#define PCI_CAP_ID_AF		0x13	/* advanced features */

/* MSI capability [PCI 6.8.1]; offsets from the capability */
#define PCI_MSI_CTRL		0x02	/* message control, 16 bits */
#define PCI_MSI_ADDR_LO		0x04
#define PCI_MSI_ADDR_HI		0x08	/* 64-bit capable only */
#define PCI_MSI_DATA_32		0x08	/* message data, 16 bits */
#define PCI_MSI_DATA_64		0x0C
#define PCI_MSI_MASK_32		0x0C	/* per-vector mask bits */
#define PCI_MSI_MASK_64		0x10
#define PCI_MSI_CTRL_ENABLE	(1u << 0)
#define PCI_MSI_CTRL_MMC_MASK	(7u << 1)	/* log2 of vectors requested */
#define PCI_MSI_CTRL_MMC_SHIFT	1
#define PCI_MSI_CTRL_MME_MASK	(7u << 4)	/* log2 of vectors granted */
#define PCI_MSI_CTRL_64BIT	(1u << 7)
#define PCI_MSI_CTRL_PVM	(1u << 8)	/* per-vector masking */
#define PCI_MSI_MASK_VECTOR0	(1u << 0)	/* in the mask bits register */

/* MSI-X capability [PCI 6.8.2]; offsets from the capability */
#define PCI_MSIX_CTRL		0x02	/* message control, 16 bits */
#define PCI_MSIX_TABLE		0x04	/* table BIR and offset */
#define PCI_MSIX_PBA		0x08	/* pending bit array BIR and offset */
#define PCI_MSIX_CTRL_SIZE_MASK	0x07FFu		/* table size - 1 */
#define PCI_MSIX_CTRL_MASKALL	(1u << 14)	/* function mask */
#define PCI_MSIX_CTRL_ENABLE	(1u << 15)
#define PCI_MSIX_BIR_MASK	0x7u
#define PCI_MSIX_OFFSET_MASK	0xFFFFFFF8u
/* MSI-X table entry [PCI 6.8.2.6 - 6.8.2.9], 16 bytes, in a memory BAR */
#define PCI_MSIX_ENTRY_SIZE	16
#define PCI_MSIX_ENTRY_ADDR_LO	0x0
#define PCI_MSIX_ENTRY_ADDR_HI	0x4
#define PCI_MSIX_ENTRY_DATA	0x8
#define PCI_MSIX_ENTRY_CTRL	0xC
#define PCI_MSIX_ENTRY_MASKED	(1u << 0)

/* PCI Express capability [PCIe 7.5.3]; offsets from the capability */
#define PCI_EXP_FLAGS		0x02	/* capabilities register, 16 bits */
#define PCI_EXP_FLAGS_TYPE_MASK	0x00F0u	/* device/port type */
#define PCI_EXP_FLAGS_TYPE_SHIFT 4

/* Class codes [CODES 1] used by the PCI core */
#define PCI_CLASS_BRIDGE	0x06
#define PCI_SUBCLASS_HOST	0x00
#define PCI_SUBCLASS_P2P	0x04

#define PCI_VENDOR_NONE		0xFFFF	/* read from an absent function */
#define PCI_ANY_ID		0xFFFF	/* struct pci_id wildcard */

/* ---------------------------------------------------------- devices ---- */

/* One base address register, as sized by pci_init(). */
struct pci_bar {
	uint64_t base;		/* bus = CPU physical address (x86); 0: unassigned */
	uint64_t size;		/* bytes, a power of two; 0: no BAR in this slot */
	bool is_io;		/* I/O space, else memory */
	bool is_64;		/* 64-bit memory BAR: the next slot is its upper half */
	bool prefetchable;
	void *virt;		/* pci_bar_map()'s window, NULL until then */
};

struct pci_driver;

/* One PCI function.  Fields marked "init" are written by pci_init() only. */
struct pci_dev {
	struct list_node node;		/* init: the device list, in bus order */

	/* init: where it is and what it is */
	uint16_t seg;
	uint8_t bus, dev, fn;
	char name[16];			/* "0000:00:02.0" */
	uint16_t vendor, device;
	uint8_t class, subclass, prog_if, revision;
	uint8_t header_type;		/* PCI_HEADER_NORMAL/BRIDGE/CARDBUS */
	bool multifunction;
	unsigned nbars;			/* BAR slots the header type has */
	struct pci_bar bars[PCI_MAX_BARS];	/* .virt: pci_map_lock */
	uint8_t irq_line, irq_pin;	/* pin 0: no INTx; 1..4: INTA..INTD */
	uint8_t msi_cap, msix_cap, pcie_cap;	/* config offsets, 0: absent */
	uint8_t sec_bus, sub_bus;	/* bridges: the bus range behind it */
	struct pci_dev *parent;		/* the bridge above; NULL on bus 0 */

	/* written by pci_init() while probing drivers */
	const struct pci_driver *driver;	/* NULL: no driver took it */
	void *driver_data;		/* the driver's own */
};

/* ------------------------------------------------------- drivers ---- */

/*
 * What a driver handles.  vendor/device PCI_ANY_ID match anything; the bits
 * of class_code selected by class_mask must match the device's
 * (class << 16 | subclass << 8 | prog_if).  A table ends with an entry
 * whose vendor is 0.
 */
struct pci_id {
	uint16_t vendor, device;
	uint32_t class_code, class_mask;
};

#define PCI_ID(v, d)	{ .vendor = (v), .device = (d) }
#define PCI_ID_CLASS(cc, mask) \
	{ .vendor = PCI_ANY_ID, .device = PCI_ANY_ID, .class_code = (cc), .class_mask = (mask) }
#define PCI_CLASS_CODE(c, s, p)	((uint32_t)(c) << 16 | (uint32_t)(s) << 8 | (p))

struct pci_driver {
	const char *name;
	const struct pci_id *ids;
	/* Called by pci_init() (thread context, pci_init_lock held: it must
	 * not call pci_init()) for each device the IDs match and no earlier
	 * driver took.  Returns 0 to take the device, a negative errno to
	 * decline it (the next matching driver is then asked). */
	int (*probe)(struct pci_dev *dev);
};

/*
 * PCI_DRIVER(drv) - register the struct pci_driver named @drv: a pointer to
 * it goes into the linker section "pci_drivers", which linker.ld brackets
 * with __start_pci_drivers/__stop_pci_drivers.
 */
#define PCI_DRIVER(drv)							\
	static const struct pci_driver *const pci_driver_ptr_##drv	\
	__used __aligned(8) __section("pci_drivers") = &(drv)

/**
 * pci_id_match() - the first entry of @ids that matches @dev, or NULL.
 * Pure function of its arguments; any context.
 */
const struct pci_id *pci_id_match(const struct pci_id *ids, const struct pci_dev *dev);

/* ------------------------------------------------------------ init ---- */

/**
 * pci_init() - find every PCI function, then probe the drivers.
 *
 * Chooses ECAM when acpi_mcfg() gives a segment-0 window, else the legacy
 * ports; scans bus 0 and every bus behind a bridge the firmware
 * configured; sizes BARs and walks capability lists.  Idempotent: later
 * calls return at once with the first call's result.  Thread context
 * (after acpi_init() and the scheduler); may sleep.
 *
 * Returns 0; -ENODEV when there is no configuration mechanism at all.
 */
int pci_init(void);

/* The device list: iterate with pci_for_each_dev().  Read-only after
 * pci_init(): the lookups below take no lock and run in any context. */
extern struct list_node pci_devices;
#define pci_for_each_dev(d)	list_for_each_entry(d, &pci_devices, node)

/* pci_dev_count() - number of functions pci_init() recorded. */
unsigned pci_dev_count(void);

/**
 * pci_find_dev() - the @index-th function (0 first) with @vendor:@device,
 * in bus order; PCI_ANY_ID matches anything.  NULL when there is none.
 * Any context.
 */
struct pci_dev *pci_find_dev(uint16_t vendor, uint16_t device, unsigned index);

/* pci_get_dev() - the function at seg:bus:dev.fn, or NULL.  Any context. */
struct pci_dev *pci_get_dev(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn);

/* ---------------------------------------------- config space access ---- */

/**
 * pci_conf_read() - read @size (1, 2 or 4) bytes at @off of a function's
 * config space.  Any context.
 *
 * Buses that pci_init() scanned and an MCFG window covers go through ECAM
 * (offsets below PCIE_CFG_SIZE), all others through the legacy ports
 * (offsets below PCI_CFG_SIZE).  An absent function reads as all-ones, and so
 * does a request that cannot be made (bad size or alignment, offset beyond
 * what the mechanism reaches, a segment other than 0): the bad ones are
 * reported.
 */
uint32_t pci_conf_read(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
		       uint16_t off, unsigned size);

/**
 * pci_conf_write() - write @size bytes of @val at @off.  Any context.
 * Returns 0; -EINVAL for a bad size, alignment or address; -ERANGE for an
 * offset the configuration mechanism cannot reach.
 */
int pci_conf_write(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
		   uint16_t off, unsigned size, uint32_t val);

static inline uint8_t pci_read8(const struct pci_dev *d, uint16_t off)
{ return (uint8_t)pci_conf_read(d->seg, d->bus, d->dev, d->fn, off, 1); }
static inline uint16_t pci_read16(const struct pci_dev *d, uint16_t off)
{ return (uint16_t)pci_conf_read(d->seg, d->bus, d->dev, d->fn, off, 2); }
static inline uint32_t pci_read32(const struct pci_dev *d, uint16_t off)
{ return pci_conf_read(d->seg, d->bus, d->dev, d->fn, off, 4); }
static inline int pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v)
{ return pci_conf_write(d->seg, d->bus, d->dev, d->fn, off, 1, v); }
static inline int pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v)
{ return pci_conf_write(d->seg, d->bus, d->dev, d->fn, off, 2, v); }
static inline int pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v)
{ return pci_conf_write(d->seg, d->bus, d->dev, d->fn, off, 4, v); }

/* pci_config_mechanism() - "ECAM" or "legacy ports" (or "none"), for messages. */
const char *pci_config_mechanism(void);

/* ------------------------------------------------- command, BARs ---- */

/**
 * pci_set_command() - set then clear bits of the command register, under
 * pci_cmd_lock.  Any context.  Returns the register's previous value (so a
 * caller can put it back).
 */
uint16_t pci_set_command(struct pci_dev *dev, uint16_t set, uint16_t clear);

static inline void pci_enable_memory(struct pci_dev *d) { pci_set_command(d, PCI_CMD_MEMORY, 0); }
static inline void pci_enable_io(struct pci_dev *d) { pci_set_command(d, PCI_CMD_IO, 0); }

/**
 * pci_enable_bus_master() - let @dev master the bus (DMA, MSI): set Bus
 * Master Enable in its command register and in that of every bridge
 * above it, which forward its memory writes upstream [P2P 3.2.2.3.3].
 * Any context.
 */
void pci_enable_bus_master(struct pci_dev *dev);

/**
 * pci_bar_map() - map memory BAR @i uncached and return its address.
 *
 * The window is made once and kept (bars[i].virt); later calls return it.
 * Does not enable memory decoding: call pci_enable_memory() too.  Thread
 * context (takes pci_map_lock, a mutex; ioremap may sleep).
 *
 * Returns NULL, with a message, when @i is not a BAR of @dev, is an I/O
 * BAR, has no size, was never assigned an address, or ioremap fails.
 */
void *pci_bar_map(struct pci_dev *dev, unsigned i);

/* ----------------------------------------------------------- names ---- */

/* pci_class_name() - "host bridge", "NVM controller"...: the subclass's
 * name, else the class's, else "unknown class" [CODES 1]. */
const char *pci_class_name(uint8_t class, uint8_t subclass);

/* pci_cap_name() - "MSI", "PCI Express"...: capability @id's name
 * (PCI_CAP_ID_*), or "unknown" [CODES 2]. */
const char *pci_cap_name(uint8_t id);

/* pci_exp_type_name() - the PCI Express device/port type (the
 * PCI_EXP_FLAGS_TYPE field) by name, or "reserved type" [PCIe 7.5.3.2]. */
const char *pci_exp_type_name(unsigned type);

/* ---------------------------------------------------- capabilities ---- */

/**
 * pci_find_capability() - config offset of the first capability @cap_id
 * (PCI_CAP_ID_*), or 0.  Walks the live list, bounded and loop-checked;
 * a bad list is reported and ends the walk.  Any context.
 */
uint8_t pci_find_capability(struct pci_dev *dev, uint8_t cap_id);

/**
 * pci_for_each_capability() - call @fn(@arg, offset, id) for each
 * capability in list order until it returns nonzero.  Returns how many
 * capabilities were visited.  Any context.
 */
unsigned pci_for_each_capability(struct pci_dev *dev,
				 int (*fn)(void *arg, uint8_t off, uint8_t id), void *arg);

/* ------------------------------------------------------ MSI, MSI-X ---- */

/**
 * pci_msi_enable() - deliver the device's MSI as @vector to the CPU with
 * local APIC ID @apic_id.
 *
 * Programs one message (address and data from msi_compose()), unmasks it
 * when the device has per-vector masking, sets MSI enable and disables
 * legacy INTx.  MSI is a memory write by the device: the caller must also
 * enable bus mastering.  Takes pci_cmd_lock; any context.
 *
 * Returns 0; -ENODEV without an MSI capability; -EINVAL for a vector below
 * 32 (exceptions) or an APIC ID beyond 255 (the xAPIC destination field).
 */
int pci_msi_enable(struct pci_dev *dev, uint8_t vector, uint32_t apic_id);

/* pci_msi_disable() - clear MSI enable and allow INTx again.  Any context. */
void pci_msi_disable(struct pci_dev *dev);

/* pci_msix_table_size() - MSI-X table entries, 0 without MSI-X.  Any context. */
unsigned pci_msix_table_size(struct pci_dev *dev);

/**
 * pci_msix_enable() - deliver MSI-X table entry @entry as @vector to the
 * CPU with local APIC ID @apic_id.
 *
 * Maps the table's BAR (pci_bar_map), enables memory decoding, turns MSI-X
 * on with the function masked, programs and unmasks the entry, then
 * unmasks the function and disables INTx (and MSI, if it was on).  Other
 * entries are left as they are (masked after reset).  The caller enables
 * bus mastering.  Thread context (pci_bar_map).
 *
 * Returns 0; -ENODEV without MSI-X; -ERANGE when @entry is beyond the
 * table; -EINVAL for a bad vector or APIC ID (as pci_msi_enable) or a
 * table that does not fit its BAR; -ENXIO when the table BAR is unusable.
 */
int pci_msix_enable(struct pci_dev *dev, unsigned entry, uint8_t vector, uint32_t apic_id);

/* pci_msix_disable() - clear MSI-X enable and allow INTx again.  Any context. */
void pci_msix_disable(struct pci_dev *dev);

#endif /* DRIVERS_PCI_H */
