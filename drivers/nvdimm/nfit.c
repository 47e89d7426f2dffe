/*
 * nfit.c - parse and check the NFIT (ACPI 6.6, 5.2.26).
 *
 * The table is a 40-byte header (SDT header + 4 reserved bytes) followed by
 * structures that each start with a 16-bit type and a 16-bit length.  One
 * handler per type; each checks the length it needs before reading.  A
 * structure whose length is below 4 or runs past the table ends the walk;
 * unknown types are counted and skipped.  Every field is read through the
 * packed layouts of nfit_tables.h, never at a bare offset.  See
 * include/drivers/nfit.h.
 *
 * Portable: used by the kernel (drivers/nvdimm/pmem.c) and by host tests.
 */
#include <drivers/nfit.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/compiler.h>

#include "nfit_tables.h"

/* Address Range Type GUID of a byte-addressable persistent-memory region
 * (5.2.26.2, table 5.147): {66F0D379-B4F3-4074-AC43-0D3318B78CDB}, as laid
 * out in memory (the first three fields little-endian). */
static const uint8_t pmem_guid[16] = {
	0x79, 0xd3, 0xf0, 0x66, 0xf3, 0xb4, 0x74, 0x40,
	0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb,
};

static bool too_short(const char *what, unsigned off, unsigned len, unsigned need)
{
	if (len >= need)
		return false;
	kprintf("nfit: %s structure at offset %#x has length %u (needs %u); skipped\n",
		what, off, len, need);
	return true;
}

static bool full(struct nfit_info *n, const char *what, unsigned count, unsigned max)
{
	if (count < max)
		return false;
	kprintf("nfit: more than %u %s structures; the rest are ignored\n", max, what);
	n->dropped++;
	return true;
}

static void parse_spa(struct nfit_info *n, const void *s, unsigned off, unsigned len)
{
	const struct acpi_nfit_spa *e = s;
	struct nfit_spa *spa;

	if (too_short("SPA range", off, len, ACPI_NFIT_SPA_LEN_MIN) ||
	    full(n, "SPA range", n->nspa, NFIT_MAX_SPA))
		return;
	spa = &n->spa[n->nspa++];
	spa->index = e->range_index;
	spa->flags = e->flags;
	spa->proximity = e->proximity_domain;
	memcpy(spa->guid, e->range_type_guid, sizeof(spa->guid));
	spa->is_pmem = !memcmp(spa->guid, pmem_guid, sizeof(pmem_guid));
	spa->base = e->base;
	spa->length = e->length;
	spa->attrs = e->mem_attrs;
}

static void parse_memdev(struct nfit_info *n, const void *s, unsigned off, unsigned len)
{
	const struct acpi_nfit_memdev *e = s;
	struct nfit_memdev *m;

	if (too_short("memory device", off, len, sizeof(*e)) ||
	    full(n, "memory device", n->nmemdev, NFIT_MAX_MEMDEV))
		return;
	m = &n->memdev[n->nmemdev++];
	m->handle = e->device_handle;
	m->phys_id = e->physical_id;
	m->region_id = e->region_id;
	m->spa_index = e->spa_index;
	m->ctrl_index = e->ctrl_index;
	m->region_size = e->region_size;
	m->region_offset = e->region_offset;
	m->dpa_base = e->dpa_base;
	m->interleave_index = e->interleave_index;
	m->interleave_ways = e->interleave_ways;
	m->flags = e->state_flags;
}

static void parse_interleave(struct nfit_info *n, const void *s, unsigned off, unsigned len)
{
	const struct acpi_nfit_interleave *e = s;
	struct nfit_interleave *il;
	unsigned room;

	if (too_short("interleave", off, len, sizeof(*e)) ||
	    full(n, "interleave", n->ninterleave, NFIT_MAX_INTERLEAVE))
		return;
	room = (len - sizeof(*e)) / sizeof(e->line_offset[0]);
	il = &n->interleave[n->ninterleave++];
	il->index = e->interleave_index;
	il->lines = e->line_count;
	il->line_size = e->line_size;
	if (il->lines > room)
		kprintf("nfit: interleave structure %u lists %u lines but has room for %u\n",
			il->index, il->lines, room);
}

static void parse_ctrl(struct nfit_info *n, const void *s, unsigned off, unsigned len)
{
	const struct acpi_nfit_ctrl *e = s;
	struct nfit_ctrl *c;

	if (too_short("control region", off, len, ACPI_NFIT_CTRL_LEN_MIN) ||
	    full(n, "control region", n->nctrl, NFIT_MAX_CTRL))
		return;
	c = &n->ctrl[n->nctrl++];
	c->index = e->ctrl_index;
	c->vendor = e->vendor_id;
	c->device = e->device_id;
	c->revision = e->revision_id;
	c->serial = e->serial;
	c->format = e->format_code;
	c->mfg_date = e->mfg_date;
	c->mfg_location = e->mfg_location;
}

