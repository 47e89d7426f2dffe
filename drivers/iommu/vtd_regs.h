/*
 * vtd_regs.h - Intel VT-d remapping hardware: registers, root/context
 * entries, second-level page-table entries and fault records, by name.
 * For drivers/iommu/ only.
 *
 * Reference: [VTD] Intel Virtualization Technology for Directed I/O,
 * Architecture Specification, rev. 4.x: chapter 9 (translation
 * structure formats), chapter 11 (register descriptions).  What QEMU 7.2
 * implements was read in hw/i386/intel_iommu.c and intel_iommu_internal.h
 * ("QEMU"): legacy (not scalable) mode, register-based invalidation, one
 * fault recording register, caching mode off by default.
 */
#ifndef DRIVERS_IOMMU_VTD_REGS_H
#define DRIVERS_IOMMU_VTD_REGS_H

/* ------------------------------------ register offsets [VTD 11.4] ---- */

#define VTD_REG_VER		0x00	/* RO 32: version [11.4.1] */
#define VTD_REG_CAP		0x08	/* RO 64: capability [11.4.2] */
#define VTD_REG_ECAP		0x10	/* RO 64: extended capability [11.4.3] */
#define VTD_REG_GCMD		0x18	/* WO 32: global command [11.4.4.1] */
#define VTD_REG_GSTS		0x1C	/* RO 32: global status [11.4.4.2] */
#define VTD_REG_RTADDR		0x20	/* RW 64: root table address [11.4.5] */
#define VTD_REG_CCMD		0x28	/* RW 64: context command [11.4.6.1] */
#define VTD_REG_FSTS		0x34	/* RW1C 32: fault status [11.4.7.1] */
#define VTD_REG_FECTL		0x38	/* RW 32: fault event control [11.4.7.2] */
#define VTD_REG_FEDATA		0x3C	/* RW 32: fault event data [11.4.7.3] */
#define VTD_REG_FEADDR		0x40	/* RW 32: fault event address [11.4.7.4] */
#define VTD_REG_FEUADDR		0x44	/* RW 32: fault event upper address */
/* IOTLB registers sit at ECAP.IRO * 16 [11.4.8]: IVA then IOTLB. */
#define VTD_IOTLB_IVA		0x0	/* WO 64: invalidate address */
#define VTD_IOTLB_REG		0x8	/* RW 64: IOTLB invalidate */
/* Fault recording registers at CAP.FRO * 16, 16 bytes each [11.4.7.5]. */
#define VTD_FRCD_SIZE		16
#define VTD_FRCD_LO		0x0	/* 64: fault info (page address) */
#define VTD_FRCD_HI		0x8	/* 64: F, T, reason, source id */

#define VTD_REG_PAGE		4096	/* one register page */

/* VER [11.4.1] */
#define VTD_VER_MAJOR(v)	(((v) >> 4) & 0xFu)
#define VTD_VER_MINOR(v)	((v) & 0xFu)

/* CAP [11.4.2] */
#define VTD_CAP_ND(c)		((unsigned)((c) & 0x7))		/* domains: 2^(4+2*ND) */
#define VTD_CAP_RWBF		(1ull << 4)	/* write-buffer flush required */
#define VTD_CAP_CM		(1ull << 7)	/* caching mode: not-present cached */
#define VTD_CAP_SAGAW(c)	((unsigned)(((c) >> 8) & 0x1F))
#define VTD_SAGAW_39		(1u << 1)	/* 3-level, 39-bit */
#define VTD_SAGAW_48		(1u << 2)	/* 4-level, 48-bit */
#define VTD_CAP_MGAW(c)		((unsigned)(((c) >> 16) & 0x3F) + 1)
#define VTD_CAP_FRO(c)		((unsigned)(((c) >> 24) & 0x3FF))	/* x16 bytes */
#define VTD_CAP_SLLPS_2M	(1ull << 34)	/* second-level 2 MiB pages */
#define VTD_CAP_PSI		(1ull << 39)	/* page-selective IOTLB invalidation */
#define VTD_CAP_NFR(c)		((unsigned)(((c) >> 40) & 0xFF) + 1)
#define VTD_CAP_MAMV(c)		((unsigned)(((c) >> 48) & 0x3F))
#define VTD_CAP_DWD		(1ull << 54)	/* write draining */
#define VTD_CAP_DRD		(1ull << 55)	/* read draining */

/* ECAP [11.4.3] */
#define VTD_ECAP_C		(1ull << 0)	/* page walks snoop the CPU caches */
#define VTD_ECAP_QI		(1ull << 1)
#define VTD_ECAP_IRO(e)		((unsigned)(((e) >> 8) & 0x3FF))	/* x16 bytes */

/* GCMD / GSTS [11.4.4]: same bit positions */
#define VTD_GCMD_TE		(1u << 31)	/* translation enable */
#define VTD_GCMD_SRTP		(1u << 30)	/* set root table pointer (one-shot) */
#define VTD_GCMD_WBF		(1u << 27)	/* write buffer flush (one-shot) */
#define VTD_GSTS_TES		(1u << 31)
#define VTD_GSTS_RTPS		(1u << 30)
#define VTD_GSTS_WBFS		(1u << 27)
/* The status bits that describe persistent state: what a GCMD write
 * must repeat so as not to turn anything off [11.4.4.1]. */
