/*
 * vtd.c - one Intel VT-d remapping unit: its registers, its root and
 * context tables (legacy mode), the second-level page tables of its
 * domains, register-based invalidation and the fault recording registers.
 *
 * What the hardware walks for a DMA from bus:dev.fn to an IOVA [VTD 3.4]:
 *
 *	RTADDR -> root table[bus] -> context table[dev.fn]
 *	       -> (domain id, AW) + second-level table -> 3 or 4 levels -> page
 *
 * A device whose context entry is not present, or an IOVA with no leaf
 * entry, faults: the unit writes a fault record and (FECTL unmasked)
 * sends the fault-event MSI.  Entries are written in memory, then pushed
 * out of the CPU caches when the unit does not snoop (ECAP.C = 0), and
 * any entry that was present is invalidated through the context-command
 * and IOTLB registers before the caller is told the change is done.
 *
 * Interface and locking: iommu_internal.h.  Everything here that touches
 * tables or invalidation registers runs under iommu_lock; the probe and
 * enable run once at boot before anything else can reach the unit.
 *
 * References: vtd_regs.h ([VTD] = the VT-d specification, rev. 4.x).
 */
#include <arch/x86_64/irq.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/timer.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>
#include "iommu_internal.h"
#include "vtd_regs.h"

#define VTD_MAX_REG_PAGES	16		/* register set we map at most */
#define VTD_WAIT_NS		1000000000ull	/* a command must finish within 1 s */
#define VTD_ROOT_ENTRIES	256		/* buses */
#define VTD_CTX_ENTRIES		256		/* dev.fn */
#define CACHELINE		64

/* ------------------------------------------------------ registers ---- */

static uint32_t rd32(struct vtd_unit *u, unsigned off)
{
	return *(volatile uint32_t *)((uint8_t *)u->regs + off);
}

static void wr32(struct vtd_unit *u, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)((uint8_t *)u->regs + off) = v;
}

static uint64_t rd64(struct vtd_unit *u, unsigned off)
{
	return *(volatile uint64_t *)((uint8_t *)u->regs + off);
}

static void wr64(struct vtd_unit *u, unsigned off, uint64_t v)
{
	*(volatile uint64_t *)((uint8_t *)u->regs + off) = v;
}

/* Spin until (reg & mask) == want; -ETIMEDOUT after VTD_WAIT_NS. */
static int wait64(struct vtd_unit *u, unsigned off, uint64_t mask, uint64_t want)
{
	uint64_t end = time_ns() + VTD_WAIT_NS;

	while ((rd64(u, off) & mask) != want) {
		if (time_ns() > end) {
			kprintf("iommu: unit %u: register %#x stuck at %#lx\n", u->index, off,
				rd64(u, off));
			return -ETIMEDOUT;
		}
		__asm__ __volatile__("pause");
	}
	return 0;
}

static int wait32(struct vtd_unit *u, unsigned off, uint32_t mask, uint32_t want)
{
	uint64_t end = time_ns() + VTD_WAIT_NS;

	while ((rd32(u, off) & mask) != want) {
		if (time_ns() > end) {
			kprintf("iommu: unit %u: register %#x stuck at %#x\n", u->index, off,
				rd32(u, off));
			return -ETIMEDOUT;
		}
		__asm__ __volatile__("pause");
	}
	return 0;
}

/*
 * Issue a global command: GCMD takes the persistent status bits again
 * plus @set, minus @clear [VTD 11.4.4.1]; wait until GSTS shows @wait_bit
 * as @want.
 */
static int gcmd(struct vtd_unit *u, uint32_t set, uint32_t clear, uint32_t wait_bit,
		bool want)
{
	uint32_t st = rd32(u, VTD_REG_GSTS) & VTD_GSTS_PERSIST;

	wr32(u, VTD_REG_GCMD, (st | set) & ~clear);
	return wait32(u, VTD_REG_GSTS, wait_bit, want ? wait_bit : 0);
}