static void parse_flush(struct nfit_info *n, const void *s, unsigned off, unsigned len)
{
	const struct acpi_nfit_flush *e = s;
	struct nfit_flush *f;
	unsigned count, room;

	if (too_short("flush hint", off, len, sizeof(*e)) ||
	    full(n, "flush hint", n->nflush, NFIT_MAX_FLUSH))
		return;
	room = (len - sizeof(*e)) / sizeof(e->hint_addr[0]);
	f = &n->flush[n->nflush++];
	f->handle = e->device_handle;
	count = e->hint_count;
	if (count > room) {
		kprintf("nfit: flush hint structure for handle %#x lists %u addresses but has room for %u\n",
			f->handle, count, room);
		count = room;
	}
	f->count = MIN(count, (unsigned)NFIT_MAX_HINTS);
	for (unsigned i = 0; i < f->count; i++)
		f->addr[i] = e->hint_addr[i];
}

/* Bits 0..@highest of a 32-bit word. */
static uint32_t low_bits(unsigned highest)
{
	return highest >= 31 ? UINT32_MAX : (2u << highest) - 1;
}

/* Only the capability bits up to Highest Valid Capability count
 * (5.2.26.9): the others are reported and dropped. */
static void parse_caps(struct nfit_info *n, const void *s, unsigned off, unsigned len)
{
	const struct acpi_nfit_caps *e = s;
	uint32_t valid;

	if (too_short("platform capabilities", off, len, sizeof(*e)))
		return;
	valid = low_bits(e->highest_valid);
	if (e->capabilities & ~valid)
		kprintf("nfit: platform capabilities %#x have bits set above the highest valid bit %u; those are ignored\n",
			e->capabilities, e->highest_valid);
	n->has_caps = true;
	n->caps = e->capabilities & valid;
}

/* Hand the structure at @off, of @slen bytes, to the handler of its type. */
static void parse_one(struct nfit_info *n, const struct acpi_nfit_sub *h, size_t off,
		      unsigned slen)
{
	switch (h->type) {
	case ACPI_NFIT_TYPE_SPA:	parse_spa(n, h, off, slen); break;
	case ACPI_NFIT_TYPE_MEMDEV:	parse_memdev(n, h, off, slen); break;
	case ACPI_NFIT_TYPE_INTERLEAVE:	parse_interleave(n, h, off, slen); break;
	case ACPI_NFIT_TYPE_CTRL:	parse_ctrl(n, h, off, slen); break;
	case ACPI_NFIT_TYPE_FLUSH:	parse_flush(n, h, off, slen); break;
	case ACPI_NFIT_TYPE_CAPS:	parse_caps(n, h, off, slen); break;
	case ACPI_NFIT_TYPE_SMBIOS:
	case ACPI_NFIT_TYPE_BDW:
		break;		/* known, not used */
	default:
		kprintf("nfit: unknown structure type %u at offset %#zx; skipped\n", h->type, off);
		n->unknown++;
	}
}

