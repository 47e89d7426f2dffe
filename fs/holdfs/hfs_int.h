/*
 * hfs_int.h - holdfs in-core structures and the interfaces between the
 * core's files.  Not for use outside fs/holdfs (and the tests that poke at
 * internals on purpose).
 *
 * The core is split one mechanism per file:
 *	super.c    mkfs, mount, unmount, statfs, superblock checks
 *	journal.c  transactions: byte-range redo log, commit, replay
 *	alloc.c    block and inode allocators (DRAM bitmaps over media lines)
 *	inode.c    inode cache, inode checks, iget/iput, eviction
 *	orphan.c   the orphan list and free-range intents
 *	extent.c   per-file extent trees (inline root, B+-tree beyond)
 *	dir.c      directory blocks and the in-DRAM name index
 *	namei.c    path walk and namespace operations
 *	file.c     read, write, map (DAX), truncate, fsync
 *	falloc.c   fallocate modes
 *	fsck.c     the checker
 *	fsck_lost.c  fsck's reconnection of lost inodes under /lost+found
 *
 * Lock order (outer first):
 *	fs->ns_lock (rwsem)  >  ip->layout (rwsem)  >  fs->tx_lock (mutex)
 *	>  fs->icache_lock (mutex), fs->dir_lock (mutex)
 * ns_lock: exclusive for namespace changes, shared for lookups.
 * layout:  exclusive for anything that changes a file's size or extents
 *          (write, truncate, fallocate, map with alloc), shared for reads.
 * tx_lock: one transaction at a time; it also guards the allocators and
 *          every in-core dinode field outside size/extents.
 */
#ifndef HOLDFS_HFS_INT_H
#define HOLDFS_HFS_INT_H

#include <lib/list.h>
#include <lib/errno.h>
#include <fs/holdfs.h>
#include "hfs_format.h"

/* Test build: tiny capacities so splits, growth and full-journal paths run. */
#ifdef HFS_TINY_NODES
#define HFS_DEF_INLINE		2
#define HFS_DEF_NODE_ENTRIES	4
#define HFS_DEF_JOURNAL_MAX	8
#define HFS_ICACHE_MAX		4
#else
#define HFS_DEF_INLINE		HFS_MAX_INLINE
#define HFS_DEF_NODE_ENTRIES	HFS_NODE_MAX_ENTRIES
#define HFS_DEF_JOURNAL_MAX	1024
/* Unused inodes kept cached (LRU): ~0.5 KiB of DRAM each, so at most
 * ~8 MiB.  Enough that removing a directory of 10,000 files just made
 * finds every inode still checked and in DRAM. */
#define HFS_ICACHE_MAX		16384
#endif
#define HFS_DEF_JOURNAL_MIN	8
#define HFS_JOURNAL_RATIO	512	/* default journal: device / this */

#define HFS_TX_MAX_INODES	8	/* inodes one transaction may change */
#define HFS_TX_MAX_DIRS		4	/* directories one transaction may change */

#define HFS_BLOCK_OFF(b)	((uint64_t)(b) << HFS_BLOCK_SHIFT)

struct hfs_dirindex;

/*
 * One in-core inode.  Each field says what guards it.  The flags sit
 * beside ref, each a byte of its own (so each is its own memory
 * location), which keeps the struct within kmalloc's 512-byte class
 * (kernel_platform.c checks): 10,000 cached inodes take 5 MiB of DRAM,
 * not 10.
 */
struct hfs_inode {
	struct hfs_fs *fs;
	uint64_t ino;

	uint32_t ref;			/* fs->icache_lock */
	bool evicting;			/* fs->icache_lock */
	bool attrs_dirty;		/* size, mtime or atime newer in DRAM than
					 * on media (hfs_inode_persist_attrs) */
	bool in_tx;			/* changed by the running transaction:
					 * its tree reads overlay the journal */
	bool last_lock;			/* guards last (below) */
	struct list_node hash_link;	/* fs->icache_lock */
	struct list_node lru_link;	/* fs->icache_lock */

	hfs_rwsem_t layout;