/* Make table writes visible to a unit that does not snoop (ECAP.C = 0). */
static void flush_lines(struct vtd_unit *u, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(CACHELINE - 1);

	if (u->coherent)
		return;
	for (; a < (uintptr_t)p + len; a += CACHELINE)
		__asm__ __volatile__("clflush (%0)" :: "r"(a) : "memory");
	__asm__ __volatile__("mfence" ::: "memory");
}

static uint64_t alloc_table(struct vtd_unit *u)
{
	uint64_t pa = pmm_alloc_page();

	if (pa) {
		memset(phys_to_virt(pa), 0, VTD_PAGE);
		flush_lines(u, phys_to_virt(pa), VTD_PAGE);
	}
	return pa;
}

/* ------------------------------------------------- invalidation ---- */

static void flush_context_global(struct vtd_unit *u)
{
	wr64(u, VTD_REG_CCMD, VTD_CCMD_ICC | VTD_CCMD_GLOBAL);
	wait64(u, VTD_REG_CCMD, VTD_CCMD_ICC, 0);
	u->ctx_flushes++;
}

static void flush_iotlb_cmd(struct vtd_unit *u, uint64_t cmd)
{
	/* drain the unit's pending reads and writes too, where it can: the
	 * page must be out of reach when this returns */
	uint64_t drain = (u->cap & VTD_CAP_DRD ? VTD_IOTLB_DR : 0) |
			 (u->cap & VTD_CAP_DWD ? VTD_IOTLB_DW : 0);

	wr64(u, u->iotlb_off + VTD_IOTLB_REG, VTD_IOTLB_IVT | drain | cmd);
	wait64(u, u->iotlb_off + VTD_IOTLB_REG, VTD_IOTLB_IVT, 0);
	u->iotlb_flushes++;
}

static void flush_write_buffer(struct vtd_unit *u)
{
	if (u->cap & VTD_CAP_RWBF)
		gcmd(u, VTD_GCMD_WBF, 0, VTD_GSTS_WBFS, false);
}

void vtd_flush_iotlb(struct vtd_unit *u, uint16_t did, uint64_t iova, uint64_t npages)
{
	uint64_t first = iova >> VTD_PAGE_SHIFT, last = first + npages - 1;
	unsigned am = 0;

	assert_held(&iommu_lock);
	flush_write_buffer(u);
	while ((first >> am) != (last >> am))
		am++;
	if ((u->cap & VTD_CAP_PSI) && am <= VTD_CAP_MAMV(u->cap)) {
		wr64(u, u->iotlb_off + VTD_IOTLB_IVA, ((first >> am) << am) << VTD_PAGE_SHIFT |
		     VTD_IVA_AM(am));
		flush_iotlb_cmd(u, VTD_IOTLB_PAGE | VTD_IOTLB_DID(did));
		/* IAIG 0: the unit refused that granularity; do the domain */
		if (VTD_IOTLB_IAIG(rd64(u, u->iotlb_off + VTD_IOTLB_REG)) != 0)
			return;
	}
	flush_iotlb_cmd(u, VTD_IOTLB_DOMAIN | VTD_IOTLB_DID(did));
}

void vtd_after_map(struct vtd_unit *u, uint16_t did, uint64_t iova, uint64_t npages)
{
	assert_held(&iommu_lock);
	if (u->cap & VTD_CAP_CM)
		vtd_flush_iotlb(u, did, iova, npages);
	else
		flush_write_buffer(u);
}

/* ------------------------------------------------ context entries ---- */

