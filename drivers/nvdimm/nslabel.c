/*
 * nslabel.c - namespace label areas (UEFI 2.7 / Linux v1.2 labels, and the
 * v1.1 labels ndctl's init-labels writes by default): parse, check and
 * update.  include/drivers/nslabel.h is the interface and
 * drivers/nvdimm/LABELS.md the format, the update order and the sources.
 *
 * Checks live in one place per structure: index_check() for an index
 * block, label_check() for a label, and each says what is wrong in one
 * message.  Updates build the new label and index block in local buffers
 * and hand them to the caller's store, label first, index last.
 *
 * Portable: no hardware, no locks, no allocation (host-tested).
 */
#include <drivers/nslabel.h>
#include <kernel/printk.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <lib/errno.h>

/* Address Range Type GUID of byte-addressable persistent memory (ACPI 6.6,
 * 5.2.26.2): a label's type GUID is its region's, in the NFIT's layout. */
static const uint8_t pmem_type_guid[16] = {
	0x79, 0xd3, 0xf0, 0x66, 0xf3, 0xb4, 0x74, 0x40,
	0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb,
};

/* Abstraction GUIDs (Linux drivers/nvdimm/label.h, in guid_t layout:
 * the first three fields little-endian). */
static const uint8_t guid_null[16];
static const uint8_t guid_pfn[16] = {	/* 266400ba-fb9f-4677-bcb0-968f11d0d225 */
	0xba, 0x00, 0x64, 0x26, 0x9f, 0xfb, 0x77, 0x46,
	0xbc, 0xb0, 0x96, 0x8f, 0x11, 0xd0, 0xd2, 0x25,
};
static const uint8_t guid_dax[16] = {	/* 97a86d9c-3cdd-4eda-986f-5068b4f80088 */
	0x9c, 0x6d, 0xa8, 0x97, 0xdd, 0x3c, 0xda, 0x4e,
	0x98, 0x6f, 0x50, 0x68, 0xb4, 0xf8, 0x00, 0x88,
};
static const uint8_t guid_btt[16] = {	/* 8aed63a2-29a2-4c66-8b12-f05d15d3922a */
	0xa2, 0x63, 0xed, 0x8a, 0xa2, 0x29, 0x66, 0x4c,
	0x8b, 0x12, 0xf0, 0x5d, 0x15, 0xd3, 0x92, 0x2a,
};
static const uint8_t guid_btt2[16] = {	/* 18633bfc-1735-4217-8ac9-17239282d3f8 */
	0xfc, 0x3b, 0x63, 0x18, 0x35, 0x17, 0x17, 0x42,
	0x8a, 0xc9, 0x17, 0x23, 0x92, 0x82, 0xd3, 0xf8,
};

#define INDEX_HDR	sizeof(struct nsl_index)
#define NINDEX		2
#define COOKIE_INFO	48			/* sizeof(struct nfit_set_info2) */
#define COOKIE_INFO_V11	16			/* sizeof(struct nfit_set_info) */
#define INDEX_BUF	(NSL_FREE_MAX + NSL_INDEX_ALIGN + INDEX_HDR)	/* any index block */

/* ------------------------------------------------------------ helpers */