	/*
	 * The inode's image.  size and the extent root change under layout
	 * (exclusive); the extent root and a size a transaction sets also
	 * under tx_lock, but hfs_write raises size without it (file.c).
	 * Everything else changes under tx_lock.
	 */
	struct hfs_dinode d;

	/*
	 * A cached extent for sequential and repeated lookups, guarded by
	 * last_lock (a spin flag): lookups run concurrently under the layout
	 * lock held shared, and an unguarded 16-byte copy tears (lblk from one
	 * extent, pblk from another).  Use hfs_last_get/set/forget.
	 */
	struct hfs_dext last;		/* len 0: nothing cached */
	uint64_t spec_from;		/* speculative preallocation from this
					 * file block (UINT64_MAX: none) */

	/* directories: the name index, built on first use (fs->dir_lock) */
	struct hfs_dirindex *dir;
};

/* One transaction: byte-range redo records staged in DRAM. */
struct hfs_tx {
	struct hfs_fs *fs;
	uint8_t *buf;			/* header + records */
	size_t cap, used;		/* cap: the journal's size */
	size_t buf_size;		/* bytes at buf: grows on demand up to cap */
	uint32_t nrec;
	int error;			/* sticky: the first failure */

	struct {
		struct hfs_inode *ip;
		struct hfs_dinode saved;	/* for abort */
		bool sets_size;			/* hfs_tx_set_size: abort restores size */
	} inodes[HFS_TX_MAX_INODES];
	unsigned ninodes;
	struct hfs_inode *dirs[HFS_TX_MAX_DIRS];	/* index dropped on abort */
	unsigned ndirs;
	bool sb_dirty;
	bool direct;			/* wrote unreferenced blocks in place */
	struct hfs_dsuper sb_saved;

	/* bitmap lines to log at commit; DRAM bitmap changes to undo */
	uint64_t *blines, *ilines;
	size_t nblines, nilines, max_lines;
	size_t blines_cap, ilines_cap;	/* entries allocated (<= max_lines) */
	struct hfs_undo { uint64_t start, len; uint8_t kind; } *undo;
	size_t nundo, max_undo, undo_cap;
	size_t pending_lines;		/* bitmap lines deferred frees will dirty */
};

struct hfs_fs {
	struct hfs_pm *pm;
	unsigned flags;			/* HFS_MOUNT_* */
	uint64_t dev_size;

	/* geometry, read-only after mount (copied from the superblock) */
	uint64_t nblocks, ninodes;
	uint64_t jstart, jblocks;
	uint64_t bbm_start, ibm_start, itable_start, data_start;
	unsigned inline_max, node_max;

	hfs_rwsem_t ns_lock;

	/* tx_lock: transactions, allocators, the superblock image */
	hfs_mutex_t tx_lock;
	struct hfs_tx tx;
	bool tx_active;
	uint64_t tx_seq;
	struct hfs_dsuper sb;
	uint64_t *bmap;			/* block bitmap (1 = used) */
	uint64_t free_blocks, block_hint;
	uint16_t *group_free;		/* free blocks per 2 MiB group */
	uint64_t ngroups;
	uint64_t *imap;			/* inode bitmap */
	uint64_t free_inodes, inode_hint;
	uint64_t tx_count;		/* statistics: transactions committed */

	/* icache_lock */
	hfs_mutex_t icache_lock;
	struct list_node *ihash;
	size_t ihash_size;
	struct list_node lru;
	size_t nlru;

	hfs_mutex_t dir_lock;		/* building directory indexes */
	struct hfs_inode *root;
	uint64_t dir_probes;		/* statistics: name-index probes */
	uint32_t last_nospc;		/* enum hfs_nospc; atomic, no lock: hfs_nospc() */
};

/*
 * hfs_nospc - note that an operation ran out of @what, and return -ENOSPC
 * for it to return.  Every -ENOSPC of the core comes through here, so that
 * statfs can say which resource it was (struct hfs_statfs.last_nospc).  A
 * relaxed atomic store: any context, any lock held or none.
 */
static inline int hfs_nospc(struct hfs_fs *fs, enum hfs_nospc what)
{
	__atomic_store_n(&fs->last_nospc, (uint32_t)what, __ATOMIC_RELAXED);
	return -ENOSPC;
}

