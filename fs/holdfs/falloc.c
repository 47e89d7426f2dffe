/*
 * falloc.c - fallocate(2) for holdfs, with Linux's modes and errors.
 *
 *	0 / KEEP_SIZE        allocate zeroed blocks for the holes of the range
 *	                     (2 MiB-aligned where the range allows), then raise
 *	                     the size unless KEEP_SIZE
 *	PUNCH_HOLE|KEEP_SIZE zero the partial blocks at the edges, free the
 *	                     whole blocks (one transaction, or an intent that
 *	                     later transactions or the next mount finish)
 *	ZERO_RANGE           zero allocated bytes in place and fill the holes
 *	                     with zeroed blocks; [| KEEP_SIZE]
 *	COLLAPSE_RANGE       remove whole blocks and shift the rest down (one
 *	                     transaction, or a collapse intent: orphan.c)
 *	INSERT_RANGE         shift whole blocks up, leaving a hole
 *
 * Every mode that frees or moves blocks breaks the DAX layout of the range
 * first (holdfs_platform.h hfs_break_layout): it waits for DMA pins to drain, or
 * fails with -EBUSY / -ETIMEDOUT / -EINTR as the caller's struct hfs_wait asks,
 * leaving the file as it was.
 *
 * Locking: takes the layout lock exclusive.
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/compiler.h>
#include "hfs_int.h"

#define KNOWN_MODES	(HFS_FALLOC_KEEP_SIZE | HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_COLLAPSE | \
			 HFS_FALLOC_ZERO_RANGE | HFS_FALLOC_INSERT)

static int check_mode(struct hfs_inode *ip, int mode, uint64_t off, uint64_t len)
{
	int shift = mode & (HFS_FALLOC_COLLAPSE | HFS_FALLOC_INSERT);

	if (mode & ~KNOWN_MODES)
		return -EOPNOTSUPP;
	if (hfs_is_dir(ip))
		return -EISDIR;
	if (!hfs_is_reg(ip))
		return -ENODEV;
	if (len == 0)
		return -EINVAL;
	if ((mode & HFS_FALLOC_PUNCH_HOLE) && (!(mode & HFS_FALLOC_KEEP_SIZE) ||
					       (mode & ~(HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE))))
		return -EOPNOTSUPP;
	if (shift && (mode & ~shift || shift == (HFS_FALLOC_COLLAPSE | HFS_FALLOC_INSERT)))
		return -EINVAL;
	if ((mode & HFS_FALLOC_ZERO_RANGE) && (mode & ~(HFS_FALLOC_ZERO_RANGE | HFS_FALLOC_KEEP_SIZE)))
		return -EOPNOTSUPP;
	if (off >= HFS_MAX_FILE_BYTES || len > HFS_MAX_FILE_BYTES - off)
		return -EFBIG;
	if (shift && (off % HFS_BLOCK_SIZE || len % HFS_BLOCK_SIZE))
		return -EINVAL;
	if (hfs_rdonly(ip->fs))
		return -EROFS;
	return 0;
}

/* Raise the size to @end after zeroing what it exposes. */
static int extend_size(struct hfs_inode *ip, uint64_t end)
{
	int err;

	if (end <= ip->d.size)
		return 0;
	err = hfs_zero_gap(ip, ip->d.size, end);
	if (err)
		return err;
	hfs_pm_fence(ip->fs->pm);	/* the zeroes before the size that shows them */
	__atomic_store_n(&ip->d.size, end, __ATOMIC_RELAXED);
	hfs_touch(ip, true);
	hfs_inode_persist_attrs(ip);
	hfs_pm_fence(ip->fs->pm);	/* a size change is durable on return */
	return 0;
}

/* Source of the zero records of zero_logged(). */
static const uint8_t zero_block[HFS_BLOCK_SIZE];

/*
 * Zero the allocated bytes of [from, to), which lie inside one block,
 * through the journal of @tx: they change exactly when @tx commits.
 */
static void zero_logged(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t from, uint64_t to)
{
	struct hfs_dext e;
	uint64_t hole;
	int r;

	if (from >= to)
		return;
	r = hfs_ext_lookup(ip, from / HFS_BLOCK_SIZE, &e, &hole);
	if (r < 0)
		hfs_tx_fail(tx, r);
	if (r != 1)
		return;		/* a hole reads as zeros already */
	hfs_tx_log(tx, HFS_BLOCK_OFF(e.pblk) + (from - HFS_BLOCK_OFF(e.lblk)), zero_block,
		   (size_t)(to - from));
}

