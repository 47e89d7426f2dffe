/*
 * iommu.c - DMA remapping off: the interface of <drivers/iommu.h> with no
 * remapping hardware driven (the VT-d driver replaces this file).
 * Physical addresses are the I/O addresses.
 */
#include <drivers/iommu.h>
#include <lib/errno.h>
#include <lib/string.h>

int iommu_init(void)
{
	return 0;
}

bool iommu_enabled(void)
{
	return false;
}

int iommu_dma_map(struct pci_dev *dev, uint64_t pa, uint64_t len, unsigned prot,
		  uint64_t mask, uint64_t *iova)
{
	(void)dev;
	(void)prot;
	if (len == 0 || pa + len < pa)
		return -EINVAL;
	if (pa + len - 1 > mask)
		return -ERANGE;
	*iova = pa;
	return 0;
}

void iommu_dma_unmap(struct pci_dev *dev, uint64_t iova, uint64_t len)
{
	(void)dev;
	(void)iova;
	(void)len;
}

unsigned iommu_revoke_phys(uint64_t pa, uint64_t len, const char *what, uint64_t off)
{
	(void)pa;
	(void)len;
	(void)what;
	(void)off;
	return 0;
}

void iommu_get_stats(struct iommu_stats *st)
{
	memset(st, 0, sizeof(*st));
}

void iommu_status(void (*print)(const char *line))
{
	print("iommu: DMA remapping is off (no VT-d driver in this kernel)");
}
