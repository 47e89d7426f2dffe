/*
 * file.c - file data: read, write, truncate, fsync, and the DAX lookup.
 *
 * Data never goes through the journal.  A write copies straight into the
 * file's blocks (non-temporal stores for whole cache lines, cached stores
 * plus a flush for the ragged edges); only block allocation is a
 * transaction.  A gather write (hfs_writev: the NBD server's WRITE, whose
 * payload lies in received frames) is the same write with its source in
 * pieces: each piece is stored from where it lies, and hfs_write is a
 * gather write of one piece.  Appends allocate ahead (doubling, then 2 MiB-aligned
 * chunks) so that a file written 4 KiB at a time costs a transaction per
 * 2 MiB, not per block, and its extents grow in place.  A file created
 * for writing already has its first block (namei.c), so its first write
 * of up to 4 KiB is no transaction at all.
 *
 * Size: a write raises i_size in DRAM only, after fencing the data it
 * exposes, and marks the inode; the size reaches the media with mtime in
 * one in-place line store at fsync, close or sync, or inside any
 * transaction that logs the inode (hfs_inode_persist_attrs, journal.c).
 * Like the data, an appended size is durable after fsync; a crash before
 * loses the tail, never more.  Because every size that reaches the media
 * was raised after a fence, a crash never shows bytes the write had not
 * yet made durable.  Bytes at or past i_size inside allocated blocks are
 * undefined (speculative blocks hold whatever was there); whatever raises
 * i_size over them zeroes them first (hfs_zero_gap).  Blocks that become
 * part of the file below i_size are zeroed before the transaction that
 * maps them commits, so a crash never exposes another file's old data.
 *
 * The write path takes no tx_lock: a 4 KiB append is the layout lock,
 * one extent lookup, the copy, a fence and DRAM stores of size and mtime.
 * A transaction that logs the inode meanwhile (a link, a rename) logs
 * whichever size it reads; its abort leaves size and times alone unless
 * it set the size itself (hfs_tx_set_size).
 *
 * Overwrites of allocated blocks change no metadata (mtime is kept in DRAM
 * and stored lazily), and are durable after hfs_fsync(), which fences.
 *
 * Locking: read and map without allocation take (or need) the layout lock
 * shared; write, truncate and map with allocation exclusive.
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/compiler.h>
#include "hfs_int.h"

#define BLK(off)	((off) >> HFS_BLOCK_SHIFT)
#define LINE_MASK	((uint64_t)HFS_CACHE_LINE - 1)

/* Store @len bytes at device offset @dev: NT for whole lines. */
static void data_store(struct hfs_pm *pm, uint64_t dev, const uint8_t *src, size_t len)
{
	size_t head = (size_t)MIN((uint64_t)len, (HFS_CACHE_LINE - (dev & LINE_MASK)) & LINE_MASK);
	size_t body, tail;

	if (head) {
		hfs_pm_persist(pm, dev, src, head);
		dev += head;
		src += head;
		len -= head;
	}
	body = len & ~(size_t)LINE_MASK;
	tail = len - body;
	if (body)
		hfs_pm_write_nt(pm, dev, src, body);
	if (tail)
		hfs_pm_persist(pm, dev + body, src + body, tail);
}

/**
 * hfs_zero_gap - zero every allocated byte of file range [from, to).
 * Caller holds the layout lock exclusive; no fence (the caller fences).
 */
int hfs_zero_gap(struct hfs_inode *ip, uint64_t from, uint64_t to)
{
	struct hfs_pm *pm = ip->fs->pm;

	hfs_assert_held_write(&ip->layout);
	while (from < to) {
		struct hfs_dext e;
		uint64_t hole, n;
		int r = hfs_ext_lookup(ip, BLK(from), &e, &hole);

		if (r < 0)
			return r;
		if (r == 0) {
			if (hole == UINT64_MAX || HFS_BLOCK_OFF(BLK(from) + hole) >= to)
				return 0;
			from = HFS_BLOCK_OFF(BLK(from) + hole);
			continue;
		}
		n = MIN(to, HFS_BLOCK_OFF((uint64_t)e.lblk + e.len)) - from;
		{
			uint64_t dev = HFS_BLOCK_OFF(e.pblk) + (from - HFS_BLOCK_OFF(e.lblk));

			hfs_pm_zero(pm, dev, n);
			hfs_pm_flush(pm, dev, n);
		}
		from += n;
	}
	return 0;
}

