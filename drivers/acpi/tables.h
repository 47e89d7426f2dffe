/*
 * tables.h - ACPI tables as they lie in memory, and the portable parsers.
 *
 * The structures below are the on-table layouts, little-endian and packed,
 * each with its section in the ACPI Specification 6.5 (uefi.org) or the PCI
 * Firmware Specification 3.x (MCFG).  Their sizes are checked at compile
 * time.  Nothing reads them without first checking that the bytes are
 * there.
 *
 * The parsers (tables.c) are plain C: they take (pointer, length), never
 * read past that length, check every length, revision and checksum before
 * using a value, and return 0 or a negative errno:
 *	-EINVAL    malformed (a length, an encoding, a signature)
 *	-EBADMSG   checksum mismatch
 *	-ENOENT    the thing looked for is not there
 *	-ERANGE    a value outside what its field allows
 * Each problem is also described, naming the table and the value, through
 * the caller's struct acpi_diag (NULL: silent).  Output structures are
 * complete only when the parser returned 0.
 *
 * No state, no locks: callers own every buffer.
 */
#ifndef DRIVERS_ACPI_TABLES_H
#define DRIVERS_ACPI_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/compiler.h>
#include <drivers/acpi.h>

/* ---------------------------------------------------- signatures ---- */

#define ACPI_RSDP_SIG		"RSD PTR "	/* 8 bytes, trailing blank (5.2.5.3) */
#define ACPI_RSDP_SIG_LEN	8
#define ACPI_SIG_LEN		4
#define ACPI_SIG_RSDT		"RSDT"		/* 5.2.7 */
#define ACPI_SIG_XSDT		"XSDT"		/* 5.2.8 */
#define ACPI_SIG_FADT		"FACP"		/* 5.2.9 */
#define ACPI_SIG_DSDT		"DSDT"		/* 5.2.11.1 */
#define ACPI_SIG_MADT		"APIC"		/* 5.2.12 */
#define ACPI_SIG_MCFG		"MCFG"		/* PCI Firmware Spec 3.x, 4.1.2 */

/* ---------------------------------------------------------- RSDP ---- */

/* Root System Description Pointer, 5.2.5.3.  Revision 0 (ACPI 1.0) has only
 * the first 20 bytes; revision 2 and later have all 36. */
struct acpi_rsdp {
	char signature[8];		/* ACPI_RSDP_SIG */
	uint8_t checksum;		/* bytes 0..19 sum to 0 */
	char oem_id[6];
	uint8_t revision;		/* 0: ACPI 1.0; 2: ACPI 2.0 and later */
	uint32_t rsdt_addr;
	/* revision >= 2 */
	uint32_t length;		/* whole structure */
	uint64_t xsdt_addr;
	uint8_t ext_checksum;		/* all `length` bytes sum to 0 */
	uint8_t reserved[3];
} __packed;

#define ACPI_RSDP_V1_LEN	20
#define ACPI_RSDP_V2_LEN	36
#define ACPI_RSDP_REV_V2	2

/* Decoded RSDP. */
struct acpi_rsdp_info {
	uint8_t revision;
	char oem_id[7];			/* NUL-terminated */
	uint32_t rsdt_addr;
	uint64_t xsdt_addr;		/* 0 for revision < 2 */
	uint32_t length;		/* 20 for revision < 2 */
};

/* ------------------------------------------------- common pieces ---- */

#define ACPI_SDT_HEADER_LEN	36

