/*
 * namespace.c - the namespaces of each pmem region, kept on its DIMM's
 * namespace labels (include/drivers/namespace.h).
 *
 * At boot each region whose one DIMM offers a label area (QEMU's
 * label-size=, through the DSM transport of dsm.c) has the area read
 * whole and parsed by nslabel.c; what it says is kept in struct
 * ns_region.  Create and destroy update the area through the same
 * transport, in the order nslabel.c keeps crash-safe (a label into a
 * free slot, then the inactive index block), and update the copy.
 *
 * Regions made of several DIMMs (interleaved) are left alone: their
 * labels would span DIMMs, which Holdfast does not write.
 *
 * Locking: ns_lock (a mutex) guards regions[] and busy_check; every entry
 * point takes it.  Lock order: ns_lock, then the DSM transport's own lock.
 */
#include <drivers/namespace.h>
#include <drivers/nvdimm_dsm.h>
#include <drivers/pmem.h>
#include <arch/x86_64/cpu.h>
#include <kernel/mm.h>
#include <kernel/panic.h>
#include <kernel/sync.h>
#include <kernel/printk.h>
#include <lib/printf.h>
#include <lib/size.h>
#include <lib/string.h>
#include <lib/errno.h>

struct ns_region {
	enum ns_area_state state;
	uint32_t handle;		/* NFIT device handle of the DIMM */
	uint32_t area_size, max_xfer;
	struct nsl_dimm dimm;		/* the DIMM range and cookie labels must match */
	struct nsl_set set;		/* the live labels */
	/* Namespace ids (the M of namespaceN.M and pmemN.M) by uuid: given by
	 * offset rank at boot, then kept for as long as the namespace lives,
	 * so that creating or destroying one never renames another (a
	 * mounted pmemN.M keeps its name).  A new one takes the lowest free
	 * id, as Linux's seed namespace does. */
	uint8_t id_uuid[NSL_MAX_NS][NSL_UUID_LEN];
	bool id_used[NSL_MAX_NS];
};

static struct mutex ns_lock = {
	.name = "ns_lock",
	.wq = WAIT_QUEUE_INIT(ns_lock.wq, "ns_lock"),
};
static struct ns_region regions[PMEM_MAX_REGIONS];	/* guarded by ns_lock */
static pmem_ns_busy_fn busy_check;			/* guarded by ns_lock */

#define LABEL_PAGE	4096

/* ------------------------------------------------------------ boot */

/* Can region @r carry labels Holdfast reads?  Says why not. */
static bool labels_possible(const struct pmem_region *r)
{
	if (r->handle == ~0u || !r->dimm.has_ctrl) {
		kprintf("pmem%u: no label area (no NFIT DIMM behind the region)\n", r->index);
		return false;
	}
	if (r->ndimms != 1 || r->dimm.region_offset != 0 || r->dimm.region_size != r->size) {
		kprintf("pmem%u: interleaved over %u DIMMs: namespace labels not supported, "
			"the region is one namespace\n", r->index, r->ndimms);
		return false;
	}
	return true;
}

/* Read the whole area of @nr (area_size, max_xfer set) and parse it. */
static void area_load(struct pmem_region *r, struct ns_region *nr)
{
	size_t pages = DIV_ROUND_UP(nr->area_size, LABEL_PAGE);
	uint64_t pa = pmm_alloc_pages(pages);
	char who[16];
	int err;

	snprintf(who, sizeof(who), "pmem%u", r->index);
	if (!pa) {
		kprintf("%s: no memory to read the %u-byte label area; labels ignored\n", who,
			nr->area_size);
		return;
	}
	err = nvdimm_dsm_label_read(nr->handle, 0, phys_to_virt(pa), nr->area_size, nr->max_xfer);
	if (err) {
		kprintf("%s: reading the label area failed (error %d); labels ignored\n", who, err);
		goto out_free;
	}
	err = nsl_parse(who, phys_to_virt(pa), nr->area_size, &nr->dimm, &nr->set);
	nr->state = err ? NS_AREA_DAMAGED : NS_AREA_OK;
out_free:
	pmm_free_pages(pa, pages);
}

