/*
 * fsck.c - the holdfs checker (hfs_fsck), for an unmounted device.
 *
 * Passes:
 *   1. superblock (falling back to the backup) and journal: a committed
 *      transaction is replayed, as mount would;
 *   2. every allocated inode: its record, and its extent tree (every node
 *      checked, every extent inside the data area, no block owned twice);
 *   3. the directory tree, breadth-first from the root: every block and
 *      entry checked, entries must name valid inodes of the right type, a
 *      directory has exactly one entry (its parent's) and records that
 *      parent, no cycles (a directory reached twice is a cycle or a hard
 *      link);
 *   4. inodes nothing reaches (other than orphans awaiting mount);
 *   5. link counts; 6. the orphan list; 7. both bitmaps against what the
 *   inodes own.
 * Repairs (with opts->repair) are the safe ones: rewrite the primary
 * superblock from the backup, replay the journal, drop bad directory
 * entries, free unreachable or corrupt inodes, fix link counts, parents,
 * block counts and entry types, cut a broken orphan list, rewrite the
 * bitmaps.  Repairs are written in place (fsck runs alone).
 *
 * Returns HFS_FSCK_CLEAN, HFS_FSCK_REPAIRED, or HFS_FSCK_ERRORS.
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/bitmap.h>
#include <lib/crc.h>
#include <lib/compiler.h>
#include "hfs_int.h"

enum { CK_FREE, CK_VALID, CK_BAD };

struct ck_ino {
	uint8_t state;
	bool reached;
	uint32_t links;			/* entries naming it */
	uint32_t subdirs;		/* directories: child directories */
};

struct ck {
	struct hfs_pm *pm;
	const struct hfs_fsck_opts *o;
	struct hfs_fs fs;		/* geometry only, for the shared checks */
	uint64_t *used;			/* blocks owned, as computed */
	uint64_t *imap;			/* the on-media inode bitmap */
	struct ck_ino *ino;
	uint64_t *queue;
	unsigned problems, fixed;
	bool bitmaps_bad;
};

static void problem(struct ck *c, bool fixable, const char *fmt, ...) __printf(3, 4);
static void problem(struct ck *c, bool fixable, const char *fmt, ...)
{
	va_list ap;

	c->problems++;
	if (fixable && c->o->repair)
		c->fixed++;
	va_start(ap, fmt);
	hfs_vlog(fmt, ap);
	va_end(ap);
}

static struct hfs_dinode *dinode(struct ck *c, uint64_t ino, struct hfs_dinode *d)
{
	memcpy(d, hfs_pm_ptr(c->pm, hfs_inode_off(&c->fs, ino)), sizeof(*d));
	return d;
}

static void dinode_store(struct ck *c, uint64_t ino, struct hfs_dinode *d)
{
	d->crc = hfs_dinode_crc(d);
	hfs_pm_persist(c->pm, hfs_inode_off(&c->fs, ino), d, sizeof(*d));
}

/* ------------------------------------------------------------ extents */

/* Visit every extent (and node block) of an inode; stop on damage. */
struct walk {
	struct ck *c;
	uint64_t ino;
	bool claim;			/* mark blocks in c->used, report doubles */
	bool bad;
	uint64_t blocks;
	struct hfs_dext *ext;		/* collected extents (optional) */
	size_t next, cap;
};

static void claim(struct walk *w, uint64_t pblk, uint64_t len)
{
	struct ck *c = w->c;

	w->blocks += len;
	if (!w->claim)
		return;
	if (bitmap_find_next_set(c->used, pblk + len, pblk) != pblk + len) {
		problem(c, true, "inode %llu: blocks %llu+%llu are owned twice\n",
			(unsigned long long)w->ino, (unsigned long long)pblk,
			(unsigned long long)len);
		w->bad = true;
		return;
	}
	bitmap_set_range(c->used, pblk, len);
}

static void collect(struct walk *w, const struct hfs_dext *e)
{
	if (!w->ext && w->cap)
		return;
	if (w->next == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct hfs_dext *n = hfs_alloc(cap * sizeof(*n));

		if (!n) {
			w->bad = true;
			return;
		}
		if (w->ext)
			memcpy(n, w->ext, w->next * sizeof(*n));
		hfs_free(w->ext);
		w->ext = n;
		w->cap = cap;
	}
	w->ext[w->next++] = *e;
}

