/*
 * iommu.c - DMA remapping behind <drivers/iommu.h>: which unit covers a
 * device, one domain per device, its IOVA space, the mappings in it, the
 * ranges taken away by iommu_revoke_phys(), and the fault reports.
 * vtd.c does the hardware (iommu_internal.h).
 *
 * Boot: iommu_init() finds the ACPI DMAR table and decodes it with
 * dmar_parse() (dmar.c); each DRHD becomes a struct vtd_unit (probed:
 * registers checked, root table loaded); each RMRR's devices get their
 * domain at once with the reserved range identity-mapped; then
 * translation is turned on.  Any failure leaves remapping off for good,
 * with one console line saying why; the API then hands out physical
 * addresses as the I/O addresses (as before this driver existed).
 *
 * Domains: a device gets its domain (domain id = its index + 1, a
 * second-level table with every table page of its IOVA space allocated at
 * once, 130 pages, an IOVA bitmap) the first time something is mapped
 * for it, so until then its context entry is not present and all its DMA
 * faults (default deny).  Domains are never freed: devices are not
 * hot-removed.
 *
 * IOVAs: a bitmap of IOVA_PAGES 4 KiB pages per domain from IOVA_BASE
 * (0 is never handed out) up to 256 MiB, first fit below the caller's
 * mask, starting at a rotating hint so that a freed IOVA is not reused
 * at once (a late device access then faults instead of landing in the
 * next transfer).  A 2 MiB mapping (iommu_dma_map_2m) takes 512 IOVA
 * pages aligned to 2 MiB and replaces, while it lasts, the level-2 entry
 * that points at their (empty) leaf table.  An IOVA stays allocated until
 * iommu_dma_unmap(), even after a revoke, so a late unmap can never hit
 * somebody else's mapping.
 *
 * Locking: iommu_lock (spinlock, taken irqsave: maps and unmaps come
 * from interrupt handlers and ktimers) guards everything below marked
 * "lock" and every unit's tables and invalidation registers.  Fault
 * reports are formatted under it and printed after it is dropped.
 * Lock order: a driver's own lock -> iommu_lock -> pmm_lock/kmalloc.
 */
#include <stdarg.h>
#include <drivers/acpi.h>
#include <drivers/dmar.h>
#include <drivers/iommu.h>
#include <drivers/pci.h>
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/timer.h>
#include <lib/bitmap.h>
#include <lib/compiler.h>
#include <lib/errno.h>
#include <lib/list.h>
#include <lib/printf.h>
#include <lib/string.h>
#include "iommu_internal.h"
#include "vtd_regs.h"

#define IOVA_BASE_PAGE		1		/* IOVA 0 is never used */
#define IOVA_PAGES		65536		/* 256 MiB of IOVA per domain */
#define MAX_DOMAINS		64
#define REVOKED_RING		16
#define FAULT_BATCH		8
#define WHAT_LEN		40
#define NS_PER_MS		1000000ul

/* One iommu_dma_map() (or iommu_dma_map_pages()): @npages pages at @iova,
 * page i at physical pa[i]. */
struct iommu_mapping {
	struct list_node node;		/* domain.maps */
	uint64_t iova;			/* page aligned */
	uint64_t npages;
	unsigned prot;
	bool revoked;			/* PTEs gone; IOVA kept until unmap */
	bool large;			/* one 2 MiB entry (npages 512) */
	uint64_t saved;			/* large: the level-2 entry it replaced */
	uint64_t pa[];
};

struct iommu_domain {
	/* set when created, then read-only */
	struct vtd_unit *unit;
	uint16_t seg, sid;		/* sid = bus << 8 | devfn */
	uint16_t did;
	uint64_t pgd_pa;
	struct pci_dev *pci;		/* lock: NULL for an RMRR device until seen */

	/* lock */
	uint64_t *iova_map;		/* IOVA_PAGES bits: 1 = allocated */
	uint64_t hint;
	uint64_t pages_mapped;
	unsigned nmaps;
	struct list_node maps;
};

/* A range iommu_revoke_phys() took: what a fault on it is reported as. */
struct revoked {
	uint16_t sid;
	bool used;
	uint64_t iova, len;
	uint64_t off;			/* @what's offset at @iova */
	uint64_t when_ns;
	char what[WHAT_LEN];
};

