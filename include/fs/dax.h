/*
 * dax.h - direct access to file pages: mappings, pins, and layout breaks.
 *
 * The DAX layer knows files only through struct dax_file: a filesystem's
 * operations table (struct dax_file_ops: where an offset lives, allocating
 * on a write fault; the size; the layout lock; references; an identity for
 * diagnostics) and the filesystem's own file, which this layer never looks
 * inside.  holdfs hands one out per inode (hfs_dax_file(),
 * fs/holdfs/kernel_platform.c); a test hands out a fake one
 * (tests/kernel/test_dax_core.c).  Pages it knows through the NVDIMM
 * driver (drivers/pmem.h).
 *
 * A DAX mapping makes a file range appear at a kernel virtual address whose
 * page-table entries point straight at the pmem blocks of the file (no page
 * cache).  Entries are installed on demand by the page-fault handler, which
 * takes the file's layout lock shared, asks the filesystem where the
 * offset lives (allocating on a write fault into a hole, the lock then
 * held exclusive) and maps 2 MiB where the extent allows, 4 KiB otherwise.
 * A read fault on a hole maps a shared zero page read-only.
 *
 * Pins (the seed's get_user_pages): dax_pin_pages() pins the pmem pages
 * behind a mapped range for a device.  The fast path walks the page table
 * without locks, takes the pin, and re-checks that the entry still points
 * at the same page (a layout change may have unmapped it in between: then
 * the pin is dropped and the slow path faults the page in under the layout
 * lock).  dax_pin_file() pins by file range for kernel users (DMA on files)
 * and holds a file reference, so an unlinked file lives until its pins
 * are dropped.
 *
 * The unpin rule: a page pinned for DMA is unpinned in the done() callback
 * of the descriptor that transfers it, which the engine driver calls
 * exactly once, when the device is certainly done with the page (the
 * descriptor completed, failed, timed out or was cancelled), and never
 * earlier.  dax_unpin_dma() is that unpin: it checks that no engine still
 * owns the descriptor.  dax_unpin() then drops the record (and any pin no
 * descriptor took).
 *
 * Layout breaks: a filesystem calls dax_break_layout() with the file's
 * layout lock held for write before it frees or moves the blocks of a
 * range: unmap the range from every mapping (so new pins must take the
 * slow path and block on the lock), look for a pinned page in that range
 * only, and if there is one drop the lock, sleep until the page is idle
 * (woken by the last unpin), retake the lock and start over.  The sleep is
 * interruptible: Ctrl-C on the shell's command ends it with -EINTR, the
 * file unchanged (unless the caller asked for DAX_WAIT_NOINTR).
 *
 * Leases: each pin record carries a lease mode saying what a layout change
 * over its pages does (enum dax_lease): wait for the unpin (the default,
 * for transient DMA), fail at once with -ETXTBSY, or, with the IOMMU on,
 * revoke: take every device's access to the pages away
 * (iommu_revoke_phys()), tell the holder (its revoke callback), drop the
 * record's page pins and go on.  dax_break_layout() looks at the whole
 * range first: a fail lease fails it; else a wait pin is waited for (and
 * the range scanned again); only when every pinned page is held by revoke
 * leases alone are those revoked.
 *
 * Locking: dax_lock (a spinlock, private to fs/dax.c) guards the list of
 * mappings and the list of pin records.  The layout lock of each file
 * orders faults, slow-path pins and layout changes.  Lock order: layout
 * lock -> dax_lock.
 */
#ifndef FS_DAX_H
#define FS_DAX_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

struct pmem_page;
struct rwsem;
struct dma_desc;

/* Where a file offset lives, as the filesystem's map op answers. */
struct dax_extent {
	uint64_t phys;		/* physical address of the offset; 0 for a hole */
	uint64_t len;		/* bytes from the offset with the same answer
				 * (contiguous blocks, or hole); 0: nothing
				 * more can be mapped there */
	bool hole;		/* nothing allocated: reads as zeros */
};

/*
 * What the DAX layer needs from a filesystem, for one kind of file.  @file
 * is the filesystem's own object (struct dax_file.priv).
 */
