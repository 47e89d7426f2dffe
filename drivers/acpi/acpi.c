/*
 * acpi.c - kernel side of the ACPI tables: find the RSDP, check and record
 * every table, and use the FADT for power off and reset.
 *
 * Interface: include/drivers/acpi.h.  The parsing is in tables.c (portable,
 * host-tested); this file only reaches memory through the direct map, after
 * phys_range_mapped() says the whole table is there, and prints what the
 * parsers report.
 *
 * Locking: none needed.  acpi_init() runs once at boot on the boot CPU
 * before the other CPUs start; it is the only writer of `acpi`.  After it
 * the tables and the recorded state are read-only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arch/x86_64/io.h>
#include <drivers/acpi.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/timer.h>
#include <lib/compiler.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>

#include "tables.h"

/* Where a BIOS leaves the RSDP (ACPI 6.5, 5.2.5.1): on a 16-byte boundary
 * in the first KiB of the EBDA, whose segment is the BDA word at 0x40E, or
 * in the BIOS ROM area 0xE0000-0xFFFFF. */
#define BDA_EBDA_SEGMENT	0x40E
#define EBDA_SCAN_LEN		1024
#define BIOS_ROM_START		0xE0000
#define BIOS_ROM_END		0x100000
#define RSDP_ALIGN		16
#define REAL_MODE_SEG_SHIFT	4

#define ACPI_MAX_TABLES		32		/* from the RSDT/XSDT, plus the DSDT */
#define ACPI_TABLE_MAX_LEN	(4u << 20)	/* refuse anything larger */
#define ACPI_GIVE_UP_US		500000		/* wait for power off / reset */

struct acpi_table_ref {
	uint64_t pa;
	const struct acpi_sdt_header *hdr;	/* direct map; hdr->length checked */
};

/* Written only by acpi_init(); read-only afterwards. */
static struct {
	bool ready;
	struct acpi_rsdp_info rsdp;
	const char *rsdp_source;
	uint64_t rsdp_pa;			/* 0 for a multiboot copy */
	bool xsdt;
	uint64_t root_pa;
	unsigned nroot;				/* valid tables the root lists */
	unsigned ntables;
	struct acpi_table_ref tables[ACPI_MAX_TABLES + 1];
	bool have_fadt;
	struct acpi_fadt_info fadt;
	bool have_s5;
	struct acpi_sleep_type s5;
} acpi;

static void acpi_print_report(void *ctx, enum acpi_msg_level level, const char *msg)
{
	static const char *const prefix[] = {
		[ACPI_MSG_ERROR] = "error: ",
		[ACPI_MSG_WARN] = "warning: ",
		[ACPI_MSG_INFO] = "",
	};

	kprintf("acpi: %s%s\n", prefix[level], msg);
}

static const struct acpi_diag kdiag = { .report = acpi_print_report };

/* ---------------------------------------------------------------- RSDP */

static int rsdp_at(uint64_t pa, size_t avail)
{
	int err = acpi_parse_rsdp(phys_to_virt(pa), avail, &acpi.rsdp, &kdiag);

	if (!err)
		acpi.rsdp_pa = pa;
	return err;
}

/* Scan [start, end) for "RSD PTR " on 16-byte boundaries. */
static int rsdp_scan_range(uint64_t start, uint64_t end)
{
	start = ALIGN_UP(start, RSDP_ALIGN);
	if (end <= start || !phys_range_mapped(start, end - start)) {
		kprintf("acpi: RSDP scan: %#lx-%#lx is not mapped, skipped\n", start, end);
		return -ENOENT;
	}
	for (uint64_t pa = start; pa + ACPI_RSDP_V1_LEN <= end; pa += RSDP_ALIGN) {
		if (memcmp(phys_to_virt(pa), ACPI_RSDP_SIG, ACPI_RSDP_SIG_LEN))
			continue;
		if (!rsdp_at(pa, MIN(end - pa, (uint64_t)ACPI_RSDP_V2_LEN)))
			return 0;
		kprintf("acpi: candidate RSDP at %#lx refused\n", pa);
	}
	return -ENOENT;
}

