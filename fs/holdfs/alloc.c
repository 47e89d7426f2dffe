/*
 * alloc.c - block and inode allocation.
 *
 * On media, each bitmap is an array of 64-byte lines of 480 bits with a
 * crc32c (hfs_format.h), so that changing one bit logs and checksums one
 * cache line.  At mount the lines are checked and unpacked into plain DRAM
 * bitmaps (fs->bmap, fs->imap; 1 bit per block or inode), plus a summary
 * of free blocks per 2 MiB group (fs->group_free).  From then on the DRAM
 * bitmaps are the allocator's truth: an allocation searches them, never
 * the media, and the transaction logs the images of the lines it changed
 * at commit (journal.c).  Every change is recorded in the transaction's
 * undo list so that an abort puts the DRAM bitmaps back.
 *
 * Search: first the goal block (so a file grows its last extent in
 * place), then whole free 2 MiB groups for aligned requests, then next
 * fit from a rotating hint, skipping full groups by their summary; freeing
 * moves the hint back to the lowest block freed, so freed space is reused
 * before untouched space.  No allocation scans the device bitmap from the
 * start.
 *
 * A block whose page is pinned for DMA (holdfs_platform.h unpinned_blocks) is never
 * handed out: it is skipped and reported.
 *
 * Locking: everything here runs inside a transaction (fs->tx_lock).
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/crc.h>
#include <lib/bitmap.h>
#include <lib/compiler.h>
#include "hfs_int.h"

#define GROUP_SHIFT	9	/* HFS_LARGE_ALIGN = 1 << GROUP_SHIFT blocks */

uint32_t hfs_bm_line_crc(uint64_t line, const struct hfs_dbmline *l)
{
	return crc32c(crc32c(0, &line, sizeof(line)), l->bits, sizeof(l->bits));
}

/* The media image of bitmap line @line of @map (@nbits valid bits). */
void hfs_bm_line_image(const uint64_t *map, uint64_t nbits, uint64_t line,
		       struct hfs_dbmline *out)
{
	uint64_t bit = line * HFS_BM_LINE_BITS;
	unsigned i;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* A whole line: the DRAM words' bytes are the media bytes (a line
	 * starts on a byte, 480 bits in), so copy them. */
	if (bit + HFS_BM_LINE_BITS <= nbits) {
		memcpy(out->bits, (const uint8_t *)map + bit / 8, HFS_BM_LINE_BYTES);
		out->crc = hfs_bm_line_crc(line, out);
		return;
	}
#endif
	for (i = 0; i < HFS_BM_LINE_BYTES; i++, bit += 8) {
		uint8_t v = 0;

		if (bit < nbits) {
			v = (uint8_t)(map[bit / 64] >> (bit % 64));
			if (nbits - bit < 8)
				v &= (uint8_t)((1u << (nbits - bit)) - 1);
		}
		out->bits[i] = v;
	}
	out->crc = hfs_bm_line_crc(line, out);
}

/* Load one on-media bitmap into a DRAM bitmap; -EUCLEAN on a bad line. */
static int load_bitmap(struct hfs_fs *fs, uint64_t start_blk, uint64_t nbits,
		       uint64_t *map, const char *what)
{
	uint64_t nlines = DIV_ROUND_UP(nbits, HFS_BM_LINE_BITS), line;

	for (line = 0; line < nlines; line++) {
		const struct hfs_dbmline *l = (const void *)hfs_pm_ptr(fs->pm,
			HFS_BLOCK_OFF(start_blk) + line * sizeof(*l));
		uint64_t bit = line * HFS_BM_LINE_BITS;
		unsigned i, b;

		if (l->crc != hfs_bm_line_crc(line, l)) {
			hfs_log("holdfs: %s bitmap line %llu: bad checksum\n", what,
				(unsigned long long)line);
			return -EUCLEAN;
		}
		for (i = 0; i < HFS_BM_LINE_BYTES; i++)
			for (b = 0; b < 8; b++, bit++)
				if (bit < nbits && (l->bits[i] >> b & 1))
					bitmap_set(map, bit);
	}
	return 0;
}

bool hfs_block_in_data(const struct hfs_fs *fs, uint64_t pblk, uint64_t len)
{
	return pblk >= fs->data_start && pblk < fs->nblocks - 1 &&
		len <= fs->nblocks - 1 - pblk;
}