int nfit_parse(const void *table, size_t len, struct nfit_info *n)
{
	const uint8_t *t = table;
	size_t off = sizeof(struct acpi_table_nfit);

	memset(n, 0, sizeof(*n));
	if (len < sizeof(struct acpi_table_nfit)) {
		kprintf("nfit: table length %zu is shorter than its header (%zu)\n",
			len, sizeof(struct acpi_table_nfit));
		return -EINVAL;
	}
	while (off + sizeof(struct acpi_nfit_sub) <= len) {
		const struct acpi_nfit_sub *h = (const void *)(t + off);
		uint16_t slen = h->length;

		if (slen < sizeof(*h) || slen > len - off) {
			kprintf("nfit: structure type %u at offset %#zx has length %u (must be %zu..%zu); rest of the table ignored\n",
				h->type, off, slen, sizeof(*h), len - off);
			return -EINVAL;
		}
		parse_one(n, h, off, slen);
		off += slen;
	}
	if (off != len)
		kprintf("nfit: %zu stray bytes at the end of the table\n", len - off);
	return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Is this persistent SPA range sound?  Reports why not. */
static bool spa_sound(const struct nfit_info *in, unsigned i,
		      const struct phys_range *ram, unsigned nram)
{
	const struct nfit_spa *s = &in->spa[i];

	if (s->length == 0) {
		kprintf("nfit: SPA range %u has size 0; refused\n", s->index);
		return false;
	}
	if (s->base + s->length < s->base || (s->base | s->length) & 0xfff) {
		kprintf("nfit: SPA range %u (base %#lx, length %#lx) wraps or is not 4 KiB aligned; refused\n",
			s->index, (unsigned long)s->base, (unsigned long)s->length);
		return false;
	}
	for (unsigned r = 0; r < nram; r++) {
		if (ranges_overlap(s->base, s->length, ram[r].base, ram[r].len)) {
			kprintf("nfit: SPA range %u (%#lx+%#lx) overlaps RAM at %#lx+%#lx; refused\n",
				s->index, (unsigned long)s->base, (unsigned long)s->length,
				(unsigned long)ram[r].base, (unsigned long)ram[r].len);
			return false;
		}
	}
	for (unsigned j = 0; j < in->nspa; j++) {
		const struct nfit_spa *o = &in->spa[j];
		if (j == i || !o->is_pmem)
			continue;
		if (o->index == s->index && j < i) {
			kprintf("nfit: two SPA ranges have index %u; the second is refused\n", s->index);
			return false;
		}
		if (j < i && ranges_overlap(s->base, s->length, o->base, o->length)) {
			kprintf("nfit: SPA range %u overlaps SPA range %u; refused\n", s->index, o->index);
			return false;
		}
	}
	return true;
}

/* Record who the region's first DIMM is (for namespace labels). */
static void note_dimm(const struct nfit_info *in, const struct nfit_memdev *md,
		      struct nfit_dimm_id *d)
{
	d->dpa_base = md->dpa_base;
	d->region_offset = md->region_offset;
	d->region_size = md->region_size;
	for (unsigned c = 0; c < in->nctrl; c++) {
		const struct nfit_ctrl *ct = &in->ctrl[c];
		if (ct->index != md->ctrl_index)
			continue;
		d->has_ctrl = true;
		d->serial = ct->serial;
		d->vendor = ct->vendor;
		d->mfg_date = ct->mfg_date;
		d->mfg_location = ct->mfg_location;
		return;
	}
}

static void add_memdevs(const struct nfit_info *in, struct nfit_region *r, bool *ok)
{
	for (unsigned m = 0; m < in->nmemdev; m++) {
		const struct nfit_memdev *md = &in->memdev[m];
		if (md->spa_index != r->spa_index)
			continue;
		if (md->region_offset + md->region_size < md->region_offset ||
		    md->region_offset + md->region_size > r->size) {
			kprintf("nfit: memory device %#x maps %#lx+%#lx of SPA range %u, which is only %#lx long; refused\n",
				md->handle, (unsigned long)md->region_offset,
				(unsigned long)md->region_size, r->spa_index, (unsigned long)r->size);
			*ok = false;
			return;
		}
		if (r->ndimms++ == 0) {
			r->handle = md->handle;
			note_dimm(in, md, &r->dimm);
		}
		r->memdev_flags |= md->flags;
		for (unsigned f = 0; f < in->nflush; f++) {
			const struct nfit_flush *fl = &in->flush[f];
			for (unsigned h = 0; fl->handle == md->handle && h < fl->count &&
			     r->nhints < NFIT_MAX_HINTS; h++)
				r->hint[r->nhints++] = fl->addr[h];
		}
	}
}

unsigned nfit_regions(const struct nfit_info *in, const struct phys_range *ram, unsigned nram,
		      struct nfit_region *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned m = 0; m < in->nmemdev; m++) {
		bool found = false;
		for (unsigned i = 0; i < in->nspa && !found; i++)
			found = in->spa[i].index == in->memdev[m].spa_index;
		if (!found)
			kprintf("nfit: memory device %#x names SPA range %u, which does not exist\n",
				in->memdev[m].handle, in->memdev[m].spa_index);
	}
	for (unsigned i = 0; i < in->nspa; i++) {
		const struct nfit_spa *s = &in->spa[i];
		struct nfit_region r;
		bool ok = true;

		if (!s->is_pmem)
			continue;	/* control/block/volatile ranges: not ours */
		if (!spa_sound(in, i, ram, nram))
			continue;
		memset(&r, 0, sizeof(r));
		r.spa_index = s->index;
		r.base = s->base;
		r.size = s->length;
		r.handle = ~0u;
		add_memdevs(in, &r, &ok);
		if (!ok)
			continue;
		if (n == max) {
			kprintf("nfit: more than %u persistent-memory regions; the rest are ignored\n", max);
			break;
		}
		out[n++] = r;
	}
	return n;
}