static int rsdp_scan(void)
{
	uint16_t seg;
	uint64_t ebda;

	if (phys_range_mapped(BDA_EBDA_SEGMENT, sizeof(seg))) {
		memcpy(&seg, phys_to_virt(BDA_EBDA_SEGMENT), sizeof(seg));
		ebda = (uint64_t)seg << REAL_MODE_SEG_SHIFT;
		if (ebda && !rsdp_scan_range(ebda, ebda + EBDA_SCAN_LEN)) {
			acpi.rsdp_source = "EBDA";
			return 0;
		}
	}
	if (!rsdp_scan_range(BIOS_ROM_START, BIOS_ROM_END)) {
		acpi.rsdp_source = "BIOS ROM area";
		return 0;
	}
	return -ENOENT;
}

static int rsdp_find(const void *copy, size_t len)
{
	if (copy) {
		if (!acpi_parse_rsdp(copy, len, &acpi.rsdp, &kdiag)) {
			acpi.rsdp_source = "multiboot2";
			return 0;
		}
		kprintf("acpi: the multiboot2 RSDP copy is unusable, scanning the BIOS areas\n");
	}
	return rsdp_scan();
}

/* -------------------------------------------------------------- tables */

/*
 * Check the table at @pa (signature @sig, or any when NULL) and return it
 * through the direct map in *@out.  Refuses tables that are not wholly
 * inside the direct map, too large, or fail acpi_sdt_validate().
 */
static int table_map(uint64_t pa, const char *sig, const struct acpi_sdt_header **out)
{
	const struct acpi_sdt_header *h;
	uint32_t len;
	size_t avail;
	int err;

	if (!phys_range_mapped(pa, ACPI_SDT_HEADER_LEN)) {
		kprintf("acpi: warning: table at %#lx is outside mapped memory, refused\n", pa);
		return -EFAULT;
	}
	h = phys_to_virt(pa);
	len = h->length;
	avail = ACPI_SDT_HEADER_LEN;	/* acpi_sdt_validate reports a bad length */
	if (len >= ACPI_SDT_HEADER_LEN && len <= ACPI_TABLE_MAX_LEN) {
		if (!phys_range_mapped(pa, len)) {
			kprintf("acpi: warning: table %.4s at %#lx, length %u, runs outside mapped memory, refused\n",
				h->signature, pa, len);
			return -EFAULT;
		}
		avail = len;
	}
	err = acpi_sdt_validate(h, avail, ACPI_TABLE_MAX_LEN, sig, &kdiag);
	if (err) {
		kprintf("acpi: warning: table at %#lx refused\n", pa);
		return err;
	}
	*out = h;
	return 0;
}

static void table_record(uint64_t pa, const struct acpi_sdt_header *h)
{
	if (acpi.ntables >= ARRAY_SIZE(acpi.tables)) {
		kprintf("acpi: warning: more than %zu tables, %.4s at %#lx left out\n",
			ARRAY_SIZE(acpi.tables), h->signature, pa);
		return;
	}
	acpi.tables[acpi.ntables++] = (struct acpi_table_ref){ .pa = pa, .hdr = h };
}

static int root_load(uint64_t pa, bool xsdt)
{
	const struct acpi_sdt_header *root;
	uint64_t addrs[ACPI_MAX_TABLES];
	unsigned n;
	int err;

	err = table_map(pa, xsdt ? ACPI_SIG_XSDT : ACPI_SIG_RSDT, &root);
	if (!err)
		err = acpi_parse_root(root, root->length, addrs, ACPI_MAX_TABLES, &n, &kdiag);
	if (err)
		return err;
	acpi.xsdt = xsdt;
	acpi.root_pa = pa;
	for (unsigned i = 0; i < n; i++) {
		const struct acpi_sdt_header *h;

		if (!table_map(addrs[i], NULL, &h))
			table_record(addrs[i], h);
	}
	acpi.nroot = acpi.ntables;
	return 0;
}