/* Generic Address Structure, 5.2.3.2. */
struct acpi_table_gas {
	uint8_t space_id;		/* ACPI_SPACE_* */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __packed;

/* ----------------------------------------------------- RSDT/XSDT ---- */

/* The header is followed by 32-bit (RSDT, 5.2.7) or 64-bit (XSDT, 5.2.8)
 * physical addresses; XSDT entries are only 4-byte aligned. */
#define ACPI_RSDT_ENTRY_LEN	4
#define ACPI_XSDT_ENTRY_LEN	8

/* ---------------------------------------------------------- FADT ---- */

/* Fixed ACPI Description Table, 5.2.9.  Byte offsets in the comments.  A
 * table of revision 1 (ACPI 1.0) ends after `flags` (116 bytes); revision
 * 3/4 after x_gpe1_blk (244); 5 after sleep_status_reg (268); 6 after
 * hypervisor_vendor_id (276).  Fields past a table's length are absent. */
struct acpi_table_fadt {
	struct acpi_sdt_header header;		/*   0 */
	uint32_t firmware_ctrl;			/*  36 FACS */
	uint32_t dsdt;				/*  40 */
	uint8_t int_model;			/*  44 ACPI 1.0 only, now reserved */
	uint8_t preferred_pm_profile;		/*  45 */
	uint16_t sci_int;			/*  46 */
	uint32_t smi_cmd;			/*  48 */
	uint8_t acpi_enable;			/*  52 */
	uint8_t acpi_disable;			/*  53 */
	uint8_t s4bios_req;			/*  54 */
	uint8_t pstate_cnt;			/*  55 */
	uint32_t pm1a_evt_blk;			/*  56 */
	uint32_t pm1b_evt_blk;			/*  60 */
	uint32_t pm1a_cnt_blk;			/*  64 */
	uint32_t pm1b_cnt_blk;			/*  68 */
	uint32_t pm2_cnt_blk;			/*  72 */
	uint32_t pm_tmr_blk;			/*  76 */
	uint32_t gpe0_blk;			/*  80 */
	uint32_t gpe1_blk;			/*  84 */
	uint8_t pm1_evt_len;			/*  88 */
	uint8_t pm1_cnt_len;			/*  89 */
	uint8_t pm2_cnt_len;			/*  90 */
	uint8_t pm_tmr_len;			/*  91 */
	uint8_t gpe0_blk_len;			/*  92 */
	uint8_t gpe1_blk_len;			/*  93 */
	uint8_t gpe1_base;			/*  94 */
	uint8_t cst_cnt;			/*  95 */
	uint16_t p_lvl2_lat;			/*  96 */
	uint16_t p_lvl3_lat;			/*  98 */
	uint16_t flush_size;			/* 100 */
	uint16_t flush_stride;			/* 102 */
	uint8_t duty_offset;			/* 104 */
	uint8_t duty_width;			/* 105 */
	uint8_t day_alrm;			/* 106 */
	uint8_t mon_alrm;			/* 107 */
	uint8_t century;			/* 108 */
	uint16_t iapc_boot_arch;		/* 109 ACPI 2.0+ (reserved in 1.0) */
	uint8_t reserved1;			/* 111 */
	uint32_t flags;				/* 112 */
	/* end of the ACPI 1.0 table (116) */
	struct acpi_table_gas reset_reg;	/* 116 */
	uint8_t reset_value;			/* 128 */
	uint16_t arm_boot_arch;			/* 129 */
	uint8_t minor_version;			/* 131 */
	uint64_t x_firmware_ctrl;		/* 132 */
	uint64_t x_dsdt;			/* 140 */
	struct acpi_table_gas x_pm1a_evt_blk;	/* 148 */
	struct acpi_table_gas x_pm1b_evt_blk;	/* 160 */
	struct acpi_table_gas x_pm1a_cnt_blk;	/* 172 */
	struct acpi_table_gas x_pm1b_cnt_blk;	/* 184 */
	struct acpi_table_gas x_pm2_cnt_blk;	/* 196 */
	struct acpi_table_gas x_pm_tmr_blk;	/* 208 */
	struct acpi_table_gas x_gpe0_blk;	/* 220 */
	struct acpi_table_gas x_gpe1_blk;	/* 232 */
	/* end of the ACPI 2.0-4.0 table (244) */
	struct acpi_table_gas sleep_control_reg; /* 244 */
	struct acpi_table_gas sleep_status_reg;	/* 256 */
	uint64_t hypervisor_vendor_id;		/* 268 */
} __packed;

#define ACPI_FADT_V1_LEN	116

/* FADT Flags bits, 5.2.9 (table "Fixed ACPI Description Table Fixed
 * Feature Flags"). */
#define ACPI_FADT_WBINVD		(1u << 0)
#define ACPI_FADT_RESET_REG_SUP		(1u << 10)
#define ACPI_FADT_HW_REDUCED_ACPI	(1u << 20)

/* RESET_REG must be 8 bits wide at bit offset 0 (5.2.9, RESET_REG). */
#define ACPI_RESET_REG_WIDTH	8

/* ---------------------------------------------------------- MADT ---- */

/* Multiple APIC Description Table, 5.2.12: header, then entries. */
struct acpi_table_madt {
	struct acpi_sdt_header header;
	uint32_t lapic_addr;		/* 32-bit local APIC address */
	uint32_t flags;
} __packed;

#define ACPI_MADT_PCAT_COMPAT	(1u << 0)	/* 5.2.12, "Multiple APIC Flags" */

/* Every entry starts with type and length (length includes these). */
struct acpi_madt_entry {
	uint8_t type;
	uint8_t length;
} __packed;

/* Entry types, 5.2.12 (table "Interrupt Controller Structure Types"). */
enum {
	ACPI_MADT_LAPIC = 0,		/* 5.2.12.2 Processor Local APIC */
	ACPI_MADT_IOAPIC = 1,		/* 5.2.12.3 I/O APIC */
	ACPI_MADT_IRQ_OVERRIDE = 2,	/* 5.2.12.5 Interrupt Source Override */
	ACPI_MADT_NMI_SOURCE = 3,	/* 5.2.12.6 NMI Source */
	ACPI_MADT_LAPIC_NMI = 4,	/* 5.2.12.7 Local APIC NMI */
	ACPI_MADT_LAPIC_OVERRIDE = 5,	/* 5.2.12.8 Local APIC Address Override */
	ACPI_MADT_X2APIC = 9,		/* 5.2.12.12 Processor Local x2APIC */
	ACPI_MADT_X2APIC_NMI = 10,	/* 5.2.12.13 Local x2APIC NMI */
};

/* Local APIC flags, 5.2.12.2 (table "Local APIC Flags"); also x2APIC. */
#define ACPI_MADT_CPU_ENABLED		(1u << 0)
#define ACPI_MADT_CPU_ONLINE_CAPABLE	(1u << 1)	/* ACPI 6.3+ */

/* A local APIC ID of 0xFF is the broadcast ID, never a processor. */
#define ACPI_LAPIC_ID_INVALID	0xFF
/* Local APIC NMI entries: processor UID 0xFF means all processors. */
#define ACPI_LAPIC_NMI_ALL	0xFF

struct acpi_madt_lapic {		/* type 0, 8 bytes */
	struct acpi_madt_entry h;
	uint8_t uid;			/* ACPI processor UID */
	uint8_t apic_id;
	uint32_t flags;
} __packed;

struct acpi_madt_ioapic {		/* type 1, 12 bytes */
	struct acpi_madt_entry h;
	uint8_t id;
	uint8_t reserved;
	uint32_t addr;
	uint32_t gsi_base;
} __packed;

struct acpi_madt_irq_override {		/* type 2, 10 bytes */
	struct acpi_madt_entry h;
	uint8_t bus;			/* 0: ISA */
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;			/* MPS INTI */
} __packed;

struct acpi_madt_nmi_source {		/* type 3, 8 bytes */
	struct acpi_madt_entry h;
	uint16_t flags;			/* MPS INTI */
	uint32_t gsi;
} __packed;

struct acpi_madt_lapic_nmi {		/* type 4, 6 bytes */
	struct acpi_madt_entry h;
	uint8_t uid;			/* ACPI_LAPIC_NMI_ALL: all */
	uint16_t flags;			/* MPS INTI */
	uint8_t lint;
} __packed;

struct acpi_madt_lapic_override {	/* type 5, 12 bytes */
	struct acpi_madt_entry h;
	uint16_t reserved;
	uint64_t addr;
} __packed;

struct acpi_madt_x2apic {		/* type 9, 16 bytes */
	struct acpi_madt_entry h;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;			/* as the local APIC flags */
	uint32_t uid;
} __packed;

struct acpi_madt_x2apic_nmi {		/* type 10, 12 bytes */
	struct acpi_madt_entry h;
	uint16_t flags;			/* MPS INTI */
	uint32_t uid;			/* 0xFFFFFFFF: all */
	uint8_t lint;
	uint8_t reserved[3];
} __packed;

/* ---------------------------------------------------------- MCFG ---- */

/* PCI Firmware Specification 3.x, 4.1.2: header, 8 reserved bytes, then
 * 16-byte allocation entries. */
struct acpi_table_mcfg {
	struct acpi_sdt_header header;
	uint8_t reserved[8];
} __packed;

struct acpi_mcfg_entry {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
	uint32_t reserved;
} __packed;

/* ----------------------------------------------------- AML (\_S5_) ---- */

/* AML encodings, ACPI 6.5 chapter 20 (20.2 AML Grammar Definition). */
#define AML_ZERO_OP		0x00	/* 20.2.3 ConstObj */
#define AML_ONE_OP		0x01
#define AML_ONES_OP		0xFF
#define AML_BYTE_PREFIX		0x0A	/* 20.2.3 ComputationalData */
#define AML_WORD_PREFIX		0x0B
#define AML_DWORD_PREFIX	0x0C
#define AML_QWORD_PREFIX	0x0E
#define AML_NAME_OP		0x08	/* 20.2.5.1 DefName */
#define AML_PACKAGE_OP		0x12	/* 20.2.5.4 DefPackage */
#define AML_ROOT_CHAR		0x5C	/* '\' 20.2.2 NameString */
#define AML_NAMESEG_LEN		4
#define AML_S5_NAME		"_S5_"	/* 7.4.2.6 \_S5 (Soft Off) */

/* PkgLength (20.2.4): bits 7-6 of the lead byte count the bytes that
 * follow (0-3).  With none, bits 5-0 are the length; otherwise bits 5-4
 * must be 0, bits 3-0 are the low nibble and each following byte adds 8
 * more bits.  The length counts itself and everything up to the package
 * end. */
#define AML_PKGLEN_COUNT_SHIFT	6
#define AML_PKGLEN_SHORT_MASK	0x3F
#define AML_PKGLEN_NIBBLE_MASK	0x0F
#define AML_PKGLEN_NIBBLE_BITS	4	/* bits the lead byte gives */
#define AML_PKGLEN_RESERVED	0x30

/* SLP_TYPx is a 3-bit field of PM1x_CNT (4.8.3.2.1, "PM1 Control
 * Registers"): bits 12:10, with SLP_EN at bit 13. */
#define ACPI_SLP_TYP_MAX	7
#define ACPI_PM1_SLP_TYP_SHIFT	10
#define ACPI_PM1_SLP_TYP_MASK	(0x7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN		(1u << 13)

/* ------------------------------------------------------- layouts ---- */

_Static_assert(sizeof(struct acpi_sdt_header) == ACPI_SDT_HEADER_LEN, "SDT header");
_Static_assert(sizeof(struct acpi_rsdp) == ACPI_RSDP_V2_LEN, "RSDP");
_Static_assert(offsetof(struct acpi_rsdp, length) == ACPI_RSDP_V1_LEN, "RSDP v1");
_Static_assert(sizeof(struct acpi_table_gas) == 12, "GAS");
_Static_assert(offsetof(struct acpi_table_fadt, reset_reg) == ACPI_FADT_V1_LEN, "FADT v1");
_Static_assert(offsetof(struct acpi_table_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_table_fadt, sleep_control_reg) == 244, "FADT v3");
_Static_assert(sizeof(struct acpi_table_fadt) == 276, "FADT v6");
_Static_assert(sizeof(struct acpi_table_madt) == 44, "MADT");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT type 0");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT type 1");
_Static_assert(sizeof(struct acpi_madt_irq_override) == 10, "MADT type 2");
_Static_assert(sizeof(struct acpi_madt_nmi_source) == 8, "MADT type 3");
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT type 4");
_Static_assert(sizeof(struct acpi_madt_lapic_override) == 12, "MADT type 5");
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT type 9");
_Static_assert(sizeof(struct acpi_madt_x2apic_nmi) == 12, "MADT type 10");
_Static_assert(sizeof(struct acpi_table_mcfg) == 44, "MCFG");
_Static_assert(sizeof(struct acpi_mcfg_entry) == 16, "MCFG entry");

