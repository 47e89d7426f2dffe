/*
 * orphan.c - work that outlives one transaction: the orphan list and
 * free-range intents.
 *
 * Freeing the blocks of a large, fragmented file can need more journal
 * than one transaction has.  Such work is split into bounded
 * transactions, and made atomic by writing down, in the first one, what
 * remains to be done:
 *   - the inode goes on the orphan list (superblock orphan_head, linked
 *     through dinode.orphan_next, flag HFS_DI_ORPHAN);
 *   - an inode with no links left will be freed entirely;
 *   - an inode with HFS_DI_INTENT has file blocks [intent_lo, intent_hi)
 *     still to free (a truncate or punch whose size change is already
 *     committed);
 *   - an inode with HFS_DI_COLLAPSE has a collapse-range to finish: free
 *     [intent_lo, intent_hi), then move every extent at or after
 *     intent_hi down by intent_hi - intent_lo (the size is already the
 *     new one).  The move goes a leaf per transaction, and after each the
 *     intent becomes the same collapse of the (empty) gap that is left,
 *     next to the first extent not yet moved: see collapse_step.
 * Mount finishes every orphan (hfs_orphan_recover) before anything else
 * runs.  An unlinked file that is still open is an orphan too: it lives
 * until its last reference is dropped (hfs_evict), or the next mount.
 *
 * Locking: the caller holds the inode's layout lock exclusive (eviction
 * and recovery take it too, though nobody else uses the inode then) and
 * is in the transaction; each function asserts it.  At run time every
 * orphan is in the inode cache (someone holds a reference), which is how
 * hfs_orphan_remove finds a predecessor without reading uncached inodes.
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/compiler.h>
#include "hfs_int.h"

/** hfs_orphan_add - put @ip on the orphan list in @tx. */
void hfs_orphan_add(struct hfs_tx *tx, struct hfs_inode *ip)
{
	struct hfs_fs *fs = tx->fs;

	hfs_assert_held_write(&ip->layout);
	hfs_assert_held(&fs->tx_lock);
	if (ip->d.flags & HFS_DI_ORPHAN)
		return;
	hfs_tx_dirty_inode(tx, ip);
	hfs_tx_dirty_sb(tx);
	ip->d.orphan_next = fs->sb.orphan_head;
	ip->d.flags |= HFS_DI_ORPHAN;
	fs->sb.orphan_head = ip->ino;
}

/**
 * hfs_orphan_remove - take @ip off the orphan list in @tx.
 * Returns 0 or -EUCLEAN when the list is broken (a predecessor that is not
 * a cached orphan, or a loop).
 */
int hfs_orphan_remove(struct hfs_tx *tx, struct hfs_inode *ip)
{
	struct hfs_fs *fs = tx->fs;
	uint64_t cur = fs->sb.orphan_head, steps;

	hfs_assert_held_write(&ip->layout);
	hfs_assert_held(&fs->tx_lock);
	if (!(ip->d.flags & HFS_DI_ORPHAN))
		return 0;
	hfs_tx_dirty_inode(tx, ip);
	if (cur == ip->ino) {
		hfs_tx_dirty_sb(tx);
		fs->sb.orphan_head = ip->d.orphan_next;
		goto out;
	}
	for (steps = 0; cur && steps < fs->ninodes; steps++) {
		struct hfs_inode *prev = hfs_icache_peek(fs, cur);

		if (!prev || !(prev->d.flags & HFS_DI_ORPHAN))
			break;
		if (prev->d.orphan_next == ip->ino) {
			hfs_tx_dirty_inode(tx, prev);
			prev->d.orphan_next = ip->d.orphan_next;
			goto out;
		}
		cur = prev->d.orphan_next;
	}
	hfs_log("holdfs: orphan list is broken near inode %llu\n", (unsigned long long)cur);
	hfs_tx_fail(tx, -EUCLEAN);
	return -EUCLEAN;
out:
	ip->d.orphan_next = 0;
	ip->d.flags &= (uint16_t)~HFS_DI_ORPHAN;
	return tx->error;
}

/**
 * hfs_free_range_step - free as much of file blocks [lo, hi) of @ip as
 * @tx can hold; *done when nothing is left.  Records what is left as the
 * inode's intent.
 */