/* Blocks needed to fill the holes of [lblk, lblk + n); -errno. */
int64_t hfs_count_holes(struct hfs_inode *ip, uint64_t lblk, uint64_t n)
{
	uint64_t end = lblk + n, need = 0;

	while (lblk < end) {
		struct hfs_dext e;
		uint64_t hole;
		int r = hfs_ext_lookup(ip, lblk, &e, &hole);

		if (r < 0)
			return r;
		if (r == 1) {
			lblk = (uint64_t)e.lblk + e.len;
			continue;
		}
		hole = MIN(hole, end - lblk);
		need += hole;
		lblk += hole;
	}
	return (int64_t)need;
}

/* Physical block just after file block lblk - 1, to grow in place. */
static uint64_t goal_for(struct hfs_inode *ip, uint64_t lblk)
{
	struct hfs_dext e;
	uint64_t hole;

	if (lblk == 0 || hfs_ext_lookup(ip, lblk - 1, &e, &hole) != 1)
		return 0;
	return e.pblk + (lblk - e.lblk);
}

/**
 * hfs_alloc_range - fill the holes of file blocks [lblk, lblk + n).
 * New blocks below file block @zero_below are zeroed before they are
 * mapped.  Fails with -ENOSPC before allocating anything when the free
 * blocks cannot cover the holes.  Caller holds the layout lock exclusive.
 */
int hfs_alloc_range(struct hfs_inode *ip, uint64_t lblk, uint64_t n, bool zero,
		    uint64_t zero_below)
{
	struct hfs_fs *fs = ip->fs;
	uint64_t end = lblk + n;
	int64_t need;
	int err = 0;

	hfs_assert_held_write(&ip->layout);
	need = hfs_count_holes(ip, lblk, n);
	if (need < 0)
		return (int)need;
	if (need == 0)
		return 0;
	if ((uint64_t)need > fs->free_blocks)
		return hfs_nospc(fs, HFS_NOSPC_BLOCKS);
	if (zero)
		zero_below = UINT64_MAX;
	while (lblk < end && !err) {
		struct hfs_tx *tx = hfs_tx_begin(fs);

		hfs_tx_dirty_inode(tx, ip);
		while (lblk < end && !tx->error &&
		       hfs_tx_room(tx) > 4 * (HFS_BLOCK_SIZE + sizeof(struct hfs_djrec))) {
			struct hfs_dext e;
			uint64_t hole, pb, got, align;
			int r = hfs_ext_lookup(ip, lblk, &e, &hole);

			if (r < 0) {
				hfs_tx_fail(tx, r);
				break;
			}
			if (r == 1) {
				lblk = (uint64_t)e.lblk + e.len;
				continue;
			}
			hole = MIN(hole, end - lblk);
			align = hole >= HFS_LARGE_ALIGN && lblk % HFS_LARGE_ALIGN == 0 ?
				HFS_LARGE_ALIGN : 1;
			r = hfs_balloc(tx, goal_for(ip, lblk), hole, align, &pb, &got);
			if (r) {
				hfs_tx_fail(tx, r);
				break;
			}
			if (lblk < zero_below) {
				uint64_t nz = MIN(got, zero_below - lblk);

				hfs_pm_zero(fs->pm, HFS_BLOCK_OFF(pb), HFS_BLOCK_OFF(nz));
				hfs_pm_flush(fs->pm, HFS_BLOCK_OFF(pb), HFS_BLOCK_OFF(nz));
				hfs_tx_direct(tx);
			}
			ip->d.blocks += got;
			hfs_ext_insert(tx, ip, lblk, pb, got);
			lblk += got;
		}
		err = hfs_tx_commit(tx);
	}
	return err;
}

/*
 * Allocation for a write of [off, end): holes, plus speculative blocks.
 * When the range was already allocated (the common case), *@found is the
 * extent holding its first block, for copy_out(); else found->len is 0.
 */