int hfs_alloc_init(struct hfs_fs *fs)
{
	uint64_t g, b;
	int err;

	fs->ngroups = DIV_ROUND_UP(fs->nblocks, HFS_LARGE_ALIGN);
	fs->bmap = hfs_zalloc(BITMAP_WORDS(fs->nblocks) * sizeof(uint64_t));
	fs->imap = hfs_zalloc(BITMAP_WORDS(fs->ninodes) * sizeof(uint64_t));
	fs->group_free = hfs_zalloc(fs->ngroups * sizeof(uint16_t));
	if (!fs->bmap || !fs->imap || !fs->group_free) {
		hfs_alloc_destroy(fs);
		return -ENOMEM;
	}
	err = load_bitmap(fs, fs->bbm_start, fs->nblocks, fs->bmap, "block");
	if (!err)
		err = load_bitmap(fs, fs->ibm_start, fs->ninodes, fs->imap, "inode");
	if (err)
		goto fail;
	if (bitmap_find_next_zero(fs->bmap, fs->data_start, 0) != fs->data_start ||
	    !bitmap_test(fs->bmap, fs->nblocks - 1)) {
		hfs_log("holdfs: block bitmap marks metadata blocks free\n");
		err = -EUCLEAN;
		goto fail;
	}
	if (!bitmap_test(fs->imap, 0) || !bitmap_test(fs->imap, HFS_ROOT_INO)) {
		hfs_log("holdfs: inode bitmap marks inode 0 or the root free\n");
		err = -EUCLEAN;
		goto fail;
	}
	fs->free_blocks = fs->nblocks - bitmap_count_set(fs->bmap, fs->nblocks);
	fs->free_inodes = fs->ninodes - bitmap_count_set(fs->imap, fs->ninodes);
	for (g = 0; g < fs->ngroups; g++) {
		uint64_t lo = g << GROUP_SHIFT, hi = MIN(lo + HFS_LARGE_ALIGN, fs->nblocks);
		uint16_t n = 0;

		for (b = lo; b < hi; b++)
			n += !bitmap_test(fs->bmap, b);
		fs->group_free[g] = n;
	}
	fs->block_hint = fs->data_start;
	fs->inode_hint = HFS_ROOT_INO + 1;
	return 0;
fail:
	hfs_alloc_destroy(fs);
	return err;
}

void hfs_alloc_destroy(struct hfs_fs *fs)
{
	hfs_free(fs->bmap);
	hfs_free(fs->imap);
	hfs_free(fs->group_free);
	fs->bmap = fs->imap = NULL;
	fs->group_free = NULL;
}

static void note_lines(struct hfs_tx *tx, uint64_t **linesp, size_t *cap, size_t *n,
		       uint64_t first, uint64_t count)
{
	uint64_t l, lo = first / HFS_BM_LINE_BITS, hi = (first + count - 1) / HFS_BM_LINE_BITS;
	uint64_t *lines = *linesp;
	size_t i;

	for (l = lo; l <= hi; l++) {
		bool dup = false;

		for (i = *n > 8 ? *n - 8 : 0; i < *n; i++)
			dup |= lines[i] == l;
		if (dup)
			continue;
		if (!hfs_tx_grow(tx, (void **)linesp, cap, sizeof(uint64_t), *n + 1,
				 tx->max_lines))
			return;
		lines = *linesp;
		lines[(*n)++] = l;
	}
}

static void note_undo(struct hfs_tx *tx, uint8_t kind, uint64_t start, uint64_t len)
{
	if (!hfs_tx_grow(tx, (void **)&tx->undo, &tx->undo_cap, sizeof(*tx->undo),
			 tx->nundo + 1, tx->max_undo))
		return;
	tx->undo[tx->nundo++] = (struct hfs_undo){ start, len, kind };
}

/* Of the @n blocks from @b, how many come before the first pinned one. */
static uint64_t unpinned(struct hfs_fs *fs, uint64_t b, uint64_t n)
{
	if (n == 0 || !fs->pm->ops->unpinned_blocks)
		return n;
	return MIN(n, fs->pm->ops->unpinned_blocks(fs->pm, HFS_BLOCK_OFF(b), n));
}

static void mark_blocks(struct hfs_fs *fs, uint64_t start, uint64_t len, bool used)
{
	uint64_t b, end = start + len;

	/* Freeing a block a device may still write is the seed's corruption
	 * waiting to happen: a layout path skipped hfs_break_layout.  Say so. */
	if (!used) {
		for (b = start; b < end; b++) {
			b += unpinned(fs, b, end - b);
			if (b < end)
				hfs_log("holdfs: BUG: freeing block %lu while it is pinned\n",
					(unsigned long)b);
		}
	}
	if (used)
		bitmap_set_range(fs->bmap, start, len);
	else
		bitmap_clear_range(fs->bmap, start, len);
	for (b = start; b < start + len;) {
		uint64_t g = b >> GROUP_SHIFT;
		uint64_t n = MIN(start + len, (g + 1) << GROUP_SHIFT) - b;

		if (used)
			fs->group_free[g] -= (uint16_t)n;
		else
			fs->group_free[g] += (uint16_t)n;
		b += n;
	}
	if (used)
		fs->free_blocks -= len;
	else
		fs->free_blocks += len;
}

