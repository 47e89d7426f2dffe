/*
 * iommu_internal.h - what the two halves of drivers/iommu/ share:
 * vtd.c drives one remapping unit (registers, root and context tables,
 * second-level page tables, invalidation, fault records); iommu.c keeps
 * the domains, IOVAs, mappings and revoked ranges behind <drivers/iommu.h>.
 * Nothing outside drivers/iommu/ includes this.
 *
 * Locking: every vtd_* function below except vtd_unit_probe(),
 * vtd_unit_enable() and vtd_fault_setup() runs with iommu_lock held
 * (a spinlock taken irqsave: map/unmap come from interrupt handlers too),
 * so one unit's registers and tables are never touched by two CPUs at
 * once.  They spin on the hardware's busy bits, never sleep.
 */
#ifndef DRIVERS_IOMMU_INTERNAL_H
#define DRIVERS_IOMMU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <drivers/dmar.h>
#include <kernel/sync.h>

#define VTD_PAGE_SHIFT		12
#define VTD_PAGE		(1ull << VTD_PAGE_SHIFT)
#define VTD_2M			(1ull << 21)
#define VTD_2M_PAGES		(VTD_2M / VTD_PAGE)

/* One remapping hardware unit (a DRHD). */
struct vtd_unit {
	/* set by vtd_unit_probe(), then read-only */
	unsigned index;
	const struct dmar_unit *drhd;	/* in the kept dmar_info */
	void *regs;
	uint32_t ver;
	uint64_t cap, ecap;
	unsigned levels;		/* second-level table depth: 3 or 4 */
	unsigned agaw_bits;		/* 39 or 48 */
	unsigned iotlb_off, frcd_off, nfr;
	unsigned ndomain_ids;		/* 2^(4 + 2 * CAP.ND) */
	bool coherent;			/* ECAP.C: walks snoop the CPU caches */
	uint64_t root_pa;
	int vector;			/* fault event; -1: polled only */

	/* iommu_lock */
	uint64_t *root;			/* 256 root entries (128 bits each) */
	uint64_t iotlb_flushes, ctx_flushes;
};

extern spinlock_t iommu_lock;

/**
 * vtd_unit_probe() - map @drhd's registers, read and check VER/CAP/ECAP,
 * allocate the root table and load it (translation stays off).
 * @why: where a reason is written on failure (@why_len bytes).
 * Boot, thread context.  Returns 0; -ENODEV (nothing answers at the
 * base, or values no VT-d unit reports), -ENOTSUP (no 3- or 4-level
 * second-level tables), -ENOMEM, -ETIMEDOUT (a command never completed).
 */
int vtd_unit_probe(struct vtd_unit *u, unsigned index, const struct dmar_unit *drhd,
		   char *why, unsigned why_len);

/** vtd_fault_setup() - program the fault event as an MSI to this CPU, or
 * leave it masked (faults are then polled).  Boot. */
void vtd_fault_setup(struct vtd_unit *u);

/** vtd_unit_enable() - turn translation on (GCMD.TE) and wait for GSTS.
 * Returns 0 or -ETIMEDOUT.  Boot. */
int vtd_unit_enable(struct vtd_unit *u);

/**
 * vtd_context_set() - make @bus:@devfn's context entry point at the
 * second-level table @pgd_pa with domain id @did, allocating the bus's
 * context table when it has none.  iommu_lock held.  Returns 0, -ENOMEM.
 */
int vtd_context_set(struct vtd_unit *u, uint8_t bus, uint8_t devfn, uint16_t did,
		    uint64_t pgd_pa);

/**
 * vtd_map_range() - map @n 4 KiB pages from @iova on, page i to @pa[i],
 * with @prot, in the table @pgd_pa (one walk per leaf table, the written
 * entries pushed out of the caches together).  iommu_lock held.
 * Returns 0; -ENOMEM (a table page), -EEXIST (an entry was in use: a
 * bookkeeping bug); on failure nothing of it stays mapped.
 */
