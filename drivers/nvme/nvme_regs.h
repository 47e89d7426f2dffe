/*
 * nvme_regs.h - NVMe controller registers, queue entries, opcodes and
 * status codes, as the driver uses them.  Private to drivers/nvme/.
 *
 * [NVMe] NVM Express Base Specification, Revision 1.4c:
 *   3.1   controller registers (BAR0, memory space, little endian)
 *   4.2   submission queue entry, 4.6 completion queue entry
 *   4.3   PRP entries and PRP lists
 *   5     admin commands, 6 NVM commands (NVM Command Set)
 */
#ifndef DRIVERS_NVME_REGS_H
#define DRIVERS_NVME_REGS_H

#include <stdint.h>

/* PCI class code of an NVM Express controller [CODES 1]: mass storage,
 * non-volatile memory controller, NVM Express I/O controller. */
#define NVME_PCI_CLASS		0x01
#define NVME_PCI_SUBCLASS	0x08
#define NVME_PCI_PROGIF		0x02
#define NVME_BAR		0

/* Controller registers [NVMe 3.1], offsets in BAR0; access mode after it. */
#define NVME_REG_CAP		0x00	/* 64 bits, RO: capabilities */
#define NVME_REG_VS		0x08	/* 32, RO: version */
#define NVME_REG_INTMS		0x0C	/* 32, RW1S: interrupt mask set (INTx/MSI) */
#define NVME_REG_INTMC		0x10	/* 32, RW1C: interrupt mask clear */
#define NVME_REG_CC		0x14	/* 32, RW: configuration */
#define NVME_REG_CSTS		0x1C	/* 32, RO (NSSRO RW1C): status */
#define NVME_REG_AQA		0x24	/* 32, RW: admin queue attributes */
#define NVME_REG_ASQ		0x28	/* 64, RW: admin SQ base */
#define NVME_REG_ACQ		0x30	/* 64, RW: admin CQ base */
#define NVME_REG_DBS		0x1000	/* doorbells: SQ y tail at 0x1000 + 2y*(4<<DSTRD),
					 * CQ y head at 0x1000 + (2y+1)*(4<<DSTRD) */

/* CAP fields [NVMe 3.1.1] */
#define NVME_CAP_MQES(c)	((unsigned)((c) & 0xFFFF))		/* max entries - 1 */
#define NVME_CAP_CQR(c)		((unsigned)(((c) >> 16) & 1))		/* contiguous queues required */
#define NVME_CAP_TO(c)		((unsigned)(((c) >> 24) & 0xFF))	/* ready timeout, 500 ms units */
#define NVME_CAP_DSTRD(c)	((unsigned)(((c) >> 32) & 0xF))		/* doorbell stride 4 << n */
#define NVME_CAP_CSS_NVM(c)	((unsigned)(((c) >> 37) & 1))		/* NVM command set */
#define NVME_CAP_MPSMIN(c)	((unsigned)(((c) >> 48) & 0xF))		/* 4 KiB << n */
#define NVME_CAP_MPSMAX(c)	((unsigned)(((c) >> 52) & 0xF))
#define NVME_CAP_TO_UNIT_MS	500

/* CC fields [NVMe 3.1.5] */
#define NVME_CC_EN		(1u << 0)
#define NVME_CC_CSS_NVM		(0u << 4)
#define NVME_CC_MPS_SHIFT	7		/* 4 KiB << MPS */
#define NVME_CC_AMS_RR		(0u << 11)	/* round robin arbitration */
#define NVME_CC_SHN_MASK	(3u << 14)
#define NVME_CC_IOSQES_SHIFT	16		/* log2 of the SQ entry size */
#define NVME_CC_IOCQES_SHIFT	20		/* log2 of the CQ entry size */

/* CSTS fields [NVMe 3.1.6] */
#define NVME_CSTS_RDY		(1u << 0)
#define NVME_CSTS_CFS		(1u << 1)	/* controller fatal status */
#define NVME_CSTS_GONE		0xFFFFFFFFu	/* what an absent device reads as */

/* AQA [NVMe 3.1.8]: ACQS (bits 27:16) and ASQS (11:0), both entries - 1 */
#define NVME_AQA(sq, cq)	((((uint32_t)(cq) - 1) << 16) | ((uint32_t)(sq) - 1))

/* Queue entries [NVMe 4.2, 4.6] */
#define NVME_SQE_SIZE		64
#define NVME_CQE_SIZE		16
#define NVME_SQES_LOG2		6
#define NVME_CQES_LOG2		4