static int write_alloc(struct hfs_inode *ip, uint64_t off, uint64_t end, struct hfs_dext *found)
{
	struct hfs_fs *fs = ip->fs;
	uint64_t first = BLK(off), last = BLK(end - 1), eof = DIV_ROUND_UP(ip->d.size, HFS_BLOCK_SIZE);
	uint64_t nblk = last + 1 - first, extra = 0;
	struct hfs_dext e;
	uint64_t hole;
	int r;

	found->len = 0;
	/*
	 * A new file's first block (namei.c) is for a first write that fits
	 * it.  One that goes further would start the file's extent there,
	 * off the 2 MiB alignment DAX huge pages need, or leave it allocated
	 * in front of a hole: give it back first.
	 */
	if (ip->d.size == 0 && ip->spec_from == 0 && end > HFS_BLOCK_SIZE) {
		r = hfs_spec_trim(ip, NULL);
		if (r)
			return r;
	}
	r = hfs_ext_lookup(ip, first, &e, &hole);
	if (r == 1 && (uint64_t)e.lblk + e.len > last) {
		*found = e;
		return 0;			/* all allocated: the fast path */
	}
	if (r < 0)
		return r;
	if (end > ip->d.size && eof > 0 && first <= eof && nblk < HFS_LARGE_ALIGN) {
		/*
		 * Appending in small pieces to a file that already has data:
		 * allocate ahead.  Not on a file's first write: most files
		 * written once in one piece end there, and blocks allocated
		 * ahead of them would cost a transaction to give back at close
		 * (the one block the create gave it is what they need).
		 */
		uint64_t want = MIN(last + 1, (uint64_t)HFS_LARGE_ALIGN), stop = last + 1 + want;

		if (stop > HFS_LARGE_ALIGN)
			stop = ALIGN_UP(stop, (uint64_t)HFS_LARGE_ALIGN);
		stop = MIN(stop, HFS_MAX_FILE_BLOCKS);
		r = hfs_ext_lookup(ip, last + 1, &e, &hole);
		if (r == 0 && stop > last + 1) {
			extra = MIN(stop - (last + 1), hole);
			if (fs->free_blocks < nblk + extra + 64)
				extra = 0;
		}
	}
	r = hfs_alloc_range(ip, first, nblk + extra, false, eof);
	if (r == -ENOSPC && extra)
		r = hfs_alloc_range(ip, first, nblk, false, eof);
	else if (!r && extra && ip->spec_from > last + 1)
		ip->spec_from = last + 1;
	return r;
}

/*
 * Copy @len bytes from @src to file offset @off, whose blocks are
 * allocated.  *@e: the extent last used (e->len 0: none yet); it is
 * updated, so that the pieces of a gather write that follow each other
 * look the extent up once.  Caller holds the layout lock exclusive.
 */
static void copy_out(struct hfs_inode *ip, uint64_t off, const uint8_t *src, size_t len,
		     struct hfs_dext *e, int *err)
{
	while (len && !*err) {
		uint64_t hole, n;

		if (!(e->len && BLK(off) >= e->lblk && BLK(off) < (uint64_t)e->lblk + e->len)) {
			int r = hfs_ext_lookup(ip, BLK(off), e, &hole);

			if (r != 1) {
				*err = r < 0 ? r : -EIO;
				return;
			}
		}
		n = MIN((uint64_t)len, HFS_BLOCK_OFF((uint64_t)e->lblk + e->len) - off);
		data_store(ip->fs->pm, HFS_BLOCK_OFF(e->pblk) + (off - HFS_BLOCK_OFF(e->lblk)),
			   src, (size_t)n);
		off += n;
		src += n;
		len -= (size_t)n;
	}
}

/**
 * hfs_write - write @len bytes at @off.  Returns the count or -EISDIR,
 * -EINVAL (not a regular file), -EFBIG, -ENOSPC (nothing written), -EROFS,
 * -EUCLEAN.  Takes the layout lock exclusive.
 */
int64_t hfs_write(struct hfs_inode *ip, uint64_t off, const void *buf, size_t len)
{
	struct hfs_iovec v = { .base = buf, .len = len };

	return hfs_writev(ip, off, &v, 1);
}

/**
 * hfs_writev - hfs_write() of the concatenation of @iov[0..@n), each
 * piece copied from where it lies (holdfs.h).  One allocation and one
 * layout lock for the whole range; the data of every piece is stored
 * (non-temporal for whole lines, flushed at ragged edges) before the one
 * fence that precedes a size raise, as for a single buffer.  Returns the
 * total or -EISDIR, -EINVAL, -EFBIG, -ENOSPC (nothing written), -EROFS,
 * -EUCLEAN.  Takes the layout lock exclusive.
 */
