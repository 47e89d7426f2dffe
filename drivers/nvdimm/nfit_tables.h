/*
 * nfit_tables.h - the NFIT as it lies in memory: the table header and the
 * structures nfit.c reads, little-endian and packed, sizes checked at
 * compile time.  Internal to drivers/nvdimm; the decoded results are in
 * include/drivers/nfit.h.
 *
 * Reference: ACPI Specification 6.6 (uefi.org), 5.2.26 "NVDIMM Firmware
 * Interface Table (NFIT)"; the section and table numbers below are 6.6's
 * (the NFIT is 5.2.25 in ACPI 6.0 to 6.4).  Byte offsets in the comments.
 *
 * Structures may lie at any byte address inside the table (QEMU's tables
 * are not aligned): read them only through these packed types, and only
 * after checking that the structure's length covers the field.
 */
#ifndef DRIVERS_NVDIMM_NFIT_TABLES_H
#define DRIVERS_NVDIMM_NFIT_TABLES_H

#include <stddef.h>
#include <stdint.h>
#include <lib/compiler.h>
#include <drivers/acpi.h>

/* ----------------------------------------------------------- table ---- */

/* Table 5.145: the SDT header, 4 reserved bytes, then the structures. */
struct acpi_table_nfit {
	struct acpi_sdt_header header;		/*  0 signature "NFIT" */
	uint32_t reserved;			/* 36 */
} __packed;

/* Every structure starts with its type and its length in bytes, the
 * length counting these four bytes too (5.2.26.1). */
struct acpi_nfit_sub {
	uint16_t type;				/* 0 ACPI_NFIT_TYPE_* */
	uint16_t length;			/* 2 */
} __packed;

/* Table 5.146, NFIT Structure Types. */
enum {
	ACPI_NFIT_TYPE_SPA = 0,			/* 5.2.26.2 SPA Range */
	ACPI_NFIT_TYPE_MEMDEV = 1,		/* 5.2.26.3 NVDIMM Region Mapping */
	ACPI_NFIT_TYPE_INTERLEAVE = 2,		/* 5.2.26.4 Interleave */
	ACPI_NFIT_TYPE_SMBIOS = 3,		/* 5.2.26.5 SMBIOS Management Info */
	ACPI_NFIT_TYPE_CTRL = 4,		/* 5.2.26.6 NVDIMM Control Region */
	ACPI_NFIT_TYPE_BDW = 5,			/* 5.2.26.7 Block Data Window Region */
	ACPI_NFIT_TYPE_FLUSH = 6,		/* 5.2.26.8 Flush Hint Address */
	ACPI_NFIT_TYPE_CAPS = 7,		/* 5.2.26.9 Platform Capabilities */
};

/* ------------------------------------------------------ SPA range ---- */

/* Table 5.147, System Physical Address (SPA) Range Structure, 5.2.26.2.
 * 56 bytes before ACPI 6.4; 64 with the SPA Location Cookie, which is
 * only there when the flags say so. */
struct acpi_nfit_spa {
	struct acpi_nfit_sub h;			/*  0 type 0 */
	uint16_t range_index;			/*  4 nonzero; memdevs name it */
	uint16_t flags;				/*  6 ACPI_NFIT_SPA_* */
	uint32_t reserved;			/*  8 */
	uint32_t proximity_domain;		/* 12 valid with ..._PROXIMITY_VALID */
	uint8_t range_type_guid[16];		/* 16 e.g. persistent memory */
	uint64_t base;				/* 32 system physical address */
	uint64_t length;			/* 40 bytes */
	uint64_t mem_attrs;			/* 48 EFI memory attributes (EFI_MEMORY_WB ...) */
	uint64_t location_cookie;		/* 56 ACPI 6.4+, with ..._COOKIE_VALID */
} __packed;

#define ACPI_NFIT_SPA_LEN_MIN	offsetof(struct acpi_nfit_spa, location_cookie)

/* SPA range Flags (table 5.147). */
#define ACPI_NFIT_SPA_ADD_ONLINE_ONLY		(1u << 0)
#define ACPI_NFIT_SPA_PROXIMITY_VALID		(1u << 1)
#define ACPI_NFIT_SPA_COOKIE_VALID		(1u << 2)

/* ------------------------------------------- NVDIMM region mapping ---- */

/* Table 5.148, NVDIMM Region Mapping Structure, 5.2.26.3 (ACPI 6.0 called
 * it "Memory Device to System Address Range Map"; "memdev" here).  Its NVDIMM State Flags are NFIT_MEM_* in
 * include/drivers/nfit.h. */
struct acpi_nfit_memdev {
	struct acpi_nfit_sub h;			/*  0 type 1 */
	uint32_t device_handle;			/*  4 NFIT device handle (_ADR) */
	uint16_t physical_id;			/*  8 NVDIMM physical ID */
	uint16_t region_id;			/* 10 NVDIMM region ID */
	uint16_t spa_index;			/* 12 SPA range it maps, 0: none */
	uint16_t ctrl_index;			/* 14 its control region */
	uint64_t region_size;			/* 16 bytes of the NVDIMM in the range */
	uint64_t region_offset;			/* 24 where they start in the range */
	uint64_t dpa_base;			/* 32 NVDIMM physical address base */
	uint16_t interleave_index;		/* 40 interleave structure, 0: none */
	uint16_t interleave_ways;		/* 42 */
	uint16_t state_flags;			/* 44 NFIT_MEM_* */
	uint16_t reserved;			/* 46 */
} __packed;