int vtd_map_range(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova, const uint64_t *pa,
		  uint64_t n, unsigned prot);

/**
 * vtd_tables_prepare() - allocate every table page that IOVAs [0, @end)
 * need, so that later maps there never allocate (nor fail for memory).
 * iommu_lock held.  Returns 0, -ENOMEM.
 */
int vtd_tables_prepare(struct vtd_unit *u, uint64_t pgd_pa, uint64_t end);

/** vtd_unmap_range() - clear the leaf entries of @n pages from @iova
 * (no invalidation: the caller's vtd_flush_iotlb() follows).  Lock held. */
void vtd_unmap_range(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova, uint64_t n);

/**
 * vtd_has_2m() - can @u's second-level tables map 2 MiB pages (CAP.SLLPS
 * bit 0)?  Any context.
 */
bool vtd_has_2m(const struct vtd_unit *u);

/**
 * vtd_map_2m() - map the 2 MiB at @iova to the 2 MiB at @pa (both 2 MiB
 * aligned) with one level-2 entry (PS set), with @prot.  The level-2 entry
 * it replaces (an empty leaf table's pointer, or 0) goes to *@saved, for
 * vtd_unmap_2m().  iommu_lock held.  Returns 0; -EINVAL (no 2 MiB pages,
 * or misaligned), -ENOMEM (a table page), -EEXIST (a 4 KiB entry in the
 * range is in use: a bookkeeping bug).
 */
int vtd_map_2m(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova, uint64_t pa, unsigned prot,
	       uint64_t *saved);

/** vtd_unmap_2m() - put @saved back in place of the 2 MiB entry at @iova
 * (no invalidation: the caller's vtd_flush_iotlb() follows).  Lock held. */
void vtd_unmap_2m(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova, uint64_t saved);

/** vtd_pte_lookup() - the entry that maps @iova (a leaf, or a 2 MiB
 * entry with VTD_SL_PS), 0 when none.  Lock held. */
uint64_t vtd_pte_lookup(struct vtd_unit *u, uint64_t pgd_pa, uint64_t iova);

/**
 * vtd_flush_iotlb() - invalidate @did's IOTLB entries for @npages pages at
 * @iova (page-selective when CAP.PSI allows one aligned block covering
 * them, else the whole domain), draining reads and writes, and wait for
 * it to finish.  iommu_lock held.
 */
void vtd_flush_iotlb(struct vtd_unit *u, uint16_t did, uint64_t iova, uint64_t npages);

/** vtd_after_map() - what a not-present -> present change needs: an
 * IOTLB flush in caching mode, a write-buffer flush where CAP.RWBF. */
void vtd_after_map(struct vtd_unit *u, uint16_t did, uint64_t iova, uint64_t npages);

/** vtd_free_tables() - free a domain's second-level table pages. */
void vtd_free_tables(struct vtd_unit *u, uint64_t pgd_pa);

/* One fault record, decoded. */
struct vtd_fault {
	uint16_t sid;			/* bus << 8 | dev << 3 | fn */
	bool is_read;
	unsigned reason;		/* VTD_FR_* */
	uint64_t addr;			/* the page address the device used */
};

/**
 * vtd_fault_poll() - read and clear every pending fault record of @u
 * into @out (at most @max), clear an overflow.  iommu_lock held.
 * Returns how many records were read; *@overflow set when PFO was.
 */
unsigned vtd_fault_poll(struct vtd_unit *u, struct vtd_fault *out, unsigned max,
			bool *overflow);

/* vtd_fault_reason() - the fault reason as words, for reports. */
const char *vtd_fault_reason(unsigned reason);

/* iommu.c: the fault interrupt (or a poll) hands records over here.
 * Takes iommu_lock itself. */
void iommu_handle_faults(struct vtd_unit *u);

#endif /* DRIVERS_IOMMU_INTERNAL_H */