/* The XSDT when the RSDP offers one, else (or when it is bad) the RSDT. */
static int root_find(void)
{
	bool xsdt;
	uint64_t pa = acpi_rsdp_root(&acpi.rsdp, &xsdt);
	int err = root_load(pa, xsdt);

	if (err && xsdt && acpi.rsdp.rsdt_addr) {
		kprintf("acpi: warning: XSDT unusable, falling back to the RSDT\n");
		err = root_load(acpi.rsdp.rsdt_addr, false);
	}
	return err;
}

/* FADT, then the DSDT it names, then the \_S5_ package in the DSDT. */
static void fadt_load(void)
{
	const struct acpi_sdt_header *fadt = acpi_find_table(ACPI_SIG_FADT, 0);
	const struct acpi_sdt_header *dsdt;

	if (!fadt) {
		kprintf("acpi: warning: no FADT: no power off or reset through ACPI\n");
		return;
	}
	if (acpi_parse_fadt(fadt, fadt->length, &acpi.fadt, &kdiag))
		return;
	acpi.have_fadt = true;
	if (!acpi.fadt.dsdt || table_map(acpi.fadt.dsdt, ACPI_SIG_DSDT, &dsdt))
		return;
	table_record(acpi.fadt.dsdt, dsdt);
	if (!acpi_parse_s5(dsdt, dsdt->length, &acpi.s5, &kdiag))
		acpi.have_s5 = true;
}

/* How kernel/power.c leaves the machine (acpi_poweroff() and acpi_reset()
 * are below, with the registers they write). */
static const struct machine_power_ops acpi_power_ops = {
	.poweroff_name = "ACPI S5",
	.poweroff = acpi_poweroff,
	.reset = acpi_reset,
};

int acpi_init(const void *rsdp, size_t rsdp_len)
{
	int err;

	if (acpi.ready)
		return -EALREADY;
	/* First, tables or not: without a FADT the two say -ENODEV themselves. */
	machine_power_register(&acpi_power_ops);
	err = rsdp_find(rsdp, rsdp_len);
	if (err) {
		kprintf("acpi: no valid RSDP found, ACPI disabled\n");
		return err;
	}
	err = root_find();
	if (err) {
		kprintf("acpi: no usable RSDT/XSDT (%s), ACPI disabled\n", strerror(err));
		return err;
	}
	acpi.ready = true;	/* lets fadt_load() use acpi_find_table() */
	fadt_load();
	if (acpi.rsdp_pa)
		kprintf("acpi: RSDP rev %u (from %s at %#lx), %s with %u tables\n",
			acpi.rsdp.revision, acpi.rsdp_source, acpi.rsdp_pa,
			acpi.xsdt ? "XSDT" : "RSDT", acpi.nroot);
	else
		kprintf("acpi: RSDP rev %u (from %s), %s with %u tables\n",
			acpi.rsdp.revision, acpi.rsdp_source,
			acpi.xsdt ? "XSDT" : "RSDT", acpi.nroot);
	return 0;
}

/* ------------------------------------------------------------- lookups */

const struct acpi_sdt_header *acpi_find_table(const char sig[4], unsigned index)
{
	if (!acpi.ready)
		return NULL;
	for (unsigned i = 0; i < acpi.ntables; i++) {
		const struct acpi_sdt_header *h = acpi.tables[i].hdr;

		if (!memcmp(h->signature, sig, ACPI_SIG_LEN) && index-- == 0)
			return h;
	}
	return NULL;
}

int acpi_madt(struct acpi_madt_info *out)
{
	const struct acpi_sdt_header *h = acpi_find_table(ACPI_SIG_MADT, 0);

	if (!h)
		return -ENOENT;
	return acpi_parse_madt(h, h->length, out, &kdiag);
}