/* ------------------------------------------------------- parsers ---- */

/* enum acpi_msg_level, ACPI_MSG_MAX and struct acpi_diag: in
 * <drivers/acpi.h>, since parsers outside drivers/acpi/ (the DMAR's)
 * report through them too. */

/**
 * acpi_parse_rsdp() - check an RSDP and decode it.
 * @buf, @len: the bytes (a multiboot copy, or memory at a scan candidate).
 *
 * Checks the signature and the 20-byte checksum; for revision >= 2 also
 * the length field (36 <= length <= @len) and the extended checksum.
 * Returns 0, -EINVAL, or -EBADMSG.
 */
int acpi_parse_rsdp(const void *buf, size_t len, struct acpi_rsdp_info *out,
		    const struct acpi_diag *diag);

/**
 * acpi_rsdp_root() - the root table to use: the XSDT when the revision is
 * >= 2 and its address nonzero, else the RSDT.  Sets *@is_xsdt.  Returns
 * its physical address (0 when there is none).
 */
uint64_t acpi_rsdp_root(const struct acpi_rsdp_info *rsdp, bool *is_xsdt);

/* acpi_sdt_validate(): in <drivers/acpi.h> (the DMAR parser uses it too). */

/**
 * acpi_parse_root() - the table addresses in an RSDT or XSDT.
 * @table, @len: the table (its signature says which kind).
 * @addrs, @max: where to put up to @max addresses; *@count gets how many.
 *
 * Zero entries are reported and skipped; entries beyond @max reported and
 * dropped.  Returns 0, -EINVAL (also for a partial entry), or -EBADMSG.
 */
