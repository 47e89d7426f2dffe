/*
 * inode.c - the inode cache, inode checks, and inode lifetime.
 *
 * Inodes live in a table of fixed 256-byte records (hfs_format.h).  An
 * in-core inode (struct hfs_inode) holds a DRAM copy of its record; the
 * copy is the truth while the inode is cached, and transactions log it
 * whole (journal.c).  size, mtime and atime sit outside the record's
 * checksum, in its first cache line, so that they can also be stored in
 * place: a write raises size and mtime in DRAM only and marks the inode
 * (attrs_dirty); hfs_inode_persist_attrs() stores all three with one
 * line write at fsync, at close, at sync and when the inode leaves the
 * cache, as Linux writes back an inode's size after its data.
 *
 * Every record read from the media passes hfs_dinode_check() before use.
 *
 * Cache: a hash table of in-core inodes with a reference count.  An inode
 * whose count drops to zero stays cached on an LRU list (so directories
 * keep their name index) until HFS_ICACHE_MAX others are waiting; an
 * inode with no links left is evicted at once (orphan.c frees its blocks).
 *
 * Locking: fs->icache_lock guards the hash, the LRU and every ref count.
 * It is taken last (never call out with it held).
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/crc.h>
#include <lib/bitmap.h>
#include <lib/compiler.h>
#include "hfs_int.h"

#define IHASH_SIZE	4096	/* chains of ~4 with the LRU full */
#define NLINK_MAX	65000

uint64_t hfs_inode_off(const struct hfs_fs *fs, uint64_t ino)
{
	return HFS_BLOCK_OFF(fs->itable_start) + ino * HFS_INODE_SIZE;
}

uint32_t hfs_dinode_crc(const struct hfs_dinode *d)
{
	const uint8_t *p = (const uint8_t *)d;
	uint32_t zero = 0, crc;
	size_t after = HFS_DINODE_CRC_START + sizeof(zero);

	crc = crc32c(0, &zero, sizeof(zero));
	return crc32c(crc, p + after, HFS_INODE_SIZE - after);
}

static int check_root(const struct hfs_fs *fs, const struct hfs_dinode *d,
		      const char **why)
{
	uint64_t next = 0;
	unsigned i;

	for (i = 0; i < d->nroot; i++) {
		const struct hfs_dext *e = &d->root[i];

		if (e->lblk < next && i > 0) {
			*why = "extent root out of order";
			return -EUCLEAN;
		}
		if (d->depth == 0) {
			if (e->len == 0 || !hfs_block_in_data(fs, e->pblk, e->len)) {
				*why = "extent outside the data area";
				return -EUCLEAN;
			}
			next = (uint64_t)e->lblk + e->len;
			if (next > HFS_MAX_FILE_BLOCKS) {
				*why = "extent past the largest file";
				return -EUCLEAN;
			}
		} else {
			if (e->len != 0 || !hfs_block_in_data(fs, e->pblk, 1)) {
				*why = "index record points outside the data area";
				return -EUCLEAN;
			}
			next = (uint64_t)e->lblk + 1;
		}
	}
	return 0;
}

/**
 * hfs_dinode_attrs_bad - what is wrong with @d's owner, times and reserved
 * bytes (format version 2, FORMAT.md "Inodes"), or NULL if nothing is.
 * A uid or gid of HFS_ID_INVALID, a time past HFS_TIME_MAX, or a
 * reserved byte that is not zero.  fsck repairs these in place
 * (fsck.c fix_attrs), so they never cost a file its data.
 */
const char *hfs_dinode_attrs_bad(const struct hfs_dinode *d)
{
	size_t i;

	if (d->uid == HFS_ID_INVALID || d->gid == HFS_ID_INVALID)
		return "owner uid or gid is -1";
	if (d->atime_ns > HFS_TIME_MAX || d->mtime_ns > HFS_TIME_MAX ||
	    d->ctime_ns > HFS_TIME_MAX)
		return "time out of range";
	if (d->reserved)
		return "reserved field not zero";
	for (i = 0; i < sizeof(d->reserved2); i++)
		if (d->reserved2[i])
			return "reserved field not zero";
	return NULL;
}

/**
 * hfs_dinode_check - is @d a sane record for inode @ino?
 * Returns 0, or -EUCLEAN with *why naming what is wrong.  A free record
 * (mode 0) is not sane: callers check the bitmap first.
 */