int vtd_context_set(struct vtd_unit *u, uint8_t bus, uint8_t devfn, uint16_t did,
		    uint64_t pgd_pa)
{
	uint64_t *re = &u->root[2 * bus], *ce;

	assert_held(&iommu_lock);
	if (!(re[0] & VTD_ROOT_P)) {
		uint64_t ctx = alloc_table(u);

		if (!ctx)
			return -ENOMEM;
		re[1] = 0;
		re[0] = ctx | VTD_ROOT_P;
		flush_lines(u, re, 16);
	}
	ce = (uint64_t *)phys_to_virt(re[0] & VTD_ADDR_MASK) + 2 * devfn;
	ce[1] = (u->levels == 3 ? VTD_CTX_AW_39 : VTD_CTX_AW_48) | VTD_CTX_DID(did);
	__atomic_store_n(&ce[0], pgd_pa | VTD_CTX_TT_UNTRANSLATED | VTD_CTX_P,
			 __ATOMIC_RELEASE);
	flush_lines(u, ce, 16);
	/* not-present -> present: only caching mode may have cached the old
	 * entry, but a global flush once per device costs nothing */
	flush_write_buffer(u);
	flush_context_global(u);
	flush_iotlb_cmd(u, VTD_IOTLB_DOMAIN | VTD_IOTLB_DID(did));
	return 0;
}

/* ----------------------------------------------- second-level tables ---- */

static unsigned level_index(uint64_t iova, unsigned level)
{
	return (iova >> (VTD_PAGE_SHIFT + VTD_SL_LEVEL_BITS * (level - 1))) &
	       (VTD_SL_ENTRIES - 1);
}

/* The entry for @iova at level @stop (1: the 4 KiB leaf, 2: the 2 MiB
 * one), allocating tables when @alloc; NULL if a table is missing, or if
 * a 2 MiB page sits above @stop (its entry holds no table to descend). */
static uint64_t *walk_to(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova, bool alloc,
			 unsigned stop)
{
	uint64_t *t = phys_to_virt(pgd_pa);

	for (unsigned lvl = u->levels; lvl > stop; lvl--) {
		uint64_t *e = &t[level_index(iova, lvl)];

		if (*e & VTD_SL_PS)
			return NULL;
		if (!(*e & (VTD_SL_R | VTD_SL_W))) {
			uint64_t pa = alloc ? alloc_table(u) : 0;

			if (!pa)
				return NULL;
			*e = pa | VTD_SL_R | VTD_SL_W;
			flush_lines(u, e, sizeof(*e));
		}
		t = phys_to_virt(*e & VTD_ADDR_MASK);
	}
	return &t[level_index(iova, stop)];
}

/* The leaf entry for @iova, allocating tables when @alloc; NULL if none
 * (or inside a 2 MiB page). */
static uint64_t *walk(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova, bool alloc)
{
	return walk_to(u, pgd_pa, iova, alloc, 1);
}

/* Leaf entries of one leaf table: from @iova's up to @n, never past the
 * table's end.  *@e is the first; returns how many. */
static uint64_t leaf_run(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova, uint64_t n,
			 bool alloc, uint64_t **e)
{
	uint64_t left = VTD_SL_ENTRIES - level_index(iova, 1);

	*e = walk(u, pgd_pa, iova, alloc);
	return n < left ? n : left;
}

int vtd_map_range(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova, const uint64_t *pa,
		  uint64_t n, unsigned prot)
{
	uint64_t bits = (prot & 1 ? VTD_SL_R : 0) | (prot & 2 ? VTD_SL_W : 0), done = 0;

	assert_held(&iommu_lock);
	while (done < n) {
		uint64_t *e, run = leaf_run(u, pgd_pa, iova + done * VTD_PAGE, n - done, true, &e);

		if (!e)
			goto undo;
		for (uint64_t i = 0; i < run; i++) {
			if (e[i]) {		/* a bookkeeping bug: keep what is there */
				if (i)
					flush_lines(u, e, i * sizeof(*e));
				done += i;
				vtd_unmap_range(u, pgd_pa, iova, done);
				return -EEXIST;
			}
			e[i] = (pa[done + i] & VTD_ADDR_MASK) | bits;
		}
		flush_lines(u, e, run * sizeof(*e));
		done += run;
	}
	return 0;
undo:
	vtd_unmap_range(u, pgd_pa, iova, done);
	return -ENOMEM;
}