struct nvme_sqe {
	uint8_t opcode;
	uint8_t flags;			/* FUSE 1:0, PSDT 7:6 (0: PRPs) */
	uint16_t cid;
	uint32_t nsid;
	uint32_t cdw2, cdw3;
	uint64_t mptr;
	uint64_t prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_cqe {
	uint32_t result;		/* DW0: command specific */
	uint32_t rsvd;
	uint16_t sq_head;		/* DW2: SQHD, SQID */
	uint16_t sq_id;
	uint16_t cid;			/* DW3: CID, then P and the status field */
	uint16_t status;		/* bit 0 phase, 8:1 SC, 11:9 SCT, 15 DNR */
};

_Static_assert(sizeof(struct nvme_sqe) == NVME_SQE_SIZE, "SQ entry is 64 bytes");
_Static_assert(sizeof(struct nvme_cqe) == NVME_CQE_SIZE, "CQ entry is 16 bytes");

#define NVME_CQE_PHASE(s)	((s) & 1u)
#define NVME_CQE_STATUS(s)	(((s) >> 1) & 0x7FFu)	/* SCT << 8 | SC */
#define NVME_CQE_DNR(s)		(((s) >> 15) & 1u)

/* Admin opcodes [NVMe 5, figure 139] */
#define NVME_ADM_DELETE_SQ	0x00
#define NVME_ADM_CREATE_SQ	0x01
#define NVME_ADM_DELETE_CQ	0x04
#define NVME_ADM_CREATE_CQ	0x05
#define NVME_ADM_IDENTIFY	0x06
#define NVME_ADM_ABORT		0x08
#define NVME_ADM_SET_FEATURES	0x09

/* Create I/O queue flags [NVMe 5.3, 5.4] */
#define NVME_QUEUE_PC		(1u << 0)	/* physically contiguous */
#define NVME_CQ_IEN		(1u << 1)	/* interrupts enabled */

/* Identify CNS values [NVMe 5.15.1] */
#define NVME_CNS_NS		0x00
#define NVME_CNS_CTRL		0x01
#define NVME_CNS_NS_LIST	0x02	/* active namespace IDs */
#define NVME_IDENTIFY_SIZE	4096

/* Identify Controller fields [NVMe figure 247], byte offsets */
#define NVME_IDC_SN		4	/* 20 bytes ASCII */
#define NVME_IDC_SN_LEN		20
#define NVME_IDC_MN		24	/* 40 bytes ASCII */
#define NVME_IDC_MN_LEN		40
#define NVME_IDC_FR		64	/* 8 bytes ASCII */
#define NVME_IDC_FR_LEN		8
#define NVME_IDC_MDTS		77	/* max transfer 2^n min pages; 0: none */
#define NVME_IDC_SQES		512	/* 3:0 required log2, 7:4 max log2 */
#define NVME_IDC_CQES		513
#define NVME_IDC_NN		516	/* 32 bits: number of namespaces */
#define NVME_IDC_VWC		525	/* bit 0: volatile write cache present */

/* Identify Namespace fields [NVMe figure 245] */
#define NVME_IDN_NSZE		0	/* 64 bits: size in logical blocks */
#define NVME_IDN_NLBAF		25	/* number of LBA formats - 1 */
#define NVME_IDN_FLBAS		26	/* 3:0 the format in use */
#define NVME_IDN_LBAF		128	/* 16 entries of 32 bits */
#define NVME_LBAF_MS(f)		((f) & 0xFFFF)		/* metadata bytes */
#define NVME_LBAF_LBADS(f)	(((f) >> 16) & 0xFF)	/* log2 of the block size */
#define NVME_LBADS_MIN		9			/* 512 B */
#define NVME_LBADS_MAX		12			/* 4 KiB: one memory page */

/* Features [NVMe 5.21.1] */
#define NVME_FEAT_NUM_QUEUES	0x07

/* NVM command set opcodes [NVMe 6, figure 346] */
#define NVME_CMD_FLUSH		0x00
#define NVME_CMD_WRITE		0x01
#define NVME_CMD_READ		0x02

/* PRPs [NVMe 4.3]: with a 4 KiB memory page, one PRP list page holds 512
 * entries; this driver never chains lists, so a command moves at most
 * 513 pages (and MDTS usually less). */
#define NVME_PAGE		4096u
#define NVME_PRP_PER_PAGE	(NVME_PAGE / sizeof(uint64_t))

/* Status code types and the codes the driver names [NVMe 4.6.1.2] */
#define NVME_SCT_GENERIC	0
#define NVME_SCT_CMD		1
#define NVME_SCT_MEDIA		2
#define NVME_SC_ABORT_REQ	0x007	/* Command Abort Requested */
#define NVME_SC_LBA_RANGE	0x080	/* LBA Out of Range */

#endif