int hfs_dinode_check(const struct hfs_fs *fs, uint64_t ino, const struct hfs_dinode *d,
		     const char **why)
{
	uint32_t type = d->mode & HFS_S_IFMT;

	*why = NULL;
	if (d->mode == 0)
		*why = "inode is free";
	else if (d->crc != hfs_dinode_crc(d))
		*why = "bad checksum";
	else if (d->ino != ino)
		*why = "records another inode number";
	else if (type != HFS_S_IFREG && type != HFS_S_IFDIR && type != HFS_S_IFLNK)
		*why = "unknown file type";
	else if (d->flags & ~HFS_DI_FLAGS_KNOWN)
		*why = "unknown flags";
	else if (d->nlink > NLINK_MAX)
		*why = "link count too large";
	else if (d->depth > HFS_MAX_DEPTH)
		*why = "extent tree too deep";
	else if (d->nroot > fs->inline_max || (d->depth > 0 && d->nroot == 0))
		*why = "bad extent root count";
	else if (d->size > HFS_MAX_FILE_BYTES)
		*why = "size too large";
	else if (type == HFS_S_IFDIR && (d->size % HFS_BLOCK_SIZE ||
					 d->parent == 0 || d->parent >= fs->ninodes))
		*why = "bad directory size or parent";
	else if (type == HFS_S_IFLNK && (d->size == 0 || d->size >= HFS_PATH_MAX))
		*why = "bad symlink length";
	else if (d->blocks > fs->nblocks)
		*why = "block count too large";
	else if (d->orphan_next >= fs->ninodes)
		*why = "orphan link out of range";
	else if ((d->flags & (HFS_DI_INTENT | HFS_DI_COLLAPSE)) &&
		 (d->intent_lo > d->intent_hi || d->intent_hi > HFS_MAX_FILE_BLOCKS))
		*why = "bad intent range";
	else if ((d->flags & HFS_DI_COLLAPSE) &&
		 ((d->flags & HFS_DI_INTENT) || !(d->flags & HFS_DI_ORPHAN) ||
		  d->intent_lo == d->intent_hi))
		*why = "bad collapse intent";
	else
		*why = hfs_dinode_attrs_bad(d);
	if (*why)
		return -EUCLEAN;
	if (type == HFS_S_IFLNK && d->size <= HFS_INLINE_LINK_MAX) {
		if (d->depth || d->nroot) {
			*why = "inline symlink with extents";
			return -EUCLEAN;
		}
		return 0;
	}
	return check_root(fs, d, why);
}

int hfs_icache_init(struct hfs_fs *fs)
{
	size_t i;

	fs->ihash_size = IHASH_SIZE;
	fs->ihash = hfs_alloc(IHASH_SIZE * sizeof(*fs->ihash));
	if (!fs->ihash)
		return -ENOMEM;
	for (i = 0; i < IHASH_SIZE; i++)
		list_init(&fs->ihash[i]);
	list_init(&fs->lru);
	fs->nlru = 0;
	hfs_mutex_init(&fs->icache_lock, "hfs_icache");
	hfs_mutex_init(&fs->dir_lock, "hfs_dir");
	return 0;
}

void hfs_icache_destroy(struct hfs_fs *fs)
{
	hfs_free(fs->ihash);
	fs->ihash = NULL;
}

static struct list_node *ihead(struct hfs_fs *fs, uint64_t ino)
{
	return &fs->ihash[ino & (fs->ihash_size - 1)];
}

/* The cached inode @ino, or NULL.  Caller holds icache_lock. */
static struct hfs_inode *ifind(struct hfs_fs *fs, uint64_t ino)
{
	struct hfs_inode *ip;

	hfs_assert_held(&fs->icache_lock);
	list_for_each_entry(ip, ihead(fs, ino), hash_link)
		if (ip->ino == ino)
			return ip;
	return NULL;
}

/* The cached inode @ino without taking a reference (orphan list walks). */
struct hfs_inode *hfs_icache_peek(struct hfs_fs *fs, uint64_t ino)
{
	struct hfs_inode *ip;

	hfs_mutex_lock(&fs->icache_lock);
	ip = ifind(fs, ino);
	hfs_mutex_unlock(&fs->icache_lock);
	return ip;
}

static struct hfs_inode *inode_alloc(struct hfs_fs *fs, uint64_t ino)
{
	struct hfs_inode *ip = hfs_zalloc(sizeof(*ip));

