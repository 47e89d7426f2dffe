/*
 * nslabel.h - NVDIMM namespace labels: the on-media format of a DIMM's
 * label storage area (UEFI 2.7, 13.19 "NVDIMM Label Protocol"; label
 * version 1.2, as Linux's drivers/nvdimm/label.[ch] write it, and version
 * 1.1, the 128-byte labels ndctl's init-labels writes by default), parsed,
 * checked and updated.  drivers/nvdimm/LABELS.md describes the
 * layout and the update order with the references.
 *
 * A label area is two index blocks, then an array of label slots (256
 * bytes in v1.2, 128 in v1.1):
 *
 *	+----------+----------+--------+--------+-----+------------+
 *	| index 0  | index 1  | slot 0 | slot 1 | ... | slot n - 1 |
 *	+----------+----------+--------+--------+-----+------------+
 *
 * Each index carries a 2-bit sequence number and a bitmap of free slots;
 * the valid index with the newer sequence number is the live one and its
 * in-use slots are the live labels.  Nothing live is ever written: an
 * update writes new labels into free slots, then the inactive index with
 * the next sequence number.  That last store is the commit: a power cut
 * before it leaves the old set, after it the new one.
 *
 * Portable C with no hardware access: the kernel (drivers/nvdimm/
 * namespace.c, through the DSM transport) and the host tests use it.  It
 * works on the caller's memory and writes only through the caller's
 * struct nsl_store: any context, no lock (callers serialise updates of one
 * area).  Every problem is reported with kprintf, naming the index block
 * or the slot and the value that is wrong.
 */
#ifndef DRIVERS_NSLABEL_H
#define DRIVERS_NSLABEL_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <lib/compiler.h>

#define NSL_SIG_LEN		16
#define NSL_INDEX_SIG		"NAMESPACE_INDEX"	/* then NULs, 16 bytes */
#define NSL_INDEX_ALIGN		256	/* an index block is a multiple of this */
#define NSL_LABEL_SIZE		256	/* v1.2 labels */
#define NSL_LABEL_SIZE_V11	128	/* v1.1 labels: up to and with `reserved` */
#define NSL_LABELSIZE_LOG	1	/* index.labelsize: 128 << 1 = 256 bytes */
#define NSL_LABELSIZE_LOG_V11	0	/* v1.1 index: 128-byte labels */
#define NSL_MAJOR		1
#define NSL_MINOR		2
#define NSL_MINOR_V11		1
#define NSL_SEQ_MASK		0x3	/* 2-bit sequence number; 0 is invalid */
#define NSL_UUID_LEN		16
#define NSL_NAME_LEN		64
#define NSL_DPA_ALIGN		4096	/* dpa and rawsize are page aligned */

/* Label flags (UEFI 2.7, table 13.19.3) */
#define NSL_FLAG_ROLABEL	0x1	/* read-only */
#define NSL_FLAG_LOCAL		0x2	/* block-aperture (DIMM-local) namespace */
#define NSL_FLAG_BTT		0x4	/* v1.1 only: contains a BTT */
#define NSL_FLAG_UPDATING	0x8	/* being updated */

/* Limits of what Holdfast keeps in memory per DIMM. */
#define NSL_AREA_MIN		(4 * NSL_LABEL_SIZE)	/* 2 index blocks + 2 labels */
#define NSL_AREA_MAX		(1u << 20)
#define NSL_FREE_MAX		(NSL_AREA_MAX / NSL_LABEL_SIZE_V11 / 8 + 1)
#define NSL_MAX_NS		32	/* live namespaces kept per DIMM */

/* The namespace index block, v1.2 (UEFI 2.7 table 13.19.2). */
struct nsl_index {
	uint8_t sig[NSL_SIG_LEN];	/*  0 NSL_INDEX_SIG */
	uint8_t flags[3];		/* 16 0 */
	uint8_t labelsize;		/* 19 log2(label size) - 7 */
	uint32_t seq;			/* 20 sequence number, 1..3 */
	uint64_t myoff;			/* 24 offset of this block in the area */
	uint64_t mysize;		/* 32 size of this block */
	uint64_t otheroff;		/* 40 offset of the other index block */
	uint64_t labeloff;		/* 48 offset of slot 0 */
	uint32_t nslot;			/* 56 number of label slots */
	uint16_t major, minor;		/* 60 version 1.2 */
	uint64_t checksum;		/* 64 Fletcher-64 of the block, this field 0 */
	uint8_t free[];			/* 72 bit n set: slot n is free */
} __packed;

