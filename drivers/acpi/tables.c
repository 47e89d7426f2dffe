/*
 * tables.c - portable parsers for the ACPI tables Holdfast reads: RSDP,
 * RSDT/XSDT, the generic table header, MADT, FADT, MCFG, and the \_S5_
 * package in the DSDT's AML.
 *
 * Interface: drivers/acpi/tables.h.  Every parser takes (pointer, length),
 * reads nothing beyond the length, checks before it decodes, and reports
 * each problem through a struct acpi_diag naming the table and the value.
 * Multi-byte fields are read with memcpy (tables are not aligned: QEMU's
 * sit at odd addresses) and are little-endian, as on x86.
 *
 * No state and no locks; this file builds into the kernel and into the
 * host tests alike, so it includes only lib/ headers.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/compiler.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>

#include "tables.h"

/* ------------------------------------------------------------ helpers */

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
#define info(d, ...)	report(d, ACPI_MSG_INFO, __VA_ARGS__)

static uint8_t sum8(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static uint32_t get32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A table signature made printable for a message. */
struct sigstr {
	char s[ACPI_SIG_LEN + 1];
};

static struct sigstr sig_name(const void *sig)
{
	const uint8_t *p = sig;
	struct sigstr r;

	for (int i = 0; i < ACPI_SIG_LEN; i++)
		r.s[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	r.s[ACPI_SIG_LEN] = '\0';
	return r;
}

static const char *space_name(uint8_t space)
{
	switch (space) {
	case ACPI_SPACE_MEMORY:
		return "system memory";
	case ACPI_SPACE_IO:
		return "system I/O";
	case ACPI_SPACE_PCI_CONFIG:
		return "PCI configuration";
	default:
		return "other";
	}
}

/* ---------------------------------------------------------------- RSDP */

static int rsdp_check_v2(const struct acpi_rsdp *r, size_t len,
			 const struct acpi_diag *diag)
{
	uint32_t length;
	uint8_t sum;

	if (len < ACPI_RSDP_V2_LEN) {
		error(diag, "RSDP: revision %u needs %u bytes, only %zu given",
		      r->revision, ACPI_RSDP_V2_LEN, len);
		return -EINVAL;
	}
	length = r->length;
	if (length < ACPI_RSDP_V2_LEN || length > len) {
		error(diag, "RSDP: length %u is outside %u..%zu",
		      length, ACPI_RSDP_V2_LEN, len);
		return -EINVAL;
	}
	sum = sum8(r, length);
	if (sum) {
		error(diag, "RSDP: extended checksum over %u bytes is 0x%02x (must be 0)",
		      length, sum);
		return -EBADMSG;
	}
	return 0;
}

int acpi_parse_rsdp(const void *buf, size_t len, struct acpi_rsdp_info *out,
		    const struct acpi_diag *diag)
{
	const struct acpi_rsdp *r = buf;
	uint8_t sum;
	int err;

	if (len < ACPI_RSDP_V1_LEN) {
		error(diag, "RSDP: %zu bytes, need at least %u", len, ACPI_RSDP_V1_LEN);
		return -EINVAL;
	}
	if (memcmp(r->signature, ACPI_RSDP_SIG, ACPI_RSDP_SIG_LEN)) {
		error(diag, "RSDP: signature is not \"" ACPI_RSDP_SIG "\"");
		return -EINVAL;
	}
	sum = sum8(r, ACPI_RSDP_V1_LEN);
	if (sum) {
		error(diag, "RSDP: checksum of the first %u bytes is 0x%02x (must be 0)",
		      ACPI_RSDP_V1_LEN, sum);
		return -EBADMSG;
	}
	memset(out, 0, sizeof(*out));
	out->revision = r->revision;
	memcpy(out->oem_id, r->oem_id, sizeof(r->oem_id));
	out->rsdt_addr = r->rsdt_addr;
	out->length = ACPI_RSDP_V1_LEN;
	if (r->revision >= ACPI_RSDP_REV_V2) {
		err = rsdp_check_v2(r, len, diag);
		if (err)
			return err;
		out->length = r->length;
		out->xsdt_addr = r->xsdt_addr;
	}
	if (!out->rsdt_addr && !out->xsdt_addr) {
		error(diag, "RSDP: revision %u gives neither an RSDT nor an XSDT address",
		      r->revision);
		return -EINVAL;
	}
	return 0;
}

uint64_t acpi_rsdp_root(const struct acpi_rsdp_info *rsdp, bool *is_xsdt)
{
	*is_xsdt = rsdp->revision >= ACPI_RSDP_REV_V2 && rsdp->xsdt_addr;
	return *is_xsdt ? rsdp->xsdt_addr : rsdp->rsdt_addr;
}

/* ---------------------------------------------------------- SDT header */

int acpi_sdt_validate(const void *buf, size_t avail, size_t max_len,
		      const char *sig, const struct acpi_diag *diag)
{
	const struct acpi_sdt_header *h = buf;
	struct sigstr name;
	uint32_t length;
	uint8_t sum;

	if (avail < ACPI_SDT_HEADER_LEN) {
		error(diag, "%s: only %zu bytes, less than the %u-byte table header",
		      sig ? sig : "table", avail, ACPI_SDT_HEADER_LEN);
		return -EINVAL;
	}
	name = sig_name(h->signature);
	if (sig && memcmp(h->signature, sig, ACPI_SIG_LEN)) {
		error(diag, "%s: signature is \"%s\"", sig, name.s);
		return -EINVAL;
	}
	length = h->length;
	if (length < ACPI_SDT_HEADER_LEN) {
		error(diag, "%s: length %u is less than the %u-byte header",
		      name.s, length, ACPI_SDT_HEADER_LEN);
		return -EINVAL;
	}
	if (length > max_len) {
		error(diag, "%s: length %u exceeds the limit %zu", name.s, length, max_len);
		return -EINVAL;
	}
	if (length > avail) {
		error(diag, "%s: length %u runs past the %zu bytes available",
		      name.s, length, avail);
		return -EINVAL;
	}
	sum = sum8(h, length);
	if (sum) {
		error(diag, "%s: checksum over %u bytes is 0x%02x (must be 0)",
		      name.s, length, sum);
		return -EBADMSG;
	}
	return 0;
}

/* Validate @table as a @sig table held in @len bytes (no other limit on
 * its length); its length is then in *@tlen. */
static int sdt_open(const void *table, size_t len, const char *sig,
		    uint32_t *tlen, const struct acpi_diag *diag)
{
	int err = acpi_sdt_validate(table, len, SIZE_MAX, sig, diag);

	if (!err)
		*tlen = ((const struct acpi_sdt_header *)table)->length;
	return err;
}

/* ----------------------------------------------------------- RSDT/XSDT */

int acpi_parse_root(const void *table, size_t len, uint64_t *addrs,
		    unsigned max, unsigned *count, const struct acpi_diag *diag)
{
	const uint8_t *p = table;
	uint32_t tlen, esize;
	const char *sig;
	int err;

	*count = 0;
	if (len >= ACPI_SIG_LEN && !memcmp(p, ACPI_SIG_XSDT, ACPI_SIG_LEN)) {
		sig = ACPI_SIG_XSDT;
		esize = ACPI_XSDT_ENTRY_LEN;
	} else {
		sig = ACPI_SIG_RSDT;
		esize = ACPI_RSDT_ENTRY_LEN;
	}
	err = sdt_open(table, len, sig, &tlen, diag);
	if (err)
		return err;
	if ((tlen - ACPI_SDT_HEADER_LEN) % esize) {
		error(diag, "%s: length %u leaves a partial %u-byte entry at offset 0x%x",
		      sig, tlen, esize,
		      tlen - (tlen - ACPI_SDT_HEADER_LEN) % esize);
		return -EINVAL;
	}
	for (uint32_t off = ACPI_SDT_HEADER_LEN; off < tlen; off += esize) {
		uint64_t pa = esize == ACPI_XSDT_ENTRY_LEN ? get64(p + off) : get32(p + off);

		if (!pa) {
			warn(diag, "%s: entry at offset 0x%x is a null address, skipped", sig, off);
		} else if (*count >= max) {
			warn(diag, "%s: more than %u tables, entry at offset 0x%x (0x%llx) dropped",
			     sig, max, off, (unsigned long long)pa);
		} else {
			addrs[(*count)++] = pa;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- MADT */

/* Room left in a bounded array; reports and counts a drop when full. */
static bool madt_room(struct acpi_madt_info *m, unsigned n, unsigned max,
		      const char *what, size_t off, const struct acpi_diag *diag)
{
	if (n < max)
		return true;
	warn(diag, "MADT: more than %u %s, entry at offset 0x%zx dropped", max, what, off);
	m->dropped++;
	return false;
}

/* Every handler first checks that the entry holds its structure. */
static bool madt_fits(const struct acpi_madt_entry *e, size_t need, const char *what,
		      size_t off, const struct acpi_diag *diag)
{
	if (e->length >= need)
		return true;
	error(diag, "MADT: %s entry at offset 0x%zx has length %u (must be >= %zu)",
	      what, off, e->length, need);
	return false;
}

static int madt_add_cpu(struct acpi_madt_info *m, uint32_t apic_id, uint32_t uid,
			uint32_t flags, bool x2apic, size_t off,
			const struct acpi_diag *diag)
{
	struct acpi_cpu *c;

	if (!(flags & (ACPI_MADT_CPU_ENABLED | ACPI_MADT_CPU_ONLINE_CAPABLE))) {
		m->unusable_cpus++;
		return 0;
	}
	if (!madt_room(m, m->ncpus, ACPI_MAX_CPUS, "CPUs", off, diag))
		return 0;
	c = &m->cpus[m->ncpus++];
	c->apic_id = apic_id;
	c->uid = uid;
	c->enabled = flags & ACPI_MADT_CPU_ENABLED;
	c->online_capable = !c->enabled && (flags & ACPI_MADT_CPU_ONLINE_CAPABLE);
	c->x2apic = x2apic;
	return 0;
}

static int madt_lapic(struct acpi_madt_info *m, const void *p, size_t off,
		      const struct acpi_diag *diag)
{
	const struct acpi_madt_lapic *e = p;

	if (!madt_fits(&e->h, sizeof(*e), "local APIC", off, diag))
		return -EINVAL;
	if (e->apic_id == ACPI_LAPIC_ID_INVALID) {
		warn(diag, "MADT: local APIC entry at offset 0x%zx has APIC ID 0xff, skipped", off);
		return 0;
	}
	return madt_add_cpu(m, e->apic_id, e->uid, e->flags, false, off, diag);
}

static int madt_x2apic(struct acpi_madt_info *m, const void *p, size_t off,
		       const struct acpi_diag *diag)
{
	const struct acpi_madt_x2apic *e = p;

	if (!madt_fits(&e->h, sizeof(*e), "local x2APIC", off, diag))
		return -EINVAL;
	return madt_add_cpu(m, e->x2apic_id, e->uid, e->flags, true, off, diag);
}

static int madt_ioapic(struct acpi_madt_info *m, const void *p, size_t off,
		       const struct acpi_diag *diag)
{
	const struct acpi_madt_ioapic *e = p;
	struct acpi_ioapic *io;

	if (!madt_fits(&e->h, sizeof(*e), "I/O APIC", off, diag))
		return -EINVAL;
	if (!madt_room(m, m->nioapics, ACPI_MAX_IOAPICS, "I/O APICs", off, diag))
		return 0;
	io = &m->ioapics[m->nioapics++];
	io->id = e->id;
	io->addr = e->addr;
	io->gsi_base = e->gsi_base;
	return 0;
}

static int madt_irq_override(struct acpi_madt_info *m, const void *p, size_t off,
			     const struct acpi_diag *diag)
{
	const struct acpi_madt_irq_override *e = p;
	struct acpi_irq_override *o;

	if (!madt_fits(&e->h, sizeof(*e), "interrupt source override", off, diag))
		return -EINVAL;
	if (!madt_room(m, m->noverrides, ACPI_MAX_OVERRIDES, "interrupt overrides", off, diag))
		return 0;
	o = &m->overrides[m->noverrides++];
	o->bus = e->bus;
	o->source = e->source;
	o->gsi = e->gsi;
	o->flags = e->flags;
	return 0;
}

static int madt_nmi_source(struct acpi_madt_info *m, const void *p, size_t off,
			   const struct acpi_diag *diag)
{
	const struct acpi_madt_nmi_source *e = p;
	struct acpi_nmi_source *n;

	if (!madt_fits(&e->h, sizeof(*e), "NMI source", off, diag))
		return -EINVAL;
	if (!madt_room(m, m->nnmi_sources, ACPI_MAX_NMI_SOURCES, "NMI sources", off, diag))
		return 0;
	n = &m->nmi_sources[m->nnmi_sources++];
	n->gsi = e->gsi;
	n->flags = e->flags;
	return 0;
}

static void madt_add_lapic_nmi(struct acpi_madt_info *m, uint32_t uid, uint16_t flags,
			       uint8_t lint, size_t off, const struct acpi_diag *diag)
{
	struct acpi_lapic_nmi *n;

	if (!madt_room(m, m->nlapic_nmis, ACPI_MAX_LAPIC_NMIS, "local APIC NMIs", off, diag))
		return;
	n = &m->lapic_nmis[m->nlapic_nmis++];
	n->uid = uid;
	n->flags = flags;
	n->lint = lint;
}

static int madt_lapic_nmi(struct acpi_madt_info *m, const void *p, size_t off,
			  const struct acpi_diag *diag)
{
	const struct acpi_madt_lapic_nmi *e = p;

	if (!madt_fits(&e->h, sizeof(*e), "local APIC NMI", off, diag))
		return -EINVAL;
	madt_add_lapic_nmi(m, e->uid == ACPI_LAPIC_NMI_ALL ? ACPI_UID_ALL_CPUS : e->uid,
			   e->flags, e->lint, off, diag);
	return 0;
}

static int madt_x2apic_nmi(struct acpi_madt_info *m, const void *p, size_t off,
			   const struct acpi_diag *diag)
{
	const struct acpi_madt_x2apic_nmi *e = p;

	if (!madt_fits(&e->h, sizeof(*e), "local x2APIC NMI", off, diag))
		return -EINVAL;
	madt_add_lapic_nmi(m, e->uid, e->flags, e->lint, off, diag);
	return 0;
}

static int madt_lapic_override(struct acpi_madt_info *m, const void *p, size_t off,
			       const struct acpi_diag *diag)
{
	const struct acpi_madt_lapic_override *e = p;

	if (!madt_fits(&e->h, sizeof(*e), "local APIC address override", off, diag))
		return -EINVAL;
	m->lapic_addr = e->addr;
	return 0;
}

typedef int (*madt_handler_fn)(struct acpi_madt_info *m, const void *entry,
			       size_t off, const struct acpi_diag *diag);

static const madt_handler_fn madt_handlers[] = {
	[ACPI_MADT_LAPIC] = madt_lapic,
	[ACPI_MADT_IOAPIC] = madt_ioapic,
	[ACPI_MADT_IRQ_OVERRIDE] = madt_irq_override,
	[ACPI_MADT_NMI_SOURCE] = madt_nmi_source,
	[ACPI_MADT_LAPIC_NMI] = madt_lapic_nmi,
	[ACPI_MADT_LAPIC_OVERRIDE] = madt_lapic_override,
	[ACPI_MADT_X2APIC] = madt_x2apic,
	[ACPI_MADT_X2APIC_NMI] = madt_x2apic_nmi,
};

/* Check the entry header at @off (type and length within the table),
 * then hand the entry to its handler or skip it.  *@elen gets its length. */
static int madt_entry(struct acpi_madt_info *m, const uint8_t *p, size_t off,
		      size_t tlen, size_t *elen, const struct acpi_diag *diag)
{
	const struct acpi_madt_entry *e = (const void *)(p + off);
	size_t left = tlen - off;

	if (left < sizeof(*e)) {
		error(diag, "MADT: entry at offset 0x%zx: %zu byte left, need %zu for type and length",
		      off, left, sizeof(*e));
		return -EINVAL;
	}
	if (e->length < sizeof(*e)) {
		error(diag, "MADT: entry at offset 0x%zx has length %u (must be >= %zu)",
		      off, e->length, sizeof(*e));
		return -EINVAL;
	}
	if (e->length > left) {
		error(diag, "MADT: entry at offset 0x%zx (type %u, length %u) runs past the table end (%zu bytes left)",
		      off, e->type, e->length, left);
		return -EINVAL;
	}
	*elen = e->length;
	if (e->type >= ARRAY_SIZE(madt_handlers) || !madt_handlers[e->type]) {
		info(diag, "MADT: unknown entry type %u at offset 0x%zx (length %u), skipped",
		     e->type, off, e->length);
		m->unknown++;
		return 0;
	}
	return madt_handlers[e->type](m, e, off, diag);
}

int acpi_parse_madt(const void *table, size_t len, struct acpi_madt_info *out,
		    const struct acpi_diag *diag)
{
	const struct acpi_table_madt *t = table;
	uint32_t tlen;
	size_t elen;
	int err;

	err = sdt_open(table, len, ACPI_SIG_MADT, &tlen, diag);
	if (err)
		return err;
	if (tlen < sizeof(*t)) {
		error(diag, "MADT: length %u is less than the %zu-byte MADT header",
		      tlen, sizeof(*t));
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	out->revision = t->header.revision;
	out->lapic_addr = t->lapic_addr;
	out->flags = t->flags;
	out->pcat_compat = out->flags & ACPI_MADT_PCAT_COMPAT;
	for (size_t off = sizeof(*t); off < tlen; off += elen) {
		err = madt_entry(out, table, off, tlen, &elen, diag);
		if (err)
			return err;
	}
	return 0;
}

/* ---------------------------------------------------------------- FADT */

/* Is @field wholly inside a FADT of @len bytes? */
#define FADT_HAS(len, field) \
	((len) >= offsetof(struct acpi_table_fadt, field) + \
		  sizeof(((struct acpi_table_fadt *)0)->field))

/* A register from its X_ generic address when that is present and
 * nonzero, else from the legacy 32-bit port and its length in bytes. */
static struct acpi_reg fadt_reg(const struct acpi_table_gas *x, bool has_x,
				uint32_t legacy, uint8_t legacy_len)
{
	struct acpi_reg r = { 0 };

	if (has_x && x->address) {
		r.space = x->space_id;
		r.bit_width = x->bit_width;
		r.bit_offset = x->bit_offset;
		r.access_size = x->access_size;
		r.addr = x->address;
	} else if (legacy) {
		r.space = ACPI_SPACE_IO;
		r.bit_width = legacy_len * 8;
		r.addr = legacy;
	}
	return r;
}

#define FADT_REG(f, len, name, len_field) \
	fadt_reg(&(f)->x_##name, FADT_HAS(len, x_##name), \
		 FADT_HAS(len, name) ? (f)->name : 0, (f)->len_field)

static void fadt_check_pm1(const struct acpi_reg *r, const char *name,
			   const struct acpi_diag *diag)
{
	if (!r->addr)
		return;
	if (r->space != ACPI_SPACE_IO)
		warn(diag, "FADT: %s is in address space %u (%s); only system I/O is supported",
		     name, r->space, space_name(r->space));
	else if (r->addr > UINT16_MAX)
		warn(diag, "FADT: %s port 0x%llx is above 0xffff", name,
		     (unsigned long long)r->addr);
}

static uint64_t fadt_pick(uint64_t x, uint32_t legacy, const char *name,
			  const struct acpi_diag *diag)
{
	if (!x)
		return legacy;
	if (legacy && legacy != x)
		warn(diag, "FADT: %s 0x%x and X_%s 0x%llx differ, using X_%s",
		     name, legacy, name, (unsigned long long)x, name);
	return x;
}

/* The reset register is usable when the flag says so, the table holds
 * RESET_VALUE, and the register is 8 bits at offset 0 in I/O space. */
static void fadt_reset(const struct acpi_table_fadt *f, uint32_t len,
		       struct acpi_fadt_info *out, const struct acpi_diag *diag)
{
	if (!(out->flags & ACPI_FADT_RESET_REG_SUP))
		return;
	if (!FADT_HAS(len, reset_value)) {
		warn(diag, "FADT: RESET_REG_SUP is set but length %u holds no RESET_REG/RESET_VALUE",
		     len);
		return;
	}
	out->reset_reg = fadt_reg(&f->reset_reg, true, 0, 0);
	out->reset_value = f->reset_value;
	if (!out->reset_reg.addr) {
		warn(diag, "FADT: RESET_REG_SUP is set but RESET_REG address is 0");
	} else if (out->reset_reg.bit_width != ACPI_RESET_REG_WIDTH ||
		   out->reset_reg.bit_offset) {
		warn(diag, "FADT: RESET_REG is %u bits at bit offset %u (must be 8 at 0)",
		     out->reset_reg.bit_width, out->reset_reg.bit_offset);
	} else if (out->reset_reg.space != ACPI_SPACE_IO) {
		warn(diag, "FADT: RESET_REG is in address space %u (%s); only system I/O is supported",
		     out->reset_reg.space, space_name(out->reset_reg.space));
	} else {
		out->reset_supported = true;
	}
}

static void fadt_pm(const struct acpi_table_fadt *f, uint32_t len,
		    struct acpi_fadt_info *out, const struct acpi_diag *diag)
{
	out->pm1_evt_len = f->pm1_evt_len;
	out->pm1_cnt_len = f->pm1_cnt_len;
	out->pm_tmr_len = f->pm_tmr_len;
	out->pm1a_evt = FADT_REG(f, len, pm1a_evt_blk, pm1_evt_len);
	out->pm1b_evt = FADT_REG(f, len, pm1b_evt_blk, pm1_evt_len);
	out->pm1a_cnt = FADT_REG(f, len, pm1a_cnt_blk, pm1_cnt_len);
	out->pm1b_cnt = FADT_REG(f, len, pm1b_cnt_blk, pm1_cnt_len);
	out->pm_tmr = FADT_REG(f, len, pm_tmr_blk, pm_tmr_len);
	if (!out->pm1a_cnt.addr && !out->hw_reduced)
		warn(diag, "FADT: no PM1a control block");
	fadt_check_pm1(&out->pm1a_cnt, "PM1a_CNT_BLK", diag);
	fadt_check_pm1(&out->pm1b_cnt, "PM1b_CNT_BLK", diag);
}

int acpi_parse_fadt(const void *table, size_t len, struct acpi_fadt_info *out,
		    const struct acpi_diag *diag)
{
	struct acpi_table_fadt f;
	uint32_t tlen;
	int err;

	err = sdt_open(table, len, ACPI_SIG_FADT, &tlen, diag);
	if (err)
		return err;
	if (tlen < ACPI_FADT_V1_LEN)
		warn(diag, "FADT: length %u is shorter than an ACPI 1.0 FADT (%u); missing fields read as 0",
		     tlen, ACPI_FADT_V1_LEN);
	/* Work on a zero-filled copy: absent fields read as 0. */
	memset(&f, 0, sizeof(f));
	memcpy(&f, table, MIN((size_t)tlen, sizeof(f)));

	memset(out, 0, sizeof(*out));
	out->revision = f.header.revision;
	out->length = tlen;
	out->flags = FADT_HAS(tlen, flags) ? f.flags : 0;
	out->hw_reduced = out->flags & ACPI_FADT_HW_REDUCED_ACPI;
	out->dsdt = fadt_pick(FADT_HAS(tlen, x_dsdt) ? f.x_dsdt : 0,
			      FADT_HAS(tlen, dsdt) ? f.dsdt : 0, "DSDT", diag);
	out->facs = fadt_pick(FADT_HAS(tlen, x_firmware_ctrl) ? f.x_firmware_ctrl : 0,
			      FADT_HAS(tlen, firmware_ctrl) ? f.firmware_ctrl : 0,
			      "FIRMWARE_CTRL", diag);
	if (!out->dsdt)
		warn(diag, "FADT: no DSDT address");
	out->sci_irq = FADT_HAS(tlen, sci_int) ? f.sci_int : 0;
	out->smi_cmd = FADT_HAS(tlen, smi_cmd) ? f.smi_cmd : 0;
	out->acpi_enable = f.acpi_enable;
	out->acpi_disable = f.acpi_disable;
	out->century = f.century;
	out->boot_arch = FADT_HAS(tlen, iapc_boot_arch) ? f.iapc_boot_arch : 0;
	fadt_pm(&f, tlen, out, diag);
	fadt_reset(&f, tlen, out, diag);
	return 0;
}

/* ---------------------------------------------------------------- MCFG */

int acpi_parse_mcfg(const void *table, size_t len, struct acpi_mcfg_info *out,
		    const struct acpi_diag *diag)
{
	const uint8_t *p = table;
	const size_t hdr = sizeof(struct acpi_table_mcfg);
	const size_t esize = sizeof(struct acpi_mcfg_entry);
	uint32_t tlen;
	int err;

	err = sdt_open(table, len, ACPI_SIG_MCFG, &tlen, diag);
	if (err)
		return err;
	if (tlen < hdr) {
		error(diag, "MCFG: length %u is less than the %zu-byte MCFG header", tlen, hdr);
		return -EINVAL;
	}
	if ((tlen - hdr) % esize) {
		error(diag, "MCFG: length %u leaves a partial %zu-byte allocation at offset 0x%zx",
		      tlen, esize, tlen - (tlen - hdr) % esize);
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	for (size_t off = hdr; off < tlen; off += esize) {
		struct acpi_mcfg_entry e;

		memcpy(&e, p + off, esize);
		if (e.start_bus > e.end_bus) {
			error(diag, "MCFG: allocation at offset 0x%zx has start bus %u > end bus %u",
			      off, e.start_bus, e.end_bus);
			return -EINVAL;
		}
		if (out->n >= ACPI_MAX_MCFG) {
			warn(diag, "MCFG: more than %u allocations, entry at offset 0x%zx dropped",
			     ACPI_MAX_MCFG, off);
			out->dropped++;
			continue;
		}
		out->alloc[out->n++] = (struct acpi_mcfg_alloc){
			.base = e.base, .segment = e.segment,
			.start_bus = e.start_bus, .end_bus = e.end_bus,
		};
	}
	return 0;
}

/* ---------------------------------------------------------- AML \_S5_ */

/*
 * Decode a PkgLength at aml[*pos] (20.2.4).  On success *pos is past the
 * encoding and *end is the offset where the package ends, checked to lie
 * within @len.
 */
static int aml_pkglength(const uint8_t *aml, size_t len, size_t *pos, size_t *end,
			 const struct acpi_diag *diag)
{
	size_t start = *pos;
	uint8_t lead;
	unsigned follow;
	uint32_t value;

	if (start >= len) {
		error(diag, "DSDT: _S5_ package length at offset 0x%zx is past the end", start);
		return -EINVAL;
	}
	lead = aml[start];
	follow = lead >> AML_PKGLEN_COUNT_SHIFT;
	if (!follow) {
		value = lead & AML_PKGLEN_SHORT_MASK;
	} else {
		if (lead & AML_PKGLEN_RESERVED) {
			error(diag, "DSDT: _S5_ PkgLength lead byte 0x%02x at offset 0x%zx has reserved bits 5-4 set",
			      lead, start);
			return -EINVAL;
		}
		if (len - start <= follow) {
			error(diag, "DSDT: _S5_ PkgLength at offset 0x%zx needs %u more bytes, past the end",
			      start, follow);
			return -EINVAL;
		}
		value = lead & AML_PKGLEN_NIBBLE_MASK;
		for (unsigned i = 0; i < follow; i++)
			value |= (uint32_t)aml[start + 1 + i] <<
				 (AML_PKGLEN_NIBBLE_BITS + CHAR_BIT * i);
	}
	*pos = start + 1 + follow;
	if (value < 1 + follow || value > len - start) {
		error(diag, "DSDT: _S5_ package length %u at offset 0x%zx does not fit (%zu bytes left)",
		      value, start, len - start);
		return -EINVAL;
	}
	*end = start + value;
	return 0;
}

/* Size of the data after an integer prefix, 0 for a one-byte constant,
 * -1 for anything that is not an integer constant. */
static int aml_int_size(uint8_t op)
{
	switch (op) {
	case AML_ZERO_OP:
	case AML_ONE_OP:
	case AML_ONES_OP:
		return 0;
	case AML_BYTE_PREFIX:
		return 1;
	case AML_WORD_PREFIX:
		return 2;
	case AML_DWORD_PREFIX:
		return 4;
	case AML_QWORD_PREFIX:
		return 8;
	default:
		return -1;
	}
}

/* Decode the integer constant at aml[*pos], which must end by @end. */
static int aml_integer(const uint8_t *aml, size_t *pos, size_t end, uint64_t *val,
		       const struct acpi_diag *diag)
{
	size_t at = *pos;
	uint8_t op;
	int size;

	if (at >= end) {
		error(diag, "DSDT: _S5_ package ends at offset 0x%zx before its element", end);
		return -EINVAL;
	}
	op = aml[at];
	size = aml_int_size(op);
	if (size < 0) {
		error(diag, "DSDT: _S5_ element at offset 0x%zx starts with opcode 0x%02x, not an integer constant",
		      at, op);
		return -EINVAL;
	}
	if ((size_t)size >= end - at) {
		error(diag, "DSDT: _S5_ integer at offset 0x%zx runs past the package end 0x%zx",
		      at, end);
		return -EINVAL;
	}
	*val = op == AML_ONES_OP ? UINT64_MAX : op == AML_ONE_OP ? 1 : 0;
	for (int i = 0; i < size; i++)
		*val |= (uint64_t)aml[at + 1 + i] << (8 * i);
	*pos = at + 1 + size;
	return 0;
}

static int aml_slp_typ(const uint8_t *aml, size_t *pos, size_t end, const char *name,
		       uint8_t *out, const struct acpi_diag *diag)
{
	uint64_t v;
	int err = aml_integer(aml, pos, end, &v, diag);

	if (err)
		return err;
	if (v > ACPI_SLP_TYP_MAX) {
		error(diag, "DSDT: _S5_ %s is 0x%llx, more than the 3-bit field holds",
		      name, (unsigned long long)v);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

/* Decode the Package whose PackageOp is at aml[pos]. */
static int aml_s5_package(const uint8_t *aml, size_t len, size_t pos,
			  struct acpi_sleep_type *out, const struct acpi_diag *diag)
{
	size_t end;
	uint8_t count;
	int err;

	pos++;				/* PackageOp */
	err = aml_pkglength(aml, len, &pos, &end, diag);
	if (err)
		return err;
	if (pos >= end) {
		error(diag, "DSDT: _S5_ package at offset 0x%zx has no element count", pos);
		return -EINVAL;
	}
	count = aml[pos++];		/* NumElements */
	if (count < 2) {
		error(diag, "DSDT: _S5_ package has %u element(s), need SLP_TYPa and SLP_TYPb",
		      count);
		return -EINVAL;
	}
	err = aml_slp_typ(aml, &pos, end, "SLP_TYPa", &out->slp_typa, diag);
	if (err)
		return err;
	return aml_slp_typ(aml, &pos, end, "SLP_TYPb", &out->slp_typb, diag);
}

/* Is there a NameOp (optionally then '\') right before the NameSeg at @at? */
static bool aml_name_op_before(const uint8_t *aml, size_t at)
{
	if (at >= 1 && aml[at - 1] == AML_NAME_OP)
		return true;
	return at >= 2 && aml[at - 1] == AML_ROOT_CHAR && aml[at - 2] == AML_NAME_OP;
}

int acpi_aml_find_s5(const uint8_t *aml, size_t len, struct acpi_sleep_type *out,
		     const struct acpi_diag *diag)
{
	for (size_t at = 1; at + AML_NAMESEG_LEN < len; at++) {
		size_t op = at + AML_NAMESEG_LEN;

		if (memcmp(aml + at, AML_S5_NAME, AML_NAMESEG_LEN) ||
		    !aml_name_op_before(aml, at) || aml[op] != AML_PACKAGE_OP)
			continue;
		return aml_s5_package(aml, len, op, out, diag);
	}
	error(diag, "DSDT: no \\_S5_ package (Name(_S5_, Package(){...}))");
	return -ENOENT;
}

int acpi_parse_s5(const void *dsdt, size_t len, struct acpi_sleep_type *out,
		  const struct acpi_diag *diag)
{
	uint32_t tlen;
	int err;

	err = sdt_open(dsdt, len, ACPI_SIG_DSDT, &tlen, diag);
	if (err)
		return err;
	return acpi_aml_find_s5((const uint8_t *)dsdt + ACPI_SDT_HEADER_LEN,
				tlen - ACPI_SDT_HEADER_LEN, out, diag);
}