	if (!ip)
		return NULL;
	ip->fs = fs;
	ip->ino = ino;
	ip->ref = 1;
	ip->spec_from = UINT64_MAX;
	list_init(&ip->hash_link);
	list_init(&ip->lru_link);
	hfs_rwsem_init(&ip->layout, "hfs_layout");
	return ip;
}

static void inode_destroy(struct hfs_inode *ip)
{
	hfs_dir_drop_index(ip);
	hfs_free(ip);
}

/**
 * hfs_iget - a referenced in-core inode for @ino.
 * Returns 0, -ENOMEM, or -EUCLEAN when @ino is out of range, free in the
 * bitmap, or its record fails hfs_dinode_check() (the reason is logged).
 * Any lock but icache_lock may be held.
 */
int hfs_iget(struct hfs_fs *fs, uint64_t ino, struct hfs_inode **out)
{
	struct hfs_inode *ip, *other;
	const char *why;

	if (ino == 0 || ino >= fs->ninodes || !bitmap_test(fs->imap, ino)) {
		hfs_log("holdfs: reference to inode %llu, which is %s\n",
			(unsigned long long)ino, ino && ino < fs->ninodes ? "free" :
			"out of range");
		return -EUCLEAN;
	}
	hfs_mutex_lock(&fs->icache_lock);
	ip = ifind(fs, ino);
	if (ip && !ip->evicting) {
		if (ip->ref++ == 0) {
			list_del(&ip->lru_link);
			fs->nlru--;
		}
		hfs_mutex_unlock(&fs->icache_lock);
		*out = ip;
		return 0;
	}
	hfs_mutex_unlock(&fs->icache_lock);
	if (ip)
		return -ENOENT;		/* being evicted: it has no links */

	ip = inode_alloc(fs, ino);
	if (!ip)
		return -ENOMEM;
	memcpy(&ip->d, hfs_pm_ptr(fs->pm, hfs_inode_off(fs, ino)), HFS_INODE_SIZE);
	if (hfs_dinode_check(fs, ino, &ip->d, &why)) {
		hfs_log("holdfs: inode %llu is corrupt: %s\n", (unsigned long long)ino, why);
		hfs_free(ip);
		return -EUCLEAN;
	}
	hfs_mutex_lock(&fs->icache_lock);
	other = ifind(fs, ino);
	if (other) {		/* lost a race with another hfs_iget */
		if (other->ref++ == 0) {
			list_del(&other->lru_link);
			fs->nlru--;
		}
		hfs_mutex_unlock(&fs->icache_lock);
		hfs_free(ip);
		*out = other;
		return 0;
	}
	list_add_head(ihead(fs, ino), &ip->hash_link);
	hfs_mutex_unlock(&fs->icache_lock);
	*out = ip;
	return 0;
}

/*
 * The owner of a new inode in @dir: the caller's (hfs_plat_cred), except
 * that a set-group-ID directory hands down its group, and to a new
 * directory its set-group-ID bit too (as System V and Linux do).
 */
static void new_owner(struct hfs_inode *ip, const struct hfs_inode *dir)
{
	hfs_plat_cred(&ip->d.uid, &ip->d.gid);
	if (!(dir->d.mode & HFS_S_ISGID))
		return;
	ip->d.gid = dir->d.gid;
	if (hfs_is_dir(ip))
		ip->d.mode |= HFS_S_ISGID;
}

/**
 * hfs_inode_new - allocate and cache a new inode of @mode in @tx.
 * The inode has one reference, no links, times set to now, the owner
 * new_owner() gives; directories get @dir as parent.  If the transaction
 * then fails the caller drops it with hfs_inode_discard().  Returns 0,
 * -ENOSPC, -ENOMEM.
 */
int hfs_inode_new(struct hfs_tx *tx, struct hfs_inode *dir, uint32_t mode,
		  struct hfs_inode **out)
{
	struct hfs_fs *fs = tx->fs;
	struct hfs_inode *ip;
	uint64_t ino, now = hfs_now_ns();
	uint32_t gen;
	int err;

