/*
 * extent.c - per-file extent trees.
 *
 * A file's blocks are described by extent records {lblk, len, pblk}
 * (hfs_format.h).  The first fs->inline_max records live in the inode
 * (d.root, d.nroot).  When they overflow, the root becomes an index: a
 * B+-tree of 4 KiB nodes, each holding up to fs->node_max records, with
 * every index record carrying the smallest lblk of its child ("exact
 * minimum keys", kept exact on every change).  A file in one extent costs
 * one record however large; a fragmented one is O(log n) to map.
 *
 * Lookups walk the tree read-only and check every node they touch
 * (hfs_node_check); the last extent found is cached in the inode so that
 * sequential and repeated accesses skip the walk.  Changes load a path of
 * DRAM copies from the root to a leaf, edit it, and log the changed nodes
 * in the caller's transaction; a node overflowing splits in two, the root
 * growing a level when it overflows; an emptied node is freed, and the
 * tree shrinks back into the inode when it fits.  Paths are reloaded after
 * each change, which keeps the code simple and every step checked.
 *
 * Locking: lookups need the inode's layout lock (shared); changes need it
 * exclusive plus a transaction.  Directories, symlinks and inodes not yet
 * committed use their trees under ns_lock instead (exclusive to change).
 * Every entry point asserts it (hfs_extents_readable/_writable, hfs_int.h).
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/crc.h>
#include <lib/compiler.h>
#include "hfs_int.h"

struct xlevel {
	uint64_t pblk;			/* 0: the root, in the inode */
	unsigned depth;			/* 0: records are extents */
	unsigned count;
	int pos;			/* record followed (-1: before the first) */
	uint8_t *blk;			/* node image (levels > 0) */
	struct hfs_dext *e;
};

struct xpath {
	struct hfs_inode *ip;
	unsigned n;			/* levels in use; lv[0] is the root */
	struct hfs_dext root[HFS_MAX_INLINE + 1];
	struct xlevel lv[HFS_MAX_DEPTH + 1];
};

static size_t node_bytes(const struct hfs_fs *fs, unsigned count)
{
	return sizeof(struct hfs_dnode_hdr) + count * sizeof(struct hfs_dext);
}

static uint32_t node_crc(const void *blk, unsigned count)
{
	struct hfs_dnode_hdr h;

	memcpy(&h, blk, sizeof(h));
	h.crc = 0;
	return crc32c(crc32c(0, &h, sizeof(h)), (const uint8_t *)blk + sizeof(h),
		      count * sizeof(struct hfs_dext));
}

/**
 * hfs_node_check - verify tree node @pblk of inode @owner at @depth.
 * @h points at the whole node (header and records).  Returns 0 or
 * -EUCLEAN with *why set.
 */
int hfs_node_check(const struct hfs_fs *fs, uint64_t owner, uint64_t pblk,
		   unsigned depth, const struct hfs_dnode_hdr *h, const char **why)
{
	const struct hfs_dext *e = (const void *)(h + 1);
	uint64_t next = 0;
	unsigned i;

	*why = NULL;
	if (h->magic != HFS_NODE_MAGIC)
		*why = "bad magic";
	else if (h->count == 0 || h->count > fs->node_max)
		*why = "bad record count";
	else if (h->crc != node_crc(h, h->count))
		*why = "bad checksum";
	else if (h->depth != depth)
		*why = "wrong depth";
	else if (h->owner != owner)
		*why = "belongs to another inode";
	for (i = 0; !*why && i < h->count; i++) {
		if (e[i].lblk < next)
			*why = "records out of order";
		else if (depth == 0 && (e[i].len == 0 || !hfs_block_in_data(fs, e[i].pblk, e[i].len)))
			*why = "extent outside the data area";
		else if (depth > 0 && (e[i].len != 0 || !hfs_block_in_data(fs, e[i].pblk, 1)))
			*why = "child outside the data area";
		next = (uint64_t)e[i].lblk + (depth ? 1 : e[i].len);
		if (depth == 0 && next > HFS_MAX_FILE_BLOCKS)
			*why = "extent past the largest file";
	}
	if (*why) {
		hfs_log("holdfs: inode %llu: extent node %llu: %s\n",
			(unsigned long long)owner, (unsigned long long)pblk, *why);
		return -EUCLEAN;
	}
	return 0;
}