spinlock_t iommu_lock = SPINLOCK_INIT("iommu");

static struct {
	/* written by iommu_init() only, before translation is on */
	bool on;
	char why[160];			/* why it is off */
	struct dmar_info dmar;
	unsigned nunits;
	struct vtd_unit units[DMAR_MAX_UNITS];

	/* lock */
	unsigned ndomains;
	struct iommu_domain *domains[MAX_DOMAINS];
	struct revoked ring[REVOKED_RING];
	unsigned ring_next;
	struct iommu_stats stats;
	char last_fault[160];
} io;

/* ------------------------------------------------------- devices ---- */

static uint16_t sid_of(uint8_t bus, uint8_t dev, uint8_t fn)
{
	return (uint16_t)(bus << 8 | dev << 3 | fn);
}

/* Secondary bus behind the bridge at (bus, dev, fn), for scope paths. */
static int bridge_bus(uint8_t bus, uint8_t dev, uint8_t fn, void *ctx)
{
	struct pci_dev *p = pci_get_dev(*(uint16_t *)ctx, bus, dev, fn);

	return p && p->header_type == PCI_HEADER_BRIDGE ? p->sec_bus : -1;
}

/* The unit that translates seg:bus:dev.fn: one whose scope names it,
 * else the INCLUDE_PCI_ALL unit of its segment, else none. */
static struct vtd_unit *unit_for(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
	struct vtd_unit *all = NULL;

	for (unsigned i = 0; i < io.nunits; i++) {
		const struct dmar_unit *d = io.units[i].drhd;

		if (d->segment != seg)
			continue;
		if (d->include_all) {
			all = &io.units[i];
			continue;
		}
		for (unsigned s = 0; s < d->nscopes; s++)
			if (dmar_scope_matches(&d->scopes[s], bus, dev, fn, bridge_bus, &seg))
				return &io.units[i];
	}
	return all;
}

static struct iommu_domain *domain_find(uint16_t seg, uint16_t sid)
{
	assert_held(&iommu_lock);
	for (unsigned i = 0; i < io.ndomains; i++)
		if (io.domains[i]->seg == seg && io.domains[i]->sid == sid)
			return io.domains[i];
	return NULL;
}

/*
 * The domain of the function @sid on @u, made now if it has none.
 * iommu_lock held.  NULL when out of memory or domain ids.
 */
static struct iommu_domain *domain_get(struct vtd_unit *u, uint16_t seg, uint16_t sid)
{
	struct iommu_domain *d = domain_find(seg, sid);

	if (d)
		return d;
	if (io.ndomains == MAX_DOMAINS || io.ndomains + 1 >= u->ndomain_ids)
		return NULL;
	d = kzalloc(sizeof(*d));
	if (!d)
		return NULL;
	d->iova_map = kzalloc(IOVA_PAGES / 8);
	d->pgd_pa = pmm_alloc_page();
	if (!d->iova_map || !d->pgd_pa)
		goto out_free;
	memset(phys_to_virt(d->pgd_pa), 0, VTD_PAGE);
	d->unit = u;
	d->seg = seg;
	d->sid = sid;
	d->did = (uint16_t)(io.ndomains + 1);	/* 0 is reserved in caching mode */
	d->hint = IOVA_BASE_PAGE;
	list_init(&d->maps);
	bitmap_set_range(d->iova_map, 0, IOVA_BASE_PAGE);
	/* all the table pages its IOVA space needs, now: a map never
	 * allocates them later (nor fails for want of them) */
	if (vtd_tables_prepare(u, d->pgd_pa, (uint64_t)IOVA_PAGES << VTD_PAGE_SHIFT))
		goto out_free_tables;
	if (vtd_context_set(u, (uint8_t)(sid >> 8), (uint8_t)sid, d->did, d->pgd_pa))
		goto out_free_tables;		/* nothing was written */
	io.domains[io.ndomains++] = d;
	return d;
out_free_tables:
	vtd_free_tables(u, d->pgd_pa);
	d->pgd_pa = 0;
out_free:
	if (d->pgd_pa)
		pmm_free_page(d->pgd_pa);
	kfree(d->iova_map);
	kfree(d);
	return NULL;
}

/* -------------------------------------------------------- IOVAs ---- */

/* First fit of @n pages starting at a multiple of @align pages and ending
 * at or below @mask: from the hint on, then from the bottom. */