int acpi_mcfg(struct acpi_mcfg_info *out)
{
	const struct acpi_sdt_header *h = acpi_find_table(ACPI_SIG_MCFG, 0);

	if (!h)
		return -ENOENT;
	return acpi_parse_mcfg(h, h->length, out, &kdiag);
}

const struct acpi_fadt_info *acpi_fadt(void)
{
	return acpi.have_fadt ? &acpi.fadt : NULL;
}

/* Copy @n bytes of a table's text field, non-printable bytes as '?'. */
static void printable(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[n] = '\0';
}

static void list_kprintf(const char *line)
{
	kprintf("%s\n", line);
}

void acpi_list(void (*print)(const char *line))
{
	char line[96], sig[ACPI_SIG_LEN + 1], oem[sizeof(acpi.tables[0].hdr->oem_id) + 1];

	if (!print)
		print = list_kprintf;
	if (!acpi.ready) {
		print("acpi: no tables");
		return;
	}
	print("sig   address             length  rev  OEM");
	for (unsigned i = 0; i < acpi.ntables; i++) {
		const struct acpi_sdt_header *h = acpi.tables[i].hdr;

		printable(sig, h->signature, ACPI_SIG_LEN);
		printable(oem, h->oem_id, sizeof(h->oem_id));
		snprintf(line, sizeof(line), "%s  %#018lx  %6u  %3u  %s",
			 sig, acpi.tables[i].pa, h->length, h->revision, oem);
		print(line);
	}
}

/* ------------------------------------------------------ power and reset */

/* Read-modify-write of a PM1 control register: SLP_TYPx first, then SLP_TYPx
 * with SLP_EN (ACPI 6.5, 4.8.3.2.1 and chapter 16, "Waking and Sleeping"). */
static void pm1_write(uint16_t port, uint8_t slp_typ, bool enable)
{
	uint16_t v = inw(port);

	v &= ~(ACPI_PM1_SLP_TYP_MASK | ACPI_PM1_SLP_EN);
	v |= (uint16_t)slp_typ << ACPI_PM1_SLP_TYP_SHIFT;
	if (enable)
		v |= ACPI_PM1_SLP_EN;
	outw(port, v);
}

static bool pm1_is_port(const struct acpi_reg *r)
{
	return r->addr && r->space == ACPI_SPACE_IO && r->addr <= UINT16_MAX;
}

int acpi_poweroff(void)
{
	const struct acpi_fadt_info *f = &acpi.fadt;
	bool b;

	if (!acpi.have_fadt)
		return -ENODEV;
	if (!acpi.have_s5)
		return -ENOENT;
	if (!pm1_is_port(&f->pm1a_cnt)) {
		kprintf("acpi: poweroff: PM1a_CNT is not a system I/O port\n");
		return -EOPNOTSUPP;
	}
	b = pm1_is_port(&f->pm1b_cnt);
	pm1_write(f->pm1a_cnt.addr, acpi.s5.slp_typa, false);
	if (b)
		pm1_write(f->pm1b_cnt.addr, acpi.s5.slp_typb, false);
	pm1_write(f->pm1a_cnt.addr, acpi.s5.slp_typa, true);
	if (b)
		pm1_write(f->pm1b_cnt.addr, acpi.s5.slp_typb, true);
	udelay(ACPI_GIVE_UP_US);
	kprintf("acpi: poweroff: still running after writing SLP_TYP %u | SLP_EN to port %#lx\n",
		acpi.s5.slp_typa, f->pm1a_cnt.addr);
	return -EIO;
}

int acpi_reset(void)
{
	const struct acpi_fadt_info *f = &acpi.fadt;

	if (!acpi.have_fadt || !f->reset_supported || f->reset_reg.space != ACPI_SPACE_IO ||
	    f->reset_reg.addr > UINT16_MAX)
		return -ENODEV;
	outb(f->reset_reg.addr, f->reset_value);
	udelay(ACPI_GIVE_UP_US);
	kprintf("acpi: reset: still running after writing %#x to port %#lx\n",
		f->reset_value, f->reset_reg.addr);
	return -EIO;
}