	err = hfs_ialloc(tx, &ino);
	if (err)
		return err;
	ip = inode_alloc(fs, ino);
	if (!ip) {
		hfs_tx_fail(tx, -ENOMEM);
		return -ENOMEM;
	}
	gen = ((const struct hfs_dinode *)hfs_pm_ptr(fs->pm, hfs_inode_off(fs, ino)))->generation;
	ip->d.mode = (uint16_t)mode;
	ip->d.ino = ino;
	ip->d.generation = gen + 1;
	ip->d.atime_ns = ip->d.mtime_ns = ip->d.ctime_ns = now;
	ip->d.parent = (mode & HFS_S_IFMT) == HFS_S_IFDIR ? dir->ino : 0;
	new_owner(ip, dir);
	hfs_tx_dirty_inode(tx, ip);
	hfs_mutex_lock(&fs->icache_lock);
	list_add_head(ihead(fs, ino), &ip->hash_link);
	hfs_mutex_unlock(&fs->icache_lock);
	*out = ip;
	return tx->error;
}

/* Drop a new inode whose creating transaction failed. */
void hfs_inode_discard(struct hfs_inode *ip)
{
	hfs_mutex_lock(&ip->fs->icache_lock);
	list_del(&ip->hash_link);
	hfs_mutex_unlock(&ip->fs->icache_lock);
	inode_destroy(ip);
}

struct hfs_inode *hfs_igrab(struct hfs_inode *ip)
{
	hfs_mutex_lock(&ip->fs->icache_lock);
	ip->ref++;
	hfs_mutex_unlock(&ip->fs->icache_lock);
	return ip;
}

uint64_t hfs_ino(const struct hfs_inode *ip)
{
	return ip->ino;
}

hfs_rwsem_t *hfs_layout_lock(struct hfs_inode *ip)
{
	return &ip->layout;
}

/*
 * Set mtime (and ctime) to now: a change of the file's contents (a write,
 * a directory's entries).  Inside a transaction that logs @ip, ctime goes
 * out with it.  Outside one (hfs_write, under the layout lock) ctime is
 * checksummed and cannot be stored in place: as with Linux's lazytime it
 * waits in DRAM until the inode's next transaction, or until
 * hfs_inode_writeback() runs one (fsync, sync, eviction, unmount), so that
 * a file written once costs no transaction at close.
 */
void hfs_touch(struct hfs_inode *ip, bool ctime)
{
	uint64_t now = hfs_now_ns();

	ip->d.mtime_ns = now;
	if (ctime)
		ip->d.ctime_ns = now;
	__atomic_store_n(&ip->attrs_dirty, true, __ATOMIC_RELEASE);
}

/*
 * Set ctime alone to now: a change of the inode, not of its contents
 * (link, unlink, rename of the file itself, setattr).  Inside a
 * transaction that logs @ip.
 */
void hfs_touch_ctime(struct hfs_inode *ip)
{
	hfs_assert_held(&ip->fs->tx_lock);
	ip->d.ctime_ns = hfs_now_ns();
}

/* Is @ip's ctime newer in DRAM than on media?  Without tx_lock only a hint. */
static bool ctime_stale_hint(const struct hfs_inode *ip)
{
	const struct hfs_dinode *m = (const void *)hfs_pm_ptr(ip->fs->pm,
							      hfs_inode_off(ip->fs, ip->ino));

	return ip->d.mode && ip->d.nlink && m->ctime_ns != ip->d.ctime_ns;
}

/* The same, exact: no transaction is applying @ip's record.  Caller holds tx_lock. */
static bool ctime_stale(struct hfs_inode *ip)
{
	hfs_assert_held(&ip->fs->tx_lock);
	return ctime_stale_hint(ip);
}

/* Log @ip whole in a transaction of its own, for a ctime a write set. */
static void log_inode(struct hfs_inode *ip)
{
	struct hfs_tx *tx = hfs_tx_begin(ip->fs);

	if (!ctime_stale(ip)) {
		hfs_tx_abort(tx);
		return;
	}
	hfs_tx_dirty_inode(tx, ip);
	hfs_tx_commit(tx);	/* on failure ctime stays in DRAM only: it is
				 * retried at the next persist */
}

/*
 * Store size, mtime and atime in place, one cache line.  The flag is
 * cleared with a full barrier before the values are read: a write that
 * raises them after that sets it again, so nothing newer is forgotten.
 * A write fenced its data before it raised size in DRAM, so storing the
 * size needs no fence of its own.  Caller holds tx_lock, so that no
 * commit applies an older image over these stores.
 */
