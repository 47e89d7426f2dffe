/*
 * dsm.c - QEMU's NVDIMM _DSM through its I/O port (include/drivers/
 * nvdimm_dsm.h).
 *
 * The protocol (QEMU docs/specs/acpi_nvdimm.rst and hw/acpi/nvdimm.c;
 * function numbers and payloads from the Intel NVDIMM DSM Interface,
 * rev. 1, sections 4.4-4.6): the guest fills a 4 KiB buffer with the
 * request -- NFIT device handle, revision 1, function, then the function's
 * arguments -- and writes the buffer's 32-bit physical address to I/O port
 * 0x0a18 (4 bytes, write-only).  QEMU handles the write synchronously and
 * puts the reply in the same buffer: a 32-bit length of the whole reply,
 * then the function's output, whose first word is a status.  So when the
 * OUT instruction returns, the reply is there.
 *
 * Locking: one buffer for all DIMMs, guarded by dsm_lock (a mutex: thread
 * context).  The buffer is allocated on first use, below 4 GiB (the port
 * takes 32 bits).
 */
#include <drivers/nvdimm_dsm.h>
#include <arch/x86_64/io.h>
#include <kernel/mm.h>
#include <kernel/sync.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/compiler.h>

#define DSM_IO_PORT		0x0a18	/* NVDIMM_ACPI_IO_BASE, 32-bit write-only */
#define DSM_BUF_SIZE		4096	/* NVDIMM_DSM_MEMORY_SIZE */
#define DSM_ADDR_LIMIT		(1ull << 32)	/* the port takes a 32-bit address */
#define DSM_REVISION		1

/* Function indexes (DSM Interface rev. 1) */
#define DSM_FN_QUERY		0	/* bit n of the reply: function n exists */
#define DSM_FN_LABEL_SIZE	4
#define DSM_FN_GET_LABEL	5
#define DSM_FN_SET_LABEL	6

/* Status codes in a reply (QEMU NVDIMM_DSM_RET_STATUS_*) */
#define DSM_ST_SUCCESS		0
#define DSM_ST_UNSUPPORTED	1
#define DSM_ST_NO_DEVICE	2
#define DSM_ST_INVALID		3

struct dsm_in {
	uint32_t handle;
	uint32_t revision;
	uint32_t function;
	uint8_t arg[DSM_BUF_SIZE - 12];
} __packed;

struct dsm_out {
	uint32_t len;			/* bytes of the reply, this field included */
	uint32_t status;		/* for function 0: the supported-function mask */
	uint8_t data[DSM_BUF_SIZE - 8];
} __packed;

struct dsm_label_size_out {
	uint32_t len, status, label_size, max_xfer;
} __packed;

struct dsm_label_io {			/* arguments of Get/Set Label Data */
	uint32_t offset, length;
	uint8_t data[];
} __packed;

#define DSM_OUT_HDR		offsetof(struct dsm_out, data)
#define DSM_SET_MAX		(sizeof(((struct dsm_in *)0)->arg) - sizeof(struct dsm_label_io))
#define DSM_GET_MAX		(sizeof(((struct dsm_out *)0)->data))
#define DSM_LABEL_FNS		(1u << DSM_FN_LABEL_SIZE | 1u << DSM_FN_GET_LABEL | \
				 1u << DSM_FN_SET_LABEL)

_Static_assert(sizeof(struct dsm_in) == DSM_BUF_SIZE, "request fills the page");
_Static_assert(sizeof(struct dsm_out) == DSM_BUF_SIZE, "reply fills the page");

static struct mutex dsm_lock = {
	.name = "dsm_lock",
	.wq = WAIT_QUEUE_INIT(dsm_lock.wq, "dsm_lock"),
};
static void *dsm_buf;			/* guarded by dsm_lock */
static uint64_t dsm_buf_pa;

static int buf_get(void)
{
	uint64_t pa;

	if (dsm_buf)
		return 0;
	pa = pmm_alloc_page();
	if (!pa)
		return -ENOMEM;
	if (pa + DSM_BUF_SIZE > DSM_ADDR_LIMIT) {
		kprintf("nvdimm dsm: buffer at %#lx is above 4 GiB; the DSM port cannot reach it\n", pa);
		pmm_free_page(pa);
		return -ENOMEM;
	}
	dsm_buf_pa = pa;
	dsm_buf = phys_to_virt(pa);
	return 0;
}

static const char *fn_name(uint32_t fn)
{
	switch (fn) {
	case DSM_FN_QUERY:	return "query";
	case DSM_FN_LABEL_SIZE:	return "Get Label Size";
	case DSM_FN_GET_LABEL:	return "Get Label Data";
	case DSM_FN_SET_LABEL:	return "Set Label Data";
	default:		return "?";
	}
}

/*
 * Send the request in dsm_buf (arguments already in place) and check the
 * reply's length against [@min, @max].  Caller holds dsm_lock.
 */
static int dsm_call(uint32_t handle, uint32_t fn, uint32_t min, uint32_t max)
{
	struct dsm_in *in = dsm_buf;
	struct dsm_out *out = dsm_buf;

	in->handle = handle;
	in->revision = DSM_REVISION;
	in->function = fn;
	barrier();		/* the request is in memory before QEMU reads it */
	outl(DSM_IO_PORT, (uint32_t)dsm_buf_pa);
	barrier();		/* and the reply is read after */
	if (out->len == handle && out->status == DSM_REVISION)
		return -EOPNOTSUPP;	/* untouched: no DSM port on this machine */
	if (out->len < min || out->len > max) {
		kprintf("nvdimm dsm: DIMM %#x: %s reply is %u bytes long (expected %u..%u)\n",
			handle, fn_name(fn), out->len, min, max);
		return -EIO;
	}
	return 0;
}

