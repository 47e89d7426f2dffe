/*
 * dmar.c - the ACPI DMAR table's parser (VT-d specification, chapter 8):
 * plain C, no state, host-tested (tests/host/test_dmar.c).
 *
 * Every structure's length is checked against the table's before a byte of
 * it is read, every device scope's against its structure's; values a field
 * cannot hold (an unaligned or zero register base, an RMRR whose limit is
 * below its base, a scope with no path) are refused, naming the structure
 * by its offset in the table.  See include/drivers/dmar.h.
 */
#include <drivers/acpi.h>
#include <drivers/dmar.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>

#define DMAR_HDR_LEN		48	/* SDT header + HAW + flags + 10 reserved */
#define DMAR_HAW_OFF		36
#define DMAR_FLAGS_OFF		37
#define STRUCT_HDR_LEN		4	/* type (2), length (2) */
#define DRHD_LEN		16	/* without its device scopes */
#define RMRR_LEN		24
#define SCOPE_HDR_LEN		6	/* type, length, reserved (2), enum id, bus */
#define PAGE_4K			4096ULL

static void __printf(3, 4) report(const struct acpi_diag *diag,
				  enum acpi_msg_level level, const char *fmt, ...)
{
	char msg[ACPI_MSG_MAX];
	va_list ap;

	if (!diag || !diag->report)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag->report(diag->ctx, level, msg);
}