static void persist_attrs_locked(struct hfs_inode *ip)
{
	struct hfs_fs *fs = ip->fs;

	hfs_assert_held(&fs->tx_lock);
	if (!__atomic_exchange_n(&ip->attrs_dirty, false, __ATOMIC_SEQ_CST))
		return;
	hfs_pm_persist(fs->pm, hfs_inode_off(fs, ip->ino), &ip->d.size,
		       HFS_DINODE_CRC_START);
}

/**
 * hfs_inode_persist_attrs - store a size, mtime and atime newer than the
 * media's in place (no fence: the next fence or fsync makes them
 * durable).  Takes tx_lock.
 */
void hfs_inode_persist_attrs(struct hfs_inode *ip)
{
	struct hfs_fs *fs = ip->fs;

	if (!__atomic_load_n(&ip->attrs_dirty, __ATOMIC_ACQUIRE) || hfs_rdonly(fs))
		return;
	hfs_mutex_lock(&fs->tx_lock);
	persist_attrs_locked(ip);
	hfs_mutex_unlock(&fs->tx_lock);
}

/**
 * hfs_inode_writeback - hfs_inode_persist_attrs, and a ctime newer in
 * DRAM than on media (a write's, hfs_touch) logged in a transaction of
 * its own.  Takes tx_lock.
 */
void hfs_inode_writeback(struct hfs_inode *ip)
{
	if (!__atomic_load_n(&ip->attrs_dirty, __ATOMIC_ACQUIRE) || hfs_rdonly(ip->fs))
		return;
	log_inode(ip);
	hfs_inode_persist_attrs(ip);
}

/*
 * hfs_sync's first half: log every cached inode whose ctime a write
 * changed.  The check before the transaction is a hint read without
 * tx_lock; log_inode checks again under it.  Restarts a chain after each
 * one (the chain may change while icache_lock is dropped).
 */
void hfs_inode_writeback_all(struct hfs_fs *fs)
{
	size_t i;

	if (hfs_rdonly(fs))
		return;
	for (i = 0; i < fs->ihash_size; i++) {
		struct hfs_inode *ip, *found;

		do {
			found = NULL;
			hfs_mutex_lock(&fs->icache_lock);
			list_for_each_entry(ip, &fs->ihash[i], hash_link)
				if (!ip->evicting && ctime_stale_hint(ip)) {
					found = ip;
					if (found->ref++ == 0) {
						list_del(&found->lru_link);
						fs->nlru--;
					}
					break;
				}
			hfs_mutex_unlock(&fs->icache_lock);
			if (found) {
				log_inode(found);
				hfs_iput(found);
			}
		} while (found);
	}
}

/*
 * hfs_sync: every cached inode's size, mtime and atime.  Caller holds
 * tx_lock, so a ctime a write changed waits for the inode's release
 * (close, eviction, unmount) or its next transaction.
 */
void hfs_inode_persist_all_locked(struct hfs_fs *fs)
{
	size_t i;

	hfs_assert_held(&fs->tx_lock);
	if (hfs_rdonly(fs))
		return;
	hfs_mutex_lock(&fs->icache_lock);
	for (i = 0; i < fs->ihash_size; i++) {
		struct hfs_inode *ip;

		list_for_each_entry(ip, &fs->ihash[i], hash_link)
			persist_attrs_locked(ip);
	}
	hfs_mutex_unlock(&fs->icache_lock);
}

/**
 * hfs_spec_trim - give back the speculative blocks past EOF (an append's
 * allocate-ahead, a new file's first block) that are still there: a
 * transaction, but only when there are some (a new file's first block is
 * usually written by then).  @w: as for hfs_break_layout.  Caller holds
 * the layout lock exclusive.  Returns 0 or what freeing returned.
 */
int hfs_spec_trim(struct hfs_inode *ip, const struct hfs_wait *w)
{
	uint64_t from;
	struct hfs_dext last;
	int r, err = 0;

	hfs_assert_held_write(&ip->layout);
	if (ip->spec_from == UINT64_MAX || !hfs_is_reg(ip))
		return 0;
	from = MAX(DIV_ROUND_UP(ip->d.size, HFS_BLOCK_SIZE), ip->spec_from);
	r = hfs_ext_last(ip, &last);
	if (r < 0 || (r == 1 && (uint64_t)last.lblk + last.len > from)) {
		err = hfs_break_layout(ip, &ip->layout, HFS_BLOCK_OFF(from),
				       HFS_MAX_FILE_BYTES - HFS_BLOCK_OFF(from), w);
		if (err)
			return err;
		err = hfs_free_blocks_from(ip, from);
	}
	ip->spec_from = UINT64_MAX;
	return err;
}