static void region_report(const struct pmem_region *r, const struct ns_region *nr)
{
	char size[SIZE_STR_MAX];

	if (nr->state == NS_AREA_DAMAGED) {
		kprintf("pmem%u: label area damaged: no namespace; create refuses until it is "
			"repaired\n", r->index);
		return;
	}
	if (nr->state != NS_AREA_OK)
		return;
	size_str(size, sizeof(size), nr->area_size);
	if (nr->set.nns == 0)
		kprintf("pmem%u: %s label area, %s: the region is one namespace\n", r->index, size,
			nr->set.blank ? "blank" : "no namespace labelled");
	else
		kprintf("pmem%u: %s label area%s: %u namespace%s%s\n", r->index, size,
			nr->set.geom.label_size == NSL_LABEL_SIZE_V11 ? " (v1.1 labels)" : "",
			nr->set.nns, nr->set.nns == 1 ? "" : "s",
			nr->set.refused ? " (some labels refused, see above)" : "");
}

static void region_init(struct pmem_region *r, struct ns_region *nr)
{
	int err;

	memset(nr, 0, sizeof(*nr));
	nr->state = NS_AREA_NONE;
	if (!labels_possible(r))
		return;
	nr->handle = r->handle;
	err = nvdimm_dsm_label_size(r->handle, &nr->area_size, &nr->max_xfer);
	if (err == -EOPNOTSUPP) {
		kprintf("pmem%u: no label area: the region is one namespace\n", r->index);
		return;
	}
	if (err) {
		kprintf("pmem%u: label area size unknown (error %d); labels ignored\n", r->index, err);
		return;
	}
	nr->dimm.dpa_base = r->dimm.dpa_base;
	nr->dimm.dpa_size = r->size;
	nr->dimm.cookie = nsl_isetcookie(r->dimm.region_offset, r->dimm.serial, r->dimm.vendor,
					 r->dimm.mfg_date, r->dimm.mfg_location);
	nr->dimm.cookie_v11 = nsl_isetcookie_v11(r->dimm.region_offset, r->dimm.serial);
	area_load(r, nr);
	region_report(r, nr);
}

void namespace_init(void)
{
	mutex_lock(&ns_lock);
	for (unsigned i = 0; i < pmem_region_count(); i++)
		region_init(pmem_region(i), &regions[i]);
	mutex_unlock(&ns_lock);
}

/* ------------------------------------------------------------ listing */

static bool whole_region(const struct ns_region *nr)
{
	return nr->state == NS_AREA_NONE || (nr->state == NS_AREA_OK && nr->set.nns == 0);
}

static void from_label(unsigned region, const struct ns_region *nr, const struct nsl_ns *l,
		       struct pmem_namespace *ns)
{
	memset(ns, 0, sizeof(*ns));
	ns->region = region;
	ns->offset = l->dpa - nr->dimm.dpa_base;
	ns->size = l->size;
	ns->labelled = true;
	memcpy(ns->uuid, l->uuid, NSL_UUID_LEN);
	memcpy(ns->name, l->name, sizeof(ns->name));
	ns->mode = l->mode;
}

/* Keep region @nr's id table in step with its @n namespaces in @out (by
 * offset): ids of vanished namespaces are freed, new ones take the lowest
 * free id.  Caller holds ns_lock. */
static void assign_ids(struct ns_region *nr, struct pmem_namespace *out, unsigned n)
{
	for (unsigned id = 0; id < NSL_MAX_NS; id++) {
		bool live = false;

		for (unsigned k = 0; k < n && nr->id_used[id] && !live; k++)
			live = !memcmp(nr->id_uuid[id], out[k].uuid, NSL_UUID_LEN);
		nr->id_used[id] = live;
	}
	for (unsigned k = 0; k < n; k++) {
		unsigned id, free_id = NSL_MAX_NS;

		for (id = 0; id < NSL_MAX_NS; id++) {
			if (nr->id_used[id] && !memcmp(nr->id_uuid[id], out[k].uuid, NSL_UUID_LEN))
				break;
			if (!nr->id_used[id] && free_id == NSL_MAX_NS)
				free_id = id;
		}
		if (id == NSL_MAX_NS) {	/* n <= NSL_MAX_NS, so a free id exists */
			id = free_id;
			BUG_ON(id >= NSL_MAX_NS);
			nr->id_used[id] = true;
			memcpy(nr->id_uuid[id], out[k].uuid, NSL_UUID_LEN);
		}
		out[k].id = id;
	}
}

