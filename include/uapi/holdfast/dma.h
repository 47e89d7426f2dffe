/*
 * holdfast/dma.h - the user interface of /dev/dma0, the DMA engine as a
 * device file (docs/dma0.4.md has the manual page).  User programs
 * include it as <holdfast/dma.h> (make user adds -Iinclude/uapi); the
 * kernel's syscall/dmadev.c serves it.  Plain C, fixed-size fields: the
 * layout is the ABI.
 *
 * A program asks the engine to copy @len bytes from @src to @dst, two
 * ranges of its own memory: anonymous memory, a DAX mapping of a file
 * (mmap MAP_SHARED: the file's blocks), or a mix.  The kernel pins both
 * ranges (pin_user_pages), programs the device, and drops each page's pin
 * once the device is done with it; while a page of a file is pinned, a
 * truncate or punch of that file range waits.
 */
#ifndef HOLDFAST_UAPI_DMA_H
#define HOLDFAST_UAPI_DMA_H

#include <stdint.h>

#define HF_DMA_MAX_LEN	(1u << 20)	/* bytes per request */

struct hf_dma_copy {
	uint64_t dst;		/* in: destination address (writable) */
	uint64_t src;		/* in: source address (readable) */
	uint64_t len;		/* in: bytes, 1 .. HF_DMA_MAX_LEN */
	uint32_t flags;		/* in: HF_DMA_LEASE_* (0: wait); other bits 0 */
	int32_t result;		/* out (COPY, WAIT): 0 or -errno of the transfer */
	uint64_t ns;		/* out (COPY, WAIT): from pin to last completion */
};

/*
 * The lease of the pins on file pages (flags & HF_DMA_LEASE_MASK), for a
 * truncate, hole punch or unlink of those pages while the transfer runs:
 *   WAIT    it waits until the transfer is over (0: what older programs get);
 *   FAIL    it fails at once with ETXTBSY and changes nothing;
 *   REVOKE  it goes on at once: the kernel takes the device's access to the
 *           pages away through the IOMMU and the transfer's result is
 *           -ECANCELED.  Only with DMA remapping on: else the ioctl fails
 *           with EOPNOTSUPP before anything is pinned.
 * Any other value, or another bit set: EINVAL.
 */
#define HF_DMA_LEASE_WAIT	0u
#define HF_DMA_LEASE_FAIL	1u
#define HF_DMA_LEASE_REVOKE	2u
#define HF_DMA_LEASE_MASK	3u

/* ioctl numbers, as Linux's _IOWR('D', nr, struct hf_dma_copy) makes them. */
#define HF_DMA_IOWR(nr)	((3u << 30) | ((unsigned)sizeof(struct hf_dma_copy) << 16) | \
			 ('D' << 8) | (nr))
#define HF_DMA_COPY	HF_DMA_IOWR(1)	/* pin, copy, wait: blocking */
#define HF_DMA_SUBMIT	HF_DMA_IOWR(2)	/* pin and start; returns at once */
#define HF_DMA_WAIT	HF_DMA_IOWR(3)	/* wait for the SUBMIT in flight */

#endif
