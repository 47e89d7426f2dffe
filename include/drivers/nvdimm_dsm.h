/*
 * nvdimm_dsm.h - the NVDIMM label-area functions of QEMU's _DSM, called
 * through its I/O-port protocol (no AML interpreter): Get Namespace Label
 * Size, Get Namespace Label Data and Set Namespace Label Data (functions
 * 4, 5 and 6 of the Intel NVDIMM DSM interface, rev. 1, as QEMU's
 * hw/acpi/nvdimm.c implements them; drivers/nvdimm/dsm.c says how).
 *
 * @handle is the NFIT device handle of the DIMM (struct pmem_region.handle).
 * Every reply's length and status are checked; a bad one is reported with
 * kprintf, naming the DIMM, the function and the value.
 *
 * Context: thread context (they sleep on a mutex that guards the single
 * request buffer).  Errors: -EOPNOTSUPP the DIMM has no label area (or
 * the machine no DSM port), -ENODEV no such DIMM, -EINVAL the firmware
 * refused the parameters, -EIO a malformed reply, -ENOMEM no buffer.
 */
#ifndef DRIVERS_NVDIMM_DSM_H
#define DRIVERS_NVDIMM_DSM_H

#include <stdint.h>

/** nvdimm_dsm_label_size - the size of the DIMM's label area and the most
 * bytes one Get/Set call may carry (both checked to be non-zero). */
int nvdimm_dsm_label_size(uint32_t handle, uint32_t *size, uint32_t *max_xfer);

/** nvdimm_dsm_label_read - @len bytes at @off of the label area into @buf,
 * in calls of at most @max_xfer bytes. */
int nvdimm_dsm_label_read(uint32_t handle, uint32_t off, void *buf, uint32_t len,
			  uint32_t max_xfer);

/** nvdimm_dsm_label_write - @len bytes of @buf to @off of the label area,
 * in calls of at most @max_xfer bytes (each one Set Label Data call, done
 * when it returns). */
int nvdimm_dsm_label_write(uint32_t handle, uint32_t off, const void *buf, uint32_t len,
			   uint32_t max_xfer);

#endif