/* The namespaces of region @i by offset into @out (room for NSL_MAX_NS). */
static unsigned region_namespaces(unsigned i, struct pmem_namespace *out)
{
	struct ns_region *nr = &regions[i];
	unsigned n = 0;

	if (whole_region(nr)) {
		memset(out, 0, sizeof(*out));
		out->region = i;
		out->size = pmem_region(i)->size;
		out->mode = NSL_MODE_RAW;
		return 1;
	}
	if (nr->state != NS_AREA_OK)
		return 0;
	for (unsigned k = 0; k < nr->set.nns; k++) {	/* insertion by offset */
		struct pmem_namespace ns;
		unsigned j = n++;

		from_label(i, nr, &nr->set.ns[k], &ns);
		while (j > 0 && out[j - 1].offset > ns.offset) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = ns;
	}
	assign_ids(nr, out, n);
	return n;
}

unsigned pmem_namespace_list(struct pmem_namespace *out, unsigned max)
{
	static struct pmem_namespace tmp[NSL_MAX_NS];	/* guarded by ns_lock */
	unsigned total = 0;

	mutex_lock(&ns_lock);
	for (unsigned i = 0; i < pmem_region_count(); i++) {
		unsigned n = region_namespaces(i, tmp);
		for (unsigned k = 0; k < n; k++, total++)
			if (total < max)
				out[total] = tmp[k];
	}
	mutex_unlock(&ns_lock);
	return total;
}

enum ns_area_state pmem_namespace_area(unsigned region, uint32_t *size)
{
	enum ns_area_state st = NS_AREA_NONE;

	*size = 0;
	mutex_lock(&ns_lock);
	if (region < pmem_region_count()) {
		st = regions[region].state;
		if (st == NS_AREA_OK)
			*size = regions[region].area_size;
	}
	mutex_unlock(&ns_lock);
	return st;
}

void pmem_namespace_name(const struct pmem_namespace *ns, char *buf, size_t len)
{
	snprintf(buf, len, "namespace%u.%u", ns->region, ns->id);
}

void pmem_namespace_dev_name(const struct pmem_namespace *ns, char *buf, size_t len)
{
	if (ns->id == 0)
		snprintf(buf, len, "pmem%u", ns->region);
	else
		snprintf(buf, len, "pmem%u.%u", ns->region, ns->id);
}

void pmem_namespace_set_busy_check(pmem_ns_busy_fn fn)
{
	mutex_lock(&ns_lock);
	busy_check = fn;
	mutex_unlock(&ns_lock);
}

/* ------------------------------------------------------------ updates */

static int dsm_store(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
	const struct ns_region *nr = ctx;

	return nvdimm_dsm_label_write(nr->handle, off, buf, len, nr->max_xfer);
}

/* Ask the busy check about bytes [@off, +@size) of region @region. */
static int check_busy(const char *op, unsigned region, uint64_t off, uint64_t size)
{
	char why[96] = "";
	int err;

	if (!busy_check)
		return 0;
	err = busy_check(region, off, size, why, sizeof(why));
	if (err)
		kprintf("namespace %s: pmem%u+%#lx+%#lx is in use (%s)\n", op, region, off, size,
			why[0] ? why : "busy");
	return err ? -EBUSY : 0;
}

static uint64_t region_align(const struct pmem_region *r)
{
	return r->size < NS_ALIGN_BIG ? NS_ALIGN_SMALL : NS_ALIGN_BIG;
}

/*
 * First fit: the lowest aligned DPA where @size bytes (0: the largest
 * free extent) fit between the labels of @nr.  0 and *@dpa, *@size set,
 * or -ENOSPC.
 */
