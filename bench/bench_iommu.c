/*
 * bench_iommu.c - the IOMMU's cost per page (drivers/iommu/):
 *
 *   iommu_map_unmap   ns per 4 KiB pmem page for what a DMA submission and
 *                     its completion add with remapping on: pin the page,
 *                     iommu_dma_map() it for a device (I/O address, page-
 *                     table entry), iommu_dma_unmap() (entry cleared,
 *                     page-selective IOTLB invalidation through the
 *                     registers, waited for), unpin.  Mean over 64 Ki pages
 *                     (4 Ki in quick mode), one page at a time.
 *
 * With remapping off the same loop measures the API's off path (the
 * physical address handed back, nothing to invalidate): scripts/bench.py
 * reports that as iommu_map_unmap_off, and runs this again in a second
 * boot with -device intel-iommu, with nvme_to_file (as nvme_to_file_iommu).
 */
#include <bench/bench.h>
#include <drivers/iommu.h>
#include <drivers/pci.h>
#include <drivers/pmem.h>
#include <kernel/timer.h>
#include <lib/errno.h>

#define PAGES		65536
#define Q_PAGES		4096
#define PG		4096ull

/* A device some driver took (edu or NVMe): its domain exists (bench.h). */
struct pci_dev *bench_dma_device(void)
{
	struct pci_dev *d;

	pci_for_each_dev(d) {
		if (d->driver && d->header_type == PCI_HEADER_NORMAL)
			return d;
	}
	return NULL;
}

static int bench_iommu_map_unmap(const struct bench_opts *o, uint64_t *v, const char **why)
{
	struct pmem_region *r = pmem_region(0);
	struct pci_dev *dev = bench_dma_device();
	uint64_t n = o->quick ? Q_PAGES : PAGES, t0, base, span;

	if (!r || (!dev && iommu_enabled())) {
		*why = !r ? "no pmem region" : "no PCI device with a driver";
		return -ENODEV;
	}
	base = pmem_page_to_phys(&r->pages[0]);
	span = r->npages;
	t0 = time_ns();
	for (uint64_t i = 0; i < n; i++) {
		struct pmem_page *p = &r->pages[i % span];
		uint64_t iova;
		int err;

		pmem_pin_page(p);
		err = iommu_dma_map(dev, base + (i % span) * PG, PG, IOMMU_READ | IOMMU_WRITE,
				    UINT64_MAX, &iova);
		if (!err)
			iommu_dma_unmap(dev, iova, PG);
		pmem_unpin_page(p);
		if (err) {
			*why = "iommu_dma_map failed";
			return err;
		}
	}
	*v = (time_ns() - t0) / n;
	return 0;
}
BENCH(64, "iommu_map_unmap", "ns", false, bench_iommu_map_unmap);