int64_t hfs_writev(struct hfs_inode *ip, uint64_t off, const struct hfs_iovec *iov,
		   unsigned n)
{
	struct hfs_fs *fs = ip->fs;
	uint64_t end, size, pos;
	struct hfs_dext e = { 0 };
	size_t len = 0;
	int err;

	if (hfs_is_dir(ip))
		return -EISDIR;
	if (!hfs_is_reg(ip))
		return -EINVAL;
	if (hfs_rdonly(fs))
		return -EROFS;
	for (unsigned i = 0; i < n; i++) {
		if (iov[i].len && !iov[i].base)
			return -EINVAL;
		if (iov[i].len > HFS_MAX_FILE_BYTES - len)
			return -EFBIG;
		len += iov[i].len;
	}
	if (len == 0)
		return 0;
	if (off >= HFS_MAX_FILE_BYTES || len > HFS_MAX_FILE_BYTES - off)
		return -EFBIG;
	end = off + len;
	hfs_down_write(&ip->layout);
	size = ip->d.size;
	err = write_alloc(ip, off, end, &e);
	if (!err && off > size)
		err = hfs_zero_gap(ip, size, off);
	pos = off;
	for (unsigned i = 0; i < n && !err; i++) {
		copy_out(ip, pos, iov[i].base, iov[i].len, &e, &err);
		pos += iov[i].len;
	}
	if (!err && end > size) {
		hfs_pm_fence(fs->pm);		/* data before the size that shows it */
		__atomic_store_n(&ip->d.size, end, __ATOMIC_RELAXED);
	}
	if (!err)
		hfs_touch(ip, true);
	hfs_up_write(&ip->layout);
	return err ? err : (int64_t)len;
}

/**
 * hfs_read - read up to @len bytes at @off; holes read as zeros.
 * Returns the count (0 at or past EOF) or -EISDIR, -EUCLEAN.
 */
int64_t hfs_read(struct hfs_inode *ip, uint64_t off, void *buf, size_t len)
{
	uint8_t *dst = buf;
	uint64_t size;
	size_t done = 0;
	int err = 0;

	if (hfs_is_dir(ip))
		return -EISDIR;
	hfs_down_read(&ip->layout);
	size = ip->d.size;
	if (off >= size)
		len = 0;
	else if (len > size - off)
		len = (size_t)(size - off);
	while (done < len) {
		struct hfs_dext e;
		uint64_t hole, n, pos = off + done;
		int r = hfs_ext_lookup(ip, BLK(pos), &e, &hole);

		if (r < 0) {
			err = r;
			break;
		}
		if (r == 1) {
			n = MIN((uint64_t)(len - done), HFS_BLOCK_OFF((uint64_t)e.lblk + e.len) - pos);
			memcpy(dst + done, hfs_pm_ptr(ip->fs->pm, HFS_BLOCK_OFF(e.pblk) +
						      (pos - HFS_BLOCK_OFF(e.lblk))), (size_t)n);
		} else {
			uint64_t hole_end = hole == UINT64_MAX ? UINT64_MAX :
				HFS_BLOCK_OFF(BLK(pos) + hole);

			n = MIN((uint64_t)(len - done), hole_end - pos);
			memset(dst + done, 0, (size_t)n);
		}
		done += (size_t)n;
	}
	hfs_up_read(&ip->layout);
	return err ? err : (int64_t)done;
}

/**
 * hfs_truncate_locked - set the size of @ip to @size.  Growing zeroes the
 * allocated bytes it exposes; shrinking frees every block past the new EOF
 * (preallocated ones too), atomically even for huge fragmented files (an
 * intent finished by later transactions or the next mount).  Caller holds
 * the layout lock exclusive and has broken the DAX layout of the range.
 */
int hfs_truncate_locked(struct hfs_inode *ip, uint64_t size)
{
	struct hfs_fs *fs = ip->fs;
	struct hfs_tx *tx;
	bool done = true;
	int err;

	hfs_assert_held_write(&ip->layout);
	if (size > ip->d.size) {
		err = hfs_zero_gap(ip, ip->d.size, size);
		if (err)
			return err;
		hfs_pm_fence(fs->pm);
		tx = hfs_tx_begin(fs);
		hfs_tx_set_size(tx, ip, size);
		hfs_touch(ip, true);
		return hfs_tx_commit(tx);
	}
	tx = hfs_tx_begin(fs);
	hfs_tx_set_size(tx, ip, size);
	hfs_touch(ip, true);
	hfs_free_range_step(tx, ip, DIV_ROUND_UP(size, HFS_BLOCK_SIZE), HFS_MAX_FILE_BLOCKS,
			    &done);
	if (!done)
		hfs_orphan_add(tx, ip);
	err = hfs_tx_commit(tx);
	ip->spec_from = UINT64_MAX;
	if (!err && !done)
		err = hfs_finish_intent(ip);
	return err;
}