/* Give back speculative blocks past EOF; persist size and times.  It
 * cannot fail, so it does not stop for an interrupt (HFS_WAIT_NOINTR). */
static void inode_release(struct hfs_inode *ip)
{
	static const struct hfs_wait nointr = { HFS_WAIT_NOINTR, 0 };

	if (hfs_rdonly(ip->fs))
		return;
	if (ip->spec_from != UINT64_MAX) {
		hfs_down_write(&ip->layout);
		hfs_spec_trim(ip, &nointr);
		hfs_up_write(&ip->layout);
	}
	hfs_inode_persist_attrs(ip);
}

/**
 * hfs_iput - drop a reference.  The last reference of an inode without
 * links frees it (and its blocks); otherwise the inode stays cached.
 * Caller may hold ns_lock, but not the inode's layout lock nor tx_lock.
 */
void hfs_iput(struct hfs_inode *ip)
{
	struct hfs_fs *fs;
	struct hfs_inode *victim = NULL;

	if (!ip)
		return;
	fs = ip->fs;
	hfs_assert_lock(!hfs_rwsem_held_write(&ip->layout), &ip->layout,
			"held for write, and must not be");
	hfs_assert_lock(!hfs_mutex_held(&fs->tx_lock), &fs->tx_lock,
			"held, and must not be");
	hfs_mutex_lock(&fs->icache_lock);
	if (ip->ref > 1) {
		ip->ref--;
		hfs_mutex_unlock(&fs->icache_lock);
		return;
	}
	if (ip->d.nlink == 0 && !hfs_rdonly(fs)) {
		ip->evicting = true;
		hfs_mutex_unlock(&fs->icache_lock);
		if (ip->d.mode != 0)	/* not freed already by hfs_drop_last_link */
			hfs_evict(ip);
		hfs_mutex_lock(&fs->icache_lock);
		list_del(&ip->hash_link);
		hfs_mutex_unlock(&fs->icache_lock);
		inode_destroy(ip);
		return;
	}
	hfs_mutex_unlock(&fs->icache_lock);
	inode_release(ip);
	hfs_mutex_lock(&fs->icache_lock);
	if (--ip->ref == 0) {
		list_add_head(&fs->lru, &ip->lru_link);
		if (++fs->nlru > HFS_ICACHE_MAX) {
			victim = list_last_entry(&fs->lru, struct hfs_inode, lru_link);
			list_del(&victim->lru_link);
			list_del(&victim->hash_link);
			fs->nlru--;
		}
	}
	hfs_mutex_unlock(&fs->icache_lock);
	if (victim) {
		hfs_inode_writeback(victim);
		inode_destroy(victim);
	}
}

/**
 * hfs_inode_release_all - at unmount: persist and free every cached
 * inode.  Returns -EBUSY if some inode other than the root is still
 * referenced (nothing is freed then).
 */
int hfs_inode_release_all(struct hfs_fs *fs)
{
	size_t i;

	for (i = 0; i < fs->ihash_size; i++) {
		struct hfs_inode *ip;

		list_for_each_entry(ip, &fs->ihash[i], hash_link)
			if (ip->ref && ip != fs->root)
				return -EBUSY;
	}
	for (i = 0; i < fs->ihash_size; i++) {
		while (!list_empty(&fs->ihash[i])) {
			struct hfs_inode *ip = list_first_entry(&fs->ihash[i],
						struct hfs_inode, hash_link);

			list_del(&ip->hash_link);
			list_del(&ip->lru_link);
			hfs_inode_writeback(ip);
			inode_destroy(ip);
		}
	}
	fs->nlru = 0;
	fs->root = NULL;
	return 0;
}

int hfs_getattr(struct hfs_inode *ip, struct hfs_stat *st)
{
	st->ino = ip->ino;
	st->mode = ip->d.mode;
	st->nlink = ip->d.nlink;
	st->size = ip->d.size;
	st->blocks = ip->d.blocks;
	st->atime_ns = ip->d.atime_ns;
	st->mtime_ns = ip->d.mtime_ns;
	st->ctime_ns = ip->d.ctime_ns;
	st->uid = ip->d.uid;
	st->gid = ip->d.gid;
	return 0;
}