struct dax_file_ops {
	/**
	 * map - where byte @off of @file lives, in @ext.  With @alloc, a
	 * hole there is first filled with zeroed blocks, so @ext is not a
	 * hole.  Past the end of the file the answer is a hole (or the
	 * blocks allocated ahead); the DAX layer asks size() first.
	 * Locks: the caller holds @file's layout lock, shared without
	 * @alloc, exclusive with it.  Context: thread; may sleep.
	 * Returns 0, or -ENOSPC, -EROFS, -EFBIG (@off beyond the largest
	 * file), -EINVAL (not a regular file), -EUCLEAN (a damaged block
	 * map), as the filesystem finds.
	 */
	int (*map)(void *file, uint64_t off, bool alloc, struct dax_extent *ext);
	/**
	 * size - @file's size in bytes, in *@size.  Locks: the caller holds
	 * the layout lock (either mode), so the size cannot shrink under it.
	 * Context: thread; may sleep.  Returns 0 or a negative errno.
	 */
	int (*size)(void *file, uint64_t *size);
	/**
	 * layout_lock - @file's layout lock: taken shared by faults and
	 * pins, exclusive by allocation and by layout changes (which call
	 * dax_break_layout()).  The same lock for the life of the file.
	 * Context: any; takes no lock.
	 */
	struct rwsem *(*layout_lock)(void *file);
	/**
	 * grab - one more reference to @file; it lives, even unlinked,
	 * until put().  The caller holds a reference already.  Locks: no
	 * DAX lock held.  Context: thread; may sleep.
	 */
	void (*grab)(void *file);
	/**
	 * put - drop a reference grab() took; the last one of an unlinked
	 * file frees it and its blocks.  Locks: not @file's layout lock,
	 * no DAX lock.  Context: thread; may sleep.
	 */
	void (*put)(void *file);
	/**
	 * ino - @file's identity for diagnostics (`pins`, the layout wait's
	 * report): an inode number.  Context: any; never sleeps.
	 */
	uint64_t (*ino)(void *file);
};

/*
 * A file as the DAX layer sees it: the filesystem's operations and its own
 * object.  A small value, passed and stored by copy (as struct hfs_pm
 * pairs holdfs's platform ops with its device); two are the same file
 * when both fields are equal.
 */
struct dax_file {
	const struct dax_file_ops *ops;
	void *priv;
};

#define DAX_PIN_WRITE		0x1	/* the device will write the pages */
#define DAX_PIN_IN_SIZE		0x2	/* file pins: -ESTALE if the range is no
					 * longer inside the file (it shrank) */

/*
 * How dax_break_layout() may wait for pinned pages: by default until the
 * pins are gone, or until the calling thread is interrupted (-EINTR).
 * DAX_WAIT_NONE fails at once with -EBUSY; DAX_WAIT_TIMEOUT fails with
 * -ETIMEDOUT after timeout_ns; DAX_WAIT_NOINTR ignores interrupts (for a
 * caller that cannot back out).  NULL: the default.
 */
#define DAX_WAIT_NONE		0x1
#define DAX_WAIT_TIMEOUT	0x2
#define DAX_WAIT_NOINTR		0x4
struct dax_wait {
	unsigned flags;
	uint64_t timeout_ns;
};

/* A layout wait longer than this prints which pins hold it. */
#define DAX_REPORT_AFTER_NS	(1000ULL * 1000 * 1000)

struct dax_mapping;
struct dax_pin;

/*
 * Pin leases: what a layout change (dax_break_layout()) over pinned pages
 * does.  The names are those of `dma cp --lease=`, `pins` and /dev/dma0.
 */
enum dax_lease {
	DAX_LEASE_WAIT = 0,	/* "wait": it waits for the unpin (default) */
	DAX_LEASE_FAIL = 1,	/* "fail": it fails at once with -ETXTBSY */
	DAX_LEASE_REVOKE = 2,	/* "revoke": it revokes the device's access
				 * through the IOMMU and goes on; needs
				 * iommu_enabled() */
};
#define DAX_LEASE_MODES	3

/*
 * A lease as the holder asks for it.  @revoke (revoke mode; may be NULL
 * for the others) is called once if a layout change revokes the pin, after
 * no device can reach the pages any more and before their pins are
 * dropped: it marks the holder's transfer revoked (it is to end with
 * -ECANCELED) and may cancel queued descriptors (dma_cancel()).
 * Context of @revoke: the layout change's thread, with that file's layout
 * lock held for write and no DAX lock.  It may take a mutex of the holder
 * that is held only briefly (around a submission), but must not wait for
 * the transfer, take that layout lock, or dax_unpin() @pin (a dax_unpin()
 * in another thread waits for it to return).  dax_unpin_dma() from done()
 * callbacks it causes (dma_cancel() of a queued descriptor) is fine.
 */