/* A namespace label, v1.2 (UEFI 2.7 table 13.19.3).  A v1.1 label is its
 * first 128 bytes: no GUIDs, no checksum. */
struct nsl_label {
	uint8_t uuid[NSL_UUID_LEN];	/*   0 the namespace's uuid */
	char name[NSL_NAME_LEN];	/*  16 NUL-terminated unless 64 long */
	uint32_t flags;			/*  80 NSL_FLAG_* */
	uint16_t nlabel;		/*  84 labels of the namespace (DIMMs) */
	uint16_t position;		/*  86 this label's place among them */
	uint64_t isetcookie;		/*  88 the interleave set's cookie */
	uint64_t lbasize;		/*  96 0 or the sector size */
	uint64_t dpa;			/* 104 DIMM physical address of the range */
	uint64_t rawsize;		/* 112 its size */
	uint32_t slot;			/* 120 the slot this label lives in */
	uint8_t align;			/* 124 0 */
	uint8_t reserved[3];		/* 125 */
	uint8_t type_guid[16];		/* 128 the region's SPA range type GUID */
	uint8_t abstraction_guid[16];	/* 144 what is on it (fsdax, sector...) */
	uint8_t reserved2[88];		/* 160 */
	uint64_t checksum;		/* 248 Fletcher-64 of the label, this field 0 */
} __packed;

_Static_assert(sizeof(struct nsl_index) == 72, "index header is 72 bytes");
_Static_assert(sizeof(struct nsl_label) == NSL_LABEL_SIZE, "labels are 256 bytes");

/* What the abstraction GUID says a namespace holds. */
enum nsl_mode {
	NSL_MODE_RAW,		/* null GUID: plain memory */
	NSL_MODE_FSDAX,		/* Linux's pfn GUID: a filesystem with DAX */
	NSL_MODE_DEVDAX,	/* Linux's dax GUID: a device-dax instance */
	NSL_MODE_SECTOR,	/* BTT or BTT2 GUID */
	NSL_MODE_OTHER,		/* a GUID Holdfast does not know */
};

/* Where the label area sits and how big its parts are (from its size and
 * the label size of its version). */
struct nsl_geom {
	uint32_t area_size;
	uint32_t label_size;	/* NSL_LABEL_SIZE (v1.2) or NSL_LABEL_SIZE_V11 */
	uint32_t index_size;	/* each of the two index blocks */
	uint32_t label_off;	/* slot 0 = 2 * index_size */
	uint32_t nslot;
};

/* What a label must agree with: the DIMM's range and its region's cookie. */
struct nsl_dimm {
	uint64_t dpa_base;	/* first DPA of the DIMM's part of the region */
	uint64_t dpa_size;	/* bytes of it */
	uint64_t cookie;	/* v1.2 interleave-set cookie (nsl_isetcookie) */
	uint64_t cookie_v11;	/* v1.1 labels' cookie (nsl_isetcookie_v11) */
};

/* One live namespace, from its label. */
struct nsl_ns {
	uint32_t slot;
	uint8_t uuid[NSL_UUID_LEN];
	char name[NSL_NAME_LEN + 1];	/* NUL-terminated, printable */
	uint32_t flags;
	uint64_t dpa, size, lbasize;
	enum nsl_mode mode;
};

/* The live label set of one DIMM, as parsed (or as last written). */
struct nsl_set {
	struct nsl_geom geom;
	bool blank;		/* no index block has a signature: never labelled */
	bool damaged;		/* index blocks there, both bad: nothing trusted */
	int current;		/* live index block 0 or 1; -1 when none */
	uint32_t seq;		/* its sequence number (1..3) */
	uint32_t nslot;		/* its slot count */
	uint8_t free[NSL_FREE_MAX];	/* its free bitmap (bit set: free) */
	unsigned nns;
	struct nsl_ns ns[NSL_MAX_NS];	/* the accepted labels, by slot */
	unsigned refused;	/* in-use slots whose label was refused */
};

/* Where an update's stores go: the DIMM's label area (DSM Set Label Data),
 * or a test's recorder.  Returns 0 or a negative errno. */
struct nsl_store {
	int (*write)(void *ctx, uint32_t off, const void *buf, uint32_t len);
	void *ctx;
};

/** nsl_fletcher64 - the format's checksum over @len bytes (a multiple of 4):
 * 32-bit little-endian words summed into lo, lo summed into hi. */