static void walk_records(struct walk *w, const struct hfs_dext *e, unsigned n,
			 unsigned depth, uint64_t lo, uint64_t hi, bool want);

static void walk_node(struct walk *w, uint64_t pblk, unsigned depth, uint64_t lo,
		      uint64_t hi, bool want)
{
	const struct hfs_dnode_hdr *h = (const void *)hfs_pm_ptr(w->c->pm, HFS_BLOCK_OFF(pblk));
	const struct hfs_dext *e = (const void *)(h + 1);
	const char *why;

	if (hfs_node_check(&w->c->fs, w->ino, pblk, depth, h, &why)) {
		problem(w->c, true, "inode %llu: extent node %llu: %s\n",
			(unsigned long long)w->ino, (unsigned long long)pblk, why);
		w->bad = true;
		return;
	}
	if (e[0].lblk != lo || (uint64_t)e[h->count - 1].lblk >= hi) {
		problem(w->c, true, "inode %llu: extent node %llu: keys outside its parent's range\n",
			(unsigned long long)w->ino, (unsigned long long)pblk);
		w->bad = true;
		return;
	}
	claim(w, pblk, 1);
	walk_records(w, e, h->count, depth, lo, hi, want);
}

static void walk_records(struct walk *w, const struct hfs_dext *e, unsigned n,
			 unsigned depth, uint64_t lo, uint64_t hi, bool want)
{
	unsigned i;

	for (i = 0; i < n && !w->bad; i++) {
		uint64_t next = i + 1 < n ? e[i + 1].lblk : hi;

		if (depth == 0) {
			if ((uint64_t)e[i].lblk + e[i].len > next) {
				problem(w->c, true, "inode %llu: extents overlap at block %u\n",
					(unsigned long long)w->ino, e[i].lblk);
				w->bad = true;
				return;
			}
			claim(w, e[i].pblk, e[i].len);
			if (want)
				collect(w, &e[i]);
		} else {
			walk_node(w, e[i].pblk, depth - 1, e[i].lblk, next, want);
		}
	}
	(void)lo;
}

static void walk_inode(struct walk *w, const struct hfs_dinode *d, bool want)
{
	if ((d->mode & HFS_S_IFMT) == HFS_S_IFLNK && d->size <= HFS_INLINE_LINK_MAX)
		return;
	walk_records(w, d->root, d->nroot, d->depth, 0, HFS_MAX_FILE_BLOCKS + 1, want);
}

/* ------------------------------------------------------------ pass 2 */

static void clear_inode(struct ck *c, uint64_t ino)
{
	struct hfs_dinode d;

	c->ino[ino].state = CK_BAD;
	if (!c->o->repair)
		return;
	dinode(c, ino, &d);
	memset(&d, 0, sizeof(d));
	hfs_pm_persist(c->pm, hfs_inode_off(&c->fs, ino), &d, sizeof(d));
}

#define FSCK_PROGRESS_INODES	4096	/* inodes between progress reports */

static void check_inodes(struct ck *c)
{
	uint64_t ino;

	for (ino = 1; ino < c->fs.ninodes; ino++) {
		struct hfs_dinode d;
		struct walk w = { .c = c, .ino = ino, .claim = true };
		const char *why;

		if (c->o->progress && (ino % FSCK_PROGRESS_INODES == 0 || ino == c->fs.ninodes - 1))
			c->o->progress(c->o->progress_arg, "inodes", ino + 1, c->fs.ninodes);
		if (!bitmap_test(c->imap, ino))
			continue;
		dinode(c, ino, &d);
		if (hfs_dinode_check(&c->fs, ino, &d, &why)) {
			problem(c, true, "inode %llu: %s\n", (unsigned long long)ino, why);
			clear_inode(c, ino);
			continue;
		}
		c->ino[ino].state = CK_VALID;
		walk_inode(&w, &d, false);
		if (w.bad) {
			clear_inode(c, ino);
			continue;
		}
		if (w.blocks != d.blocks) {
			problem(c, true, "inode %llu: owns %llu blocks, records %llu\n",
				(unsigned long long)ino, (unsigned long long)w.blocks,
				(unsigned long long)d.blocks);
			if (c->o->repair) {
				d.blocks = w.blocks;
				dinode_store(c, ino, &d);
			}
		}
	}
	if (c->ino[HFS_ROOT_INO].state != CK_VALID)
		problem(c, false, "the root directory is damaged beyond repair\n");
}