int vtd_tables_prepare(struct vtd_unit *u, uint64_t pgd_pa, uint64_t end)
{
	uint64_t step = VTD_PAGE << VTD_SL_LEVEL_BITS;	/* one leaf table's reach */

	assert_held(&iommu_lock);
	for (uint64_t iova = 0; iova < end; iova += step)
		if (!walk(u, pgd_pa, iova, true))
			return -ENOMEM;
	return 0;
}

void vtd_unmap_range(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova, uint64_t n)
{
	uint64_t done = 0;

	assert_held(&iommu_lock);
	while (done < n) {
		uint64_t *e, run = leaf_run(u, pgd_pa, iova + done * VTD_PAGE, n - done, false, &e);

		if (e) {
			memset(e, 0, run * sizeof(*e));
			flush_lines(u, e, run * sizeof(*e));
		}
		done += run;
	}
}

uint64_t vtd_pte_lookup(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova)
{
	uint64_t *e = walk(u, pgd_pa, iova, false);

	if (e)
		return *e;
	e = walk_to(u, pgd_pa, iova, false, 2);	/* a 2 MiB page? */
	return e && (*e & VTD_SL_PS) ? *e : 0;
}

bool vtd_has_2m(const struct vtd_unit *u)
{
	return (u->cap & VTD_CAP_SLLPS_2M) != 0;
}

int vtd_map_2m(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova, uint64_t pa, unsigned prot,
	       uint64_t *saved)
{
	uint64_t *e, *leaf;

	assert_held(&iommu_lock);
	if (!vtd_has_2m(u) || (iova | pa) & (VTD_2M - 1))
		return -EINVAL;
	e = walk_to(u, pgd_pa, iova, true, 2);
	if (!e)
		return -ENOMEM;
	/* The IOVA allocator gave the whole 2 MiB: its leaf table, if any,
	 * must be empty; anything else is a bookkeeping bug. */
	if (*e & (VTD_SL_R | VTD_SL_W)) {
		leaf = phys_to_virt(*e & VTD_ADDR_MASK);
		for (unsigned i = 0; i < VTD_SL_ENTRIES; i++)
			if (leaf[i])
				return -EEXIST;
	}
	*saved = *e;
	__atomic_store_n(e, (pa & VTD_ADDR_MASK) | VTD_SL_PS | (prot & 1 ? VTD_SL_R : 0) |
			 (prot & 2 ? VTD_SL_W : 0), __ATOMIC_RELEASE);
	flush_lines(u, e, sizeof(*e));
	return 0;
}

void vtd_unmap_2m(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova, uint64_t saved)
{
	uint64_t *e;

	assert_held(&iommu_lock);
	e = walk_to(u, pgd_pa, iova, false, 2);
	if (!e || !(*e & VTD_SL_PS))
		return;
	__atomic_store_n(e, saved, __ATOMIC_RELEASE);
	flush_lines(u, e, sizeof(*e));
}

static void free_level(uint64_t pa, unsigned level)
{
	uint64_t *t = phys_to_virt(pa);

	if (level > 1) {
		for (unsigned i = 0; i < VTD_SL_ENTRIES; i++)
			if ((t[i] & (VTD_SL_R | VTD_SL_W)) && !(t[i] & VTD_SL_PS))
				free_level(t[i] & VTD_ADDR_MASK, level - 1);
	}
	pmm_free_page(pa);
}

void vtd_free_tables(struct vtd_unit *u, uint64_t pgd_pa)
{
	free_level(pgd_pa, u->levels);
}

/* ------------------------------------------------------- faults ---- */