#define VTD_GSTS_PERSIST	0x96FFFFFFu

/* RTADDR [11.4.5]: bits 11:10 translation table mode, 00 legacy */
#define VTD_RTADDR_LEGACY	0x0ull

/* CCMD [11.4.6.1] */
#define VTD_CCMD_ICC		(1ull << 63)	/* invalidate (busy while set) */
#define VTD_CCMD_GLOBAL		(1ull << 61)	/* CIRG 01 */
#define VTD_CCMD_DOMAIN		(2ull << 61)	/* CIRG 10 */
#define VTD_CCMD_DEVICE		(3ull << 61)	/* CIRG 11 */
#define VTD_CCMD_SID(s)		((uint64_t)(s) << 16)
#define VTD_CCMD_DID(d)		((uint64_t)(d))

/* IOTLB [11.4.8.1] and IVA [11.4.8.2] */
#define VTD_IOTLB_IVT		(1ull << 63)	/* invalidate (busy while set) */
#define VTD_IOTLB_GLOBAL	(1ull << 60)	/* IIRG 01 */
#define VTD_IOTLB_DOMAIN	(2ull << 60)	/* IIRG 10 */
#define VTD_IOTLB_PAGE		(3ull << 60)	/* IIRG 11 */
#define VTD_IOTLB_IAIG(v)	(((v) >> 57) & 0x3)	/* granularity done; 0: refused */
#define VTD_IOTLB_DR		(1ull << 49)	/* drain reads */
#define VTD_IOTLB_DW		(1ull << 48)	/* drain writes */
#define VTD_IOTLB_DID(d)	((uint64_t)(d) << 32)
#define VTD_IVA_AM(am)		((uint64_t)(am))	/* 2^am pages, aligned */

/* FSTS [11.4.7.1] */
#define VTD_FSTS_PFO		(1u << 0)	/* RW1C: primary fault overflow */
#define VTD_FSTS_PPF		(1u << 1)	/* RO: a fault record is pending */
#define VTD_FSTS_FRI(s)		(((s) >> 8) & 0xFFu)	/* first record index */

/* FECTL [11.4.7.2] */
#define VTD_FECTL_IM		(1u << 31)	/* interrupt mask */
#define VTD_FECTL_IP		(1u << 30)	/* interrupt pending */

/* Fault record, upper 64 bits [11.4.7.5] */
#define VTD_FRCD_F		(1ull << 63)	/* RW1C: record valid */
#define VTD_FRCD_T		(1ull << 62)	/* 1: read request, 0: write */
#define VTD_FRCD_FR(h)		((unsigned)(((h) >> 32) & 0xFF))	/* reason */
#define VTD_FRCD_SID(h)		((unsigned)((h) & 0xFFFF))
#define VTD_FRCD_ADDR_MASK	(~0xFFFull)	/* lower 64 bits: page address */

/* ---------------------------- translation structures [VTD 9.1-9.8] ---- */

/* Root entry, 128 bits, 256 per 4 KiB table, indexed by bus [9.1] */
#define VTD_ROOT_P		(1ull << 0)
#define VTD_ADDR_MASK		0x000FFFFFFFFFF000ull	/* bits 51:12 */

/* Context entry, 128 bits, 256 per table, indexed by devfn [9.3] */
#define VTD_CTX_P		(1ull << 0)
#define VTD_CTX_TT_UNTRANSLATED	(0ull << 2)	/* second-level tables only */
#define VTD_CTX_AW_39		1ull		/* hi 2:0: 3-level */
#define VTD_CTX_AW_48		2ull		/* 4-level */
#define VTD_CTX_DID(d)		((uint64_t)(d) << 8)	/* hi 23:8 */

/* Second-level paging entry [9.8]: R/W in every level (QEMU checks the
 * access right at each level while walking). */
#define VTD_SL_R		(1ull << 0)
#define VTD_SL_W		(1ull << 1)
#define VTD_SL_PS		(1ull << 7)	/* level 2: a 2 MiB page, no table */
#define VTD_SL_LEVEL_BITS	9
#define VTD_SL_ENTRIES		512

/* Fault reasons [VTD 7.1.3, table 26]: the ones legacy mode reports. */
#define VTD_FR_ROOT_NP		0x1	/* root entry not present */
#define VTD_FR_CTX_NP		0x2	/* context entry not present */
#define VTD_FR_CTX_INVALID	0x3
#define VTD_FR_ADDR_BEYOND_AW	0x4
#define VTD_FR_WRITE		0x5	/* no write permission */
#define VTD_FR_READ		0x6	/* no read permission */
#define VTD_FR_PT_ADDR		0x7	/* bad paging entry address */
#define VTD_FR_ROOT_ADDR	0x8
#define VTD_FR_CTX_RSVD		0xA
#define VTD_FR_PT_RSVD		0xC

#endif /* DRIVERS_IOMMU_VTD_REGS_H */