int acpi_parse_root(const void *table, size_t len, uint64_t *addrs,
		    unsigned max, unsigned *count, const struct acpi_diag *diag);

/**
 * acpi_parse_madt() - decode an MADT.
 *
 * Zero-length, truncated and too-short entries make it fail with -EINVAL;
 * unknown entry types are reported (info) and skipped; entries beyond an
 * array bound are reported and counted in out->dropped.
 * Returns 0, -EINVAL, or -EBADMSG.
 */
int acpi_parse_madt(const void *table, size_t len, struct acpi_madt_info *out,
		    const struct acpi_diag *diag);

/**
 * acpi_parse_fadt() - decode a FADT of any revision.
 *
 * Fields the table is too short for read as zero; the X_ fields win over
 * the legacy ones when nonzero.  A PM1 control block outside system I/O
 * space, or an unusable reset register, is reported (warn) and recorded as
 * found.  Returns 0, -EINVAL, or -EBADMSG.
 */
int acpi_parse_fadt(const void *table, size_t len, struct acpi_fadt_info *out,
		    const struct acpi_diag *diag);

/**
 * acpi_parse_mcfg() - decode an MCFG.
 *
 * A partial allocation entry or one with start bus > end bus makes it
 * fail with -EINVAL; entries beyond ACPI_MAX_MCFG are reported and counted
 * in out->dropped.  Returns 0, -EINVAL, or -EBADMSG.
 */