int hfs_free_range_step(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t lo,
			uint64_t hi, bool *done)
{
	uint64_t removed;
	int err;

	hfs_tx_dirty_inode(tx, ip);
	err = hfs_ext_remove(tx, ip, lo, hi - lo, UINT64_MAX, &removed);
	if (err)
		return err;
	*done = removed == hi - lo;
	if (*done) {
		ip->d.flags &= (uint16_t)~HFS_DI_INTENT;
		ip->d.intent_lo = ip->d.intent_hi = 0;
	} else {
		ip->d.flags |= HFS_DI_INTENT;
		ip->d.intent_lo = lo;
		ip->d.intent_hi = hi - removed;
	}
	return tx->error;
}

/*
 * One transaction's worth of a collapse intent: free what is left of the
 * removed range, or, once it is a hole, move one leaf of the extents after
 * it down.  After moving the records up to (not including) @next, the file
 * is the same collapse with the gap [next - d, next) still to close, so
 * the intent is rewritten to that; *done when nothing is left to move.
 */
static int collapse_step(struct hfs_tx *tx, struct hfs_inode *ip, bool *done)
{
	uint64_t lo = ip->d.intent_lo, hi = ip->d.intent_hi, removed, next;
	int64_t d = (int64_t)(hi - lo);

	*done = false;
	hfs_tx_dirty_inode(tx, ip);
	hfs_ext_remove(tx, ip, lo, hi - lo, UINT64_MAX, &removed);
	if (tx->error || removed != hi - lo)
		return tx->error;
	hfs_ext_shift_step(tx, ip, hi, -d, &next);
	if (tx->error)
		return tx->error;
	if (next == UINT64_MAX) {
		ip->d.flags &= (uint16_t)~HFS_DI_COLLAPSE;
		ip->d.intent_lo = ip->d.intent_hi = 0;
		*done = true;
	} else {
		ip->d.intent_lo = next - (uint64_t)d;
		ip->d.intent_hi = next;
	}
	return 0;
}

/*
 * Finish the intent of @ip (already on the orphan list): bounded
 * transactions until the range is free (and, for a collapse, the rest of
 * the file moved down), the last one taking the inode off the list.
 */
static int finish_intent(struct hfs_inode *ip)
{
	struct hfs_fs *fs = ip->fs;
	bool done = false;
	int err = 0;

	while (!done && !err) {
		struct hfs_tx *tx = hfs_tx_begin(fs);

		if (ip->d.flags & HFS_DI_COLLAPSE)
			collapse_step(tx, ip, &done);
		else
			hfs_free_range_step(tx, ip, ip->d.intent_lo, ip->d.intent_hi, &done);
		if (done)
			hfs_orphan_remove(tx, ip);
		err = hfs_tx_commit(tx);
	}
	return err;
}

/**
 * hfs_free_blocks_from - free every block of @ip at or after file block
 * @lblk, in as many transactions as it takes.  Only for blocks past EOF
 * (speculative preallocation): a crash in between leaves nothing visible.
 * Caller holds the layout lock exclusive.
 */
int hfs_free_blocks_from(struct hfs_inode *ip, uint64_t lblk)
{
	struct hfs_fs *fs = ip->fs;
	uint64_t end = HFS_MAX_FILE_BLOCKS;
	int err = 0;

	hfs_assert_held_write(&ip->layout);
	while (lblk < end && !err) {
		struct hfs_tx *tx = hfs_tx_begin(fs);
		uint64_t removed;

		hfs_ext_remove(tx, ip, lblk, end - lblk, UINT64_MAX, &removed);
		end -= removed;
		err = hfs_tx_commit(tx);
		if (!err && removed == 0)	/* no progress: journal too small */
			err = hfs_nospc(ip->fs, HFS_NOSPC_JOURNAL);
	}
	return err;
}

/**
 * hfs_evict - free an inode with no links and no references: its blocks,
 * then the inode.  Large files go on the orphan list first so that a
 * crash half-way is finished by the next mount.
 */
