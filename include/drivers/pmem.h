/*
 * pmem.h - persistent-memory regions: discovery (NFIT), mapping, per-page
 * descriptors with pin counts, persistence primitives and block access.
 *
 * A region is one persistent SPA range from the NFIT, mapped write-back
 * into the direct map.  Every 4 KiB page of it has a struct pmem_page
 * (8 bytes of DRAM: 2 MiB per GiB of pmem) whose pin count says whether a
 * device may be writing to it; the DAX layer builds on pmem_pin_page /
 * pmem_unpin_page and on waiting for a page to become idle.
 *
 * Durability (docs/design.md, "Persistence rules"): a store reaches the NVDIMM
 * only after pmem_flush() of its cache lines and pmem_drain().  The flush
 * instruction is chosen once from CPUID: clwb, else clflushopt, else
 * clflush.  memcpy_to_pmem() uses non-temporal stores for large copies,
 * which bypass the cache; it still needs pmem_drain() afterwards.
 *
 * Regions are created at boot and never removed: no lock is needed to look
 * one up.  Pin counts are atomic.
 */
#ifndef DRIVERS_PMEM_H
#define DRIVERS_PMEM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <drivers/nfit.h>

#define PMEM_MAX_REGIONS	8
#define PMEM_BLOCK_SIZE		4096
#define PMEM_HINTS_MAX		8

struct pmem_page {
	uint32_t pins;			/* atomic: DMA and other pinned users */
	uint32_t flags;			/* for the mapping layer */
};

struct pmem_region {
	unsigned index;
	uint64_t phys, size, npages;
	uint8_t *virt;			/* direct-map address of byte 0 */
	struct pmem_page *pages;	/* npages descriptors */
	uint32_t handle;		/* NFIT device handle (~0: none) */
	uint16_t spa_index;
	uint16_t memdev_flags;		/* NFIT_MEM_* */
	unsigned ndimms;
	struct nfit_dimm_id dimm;	/* its (first) DIMM, for namespace labels */
	unsigned nhints;
	volatile uint64_t *hints[PMEM_HINTS_MAX];	/* flush hint registers */
};

/* ------------------------------------------------------------ regions */
/* Boot only (pmem.c says more).  Returns the number of regions. */
int pmem_init(void);
/* Any context, no lock (regions never change after boot). */
unsigned pmem_region_count(void);
/* Region @i, or NULL past the last one.  Any context, no lock. */
struct pmem_region *pmem_region(unsigned i);

/* O(1) conversions (a handful of regions at most).  NULL / 0 if not pmem.
 * Any context, no lock. */
struct pmem_page *pmem_phys_to_page(uint64_t pa);
uint64_t pmem_page_to_phys(const struct pmem_page *p);
struct pmem_region *pmem_page_region(const struct pmem_page *p);

/* ------------------------------------------------------------ pins */
/* Take a pin; returns the new count.  Any context. */
uint32_t pmem_pin_page(struct pmem_page *p);
/* Drop a pin; the last one wakes pmem_wait_page_idle() waiters.  Any context. */
void pmem_unpin_page(struct pmem_page *p);
static inline uint32_t pmem_page_pins(const struct pmem_page *p)
{
	return __atomic_load_n(&p->pins, __ATOMIC_ACQUIRE);
}
/* Sleep until p has no pins: 0, or -ETIMEDOUT after timeout_ns (0: no limit).
 * Thread context, no spinlock held; the caller holds no lock the unpinner
 * needs (the DAX layer drops the layout lock first). */
int pmem_wait_page_idle(struct pmem_page *p, uint64_t timeout_ns);
/* The same, or -EINTR when the thread is interrupted first (sched.h). */
int pmem_wait_page_idle_interruptible(struct pmem_page *p, uint64_t timeout_ns);

/* ------------------------------------------------------------ persistence */
enum pmem_flush_kind { PMEM_FLUSH_CLWB, PMEM_FLUSH_CLFLUSHOPT, PMEM_FLUSH_CLFLUSH };

/*
 * pmem_persist_init picks the flush instruction (boot, before pmem is
 * used); everything else here runs in any context with no lock and cannot
 * fail.
 */
void pmem_persist_init(void);
enum pmem_flush_kind pmem_flush_kind(void);
const char *pmem_flush_name(void);
/* Write back the cache lines of [addr, addr+len). */
void pmem_flush(const void *addr, size_t len);
/* Wait until flushed lines and non-temporal stores are durable. */
void pmem_drain(void);
static inline void pmem_persist(const void *addr, size_t len)
{
	pmem_flush(addr, len);
	pmem_drain();
}
/* Copy into pmem; large copies use non-temporal stores.  Call pmem_drain(). */
void memcpy_to_pmem(void *dst, const void *src, size_t len);
extern uint64_t pmem_lines_flushed;	/* statistics, for tests */

/* ------------------------------------------------------------ block access */
/*
 * pmem_direct_access - kernel address and physical address of blocks
 * [block, block+nblocks) of r.  -ERANGE when the range is outside r.
 * Block access: any context, no lock (nothing here orders two writers of
 * one range: the caller does).
 */
int pmem_direct_access(struct pmem_region *r, uint64_t block, uint64_t nblocks,
		       void **kaddr, uint64_t *pa);
/* Bounds-checked byte access; writes are durable on return. 0 or -ERANGE. */
int pmem_read(struct pmem_region *r, uint64_t off, void *buf, size_t len);
int pmem_write(struct pmem_region *r, uint64_t off, const void *buf, size_t len);

#endif
