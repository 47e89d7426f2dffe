/*
 * iommu.h - DMA remapping (Intel VT-d, QEMU's intel-iommu on q35): the
 * interface every DMA user goes through.
 *
 * With remapping on, a PCI device reaches only the I/O virtual addresses
 * (IOVAs) mapped in its own domain: its rings, and the pages pinned for
 * its transfers while they are pinned (default deny).  Drivers therefore
 * never hand a device a physical address: they call iommu_dma_map() when
 * a transfer starts and iommu_dma_unmap() when it ends, before its pages
 * are unpinned.  With remapping off (no DMAR table, the pc machine, or a
 * DMAR table that failed its checks) iommu_dma_map() returns the physical
 * address itself and iommu_dma_unmap() does nothing, so a driver has one
 * code path.
 *
 * Revocation (pin leases, fs/dax.c): iommu_revoke_phys() takes away every
 * device's access to a physical range at once, whoever mapped it, and
 * returns when no device can reach it any more (IOTLB invalidated).  The
 * driver's later iommu_dma_unmap() of a revoked mapping is quiet.  A
 * device access to a revoked range faults; the fault report names what
 * the range used to be (the @what and @off given to iommu_revoke_phys()).
 *
 * Implementation: drivers/iommu/ (iommu.c the domains, I/O addresses,
 * mappings and fault reports; vtd.c the hardware; dmar.c the ACPI
 * table); docs/16-iommu.md.  Locks: each function says; none sleeps
 * unless it says so.
 */
#ifndef DRIVERS_IOMMU_H
#define DRIVERS_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

struct pci_dev;

#define IOMMU_READ	0x1	/* the device may read the range */
#define IOMMU_WRITE	0x2	/* the device may write the range */

/**
 * iommu_init() - find the remapping hardware (ACPI DMAR) and turn
 * translation on, every device with an empty domain; or say on the console
 * why not and leave it off.  Context: boot, after acpi_init(), before
 * pci_init() probes drivers.  Returns 0 (on or off).
 */
int iommu_init(void);

/**
 * iommu_enabled() - is DMA remapping on?  Context: any.
 */
bool iommu_enabled(void);

/**
 * iommu_dma_map() - let @dev reach [@pa, @pa + @len) with @prot
 * (IOMMU_READ/IOMMU_WRITE) and return the address @dev must use in *@iova.
 * @mask: the highest address @dev can generate (its DMA mask): the IOVA
 *        range, last byte included, lies at or below it.
 * @pa need not be page aligned; the IOVA keeps @pa's offset in its page.
 * With remapping off, *@iova = @pa (and -ERANGE if that exceeds @mask);
 * so too for a device no remapping unit covers, and for @dev NULL (a
 * caller with no PCI device, such as a test on fake registers).
 * Locks: none held by the caller is needed; takes the IOMMU's
 * interrupt-safe lock.  Context: any, interrupt handlers included; never
 * sleeps.  Returns 0; -EINVAL (len 0, wrap); -ENOSPC (no IOVA room below
 * @mask); -ENOMEM (page-table pages); -ERANGE (remapping off, @pa + @len
 * above @mask).
 */
int iommu_dma_map(struct pci_dev *dev, uint64_t pa, uint64_t len, unsigned prot,
		  uint64_t mask, uint64_t *iova);

/**
 * iommu_dma_map_pages() - let @dev reach @npages whole pages (physical
 * addresses in @pages[], page aligned; the low 12 bits are ignored) at
 * consecutive IOVAs, so that a scatter list of pages becomes one IOVA
 * range: page i at *@iova + i * 4096.  End it with iommu_dma_unmap(dev,
 * *@iova, npages * 4096).
 * Returns 0 (mapped); 1 when remapping is off or no unit translates @dev
 * (nothing mapped: the device uses the physical addresses themselves);
 * -EINVAL (npages 0), -ENOSPC, -ENOMEM as iommu_dma_map().
 * Locks/context: as iommu_dma_map().
 */
int iommu_dma_map_pages(struct pci_dev *dev, const uint64_t *pages, unsigned npages,
			unsigned prot, uint64_t mask, uint64_t *iova);

/**
 * iommu_dma_map_2m() - let @dev reach the 2 MiB at @pa (2 MiB aligned)
 * through one 2 MiB IOMMU page: one translation for the device instead of
 * 512.  The caller must keep all 2 MiB pinned for @dev until the matching
 * iommu_dma_unmap(dev, *@iova, 2 MiB): the device can reach every byte of
 * it, not only the pages of one transfer.
 * Returns 0 (mapped); 1 when remapping is off or no unit translates @dev;
 * -EINVAL (@pa misaligned); -EOPNOTSUPP (the unit has no 2 MiB pages:
 * use iommu_dma_map_pages()); -ENOSPC, -ENOMEM as iommu_dma_map().
 * Locks/context: as iommu_dma_map().
 */
int iommu_dma_map_2m(struct pci_dev *dev, uint64_t pa, unsigned prot, uint64_t mask,
		     uint64_t *iova);

/**
 * iommu_dma_unmap() - end @dev's access to what iommu_dma_map() returned
 * (@iova, @len as given then).  Returns only when @dev can no longer
 * reach it (IOTLB entries invalidated).  A mapping that was revoked in the
 * meantime is already gone: quietly nothing to do.
 * Locks/context: as iommu_dma_map().
 */
void iommu_dma_unmap(struct pci_dev *dev, uint64_t iova, uint64_t len);

/**
 * iommu_revoke_phys() - take every device's access to [@pa, @pa + @len)
 * away now: unmap each IOVA range mapping any of it, invalidate, and
 * remember each such range with @what (a file name, say) and @off (the
 * file offset of @pa) so a later fault on it is reported as "was @what
 * offset @off, revoked N ms ago".  Returns how many IOVA ranges it took.
 * With remapping off: 0, nothing done.
 * Locks/context: as iommu_dma_map().
 */
unsigned iommu_revoke_phys(uint64_t pa, uint64_t len, const char *what, uint64_t off);

/* Counters for `iommu`, tests and benchmarks. */
struct iommu_stats {
	uint64_t maps, unmaps;		/* iommu_dma_map/unmap that did work */
	uint64_t maps_2m;		/* of the maps: one 2 MiB page (iommu_dma_map_2m) */
	uint64_t pages_mapped;		/* 4 KiB pages mapped now, all domains */
	uint64_t revokes;		/* IOVA ranges taken by iommu_revoke_phys */
	uint64_t faults;		/* fault records read from the hardware */
};

/**
 * iommu_poll_faults() - read the pending fault records of every unit now
 * (reported and counted as the fault interrupt would), for callers that
 * cannot wait for the interrupt.  Context: any; takes the IOMMU's lock.
 */
void iommu_poll_faults(void);

/** iommu_get_stats() - copy the counters into *@st.  Context: any. */
void iommu_get_stats(struct iommu_stats *st);

/**
 * iommu_status() - `iommu` at the shell: whether remapping is on (and if
 * not, why), the units, each domain (device, pages mapped), the faults.
 * @print: called once per line, without a newline.  Context: thread.
 */
void iommu_status(void (*print)(const char *line));

#endif /* DRIVERS_IOMMU_H */