/* ------------------------------------------------------------ journal.c */
int hfs_journal_init(struct hfs_fs *fs);
void hfs_journal_destroy(struct hfs_fs *fs);
/* The commit checksum of a transaction image (crc field zero). */
uint32_t hfs_journal_sum(const void *buf, size_t len);
int hfs_journal_replay(struct hfs_pm *pm, uint64_t jstart, uint64_t jblocks,
		       uint64_t nblocks, bool *replayed);
struct hfs_tx *hfs_tx_begin(struct hfs_fs *fs);
void hfs_tx_log(struct hfs_tx *tx, uint64_t off, const void *src, size_t len);
void hfs_tx_read(struct hfs_fs *fs, uint64_t off, void *dst, size_t len);
void hfs_tx_dirty_inode(struct hfs_tx *tx, struct hfs_inode *ip);
void hfs_tx_set_size(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t size);
void hfs_tx_dirty_sb(struct hfs_tx *tx);
void hfs_tx_touch_dir(struct hfs_tx *tx, struct hfs_inode *dir);
size_t hfs_tx_room(const struct hfs_tx *tx);
uint64_t hfs_tx_free_budget(const struct hfs_tx *tx, size_t reserve);
void hfs_tx_fail(struct hfs_tx *tx, int err);
void hfs_tx_direct(struct hfs_tx *tx);
int hfs_tx_commit(struct hfs_tx *tx);
void hfs_tx_abort(struct hfs_tx *tx);

/* ------------------------------------------------------------ alloc.c */
#define HFS_UNDO_BALLOC	1
#define HFS_UNDO_BFREE	2
#define HFS_UNDO_IALLOC	3
#define HFS_UNDO_IFREE	4
#define HFS_UNDO_BFREE_PENDING	5
int hfs_alloc_init(struct hfs_fs *fs);
void hfs_alloc_destroy(struct hfs_fs *fs);
int hfs_balloc(struct hfs_tx *tx, uint64_t goal, uint64_t want, uint64_t align,
	       uint64_t *start, uint64_t *got);
void hfs_bfree(struct hfs_tx *tx, uint64_t start, uint64_t len);
void hfs_alloc_commit_frees(struct hfs_tx *tx);
int hfs_ialloc(struct hfs_tx *tx, uint64_t *ino);
void hfs_ifree(struct hfs_tx *tx, uint64_t ino);
void hfs_alloc_undo(struct hfs_fs *fs, const struct hfs_undo *u);
void hfs_bm_line_image(const uint64_t *map, uint64_t nbits, uint64_t line,
		       struct hfs_dbmline *out);
uint32_t hfs_bm_line_crc(uint64_t line, const struct hfs_dbmline *l);
bool hfs_block_in_data(const struct hfs_fs *fs, uint64_t pblk, uint64_t len);

/* ------------------------------------------------------------ inode.c */
int hfs_icache_init(struct hfs_fs *fs);
void hfs_icache_destroy(struct hfs_fs *fs);
int hfs_iget(struct hfs_fs *fs, uint64_t ino, struct hfs_inode **out);
struct hfs_inode *hfs_icache_peek(struct hfs_fs *fs, uint64_t ino);
int hfs_dinode_check(const struct hfs_fs *fs, uint64_t ino, const struct hfs_dinode *d,
		     const char **why);
uint32_t hfs_dinode_crc(const struct hfs_dinode *d);
const char *hfs_dinode_attrs_bad(const struct hfs_dinode *d);
uint64_t hfs_inode_off(const struct hfs_fs *fs, uint64_t ino);
int hfs_inode_new(struct hfs_tx *tx, struct hfs_inode *dir, uint32_t mode,
		  struct hfs_inode **out);
void hfs_inode_discard(struct hfs_inode *ip);
void hfs_inode_persist_attrs(struct hfs_inode *ip);
void hfs_inode_writeback(struct hfs_inode *ip);
void hfs_inode_writeback_all(struct hfs_fs *fs);
void hfs_inode_persist_all_locked(struct hfs_fs *fs);
void hfs_touch(struct hfs_inode *ip, bool ctime);
void hfs_touch_ctime(struct hfs_inode *ip);
int hfs_inode_release_all(struct hfs_fs *fs);