uint64_t nsl_fletcher64(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t lo = 0;
	uint64_t hi = 0;

	for (size_t i = 0; i + 4 <= len; i += 4) {
		lo += (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 |
		      (uint32_t)b[i + 2] << 16 | (uint32_t)b[i + 3] << 24;
		hi += lo;
	}
	return hi << 32 | lo;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t nsl_isetcookie(uint64_t region_offset, uint32_t serial, uint16_t vendor,
			uint16_t mfg_date, uint8_t mfg_location)
{
	uint8_t info[COOKIE_INFO] = { 0 };	/* nfit_set_info2, reserved zero */

	put_le(info + 0, region_offset, 8);
	put_le(info + 8, serial, 4);
	put_le(info + 12, vendor, 2);
	put_le(info + 14, mfg_date, 2);
	info[16] = mfg_location;
	return nsl_fletcher64(info, sizeof(info));
}

uint64_t nsl_isetcookie_v11(uint64_t region_offset, uint32_t serial)
{
	uint8_t info[COOKIE_INFO_V11] = { 0 };	/* nfit_set_info, pad zero */

	put_le(info + 0, region_offset, 8);
	put_le(info + 8, serial, 4);
	return nsl_fletcher64(info, sizeof(info));
}

static bool is_v11(const struct nsl_geom *g)
{
	return g->label_size == NSL_LABEL_SIZE_V11;
}

/* The 2-bit sequence after @seq: 1 -> 2 -> 3 -> 1 (Linux nd_inc_seq). */
static uint32_t seq_next(uint32_t seq)
{
	static const uint32_t next[] = { 0, 2, 3, 1 };

	return next[seq & NSL_SEQ_MASK];
}

/* Of two valid sequence numbers, the newer (Linux best_seq): b follows a
 * when it is a's successor; equal numbers pick b (index block 1). */
static bool seq_b_newer(uint32_t a, uint32_t b)
{
	a &= NSL_SEQ_MASK;
	b &= NSL_SEQ_MASK;
	return a == b || seq_next(a) == b;
}

static bool bit_free(const uint8_t *bm, uint32_t n)
{
	return bm[n / 8] >> (n % 8) & 1;
}

static void bit_set_free(uint8_t *bm, uint32_t n, bool free)
{
	if (free)
		bm[n / 8] |= (uint8_t)(1u << (n % 8));
	else
		bm[n / 8] &= (uint8_t)~(1u << (n % 8));
}

static bool mem_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

const uint8_t *nsl_mode_guid(enum nsl_mode m)
{
	switch (m) {
	case NSL_MODE_FSDAX:	return guid_pfn;
	case NSL_MODE_DEVDAX:	return guid_dax;
	case NSL_MODE_SECTOR:	return guid_btt2;
	default:		return guid_null;
	}
}

const char *nsl_mode_name(enum nsl_mode m)
{
	static const char *const names[] = {
		[NSL_MODE_RAW] = "raw", [NSL_MODE_FSDAX] = "fsdax",
		[NSL_MODE_DEVDAX] = "devdax", [NSL_MODE_SECTOR] = "sector",
		[NSL_MODE_OTHER] = "unknown",
	};

	return (unsigned)m < ARRAY_SIZE(names) ? names[m] : "unknown";
}

static enum nsl_mode mode_of(const uint8_t guid[16])
{
	if (!memcmp(guid, guid_pfn, 16))
		return NSL_MODE_FSDAX;
	if (!memcmp(guid, guid_dax, 16))
		return NSL_MODE_DEVDAX;
	if (!memcmp(guid, guid_btt, 16) || !memcmp(guid, guid_btt2, 16))
		return NSL_MODE_SECTOR;
	if (!memcmp(guid, guid_null, 16))
		return NSL_MODE_RAW;
	return NSL_MODE_OTHER;
}

void nsl_uuid_str(const uint8_t u[NSL_UUID_LEN], char out[NSL_UUID_STR])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (unsigned i = 0; i < NSL_UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[n++] = '-';
		out[n++] = hex[u[i] >> 4];
		out[n++] = hex[u[i] & 0xf];
	}
	out[n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int nsl_uuid_parse(const char *s, uint8_t u[NSL_UUID_LEN])
{
	if (strlen(s) != NSL_UUID_STR - 1)
		return -EINVAL;
	for (unsigned i = 0, pos = 0; i < NSL_UUID_LEN; i++) {
		int hi, lo;

		if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
			if (s[pos++] != '-')
				return -EINVAL;
		}
		hi = hexval(s[pos++]);
		lo = hexval(s[pos++]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		u[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* ------------------------------------------------------------ geometry */

int nsl_geometry(uint32_t area_size, uint32_t label_size, struct nsl_geom *g)
{
	memset(g, 0, sizeof(*g));
	if (area_size < NSL_AREA_MIN || area_size > NSL_AREA_MAX) {
		kprintf("labels: a label area of %u bytes is not supported (must be %u..%u)\n",
			area_size, (unsigned)NSL_AREA_MIN, NSL_AREA_MAX);
		return -EINVAL;
	}
	if (label_size != NSL_LABEL_SIZE && label_size != NSL_LABEL_SIZE_V11) {
		kprintf("labels: %u-byte labels are not a label version Holdfast knows\n",
			label_size);
		return -EINVAL;
	}
	g->area_size = area_size;
	g->label_size = label_size;
	g->index_size = ALIGN_UP((uint32_t)(INDEX_HDR + DIV_ROUND_UP(area_size / label_size, 8)),
				 (uint32_t)NSL_INDEX_ALIGN);
	g->label_off = NINDEX * g->index_size;
	g->nslot = g->label_off < area_size ? (area_size - g->label_off) / label_size : 0;
	if (g->nslot < 2 || g->label_off + (uint64_t)g->nslot * label_size > area_size) {
		kprintf("labels: a label area of %u bytes cannot hold %u labels and two %u-byte index blocks\n",
			area_size, g->nslot, g->index_size);
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------ parsing */

/*
 * Is index block @i valid?  Writes why not into @why (a short phrase)
 * and returns false.  @i's fields are read from @area.
 */
static bool index_check(const uint8_t *area, const struct nsl_geom *g, unsigned i,
			char *why, size_t whylen)
{
	const struct nsl_index *x = (const void *)(area + i * g->index_size);
	uint8_t sig[NSL_SIG_LEN] = NSL_INDEX_SIG;
	uint64_t want;
	struct nsl_index hdr;

	memcpy(&hdr, x, sizeof(hdr));
	if (memcmp(hdr.sig, sig, NSL_SIG_LEN)) {
		snprintf(why, whylen, "no signature");
		return false;
	}
	if (hdr.major != NSL_MAJOR || (hdr.minor != NSL_MINOR && hdr.minor != NSL_MINOR_V11)) {
		snprintf(why, whylen, "version %u.%u (Holdfast reads 1.1 and 1.2)", hdr.major,
			 hdr.minor);
		return false;
	}
	if (hdr.minor != (is_v11(g) ? NSL_MINOR_V11 : NSL_MINOR)) {
		snprintf(why, whylen, "version 1.%u, read as 1.%u", hdr.minor,
			 is_v11(g) ? NSL_MINOR_V11 : NSL_MINOR);
		return false;
	}
	if (hdr.labelsize != (is_v11(g) ? NSL_LABELSIZE_LOG_V11 : NSL_LABELSIZE_LOG)) {
		snprintf(why, whylen, "label size code %u (expected %u: %u-byte labels)",
			 hdr.labelsize, is_v11(g) ? NSL_LABELSIZE_LOG_V11 : NSL_LABELSIZE_LOG,
			 g->label_size);
		return false;
	}
	want = hdr.checksum;
	{
		uint8_t copy[INDEX_BUF];
		uint64_t got;

		if (g->index_size > sizeof(copy)) {
			snprintf(why, whylen, "index block of %u bytes is too large", g->index_size);
			return false;
		}
		memcpy(copy, x, g->index_size);
		memset(copy + offsetof(struct nsl_index, checksum), 0, sizeof(hdr.checksum));
		got = nsl_fletcher64(copy, g->index_size);
		if (got != want) {
			snprintf(why, whylen, "checksum %#lx, computed %#lx",
				 (unsigned long)want, (unsigned long)got);
			return false;
		}
	}
	if ((hdr.seq & NSL_SEQ_MASK) == 0 || hdr.seq > NSL_SEQ_MASK) {
		snprintf(why, whylen, "sequence number %u (must be 1, 2 or 3)", hdr.seq);
		return false;
	}
	if (hdr.myoff != (uint64_t)i * g->index_size ||
	    hdr.otheroff != (uint64_t)(!i) * g->index_size || hdr.labeloff != g->label_off) {
		snprintf(why, whylen, "offsets my %#lx other %#lx labels %#lx (expected %#x, %#x, %#x)",
			 (unsigned long)hdr.myoff, (unsigned long)hdr.otheroff,
			 (unsigned long)hdr.labeloff, i * g->index_size, (!i) * g->index_size,
			 g->label_off);
		return false;
	}
	if (hdr.mysize < INDEX_HDR || hdr.mysize > g->index_size) {
		snprintf(why, whylen, "size %lu (must be %zu..%u)", (unsigned long)hdr.mysize,
			 INDEX_HDR, g->index_size);
		return false;
	}
	if (hdr.nslot == 0 || hdr.nslot > g->nslot) {
		snprintf(why, whylen, "%u slots (the area has room for %u)", hdr.nslot, g->nslot);
		return false;
	}
	return true;
}

static bool any_index_valid(const uint8_t *area, const struct nsl_geom *g)
{
	char why[96];

	for (unsigned i = 0; i < NINDEX; i++)
		if (index_check(area, g, i, why, sizeof(why)))
			return true;
	return false;
}

/* Pick the live index block of @area; -1 when neither is valid. */
static int pick_index(const char *who, const uint8_t *area, struct nsl_set *s)
{
	char why[NINDEX][96];
	bool ok[NINDEX], signed_any = false;
	uint32_t seq[NINDEX] = { 0, 0 };

	for (unsigned i = 0; i < NINDEX; i++) {
		const struct nsl_index *x = (const void *)(area + i * s->geom.index_size);

		ok[i] = index_check(area, &s->geom, i, why[i], sizeof(why[i]));
		signed_any |= strcmp(why[i], "no signature") != 0 || ok[i];
		if (ok[i])
			memcpy(&seq[i], &x->seq, sizeof(seq[i]));
	}
	if (!ok[0] && !ok[1]) {
		s->blank = !signed_any;
		if (signed_any)
			kprintf("%s: labels: both index blocks are bad (index 0: %s; index 1: %s): "
				"no namespace label is trusted and the area is left as it is\n",
				who, why[0], why[1]);
		return -1;
	}
	for (unsigned i = 0; i < NINDEX; i++)
		if (!ok[i] && strcmp(why[i], "no signature"))
			kprintf("%s: labels: index block %u is bad (%s); using index block %u\n",
				who, i, why[i], !i);
	if (ok[0] && ok[1])
		return seq_b_newer(seq[0], seq[1]) ? 1 : 0;
	return ok[0] ? 0 : 1;
}

/* Is the label in slot @slot sound and ours?  Says why not, returns false.
 * A v1.1 label (@g) has no checksum and no type GUID, and its own cookie. */
static bool label_check(const char *who, const struct nsl_label *l, uint32_t slot,
			const struct nsl_dimm *d, const struct nsl_geom *g)
{
	uint8_t copy[NSL_LABEL_SIZE];
	uint64_t sum, cookie = is_v11(g) ? d->cookie_v11 : d->cookie;

	memcpy(copy, l, sizeof(copy));
	memset(copy + offsetof(struct nsl_label, checksum), 0, sizeof(l->checksum));
	sum = nsl_fletcher64(copy, sizeof(copy));
	if (!is_v11(g) && sum != l->checksum) {
		kprintf("%s: labels: slot %u: checksum %#lx, computed %#lx; label refused\n",
			who, slot, (unsigned long)l->checksum, (unsigned long)sum);
		return false;
	}
	if (l->slot != slot) {
		kprintf("%s: labels: slot %u holds a label that says it is slot %u; refused\n",
			who, slot, l->slot);
		return false;
	}
	if (mem_zero(l->uuid, NSL_UUID_LEN)) {
		kprintf("%s: labels: slot %u: the uuid is all zero; refused\n", who, slot);
		return false;
	}
	if (l->flags & NSL_FLAG_LOCAL) {
		kprintf("%s: labels: slot %u: a block-aperture (local) label; not supported, refused\n",
			who, slot);
		return false;
	}
	if (l->nlabel != 1 || l->position != 0) {
		kprintf("%s: labels: slot %u: label %u of %u of an interleaved namespace; "
			"Holdfast reads one-DIMM namespaces only, refused\n",
			who, slot, l->position, l->nlabel);
		return false;
	}
	if (!is_v11(g) && memcmp(l->type_guid, pmem_type_guid, 16)) {
		kprintf("%s: labels: slot %u: the type GUID is not persistent memory's; refused\n",
			who, slot);
		return false;
	}
	if (l->isetcookie != cookie) {
		kprintf("%s: labels: slot %u: interleave-set cookie %#lx is not this region's (%#lx); refused\n",
			who, slot, (unsigned long)l->isetcookie, (unsigned long)cookie);
		return false;
	}
	if (l->rawsize == 0 || (l->dpa | l->rawsize) % NSL_DPA_ALIGN) {
		kprintf("%s: labels: slot %u: range %#lx+%#lx is empty or not 4 KiB aligned; refused\n",
			who, slot, (unsigned long)l->dpa, (unsigned long)l->rawsize);
		return false;
	}
	if (l->dpa < d->dpa_base || l->dpa + l->rawsize < l->dpa ||
	    l->dpa + l->rawsize > d->dpa_base + d->dpa_size) {
		kprintf("%s: labels: slot %u: range %#lx+%#lx points past the region (DPA %#lx+%#lx); refused\n",
			who, slot, (unsigned long)l->dpa, (unsigned long)l->rawsize,
			(unsigned long)d->dpa_base, (unsigned long)d->dpa_size);
		return false;
	}
	return true;
}

static void ns_from_label(struct nsl_ns *ns, const struct nsl_label *l, uint32_t slot)
{
	memset(ns, 0, sizeof(*ns));
	ns->slot = slot;
	memcpy(ns->uuid, l->uuid, NSL_UUID_LEN);
	for (unsigned i = 0; i < NSL_NAME_LEN && l->name[i]; i++) {
		char c = l->name[i];
		ns->name[i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	ns->flags = l->flags;
	ns->dpa = l->dpa;
	ns->size = l->rawsize;
	ns->lbasize = l->lbasize;
	ns->mode = mode_of(l->abstraction_guid);
}

/* Does @ns clash with one already accepted?  Says which, returns true. */
static bool clashes(const char *who, const struct nsl_set *s, const struct nsl_ns *ns)
{
	for (unsigned j = 0; j < s->nns; j++) {
		const struct nsl_ns *o = &s->ns[j];
		char u[NSL_UUID_STR];

		nsl_uuid_str(o->uuid, u);
		if (!memcmp(o->uuid, ns->uuid, NSL_UUID_LEN)) {
			kprintf("%s: labels: slot %u: uuid %s is already slot %u's; refused\n",
				who, ns->slot, u, o->slot);
			return true;
		}
		if (ns->dpa < o->dpa + o->size && o->dpa < ns->dpa + ns->size) {
			kprintf("%s: labels: slot %u: range %#lx+%#lx overlaps namespace %s (slot %u, %#lx+%#lx); refused\n",
				who, ns->slot, (unsigned long)ns->dpa, (unsigned long)ns->size, u,
				o->slot, (unsigned long)o->dpa, (unsigned long)o->size);
			return true;
		}
	}
	return false;
}

static void accept_labels(const char *who, const uint8_t *area, const struct nsl_dimm *d,
			  struct nsl_set *s)
{
	for (uint32_t slot = 0; slot < s->nslot; slot++) {
		struct nsl_label l;	/* a v1.1 label is its first bytes, the rest zero */
		struct nsl_ns ns;

		if (bit_free(s->free, slot))
			continue;
		memset(&l, 0, sizeof(l));
		memcpy(&l, area + s->geom.label_off + slot * s->geom.label_size, s->geom.label_size);
		if (!label_check(who, &l, slot, d, &s->geom)) {
			s->refused++;
			continue;
		}
		ns_from_label(&ns, &l, slot);
		if (clashes(who, s, &ns)) {
			s->refused++;
			continue;
		}
		if (s->nns == NSL_MAX_NS) {
			kprintf("%s: labels: more than %u namespaces; slot %u and later are ignored\n",
				who, NSL_MAX_NS, slot);
			s->refused++;
			continue;
		}
		s->ns[s->nns++] = ns;
	}
}

int nsl_parse(const char *who, const void *area, uint32_t size, const struct nsl_dimm *d,
	      struct nsl_set *s)
{
	const struct nsl_index *x;
	int err;

	memset(s, 0, sizeof(*s));
	s->current = -1;
	if ((err = nsl_geometry(size, NSL_LABEL_SIZE, &s->geom))) {
		s->damaged = true;
		return err;
	}
	/* v1.2, unless only a v1.1 reading finds a valid index block (Linux
	 * probes both label sizes the same way, nd_label_validate) */
	if (!any_index_valid(area, &s->geom)) {
		struct nsl_geom g11;

		const struct nsl_index *x0 = area;
		uint16_t minor0;

		memcpy(&minor0, &x0->minor, sizeof(minor0));
		/* no valid block either way: say what is wrong in block 0's version */
		if (nsl_geometry(size, NSL_LABEL_SIZE_V11, &g11) == 0 &&
		    (any_index_valid(area, &g11) || minor0 == NSL_MINOR_V11))
			s->geom = g11;
	}
	s->current = pick_index(who, area, s);
	if (s->current < 0) {
		s->damaged = !s->blank;
		return s->damaged ? -EINVAL : 0;
	}
	x = (const void *)((const uint8_t *)area + s->current * s->geom.index_size);
	memcpy(&s->seq, &x->seq, sizeof(s->seq));
	memcpy(&s->nslot, &x->nslot, sizeof(s->nslot));
	memcpy(s->free, x->free, DIV_ROUND_UP(s->nslot, 8));
	accept_labels(who, area, d, s);
	return 0;
}

/* ------------------------------------------------------------ updates */

/* Build index block number @i of @s (its nslot, free bitmap) with @seq in
 * @buf (index_size bytes). */
static void build_index(const struct nsl_set *s, unsigned i, uint32_t seq, const uint8_t *free,
			uint8_t *buf)
{
	struct nsl_index *x = (void *)buf;
	const struct nsl_geom *g = &s->geom;
	uint8_t sig[NSL_SIG_LEN] = NSL_INDEX_SIG;
	uint64_t sum;

	memset(buf, 0, g->index_size);
	memcpy(x->sig, sig, NSL_SIG_LEN);
	x->labelsize = is_v11(g) ? NSL_LABELSIZE_LOG_V11 : NSL_LABELSIZE_LOG;
	x->seq = seq;
	x->myoff = (uint64_t)i * g->index_size;
	x->mysize = g->index_size;
	x->otheroff = (uint64_t)(!i) * g->index_size;
	x->labeloff = g->label_off;
	x->nslot = s->nslot;
	x->major = NSL_MAJOR;
	x->minor = is_v11(g) ? NSL_MINOR_V11 : NSL_MINOR;
	memcpy(x->free, free, DIV_ROUND_UP(s->nslot, 8));
	/* bits past nslot in the last byte must be zero */
	if (s->nslot % 8)
		x->free[s->nslot / 8] &= (uint8_t)((1u << (s->nslot % 8)) - 1);
	sum = nsl_fletcher64(buf, g->index_size);
	x->checksum = sum;
}

/* The label of @ns in the format of @g: v1.2 with its GUIDs and checksum,
 * or v1.1 (the first NSL_LABEL_SIZE_V11 bytes, the rest left zero). */
static void build_label(const struct nsl_ns *ns, const struct nsl_dimm *d,
			const struct nsl_geom *g, struct nsl_label *l)
{
	memset(l, 0, sizeof(*l));
	memcpy(l->uuid, ns->uuid, NSL_UUID_LEN);
	memcpy(l->name, ns->name, strnlen(ns->name, NSL_NAME_LEN));
	l->flags = 0;
	l->nlabel = 1;
	l->position = 0;
	l->isetcookie = is_v11(g) ? d->cookie_v11 : d->cookie;
	l->lbasize = ns->lbasize;
	l->dpa = ns->dpa;
	l->rawsize = ns->size;
	l->slot = ns->slot;
	if (is_v11(g))
		return;
	memcpy(l->type_guid, pmem_type_guid, 16);
	memcpy(l->abstraction_guid, nsl_mode_guid(ns->mode), 16);
	l->checksum = nsl_fletcher64(l, sizeof(*l));
}

/* Write the index block that makes @free live: the block that is not the
 * live one (block 0 for a blank area), with the next sequence number. */
static int commit_index(struct nsl_set *s, const uint8_t *free, const struct nsl_store *st)
{
	uint8_t buf[INDEX_BUF];
	unsigned target = s->current < 0 ? 0 : !s->current;
	uint32_t seq = s->current < 0 ? 1 : seq_next(s->seq);
	int err;

	build_index(s, target, seq, free, buf);
	err = st->write(st->ctx, target * s->geom.index_size, buf, s->geom.index_size);
	if (err)
		return err;
	s->current = (int)target;
	s->seq = seq;
	memcpy(s->free, free, DIV_ROUND_UP(s->nslot, 8));
	s->blank = false;
	return 0;
}

/* A blank area gets the full slot count and every slot free. */
static void adopt_blank(struct nsl_set *s)
{
	if (s->current >= 0)
		return;
	s->nslot = s->geom.nslot;
	memset(s->free, 0, sizeof(s->free));
	for (uint32_t i = 0; i < s->nslot; i++)
		bit_set_free(s->free, i, true);
}

static int add_checks(struct nsl_set *s, const struct nsl_dimm *d, const struct nsl_ns *ns)
{
	if (s->damaged)
		return -EINVAL;
	if (is_v11(&s->geom) && ns->mode != NSL_MODE_RAW)
		return -EOPNOTSUPP;	/* a v1.1 label has no abstraction GUID */
	if (ns->size == 0 || (ns->dpa | ns->size) % NSL_DPA_ALIGN || ns->dpa < d->dpa_base ||
	    ns->dpa + ns->size < ns->dpa || ns->dpa + ns->size > d->dpa_base + d->dpa_size)
		return -EINVAL;
	for (unsigned j = 0; j < s->nns; j++) {
		if (!memcmp(s->ns[j].uuid, ns->uuid, NSL_UUID_LEN))
			return -EEXIST;
		if (ns->dpa < s->ns[j].dpa + s->ns[j].size && s->ns[j].dpa < ns->dpa + ns->size)
			return -EBUSY;
	}
	return s->nns < NSL_MAX_NS ? 0 : -ENOSPC;
}

int nsl_add(struct nsl_set *s, const struct nsl_dimm *d, struct nsl_ns *ns,
	    const struct nsl_store *st)
{
	uint8_t free[NSL_FREE_MAX];
	struct nsl_label l;
	uint32_t slot;
	int err;

	if ((err = add_checks(s, d, ns)))
		return err;
	adopt_blank(s);
	for (slot = 0; slot < s->nslot && !bit_free(s->free, slot); slot++)
		;
	if (slot == s->nslot)
		return -ENOSPC;
	ns->slot = slot;
	build_label(ns, d, &s->geom, &l);
	/* 1: the label into a slot the live index calls free */
	err = st->write(st->ctx, s->geom.label_off + slot * s->geom.label_size, &l,
			s->geom.label_size);
	if (err)
		return err;
	/* 2: the commit */
	memcpy(free, s->free, sizeof(free));
	bit_set_free(free, slot, false);
	if ((err = commit_index(s, free, st)))
		return err;
	ns_from_label(&s->ns[s->nns++], &l, slot);
	return 0;
}

int nsl_remove(struct nsl_set *s, unsigned i, const struct nsl_store *st)
{
	uint8_t free[NSL_FREE_MAX];
	int err;

	if (s->damaged || s->current < 0 || i >= s->nns)
		return -EINVAL;
	memcpy(free, s->free, sizeof(free));
	bit_set_free(free, s->ns[i].slot, true);
	if ((err = commit_index(s, free, st)))
		return err;
	memmove(&s->ns[i], &s->ns[i + 1], (s->nns - i - 1) * sizeof(s->ns[0]));
	s->nns--;
	return 0;
}
