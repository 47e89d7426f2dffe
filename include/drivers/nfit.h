/*
 * nfit.h - the ACPI NVDIMM Firmware Interface Table, parsed and checked.
 *
 * nfit_parse() turns the raw table into arrays of the structures Holdfast
 * uses (ACPI 6.6, 5.2.26): SPA ranges (type 0), memory-device-to-SPA maps
 * (type 1), interleave (2), control regions (4), flush hint addresses (6)
 * and platform capabilities (7).  nfit_regions() then derives one pmem
 * region per persistent-memory SPA range and refuses any whose structures
 * are inconsistent.  Both are portable C (host-tested with crafted tables)
 * and report every problem with kprintf, naming the structure and value.
 * They work on the caller's memory only: any context, no lock (pmem_init
 * calls them once, at boot).
 */
#ifndef DRIVERS_NFIT_H
#define DRIVERS_NFIT_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define NFIT_MAX_SPA		16
#define NFIT_MAX_MEMDEV		32
#define NFIT_MAX_CTRL		32
#define NFIT_MAX_FLUSH		32
#define NFIT_MAX_HINTS		8
#define NFIT_MAX_INTERLEAVE	16

/* NVDIMM State Flags of a memdev (ACPI 6.6, 5.2.26.3, table 5.148) */
#define NFIT_MEM_SAVE_FAILED	(1u << 0)
#define NFIT_MEM_RESTORE_FAILED	(1u << 1)
#define NFIT_MEM_FLUSH_FAILED	(1u << 2)
#define NFIT_MEM_NOT_ARMED	(1u << 3)
#define NFIT_MEM_MAP_FAILED	(1u << 6)

/* Capabilities of the platform (ACPI 6.6, 5.2.26.9, table 5.155) */
#define NFIT_CAP_CPU_FLUSH	(1u << 0)	/* caches are flushed on power loss */
#define NFIT_CAP_MEM_FLUSH	(1u << 1)	/* memory controller flushed on power loss */

struct nfit_spa {
	uint16_t index;			/* SPA range structure index */
	uint16_t flags;
	uint32_t proximity;
	bool is_pmem;			/* GUID is the persistent-memory region GUID */
	uint8_t guid[16];
	uint64_t base, length;
	uint64_t attrs;			/* EFI memory attributes (UC/WC/WT/WB...) */
};

struct nfit_memdev {
	uint32_t handle;		/* NFIT device handle */
	uint16_t phys_id, region_id, spa_index, ctrl_index;
	uint64_t region_size, region_offset, dpa_base;
	uint16_t interleave_index, interleave_ways, flags;
};

struct nfit_ctrl {
	uint16_t index, vendor, device, revision;
	uint32_t serial;
	uint16_t format;
	uint16_t mfg_date;		/* manufacturing date and location, raw */
	uint8_t mfg_location;		/* (Linux hashes them as they are) */
};

struct nfit_flush {
	uint32_t handle;
	unsigned count;
	uint64_t addr[NFIT_MAX_HINTS];
};

struct nfit_interleave {
	uint16_t index;
	uint32_t lines, line_size;
};

struct nfit_info {
	unsigned nspa, nmemdev, nctrl, nflush, ninterleave;
	struct nfit_spa spa[NFIT_MAX_SPA];
	struct nfit_memdev memdev[NFIT_MAX_MEMDEV];
	struct nfit_ctrl ctrl[NFIT_MAX_CTRL];
	struct nfit_flush flush[NFIT_MAX_FLUSH];
	struct nfit_interleave interleave[NFIT_MAX_INTERLEAVE];
	bool has_caps;
	uint32_t caps;			/* NFIT_CAP_*, bits above Highest Valid Capability cleared */
	unsigned unknown;		/* structures of other types, skipped */
	unsigned dropped;		/* structures beyond an array bound */
};

/*
 * The region's (first) DIMM as namespace labels need it: its DPA range
 * and what Linux hashes into the region's interleave-set cookie
 * (drivers/nvdimm/nslabel.c, nsl_isetcookie).
 */
struct nfit_dimm_id {
	bool has_ctrl;			/* a control region structure names it */
	uint64_t dpa_base;		/* memdev: DPA of its part of the region */
	uint64_t region_offset;		/* memdev: where that part starts in the range */
	uint64_t region_size;		/* memdev: how long it is */
	uint32_t serial;		/* control region: serial number */
	uint16_t vendor, mfg_date;
	uint8_t mfg_location;
};

/* One validated persistent-memory region. */
struct nfit_region {
	uint16_t spa_index;
	uint64_t base, size;
	uint32_t handle;		/* device handle of its (first) memdev, or ~0 */
	uint16_t memdev_flags;		/* NFIT_MEM_* of its memdevs, or-ed */
	unsigned ndimms;		/* memdevs mapping it */
	unsigned nhints;
	uint64_t hint[NFIT_MAX_HINTS];	/* flush hint addresses, if any */
	struct nfit_dimm_id dimm;	/* its first memdev's DIMM */
};

struct phys_range {
	uint64_t base, len;
};

/*
 * nfit_parse - decode an NFIT of len bytes (header included; the caller
 * has verified the checksum).  Returns 0, or -EINVAL when the table is too
 * short or a structure's length is impossible (the structures before it
 * are kept).
 */
int nfit_parse(const void *table, size_t len, struct nfit_info *out);

/*
 * nfit_regions - one region per persistent-memory SPA range that is sound:
 * nonzero size, no overflow, no overlap with RAM (ram[]) or with another
 * range, and every memdev naming it agrees (its SPA index exists and its
 * region fits the range).  Refused ranges are reported and skipped.
 * Returns the number of regions written to out (at most max).
 */
unsigned nfit_regions(const struct nfit_info *in, const struct phys_range *ram, unsigned nram,
		      struct nfit_region *out, unsigned max);

#endif