struct dax_lease_req {
	enum dax_lease mode;
	void (*revoke)(struct dax_pin *pin, void *ctx);
	void *ctx;
	const char *name;	/* the file as the holder named it ("/big"), for
				 * the IOMMU's report of a late access after a
				 * revoke; NULL: "ino N" */
};

/** Revoke needs this; the message of -EOPNOTSUPP for it. */
#define DAX_LEASE_REVOKE_NEEDS	"revoke needs the IOMMU (make run IOMMU=1)"

/**
 * dax_lease_check - may a pin be taken with lease @mode now?
 * Context: any.  Returns 0; -EINVAL (no such mode); -EOPNOTSUPP (revoke
 * while DMA remapping is off: DAX_LEASE_REVOKE_NEEDS says why).
 */
int dax_lease_check(int mode);

/** dax_lease_name - "wait", "fail", "revoke", or "?".  Context: any. */
const char *dax_lease_name(int mode);

/**
 * dax_lease_parse - the mode a name (as dax_lease_name() gives) stands for,
 * in *@mode.  Returns 0 or -EINVAL.  Context: any.
 */
int dax_lease_parse(const char *name, enum dax_lease *mode);

/**
 * dax_init - allocate the shared zero page and install the page-fault hook.
 * Context: boot, once, after the frame allocator.  Returns 0 or -ENOMEM.
 */
int dax_init(void);

/**
 * dax_mmap - map [@off, @off + @len) of @f at a new kernel virtual address,
 * in *@va; entries come in at the first access (best with @off 2 MiB
 * aligned: 2 MiB extents then get 2 MiB entries).  The mapping holds a
 * reference to the file (@f's grab()) until dax_munmap().  @owner names
 * the user for messages.
 * Locks: none held.  Context: thread; may sleep.
 * Returns 0; -EINVAL (@len 0, @off not page aligned, or the range wraps);
 * -ENOMEM (no memory, or the DAX window is full).
 */
int dax_mmap(struct dax_file f, uint64_t off, uint64_t len, bool writable,
	     const char *owner, void **va);

/**
 * dax_munmap - remove the mapping at @va (as dax_mmap() returned it); its
 * file reference is dropped once no fault uses the mapping any more.
 * Locks: none held.  Context: thread; may sleep.
 * Returns 0, or -EINVAL when no mapping starts at @va.
 */
int dax_munmap(void *va);

/**
 * dax_unmap_range - remove every page-table entry that maps [@off, @off +
 * @len) of @f, on every CPU (the TLBs are shot down before it returns).
 * Locks: the caller holds @f's layout lock for write, so no fault maps the
 * range again meanwhile; not dax_lock.  Context: thread, interrupts on
 * (the shootdown waits for the other CPUs).  Never sleeps.
 */
void dax_unmap_range(struct dax_file f, uint64_t off, uint64_t len);

/**
 * dax_pin_pages - pin the @n pages at @va (mapped with dax_mmap()) for a
 * device, faulting in (and with DAX_PIN_WRITE allocating) what is not
 * mapped yet.  @pages receives the descriptors and must live until
 * dax_unpin(); @holder names the user for the `pins` listing.
 * Locks: none held (the slow path takes the layout lock shared, or
 * exclusive to allocate).  Context: thread; may sleep.
 * Returns a pin record, or NULL with *@err: -EINVAL (@va not page aligned,
 * @n 0), -EFAULT (not mapped, past the end of the file, or a hole read
 * by the device), -EACCES (a write pin on a read-only mapping), -ENOMEM,
 * or the filesystem's map() error.
 */
struct dax_pin *dax_pin_pages(uint64_t va, unsigned n, unsigned flags,
			      struct pmem_page **pages, const char *holder, int *err);

/**
 * dax_pin_file - pin the pages of [@off, @off + @len) of @f for a device,
 * allocating holes when DAX_PIN_WRITE.  The record holds a reference to
 * the file (grab()), so an unlinked file lives until dax_unpin().
 * Locks: none held; takes @f's layout lock (exclusive with DAX_PIN_WRITE,
 * which may allocate).  Context: thread; may sleep.
 * Returns a pin record, or NULL with *@err: -EINVAL (@len 0 or the range
 * wraps), -ENODATA (a hole read by the device: nothing to pin), -ESTALE
 * (DAX_PIN_IN_SIZE and the range is past the end of file), -EFAULT (a
 * block outside pmem), -ENOMEM, or the filesystem's map()/size() error.
 */
