/*
 * dax.h - direct access to file pages: mappings, pins, and layout breaks.
 *
 * A DAX mapping makes a file range appear at a kernel virtual address whose
 * page-table entries point straight at the pmem blocks of the file (no page
 * cache).  Entries are installed on demand by the page-fault handler, which
 * takes the inode's layout lock shared, asks the filesystem where the
 * offset lives (allocating on a write fault into a hole) and maps 2 MiB
 * where the extent allows, 4 KiB otherwise.  A read fault on a hole maps a
 * shared zero page read-only.
 *
 * Pins (the seed's get_user_pages): dax_pin_pages() pins the pmem pages
 * behind a mapped range for a device.  The fast path walks the page table
 * without locks, takes the pin, and re-checks that the entry still points
 * at the same page (a layout change may have unmapped it in between: then
 * the pin is dropped and the slow path faults the page in under the layout
 * lock).  dax_pin_file() pins by file range for kernel users (DMA on files)
 * and holds an inode reference, so an unlinked file lives until its pins
 * are dropped.
 *
 * Layout breaks (fs/holdfs calls hfs_break_layout with the layout lock held
 * for write): unmap the range from every mapping (so new pins must take the
 * slow path and block on the lock), look for a pinned page in that range
 * only, and if there is one drop the lock, sleep until the page is idle
 * (woken by the last unpin), retake the lock and start over.  The sleep is
 * interruptible: Ctrl-C on the shell's command ends it with -EINTR, the
 * file unchanged (unless the caller asked for HFS_WAIT_NOINTR).
 *
 * Locking: dax_lock (a spinlock) guards the list of mappings and the list
 * of pin records.  The layout lock of each inode orders faults, slow-path
 * pins and layout changes.
 */
#ifndef FS_DAX_H
#define FS_DAX_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

struct hfs_inode;
struct pmem_page;

#define DAX_PIN_WRITE		0x1	/* the device will write the pages */
#define DAX_PIN_IN_SIZE		0x2	/* file pins: -ESTALE if the range is no
					 * longer inside the file (it shrank) */

/* A layout wait longer than this prints which pins hold it. */
#define DAX_REPORT_AFTER_NS	(1000ULL * 1000 * 1000)

struct dax_mapping;
struct dax_pin;

int dax_init(void);

/* Map [off, off+len) of ip (off 2 MiB aligned is best); *va gets the address. */
int dax_mmap(struct hfs_inode *ip, uint64_t off, uint64_t len, bool writable,
	     const char *owner, void **va);
int dax_munmap(void *va);

/* Remove every page-table entry that maps [off, off+len) of ip. */
void dax_unmap_range(struct hfs_inode *ip, uint64_t off, uint64_t len);

/*
 * dax_pin_pages - pin the n pages at va (mapped with dax_mmap) for a device.
 * pages[] receives the descriptors.  holder names the user for the pins
 * listing.  Returns a pin record (unpin with dax_unpin) or NULL with *err.
 */
struct dax_pin *dax_pin_pages(uint64_t va, unsigned n, unsigned flags,
			      struct pmem_page **pages, const char *holder, int *err);
/* Pin by file range (allocating holes when DAX_PIN_WRITE). */
struct dax_pin *dax_pin_file(struct hfs_inode *ip, uint64_t off, uint64_t len,
			     unsigned flags, const char *holder, int *err);
void dax_unpin(struct dax_pin *pin);
/* Physical address of byte i of a file-range pin (for DMA descriptors). */
uint64_t dax_pin_phys(const struct dax_pin *pin, uint64_t i);
/* Describe who holds it (DMA channel, descriptor...), shown by `pins`. */
void dax_pin_set_detail(struct dax_pin *pin, const char *detail);

/* Test-only switch that disables the layout wait AND the allocator's
 * refusal of pinned blocks: it reproduces the seed's corruption.  Never set
 * outside tests and the clearly labelled unsafe demo. */
extern bool dax_unsafe_no_wait;

/* Statistics and diagnostics. */
struct dax_stats {
	uint64_t faults, faults_2m, pins_fast, pins_slow, pin_retries;
	uint64_t layout_breaks, layout_waits, layout_wait_ns;
	uint64_t layout_interrupted;	/* waits given up for an interrupt (-EINTR) */
	uint64_t last_wake_ns;		/* when a layout wait last woke up */
};

/* Use 2 MiB entries where possible (default).  Benchmarks turn it off to
 * measure 4 KiB entries. */
extern bool dax_huge_pages;
void dax_get_stats(struct dax_stats *st);
/* Call fn for every pin record (under dax_lock: fn must not sleep). */
void dax_for_each_pin(void (*fn)(const struct dax_pin *p, void *ctx), void *ctx);
/* For printing: holder, detail, inode, file offset, pages, since (ns). */
const char *dax_pin_holder(const struct dax_pin *p);
const char *dax_pin_detail(const struct dax_pin *p);
uint64_t dax_pin_ino(const struct dax_pin *p);
uint64_t dax_pin_offset(const struct dax_pin *p);
unsigned dax_pin_npages(const struct dax_pin *p);
uint64_t dax_pin_since(const struct dax_pin *p);

#endif