uint64_t nsl_fletcher64(const void *p, size_t len);

/**
 * nsl_isetcookie - the v1.2 interleave-set cookie of a region made of one
 * DIMM, as Linux computes it from the NFIT (drivers/acpi/nfit/core.c,
 * acpi_nfit_init_interleave_set: Fletcher-64 of the 48-byte nfit_set_info2
 * of each DIMM): the memdev's region offset, and the control region's
 * serial number, vendor id, manufacturing date and location.
 */
uint64_t nsl_isetcookie(uint64_t region_offset, uint32_t serial, uint16_t vendor,
			uint16_t mfg_date, uint8_t mfg_location);

/**
 * nsl_isetcookie_v11 - the cookie v1.1 labels carry (Linux: cookie1, the
 * Fletcher-64 of the 16-byte nfit_set_info of each DIMM): the memdev's
 * region offset and the control region's serial number, 4 bytes of zero.
 */
uint64_t nsl_isetcookie_v11(uint64_t region_offset, uint32_t serial);

/**
 * nsl_geometry - the layout Linux 6.1 uses for an area of @area_size bytes
 * holding @label_size-byte labels (drivers/nvdimm/label.c:
 * nvdimm_num_label_slots, sizeof_namespace_index): each index block is the
 * 72-byte header and one bit per label the whole area could hold, rounded
 * up to 256 bytes; the slots fill what the two blocks leave.  128 KiB
 * gives 510 256-byte slots (v1.2) or 1020 128-byte ones (v1.1), 256-byte
 * index blocks and slot 0 at 512.  -EINVAL (said) when the area is
 * smaller than two index blocks and two labels, larger than NSL_AREA_MAX,
 * or @label_size is neither.
 */
int nsl_geometry(uint32_t area_size, uint32_t label_size, struct nsl_geom *g);

/**
 * nsl_parse - read the label area @area (@size bytes) of the DIMM @d into
 * @s: pick the live index block (v1.2, else v1.1: s->geom.label_size
 * tells which), then accept each in-use slot whose label
 * passes every check (slot number, checksum, alignment, inside the DIMM,
 * one DIMM, persistent-memory type, this region's cookie, no overlap and
 * no uuid twice); refused labels are reported, counted and left out, the
 * rest kept.  @who prefixes the messages ("pmem0").
 * Returns 0 (s->blank tells a never-labelled area), or -EINVAL when the
 * geometry is impossible or both index blocks are bad (s->damaged: no
 * namespace is trusted and nothing may be written).
 */
int nsl_parse(const char *who, const void *area, uint32_t size, const struct nsl_dimm *d,
	      struct nsl_set *s);

/**
 * nsl_add - write a label for namespace @ns (uuid, name, dpa, size, mode
 * filled by the caller; its slot is chosen here) and commit it: the label
 * into a free slot, then the inactive index block with the next sequence
 * number.  @s must come from nsl_parse (or an earlier update) and is
 * updated on success.  A blank area gets index block 0 as its first
 * index.  On a v1.1 area the label is v1.1, which carries no mode: only
 * NSL_MODE_RAW is written there (-EOPNOTSUPP for another).
 * -EINVAL for a damaged set or a range outside @d, -EEXIST for a
 * uuid already there, -EBUSY for an overlap, -ENOSPC when no slot is
 * free, or the store's error (then @s is as before, and so is the live
 * set on the DIMM).
 */
int nsl_add(struct nsl_set *s, const struct nsl_dimm *d, struct nsl_ns *ns,
	    const struct nsl_store *st);

/**
 * nsl_remove - commit a new index block without the label of @s->ns[@i]
 * (its slot freed; the label itself is not touched).  Same errors.
 */
int nsl_remove(struct nsl_set *s, unsigned i, const struct nsl_store *st);

/* The abstraction GUID of a mode, and a mode's name ("fsdax", "raw"...). */
const uint8_t *nsl_mode_guid(enum nsl_mode m);
const char *nsl_mode_name(enum nsl_mode m);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (37 bytes with the NUL) and back;
 * nsl_uuid_parse returns 0 or -EINVAL. */
#define NSL_UUID_STR	37
void nsl_uuid_str(const uint8_t uuid[NSL_UUID_LEN], char out[NSL_UUID_STR]);
int nsl_uuid_parse(const char *s, uint8_t uuid[NSL_UUID_LEN]);

#endif