void hfs_alloc_undo(struct hfs_fs *fs, const struct hfs_undo *u)
{
	switch (u->kind) {
	case HFS_UNDO_BALLOC: mark_blocks(fs, u->start, u->len, false); break;
	case HFS_UNDO_BFREE: mark_blocks(fs, u->start, u->len, true); break;
	case HFS_UNDO_BFREE_PENDING: break;
	case HFS_UNDO_IALLOC: bitmap_clear(fs->imap, u->start); fs->free_inodes++; break;
	case HFS_UNDO_IFREE: bitmap_set(fs->imap, u->start); fs->free_inodes--; break;
	}
}

/*
 * Length of the free, unpinned run at @b, at most @want: the bitmap a
 * word at a time, then the pins in one call for the whole free run.
 */
static uint64_t run_at(struct hfs_fs *fs, uint64_t b, uint64_t want)
{
	uint64_t n, ok;

	if (b >= fs->nblocks)
		return 0;
	n = bitmap_find_next_set(fs->bmap, b + MIN(want, fs->nblocks - b), b) - b;
	ok = unpinned(fs, b, n);
	if (ok < n)
		hfs_log("holdfs: block %llu is pinned for DMA: not handing it out\n",
			(unsigned long long)(b + ok));
	return ok;
}

/* A run of whole free groups for a 2 MiB-aligned request. */
static uint64_t find_aligned(struct hfs_fs *fs, uint64_t want, uint64_t *got)
{
	uint64_t g0 = fs->block_hint >> GROUP_SHIFT, i, n;

	for (i = 0; i < fs->ngroups; i++) {
		uint64_t g = (g0 + i) % fs->ngroups, b = g << GROUP_SHIFT;

		if (fs->group_free[g] != HFS_LARGE_ALIGN || !hfs_block_in_data(fs, b, 1))
			continue;
		n = run_at(fs, b, want);
		if (n >= HFS_LARGE_ALIGN || n == want) {
			*got = n;
			return b;
		}
	}
	return UINT64_MAX;
}

static uint64_t find_any(struct hfs_fs *fs, uint64_t want, uint64_t *got)
{
	uint64_t g0 = fs->block_hint >> GROUP_SHIFT, i;

	for (i = 0; i <= fs->ngroups; i++) {
		uint64_t g = (g0 + i) % fs->ngroups;
		uint64_t lo = g << GROUP_SHIFT, hi = MIN(lo + HFS_LARGE_ALIGN, fs->nblocks);
		uint64_t b = lo;

		if (fs->group_free[g] == 0)
			continue;
		if (i == 0 && fs->block_hint > lo)
			b = fs->block_hint;
		while (b < hi) {
			uint64_t n;

			b = bitmap_find_next_zero(fs->bmap, hi, b);
			if (b >= hi)
				break;
			n = run_at(fs, b, want);
			if (n) {
				*got = n;
				return b;
			}
			b++;
		}
	}
	return UINT64_MAX;
}

/**
 * hfs_balloc - allocate up to @want contiguous blocks.
 * @goal: preferred first block (0: none); @align: 1, or HFS_LARGE_ALIGN to
 * ask for a 2 MiB-aligned start.  Returns 0 with [*start, *start + *got)
 * allocated (1 <= *got <= @want), or -ENOSPC when no block is free.
 * Caller is inside transaction @tx.
 */
int hfs_balloc(struct hfs_tx *tx, uint64_t goal, uint64_t want, uint64_t align,
	       uint64_t *start, uint64_t *got)
{
	struct hfs_fs *fs = tx->fs;
	uint64_t b = UINT64_MAX, n = 0;

	if (tx->error)
		return tx->error;
	if (want == 0 || fs->free_blocks == 0)
		return hfs_nospc(fs, HFS_NOSPC_BLOCKS);
	if (goal && hfs_block_in_data(fs, goal, 1)) {
		n = run_at(fs, goal, want);
		if (n)
			b = goal;
	}
	if (b == UINT64_MAX && align > 1 && want >= align)
		b = find_aligned(fs, want, &n);
	if (b == UINT64_MAX)
		b = find_any(fs, want, &n);
	if (b == UINT64_MAX)
		return hfs_nospc(fs, HFS_NOSPC_BLOCKS);
	mark_blocks(fs, b, n, true);
	note_undo(tx, HFS_UNDO_BALLOC, b, n);
	note_lines(tx, &tx->blines, &tx->blines_cap, &tx->nblines, b, n);
	fs->block_hint = b + n < fs->nblocks - 1 ? b + n : fs->data_start;
	*start = b;
	*got = n;
	return tx->error;
}