static int iova_alloc(struct iommu_domain *d, uint64_t n, uint64_t align, uint64_t mask,
		      uint64_t *page)
{
	uint64_t limit = IOVA_PAGES, from, at;

	if (mask >> VTD_PAGE_SHIFT < limit)
		limit = (mask + 1) >> VTD_PAGE_SHIFT;
	for (int pass = 0; pass < 2; pass++) {
		from = pass ? IOVA_BASE_PAGE : d->hint;
		for (from = (from + align - 1) / align * align; from + n <= limit;) {
			at = bitmap_find_zero_run(d->iova_map, limit, from, n);
			if (at >= limit)
				break;
			if (at % align == 0) {
				bitmap_set_range(d->iova_map, at, n);
				d->hint = at + n;
				*page = at;
				return 0;
			}
			from = (at + align - 1) / align * align;
		}
	}
	return -ENOSPC;
}

static void iova_free(struct iommu_domain *d, uint64_t iova, uint64_t n)
{
	uint64_t page = iova >> VTD_PAGE_SHIFT;

	if (page < IOVA_PAGES)		/* RMRR identity maps lie above */
		bitmap_clear_range(d->iova_map, page, MIN(n, IOVA_PAGES - page));
}

/* ----------------------------------------------------- mappings ---- */

static void clear_ptes(struct iommu_domain *d, struct iommu_mapping *m)
{
	if (m->large)
		vtd_unmap_2m(d->unit, d->pgd_pa, m->iova, m->saved);
	else
		vtd_unmap_range(d->unit, d->pgd_pa, m->iova, m->npages);
	vtd_flush_iotlb(d->unit, d->did, m->iova, m->npages);
	d->pages_mapped -= m->npages;
	io.stats.pages_mapped -= m->npages;
}

/*
 * Map @m (pa[] filled) at the IOVA @iova in @d.  iommu_lock held.  On
 * failure nothing stays mapped.
 */
static int install(struct iommu_domain *d, struct iommu_mapping *m)
{
	int err = m->large ? vtd_map_2m(d->unit, d->pgd_pa, m->iova, m->pa[0], m->prot, &m->saved)
			   : vtd_map_range(d->unit, d->pgd_pa, m->iova, m->pa, m->npages, m->prot);

	if (err) {		/* its entries were present for a moment */
		vtd_flush_iotlb(d->unit, d->did, m->iova, m->npages);
		return err;
	}
	vtd_after_map(d->unit, d->did, m->iova, m->npages);
	list_add_tail(&d->maps, &m->node);
	d->nmaps++;
	d->pages_mapped += m->npages;
	io.stats.pages_mapped += m->npages;
	io.stats.maps++;
	if (m->large)
		io.stats.maps_2m++;
	return 0;
}

/* The domain @dev's DMA goes through, or NULL (not translated). */
static struct iommu_domain *dev_domain(struct pci_dev *dev, int *err)
{
	struct vtd_unit *u = unit_for(dev->seg, dev->bus, dev->dev, dev->fn);
	struct iommu_domain *d;

	*err = 0;
	if (!u)
		return NULL;
	d = domain_get(u, dev->seg, sid_of(dev->bus, dev->dev, dev->fn));
	if (!d)
		*err = -ENOMEM;
	else
		d->pci = dev;
	return d;
}

/* Map the pages of @m (npages, pa[], prot set) for @dev.  Takes the lock. */
static int map_common(struct pci_dev *dev, struct iommu_mapping *m, uint64_t mask)
{
	unsigned long f = spin_lock_irqsave(&iommu_lock);
	struct iommu_domain *d;
	uint64_t page;
	int err;

	d = dev_domain(dev, &err);
	if (!d) {
		spin_unlock_irqrestore(&iommu_lock, f);
		return err ? err : 1;		/* 1: not translated */
	}
	if (m->large && !vtd_has_2m(d->unit))
		err = -EOPNOTSUPP;
	else if (m->large)
		err = iova_alloc(d, m->npages, VTD_2M_PAGES, mask, &page);
	else
		err = iova_alloc(d, m->npages, 1, mask, &page);
	if (!err) {
		m->iova = page << VTD_PAGE_SHIFT;
		err = install(d, m);
		if (err)
			iova_free(d, m->iova, m->npages);
	}
	spin_unlock_irqrestore(&iommu_lock, f);
	return err;
}

