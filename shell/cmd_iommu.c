/*
 * cmd_iommu.c - the `iommu` shell command: whether DMA remapping is on (and
 * if not, why), the remapping units, each device's domain with the pages
 * mapped for it now, and the faults seen (include/drivers/iommu.h,
 * iommu_status()).  Pending fault records are read first, so a fault
 * shows even when its interrupt has not been taken.
 */
#include <drivers/iommu.h>
#include <lib/errno.h>
#include <shell/shell.h>

static void print_line(const char *line)
{
	shell_printf("%s\n", line);
}

static int cmd_iommu(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		shell_printf("usage: iommu\n");
		return -EINVAL;
	}
	iommu_status(print_line);
	return 0;
}

SHELL_CMD("iommu", "iommu", "DMA remapping (VT-d): on or off, domains, mapped pages, faults",
	  cmd_iommu);
