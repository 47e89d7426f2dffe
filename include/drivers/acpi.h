/*
 * acpi.h - ACPI static tables: discovery, lookup, and what other modules
 * need from them (CPUs and interrupt controllers, PCIe ECAM windows, power
 * off and reset).
 *
 * drivers/acpi/acpi.c finds the RSDP (a multiboot2 copy, else a scan of the
 * BIOS areas), checks every table it reaches (length, checksum, mapped
 * memory) and keeps pointers into the direct map.  The parsing itself is
 * portable C in drivers/acpi/tables.c (host-tested); this header holds the
 * decoded results and the kernel entry points.  No AML interpreter: the
 * only AML read is the \_S5_ package in the DSDT.
 *
 * Locking: none.  acpi_init() runs once, at boot, on the boot CPU, before
 * other CPUs start; afterwards every table and every recorded value is
 * read-only, so any CPU may call the lookups at any time.
 *
 * Reference: ACPI Specification 6.5 (uefi.org), chapter 5 for the tables;
 * PCI Firmware Specification 3.x, 4.1.2 for the MCFG.
 */
#ifndef DRIVERS_ACPI_H
#define DRIVERS_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/compiler.h>

/* System description table header, ACPI 6.5, 5.2.6 (36 bytes). */
struct acpi_sdt_header {
	char signature[4];		/* "APIC", "FACP", ... */
	uint32_t length;		/* whole table, header included */
	uint8_t revision;
	uint8_t checksum;		/* all `length` bytes sum to 0 (mod 256) */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __packed;

/* ------------------------------------------------------------- MADT ---- */

#define ACPI_MAX_CPUS		64
#define ACPI_MAX_IOAPICS	8
#define ACPI_MAX_OVERRIDES	16
#define ACPI_MAX_NMI_SOURCES	8
#define ACPI_MAX_LAPIC_NMIS	8

/* acpi_lapic_nmi.uid meaning "every processor" (0xFF in a type 4 entry,
 * 0xFFFFFFFF in a type 10 entry; ACPI 6.5, 5.2.12.7 and 5.2.12.13). */
#define ACPI_UID_ALL_CPUS	0xFFFFFFFFu

/* MPS INTI flags of interrupt source overrides and NMI entries
 * (ACPI 6.5, 5.2.12.5, table "MPS INTI Flags"). */
#define ACPI_INTI_POLARITY_MASK		0x3
#define ACPI_INTI_POLARITY_CONFORMS	0x0	/* as the bus says (ISA: high) */
#define ACPI_INTI_POLARITY_HIGH		0x1
#define ACPI_INTI_POLARITY_LOW		0x3
#define ACPI_INTI_TRIGGER_MASK		0xC
#define ACPI_INTI_TRIGGER_CONFORMS	0x0	/* as the bus says (ISA: edge) */
#define ACPI_INTI_TRIGGER_EDGE		0x4
#define ACPI_INTI_TRIGGER_LEVEL		0xC

struct acpi_cpu {
	uint32_t apic_id;		/* local APIC ID, or x2APIC ID */
	uint32_t uid;			/* ACPI processor UID */
	bool enabled;			/* usable now */
	bool online_capable;		/* disabled, but may be enabled later */
	bool x2apic;			/* from a local x2APIC entry */
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t addr;			/* physical MMIO base */
	uint32_t gsi_base;		/* first global system interrupt */
};

struct acpi_irq_override {
	uint8_t bus;			/* 0: ISA */
	uint8_t source;			/* bus-relative IRQ */
	uint32_t gsi;
	uint16_t flags;			/* ACPI_INTI_* */
};

struct acpi_nmi_source {
	uint32_t gsi;
	uint16_t flags;			/* ACPI_INTI_* */
};

struct acpi_lapic_nmi {
	uint32_t uid;			/* ACPI processor UID or ACPI_UID_ALL_CPUS */
	uint16_t flags;			/* ACPI_INTI_* */
	uint8_t lint;			/* LINT0 or LINT1 */
};

/*
 * What the MADT says.  The arrays are bounded: entries beyond a bound are
 * reported and counted in `dropped`, never written.  Processor entries that
 * are neither enabled nor online-capable are ignored, as the spec requires,
 * and counted in `unusable_cpus`.
 */
struct acpi_madt_info {
	uint8_t revision;
	uint64_t lapic_addr;		/* after any address override entry */
	uint32_t flags;			/* raw MADT flags */
	bool pcat_compat;		/* dual 8259s present: mask them */