/* A mapping record of @n pages, contiguous from @first_pa when @contig
 * (else the caller fills pa[]).  NULL: no memory. */
static struct iommu_mapping *mapping_new(uint64_t n, unsigned prot, bool large, bool contig,
					 uint64_t first_pa)
{
	struct iommu_mapping *m = kmalloc(sizeof(*m) + n * sizeof(m->pa[0]));

	if (!m)
		return NULL;
	m->npages = n;
	m->prot = prot;
	m->revoked = false;
	m->large = large;
	for (uint64_t i = 0; contig && i < n; i++)
		m->pa[i] = first_pa + i * VTD_PAGE;
	return m;
}

int iommu_dma_map(struct pci_dev *dev, uint64_t pa, uint64_t len, unsigned prot,
		  uint64_t mask, uint64_t *iova)
{
	uint64_t off = pa & (VTD_PAGE - 1), n;
	struct iommu_mapping *m;
	int err;

	if (len == 0 || pa + len < pa)
		return -EINVAL;
	if (!io.on || !dev) {
		if (pa + len - 1 > mask)
			return -ERANGE;
		*iova = pa;
		return 0;
	}
	n = (off + len + VTD_PAGE - 1) >> VTD_PAGE_SHIFT;
	m = mapping_new(n, prot, false, true, pa - off);
	if (!m)
		return -ENOMEM;
	err = map_common(dev, m, mask);
	if (err) {
		kfree(m);
		if (err == 1) {			/* a device no unit translates */
			if (pa + len - 1 > mask)
				return -ERANGE;
			*iova = pa;
			return 0;
		}
		return err;
	}
	*iova = m->iova + off;
	return 0;
}

int iommu_dma_map_pages(struct pci_dev *dev, const uint64_t *pages, unsigned npages,
			unsigned prot, uint64_t mask, uint64_t *iova)
{
	struct iommu_mapping *m;
	int err;

	if (npages == 0)
		return -EINVAL;
	if (!io.on || !dev)
		return 1;
	m = mapping_new(npages, prot, false, false, 0);
	if (!m)
		return -ENOMEM;
	for (unsigned i = 0; i < npages; i++)
		m->pa[i] = pages[i] & ~(VTD_PAGE - 1);
	err = map_common(dev, m, mask);
	if (err) {
		kfree(m);
		return err;
	}
	*iova = m->iova;
	return 0;
}

int iommu_dma_map_2m(struct pci_dev *dev, uint64_t pa, unsigned prot, uint64_t mask,
		     uint64_t *iova)
{
	struct iommu_mapping *m;
	int err;

	if (pa & (VTD_2M - 1))
		return -EINVAL;
	if (!io.on || !dev)
		return 1;
	m = mapping_new(VTD_2M_PAGES, prot, true, true, pa);	/* pa[]: for revokes, reports */
	if (!m)
		return -ENOMEM;
	err = map_common(dev, m, mask);
	if (err) {
		kfree(m);
		return err;
	}
	*iova = m->iova;
	return 0;
}

void iommu_dma_unmap(struct pci_dev *dev, uint64_t iova, uint64_t len)
{
	uint64_t start = iova & ~(VTD_PAGE - 1), end = iova + len;
	struct iommu_mapping *m, *tmp;
	struct iommu_domain *d;
	unsigned long f;

	if (!io.on || !dev || len == 0)
		return;
	f = spin_lock_irqsave(&iommu_lock);
	d = domain_find(dev->seg, sid_of(dev->bus, dev->dev, dev->fn));
	if (d) {
		list_for_each_entry_safe(m, tmp, &d->maps, node) {
			if (m->iova < start || m->iova >= end)
				continue;
			if (!m->revoked)
				clear_ptes(d, m);
			iova_free(d, m->iova, m->npages);
			list_del(&m->node);
			d->nmaps--;
			io.stats.unmaps++;
			kfree(m);
		}
	}
	spin_unlock_irqrestore(&iommu_lock, f);
}

/* ------------------------------------------------------- revoke ---- */