/* ------------------------------------------------------------ pass 3 */

static void drop_entry(struct ck *c, uint64_t off, unsigned nslots)
{
	if (c->o->repair)
		hfs_pm_zero(c->pm, off, nslots * HFS_DSLOT_SIZE);
	if (c->o->repair)
		hfs_pm_flush(c->pm, off, nslots * HFS_DSLOT_SIZE);
}

static void check_entry(struct ck *c, uint64_t dir, uint64_t off, const struct hfs_ddirent *de,
			uint64_t *tail)
{
	static const uint32_t types[] = { 0, HFS_S_IFREG, HFS_S_IFDIR, HFS_S_IFLNK };
	uint64_t child = de->ino;
	struct hfs_dinode d;

	if (child == 0 || child >= c->fs.ninodes || c->ino[child].state != CK_VALID) {
		problem(c, true, "directory %llu: entry for inode %llu, which is free or damaged\n",
			(unsigned long long)dir, (unsigned long long)child);
		drop_entry(c, off, de->nslots);
		return;
	}
	dinode(c, child, &d);
	if ((d.mode & HFS_S_IFMT) != types[de->type]) {
		problem(c, true, "directory %llu: entry for inode %llu has the wrong type\n",
			(unsigned long long)dir, (unsigned long long)child);
		if (c->o->repair) {
			struct hfs_ddirent h;
			uint8_t buf[HFS_DIRENT_SLOTS(HFS_NAME_MAX) * HFS_DSLOT_SIZE];

			memcpy(buf, de, de->nslots * HFS_DSLOT_SIZE);
			memcpy(&h, buf, sizeof(h));
			h.type = (uint8_t)hfs_mode_ft(d.mode);
			h.crc = 0;
			memcpy(buf, &h, sizeof(h));
			h.crc = crc32c(crc32c(0, buf, HFS_DIRENT_HDR), buf + HFS_DIRENT_HDR,
				       h.name_len);
			hfs_pm_persist(c->pm, off, &h, sizeof(h));
		}
	}
	if ((d.mode & HFS_S_IFMT) == HFS_S_IFDIR) {
		if (c->ino[child].reached || child == HFS_ROOT_INO) {
			problem(c, true, "directory %llu: second entry for directory %llu "
				"(a loop or a hard link)\n", (unsigned long long)dir,
				(unsigned long long)child);
			drop_entry(c, off, de->nslots);
			return;
		}
		c->ino[child].reached = true;
		c->ino[dir].subdirs++;
		c->queue[(*tail)++] = child;
		if (d.parent != dir) {
			problem(c, true, "directory %llu records parent %llu, not %llu\n",
				(unsigned long long)child, (unsigned long long)d.parent,
				(unsigned long long)dir);
			if (c->o->repair) {
				d.parent = dir;
				dinode_store(c, child, &d);
			}
		}
	}
	c->ino[child].reached = true;
	c->ino[child].links++;
}