	unsigned ncpus;
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	unsigned nioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned noverrides;
	struct acpi_irq_override overrides[ACPI_MAX_OVERRIDES];
	unsigned nnmi_sources;
	struct acpi_nmi_source nmi_sources[ACPI_MAX_NMI_SOURCES];
	unsigned nlapic_nmis;
	struct acpi_lapic_nmi lapic_nmis[ACPI_MAX_LAPIC_NMIS];

	unsigned unusable_cpus;		/* disabled and not online-capable */
	unsigned unknown;		/* entries of types not decoded here */
	unsigned dropped;		/* entries beyond an array bound */
};

/* ------------------------------------------------------------- MCFG ---- */

#define ACPI_MAX_MCFG		8

/* One PCIe enhanced configuration (ECAM) window. */
struct acpi_mcfg_alloc {
	uint64_t base;			/* ECAM base for bus 0 of the segment */
	uint16_t segment;		/* PCI segment group */
	uint8_t start_bus, end_bus;	/* inclusive */
};

struct acpi_mcfg_info {
	unsigned n;
	struct acpi_mcfg_alloc alloc[ACPI_MAX_MCFG];
	unsigned dropped;		/* allocations beyond ACPI_MAX_MCFG */
};

/* ------------------------------------------------------------- FADT ---- */

/* Generic address structure address spaces (ACPI 6.5, 5.2.3.2). */
#define ACPI_SPACE_MEMORY	0x00
#define ACPI_SPACE_IO		0x01
#define ACPI_SPACE_PCI_CONFIG	0x02

/* A register, decoded from a generic address structure or from a legacy
 * 32-bit FADT port field (then space is ACPI_SPACE_IO).  addr 0: absent. */
struct acpi_reg {
	uint8_t space;			/* ACPI_SPACE_* */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;		/* 0 undefined, 1 byte ... 4 qword */
	uint64_t addr;
};

/* What the FADT says; fields the table is too short to hold read as 0. */
struct acpi_fadt_info {
	uint8_t revision;
	uint32_t length;
	uint64_t dsdt;			/* X_DSDT when nonzero, else DSDT */
	uint64_t facs;			/* X_FIRMWARE_CTRL when nonzero, else FIRMWARE_CTRL */
	uint16_t sci_irq;		/* SCI_INT */
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable;
	struct acpi_reg pm1a_evt, pm1b_evt;
	struct acpi_reg pm1a_cnt, pm1b_cnt;
	struct acpi_reg pm_tmr;
	uint8_t pm1_evt_len, pm1_cnt_len, pm_tmr_len;
	struct acpi_reg reset_reg;
	uint8_t reset_value;
	bool reset_supported;		/* RESET_REG_SUP, and the register is usable */
	bool hw_reduced;		/* HW_REDUCED_ACPI: no PM1 blocks */
	uint32_t flags;			/* raw FADT Flags */
	uint16_t boot_arch;		/* IAPC_BOOT_ARCH */
	uint8_t century;		/* CMOS index of the century, 0: none */
};

/* IAPC_BOOT_ARCH bits (ACPI 6.5, 5.2.9.3). */
#define ACPI_BOOT_ARCH_LEGACY_DEVICES	(1u << 0)
#define ACPI_BOOT_ARCH_8042		(1u << 1)
#define ACPI_BOOT_ARCH_NO_VGA		(1u << 2)
#define ACPI_BOOT_ARCH_NO_MSI		(1u << 3)
#define ACPI_BOOT_ARCH_NO_ASPM		(1u << 4)
#define ACPI_BOOT_ARCH_NO_CMOS_RTC	(1u << 5)

/* \_S5_ sleep type values for the PM1 control registers (ACPI 6.5, 7.4.2). */
struct acpi_sleep_type {
	uint8_t slp_typa, slp_typb;
};

/* ----------------------------------------------- parser diagnostics ---- */

enum acpi_msg_level {
	ACPI_MSG_ERROR,			/* the call fails because of it */
	ACPI_MSG_WARN,			/* suspicious or unsupported, carried on */
	ACPI_MSG_INFO,			/* skipped something harmless */
};

/* Longest message a parser writes (longer ones are cut). */
#define ACPI_MSG_MAX		160

/* Where the parsers report problems.  @report gets one message per call,
 * without a newline, e.g. "MADT: entry at offset 0x2c has length 0 (must
 * be >= 2)". */
struct acpi_diag {
	void (*report)(void *ctx, enum acpi_msg_level level, const char *msg);
	void *ctx;
};

/**
 * acpi_sdt_validate() - check a system description table's header.
 * @buf, @avail: the table; @avail is how many bytes may be read.
 * @max_len: the largest length the caller accepts.
 * @sig: the expected signature, or NULL for any.
 *
 * Checks, in order: @avail covers the header, the signature, length >=
 * header size, length <= @max_len, length <= @avail, checksum.
 * Returns 0, -EINVAL, or -EBADMSG.
 */
int acpi_sdt_validate(const void *buf, size_t avail, size_t max_len,
		      const char *sig, const struct acpi_diag *diag);

/* ------------------------------------------------------ kernel calls ---- */

/**
 * acpi_init() - find and check the ACPI tables.
 * @rsdp: a copy of the RSDP from a multiboot2 ACPI tag (old or new), or
 *        NULL to scan the EBDA's first KiB and 0xE0000-0xFFFFF.
 * @rsdp_len: bytes at @rsdp.
 *
 * Checks the RSDP, the XSDT (revision >= 2 and nonzero address) or else
 * the RSDT, every table they list, the FADT and the DSDT it points to, and
 * the \_S5_ package; a table that fails a check or lies outside the direct
 * map is reported and left out.  Prints one summary line.  Registers
 * acpi_poweroff() and acpi_reset() as the machine's power-off and reset
 * (machine_power_register(), include/kernel/kernel.h).  Boot CPU, once.
 *
 * Returns 0; -ENOENT when no valid RSDP is found; -EINVAL/-EBADMSG/-EFAULT
 * when no root table is usable; -EALREADY on a second call.
 */
int acpi_init(const void *rsdp, size_t rsdp_len);

/**
 * acpi_find_table() - the @index-th table with signature @sig.
 *
 * "FACP" is the FADT, "APIC" the MADT; "DSDT" is the one the FADT names.
 * The whole table (hdr->length bytes) is mapped and its checksum was good.
 * Returns NULL when there is no such table or acpi_init() did not succeed.
 */
const struct acpi_sdt_header *acpi_find_table(const char sig[4], unsigned index);

/**
 * acpi_madt() - decode the MADT into @out (about 2 KiB: not on a small stack).
 * Returns 0, -ENOENT without an MADT, or the parser's -EINVAL/-EBADMSG.
 */
int acpi_madt(struct acpi_madt_info *out);

/**
 * acpi_mcfg() - decode the MCFG into @out.
 * Returns 0, -ENOENT without an MCFG (the i440fx `pc` machine has none),
 * or the parser's -EINVAL/-EBADMSG.
 */
int acpi_mcfg(struct acpi_mcfg_info *out);

/* acpi_fadt() - the decoded FADT, or NULL when there is none. */
const struct acpi_fadt_info *acpi_fadt(void);

/**
 * acpi_poweroff() - enter S5 (soft off) through the PM1 control registers.
 *
 * Writes SLP_TYPa (and SLP_TYPb when PM1b exists) with SLP_EN.  Does not
 * return when it works.  Returns -ENODEV without a FADT, -ENOENT without a
 * \_S5_ package, -EOPNOTSUPP when PM1a_CNT is not a system I/O port, -EIO
 * when the machine is still running half a second after the write.
 */
int acpi_poweroff(void);

/**
 * acpi_reset() - reset through the FADT reset register.
 * Returns -ENODEV unless the FADT offers a system I/O reset register;
 * -EIO when the machine is still running half a second after the write.
 */
int acpi_reset(void);

/**
 * acpi_list() - one line per table: signature, physical address, length,
 * revision, OEM ID; a heading line first.  @print gets each line without
 * a newline; NULL prints through kprintf.
 */
void acpi_list(void (*print)(const char *line));

#endif /* DRIVERS_ACPI_H */