/* ------------------------------------------------------ interleave ---- */

/* Table 5.150, Interleave Structure, 5.2.26.4: a header, then one 32-bit
 * offset per line described. */
struct acpi_nfit_interleave {
	struct acpi_nfit_sub h;			/*  0 type 2 */
	uint16_t interleave_index;		/*  4 */
	uint16_t reserved;			/*  6 */
	uint32_t line_count;			/*  8 number of lines described */
	uint32_t line_size;			/* 12 bytes */
	uint32_t line_offset[];			/* 16 line_count of them */
} __packed;

/* -------------------------------------------------- control region ---- */

/* Table 5.152, NVDIMM Control Region Structure, 5.2.26.6.  32 bytes when
 * the NVDIMM has no block control windows, else all 80.  The IDs come
 * from the module's JEDEC SPD (5.2.26.6 says which bytes); nfit.c records
 * them as read. */
struct acpi_nfit_ctrl {
	struct acpi_nfit_sub h;			/*  0 type 4 */
	uint16_t ctrl_index;			/*  4 memdevs name it */
	uint16_t vendor_id;			/*  6 */
	uint16_t device_id;			/*  8 */
	uint16_t revision_id;			/* 10 */
	uint16_t subsys_vendor_id;		/* 12 */
	uint16_t subsys_device_id;		/* 14 */
	uint16_t subsys_revision_id;		/* 16 */
	uint8_t valid_fields;			/* 18 bit 0: manufacturing fields valid */
	uint8_t mfg_location;			/* 19 */
	uint16_t mfg_date;			/* 20 */
	uint8_t reserved[2];			/* 22 */
	uint32_t serial;			/* 24 module serial number */
	uint16_t format_code;			/* 28 region format interface code */
	uint16_t bcw_count;			/* 30 block control windows; 0: ends here */
	/* bcw_count > 0 only */
	uint64_t bcw_size;			/* 32 */
	uint64_t cmd_offset;			/* 40 */
	uint64_t cmd_size;			/* 48 */
	uint64_t status_offset;			/* 56 */
	uint64_t status_size;			/* 64 */
	uint16_t ctrl_flags;			/* 72 */
	uint8_t reserved2[6];			/* 74 */
} __packed;

#define ACPI_NFIT_CTRL_LEN_MIN	offsetof(struct acpi_nfit_ctrl, bcw_size)

/* ------------------------------------------------------ flush hint ---- */

/* Table 5.154, Flush Hint Address Structure, 5.2.26.8: a header, then
 * hint_count 64-bit addresses a write to which flushes the NVDIMM's
 * write buffers. */
struct acpi_nfit_flush {
	struct acpi_nfit_sub h;			/*  0 type 6 */
	uint32_t device_handle;			/*  4 the memdev's */
	uint16_t hint_count;			/*  8 */
	uint8_t reserved[6];			/* 10 */
	uint64_t hint_addr[];			/* 16 hint_count of them */
} __packed;

/* ----------------------------------------- platform capabilities ---- */

/* Table 5.155, Platform Capabilities Structure, 5.2.26.9.  Only the bits
 * of `capabilities` up to bit `highest_valid` mean anything; the rest
 * must be ignored. */
struct acpi_nfit_caps {
	struct acpi_nfit_sub h;			/*  0 type 7 */
	uint8_t highest_valid;			/*  4 bit index of the last valid one */
	uint8_t reserved[3];			/*  5 */
	uint32_t capabilities;			/*  8 NFIT_CAP_* */
	uint32_t reserved2;			/* 12 */
} __packed;

/* ------------------------------------------------------- layouts ---- */

_Static_assert(sizeof(struct acpi_table_nfit) == 40, "NFIT header");
_Static_assert(sizeof(struct acpi_nfit_sub) == 4, "NFIT structure header");
_Static_assert(offsetof(struct acpi_nfit_spa, base) == 32, "SPA range base");
_Static_assert(ACPI_NFIT_SPA_LEN_MIN == 56, "SPA range, ACPI 6.0-6.3");
_Static_assert(sizeof(struct acpi_nfit_spa) == 64, "SPA range, ACPI 6.4+");
_Static_assert(offsetof(struct acpi_nfit_memdev, state_flags) == 44, "memdev flags");
_Static_assert(sizeof(struct acpi_nfit_memdev) == 48, "memdev");
_Static_assert(sizeof(struct acpi_nfit_interleave) == 16, "interleave");
_Static_assert(offsetof(struct acpi_nfit_ctrl, serial) == 24, "control region serial");
_Static_assert(ACPI_NFIT_CTRL_LEN_MIN == 32, "control region, no windows");
_Static_assert(sizeof(struct acpi_nfit_ctrl) == 80, "control region");
_Static_assert(sizeof(struct acpi_nfit_flush) == 16, "flush hint");
_Static_assert(offsetof(struct acpi_nfit_caps, capabilities) == 8, "capabilities");
_Static_assert(sizeof(struct acpi_nfit_caps) == 16, "platform capabilities");

#endif /* DRIVERS_NVDIMM_NFIT_TABLES_H */