static void remember_revoked(struct iommu_domain *d, const struct iommu_mapping *m,
			     uint64_t pa, uint64_t len, const char *what, uint64_t off)
{
	struct revoked *r = &io.ring[io.ring_next++ % REVOKED_RING];
	uint64_t first = UINT64_MAX;

	/* the IOVA of the first page inside [pa, pa + len) names the offset */
	for (uint64_t i = 0; i < m->npages && first == UINT64_MAX; i++)
		if (m->pa[i] + VTD_PAGE > pa && m->pa[i] < pa + len)
			first = i;
	r->used = true;
	r->sid = d->sid;
	r->iova = m->iova;
	r->len = m->npages * VTD_PAGE;
	/* @off names byte @pa; the mapping's page 0 is first pages before
	 * page first (modulo 2^64: the sum below is right when it is >= 0) */
	r->off = off + (m->pa[first] - pa) - first * VTD_PAGE;
	r->when_ns = time_ns();
	strlcpy(r->what, what ? what : "?", sizeof(r->what));
}

unsigned iommu_revoke_phys(uint64_t pa, uint64_t len, const char *what, uint64_t off)
{
	unsigned long f;
	unsigned n = 0;

	if (!io.on || len == 0)
		return 0;
	f = spin_lock_irqsave(&iommu_lock);
	for (unsigned i = 0; i < io.ndomains; i++) {
		struct iommu_domain *d = io.domains[i];
		struct iommu_mapping *m;

		list_for_each_entry(m, &d->maps, node) {
			bool hit = false;

			if (m->revoked)
				continue;
			for (uint64_t p = 0; p < m->npages && !hit; p++)
				hit = m->pa[p] < pa + len && m->pa[p] + VTD_PAGE > pa;
			if (!hit)
				continue;
			clear_ptes(d, m);
			m->revoked = true;
			remember_revoked(d, m, pa, len, what, off);
			io.stats.revokes++;
			n++;
		}
	}
	spin_unlock_irqrestore(&iommu_lock, f);
	return n;
}

/* ------------------------------------------------------- faults ---- */

/* "edu 00:03.0": the driver's name (up to a '-') and the address. */
static void dev_label(uint16_t seg, uint16_t sid, char *buf, size_t len)
{
	struct pci_dev *p = pci_get_dev(seg, sid >> 8, (sid >> 3) & 0x1F, sid & 7);
	const char *name = p && p->driver ? p->driver->name : "device";
	size_t n = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (name[i] == '-')
			n = i;
	snprintf(buf, len, "%.*s %02x:%02x.%x", (int)n, name, sid >> 8, (sid >> 3) & 0x1F,
		 sid & 7);
}

/* Format one fault record into @line.  iommu_lock held. */
static void describe_fault(struct vtd_unit *u, const struct vtd_fault *ft, char *line,
			   size_t len)
{
	struct iommu_domain *d = domain_find(u->drhd->segment, ft->sid);
	char who[32], was[96] = "";
	const char *why = vtd_fault_reason(ft->reason);

	dev_label(u->drhd->segment, ft->sid, who, sizeof(who));
	if (!d && (ft->reason == VTD_FR_ROOT_NP || ft->reason == VTD_FR_CTX_NP))
		why = "not mapped: nothing was ever mapped for this device";
	if ((ft->reason == VTD_FR_WRITE || ft->reason == VTD_FR_READ) &&
	    (!d || !(vtd_pte_lookup(u, d->pgd_pa, ft->addr) & (VTD_SL_R | VTD_SL_W))))
		why = "not mapped";
	for (unsigned i = 0; i < REVOKED_RING; i++) {
		const struct revoked *r = &io.ring[i];

		if (r->used && r->sid == ft->sid && ft->addr >= r->iova &&
		    ft->addr < r->iova + r->len)
			snprintf(was, sizeof(was), " - was %s offset %#lx, revoked %lu ms ago",
				 r->what, r->off + (ft->addr - r->iova),
				 (time_ns() - r->when_ns) / NS_PER_MS);
	}
	snprintf(line, len, "iommu: %s %s iova %#lx blocked (%s)%s", who,
		 ft->is_read ? "read from" : "write to", ft->addr, why, was);
}