static void check_dir_block(struct ck *c, uint64_t dir, uint64_t lblk, uint64_t pblk,
			    uint64_t *tail)
{
	uint64_t off = HFS_BLOCK_OFF(pblk);
	const uint8_t *blk = hfs_pm_ptr(c->pm, off);
	const char *why;
	unsigned s;

	if (hfs_dirblk_check(dir, lblk, (const void *)blk, &why)) {
		problem(c, true, "directory %llu block %llu: %s\n", (unsigned long long)dir,
			(unsigned long long)lblk, why);
		if (!c->o->repair)
			return;
		{
			struct hfs_ddirblk h = { .magic = HFS_DIR_MAGIC, .owner = dir, .index = lblk };

			h.crc = crc32c(0, &h, sizeof(h));
			hfs_pm_persist(c->pm, off, &h, sizeof(h));
		}
	}
	for (s = 1; s < HFS_DSLOTS;) {
		const struct hfs_ddirent *de = (const void *)(blk + s * HFS_DSLOT_SIZE);

		if (de->ino == 0) {
			s++;
			continue;
		}
		if (hfs_dirent_check(de, s, &why)) {
			problem(c, true, "directory %llu block %llu slot %u: %s\n",
				(unsigned long long)dir, (unsigned long long)lblk, s, why);
			drop_entry(c, off + s * HFS_DSLOT_SIZE, 1);
			s++;
			continue;
		}
		check_entry(c, dir, off + s * HFS_DSLOT_SIZE, de, tail);
		s += de->nslots;
	}
}

static void check_dir(struct ck *c, uint64_t dir, uint64_t *tail)
{
	struct hfs_dinode d;
	struct walk w = { .c = c, .ino = dir };
	uint64_t lblk = 0, nblocks;
	size_t i;

	dinode(c, dir, &d);
	nblocks = d.size / HFS_BLOCK_SIZE;
	walk_inode(&w, &d, true);
	for (i = 0; i < w.next && !w.bad; i++) {
		uint64_t k;

		if (w.ext[i].lblk != lblk)
			break;
		for (k = 0; k < w.ext[i].len && lblk < nblocks; k++, lblk++)
			check_dir_block(c, dir, lblk, w.ext[i].pblk + k, tail);
	}
	if (lblk < nblocks && !w.bad) {
		problem(c, true, "directory %llu: hole at block %llu; cutting it there\n",
			(unsigned long long)dir, (unsigned long long)lblk);
		if (c->o->repair) {
			d.size = HFS_BLOCK_OFF(lblk);
			dinode_store(c, dir, &d);
		}
	}
	hfs_free(w.ext);
}

static void check_tree(struct ck *c)
{
	uint64_t head = 0, tail = 0;

	if (c->ino[HFS_ROOT_INO].state != CK_VALID)
		return;
	c->ino[HFS_ROOT_INO].reached = true;
	c->queue[tail++] = HFS_ROOT_INO;
	while (head < tail)
		check_dir(c, c->queue[head++], &tail);
}

/* ------------------------------------------------------------ 4, 5, 6 */

static bool is_orphan(const struct hfs_dinode *d)
{
	return d->nlink == 0 && (d->flags & HFS_DI_ORPHAN);
}

static void check_links(struct ck *c)
{
	uint64_t ino;

	for (ino = 1; ino < c->fs.ninodes; ino++) {
		struct ck_ino *ci = &c->ino[ino];
		struct hfs_dinode d;
		uint32_t want;

		if (ci->state != CK_VALID)
			continue;
		dinode(c, ino, &d);
		if (!ci->reached) {
			if (is_orphan(&d))
				continue;
			problem(c, true, "inode %llu is not in any directory; freeing it\n",
				(unsigned long long)ino);
			clear_inode(c, ino);
			continue;
		}
		want = (d.mode & HFS_S_IFMT) == HFS_S_IFDIR ? 2 + ci->subdirs : ci->links;
		if (d.nlink != want) {
			problem(c, true, "inode %llu: link count %u, should be %u\n",
				(unsigned long long)ino, d.nlink, want);
			if (c->o->repair) {
				d.nlink = want;
				dinode_store(c, ino, &d);
			}
		}
	}
}

