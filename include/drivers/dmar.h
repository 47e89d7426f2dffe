/*
 * dmar.h - the ACPI DMA Remapping Reporting table (DMAR), decoded.
 *
 * Layouts from Intel's VT-d specification (rev. 4.x), chapter 8: the table
 * header with the host address width and flags (8.1), the remapping
 * structures that follow, each "type, length" (8.2): DRHD (8.3, a remapping
 * unit and the devices it covers), RMRR (8.4, memory a device keeps using
 * across the hand-over, which must stay identity-mapped for it), and the
 * rest (ATSR, RHSA, ANDD, SATC, ...) which Holdfast skips after checking
 * their lengths; device scopes (8.3.1: type, length, enumeration id, start
 * bus, then a path of (device, function) pairs).
 *
 * dmar_parse() is plain C (host-tested in tests/host/test_dmar.c): it
 * takes (pointer, length), checks the signature, the checksum, every
 * structure and scope length against what holds it, and returns 0 or a
 * negative errno (-EINVAL malformed, -EBADMSG checksum, -ERANGE a value
 * out of what its field allows, -E2BIG more than Holdfast keeps), each
 * problem described through @diag naming the structure and the value.
 * *@out is complete only when it returns 0.  No state, no locks.
 */
#ifndef DRIVERS_DMAR_H
#define DRIVERS_DMAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acpi_diag;

#define DMAR_MAX_UNITS		8	/* DRHDs kept */
#define DMAR_MAX_RMRRS		8
#define DMAR_MAX_SCOPES		16	/* per DRHD or RMRR */
#define DMAR_MAX_PATH		8	/* (device, function) hops per scope */

/* Table flags (8.1). */
#define DMAR_FLAG_INTR_REMAP		0x1
#define DMAR_FLAG_X2APIC_OPT_OUT	0x2
#define DMAR_FLAG_DMA_CTRL_OPT_IN	0x4

/* Remapping structure types (8.2). */
#define DMAR_TYPE_DRHD		0
#define DMAR_TYPE_RMRR		1
#define DMAR_TYPE_ATSR		2
#define DMAR_TYPE_RHSA		3
#define DMAR_TYPE_ANDD		4
#define DMAR_TYPE_SATC		5

/* Device scope types (8.3.1). */
#define DMAR_SCOPE_PCI_ENDPOINT	1
#define DMAR_SCOPE_PCI_SUBHIER	2
#define DMAR_SCOPE_IOAPIC	3
#define DMAR_SCOPE_HPET		4
#define DMAR_SCOPE_ACPI		5

struct dmar_scope {
	uint8_t type;			/* DMAR_SCOPE_* */
	uint8_t enum_id;		/* IOAPIC/HPET/ACPI ids; 0 for PCI */
	uint8_t start_bus;
	uint8_t npath;			/* >= 1 */
	struct { uint8_t dev, fn; } path[DMAR_MAX_PATH];
};

/* One remapping hardware unit (DRHD). */
struct dmar_unit {
	uint64_t base;			/* register base, 4 KiB aligned, non-zero */
	uint16_t segment;
	bool include_all;		/* INCLUDE_PCI_ALL: every device of the
					 * segment not in another unit's scope */
	uint8_t size_pages_log2;	/* register set is 2^n pages (0: one page) */
	unsigned nscopes;
	struct dmar_scope scopes[DMAR_MAX_SCOPES];
};

/* Reserved memory a device needs identity-mapped (RMRR). */
struct dmar_rmrr {
	uint16_t segment;
	uint64_t base, limit;		/* 4 KiB aligned base; limit = last byte */
	unsigned nscopes;
	struct dmar_scope scopes[DMAR_MAX_SCOPES];
};

struct dmar_info {
	unsigned haw_bits;		/* host address width: field + 1 */
	uint8_t flags;			/* DMAR_FLAG_* */
	unsigned nunits;
	struct dmar_unit units[DMAR_MAX_UNITS];
	unsigned nrmrrs;
	struct dmar_rmrr rmrrs[DMAR_MAX_RMRRS];
	unsigned nskipped;		/* other structures, lengths checked */
};

/**
 * dmar_parse() - check and decode a DMAR table.
 * @table, @len: the whole table as it lies in memory (header included).
 * @out: filled when 0 is returned.
 * @diag: where each problem is described (NULL: silent).
 * Returns 0, -EINVAL, -EBADMSG, -ERANGE or -E2BIG (see the top).  A table
 * with no DRHD is -ENOENT.  Context: any; no locks; never sleeps.
 */
int dmar_parse(const void *table, size_t len, struct dmar_info *out,
	       const struct acpi_diag *diag);

/**
 * dmar_scope_matches() - does @s name the PCI function at @bus:@dev.@fn?
 * Only single-hop endpoint/sub-hierarchy scopes on @s->start_bus can be
 * decided without walking bridges; for deeper paths @bridge_bus(dev, fn,
 * ctx) gives the secondary bus behind bridge (@bus-so-far, dev, fn), or
 * -1.  Returns true for an endpoint that is exactly it, or for a
 * sub-hierarchy whose bridge is it or has it on its secondary bus (deeper
 * buses are not walked).  Context: any.
 */
bool dmar_scope_matches(const struct dmar_scope *s, uint8_t bus, uint8_t dev, uint8_t fn,
			int (*bridge_bus)(uint8_t bus, uint8_t dev, uint8_t fn, void *ctx),
			void *ctx);

#endif /* DRIVERS_DMAR_H */