int acpi_parse_mcfg(const void *table, size_t len, struct acpi_mcfg_info *out,
		    const struct acpi_diag *diag);

/**
 * acpi_parse_s5() - the \_S5_ sleep types from a DSDT (header included).
 * Validates the table, then as acpi_aml_find_s5() on its AML.
 */
int acpi_parse_s5(const void *dsdt, size_t len, struct acpi_sleep_type *out,
		  const struct acpi_diag *diag);

/**
 * acpi_aml_find_s5() - find `Name(_S5_, Package() {a, b, ...})` in AML.
 * @aml, @len: AML byte code (no table header).
 *
 * Not an interpreter: looks for NameOp followed by the NameSeg "_S5_"
 * (optionally after a root prefix '\') and a PackageOp, then decodes the
 * first two elements, which must be integer constants (ZeroOp, OneOp,
 * BytePrefix, WordPrefix, DWordPrefix, QWordPrefix) no larger than 7.
 * Returns 0; -ENOENT when there is no \_S5_ package; -EINVAL for a bad
 * PkgLength, a package that runs past @len or its own end, or an element
 * that is not an integer constant; -ERANGE for a value above 7.
 */
int acpi_aml_find_s5(const uint8_t *aml, size_t len, struct acpi_sleep_type *out,
		     const struct acpi_diag *diag);

#endif /* DRIVERS_ACPI_TABLES_H */