/* Largest i with e[i].lblk <= lblk, or -1. */
static int find_pos(const struct hfs_dext *e, unsigned count, uint64_t lblk)
{
	int lo = 0, hi = (int)count - 1, ans = -1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (e[mid].lblk <= lblk) {
			ans = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return ans;
}

/* Read-only view of node @pblk: into @buf inside a transaction, else in place. */
static const struct hfs_dnode_hdr *node_view(struct hfs_inode *ip, uint64_t pblk,
					     unsigned depth, uint8_t *buf)
{
	struct hfs_fs *fs = ip->fs;
	const struct hfs_dnode_hdr *h;
	const char *why;

	if (ip->in_tx) {
		hfs_tx_read(fs, HFS_BLOCK_OFF(pblk), buf, HFS_BLOCK_SIZE);
		h = (const void *)buf;
	} else {
		h = (const void *)hfs_pm_ptr(fs->pm, HFS_BLOCK_OFF(pblk));
	}
	return hfs_node_check(fs, ip->ino, pblk, depth, h, &why) ? NULL : h;
}

/**
 * hfs_ext_lookup - the extent containing file block @lblk.
 * Returns 1 with *ext filled, 0 for a hole (with *hole_len blocks to the
 * next extent, UINT64_MAX if none), or -EUCLEAN / -ENOMEM.
 * Caller holds the layout lock (shared is enough), or ns_lock for a
 * directory, a symlink or an inode not yet committed
 * (hfs_extents_readable()).
 */
int hfs_ext_lookup(struct hfs_inode *ip, uint64_t lblk, struct hfs_dext *ext,
		   uint64_t *hole_len)
{
	const struct hfs_dext *e = ip->d.root;
	unsigned count = ip->d.nroot, depth = ip->d.depth;
	uint64_t bound = UINT64_MAX;
	uint8_t *buf = NULL;
	int i, ret = 0;
	struct hfs_dext cached;

	hfs_assert_extents_readable(ip);
	cached = hfs_last_get(ip);
	if (cached.len && lblk >= cached.lblk && lblk < (uint64_t)cached.lblk + cached.len) {
		*ext = cached;
		return 1;
	}
	if (depth && ip->in_tx) {
		buf = hfs_alloc(HFS_BLOCK_SIZE);
		if (!buf)
			return -ENOMEM;
	}
	for (;;) {
		i = find_pos(e, count, lblk);
		if (i + 1 < (int)count)
			bound = e[i + 1].lblk;
		if (depth == 0 || i < 0)
			break;
		{
			const struct hfs_dnode_hdr *h = node_view(ip, e[i].pblk, depth - 1, buf);

			if (!h) {
				ret = -EUCLEAN;
				goto out;
			}
			e = (const void *)(h + 1);
			count = h->count;
			depth--;
		}
	}
	if (depth == 0 && i >= 0 && lblk < (uint64_t)e[i].lblk + e[i].len) {
		*ext = e[i];
		hfs_last_set(ip, &e[i]);
		ret = 1;
	} else {
		*hole_len = bound == UINT64_MAX ? UINT64_MAX : bound - lblk;
	}
out:
	hfs_free(buf);
	return ret;
}

/**
 * hfs_ext_last - the extent with the highest lblk; returns 1, 0 (none), or
 * -EUCLEAN / -ENOMEM.  Locks as for hfs_ext_lookup.
 */
int hfs_ext_last(struct hfs_inode *ip, struct hfs_dext *ext)
{
	const struct hfs_dext *e = ip->d.root;
	unsigned count = ip->d.nroot, depth = ip->d.depth;
	uint8_t *buf = NULL;
	int ret = 0;

	hfs_assert_extents_readable(ip);
	if (count == 0)
		return 0;
	if (depth && ip->in_tx) {
		buf = hfs_alloc(HFS_BLOCK_SIZE);
		if (!buf)
			return -ENOMEM;
	}
	while (depth) {
		const struct hfs_dnode_hdr *h = node_view(ip, e[count - 1].pblk, depth - 1, buf);

		if (!h) {
			ret = -EUCLEAN;
			goto out;
		}
		e = (const void *)(h + 1);
		count = h->count;
		depth--;
	}
	*ext = e[count - 1];
	ret = 1;
out:
	hfs_free(buf);
	return ret;
}

/* ------------------------------------------------------------ paths */

static void path_free(struct xpath *p)
{
	unsigned k;

	for (k = 1; k < p->n; k++)
		hfs_free(p->lv[k].blk);
	p->n = 0;
}

/* Load the path to @lblk (with DRAM copies of every node on it). */
static int path_load(struct xpath *p, struct hfs_inode *ip, uint64_t lblk)
{
	struct hfs_fs *fs = ip->fs;
	unsigned k;

	p->ip = ip;
	p->n = 1;
	memcpy(p->root, ip->d.root, sizeof(ip->d.root));
	p->lv[0] = (struct xlevel){ .pblk = 0, .depth = ip->d.depth, .count = ip->d.nroot,
				    .e = p->root };
	for (k = 0;; k++) {
		struct xlevel *lv = &p->lv[k], *c;
		const char *why;

		lv->pos = find_pos(lv->e, lv->count, lblk);
		if (lv->depth == 0)
			return 0;
		if (lv->pos < 0)
			lv->pos = 0;
		c = &p->lv[k + 1];
		c->blk = hfs_alloc(node_bytes(fs, fs->node_max + 1));
		if (!c->blk)
			goto nomem;
		p->n++;
		c->pblk = lv->e[lv->pos].pblk;
		c->depth = lv->depth - 1;
		hfs_tx_read(fs, HFS_BLOCK_OFF(c->pblk), c->blk, node_bytes(fs, fs->node_max));
		if (hfs_node_check(fs, ip->ino, c->pblk, c->depth, (const void *)c->blk, &why)) {
			path_free(p);
			return -EUCLEAN;
		}
		c->count = ((struct hfs_dnode_hdr *)c->blk)->count;
		c->e = (struct hfs_dext *)(c->blk + sizeof(struct hfs_dnode_hdr));
	}
nomem:
	path_free(p);
	return -ENOMEM;
}

/* Log level @k of the path (into the inode for the root). */
static void level_store(struct hfs_tx *tx, struct xpath *p, unsigned k)
{
	struct xlevel *lv = &p->lv[k];
	struct hfs_inode *ip = p->ip;

	if (k == 0) {
		memset(ip->d.root, 0, sizeof(ip->d.root));
		memcpy(ip->d.root, lv->e, lv->count * sizeof(struct hfs_dext));
		ip->d.nroot = (uint16_t)lv->count;
		ip->d.depth = (uint16_t)lv->depth;
		return;
	}
	{
		struct hfs_dnode_hdr h = {
			.magic = HFS_NODE_MAGIC, .depth = (uint16_t)lv->depth,
			.count = (uint16_t)lv->count, .owner = ip->ino,
		};

		memcpy(lv->blk, &h, sizeof(h));
		h.crc = node_crc(lv->blk, lv->count);
		memcpy(lv->blk, &h, sizeof(h));
		hfs_tx_log(tx, HFS_BLOCK_OFF(lv->pblk), lv->blk, node_bytes(tx->fs, lv->count));
	}
}

/* After level k's first key changed, make the index keys above exact. */
static void fix_keys(struct hfs_tx *tx, struct xpath *p, unsigned k)
{
	while (k > 0 && p->lv[k].count > 0) {
		struct xlevel *up = &p->lv[k - 1];

		if (up->e[up->pos].lblk == p->lv[k].e[0].lblk)
			return;
		up->e[up->pos].lblk = p->lv[k].e[0].lblk;
		level_store(tx, p, k - 1);
		k--;
	}
}

static int node_alloc(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t *pblk)
{
	uint64_t got;
	int err = hfs_balloc(tx, 0, 1, 1, pblk, &got);

	if (err) {
		hfs_tx_fail(tx, err);
		return err;
	}
	ip->d.blocks++;
	return 0;
}

static void node_free(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t pblk)
{
	hfs_bfree(tx, pblk, 1);
	ip->d.blocks--;
}

/* Write a brand-new node holding @count records @e at @depth. */
static void node_new_store(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t pblk,
			   unsigned depth, const struct hfs_dext *e, unsigned count)
{
	struct xpath tmp;
	uint8_t *blk = hfs_alloc(node_bytes(tx->fs, tx->fs->node_max + 1));

	if (!blk) {
		hfs_tx_fail(tx, -ENOMEM);
		return;
	}
	tmp.ip = ip;
	tmp.lv[1] = (struct xlevel){ .pblk = pblk, .depth = depth, .count = count, .blk = blk,
				     .e = (struct hfs_dext *)(blk + sizeof(struct hfs_dnode_hdr)) };
	memcpy(tmp.lv[1].e, e, count * sizeof(*e));
	level_store(tx, &tmp, 1);
	hfs_free(blk);
}

/* Insert record @rec at index @idx of level @k, splitting as needed. */
static int level_insert(struct hfs_tx *tx, struct xpath *p, unsigned k, unsigned idx,
			struct hfs_dext rec)
{
	struct hfs_fs *fs = tx->fs;
	struct xlevel *lv = &p->lv[k];
	unsigned max = k == 0 ? fs->inline_max : fs->node_max;
	uint64_t nb;

	memmove(&lv->e[idx + 1], &lv->e[idx], (lv->count - idx) * sizeof(rec));
	lv->e[idx] = rec;
	lv->count++;
	if (lv->count <= max) {
		level_store(tx, p, k);
		if (idx == 0)
			fix_keys(tx, p, k);
		return tx->error;
	}
	if (node_alloc(tx, p->ip, &nb))
		return tx->error;
	if (k == 0) {
		/* The root overflows: move it into a node, grow a level. */
		if (lv->depth + 1 > HFS_MAX_DEPTH) {
			hfs_tx_fail(tx, -EFBIG);
			return tx->error;
		}
		node_new_store(tx, p->ip, nb, lv->depth, lv->e, lv->count);
		lv->e[0] = (struct hfs_dext){ .lblk = lv->e[0].lblk, .len = 0, .pblk = nb };
		lv->count = 1;
		lv->depth++;
		level_store(tx, p, 0);
		return tx->error;
	}
	{
		/* Appends split off just the new record, so nodes stay full. */
		unsigned half = idx == lv->count - 1 ? lv->count - 1 : lv->count / 2;
		struct hfs_dext sep = { .lblk = lv->e[half].lblk, .len = 0, .pblk = nb };

		node_new_store(tx, p->ip, nb, lv->depth, &lv->e[half], lv->count - half);
		lv->count = half;
		level_store(tx, p, k);
		if (idx == 0)
			fix_keys(tx, p, k);
		return level_insert(tx, p, k - 1, (unsigned)p->lv[k - 1].pos + 1, sep);
	}
}

/* Pull a single-child root's child back into the inode while it fits. */
static void root_shrink(struct hfs_tx *tx, struct hfs_inode *ip)
{
	struct hfs_fs *fs = tx->fs;
	uint8_t *blk;

	if (ip->d.depth && ip->d.nroot == 0)
		ip->d.depth = 0;
	if (ip->d.depth == 0 || ip->d.nroot != 1)
		return;
	blk = hfs_alloc(HFS_BLOCK_SIZE);
	if (!blk) {
		hfs_tx_fail(tx, -ENOMEM);
		return;
	}
	while (!tx->error && ip->d.depth > 0 && ip->d.nroot == 1) {
		uint64_t child = ip->d.root[0].pblk;
		const struct hfs_dnode_hdr *h = (const void *)blk;
		const char *why;

		hfs_tx_read(fs, HFS_BLOCK_OFF(child), blk, HFS_BLOCK_SIZE);
		if (hfs_node_check(fs, ip->ino, child, ip->d.depth - 1U, h, &why)) {
			hfs_tx_fail(tx, -EUCLEAN);
			break;
		}
		if (h->count > fs->inline_max)
			break;
		memset(ip->d.root, 0, sizeof(ip->d.root));
		memcpy(ip->d.root, h + 1, h->count * sizeof(struct hfs_dext));
		ip->d.nroot = h->count;
		ip->d.depth--;
		node_free(tx, ip, child);
	}
	hfs_free(blk);
}

/* Delete record @idx of level @k; free nodes that empty. */
static void level_delete(struct hfs_tx *tx, struct xpath *p, unsigned k, unsigned idx)
{
	struct xlevel *lv = &p->lv[k];

	memmove(&lv->e[idx], &lv->e[idx + 1], (lv->count - idx - 1) * sizeof(lv->e[0]));
	lv->count--;
	if (k > 0 && lv->count == 0) {
		node_free(tx, p->ip, lv->pblk);
		level_delete(tx, p, k - 1, (unsigned)p->lv[k - 1].pos);
		return;
	}
	level_store(tx, p, k);
	if (idx == 0)
		fix_keys(tx, p, k);
	if (k == 0)
		root_shrink(tx, p->ip);
}

static void ext_changed(struct hfs_tx *tx, struct hfs_inode *ip)
{
	hfs_tx_dirty_inode(tx, ip);
	hfs_last_forget(ip);
}

/**
 * hfs_ext_insert - map file blocks [lblk, lblk+len) to [pblk, pblk+len).
 * The range must be a hole.  Merges with the extent before it when both
 * are contiguous.  Caller holds the layout lock exclusive (or ns_lock
 * exclusive: hfs_extents_writable()) and is in @tx; errors (-ENOSPC for a node, -EUCLEAN, -ENOMEM) also fail @tx.
 */
int hfs_ext_insert(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t lblk,
		   uint64_t pblk, uint64_t len)
{
	struct xpath p;
	struct xlevel *leaf;
	int err;

	hfs_assert_extents_writable(ip);
	hfs_assert_held(&ip->fs->tx_lock);
	if (lblk + len > HFS_MAX_FILE_BLOCKS || len == 0) {
		hfs_tx_fail(tx, -EFBIG);
		return -EFBIG;
	}
	ext_changed(tx, ip);
	err = path_load(&p, ip, lblk);
	if (err) {
		hfs_tx_fail(tx, err);
		return err;
	}
	leaf = &p.lv[p.n - 1];
	if (leaf->pos >= 0) {
		struct hfs_dext *e = &leaf->e[leaf->pos];

		if ((uint64_t)e->lblk + e->len == lblk && e->pblk + e->len == pblk) {
			e->len += (uint32_t)len;
			level_store(tx, &p, p.n - 1);
			goto out;
		}
	}
	level_insert(tx, &p, p.n - 1, (unsigned)(leaf->pos + 1),
		     (struct hfs_dext){ .lblk = (uint32_t)lblk, .len = (uint32_t)len, .pblk = pblk });
out:
	path_free(&p);
	return tx->error;
}

/*
 * Room a tree change may need in the journal: two nodes per level plus
 * the inode.
 */
static size_t change_reserve(const struct hfs_inode *ip)
{
	return (size_t)(ip->d.depth + 2) * 2 *
		(node_bytes(ip->fs, ip->fs->node_max) + sizeof(struct hfs_djrec));
}

/**
 * hfs_ext_remove - unmap file blocks [lblk, lblk+len), highest first,
 * freeing the blocks, until @max_free blocks were freed or the journal is
 * nearly full.  *removed: how many blocks at the top of the range are
 * now a hole (len when done).  Caller holds layout exclusive (or ns_lock:
 * hfs_extents_writable()), is in @tx.
 */
int hfs_ext_remove(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t lblk,
		   uint64_t len, uint64_t max_free, uint64_t *removed)
{
	uint64_t end = lblk + len;

	hfs_assert_extents_writable(ip);
	hfs_assert_held(&ip->fs->tx_lock);
	*removed = 0;
	ext_changed(tx, ip);
	while (end > lblk && !tx->error) {
		struct xpath p;
		struct xlevel *leaf;
		struct hfs_dext *e;
		uint64_t elo, ehi, lo, n, budget;
		int err;

		budget = hfs_tx_free_budget(tx, change_reserve(ip));
		if (max_free == 0 || budget == 0)
			break;
		err = path_load(&p, ip, end - 1);
		if (err) {
			hfs_tx_fail(tx, err);
			break;
		}
		leaf = &p.lv[p.n - 1];
		if (leaf->pos < 0) {
			path_free(&p);
			end = lblk;
			break;
		}
		e = &leaf->e[leaf->pos];
		elo = e->lblk;
		ehi = elo + e->len;
		if (ehi <= lblk) {
			path_free(&p);
			end = lblk;
			break;
		}
		if (ehi < end) {
			path_free(&p);
			end = ehi;
			continue;
		}
		lo = MAX(elo, lblk);
		n = end - lo;
		if (n > MIN(max_free, budget)) {
			n = MIN(max_free, budget);
			lo = end - n;
		}
		hfs_bfree(tx, e->pblk + (lo - elo), n);
		ip->d.blocks -= n;
		max_free -= n;
		if (lo == elo && end == ehi) {
			level_delete(tx, &p, p.n - 1, (unsigned)leaf->pos);
		} else if (lo == elo) {
			e->pblk += n;
			e->lblk = (uint32_t)end;
			e->len -= (uint32_t)n;
			level_store(tx, &p, p.n - 1);
			if (leaf->pos == 0)
				fix_keys(tx, &p, p.n - 1);
		} else if (end == ehi) {
			e->len -= (uint32_t)n;
			level_store(tx, &p, p.n - 1);
		} else {
			struct hfs_dext tail = { .lblk = (uint32_t)end, .len = (uint32_t)(ehi - end),
						 .pblk = e->pblk + (end - elo) };

			e->len = (uint32_t)(lo - elo);
			level_insert(tx, &p, p.n - 1, (unsigned)leaf->pos + 1, tail);
		}
		path_free(&p);
		end = lo;
	}
	*removed = lblk + len - end;
	return tx->error;
}

/* Split the extent containing @lblk so that one starts exactly there. */
static int split_at(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t lblk)
{
	struct xpath p;
	struct xlevel *leaf;
	struct hfs_dext *e, tail;
	int err = path_load(&p, ip, lblk);

	if (err) {
		hfs_tx_fail(tx, err);
		return err;
	}
	leaf = &p.lv[p.n - 1];
	if (leaf->pos >= 0) {
		e = &leaf->e[leaf->pos];
		if (e->lblk < lblk && lblk < (uint64_t)e->lblk + e->len) {
			tail = (struct hfs_dext){ .lblk = (uint32_t)lblk,
				.len = (uint32_t)(e->lblk + e->len - lblk),
				.pblk = e->pblk + (lblk - e->lblk) };
			e->len = (uint32_t)(lblk - e->lblk);
			level_insert(tx, &p, p.n - 1, (unsigned)leaf->pos + 1, tail);
		}
	}
	path_free(&p);
	return tx->error;
}

/* Shift keys >= from by delta in node (pblk, depth) and below. */
static void shift_node(struct hfs_tx *tx, struct hfs_inode *ip, struct hfs_dext *e,
		       unsigned count, unsigned depth, uint64_t from, int64_t delta,
		       bool *changed)
{
	struct hfs_fs *fs = tx->fs;
	unsigned i;

	for (i = 0; i < count && !tx->error; i++) {
		uint64_t next = i + 1 < count ? e[i + 1].lblk : UINT64_MAX;

		if (depth > 0 && next > from) {
			struct xpath tmp;
			const char *why;
			bool sub = false;

			tmp.ip = ip;
			tmp.lv[1].blk = hfs_alloc(node_bytes(fs, fs->node_max + 1));
			if (!tmp.lv[1].blk) {
				hfs_tx_fail(tx, -ENOMEM);
				return;
			}
			hfs_tx_read(fs, HFS_BLOCK_OFF(e[i].pblk), tmp.lv[1].blk,
				    node_bytes(fs, fs->node_max));
			if (hfs_node_check(fs, ip->ino, e[i].pblk, depth - 1,
					   (const void *)tmp.lv[1].blk, &why)) {
				hfs_tx_fail(tx, -EUCLEAN);
			} else {
				struct xlevel *c = &tmp.lv[1];

				c->pblk = e[i].pblk;
				c->depth = depth - 1;
				c->count = ((struct hfs_dnode_hdr *)c->blk)->count;
				c->e = (struct hfs_dext *)(c->blk + sizeof(struct hfs_dnode_hdr));
				shift_node(tx, ip, c->e, c->count, c->depth, from, delta, &sub);
				if (sub)
					level_store(tx, &tmp, 1);
				if (hfs_tx_room(tx) == 0)
					hfs_tx_fail(tx, hfs_nospc(tx->fs, HFS_NOSPC_JOURNAL));
			}
			hfs_free(tmp.lv[1].blk);
		}
		if (e[i].lblk >= from) {
			e[i].lblk = (uint32_t)((int64_t)e[i].lblk + delta);
			*changed = true;
		}
	}
}

/**
 * hfs_ext_shift - add @delta to the lblk of every extent at or after
 * @from (collapse and insert range).  An extent straddling @from is split
 * first.  The caller guarantees that the shifted extents land in a hole
 * and stay below HFS_MAX_FILE_BLOCKS.  Every node right of @from is
 * rewritten, all in @tx (-ENOSPC if the journal cannot hold them).
 */
int hfs_ext_shift(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t from, int64_t delta)
{
	bool changed = false;

	hfs_assert_extents_writable(ip);
	hfs_assert_held(&ip->fs->tx_lock);
	ext_changed(tx, ip);
	if (split_at(tx, ip, from))
		return tx->error;
	shift_node(tx, ip, ip->d.root, ip->d.nroot, ip->d.depth, from, delta, &changed);
	return tx->error;
}

/* Smallest key right of the path's leaf (UINT64_MAX: the leaf is the last). */
static uint64_t next_key(const struct xpath *p)
{
	unsigned k;

	for (k = p->n - 1; k-- > 0;) {
		const struct xlevel *lv = &p->lv[k];

		if (lv->pos + 1 < (int)lv->count)
			return lv->e[lv->pos + 1].lblk;
	}
	return UINT64_MAX;
}

/* First record of the leaf at or after @from; count when there is none. */
static int first_at_or_after(const struct xlevel *leaf, uint64_t from, unsigned *s)
{
	const struct hfs_dext *e;

	if (leaf->pos < 0) {
		*s = 0;
		return 0;
	}
	e = &leaf->e[leaf->pos];
	if (e->lblk >= from) {
		*s = (unsigned)leaf->pos;
		return 0;
	}
	if ((uint64_t)e->lblk + e->len > from)
		return -EUCLEAN;	/* straddles: the caller's gap is not empty */
	*s = (unsigned)leaf->pos + 1;
	return 0;
}

/**
 * hfs_ext_shift_step - move extents at or after @from by @delta, one
 * leaf at a time (a collapse too large for one transaction, orphan.c):
 * the records at or after @from in the leaf that holds the first of
 * them.  *next: the lblk, not yet moved, of the first record left for
 * later, or UINT64_MAX when none is left.  The journal cost is bounded by
 * one leaf and its path.  The caller guarantees that no extent straddles
 * @from and that [from + delta, from) is a hole, so that the moved
 * records stay in order (-EUCLEAN otherwise).
 */
int hfs_ext_shift_step(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t from,
		       int64_t delta, uint64_t *next)
{
	struct xpath p;
	struct xlevel *leaf;
	unsigned i, s;
	int err;

	hfs_assert_extents_writable(ip);
	hfs_assert_held(&ip->fs->tx_lock);
	*next = UINT64_MAX;
	ext_changed(tx, ip);
	err = path_load(&p, ip, from);
	if (err)
		goto fail;
	leaf = &p.lv[p.n - 1];
	err = first_at_or_after(leaf, from, &s);
	if (!err && s >= leaf->count) {
		uint64_t key = next_key(&p);

		path_free(&p);
		if (key == UINT64_MAX)
			return tx->error;	/* nothing at or after @from */
		err = path_load(&p, ip, key);
		if (err)
			goto fail;
		leaf = &p.lv[p.n - 1];
		err = first_at_or_after(leaf, from, &s);
		if (!err && s >= leaf->count)
			err = -EUCLEAN;		/* an index key without records */
	}
	if (!err && s > 0 &&
	    (int64_t)leaf->e[s - 1].lblk + leaf->e[s - 1].len > (int64_t)from + delta)
		err = -EUCLEAN;			/* would overlap its left neighbour */
	if (err) {
		path_free(&p);
		goto fail;
	}
	for (i = s; i < leaf->count; i++)
		leaf->e[i].lblk = (uint32_t)((int64_t)leaf->e[i].lblk + delta);
	level_store(tx, &p, p.n - 1);
	if (s == 0)
		fix_keys(tx, &p, p.n - 1);
	*next = next_key(&p);
	path_free(&p);
	return tx->error;
fail:
	hfs_tx_fail(tx, err);
	return err;
}

static int count_node(struct hfs_inode *ip, uint64_t pblk, unsigned depth, uint64_t *n)
{
	const struct hfs_dnode_hdr *h;
	const struct hfs_dext *e;
	unsigned i;
	int err;

	if (ip->in_tx)
		return -EBUSY;
	h = node_view(ip, pblk, depth, NULL);
	if (!h)
		return -EUCLEAN;
	e = (const void *)(h + 1);
	if (depth == 0) {
		*n += h->count;
		return 0;
	}
	for (i = 0; i < h->count; i++) {
		err = count_node(ip, e[i].pblk, depth - 1, n);
		if (err)
			return err;
	}
	return 0;
}

/* hfs_ext_count - see include/fs/holdfs.h. */
int hfs_ext_count(struct hfs_inode *ip, uint64_t *count)
{
	unsigned i;
	int err;

	*count = 0;
	if (ip->d.depth == 0) {
		*count = hfs_is_lnk(ip) && ip->d.size <= HFS_INLINE_LINK_MAX ? 0 : ip->d.nroot;
		return 0;
	}
	for (i = 0; i < ip->d.nroot; i++) {
		err = count_node(ip, ip->d.root[i].pblk, ip->d.depth - 1U, count);
		if (err)
			return err;
	}
	return 0;
}