int hfs_evict(struct hfs_inode *ip)
{
	struct hfs_fs *fs = ip->fs;
	bool done = false;
	int err = 0;

	hfs_down_write(&ip->layout);
	while (!err) {
		struct hfs_tx *tx = hfs_tx_begin(fs);

		hfs_free_range_step(tx, ip, 0, HFS_MAX_FILE_BLOCKS, &done);
		if (done) {
			uint32_t gen = ip->d.generation;

			hfs_orphan_remove(tx, ip);
			hfs_ifree(tx, ip->ino);
			hfs_tx_dirty_inode(tx, ip);
			memset(&ip->d, 0, sizeof(ip->d));
			ip->d.generation = gen;
		} else {
			hfs_orphan_add(tx, ip);
		}
		err = hfs_tx_commit(tx);
		if (done)
			break;
	}
	hfs_up_write(&ip->layout);
	if (err)
		hfs_log("holdfs: could not free inode %llu (error %d); the next mount will\n",
			(unsigned long long)ip->ino, err);
	return err;
}

/**
 * hfs_orphan_recover - at mount, finish every orphan.  Returns 0 or
 * -EUCLEAN for a broken list (the mount then fails: fsck repairs it).
 */
int hfs_orphan_recover(struct hfs_fs *fs)
{
	uint64_t steps;

	for (steps = 0; fs->sb.orphan_head && steps < fs->ninodes; steps++) {
		uint64_t ino = fs->sb.orphan_head;
		struct hfs_inode *ip;
		int err = hfs_iget(fs, ino, &ip);

		if (err)
			return err;
		if (!(ip->d.flags & HFS_DI_ORPHAN)) {
			hfs_log("holdfs: inode %llu is on the orphan list but not marked\n",
				(unsigned long long)ino);
			hfs_iput(ip);
			return -EUCLEAN;
		}
		if (ip->d.nlink == 0) {
			hfs_iput(ip);		/* last reference: hfs_evict */
		} else {
			hfs_down_write(&ip->layout);
			if (ip->d.flags & (HFS_DI_INTENT | HFS_DI_COLLAPSE)) {
				err = finish_intent(ip);
			} else {
				struct hfs_tx *tx = hfs_tx_begin(fs);

				hfs_orphan_remove(tx, ip);
				err = hfs_tx_commit(tx);
			}
			hfs_up_write(&ip->layout);
			hfs_iput(ip);
		}
		if (err)
			return err;
		if (fs->sb.orphan_head == ino) {
			hfs_log("holdfs: orphan inode %llu could not be finished\n",
				(unsigned long long)ino);
			return -EUCLEAN;
		}
	}
	if (fs->sb.orphan_head) {
		hfs_log("holdfs: the orphan list loops\n");
		return -EUCLEAN;
	}
	return 0;
}

/* Finish an intent at run time (truncate, punch): see finish_intent. */
int hfs_finish_intent(struct hfs_inode *ip)
{
	return finish_intent(ip);
}

/**
 * hfs_drop_last_link - @ip just lost its last link in @tx.  If nobody else
 * holds it (@sole) and its blocks can be freed within @tx, free them and
 * the inode now (the common, small case: one transaction for an unlink);
 * otherwise put it on the orphan list so that its last hfs_iput (or the
 * next mount) frees it.  The caller holds @ip's layout lock exclusive.
 */
void hfs_drop_last_link(struct hfs_tx *tx, struct hfs_inode *ip, bool sole)
{
	struct hfs_dinode saved = ip->d;
	size_t used = tx->used, nundo = tx->nundo, nrec = tx->nrec;
	size_t pend = tx->pending_lines;
	bool done = false;

	hfs_assert_held_write(&ip->layout);
	hfs_assert_held(&tx->fs->tx_lock);
	hfs_tx_dirty_inode(tx, ip);
	if (sole && ip->d.depth == 0) {
		uint64_t removed;

		hfs_ext_remove(tx, ip, 0, HFS_MAX_FILE_BLOCKS, UINT64_MAX, &removed);
		done = removed == HFS_MAX_FILE_BLOCKS && !tx->error;
	}
	if (done) {
		uint32_t gen = ip->d.generation;

		hfs_ifree(tx, ip->ino);
		memset(&ip->d, 0, sizeof(ip->d));
		ip->d.generation = gen;
		return;
	}
	if (tx->error)
		return;
	/* Undo the partial removal: the orphan path frees it later. */
	ip->d = saved;
	hfs_last_forget(ip);
	tx->used = used;
	tx->nundo = nundo;
	tx->nrec = (uint32_t)nrec;
	tx->pending_lines = pend;
	hfs_orphan_add(tx, ip);
}