static void check_orphans(struct ck *c)
{
	uint64_t cur = c->fs.sb.orphan_head, steps = 0;
	bool broken = false;

	while (cur && !broken) {
		struct hfs_dinode d;

		if (cur >= c->fs.ninodes || c->ino[cur].state != CK_VALID || steps++ > c->fs.ninodes) {
			broken = true;
			break;
		}
		dinode(c, cur, &d);
		if (!(d.flags & HFS_DI_ORPHAN))
			broken = true;
		cur = d.orphan_next;
	}
	if (!broken)
		return;
	problem(c, true, "the orphan list is broken; clearing it\n");
	if (c->o->repair) {
		uint64_t ino;

		c->fs.sb.orphan_head = 0;
		for (ino = 1; ino < c->fs.ninodes; ino++) {
			struct hfs_dinode d;

			if (c->ino[ino].state != CK_VALID)
				continue;
			dinode(c, ino, &d);
			if (!(d.flags & (HFS_DI_ORPHAN | HFS_DI_INTENT | HFS_DI_COLLAPSE)))
				continue;
			if (d.nlink == 0) {
				clear_inode(c, ino);
				continue;
			}
			/* A half-done collapse stays unshifted: its tail
			 * lies past the new size. */
			d.flags &= (uint16_t)~(HFS_DI_ORPHAN | HFS_DI_INTENT | HFS_DI_COLLAPSE);
			d.orphan_next = d.intent_lo = d.intent_hi = 0;
			dinode_store(c, ino, &d);
		}
	}
}

/* ------------------------------------------------------------ 7 */

static void recompute_used(struct ck *c)
{
	uint64_t ino;

	memset(c->used, 0, BITMAP_WORDS(c->fs.nblocks) * sizeof(uint64_t));
	bitmap_set_range(c->used, 0, c->fs.data_start);
	bitmap_set(c->used, c->fs.nblocks - 1);
	for (ino = 1; ino < c->fs.ninodes; ino++) {
		struct hfs_dinode d;
		struct walk w = { .c = c, .ino = ino, .claim = true };

		if (c->ino[ino].state != CK_VALID)
			continue;
		walk_inode(&w, dinode(c, ino, &d), false);
	}
}

static void check_bitmap(struct ck *c, const char *what, uint64_t start, uint64_t nbits,
			 const uint64_t *want)
{
	uint64_t nlines = DIV_ROUND_UP(nbits, HFS_BM_LINE_BITS), line, diff = 0;

	for (line = 0; line < nlines; line++) {
		const struct hfs_dbmline *l = (const void *)hfs_pm_ptr(c->pm,
			HFS_BLOCK_OFF(start) + line * sizeof(*l));
		struct hfs_dbmline img;

		hfs_bm_line_image(want, nbits, line, &img);
		if (memcmp(&img, l, sizeof(img)) == 0)
			continue;
		diff++;
		if (c->o->repair)
			hfs_pm_persist(c->pm, HFS_BLOCK_OFF(start) + line * sizeof(img), &img,
				       sizeof(img));
	}
	if (diff)
		problem(c, true, "%s bitmap: %llu lines differ from what the inodes own\n",
			what, (unsigned long long)diff);
}

static void load_imap(struct ck *c)
{
	uint64_t nlines = DIV_ROUND_UP(c->fs.ninodes, HFS_BM_LINE_BITS), line, bit;

	for (line = 0; line < nlines; line++) {
		const struct hfs_dbmline *l = (const void *)hfs_pm_ptr(c->pm,
			HFS_BLOCK_OFF(c->fs.ibm_start) + line * sizeof(*l));

		if (l->crc != hfs_bm_line_crc(line, l)) {
			problem(c, true, "inode bitmap line %llu: bad checksum\n",
				(unsigned long long)line);
			continue;	/* its inodes count as free unless reached */
		}
		for (bit = 0; bit < HFS_BM_LINE_BITS; bit++) {
			uint64_t i = line * HFS_BM_LINE_BITS + bit;

			if (i < c->fs.ninodes && (l->bits[bit / 8] >> (bit % 8) & 1))
				bitmap_set(c->imap, i);
		}
	}
	bitmap_set(c->imap, HFS_ROOT_INO);
}

/* ------------------------------------------------------------ driver */

