/*
 * namespace.h - the namespaces of the pmem regions, from the DIMMs'
 * namespace labels (drivers/nvdimm/namespace.c; the label format is
 * include/drivers/nslabel.h).
 *
 * A region whose DIMM has a label area with live labels is cut into the
 * namespaces they describe.  A region without a label area, or whose area
 * is blank or holds no live label, is one namespace: the whole region,
 * unlabelled, exactly as before labels existed (its area is not written
 * until a namespace is created).  A region whose label area is damaged
 * (both index blocks bad) has no namespace at all until it is repaired.
 *
 * Names follow Linux: namespaceN.M is the M-th namespace of region N by
 * offset, and its block device is pmemN for M = 0 and pmemN.M otherwise
 * (drivers/nvdimm/namespace_devs.c, nvdimm_namespace_disk_name).
 *
 * For the VFS: pmem_namespace_list() gives every namespace as (region,
 * offset, size, uuid, name, mode) to register as a block device, and
 * pmem_namespace_set_busy_check() lets the VFS answer "is this range
 * mounted?", which create and destroy ask before they change anything.
 *
 * Locking: one mutex (ns_lock) inside; every function here is for thread
 * context and may sleep.  Nothing here is called at interrupt time.
 */
#ifndef DRIVERS_NAMESPACE_H
#define DRIVERS_NAMESPACE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <drivers/nslabel.h>

#define NS_MAX			(8 * NSL_MAX_NS)	/* over all regions */
#define NS_NAME_MAX		24	/* "namespace7.31", "pmem7.31" */
#define NS_ALIGN_BIG		(16ull << 20)	/* Linux MEMREMAP_COMPAT_ALIGN_MAX */
#define NS_ALIGN_SMALL		4096	/* regions smaller than that: PAGE_SIZE */

struct pmem_namespace {
	unsigned region;		/* pmem region index (pmemN) */
	unsigned id;			/* M of namespaceN.M: rank by offset */
	uint64_t offset, size;		/* bytes, within the region */
	bool labelled;			/* false: the whole region, no label */
	uint8_t uuid[NSL_UUID_LEN];	/* zero when not labelled */
	char name[NSL_NAME_LEN + 1];	/* the label's name ("" if none) */
	enum nsl_mode mode;		/* raw when not labelled */
};

/* What a region's label area is, for `namespace list` and boot messages. */
enum ns_area_state {
	NS_AREA_NONE,		/* no label area (or labels not supported here) */
	NS_AREA_OK,		/* read and parsed (maybe blank or empty) */
	NS_AREA_DAMAGED,	/* both index blocks bad: no namespace trusted */
};

/** namespace_init - read every region's labels.  Boot, after pmem_init(),
 * before anything mounts a region.  Reports each region in one line. */
void namespace_init(void);

/** pmem_namespace_list - copy up to @max namespaces, by region then offset,
 * into @out; returns how many there are (may exceed @max). */
unsigned pmem_namespace_list(struct pmem_namespace *out, unsigned max);

/** pmem_namespace_area - the state of region @region's label area and,
 * for NS_AREA_OK, its size in bytes (0 otherwise).  NS_AREA_NONE for a
 * region that does not exist. */
enum ns_area_state pmem_namespace_area(unsigned region, uint32_t *size);

/* "namespace0.1" and "pmem0.1" (pmem0 for M = 0) of @ns, into @buf. */
void pmem_namespace_name(const struct pmem_namespace *ns, char *buf, size_t len);
void pmem_namespace_dev_name(const struct pmem_namespace *ns, char *buf, size_t len);

/**
 * pmem_namespace_create - label a new namespace of @size bytes (0: the
 * largest free extent) on region @region, first fit, its start and size
 * aligned as Linux aligns them (16 MiB; 4 KiB on a region smaller than
 * that), named @name (printable, at most 64 bytes; may be empty), holding
 * @mode.  On success *@made is the new namespace.  Errors, each also said
 * on the console: -ENODEV no such region, -EOPNOTSUPP it has no label
 * area, -EIO its area is damaged or the DIMM failed, -EINVAL a bad size or
 * name, -ENOSPC no free extent (or label slot) that large, -EBUSY the
 * busy check refused (the region is mounted as one namespace).
 */
int pmem_namespace_create(unsigned region, uint64_t size, const char *name, enum nsl_mode mode,
			  struct pmem_namespace *made);

/**
 * pmem_namespace_destroy - remove the label of the namespace named @what:
 * "namespaceN.M", or its uuid.  *@gone is what it was.  Errors (said):
 * -ENOENT no such namespace, -EINVAL it is a whole unlabelled region,
 * -EBUSY the busy check refused, -EIO the DIMM failed.
 */
int pmem_namespace_destroy(const char *what, struct pmem_namespace *gone);

/*
 * The busy check: return 0 when bytes [@offset, @offset + @size) of
 * region @region are not in use (no filesystem mounted on them), or
 * -EBUSY with a reason for people in @why ("mounted at /mnt/a").
 * Called with ns_lock held, in the thread of create/destroy: it must not
 * call back into this module.
 */
typedef int (*pmem_ns_busy_fn)(unsigned region, uint64_t offset, uint64_t size, char *why,
			       size_t whylen);
/** pmem_namespace_set_busy_check - install @fn (NULL: none). */
void pmem_namespace_set_busy_check(pmem_ns_busy_fn fn);

#endif