/*
 * Make bytes [off, end) read as zeros, atomically: one transaction zeroes
 * the partial blocks at the edges through the journal (at most two
 * partial blocks, < 8 KiB of records), unmaps the whole blocks between
 * (with an intent that later transactions or the next mount finish when
 * they are too many: the range reads as zeros from the first commit on,
 * since an intent's blocks are never read again), and raises the size to
 * @new_size if that is larger, in the same inode image.
 *
 * Why not zero the edges in place: a crash in the middle of an in-place
 * zeroing (or between it and the transaction) leaves some lines zeroed
 * and some not, which is neither the file before nor after.  The bytes
 * between the old size and @off are zeroed in place: they lie past EOF
 * until this transaction commits, and hfs_tx_direct() fences them first.
 */
static int zero_atomic(struct hfs_inode *ip, uint64_t off, uint64_t end, uint64_t new_size)
{
	uint64_t lo = DIV_ROUND_UP(off, HFS_BLOCK_SIZE), hi = end / HFS_BLOCK_SIZE;
	struct hfs_tx *tx;
	bool done = true;
	int err;

	tx = hfs_tx_begin(ip->fs);
	hfs_tx_dirty_inode(tx, ip);
	if (lo > hi) {			/* inside one block */
		zero_logged(tx, ip, off, end);
	} else {
		zero_logged(tx, ip, off, HFS_BLOCK_OFF(lo));
		zero_logged(tx, ip, HFS_BLOCK_OFF(hi), end);
	}
	if (new_size > ip->d.size) {
		if (off > ip->d.size) {
			err = hfs_zero_gap(ip, ip->d.size, off);
			if (err)
				hfs_tx_fail(tx, err);
			hfs_tx_direct(tx);
		}
		hfs_tx_set_size(tx, ip, new_size);
	}
	if (lo < hi)
		hfs_free_range_step(tx, ip, lo, hi, &done);
	hfs_touch(ip, true);
	if (!done)
		hfs_orphan_add(tx, ip);
	err = hfs_tx_commit(tx);
	if (!err && !done)
		err = hfs_finish_intent(ip);
	return err;
}

static int punch(struct hfs_inode *ip, uint64_t off, uint64_t len)
{
	return zero_atomic(ip, off, off + len, 0);
}

static int collapse(struct hfs_inode *ip, uint64_t off, uint64_t len)
{
	uint64_t lo = off / HFS_BLOCK_SIZE, n = len / HFS_BLOCK_SIZE, removed;
	struct hfs_tx *tx;
	int err;

	if (off + len >= ip->d.size)
		return -EINVAL;
	/* Usually one transaction: free the range, move the rest down. */
	tx = hfs_tx_begin(ip->fs);
	hfs_ext_remove(tx, ip, lo, n, UINT64_MAX, &removed);
	if (removed == n)
		hfs_ext_shift(tx, ip, lo + n, -(int64_t)n);
	if (removed == n && !tx->error) {
		hfs_tx_set_size(tx, ip, ip->d.size - len);
		hfs_touch(ip, true);
		return hfs_tx_commit(tx);
	}
	err = tx->error;
	hfs_tx_abort(tx);
	if (err && err != -ENOSPC)
		return err;
	/*
	 * Too much for one transaction.  The first one commits the new size
	 * and a collapse intent (orphan.c); the steps that free the range and
	 * move the extents follow, and mount finishes them after a crash, so
	 * the collapse is all or nothing as seen after recovery.
	 */
	tx = hfs_tx_begin(ip->fs);
	hfs_tx_dirty_inode(tx, ip);
	ip->d.flags |= HFS_DI_COLLAPSE;
	ip->d.intent_lo = lo;
	ip->d.intent_hi = lo + n;
	hfs_tx_set_size(tx, ip, ip->d.size - len);
	hfs_touch(ip, true);
	hfs_orphan_add(tx, ip);
	err = hfs_tx_commit(tx);
	if (!err)
		err = hfs_finish_intent(ip);
	return err;
}