static int setup(struct ck *c, struct hfs_pm *pm)
{
	struct hfs_dsuper sb;
	bool backup, replayed;
	int err = hfs_sb_read(pm, &sb, &backup);

	if (err == -EINVAL || err == -EOPNOTSUPP)
		return err;	/* hfs_sb_read said why: nothing to check */
	if (err) {
		hfs_log("fsck: no usable superblock (primary and backup are bad)\n");
		return err;
	}
	if (backup) {
		problem(c, true, "primary superblock is bad; using the backup\n");
		if (c->o->repair) {
			hfs_pm_persist(pm, 0, &sb, sizeof(sb));
			hfs_pm_fence(pm);
		}
	}
	if (c->o->repair) {
		err = hfs_sb_replay(pm, &sb, &replayed, "fsck");
		if (err)
			return err;
		if (replayed)
			hfs_log("fsck: replayed the journal\n");
	} else {
		const struct hfs_djtx *j = (const void *)hfs_pm_ptr(pm, HFS_BLOCK_OFF(sb.journal_start));

		if (HFS_JNL_MAGIC_KNOWN(j->magic))
			hfs_log("fsck: the journal may hold a transaction to replay (mount or fsck -y will)\n");
	}
	c->fs.sb = sb;
	c->fs.pm = pm;
	c->fs.nblocks = sb.nblocks;
	c->fs.ninodes = sb.ninodes;
	c->fs.jstart = sb.journal_start;
	c->fs.jblocks = sb.journal_blocks;
	c->fs.bbm_start = sb.bbitmap_start;
	c->fs.ibm_start = sb.ibitmap_start;
	c->fs.itable_start = sb.itable_start;
	c->fs.data_start = sb.data_start;
	c->fs.inline_max = sb.inline_extents;
	c->fs.node_max = sb.node_entries;
	c->used = hfs_zalloc(BITMAP_WORDS(sb.nblocks) * sizeof(uint64_t));
	c->imap = hfs_zalloc(BITMAP_WORDS(sb.ninodes) * sizeof(uint64_t));
	c->ino = hfs_zalloc(sb.ninodes * sizeof(*c->ino));
	c->queue = hfs_zalloc(sb.ninodes * sizeof(uint64_t));
	if (!c->used || !c->imap || !c->ino || !c->queue)
		return -ENOMEM;
	bitmap_set_range(c->used, 0, sb.data_start);
	bitmap_set(c->used, sb.nblocks - 1);
	return 0;
}

int hfs_fsck(struct hfs_pm *pm, const struct hfs_fsck_opts *opts)
{
	static const struct hfs_fsck_opts defaults;
	struct ck c;
	uint64_t *iwant = NULL, ino;
	unsigned before;
	int ret = HFS_FSCK_ERRORS, err;

	memset(&c, 0, sizeof(c));
	c.pm = pm;
	c.o = opts ? opts : &defaults;
	err = setup(&c, pm);
	if (err == -EINVAL || err == -EOPNOTSUPP)
		ret = HFS_FSCK_NOT_HOLDFS;
	if (err)
		goto out;
	load_imap(&c);
	check_inodes(&c);
	check_tree(&c);
	before = c.problems;
	check_links(&c);
	check_orphans(&c);
	if (c.problems != before || c.o->repair)
		recompute_used(&c);
	check_bitmap(&c, "block", c.fs.bbm_start, c.fs.nblocks, c.used);
	iwant = hfs_zalloc(BITMAP_WORDS(c.fs.ninodes) * sizeof(uint64_t));
	if (!iwant)
		goto out;
	bitmap_set(iwant, 0);
	for (ino = 1; ino < c.fs.ninodes; ino++)
		if (c.ino[ino].state == CK_VALID)
			bitmap_set(iwant, ino);
	check_bitmap(&c, "inode", c.fs.ibm_start, c.fs.ninodes, iwant);
	if (c.o->repair && c.fixed) {
		c.fs.sb.crc = hfs_sb_crc(&c.fs.sb);
		hfs_pm_persist(pm, 0, &c.fs.sb, sizeof(c.fs.sb));
	}
	hfs_pm_fence(pm);
	if (c.o->verbose)
		hfs_log("fsck: %u problems, %u repaired\n", c.problems, c.fixed);
	if (c.problems == 0)
		ret = HFS_FSCK_CLEAN;
	else if (c.fixed == c.problems)
		ret = HFS_FSCK_REPAIRED;
out:
	hfs_free(iwant);
	hfs_free(c.used);
	hfs_free(c.imap);
	hfs_free(c.ino);
	hfs_free(c.queue);
	return ret;
}
