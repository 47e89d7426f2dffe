/*
 * holdfs_platform.h - everything the holdfs core needs from its surroundings.
 *
 * The core (the .c files of fs/holdfs) is portable C: the same sources build into the
 * kernel (fs/holdfs/kernel_platform.c implements this over a pmem region)
 * and into the host tools (tools/hfs_host.c implements it over an mmap'd
 * image file).  Nothing in the core includes an arch, kernel or libc header
 * other than the freestanding ones and lib/.  This header is public
 * (include/fs/) although only the core calls through it: it is the seam
 * that others implement (the kernel, the host tools, the host tests'
 * memory device), and its types (struct hfs_pm, hfs_rwsem_t) are part of
 * holdfs.h's interface.  The core's own headers (hfs_int.h, hfs_format.h)
 * stay private to fs/holdfs/.
 *
 * Persistent memory.  The device is one byte-addressable range of `size`
 * bytes.  The core READS through hfs_pm_ptr() (a plain pointer), but every
 * WRITE goes through hfs_pm_write()/hfs_pm_zero()/hfs_pm_write_nt(), and
 * durability through hfs_pm_flush() + hfs_pm_fence().  The core never
 * stores through a pointer into pmem.  That rule is what lets the host crash
 * tester record every store, flush and fence and build every post-crash
 * image the persistence rules allow (docs/design.md, "Persistence rules"):
 *   - a store is durable once its cache lines were flushed and a fence
 *     followed;
 *   - hfs_pm_write_nt (non-temporal) is durable after the next fence;
 *   - until then any subset of not-yet-durable 64-byte lines may survive.
 *
 * Locks are sleeping locks in the kernel and pthread locks on the host;
 * both know who holds them, so the core asserts its lock rules
 * (hfs_assert_held* below).  Memory comes from hfs_alloc/hfs_free.
 */
#ifndef FS_HOLDFS_PLATFORM_H
#define FS_HOLDFS_PLATFORM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

#define HFS_CACHE_LINE	64

struct hfs_pm;		/* opaque: one persistent-memory device */

struct hfs_pm_ops {
	/* Base pointer for reads; [base, base + size) is the device. */
	const uint8_t *(*base)(struct hfs_pm *pm);
	uint64_t (*size)(struct hfs_pm *pm);
	/* Cached stores of len bytes at byte offset off. */
	void (*write)(struct hfs_pm *pm, uint64_t off, const void *src, size_t len);
	void (*zero)(struct hfs_pm *pm, uint64_t off, size_t len);
	/* Non-temporal stores: durable after the next fence, no flush needed. */
	void (*write_nt)(struct hfs_pm *pm, uint64_t off, const void *src, size_t len);
	/* Write back the cache lines covering [off, off+len). */
	void (*flush)(struct hfs_pm *pm, uint64_t off, size_t len);
	/* Order: every flushed line and non-temporal store is durable after. */
	void (*fence)(struct hfs_pm *pm);
	/*
	 * Of the nblocks blocks from byte offset off, how many come before
	 * the first one whose page is pinned (DMA in flight)?  nblocks when
	 * none is.  The allocator refuses pinned blocks (docs/design.md, second
	 * line of defence).  One call per run, not per block: an allocation
	 * of 2 MiB asks about 512 blocks.  NULL: nothing is ever pinned.
	 */
	uint64_t (*unpinned_blocks)(struct hfs_pm *pm, uint64_t off, uint64_t nblocks);
	/* Physical address of byte off (for DAX), or 0 where there is none. */
	uint64_t (*phys)(struct hfs_pm *pm, uint64_t off);
};

struct hfs_pm {
	const struct hfs_pm_ops *ops;
	void *priv;
};

