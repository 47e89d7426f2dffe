/*
 * nfit.c - parse and check the NFIT (ACPI 6.4, 5.2.25).
 *
 * The table is a 40-byte header (SDT header + 4 reserved bytes) followed by
 * structures that each start with a 16-bit type and a 16-bit length.  One
 * handler per type; each checks the length it needs before reading.  A
 * structure whose length is below 4 or runs past the table ends the walk;
 * unknown types are counted and skipped.  See include/drivers/nfit.h.
 *
 * Portable: used by the kernel (drivers/nvdimm/pmem.c) and by host tests.
 */
#include <drivers/nfit.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/compiler.h>

#define NFIT_HEADER_LEN		40
#define NFIT_TYPE_SPA		0
#define NFIT_TYPE_MEMDEV	1
#define NFIT_TYPE_INTERLEAVE	2
#define NFIT_TYPE_SMBIOS	3
#define NFIT_TYPE_CTRL		4
#define NFIT_TYPE_BDW		5
#define NFIT_TYPE_FLUSH		6
#define NFIT_TYPE_CAPS		7

#define SPA_LEN_MIN		56
#define MEMDEV_LEN		48
#define INTERLEAVE_LEN_MIN	16
#define CTRL_LEN_MIN		32
#define FLUSH_LEN_MIN		16
#define CAPS_LEN_MIN		16

/* {66F0D379-B4F3-4074-AC43-0D3318B78CDB}, as laid out in memory (the first
 * three fields little-endian). */
static const uint8_t pmem_guid[16] = {
	0x79, 0xd3, 0xf0, 0x66, 0xf3, 0xb4, 0x74, 0x40,
	0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb,
};

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

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

static void parse_spa(struct nfit_info *n, const uint8_t *s, unsigned off, unsigned len)
{
	struct nfit_spa *spa;

	if (too_short("SPA range", off, len, SPA_LEN_MIN) ||
	    full(n, "SPA range", n->nspa, NFIT_MAX_SPA))
		return;
	spa = &n->spa[n->nspa++];
	spa->index = rd16(s + 4);
	spa->flags = rd16(s + 6);
	spa->proximity = rd32(s + 12);
	memcpy(spa->guid, s + 16, 16);
	spa->is_pmem = !memcmp(spa->guid, pmem_guid, 16);
	spa->base = rd64(s + 32);
	spa->length = rd64(s + 40);
	spa->attrs = rd64(s + 48);
}

static void parse_memdev(struct nfit_info *n, const uint8_t *s, unsigned off, unsigned len)
{
	struct nfit_memdev *m;

	if (too_short("memory device", off, len, MEMDEV_LEN) ||
	    full(n, "memory device", n->nmemdev, NFIT_MAX_MEMDEV))
		return;
	m = &n->memdev[n->nmemdev++];
	m->handle = rd32(s + 4);
	m->phys_id = rd16(s + 8);
	m->region_id = rd16(s + 10);
	m->spa_index = rd16(s + 12);
	m->ctrl_index = rd16(s + 14);
	m->region_size = rd64(s + 16);
	m->region_offset = rd64(s + 24);
	m->dpa_base = rd64(s + 32);
	m->interleave_index = rd16(s + 40);
	m->interleave_ways = rd16(s + 42);
	m->flags = rd16(s + 44);
}

static void parse_interleave(struct nfit_info *n, const uint8_t *s, unsigned off, unsigned len)
{
	struct nfit_interleave *il;

	if (too_short("interleave", off, len, INTERLEAVE_LEN_MIN) ||
	    full(n, "interleave", n->ninterleave, NFIT_MAX_INTERLEAVE))
		return;
	il = &n->interleave[n->ninterleave++];
	il->index = rd16(s + 4);
	il->lines = rd32(s + 8);
	il->line_size = rd32(s + 12);
	if ((uint64_t)il->lines * 4 > len - INTERLEAVE_LEN_MIN)
		kprintf("nfit: interleave structure %u lists %u lines but has room for %u\n",
			il->index, il->lines, (len - INTERLEAVE_LEN_MIN) / 4);
}

static void parse_ctrl(struct nfit_info *n, const uint8_t *s, unsigned off, unsigned len)
{
	struct nfit_ctrl *c;

	if (too_short("control region", off, len, CTRL_LEN_MIN) ||
	    full(n, "control region", n->nctrl, NFIT_MAX_CTRL))
		return;
	c = &n->ctrl[n->nctrl++];
	c->index = rd16(s + 4);
	c->vendor = rd16(s + 6);
	c->device = rd16(s + 8);
	c->revision = rd16(s + 10);
	c->serial = rd32(s + 24);
	c->format = rd16(s + 28);
}

static void parse_flush(struct nfit_info *n, const uint8_t *s, unsigned off, unsigned len)
{
	struct nfit_flush *f;
	unsigned count;

	if (too_short("flush hint", off, len, FLUSH_LEN_MIN) ||
	    full(n, "flush hint", n->nflush, NFIT_MAX_FLUSH))
		return;
	f = &n->flush[n->nflush++];
	f->handle = rd32(s + 4);
	count = rd16(s + 8);
	if ((uint64_t)count * 8 > len - FLUSH_LEN_MIN) {
		kprintf("nfit: flush hint structure for handle %#x lists %u addresses but has room for %u\n",
			f->handle, count, (len - FLUSH_LEN_MIN) / 8);
		count = (len - FLUSH_LEN_MIN) / 8;
	}
	f->count = MIN(count, (unsigned)NFIT_MAX_HINTS);
	for (unsigned i = 0; i < f->count; i++)
		f->addr[i] = rd64(s + FLUSH_LEN_MIN + 8 * i);
}

int nfit_parse(const void *table, size_t len, struct nfit_info *n)
{
	const uint8_t *t = table;
	size_t off = NFIT_HEADER_LEN;

	memset(n, 0, sizeof(*n));
	if (len < NFIT_HEADER_LEN) {
		kprintf("nfit: table length %zu is shorter than its header (%d)\n", len, NFIT_HEADER_LEN);
		return -EINVAL;
	}
	while (off + 4 <= len) {
		uint16_t type = rd16(t + off), slen = rd16(t + off + 2);
		const uint8_t *s = t + off;

		if (slen < 4 || slen > len - off) {
			kprintf("nfit: structure type %u at offset %#zx has length %u (must be 4..%zu); rest of the table ignored\n",
				type, off, slen, len - off);
			return -EINVAL;
		}
		switch (type) {
		case NFIT_TYPE_SPA:		parse_spa(n, s, off, slen); break;
		case NFIT_TYPE_MEMDEV:		parse_memdev(n, s, off, slen); break;
		case NFIT_TYPE_INTERLEAVE:	parse_interleave(n, s, off, slen); break;
		case NFIT_TYPE_CTRL:		parse_ctrl(n, s, off, slen); break;
		case NFIT_TYPE_FLUSH:		parse_flush(n, s, off, slen); break;
		case NFIT_TYPE_CAPS:
			if (!too_short("platform capabilities", off, slen, CAPS_LEN_MIN)) {
				n->has_caps = true;
				n->caps = rd32(s + 8);
			}
			break;
		case NFIT_TYPE_SMBIOS:
		case NFIT_TYPE_BDW:
			break;		/* known, not used */
		default:
			kprintf("nfit: unknown structure type %u at offset %#zx; skipped\n", type, off);
			n->unknown++;
		}
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
		if (r->ndimms++ == 0)
			r->handle = md->handle;
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