void iommu_handle_faults(struct vtd_unit *u)
{
	struct vtd_fault ft[FAULT_BATCH];
	char lines[FAULT_BATCH][160];
	unsigned long f = spin_lock_irqsave(&iommu_lock);
	bool overflow;
	unsigned n = vtd_fault_poll(u, ft, FAULT_BATCH, &overflow);

	for (unsigned i = 0; i < n; i++) {
		describe_fault(u, &ft[i], lines[i], sizeof(lines[i]));
		strlcpy(io.last_fault, lines[i], sizeof(io.last_fault));
	}
	io.stats.faults += n;
	spin_unlock_irqrestore(&iommu_lock, f);
	for (unsigned i = 0; i < n; i++)
		kprintf("%s\n", lines[i]);
	if (overflow)
		kprintf("iommu: unit %u: fault records overflowed; some faults were not "
			"recorded\n", u->index);
}

void iommu_poll_faults(void)
{
	for (unsigned i = 0; io.on && i < io.nunits; i++)
		iommu_handle_faults(&io.units[i]);
}

/* --------------------------------------------------------- init ---- */

static void dmar_report(void *ctx, enum acpi_msg_level level, const char *msg)
{
	(void)ctx;
	kprintf("iommu: %s%s\n", level == ACPI_MSG_ERROR ? "error: " :
		level == ACPI_MSG_WARN ? "warning: " : "", msg);
}

/* Identity-map each RMRR for the devices in its scope (single-hop paths:
 * bridges are not enumerated yet). */
static int map_rmrrs(void)
{
	for (unsigned r = 0; r < io.dmar.nrmrrs; r++) {
		const struct dmar_rmrr *rm = &io.dmar.rmrrs[r];

		for (unsigned s = 0; s < rm->nscopes; s++) {
			const struct dmar_scope *sc = &rm->scopes[s];
			uint8_t dev = sc->path[0].dev, fn = sc->path[0].fn;
			struct vtd_unit *u = unit_for(rm->segment, sc->start_bus, dev, fn);
			struct iommu_mapping *m;
			struct iommu_domain *d;
			uint64_t n = (rm->limit - rm->base + 1 + VTD_PAGE - 1) >> VTD_PAGE_SHIFT;
			unsigned long f;
			int err = 0;

			if (sc->type != DMAR_SCOPE_PCI_ENDPOINT || sc->npath != 1 || !u) {
				kprintf("iommu: RMRR %u scope %u (type %u, %u hops) skipped\n", r,
					s, sc->type, sc->npath);
				continue;
			}
			m = mapping_new(n, IOMMU_READ | IOMMU_WRITE, false, true, rm->base);
			if (!m)
				return -ENOMEM;
			m->iova = rm->base;		/* identity */
			f = spin_lock_irqsave(&iommu_lock);
			d = domain_get(u, rm->segment, sid_of(sc->start_bus, dev, fn));
			if (!d)
				err = -ENOMEM;
			if (d && rm->base >> VTD_PAGE_SHIFT < IOVA_PAGES)
				bitmap_set_range(d->iova_map, rm->base >> VTD_PAGE_SHIFT,
						 MIN(n, IOVA_PAGES - (rm->base >> VTD_PAGE_SHIFT)));
			if (d)
				err = install(d, m);
			spin_unlock_irqrestore(&iommu_lock, f);
			if (err) {
				kfree(m);
				return err;
			}
			kprintf("iommu: RMRR %#lx-%#lx identity-mapped for %02x:%02x.%x\n",
				rm->base, rm->limit, sc->start_bus, dev, fn);
		}
	}
	return 0;
}

static int off_because(int err, const char *fmt, ...) __printf(2, 3);
static int off_because(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(io.why, sizeof(io.why), fmt, ap);
	va_end(ap);
	kprintf("iommu: DMA remapping off: %s\n", io.why);
	return err;
}

static int init_units(void)
{
	char why[128];
	int err;

	for (unsigned i = 0; i < io.dmar.nunits; i++) {
		struct vtd_unit *u = &io.units[i];

		err = vtd_unit_probe(u, i, &io.dmar.units[i], why, sizeof(why));
		if (err)
			return off_because(err, "%s", why);
		io.nunits++;
		kprintf("iommu: unit %u at %#lx: VT-d %u.%u, %u-level tables (%u-bit), %u domain "
			"ids, %s invalidation%s%s\n", i, u->drhd->base, VTD_VER_MAJOR(u->ver),
			VTD_VER_MINOR(u->ver), u->levels, u->agaw_bits, u->ndomain_ids,
			u->cap & VTD_CAP_PSI ? "page-selective" : "domain-selective",
			u->cap & VTD_CAP_CM ? ", caching mode" : "",
			u->drhd->include_all ? ", all PCI devices" : "");
	}
	return 0;
}