/* ------------------------------------------------------------ orphan.c */
void hfs_orphan_add(struct hfs_tx *tx, struct hfs_inode *ip);
int hfs_orphan_remove(struct hfs_tx *tx, struct hfs_inode *ip);
int hfs_free_blocks_from(struct hfs_inode *ip, uint64_t lblk);
int hfs_spec_trim(struct hfs_inode *ip, const struct hfs_wait *w);
int hfs_evict(struct hfs_inode *ip);
int hfs_orphan_recover(struct hfs_fs *fs);
int hfs_finish_intent(struct hfs_inode *ip);
bool hfs_tx_grow(struct hfs_tx *tx, void **arr, size_t *cap, size_t elem, size_t need,
		 size_t limit);
void hfs_drop_last_link(struct hfs_tx *tx, struct hfs_inode *ip, bool sole);
int hfs_free_range_step(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t lo,
			uint64_t hi, bool *done);

/* ------------------------------------------------------------ extent.c */
int hfs_ext_lookup(struct hfs_inode *ip, uint64_t lblk, struct hfs_dext *ext,
		   uint64_t *hole_len);
int hfs_ext_last(struct hfs_inode *ip, struct hfs_dext *ext);
int hfs_ext_insert(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t lblk,
		   uint64_t pblk, uint64_t len);
int hfs_ext_remove(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t lblk,
		   uint64_t len, uint64_t max_free, uint64_t *removed);
int hfs_ext_shift(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t from, int64_t delta);
int hfs_ext_shift_step(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t from,
		       int64_t delta, uint64_t *next);
int hfs_node_check(const struct hfs_fs *fs, uint64_t owner, uint64_t pblk,
		   unsigned depth, const struct hfs_dnode_hdr *h, const char **why);

/* ------------------------------------------------------------ dir.c */
uint32_t hfs_name_hash(const char *name, size_t len);
int hfs_dir_lookup(struct hfs_inode *dir, const char *name, size_t len,
		   uint64_t *ino, uint64_t *pos);
int hfs_dir_add(struct hfs_tx *tx, struct hfs_inode *dir, const char *name,
		size_t len, uint64_t ino, unsigned type);
int hfs_dir_remove(struct hfs_tx *tx, struct hfs_inode *dir, const char *name,
		   size_t len, uint64_t pos);
int hfs_dir_set_ino(struct hfs_tx *tx, struct hfs_inode *dir, uint64_t pos,
		    uint64_t ino, unsigned type);
int hfs_dir_count(struct hfs_inode *dir, uint64_t *count);
void hfs_dir_drop_index(struct hfs_inode *dir);
int hfs_dirent_check(const struct hfs_ddirent *de, unsigned slot, const char **why);
int hfs_dirblk_check(uint64_t owner, uint64_t index, const struct hfs_ddirblk *h,
		     const char **why);
unsigned hfs_mode_ft(uint32_t mode);

/* ------------------------------------------------------------ fsck_lost.c */
#define HFS_LOST_FOUND		"lost+found"	/* in the root; made by mkfs */

struct hfs_lost {
	uint64_t ino;
	bool is_dir;
};
uint64_t hfs_fsck_reconnect(struct hfs_pm *pm, uint64_t lf, const struct hfs_lost *lost,
			    uint64_t n);

/* ------------------------------------------------------------ file.c */
int hfs_zero_gap(struct hfs_inode *ip, uint64_t from, uint64_t to);
int64_t hfs_count_holes(struct hfs_inode *ip, uint64_t lblk, uint64_t n);
int hfs_alloc_range(struct hfs_inode *ip, uint64_t lblk, uint64_t n, bool zero,
		    uint64_t spec);
int hfs_truncate_locked(struct hfs_inode *ip, uint64_t size);