struct dax_pin *dax_pin_file(struct dax_file f, uint64_t off, uint64_t len,
			     unsigned flags, const char *holder, int *err);

/**
 * dax_pin_file_lease - dax_pin_file() with a lease (NULL: wait).  The
 * record is listed, with its lease, before the file's layout lock is
 * dropped, so no layout change ever sees these pins without their lease.
 * Locks/context as dax_pin_file().
 * Returns as dax_pin_file(), and with *@err -EINVAL (unknown mode) or
 * -EOPNOTSUPP (revoke with DMA remapping off), nothing pinned.
 */
struct dax_pin *dax_pin_file_lease(struct dax_file f, uint64_t off, uint64_t len,
				   unsigned flags, const struct dax_lease_req *lease,
				   const char *holder, int *err);

/**
 * dax_pin_set_lease - give a record made by dax_pin_pages() or
 * dax_pin_record() the lease @lease.  A layout change that started
 * waiting for those pages before this call keeps waiting for their unpin
 * (the pins were wait pins until now); later ones obey the lease.
 * Locks: takes dax_lock.  Context: thread; never sleeps.
 * Returns 0, -EINVAL (unknown mode, or a record already revoked), or
 * -EOPNOTSUPP (revoke with DMA remapping off).
 */
int dax_pin_set_lease(struct dax_pin *pin, const struct dax_lease_req *lease);

/**
 * dax_pin_drop_page - drop the pin on page @k of @pin, once: for records
 * of dax_pin_record() whose holder gives the pins to the record (a lease
 * other than wait: a revoke must drop them).  Exactly one of this and a
 * revoke drops the page's pin; returns true if it was this call.
 * Context: any, interrupt handlers included; never sleeps.
 */
bool dax_pin_drop_page(struct dax_pin *pin, unsigned k);

/**
 * dax_unpin_dma - the unpin rule's unpin: drop @pin's pins on the pages
 * that hold bytes [@i, @i + @len) of the pin (byte offsets as for
 * dax_pin_phys()), because DMA descriptor @d, which transferred them, is
 * over.  Call it from @d's done() callback (or for a descriptor that
 * dma_submit() refused).  Each page's pin goes once, however often it
 * is named; the last unpin of a page wakes a layout change waiting for it.
 *
 * A revoked record's pages were dropped by the revoke already: then this
 * is a quiet no-op returning 0 (not an early unpin).
 *
 * If an engine still owns @d (queued or on the device), the device may
 * still write those pages: dma_unpin_check() logs and counts the
 * violation (dma_early_unpins()), nothing is unpinned, and the pins stay
 * until dax_unpin().
 *
 * Locks: none needed; takes none.  Must not run concurrently with
 * dax_unpin() of the same record.  Context: any, interrupt handlers
 * included; never sleeps.
 * Returns 0; -EBUSY (an engine owns @d: nothing unpinned); -EINVAL (the
 * range is empty or outside the pin).
 */
int dax_unpin_dma(struct dax_pin *pin, uint64_t i, uint64_t len, const struct dma_desc *d);

/**
 * dax_unpin - drop a pin record: the pins dax_unpin_dma() has not dropped
 * yet, the record, and for a file pin its file reference (the last one of
 * an unlinked file frees it).  Call it once every dax_unpin_dma() on this
 * record has returned (DMA on files: when the last done() of the chunk
 * has completed the chunk).
 * A revoked record's pages are not unpinned again; if a revoke of @pin
 * is running in another thread, this waits for it to end.
 * Locks: none held (not the file's layout lock).  Context: thread; may
 * sleep.
 */
void dax_unpin(struct dax_pin *pin);

/**
 * dax_pin_phys - physical address of byte @i of a pin, counted from the
 * start of its first page (for DMA descriptors); 0 past the last page.
 * Context: any; never sleeps.
 */
uint64_t dax_pin_phys(const struct dax_pin *pin, uint64_t i);

/**
 * dax_pin_set_detail - say who holds @pin (DMA channel, descriptor...), for
 * the `pins` listing and the layout wait's report.
 * Locks: takes dax_lock (not interrupt-safe).  Context: thread; never
 * sleeps.
 */
void dax_pin_set_detail(struct dax_pin *pin, const char *detail);