static int insert(struct hfs_inode *ip, uint64_t off, uint64_t len)
{
	uint64_t lo = off / HFS_BLOCK_SIZE, n = len / HFS_BLOCK_SIZE;
	struct hfs_dext last;
	struct hfs_tx *tx;
	int r;

	if (off >= ip->d.size)
		return -EINVAL;
	if (len > HFS_MAX_FILE_BYTES - ip->d.size)
		return -EFBIG;
	r = hfs_ext_last(ip, &last);
	if (r < 0)
		return r;
	if (r == 1 && (uint64_t)last.lblk + last.len + n > HFS_MAX_FILE_BLOCKS)
		return -EFBIG;
	tx = hfs_tx_begin(ip->fs);
	hfs_ext_shift(tx, ip, lo, (int64_t)n);
	hfs_tx_set_size(tx, ip, ip->d.size + len);
	hfs_touch(ip, true);
	return hfs_tx_commit(tx);
}

/*
 * Zero [off, end) and leave it allocated.  The zeroing is atomic
 * (zero_atomic: journaled edges, whole blocks unmapped, size in the same
 * transaction); then the holes of the range are filled with zeroed
 * blocks, which changes nothing a reader or a crash can see.  The free
 * blocks are counted first, so a lack of them fails before anything
 * changed; if a later allocation still runs short (tree nodes), the range
 * stays partly a hole, which reads the same, and the call succeeds.
 */
static int zero_range(struct hfs_inode *ip, int mode, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	uint64_t lo = off / HFS_BLOCK_SIZE, hi = DIV_ROUND_UP(end, HFS_BLOCK_SIZE);
	int64_t need = hfs_count_holes(ip, lo, hi - lo);
	int err;

	if (need < 0)
		return (int)need;
	if ((uint64_t)need > ip->fs->free_blocks)
		return hfs_nospc(ip->fs, HFS_NOSPC_BLOCKS);
	err = zero_atomic(ip, off, end, (mode & HFS_FALLOC_KEEP_SIZE) ? 0 : end);
	if (!err) {
		err = hfs_alloc_range(ip, lo, hi - lo, true, 0);
		if (err == -ENOSPC)
			err = 0;
		hfs_pm_fence(ip->fs->pm);
	}
	return err;
}

/**
 * hfs_fallocate - see holdfs.h and the table above.  Returns 0 or
 * -EOPNOTSUPP (unknown or unsupported mode combination), -EINVAL (len 0,
 * unaligned shift, shift past EOF), -EISDIR, -ENODEV (not a regular file),
 * -EFBIG, -ENOSPC (nothing allocated), -EROFS, -EBUSY / -ETIMEDOUT / -EINTR.
 */
int hfs_fallocate(struct hfs_inode *ip, int mode, uint64_t off, uint64_t len,
		  const struct hfs_wait *w)
{
	uint64_t end = off + len;
	int err = check_mode(ip, mode, off, len);

	if (err)
		return err;
	hfs_down_write(&ip->layout);
	if (mode & (HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_ZERO_RANGE | HFS_FALLOC_COLLAPSE |
		    HFS_FALLOC_INSERT)) {
		uint64_t from = ALIGN_DOWN(off, (uint64_t)HFS_BLOCK_SIZE);
		uint64_t to = (mode & (HFS_FALLOC_COLLAPSE | HFS_FALLOC_INSERT)) ? HFS_MAX_FILE_BYTES : end;

		err = hfs_break_layout(ip, &ip->layout, from, to - from, w);
		if (err)
			goto out;
	}
	if (mode & HFS_FALLOC_PUNCH_HOLE) {
		err = punch(ip, off, len);
	} else if (mode & HFS_FALLOC_COLLAPSE) {
		err = collapse(ip, off, len);
	} else if (mode & HFS_FALLOC_INSERT) {
		err = insert(ip, off, len);
	} else if (mode & HFS_FALLOC_ZERO_RANGE) {
		err = zero_range(ip, mode, off, len);
	} else {
		uint64_t lo = off / HFS_BLOCK_SIZE, hi = DIV_ROUND_UP(end, HFS_BLOCK_SIZE);

		/* A lone speculative block (a new file's first) would keep the
		 * range from starting a 2 MiB-aligned extent: give it back. */
		err = hfs_spec_trim(ip, w);
		if (!err)
			err = hfs_alloc_range(ip, lo, hi - lo, true, 0);
		hfs_pm_fence(ip->fs->pm);
		if (!err && !(mode & HFS_FALLOC_KEEP_SIZE))
			err = extend_size(ip, end);
	}
	if (!err)
		hfs_touch(ip, true);
out:
	hfs_up_write(&ip->layout);
	return err;
}