int iommu_init(void)
{
	const struct acpi_sdt_header *t = acpi_find_table("DMAR", 0);
	const struct acpi_diag diag = { .report = dmar_report };
	int err;

	if (!t)
		return off_because(0, "no DMAR table (no VT-d hardware; QEMU: q35 with "
				   "-device intel-iommu)");
	err = dmar_parse(t, t->length, &io.dmar, &diag);
	if (err)
		return off_because(0, "the DMAR table is malformed (error %d, see above)", err);
	if ((err = init_units()))
		return 0;
	if ((err = map_rmrrs()))
		return off_because(0, "no memory for the RMRR identity maps (error %d)", err);
	for (unsigned i = 0; i < io.nunits; i++) {
		vtd_fault_setup(&io.units[i]);
		if ((err = vtd_unit_enable(&io.units[i])))
			return off_because(0, "unit %u did not turn translation on", i);
	}
	io.on = true;
	kprintf("iommu: DMA remapping on: %u unit%s, every device denied until its driver "
		"maps pages for it\n", io.nunits, io.nunits == 1 ? "" : "s");
	return 0;
}

/* ---------------------------------------------------- reporting ---- */

bool iommu_enabled(void)
{
	return io.on;
}

void iommu_get_stats(struct iommu_stats *st)
{
	unsigned long f = spin_lock_irqsave(&iommu_lock);

	*st = io.stats;
	spin_unlock_irqrestore(&iommu_lock, f);
}

void iommu_status(void (*print)(const char *line))
{
	char line[200], who[32];
	struct iommu_stats st;

	if (!io.on) {
		snprintf(line, sizeof(line), "iommu: DMA remapping is off: %s",
			 io.why[0] ? io.why : "iommu_init() did not run");
		print(line);
		return;
	}
	iommu_poll_faults();
	iommu_get_stats(&st);
	snprintf(line, sizeof(line), "iommu: DMA remapping on: %u unit%s, %u domain%s, %lu pages "
		 "mapped, %lu faults", io.nunits, io.nunits == 1 ? "" : "s", io.ndomains,
		 io.ndomains == 1 ? "" : "s", st.pages_mapped, st.faults);
	print(line);
	for (unsigned i = 0; i < io.nunits; i++) {
		const struct vtd_unit *u = &io.units[i];

		snprintf(line, sizeof(line), "  unit %u at %#lx: VT-d %u.%u, %u-level tables, "
			 "fault event %s, %lu IOTLB / %lu context invalidations", i,
			 u->drhd->base, VTD_VER_MAJOR(u->ver), VTD_VER_MINOR(u->ver), u->levels,
			 u->vector >= 0 ? "MSI" : "polled", u->iotlb_flushes, u->ctx_flushes);
		print(line);
		snprintf(line, sizeof(line), "    CAP %#lx ECAP %#lx: %s, %s", u->cap, u->ecap,
			 u->coherent ? "walks snoop the caches" : "table writes flushed (clflush)",
			 u->cap & VTD_CAP_CM ? "caching mode" : "no caching mode");
		print(line);
	}
	for (unsigned i = 0; i < io.ndomains; i++) {
		unsigned long f = spin_lock_irqsave(&iommu_lock);
		const struct iommu_domain *d = io.domains[i];
		uint64_t pages = d->pages_mapped;
		unsigned nmaps = d->nmaps, did = d->did;

		spin_unlock_irqrestore(&iommu_lock, f);
		dev_label(d->seg, d->sid, who, sizeof(who));
		snprintf(line, sizeof(line), "  domain %u: %s, %lu pages mapped in %u mappings",
			 did, who, pages, nmaps);
		print(line);
	}
	snprintf(line, sizeof(line), "  maps %lu, unmaps %lu, revoked %lu, faults %lu",
		 st.maps, st.unmaps, st.revokes, st.faults);
	print(line);
	snprintf(line, sizeof(line), "  of the maps, %lu were one 2 MiB page (a 2 MiB window)",
		 st.maps_2m);
	print(line);
	if (io.last_fault[0]) {
		snprintf(line, sizeof(line), "  last fault: %s", io.last_fault);
		print(line);
	}
}