/**
 * hfs_truncate - see holdfs.h.  Returns 0, -EISDIR, -EINVAL, -EFBIG,
 * -EROFS, -EBUSY / -ETIMEDOUT / -EINTR (pinned pages, per @w; nothing changed).
 */
int hfs_truncate(struct hfs_inode *ip, uint64_t size, const struct hfs_wait *w)
{
	int err;

	if (hfs_is_dir(ip))
		return -EISDIR;
	if (!hfs_is_reg(ip))
		return -EINVAL;
	if (hfs_rdonly(ip->fs))
		return -EROFS;
	if (size > HFS_MAX_FILE_BYTES)
		return -EFBIG;
	hfs_down_write(&ip->layout);
	/* Growing: speculative blocks would become the file's, zeroed, and
	 * a new file truncated up would not be sparse.  Give them back. */
	err = size > ip->d.size ? hfs_spec_trim(ip, w) : 0;
	if (!err)
		err = hfs_break_layout(ip, &ip->layout, ALIGN_DOWN(size, (uint64_t)HFS_BLOCK_SIZE),
				       HFS_MAX_FILE_BYTES - ALIGN_DOWN(size, (uint64_t)HFS_BLOCK_SIZE), w);
	if (!err)
		err = hfs_truncate_locked(ip, size);
	hfs_up_write(&ip->layout);
	return err;
}

/** hfs_fsync - make @ip's data, size and times durable (flush + fence). */
int hfs_fsync(struct hfs_inode *ip)
{
	hfs_inode_writeback(ip);
	hfs_pm_fence(ip->fs->pm);
	return 0;
}

/**
 * hfs_map - see holdfs.h.  With @alloc, a hole becomes zeroed blocks: the
 * rest of its 2 MiB-aligned chunk when the file is at least 2 MiB (so the
 * DAX layer can use a huge page), else one block.  Returns 0, -EROFS,
 * -EFBIG, -ENOSPC, -EUCLEAN.
 */
int hfs_map(struct hfs_inode *ip, uint64_t off, bool alloc, struct hfs_mapping *m)
{
	struct hfs_fs *fs = ip->fs;
	struct hfs_dext e;
	uint64_t hole, lblk = BLK(off);
	int r;

	if (alloc)
		hfs_assert_held_write(&ip->layout);
	else
		hfs_assert_held_read(&ip->layout);
	if (off >= HFS_MAX_FILE_BYTES)
		return -EFBIG;
	r = hfs_ext_lookup(ip, lblk, &e, &hole);
	if (r == 0 && alloc) {
		uint64_t n = 1;

		if (hfs_rdonly(fs))
			return -EROFS;
		if (!hfs_is_reg(ip))
			return -EINVAL;
		uint64_t from = lblk;

		if (ip->d.size >= HFS_BLOCK_OFF(HFS_LARGE_ALIGN)) {
			/* The whole 2 MiB chunk if it is all hole: a huge page. */
			uint64_t chunk = ALIGN_DOWN(lblk, (uint64_t)HFS_LARGE_ALIGN), chole;
			struct hfs_dext ce;

			if (hfs_ext_lookup(ip, chunk, &ce, &chole) == 0 && chole >= HFS_LARGE_ALIGN) {
				from = chunk;
				n = HFS_LARGE_ALIGN;
			} else {
				n = MIN(hole, HFS_LARGE_ALIGN - lblk % HFS_LARGE_ALIGN);
			}
		}
		r = hfs_alloc_range(ip, from, n, true, 0);
		if (r == -ENOSPC && n > 1)
			r = hfs_alloc_range(ip, lblk, 1, true, 0);
		if (r)
			return r;
		hfs_pm_fence(fs->pm);
		r = hfs_ext_lookup(ip, lblk, &e, &hole);
	}
	if (r < 0)
		return r;
	if (r == 0) {
		m->hole = true;
		m->dev_off = m->phys = 0;
		m->len = hole == UINT64_MAX || hole > BLK(HFS_MAX_FILE_BYTES) ? HFS_MAX_FILE_BYTES - off :
			HFS_BLOCK_OFF(lblk + hole) - off;
		return 0;
	}
	m->hole = false;
	m->dev_off = HFS_BLOCK_OFF(e.pblk) + (off - HFS_BLOCK_OFF(e.lblk));
	m->phys = fs->pm->ops->phys ? fs->pm->ops->phys(fs->pm, m->dev_off) : 0;
	m->len = HFS_BLOCK_OFF((uint64_t)e.lblk + e.len) - off;
	return 0;
}