#define error(d, ...)	report(d, ACPI_MSG_ERROR, __VA_ARGS__)
#define warn(d, ...)	report(d, ACPI_MSG_WARN, __VA_ARGS__)

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static const char *type_name(uint16_t type)
{
	static const char *const names[] = {
		[DMAR_TYPE_DRHD] = "DRHD", [DMAR_TYPE_RMRR] = "RMRR",
		[DMAR_TYPE_ATSR] = "ATSR", [DMAR_TYPE_RHSA] = "RHSA",
		[DMAR_TYPE_ANDD] = "ANDD", [DMAR_TYPE_SATC] = "SATC",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "structure";
}

/*
 * The device scopes in [@p + @off, @p + @end) of the structure @what at
 * table offset @at, into @scopes (up to DMAR_MAX_SCOPES; *@n gets how many).
 */
static int parse_scopes(const uint8_t *p, size_t off, size_t end, const char *what,
			size_t at, struct dmar_scope *scopes, unsigned *n,
			const struct acpi_diag *diag)
{
	*n = 0;
	while (off < end) {
		struct dmar_scope *s;
		uint8_t type, len;

		if (end - off < SCOPE_HDR_LEN) {
			error(diag, "DMAR: %s at 0x%zx: %zu bytes left for a device scope at 0x%zx (at least %u needed)",
			      what, at, end - off, off, SCOPE_HDR_LEN);
			return -EINVAL;
		}
		type = p[off];
		len = p[off + 1];
		if (len < SCOPE_HDR_LEN + 2 || (len - SCOPE_HDR_LEN) % 2 || len > end - off) {
			error(diag, "DMAR: %s at 0x%zx: device scope at 0x%zx has length %u (must be 6 + 2n with n >= 1, within the %zu bytes left)",
			      what, at, off, len, end - off);
			return -EINVAL;
		}
		if (type < DMAR_SCOPE_PCI_ENDPOINT || type > DMAR_SCOPE_ACPI) {
			warn(diag, "DMAR: %s at 0x%zx: device scope at 0x%zx of unknown type %u, skipped",
			     what, at, off, type);
			off += len;
			continue;
		}
		if ((len - SCOPE_HDR_LEN) / 2 > DMAR_MAX_PATH) {
			error(diag, "DMAR: %s at 0x%zx: device scope at 0x%zx has a path of %u hops (Holdfast keeps %u)",
			      what, at, off, (len - SCOPE_HDR_LEN) / 2, DMAR_MAX_PATH);
			return -E2BIG;
		}
		if (*n >= DMAR_MAX_SCOPES) {
			error(diag, "DMAR: %s at 0x%zx: more than %u device scopes",
			      what, at, DMAR_MAX_SCOPES);
			return -E2BIG;
		}
		s = &scopes[(*n)++];
		memset(s, 0, sizeof(*s));
		s->type = type;
		s->enum_id = p[off + 4];
		s->start_bus = p[off + 5];
		s->npath = (uint8_t)((len - SCOPE_HDR_LEN) / 2);
		for (unsigned i = 0; i < s->npath; i++) {
			uint8_t dev = p[off + SCOPE_HDR_LEN + 2 * i];
			uint8_t fn = p[off + SCOPE_HDR_LEN + 2 * i + 1];

			if (dev > 31 || fn > 7) {
				error(diag, "DMAR: %s at 0x%zx: device scope at 0x%zx names device %u function %u (at most 31 and 7)",
				      what, at, off, dev, fn);
				return -ERANGE;
			}
			s->path[i].dev = dev;
			s->path[i].fn = fn;
		}
		off += len;
	}
	return 0;
}

static int parse_drhd(const uint8_t *p, size_t at, size_t len, struct dmar_info *out,
		      const struct acpi_diag *diag)
{
	struct dmar_unit *u;
	uint64_t base;

	if (len < DRHD_LEN) {
		error(diag, "DMAR: DRHD at 0x%zx has length %zu (at least %u)", at, len, DRHD_LEN);
		return -EINVAL;
	}
	if (out->nunits >= DMAR_MAX_UNITS) {
		error(diag, "DMAR: more than %u DRHDs (the one at 0x%zx)", DMAR_MAX_UNITS, at);
		return -E2BIG;
	}
	base = get64(p + at + 8);
	if (base == 0 || base % PAGE_4K) {
		error(diag, "DMAR: DRHD at 0x%zx has register base 0x%llx (must be non-zero and 4 KiB aligned)",
		      at, (unsigned long long)base);
		return -ERANGE;
	}
	if (out->haw_bits < 64 && base >> out->haw_bits) {
		error(diag, "DMAR: DRHD at 0x%zx has register base 0x%llx beyond the %u-bit host address width",
		      at, (unsigned long long)base, out->haw_bits);
		return -ERANGE;
	}
	u = &out->units[out->nunits];
	memset(u, 0, sizeof(*u));
	u->include_all = p[at + 4] & 1;
	u->size_pages_log2 = p[at + 5] & 0xf;
	u->segment = get16(p + at + 6);
	u->base = base;
	int err = parse_scopes(p, at + DRHD_LEN, at + len, "DRHD", at, u->scopes, &u->nscopes, diag);
	if (err)
		return err;
	out->nunits++;
	return 0;
}

static int parse_rmrr(const uint8_t *p, size_t at, size_t len, struct dmar_info *out,
		      const struct acpi_diag *diag)
{
	struct dmar_rmrr *r;
	uint64_t base, limit;

	if (len < RMRR_LEN) {
		error(diag, "DMAR: RMRR at 0x%zx has length %zu (at least %u)", at, len, RMRR_LEN);
		return -EINVAL;
	}
	if (out->nrmrrs >= DMAR_MAX_RMRRS) {
		error(diag, "DMAR: more than %u RMRRs (the one at 0x%zx)", DMAR_MAX_RMRRS, at);
		return -E2BIG;
	}
	base = get64(p + at + 8);
	limit = get64(p + at + 16);
	if (base % PAGE_4K || limit < base || (limit + 1) % PAGE_4K) {
		error(diag, "DMAR: RMRR at 0x%zx covers 0x%llx..0x%llx (must be whole 4 KiB pages, limit >= base)",
		      at, (unsigned long long)base, (unsigned long long)limit);
		return -ERANGE;
	}
	r = &out->rmrrs[out->nrmrrs];
	memset(r, 0, sizeof(*r));
	r->segment = get16(p + at + 6);
	r->base = base;
	r->limit = limit;
	int err = parse_scopes(p, at + RMRR_LEN, at + len, "RMRR", at, r->scopes, &r->nscopes, diag);
	if (err)
		return err;
	if (r->nscopes == 0) {
		error(diag, "DMAR: RMRR at 0x%zx names no device", at);
		return -EINVAL;
	}
	out->nrmrrs++;
	return 0;
}

int dmar_parse(const void *table, size_t len, struct dmar_info *out,
	       const struct acpi_diag *diag)
{
	const uint8_t *p = table;
	uint32_t tlen;
	size_t off;
	int err;

	memset(out, 0, sizeof(*out));
	err = acpi_sdt_validate(table, len, SIZE_MAX, "DMAR", diag);
	if (err)
		return err;
	tlen = ((const struct acpi_sdt_header *)table)->length;
	if (tlen < DMAR_HDR_LEN) {
		error(diag, "DMAR: length %u is shorter than its %u-byte header", tlen, DMAR_HDR_LEN);
		return -EINVAL;
	}
	out->haw_bits = p[DMAR_HAW_OFF] + 1u;
	out->flags = p[DMAR_FLAGS_OFF];
	if (out->haw_bits < 32 || out->haw_bits > 64) {
		error(diag, "DMAR: host address width %u bits (field %u) is not between 32 and 64",
		      out->haw_bits, p[DMAR_HAW_OFF]);
		return -ERANGE;
	}
	for (off = DMAR_HDR_LEN; off < tlen;) {
		uint16_t type, slen;

		if (tlen - off < STRUCT_HDR_LEN) {
			error(diag, "DMAR: %zu bytes left at 0x%zx for a remapping structure (at least %u)",
			      (size_t)tlen - off, off, STRUCT_HDR_LEN);
			return -EINVAL;
		}
		type = get16(p + off);
		slen = get16(p + off + 2);
		if (slen < STRUCT_HDR_LEN || slen > tlen - off) {
			error(diag, "DMAR: %s at 0x%zx has length %u (the table has %zu bytes left)",
			      type_name(type), off, slen, (size_t)tlen - off);
			return -EINVAL;
		}
		switch (type) {
		case DMAR_TYPE_DRHD:
			err = parse_drhd(p, off, slen, out, diag);
			break;
		case DMAR_TYPE_RMRR:
			err = parse_rmrr(p, off, slen, out, diag);
			break;
		default:
			out->nskipped++;
			err = 0;
			break;
		}
		if (err)
			return err;
		off += slen;
	}
	if (out->nunits == 0) {
		error(diag, "DMAR: no DRHD (no remapping hardware described)");
		return -ENOENT;
	}
	return 0;
}

bool dmar_scope_matches(const struct dmar_scope *s, uint8_t bus, uint8_t dev, uint8_t fn,
			int (*bridge_bus)(uint8_t bus, uint8_t dev, uint8_t fn, void *ctx),
			void *ctx)
{
	unsigned b = s->start_bus;

	if (s->type != DMAR_SCOPE_PCI_ENDPOINT && s->type != DMAR_SCOPE_PCI_SUBHIER)
		return false;
	/* Walk the bridges of the path to the bus its last hop sits on. */
	for (unsigned i = 0; i + 1 < s->npath; i++) {
		int next;

		if (!bridge_bus)
			return false;
		next = bridge_bus((uint8_t)b, s->path[i].dev, s->path[i].fn, ctx);
		if (next < 0 || next > 255)
			return false;
		b = (unsigned)next;
	}
	const unsigned last = s->npath - 1u;
	if (b == bus && s->path[last].dev == dev && s->path[last].fn == fn)
		return true;
	if (s->type == DMAR_SCOPE_PCI_SUBHIER && bridge_bus) {
		/* Under the bridge: the device's bus chain reaches it.  Only
		 * the bridge's own secondary bus is decided here. */
		int sec = bridge_bus((uint8_t)b, s->path[last].dev, s->path[last].fn, ctx);
		return sec >= 0 && (unsigned)sec == bus;
	}
	return false;
}