/**
 * dax_break_layout - make [@off, @off + @len) of @f free of mappings and
 * pins before the filesystem frees or moves its blocks (the layout wait).
 * Locks: the caller holds @f's layout lock for write; it is dropped while
 * sleeping and held again on return.  Context: thread; sleeps.
 * Leases (enum dax_lease), looked at over the whole range in this order:
 * a page pinned by a fail lease -> -ETXTBSY at once, nothing changed; a
 * page with a wait pin -> wait as below, then look again; pages pinned by
 * revoke leases only -> each such record is revoked (iommu_revoke_phys()
 * of its pages, named "ino N" at their file offsets, the holder's revoke
 * callback, its page pins dropped) and the change goes on without waiting.
 * Returns 0; -ETXTBSY (a fail lease); -EBUSY (DAX_WAIT_NONE and a page is pinned); -ETIMEDOUT
 * (DAX_WAIT_TIMEOUT ran out); -EINTR: a page is still pinned and the
 * thread was interrupted (thread_interrupt(): Ctrl-C on the shell's
 * command), before the wait or during it, unless @w has DAX_WAIT_NOINTR.
 * Pins first: a range found idle is broken even if an interrupt is
 * pending.  On an error the caller must leave the file unchanged: nothing
 * here changes it (unmapping only makes the next access fault the same
 * blocks back in).  With dax_unsafe_no_wait set it never waits, but it
 * still fails for fail leases and still revokes revoke leases.
 */
int dax_break_layout(struct dax_file f, uint64_t off, uint64_t len, const struct dax_wait *w);

/* ----------------------------------------------------------- processes */

struct mm;

/**
 * dax_mmap_user - mmap(2) of [@off, @off + @len) of @f into @mm (fs/dax_user.c):
 * a region of the process whose pages are the file's blocks (UVM_MAP_SHARED)
 * or copies of them made at the first write (UVM_MAP_PRIVATE), at @addr as
 * mm_map() places it (@flags: UVM_MAP_*, @prot: UVM_PROT_*); its address in
 * *@out.  The region holds a reference to @f until it is unmapped (munmap,
 * exit, exec).  Faults past the end of the file give -EIO (SIGBUS).  Every
 * layout change of the file removes its range from the process first.
 * Locks: none held.  Context: thread; may sleep.
 * Returns 0, -EINVAL (len 0, @off misaligned, bad flags), -ENOMEM.
 */
int dax_mmap_user(struct mm *mm, struct dax_file f, uint64_t addr, uint64_t len,
		  unsigned prot, unsigned flags, uint64_t off, uint64_t *out);

/**
 * pin_user_pages - pin the @n pages of @mm at @addr (page aligned) for a
 * device, in any mix of DAX file pages (their pmem descriptors' pin
 * counts: a layout change of the file waits for them) and DRAM frames
 * (anonymous memory, private copies: uvm_pin_frame, so munmap or exit
 * cannot free one under DMA; it is freed at its last unpin).  @flags:
 * DAX_PIN_WRITE when the device writes them (faults in writable, copying
 * or allocating as a write would).  @pages receives the physical address
 * of each page.  Lock-free fast path with interrupts off (the shootdown
 * IPI is its fence); slow path through mm_fault() under the mm's lock and
 * the file's layout lock.  Each page is unpinned with unpin_user_page(),
 * after the device is done with it (the unpin rule, include/drivers/dma.h).
 * Locks: none held.  Context: thread of any process (@mm need not be
 * loaded); may sleep.
 * Returns 0, or with nothing pinned: -EINVAL (misaligned, @n 0, wraps),
 * -EFAULT (not mapped, no access, past the end of a file), -ENOMEM.
 */
int pin_user_pages(struct mm *mm, uint64_t addr, unsigned n, unsigned flags, uint64_t *pages);

/**
 * dax_pin_record - a record of @n pmem pages that pin_user_pages() pinned
 * for @holder, so that `pins` and the layout wait's report name who holds
 * them (dax_pin_set_detail() says more).  The record owns @pages (kmalloc'ed)
 * but not the pins: each page is still unpinned with unpin_user_page(),
 * and dax_unpin() drops only the record.  Locks: none held.  Context:
 * thread.  NULL when @n is 0 or no memory (then @pages is the caller's).
 */
struct dax_pin *dax_pin_record(struct pmem_page **pages, unsigned n, const char *holder);