/* A non-query reply's status as an errno, said when it is not success. */
static int dsm_status(uint32_t handle, uint32_t fn)
{
	struct dsm_out *out = dsm_buf;

	switch (out->status) {
	case DSM_ST_SUCCESS:	return 0;
	case DSM_ST_UNSUPPORTED: return -EOPNOTSUPP;
	case DSM_ST_NO_DEVICE:
		kprintf("nvdimm dsm: DIMM %#x: %s: no such memory device\n", handle, fn_name(fn));
		return -ENODEV;
	case DSM_ST_INVALID:
		kprintf("nvdimm dsm: DIMM %#x: %s: invalid input parameters\n", handle, fn_name(fn));
		return -EINVAL;
	default:
		kprintf("nvdimm dsm: DIMM %#x: %s: unknown status %#x\n", handle, fn_name(fn),
			out->status);
		return -EIO;
	}
}

/* Does the DIMM offer functions 4, 5 and 6?  Caller holds dsm_lock. */
static int has_label_fns(uint32_t handle)
{
	struct dsm_out *out = dsm_buf;
	int err = dsm_call(handle, DSM_FN_QUERY, DSM_OUT_HDR, DSM_OUT_HDR);

	if (err)
		return err;
	return (out->status & DSM_LABEL_FNS) == DSM_LABEL_FNS ? 0 : -EOPNOTSUPP;
}

static int label_size_locked(uint32_t handle, uint32_t *size, uint32_t *max_xfer)
{
	struct dsm_label_size_out *out = dsm_buf;
	int err;

	if ((err = has_label_fns(handle)))
		return err;
	memset(dsm_buf, 0, DSM_BUF_SIZE);
	if ((err = dsm_call(handle, DSM_FN_LABEL_SIZE, DSM_OUT_HDR, sizeof(*out))) ||
	    (err = dsm_status(handle, DSM_FN_LABEL_SIZE)))
		return err;
	if (out->len != sizeof(*out) || out->label_size == 0 || out->max_xfer == 0) {
		kprintf("nvdimm dsm: DIMM %#x: label size reply of %u bytes says size %u, "
			"transfers of %u bytes; refused\n", handle, out->len, out->label_size,
			out->max_xfer);
		return -EIO;
	}
	*size = out->label_size;
	*max_xfer = MIN(out->max_xfer, (uint32_t)MIN(DSM_SET_MAX, DSM_GET_MAX));
	return 0;
}

int nvdimm_dsm_label_size(uint32_t handle, uint32_t *size, uint32_t *max_xfer)
{
	int err;

	mutex_lock(&dsm_lock);
	err = buf_get();
	if (!err)
		err = label_size_locked(handle, size, max_xfer);
	mutex_unlock(&dsm_lock);
	return err;
}

/* One Get (@set false) or Set call of @len <= the transfer limit bytes. */
static int label_io_one(uint32_t handle, bool set, uint32_t off, uint8_t *buf, uint32_t len)
{
	struct dsm_in *in = dsm_buf;
	struct dsm_out *out = dsm_buf;
	struct dsm_label_io *io = (void *)in->arg;
	uint32_t fn = set ? DSM_FN_SET_LABEL : DSM_FN_GET_LABEL;
	uint32_t want = DSM_OUT_HDR + (set ? 0 : len);
	int err;

	memset(dsm_buf, 0, DSM_BUF_SIZE);
	io->offset = off;
	io->length = len;
	if (set)
		memcpy(io->data, buf, len);
	if ((err = dsm_call(handle, fn, DSM_OUT_HDR, DSM_BUF_SIZE)) || (err = dsm_status(handle, fn)))
		return err;
	if (out->len != want) {
		kprintf("nvdimm dsm: DIMM %#x: %s of %u bytes at %#x: reply is %u bytes (expected %u)\n",
			handle, fn_name(fn), len, off, out->len, want);
		return -EIO;
	}
	if (!set)
		memcpy(buf, out->data, len);
	return 0;
}

static int label_io(uint32_t handle, bool set, uint32_t off, uint8_t *buf, uint32_t len,
		    uint32_t max_xfer)
{
	int err;

	if (max_xfer == 0 || off + len < off)
		return -EINVAL;
	max_xfer = MIN(max_xfer, (uint32_t)MIN(DSM_SET_MAX, DSM_GET_MAX));
	mutex_lock(&dsm_lock);
	err = buf_get();
	for (uint32_t done = 0; !err && done < len; done += max_xfer)
		err = label_io_one(handle, set, off + done, buf + done, MIN(max_xfer, len - done));
	mutex_unlock(&dsm_lock);
	return err;
}

int nvdimm_dsm_label_read(uint32_t handle, uint32_t off, void *buf, uint32_t len,
			  uint32_t max_xfer)
{
	return label_io(handle, false, off, buf, len, max_xfer);
}

int nvdimm_dsm_label_write(uint32_t handle, uint32_t off, const void *buf, uint32_t len,
			   uint32_t max_xfer)
{
	return label_io(handle, true, off, (uint8_t *)buf, len, max_xfer);
}