/* ------------------------------------------------------------ super.c */
int hfs_sb_check(const struct hfs_dsuper *sb, uint64_t dev_size, const char **why);
int hfs_sb_replay(struct hfs_pm *pm, struct hfs_dsuper *sb, bool *replayed, const char *who);
uint32_t hfs_sb_crc(const struct hfs_dsuper *sb);
int hfs_sb_read(struct hfs_pm *pm, struct hfs_dsuper *sb, bool *used_backup);
void hfs_forget(struct hfs_fs *fs);

static inline bool hfs_is_dir(const struct hfs_inode *ip)
{
	return (ip->d.mode & HFS_S_IFMT) == HFS_S_IFDIR;
}
static inline bool hfs_is_reg(const struct hfs_inode *ip)
{
	return (ip->d.mode & HFS_S_IFMT) == HFS_S_IFREG;
}
static inline bool hfs_is_lnk(const struct hfs_inode *ip)
{
	return (ip->d.mode & HFS_S_IFMT) == HFS_S_IFLNK;
}
static inline bool hfs_rdonly(const struct hfs_fs *fs)
{
	return fs->flags & HFS_MOUNT_RDONLY;
}

/*
 * An inode allocated by the running transaction, which the caller is in:
 * no committed directory names it yet, so nobody but its creator (who
 * holds ns_lock exclusive) can reach it.  For the lock assertions only:
 * it walks the transaction's undo records.
 */
static inline bool hfs_inode_unborn(const struct hfs_inode *ip)
{
	const struct hfs_fs *fs = ip->fs;
	size_t i;

	if (!fs->tx_active || !hfs_mutex_held(&fs->tx_lock))
		return false;
	for (i = 0; i < fs->tx.nundo; i++)
		if (fs->tx.undo[i].kind == HFS_UNDO_IALLOC && fs->tx.undo[i].start == ip->ino)
			return true;
	return false;
}

/*
 * The lock rules of a file's extent tree (and size), for the assertions
 * (holdfs_platform.h): reading it wants the layout lock, shared or exclusive;
 * changing it wants the layout lock exclusive.  A directory's tree, a
 * symlink's, and that of an inode not yet committed are the namespace's
 * instead: read under ns_lock, changed under ns_lock exclusive.
 */
static inline bool hfs_extents_readable(const struct hfs_inode *ip)
{
	return hfs_rwsem_held(&ip->layout) ||
	       (hfs_rwsem_held(&ip->fs->ns_lock) && (!hfs_is_reg(ip) || hfs_inode_unborn(ip)));
}
static inline bool hfs_extents_writable(const struct hfs_inode *ip)
{
	return hfs_rwsem_held_write(&ip->layout) ||
	       (hfs_rwsem_held_write(&ip->fs->ns_lock) && (!hfs_is_reg(ip) || hfs_inode_unborn(ip)));
}
#define hfs_assert_extents_readable(ip)						\
	hfs_assert_lock(hfs_extents_readable(ip), &ip->layout,		\
			"not held (nor ns_lock, for a directory, symlink or new inode)")
#define hfs_assert_extents_writable(ip)						\
	hfs_assert_lock(hfs_extents_writable(ip), &ip->layout,		\
			"not held for write (nor ns_lock, for a directory, symlink or new inode)")

/* The inode's cached extent, copied under its spin flag (see last_lock). */
static inline void hfs_last_lock(struct hfs_inode *ip)
{
	while (__atomic_test_and_set(&ip->last_lock, __ATOMIC_ACQUIRE))
		;
}
static inline void hfs_last_unlock(struct hfs_inode *ip)
{
	__atomic_clear(&ip->last_lock, __ATOMIC_RELEASE);
}
static inline struct hfs_dext hfs_last_get(struct hfs_inode *ip)
{
	struct hfs_dext e;

	hfs_last_lock(ip);
	e = ip->last;
	hfs_last_unlock(ip);
	return e;
}
static inline void hfs_last_set(struct hfs_inode *ip, const struct hfs_dext *e)
{
	hfs_last_lock(ip);
	ip->last = *e;
	hfs_last_unlock(ip);
}
static inline void hfs_last_forget(struct hfs_inode *ip)
{
	hfs_last_lock(ip);
	ip->last.len = 0;
	hfs_last_unlock(ip);
}

#endif