static int first_fit(const struct ns_region *nr, uint64_t align, uint64_t *dpa, uint64_t *size)
{
	uint64_t start = nr->dimm.dpa_base, end = nr->dimm.dpa_base + nr->dimm.dpa_size;
	uint64_t best = 0, best_at = 0, at = start;

	while (at < end) {
		uint64_t next_used = end, resume = end;
		uint64_t a = ALIGN_UP(at, align), room;

		for (unsigned k = 0; k < nr->set.nns; k++) {	/* the next label after at */
			const struct nsl_ns *l = &nr->set.ns[k];
			if (l->dpa + l->size > at && l->dpa < next_used) {
				next_used = MAX(l->dpa, at);
				resume = l->dpa + l->size;
			}
		}
		room = a < next_used ? ALIGN_DOWN(next_used - a, align) : 0;
		if (*size && room >= *size) {
			*dpa = a;
			return 0;
		}
		if (room > best) {
			best = room;
			best_at = a;
		}
		at = resume;
	}
	if (*size || best == 0)
		return -ENOSPC;
	*dpa = best_at;
	*size = best;
	return 0;
}

/* A random (version 4) uuid not yet on @nr. */
static void new_uuid(const struct ns_region *nr, uint8_t u[NSL_UUID_LEN])
{
	static uint64_t state;
	bool clash;

	do {
		for (unsigned i = 0; i < NSL_UUID_LEN; i += 8) {
			uint64_t z = (state += rdtsc() + 0x9e3779b97f4a7c15ull);
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;	/* splitmix64 */
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			z ^= z >> 31;
			memcpy(u + i, &z, 8);
		}
		u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);		/* RFC 4122 version 4 */
		u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);		/* variant 10 */
		clash = false;
		for (unsigned k = 0; k < nr->set.nns; k++)
			clash |= !memcmp(nr->set.ns[k].uuid, u, NSL_UUID_LEN);
	} while (clash);
}