const char *vtd_fault_reason(unsigned reason)
{
	switch (reason) {
	case VTD_FR_ROOT_NP:		return "root entry not present";
	case VTD_FR_CTX_NP:		return "no context entry: device has no domain";
	case VTD_FR_CTX_INVALID:	return "invalid context entry";
	case VTD_FR_ADDR_BEYOND_AW:	return "address beyond the address width";
	case VTD_FR_WRITE:		return "no write permission";
	case VTD_FR_READ:		return "no read permission";
	case VTD_FR_PT_ADDR:		return "bad page-table address";
	case VTD_FR_ROOT_ADDR:		return "bad root table address";
	case VTD_FR_CTX_RSVD:		return "reserved bits in a context entry";
	case VTD_FR_PT_RSVD:		return "reserved bits in a page-table entry";
	default:			return "unknown reason";
	}
}

unsigned vtd_fault_poll(struct vtd_unit *u, struct vtd_fault *out, unsigned max,
			bool *overflow)
{
	uint32_t fsts = rd32(u, VTD_REG_FSTS);
	unsigned n = 0, idx = VTD_FSTS_FRI(fsts);

	assert_held(&iommu_lock);
	if (idx >= u->nfr)
		idx = 0;
	for (unsigned k = 0; k < u->nfr; k++, idx = (idx + 1) % u->nfr) {
		unsigned off = u->frcd_off + idx * VTD_FRCD_SIZE;
		uint64_t hi = rd64(u, off + VTD_FRCD_HI);

		if (!(hi & VTD_FRCD_F))
			continue;
		if (n < max) {
			out[n].sid = (uint16_t)VTD_FRCD_SID(hi);
			out[n].is_read = hi & VTD_FRCD_T;
			out[n].reason = VTD_FRCD_FR(hi);
			out[n].addr = rd64(u, off + VTD_FRCD_LO) & VTD_FRCD_ADDR_MASK;
			n++;
		}
		/* F is write-1-to-clear, in the record's top dword */
		wr32(u, off + VTD_FRCD_HI + 4, (uint32_t)(VTD_FRCD_F >> 32));
	}
	*overflow = fsts & VTD_FSTS_PFO;
	if (*overflow)
		wr32(u, VTD_REG_FSTS, VTD_FSTS_PFO);
	return n;
}

static void vtd_fault_irq(struct trap_frame *tf, void *ctx)
{
	(void)tf;
	iommu_handle_faults(ctx);
}

void vtd_fault_setup(struct vtd_unit *u)
{
	int vec = irq_alloc_vector(vtd_fault_irq, u, "iommu-fault");
	uint64_t addr;
	uint32_t data;

	u->vector = vec < 0 ? -1 : vec;
	if (vec < 0) {
		kprintf("iommu: unit %u: no vector for the fault event (error %d); "
			"faults are polled\n", u->index, vec);
		return;
	}
	msi_compose(lapic_id(), (uint8_t)vec, &addr, &data);
	wr32(u, VTD_REG_FEDATA, data);
	wr32(u, VTD_REG_FEADDR, (uint32_t)addr);
	wr32(u, VTD_REG_FEUADDR, (uint32_t)(addr >> 32));
	wr32(u, VTD_REG_FECTL, 0);		/* unmask */
}

/* ------------------------------------------------------- probe ---- */