/**
 * dax_pin_set_pid - say that process @pid's DMA holds @pin (a record from
 * dax_pin_record(): a transfer from /dev/dma0 or an O_DIRECT read or
 * write), so that `ps` can count the pages each process has pinned.
 * Locks: takes dax_lock.  Context: thread.
 */
void dax_pin_set_pid(struct dax_pin *pin, int pid);

/**
 * dax_pinned_pages_of - the pages the pin records of process @pid still
 * hold (dax_pin_held_pages()); 0 for @pid <= 0.  What `ps` shows as PINS.
 * Locks: takes dax_lock.  Context: thread.
 */
unsigned dax_pinned_pages_of(int pid);

/** unpin_user_page - drop one pin that pin_user_pages() took on the page at
 * physical @pa.  Any context (DMA done() callbacks); never sleeps. */
void unpin_user_page(uint64_t pa);

/*
 * Test-only switch that disables the layout wait (dax_break_layout) AND,
 * in holdfs, the allocator's refusal of pinned blocks: it reproduces the
 * seed's corruption.  Never set outside tests and the clearly labelled
 * unsafe demo.  Defined in fs/dax.c.
 */
extern bool dax_unsafe_no_wait;

/*
 * Test-only switch: allow revoke leases while DMA remapping is off, so the
 * in-kernel tests can run the revoke path (the break, the callback, the
 * dropped pins, the holder's quiet unpins) on machines without an IOMMU.
 * Nothing then stops a device's late write: set it only around tests that
 * let the device finish before the freed blocks are used again.  Defined
 * in fs/dax.c; false at boot.
 */
extern bool dax_revoke_without_iommu;

/* Statistics and diagnostics. */
struct dax_stats {
	uint64_t faults, faults_2m, pins_fast, pins_slow, pin_retries;
	uint64_t layout_breaks, layout_waits, layout_wait_ns;
	uint64_t layout_interrupted;	/* waits given up for an interrupt (-EINTR) */
	uint64_t last_wake_ns;		/* when a layout wait last woke up */
	uint64_t dma_unpins;		/* pages unpinned by dax_unpin_dma() */
	uint64_t lease_fails;		/* layout changes failed by a fail lease */
	uint64_t lease_revokes;		/* records revoked by layout changes */
};

/* Use 2 MiB entries where possible (default).  Benchmarks turn it off to
 * measure 4 KiB entries. */
extern bool dax_huge_pages;

/** dax_get_stats - copy the counters into *@st.  Any context. */
void dax_get_stats(struct dax_stats *st);

/**
 * dax_for_each_pin - call @fn(pin, @ctx) for every pin record.
 * Locks: @fn runs under dax_lock: it must not sleep, take the layout lock
 * or call back into DAX.  Context: thread.
 */
void dax_for_each_pin(void (*fn)(const struct dax_pin *p, void *ctx), void *ctx);

/*
 * Reading a record, for printing it: under dax_for_each_pin() (or while
 * the caller holds the record, before dax_unpin()).  Locks: none taken.
 * Context: any; never sleep.
 */
/** dax_pin_holder - who pinned @p (the @holder given at pin time). */
const char *dax_pin_holder(const struct dax_pin *p);
/** dax_pin_detail - what dax_pin_set_detail() said, or "". */
const char *dax_pin_detail(const struct dax_pin *p);
/** dax_pin_ino - the pinned file's identity (its ino op); 0 if unknown. */
uint64_t dax_pin_ino(const struct dax_pin *p);
/** dax_pin_offset - file offset of the first pinned page. */
uint64_t dax_pin_offset(const struct dax_pin *p);
/** dax_pin_npages - how many pages the record pinned. */
unsigned dax_pin_npages(const struct dax_pin *p);
/**
 * dax_pin_held_pages - how many of its pages @p still holds: 0 once a
 * revoke took them, or once every page's done() has unpinned it (the
 * record itself goes at dax_unpin(), a little later); all of them for a
 * dax_pin_record() wait record, which cannot tell.
 */
unsigned dax_pin_held_pages(const struct dax_pin *p);
/** dax_pin_since - when it was pinned (time_ns()). */
uint64_t dax_pin_since(const struct dax_pin *p);
/** dax_pin_lease - its lease mode (enum dax_lease). */
enum dax_lease dax_pin_lease(const struct dax_pin *p);
/** dax_pin_revoked - did a layout change revoke it?  Any context. */
bool dax_pin_revoked(const struct dax_pin *p);

#endif