static inline const uint8_t *hfs_pm_ptr(struct hfs_pm *pm, uint64_t off)
{
	return pm->ops->base(pm) + off;
}
static inline void hfs_pm_write(struct hfs_pm *pm, uint64_t off, const void *src, size_t len)
{
	pm->ops->write(pm, off, src, len);
}
static inline void hfs_pm_zero(struct hfs_pm *pm, uint64_t off, size_t len)
{
	pm->ops->zero(pm, off, len);
}
static inline void hfs_pm_write_nt(struct hfs_pm *pm, uint64_t off, const void *src, size_t len)
{
	pm->ops->write_nt(pm, off, src, len);
}
static inline void hfs_pm_flush(struct hfs_pm *pm, uint64_t off, size_t len)
{
	pm->ops->flush(pm, off, len);
}
static inline void hfs_pm_fence(struct hfs_pm *pm)
{
	pm->ops->fence(pm);
}
/* write + flush: the common case for metadata. */
static inline void hfs_pm_persist(struct hfs_pm *pm, uint64_t off, const void *src, size_t len)
{
	pm->ops->write(pm, off, src, len);
	pm->ops->flush(pm, off, len);
}

/* ------------------------------------------------------------- services */

void *hfs_alloc(size_t size);		/* NULL on failure; not zeroed */
void *hfs_zalloc(size_t size);
void hfs_free(void *p);
uint64_t hfs_now_ns(void);		/* wall clock: ns since 1970-01-01 00:00:00 UTC,
					 * for timestamps */
/*
 * hfs_plat_cred - the owner a file created now gets: the caller's uid and
 * (unless the parent directory is set-group-ID) gid.  The kernel answers
 * 0/0 until it has processes with credentials; the host tools answer
 * their caller's, or what hfs_host_set_cred() set for this thread (the
 * FUSE tool: the FUSE request's).  Any context; never fails.
 */
void hfs_plat_cred(uint32_t *uid, uint32_t *gid);
void hfs_vlog(const char *fmt, va_list ap);
void hfs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef KERNEL
/* The kernel's implementation (fs/holdfs/kernel_platform.c). */
struct pmem_region;
/**
 * hfs_kernel_pm - a struct hfs_pm for pmem region @r, allocated once and
 * kept for the life of the kernel.  NULL when out of memory.  Thread
 * context.
 */
struct hfs_pm *hfs_kernel_pm(struct pmem_region *r);
/**
 * hfs_kernel_pm_range - the same over bytes [@off, @off + @len) of @r (a
 * block device covering part of a region: a namespace).  Both page
 * aligned and inside @r, else NULL; NULL also when out of memory.  kfree
 * it when no mount uses it.  Thread context.
 */
struct hfs_pm *hfs_kernel_pm_range(struct pmem_region *r, uint64_t off, uint64_t len);
/* Bytes of DRAM holdfs holds now (hfs_alloc minus hfs_free; atomic). */
extern uint64_t hfs_dram_bytes;
#endif

/* Sleeping locks.  The kernel maps them onto struct mutex / struct rwsem,
 * the host onto pthreads.  Storage is opaque but fixed-size. */
typedef struct { uint64_t opaque[8]; } hfs_mutex_t;
typedef struct { uint64_t opaque[16]; } hfs_rwsem_t;
void hfs_mutex_init(hfs_mutex_t *m, const char *name);
void hfs_rwsem_init(hfs_rwsem_t *s, const char *name);
void hfs_down_read(hfs_rwsem_t *s);
void hfs_up_read(hfs_rwsem_t *s);
#ifdef KERNEL
/* Inline in the kernel: the uncontended lock is a few instructions there
 * (include/kernel/sync.h), and a call would cost more than the lock. */
#include <kernel/sync.h>
static inline void hfs_mutex_lock(hfs_mutex_t *m) { mutex_lock((struct mutex *)m); }
static inline void hfs_mutex_unlock(hfs_mutex_t *m) { mutex_unlock((struct mutex *)m); }
static inline void hfs_down_write(hfs_rwsem_t *s) { down_write((struct rwsem *)s); }
static inline void hfs_up_write(hfs_rwsem_t *s) { up_write((struct rwsem *)s); }
static inline bool hfs_mutex_held(const hfs_mutex_t *m)
{
	return mutex_held_by_me((const struct mutex *)m);
}
static inline bool hfs_rwsem_held(const hfs_rwsem_t *s)
{
	return rwsem_held((struct rwsem *)s);
}
static inline bool hfs_rwsem_held_write(const hfs_rwsem_t *s)
{
	return rwsem_is_write_locked_by_me((struct rwsem *)s);
}
#else
void hfs_mutex_lock(hfs_mutex_t *m);
void hfs_mutex_unlock(hfs_mutex_t *m);
void hfs_down_write(hfs_rwsem_t *s);
void hfs_up_write(hfs_rwsem_t *s);
bool hfs_mutex_held(const hfs_mutex_t *m);
bool hfs_rwsem_held(const hfs_rwsem_t *s);
bool hfs_rwsem_held_write(const hfs_rwsem_t *s);
#endif