/* Check the values read from VER/CAP/ECAP before anything uses them. */
static int check_regs(struct vtd_unit *u, size_t regs_len, char *why, unsigned wl)
{
	unsigned sagaw = VTD_CAP_SAGAW(u->cap), nd = VTD_CAP_ND(u->cap);

	if (u->ver == 0xFFFFFFFFu || u->cap == ~0ull) {
		snprintf(why, wl, "unit %u at %#lx: registers read all-ones: nothing there",
			 u->index, u->drhd->base);
		return -ENODEV;
	}
	if (u->ver == 0 || u->cap == 0) {
		snprintf(why, wl, "unit %u at %#lx: registers read zero (VER %#x, CAP %#lx): "
			 "nothing there", u->index, u->drhd->base, u->ver, u->cap);
		return -ENODEV;
	}
	if (VTD_VER_MAJOR(u->ver) == 0 || nd == 7) {
		snprintf(why, wl, "unit %u at %#lx: VER %#x / CAP.ND %u are not a VT-d unit's",
			 u->index, u->drhd->base, u->ver, nd);
		return -ENODEV;
	}
	if (sagaw & VTD_SAGAW_39) {
		u->levels = 3;
		u->agaw_bits = 39;
	} else if (sagaw & VTD_SAGAW_48) {
		u->levels = 4;
		u->agaw_bits = 48;
	} else {
		snprintf(why, wl, "unit %u: CAP.SAGAW %#x offers neither 3- nor 4-level tables",
			 u->index, sagaw);
		return -ENOTSUP;
	}
	u->frcd_off = VTD_CAP_FRO(u->cap) * 16;
	u->nfr = VTD_CAP_NFR(u->cap);
	u->iotlb_off = VTD_ECAP_IRO(u->ecap) * 16;
	if (u->frcd_off < VTD_REG_FEUADDR || u->frcd_off + u->nfr * VTD_FRCD_SIZE > regs_len ||
	    u->iotlb_off < VTD_REG_FEUADDR || u->iotlb_off + 16 > regs_len) {
		snprintf(why, wl, "unit %u: fault records at %#x (x%u) or IOTLB registers at "
			 "%#x lie outside its %zu-byte register set", u->index, u->frcd_off,
			 u->nfr, u->iotlb_off, regs_len);
		return -ENODEV;
	}
	u->ndomain_ids = 1u << (4 + 2 * nd);
	if (u->ndomain_ids > 65536)
		u->ndomain_ids = 65536;
	u->coherent = u->ecap & VTD_ECAP_C;
	return 0;
}

int vtd_unit_probe(struct vtd_unit *u, unsigned index, const struct dmar_unit *drhd,
		   char *why, unsigned why_len)
{
	unsigned pages_log2 = drhd->size_pages_log2;
	size_t len = (size_t)VTD_REG_PAGE << (pages_log2 < 4 ? pages_log2 : 4);
	int err;

	memset(u, 0, sizeof(*u));
	u->index = index;
	u->drhd = drhd;
	u->vector = -1;
	if (phys_range_mapped(drhd->base, len)) {
		snprintf(why, why_len, "unit %u: register base %#lx lies in RAM", index,
			 drhd->base);
		return -ENODEV;
	}
	u->regs = ioremap(drhd->base, len);
	if (!u->regs) {
		snprintf(why, why_len, "unit %u: cannot map registers at %#lx", index,
			 drhd->base);
		return -ENOMEM;
	}
	u->ver = rd32(u, VTD_REG_VER);
	u->cap = rd64(u, VTD_REG_CAP);
	u->ecap = rd64(u, VTD_REG_ECAP);
	if ((err = check_regs(u, len, why, why_len)))
		return err;
	if (rd32(u, VTD_REG_GSTS) & VTD_GSTS_TES)	/* firmware left it on */
		gcmd(u, 0, VTD_GCMD_TE, VTD_GSTS_TES, false);
	u->root_pa = alloc_table(u);
	if (!u->root_pa) {
		snprintf(why, why_len, "unit %u: no page for the root table", index);
		return -ENOMEM;
	}
	u->root = phys_to_virt(u->root_pa);
	wr64(u, VTD_REG_RTADDR, u->root_pa | VTD_RTADDR_LEGACY);
	if ((err = gcmd(u, VTD_GCMD_SRTP, 0, VTD_GSTS_RTPS, true))) {
		snprintf(why, why_len, "unit %u: the root table pointer was not taken", index);
		return err;
	}
	flush_context_global(u);
	flush_iotlb_cmd(u, VTD_IOTLB_GLOBAL);
	return 0;
}

int vtd_unit_enable(struct vtd_unit *u)
{
	flush_write_buffer(u);
	return gcmd(u, VTD_GCMD_TE, 0, VTD_GSTS_TES, true);
}