static int name_check(const char *name)
{
	size_t n = strlen(name);

	if (n > NSL_NAME_LEN) {
		kprintf("namespace create: name '%s' is %zu bytes long (at most %u)\n", name, n,
			NSL_NAME_LEN);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (name[i] < 0x20 || name[i] >= 0x7f) {
			kprintf("namespace create: the name has a byte %#x that is not printable\n",
				(unsigned)(uint8_t)name[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* Is region @i one Holdfast may create namespaces on?  Says why not. */
static int create_allowed(unsigned i, const struct ns_region *nr)
{
	if (i >= pmem_region_count()) {
		kprintf("namespace create: no region pmem%u\n", i);
		return -ENODEV;
	}
	if (nr->state == NS_AREA_NONE) {
		kprintf("namespace create: pmem%u has no label area (QEMU: -device nvdimm,...,"
			"label-size=128K); it stays one namespace\n", i);
		return -EOPNOTSUPP;
	}
	if (nr->state == NS_AREA_DAMAGED) {
		kprintf("namespace create: pmem%u's label area is damaged (both index blocks "
			"bad); nothing is written to it\n", i);
		return -EIO;
	}
	/* the first label ends the whole-region namespace: is it in use? */
	if (nr->set.nns == 0)
		return check_busy("create", i, 0, pmem_region(i)->size);
	return 0;
}

static int size_check(const struct pmem_region *r, uint64_t size, uint64_t align)
{
	char s[SIZE_STR_MAX], a[SIZE_STR_MAX];

	if (size % align == 0 && size <= r->size)
		return 0;
	size_str(s, sizeof(s), size);
	size_str(a, sizeof(a), align);
	if (size > r->size)
		kprintf("namespace create: %s is larger than pmem%u\n", s, r->index);
	else
		kprintf("namespace create: %s is not a multiple of pmem%u's alignment, %s\n", s,
			r->index, a);
	return -EINVAL;
}

static int create_locked(unsigned i, uint64_t size, const char *name, enum nsl_mode mode,
			 struct pmem_namespace *made)
{
	struct ns_region *nr = &regions[i];
	struct nsl_store st = { dsm_store, nr };
	struct pmem_region *r;
	struct nsl_ns ns;
	uint64_t align;
	int err;

	if ((err = create_allowed(i, nr)) || (err = name_check(name)))
		return err;
	if (nr->set.geom.label_size == NSL_LABEL_SIZE_V11 && mode != NSL_MODE_RAW) {
		kprintf("namespace create: pmem%u's labels are v1.1 (ndctl init-labels' default), "
			"which record no mode: only -m raw can be created on it\n", i);
		return -EOPNOTSUPP;
	}
	r = pmem_region(i);
	align = region_align(r);
	if (size && (err = size_check(r, size, align)))
		return err;
	memset(&ns, 0, sizeof(ns));
	ns.size = size;
	if (first_fit(nr, align, &ns.dpa, &ns.size)) {
		if (size)
			kprintf("namespace create: pmem%u has no free aligned extent that large\n", i);
		else
			kprintf("namespace create: pmem%u has no free aligned space left\n", i);
		return -ENOSPC;
	}
	new_uuid(nr, ns.uuid);
	strlcpy(ns.name, name, sizeof(ns.name));
	ns.mode = mode;
	err = nsl_add(&nr->set, &nr->dimm, &ns, &st);
	if (err) {
		kprintf("namespace create: writing the label on pmem%u failed (error %d); the "
			"namespaces are as they were\n", i, err);
		return err;
	}
	made->region = i;
	from_label(i, nr, &nr->set.ns[nr->set.nns - 1], made);
	return 0;
}

int pmem_namespace_create(unsigned region, uint64_t size, const char *name, enum nsl_mode mode,
			  struct pmem_namespace *made)
{
	int err;

	mutex_lock(&ns_lock);
	err = create_locked(region, size, name, mode, made);
	if (!err) {	/* its id, from the region's id table */
		static struct pmem_namespace tmp[NSL_MAX_NS];	/* guarded by ns_lock */
		unsigned n = region_namespaces(region, tmp);
		for (unsigned k = 0; k < n; k++)
			if (!memcmp(tmp[k].uuid, made->uuid, NSL_UUID_LEN))
				made->id = tmp[k].id;
	}
	mutex_unlock(&ns_lock);
	return err;
}

/* Find the namespace called @what; its region and index in set.ns. */
static int find_locked(const char *what, unsigned *region, unsigned *k,
		       struct pmem_namespace *out)
{
	static struct pmem_namespace tmp[NSL_MAX_NS];	/* guarded by ns_lock */
	uint8_t uuid[NSL_UUID_LEN];
	bool by_uuid = nsl_uuid_parse(what, uuid) == 0;
	char name[NS_NAME_MAX];

	for (unsigned i = 0; i < pmem_region_count(); i++) {
		unsigned n = region_namespaces(i, tmp);
		for (unsigned j = 0; j < n; j++) {
			pmem_namespace_name(&tmp[j], name, sizeof(name));
			if (by_uuid ? memcmp(tmp[j].uuid, uuid, NSL_UUID_LEN) || !tmp[j].labelled
				    : strcmp(name, what))
				continue;
			*out = tmp[j];
			*region = i;
			for (*k = 0; *k < regions[i].set.nns; (*k)++)
				if (!memcmp(regions[i].set.ns[*k].uuid, tmp[j].uuid, NSL_UUID_LEN))
					break;
			return 0;
		}
	}
	return -ENOENT;
}

static int destroy_locked(const char *what, struct pmem_namespace *gone)
{
	unsigned region, k;
	char name[NS_NAME_MAX];
	struct nsl_store st;
	int err;

	if (find_locked(what, &region, &k, gone)) {
		kprintf("namespace destroy: no namespace '%s' (namespace list shows them)\n", what);
		return -ENOENT;
	}
	pmem_namespace_name(gone, name, sizeof(name));
	if (!gone->labelled) {
		kprintf("namespace destroy: %s is all of pmem%u, which has no labels: there is "
			"no label to remove\n", name, region);
		return -EINVAL;
	}
	if ((err = check_busy("destroy", region, gone->offset, gone->size)))
		return err;
	st = (struct nsl_store){ dsm_store, &regions[region] };
	err = nsl_remove(&regions[region].set, k, &st);
	if (err)
		kprintf("namespace destroy: writing pmem%u's label index failed (error %d); %s "
			"is still there\n", region, err, name);
	return err;
}

int pmem_namespace_destroy(const char *what, struct pmem_namespace *gone)
{
	int err;

	mutex_lock(&ns_lock);
	err = destroy_locked(what, gone);
	mutex_unlock(&ns_lock);
	return err;
}