/*
 * Lock assertions: the "caller holds" of a comment, checked.  On in the
 * kernel's debug build (KDEBUG) and wherever LOCK_ASSERTS is defined (the
 * host unit tests); otherwise the condition is compiled, then dropped.
 *   hfs_assert_held(m)        mutex m is held by this thread
 *   hfs_assert_held_read(s)   rwsem s is held for read (by some thread:
 *                             readers are counted, not named) or for
 *                             write by this thread
 *   hfs_assert_held_write(s)  rwsem s is held for write by this thread
 *   hfs_assert_lock(ok, lock, want)  a compound rule built from the
 *                             predicates hfs_mutex_held, hfs_rwsem_held
 *                             and hfs_rwsem_held_write
 * The platform tracks owners: the kernel's locks have them
 * (include/kernel/sync.h); the host's pthread locks are wrapped with an
 * owner and a reader count (tools/hfs_services.c).  A failure calls
 * hfs_lock_assert_failed() with the lock's expression as written, what
 * was wrong and the function: the kernel panics
 * ("lock check failed in hfs_map(): holdfs lock '&ip->layout' not held"),
 * the host prints the same and aborts.
 */
#if defined(KDEBUG) || defined(LOCK_ASSERTS)
#define HFS_LOCK_ASSERTS 1
#else
#define HFS_LOCK_ASSERTS 0
#endif

void hfs_lock_assert_failed(const char *lock, const char *want, const char *func)
	__attribute__((noreturn));

#define hfs_assert_lock(ok, lock, want) do {					\
	if (HFS_LOCK_ASSERTS && __builtin_expect(!(ok), 0))			\
		hfs_lock_assert_failed(#lock, want, __func__);			\
} while (0)
#define hfs_assert_held(m)	  hfs_assert_lock(hfs_mutex_held(m), m, "not held")
#define hfs_assert_held_read(s)	  hfs_assert_lock(hfs_rwsem_held(s), s, "not held")
#define hfs_assert_held_write(s)  hfs_assert_lock(hfs_rwsem_held_write(s), s, \
						  "not held for write")

/*
 * Layout changes and the DAX layer (docs/design.md, "How the invariant is
 * kept").  Before an operation frees, moves or reallocates the blocks of
 * [off, off+len) of an inode, it calls hfs_break_layout() with the inode's
 * layout lock held for write.  The kernel implementation
 * (kernel_platform.c) is the DAX layer's dax_break_layout(): it unmaps the
 * range from every address space and waits (dropping and retaking the
 * lock) until no page in it is pinned; it returns 0, or -EBUSY /
 * -ETIMEDOUT / -EINTR per the caller's struct hfs_wait (holdfs.h), in
 * which case the operation must leave the file as it was: it calls this
 * before it changes anything.  The host implementation returns 0.
 * `layout` is the inode's layout lock.  Context: thread; may sleep.
 */
struct hfs_inode;
struct hfs_wait;
int hfs_break_layout(struct hfs_inode *ip, hfs_rwsem_t *layout, uint64_t off, uint64_t len,
		     const struct hfs_wait *w);

#ifdef KERNEL
/*
 * hfs_dax_file - @ip as the DAX layer sees it (include/fs/dax.h): holdfs's
 * struct dax_file_ops and the inode.  Pass it to dax_mmap(),
 * dax_pin_file() and dax_unmap_range(); they take their own reference.
 * The caller holds a reference to @ip.  Context: any; never sleeps.
 */
#include <fs/dax.h>
struct dax_file hfs_dax_file(struct hfs_inode *ip);
#endif

#endif