static bool all_used(struct hfs_fs *fs, uint64_t start, uint64_t len)
{
	return hfs_block_in_data(fs, start, len) &&
		bitmap_find_next_zero(fs->bmap, start + len, start) == start + len;
}

/**
 * hfs_bfree - free blocks [start, start + len) when transaction @tx
 * commits.  Until then they stay allocated in DRAM, so that nothing else
 * in the same transaction can reuse (and overwrite in place) a block that
 * is still referenced on the media.  A range outside the data area or not
 * allocated means the caller read a corrupt extent: the transaction fails
 * with -EUCLEAN.
 */
void hfs_bfree(struct hfs_tx *tx, uint64_t start, uint64_t len)
{
	struct hfs_fs *fs = tx->fs;

	if (len == 0)
		return;
	if (!all_used(fs, start, len)) {
		hfs_log("holdfs: freeing blocks %llu+%llu that are not allocated data blocks\n",
			(unsigned long long)start, (unsigned long long)len);
		hfs_tx_fail(tx, -EUCLEAN);
		return;
	}
	note_undo(tx, HFS_UNDO_BFREE_PENDING, start, len);
	tx->pending_lines += len / HFS_BM_LINE_BITS + 2;
}

/* At commit: carry out the frees hfs_bfree() deferred. */
void hfs_alloc_commit_frees(struct hfs_tx *tx)
{
	struct hfs_fs *fs = tx->fs;
	size_t i, n = tx->nundo;

	for (i = 0; i < n && !tx->error; i++) {
		struct hfs_undo *u = &tx->undo[i];

		if (u->kind != HFS_UNDO_BFREE_PENDING)
			continue;
		if (!all_used(fs, u->start, u->len)) {
			hfs_log("holdfs: blocks %llu+%llu freed twice\n",
				(unsigned long long)u->start, (unsigned long long)u->len);
			hfs_tx_fail(tx, -EUCLEAN);
			return;
		}
		mark_blocks(fs, u->start, u->len, false);
		/* Hand freed blocks out again first: the device stays compact
		 * and the pages were touched recently (under a hypervisor a
		 * page's first store costs a host fault). */
		if (u->start < fs->block_hint && u->start >= fs->data_start)
			fs->block_hint = u->start;
		u->kind = HFS_UNDO_BFREE;
		note_lines(tx, &tx->blines, &tx->blines_cap, &tx->nblines, u->start, u->len);
	}
}

/** hfs_ialloc - allocate an inode number; -ENOSPC when none is free. */
int hfs_ialloc(struct hfs_tx *tx, uint64_t *ino)
{
	struct hfs_fs *fs = tx->fs;
	uint64_t i;

	if (fs->free_inodes == 0)
		return hfs_nospc(fs, HFS_NOSPC_INODES);
	i = bitmap_find_next_zero(fs->imap, fs->ninodes, fs->inode_hint);
	if (i >= fs->ninodes)
		i = bitmap_find_next_zero(fs->imap, fs->ninodes, 1);
	if (i >= fs->ninodes)
		return hfs_nospc(fs, HFS_NOSPC_INODES);
	bitmap_set(fs->imap, i);
	fs->free_inodes--;
	fs->inode_hint = i + 1;
	note_undo(tx, HFS_UNDO_IALLOC, i, 1);
	note_lines(tx, &tx->ilines, &tx->ilines_cap, &tx->nilines, i, 1);
	*ino = i;
	return tx->error;
}

void hfs_ifree(struct hfs_tx *tx, uint64_t ino)
{
	struct hfs_fs *fs = tx->fs;

	if (ino <= HFS_ROOT_INO || ino >= fs->ninodes || !bitmap_test(fs->imap, ino)) {
		hfs_tx_fail(tx, -EUCLEAN);
		return;
	}
	bitmap_clear(fs->imap, ino);
	fs->free_inodes++;
	if (ino < fs->inode_hint)
		fs->inode_hint = ino;
	note_undo(tx, HFS_UNDO_IFREE, ino, 1);
	note_lines(tx, &tx->ilines, &tx->ilines_cap, &tx->nilines, ino, 1);
}
