/*
 * fsck.c - the holdfs checker (hfs_fsck), for an unmounted device.
 *
 * Its rule: never free data that is still reachable through an intact
 * inode.  A file loses its data only when its own inode record is beyond
 * repair (bad checksum, impossible fields, a broken extent tree, blocks
 * another file owns), and fsck then names the file it could not save.
 *
 * Passes:
 *   1. superblock (falling back to the backup) and journal: a committed
 *      transaction is replayed, as mount would;
 *   2. every inode the bitmap marks used: an out-of-range size (stored
 *      outside the checksum) is clamped to what the extents cover, then
 *      the record and its extent tree are checked (every node, every
 *      extent inside the data area, no block owned twice).  A lost root
 *      is rebuilt, with the old root's directory blocks when they are
 *      still found on the device;
 *   3. the directory tree, breadth-first from the root: every block and
 *      entry checked one by one (a block with a bad header keeps the
 *      entries that still verify); an entry must name a valid inode of
 *      its type (an intact inode the inode bitmap calls free is kept and
 *      the bitmap fixed); a directory has exactly one entry and records
 *      its parent; no cycles;
 *   4. intact inodes nothing reaches (other than orphans awaiting mount)
 *      are reconnected under /lost+found as "#INO"; a lost directory
 *      goes there whole, from the topmost lost ancestor its parent
 *      fields lead to;
 *   5. link counts; 6. the orphan list; 7. both bitmaps against what the
 *      inodes own.
 * Repairs (with opts->repair) are written in place (fsck runs alone), and
 * the bitmaps and counts are written as they will be once every lost
 * inode has its entry.  The entries themselves are added last, through a
 * normal mount and one transaction each (fsck_lost.c), so that directory
 * growth uses the filesystem's own code; a crash in between leaves
 * inodes that the next fsck finds lost again.
 *
 * Returns HFS_FSCK_CLEAN, HFS_FSCK_REPAIRED, or HFS_FSCK_ERRORS.
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/bitmap.h>
#include <lib/crc.h>
#include <lib/printf.h>
#include <lib/compiler.h>
#include "hfs_int.h"

enum { CK_FREE, CK_VALID, CK_BAD };

#define PATH_DEPTH_MAX		64	/* path shown in messages, at most */

struct ck_ino {
	uint8_t state;
	bool reached;
	bool lost;			/* to be reconnected under lost+found */
	uint32_t links;			/* entries naming it (lost: + the new one) */
	uint32_t subdirs;		/* directories: child directories */
	uint64_t pdir;			/* reached directories: where found */
	char *name;			/* reached directories: their name there */
};

struct ck {
	struct hfs_pm *pm;
	const struct hfs_fsck_opts *o;
	struct hfs_fs fs;		/* geometry only, for the shared checks */
	uint64_t *used;			/* blocks owned, as computed */
	uint64_t *imap;			/* the on-media inode bitmap */
	struct ck_ino *ino;
	uint64_t *queue, head, tail;	/* directories to scan */
	uint64_t lf;			/* /lost+found's inode, 0 if none */
	uint64_t nlost, lost_files;	/* reconnected; could not be saved */
	struct hfs_dinode *new_root;	/* check only: the root as rebuilt */
	bool root_rebuilt;
	unsigned problems, fixed;
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
	if (ino == HFS_ROOT_INO && c->new_root)
		*d = *c->new_root;
	else
		memcpy(d, hfs_pm_ptr(c->pm, hfs_inode_off(&c->fs, ino)), sizeof(*d));
	return d;
}

static void dinode_store(struct ck *c, uint64_t ino, struct hfs_dinode *d)
{
	d->crc = hfs_dinode_crc(d);
	if (c->o->repair)
		hfs_pm_persist(c->pm, hfs_inode_off(&c->fs, ino), d, sizeof(*d));
}

static bool is_dir(const struct hfs_dinode *d)
{
	return (d->mode & HFS_S_IFMT) == HFS_S_IFDIR;
}

/* "/a/b" for a reached directory (its path as found), into @buf. */
static const char *dir_path(struct ck *c, uint64_t dir, char *buf, size_t size)
{
	const char *parts[PATH_DEPTH_MAX];
	unsigned n = 0;
	size_t used = 0;

	while (dir != HFS_ROOT_INO && c->ino[dir].name && n < PATH_DEPTH_MAX) {
		parts[n++] = c->ino[dir].name;
		dir = c->ino[dir].pdir;
	}
	buf[0] = '\0';
	if (n == 0 || dir != HFS_ROOT_INO)
		used = (size_t)snprintf(buf, size, dir == HFS_ROOT_INO ? "/" : "(inode %llu)",
					(unsigned long long)dir);
	while (n-- && used < size)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 used && buf[used - 1] == '/' ? "" : "/", parts[n]);
	return buf;
}

/* ------------------------------------------------------------ extents */

/* Visit every extent (and node block) of an inode; stop on damage. */
struct walk {
	struct ck *c;
	uint64_t ino;
	bool claim;			/* mark blocks in c->used, report doubles */
	bool probe;			/* only see whether every block is unowned */
	bool quiet;			/* damage stops the walk without a report */
	bool bad;
	uint64_t blocks;
	uint64_t end;			/* file blocks: end of the last extent */
	struct hfs_dext *ext;		/* collected extents (optional) */
	size_t next, cap;
};

static void walk_problem(struct walk *w, const char *fmt, ...) __printf(2, 3);
static void walk_problem(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	w->bad = true;
	if (w->quiet)
		return;
	w->c->problems++;
	if (w->c->o->repair)
		w->c->fixed++;
	va_start(ap, fmt);
	hfs_vlog(fmt, ap);
	va_end(ap);
}

static void claim(struct walk *w, uint64_t pblk, uint64_t len)
{
	struct ck *c = w->c;
	bool owned;

	w->blocks += len;
	if (!w->claim && !w->probe)
		return;
	owned = bitmap_find_next_set(c->used, pblk + len, pblk) != pblk + len;
	if (owned) {
		walk_problem(w, "inode %llu: blocks %llu+%llu are owned twice\n",
			     (unsigned long long)w->ino, (unsigned long long)pblk,
			     (unsigned long long)len);
		return;
	}
	if (w->claim)
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
			 unsigned depth, uint64_t hi, bool want);

static void walk_node(struct walk *w, uint64_t pblk, unsigned depth, uint64_t lo,
		      uint64_t hi, bool want)
{
	const struct hfs_dnode_hdr *h;
	const struct hfs_dext *e;
	const char *why;

	if (!hfs_block_in_data(&w->c->fs, pblk, 1)) {
		walk_problem(w, "inode %llu: extent node %llu lies outside the data area\n",
			     (unsigned long long)w->ino, (unsigned long long)pblk);
		return;
	}
	h = (const void *)hfs_pm_ptr(w->c->pm, HFS_BLOCK_OFF(pblk));
	e = (const void *)(h + 1);
	if (hfs_node_check(&w->c->fs, w->ino, pblk, depth, h, &why)) {
		walk_problem(w, "inode %llu: extent node %llu: %s\n",
			     (unsigned long long)w->ino, (unsigned long long)pblk, why);
		return;
	}
	if (e[0].lblk != lo || (uint64_t)e[h->count - 1].lblk >= hi) {
		walk_problem(w, "inode %llu: extent node %llu: keys outside its parent's range\n",
			     (unsigned long long)w->ino, (unsigned long long)pblk);
		return;
	}
	claim(w, pblk, 1);
	walk_records(w, e, h->count, depth, hi, want);
}

static void walk_records(struct walk *w, const struct hfs_dext *e, unsigned n,
			 unsigned depth, uint64_t hi, bool want)
{
	unsigned i;

	for (i = 0; i < n && !w->bad; i++) {
		uint64_t next = i + 1 < n ? e[i + 1].lblk : hi;

		if (depth > 0) {
			walk_node(w, e[i].pblk, depth - 1, e[i].lblk, next, want);
			continue;
		}
		if ((uint64_t)e[i].lblk + e[i].len > next) {
			walk_problem(w, "inode %llu: extents overlap at block %u\n",
				     (unsigned long long)w->ino, e[i].lblk);
			return;
		}
		claim(w, e[i].pblk, e[i].len);
		w->end = MAX(w->end, (uint64_t)e[i].lblk + e[i].len);
		if (want)
			collect(w, &e[i]);
	}
}

static bool inline_link(const struct hfs_dinode *d)
{
	return (d->mode & HFS_S_IFMT) == HFS_S_IFLNK && d->nroot == 0;
}

static void walk_inode(struct walk *w, const struct hfs_dinode *d, bool want)
{
	if (inline_link(d))
		return;
	walk_records(w, d->root, d->nroot, d->depth, HFS_MAX_FILE_BLOCKS + 1, want);
}

/* ------------------------------------------------------------ pass 2 */

static void clear_inode(struct ck *c, uint64_t ino)
{
	struct hfs_dinode d;

	c->ino[ino].state = CK_BAD;
	if (!c->o->repair)
		return;
	memset(&d, 0, sizeof(d));
	hfs_pm_persist(c->pm, hfs_inode_off(&c->fs, ino), &d, sizeof(d));
}

/* The length of a symlink's target as stored, 0 if none can be found. */
static uint64_t link_length(struct ck *c, const struct hfs_dinode *d)
{
	const char *blk;

	if (d->nroot == 0)
		return strnlen(d->link, HFS_INLINE_LINK_MAX);
	if (d->depth != 0 || !hfs_block_in_data(&c->fs, d->root[0].pblk, 1))
		return 0;
	blk = (const char *)hfs_pm_ptr(c->pm, HFS_BLOCK_OFF(d->root[0].pblk));
	return strnlen(blk, HFS_PATH_MAX - 1);
}

static bool size_ok(const struct hfs_dinode *d)
{
	switch (d->mode & HFS_S_IFMT) {
	case HFS_S_IFDIR:
		return d->size <= HFS_MAX_FILE_BYTES && d->size % HFS_BLOCK_SIZE == 0;
	case HFS_S_IFLNK:
		return d->size > 0 && d->size < HFS_PATH_MAX &&
		       (d->nroot == 0) == (d->size <= HFS_INLINE_LINK_MAX);
	default:
		return d->size <= HFS_MAX_FILE_BYTES;
	}
}

/*
 * The size lives outside the inode's checksum (it is stored in place), so
 * a damaged size says nothing about the rest of an intact record: clamp it
 * to what the extents cover (a symlink: to its target's length).
 */
static void fix_size(struct ck *c, uint64_t ino, struct hfs_dinode *d)
{
	struct walk w = { .c = c, .ino = ino, .quiet = true };
	uint64_t old = d->size;

	if (d->mode == 0 || d->crc != hfs_dinode_crc(d) || d->ino != ino || size_ok(d))
		return;
	if ((d->mode & HFS_S_IFMT) == HFS_S_IFLNK) {
		d->size = link_length(c, d);
	} else {
		walk_inode(&w, d, false);
		if (w.bad)
			return;		/* the tree check will say why */
		d->size = HFS_BLOCK_OFF(w.end);
	}
	problem(c, true, "inode %llu: size %llu is out of range; setting it to %llu\n",
		(unsigned long long)ino, (unsigned long long)old, (unsigned long long)d->size);
	dinode_store(c, ino, d);
}

/*
 * Owner, times and reserved bytes (hfs_dinode_attrs_bad) say nothing
 * about where the data is: an otherwise intact record keeps its file.  An
 * owner of -1 becomes 0 (root), a time past HFS_TIME_MAX becomes the time
 * of the check, reserved bytes are zeroed.
 */
static void fix_attrs(struct ck *c, uint64_t ino, struct hfs_dinode *d)
{
	uint64_t now = hfs_now_ns();
	const char *why;

	if (d->mode == 0 || d->crc != hfs_dinode_crc(d) || d->ino != ino)
		return;
	why = hfs_dinode_attrs_bad(d);
	if (!why)
		return;
	problem(c, true, "inode %llu: %s; fixing it\n", (unsigned long long)ino, why);
	if (d->uid == HFS_ID_INVALID)
		d->uid = 0;
	if (d->gid == HFS_ID_INVALID)
		d->gid = 0;
	if (d->atime_ns > HFS_TIME_MAX)
		d->atime_ns = now;
	if (d->mtime_ns > HFS_TIME_MAX)
		d->mtime_ns = now;
	if (d->ctime_ns > HFS_TIME_MAX)
		d->ctime_ns = now;
	d->reserved = 0;
	memset(d->reserved2, 0, sizeof(d->reserved2));
	dinode_store(c, ino, d);
}

/* Is @d, read for inode @ino, an intact record?  Logs why not unless quiet. */
static bool record_ok(struct ck *c, uint64_t ino, struct hfs_dinode *d, bool quiet)
{
	const char *why;

	fix_size(c, ino, d);
	fix_attrs(c, ino, d);
	if (!hfs_dinode_check(&c->fs, ino, d, &why))
		return true;
	if (!quiet)
		problem(c, true, "inode %llu: %s: damaged beyond repair; its data is freed\n",
			(unsigned long long)ino, why);
	return false;
}

#define FSCK_PROGRESS_INODES	4096	/* inodes between progress reports */

static void check_inode(struct ck *c, uint64_t ino)
{
	struct hfs_dinode d;
	struct walk w = { .c = c, .ino = ino, .claim = true };

	dinode(c, ino, &d);
	if (d.mode == 0) {
		c->ino[ino].state = CK_FREE;	/* the bitmap check reports it */
		return;
	}
	if (!record_ok(c, ino, &d, false)) {
		clear_inode(c, ino);
		return;
	}
	c->ino[ino].state = CK_VALID;
	walk_inode(&w, &d, false);
	if (w.bad) {
		hfs_log("inode %llu: its extent tree is beyond repair; its data is freed\n",
			(unsigned long long)ino);
		clear_inode(c, ino);
		return;
	}
	if (w.blocks != d.blocks) {
		problem(c, true, "inode %llu: owns %llu blocks, records %llu\n",
			(unsigned long long)ino, (unsigned long long)w.blocks,
			(unsigned long long)d.blocks);
		d.blocks = w.blocks;
		dinode_store(c, ino, &d);
	}
}

/* ------------------------------------------------------------ lost root */

#define ROOT_SALVAGE_BLOCKS	4096	/* old root blocks looked for, at most */

/*
 * Find the blocks of the lost root's directory: data blocks no intact
 * inode owns whose header says "block @index of inode 1".  Returns how
 * many leading blocks (index 0, 1, ...) were found, in @pblk.
 */
static uint64_t find_root_blocks(struct ck *c, uint64_t *pblk, uint64_t max)
{
	uint64_t b, n = 0;

	for (b = 0; b < max; b++)
		pblk[b] = 0;
	for (b = c->fs.data_start; b < c->fs.nblocks - 1; b++) {
		const struct hfs_ddirblk *h = (const void *)hfs_pm_ptr(c->pm, HFS_BLOCK_OFF(b));
		const char *why;

		if (bitmap_test(c->used, b) || h->magic != HFS_DIR_MAGIC || h->index >= max ||
		    hfs_dirblk_check(HFS_ROOT_INO, h->index, h, &why) || pblk[h->index])
			continue;
		pblk[h->index] = b;
	}
	while (n < max && pblk[n])
		n++;
	return n;
}

/* Extents for @n blocks at @pblk, as many as fit in the inode's root. */
static uint64_t root_extents(struct ck *c, struct hfs_dinode *d, const uint64_t *pblk,
			     uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		struct hfs_dext *last = d->nroot ? &d->root[d->nroot - 1] : NULL;

		if (last && last->pblk + last->len == pblk[i] && last->len < UINT32_MAX) {
			last->len++;
			continue;
		}
		if (d->nroot == c->fs.inline_max)
			break;
		d->root[d->nroot++] = (struct hfs_dext){ .lblk = (uint32_t)i, .len = 1,
							 .pblk = pblk[i] };
	}
	return i;
}

static void rebuild_root(struct ck *c)
{
	struct hfs_dinode d;
	uint64_t *pblk = hfs_zalloc(ROOT_SALVAGE_BLOCKS * sizeof(*pblk)), n = 0, i;
	uint64_t now = hfs_now_ns();

	memset(&d, 0, sizeof(d));
	if (pblk)
		n = root_extents(c, &d, pblk, find_root_blocks(c, pblk, ROOT_SALVAGE_BLOCKS));
	d.mode = HFS_S_IFDIR | 0755;
	d.nlink = 2;
	d.ino = d.parent = HFS_ROOT_INO;
	d.generation = 1;
	d.atime_ns = d.mtime_ns = d.ctime_ns = now;
	d.size = HFS_BLOCK_OFF(n);
	d.blocks = n;
	problem(c, true, "the root directory is damaged: rebuilding it (%llu of its blocks "
		"found)\n", (unsigned long long)n);
	for (i = 0; i < n; i++)
		bitmap_set(c->used, pblk[i]);
	hfs_free(pblk);
	dinode_store(c, HFS_ROOT_INO, &d);
	if (!c->o->repair) {
		c->new_root = hfs_alloc(sizeof(d));
		if (c->new_root)
			*c->new_root = d;
	}
	bitmap_set(c->imap, HFS_ROOT_INO);
	c->ino[HFS_ROOT_INO].state = CK_VALID;
	c->root_rebuilt = true;
}

static void check_inodes(struct ck *c)
{
	uint64_t ino;
	struct hfs_dinode root;

	for (ino = 1; ino < c->fs.ninodes; ino++) {
		if (c->o->progress && (ino % FSCK_PROGRESS_INODES == 0 || ino == c->fs.ninodes - 1))
			c->o->progress(c->o->progress_arg, "inodes", ino + 1, c->fs.ninodes);
		if (bitmap_test(c->imap, ino) || ino == HFS_ROOT_INO)
			check_inode(c, ino);
	}
	if (c->ino[HFS_ROOT_INO].state == CK_VALID && !is_dir(dinode(c, HFS_ROOT_INO, &root))) {
		hfs_log("inode 1, the root, is not a directory\n");
		c->ino[HFS_ROOT_INO].state = CK_BAD;
	}
	if (c->ino[HFS_ROOT_INO].state != CK_VALID)
		rebuild_root(c);
}

/* ------------------------------------------------------------ pass 3 */

static void drop_entry(struct ck *c, uint64_t off, unsigned nslots)
{
	if (!c->o->repair)
		return;
	hfs_pm_zero(c->pm, off, nslots * HFS_DSLOT_SIZE);
	hfs_pm_flush(c->pm, off, nslots * HFS_DSLOT_SIZE);
}

/*
 * An entry names inode @ino, which the inode bitmap calls free (or whose
 * bitmap line is damaged).  Keep it if its record is intact and its blocks
 * are nobody else's: freeing an inode zeroes its record, so an intact one
 * that a directory names is in use and the bitmap is what is wrong.
 */
static bool revive(struct ck *c, uint64_t ino)
{
	struct hfs_dinode d;
	struct walk probe = { .c = c, .ino = ino, .probe = true, .quiet = true };
	struct walk w = { .c = c, .ino = ino, .claim = true, .quiet = true };

	if (!dinode(c, ino, &d)->mode || !record_ok(c, ino, &d, true))
		return false;
	walk_inode(&probe, &d, false);
	if (probe.bad)
		return false;
	walk_inode(&w, &d, false);
	problem(c, true, "inode %llu is in use but the inode bitmap says free; keeping it\n",
		(unsigned long long)ino);
	c->ino[ino].state = CK_VALID;
	bitmap_set(c->imap, ino);
	return true;
}

static void fix_entry_type(struct ck *c, uint64_t off, const struct hfs_ddirent *de,
			   const struct hfs_dinode *d)
{
	uint8_t buf[HFS_DIRENT_SLOTS(HFS_NAME_MAX) * HFS_DSLOT_SIZE];
	struct hfs_ddirent h;

	if (!c->o->repair)
		return;
	memcpy(buf, de, de->nslots * HFS_DSLOT_SIZE);
	memcpy(&h, buf, sizeof(h));
	h.type = (uint8_t)hfs_mode_ft(d->mode);
	h.crc = 0;
	memcpy(buf, &h, sizeof(h));
	h.crc = crc32c(crc32c(0, buf, HFS_DIRENT_HDR), buf + HFS_DIRENT_HDR, h.name_len);
	hfs_pm_persist(c->pm, off, &h, sizeof(h));
}

/* A directory reached through an entry named @name in @dir. */
static void reach_dir(struct ck *c, uint64_t dir, uint64_t child, const char *name,
		      unsigned len)
{
	struct ck_ino *ci = &c->ino[child];

	ci->reached = true;
	ci->pdir = dir;
	ci->name = hfs_alloc(len + 1u);
	if (ci->name) {
		memcpy(ci->name, name, len);
		ci->name[len] = '\0';
	}
	c->ino[dir].subdirs++;
	c->queue[c->tail++] = child;
	if (dir == HFS_ROOT_INO && len == sizeof(HFS_LOST_FOUND) - 1 && !memcmp(name, HFS_LOST_FOUND, len))
		c->lf = child;
}

static void check_entry(struct ck *c, uint64_t dir, uint64_t off, const struct hfs_ddirent *de)
{
	static const uint32_t types[] = { 0, HFS_S_IFREG, HFS_S_IFDIR, HFS_S_IFLNK };
	const char *name = (const char *)de + HFS_DIRENT_HDR;
	uint64_t child = de->ino;
	struct hfs_dinode d;
	char path[256];

	if (child == 0 || child >= c->fs.ninodes || c->ino[child].state == CK_BAD ||
	    (c->ino[child].state == CK_FREE && !revive(c, child))) {
		bool was = child && child < c->fs.ninodes && c->ino[child].state == CK_BAD;

		problem(c, true, "%s: entry \"%.*s\" names inode %llu, which is %s; removing "
			"the entry%s\n", dir_path(c, dir, path, sizeof(path)), de->name_len, name,
			(unsigned long long)child, was ? "damaged beyond repair" : "free or invalid",
			was ? ": this file could not be saved" : "");
		c->lost_files += was;
		drop_entry(c, off, de->nslots);
		return;
	}
	dinode(c, child, &d);
	if ((d.mode & HFS_S_IFMT) != types[de->type]) {
		problem(c, true, "%s: entry \"%.*s\" for inode %llu has the wrong type\n",
			dir_path(c, dir, path, sizeof(path)), de->name_len, name,
			(unsigned long long)child);
		fix_entry_type(c, off, de, &d);
	}
	if (is_dir(&d)) {
		if (c->ino[child].reached || child == HFS_ROOT_INO) {
			problem(c, true, "%s: \"%.*s\" is a second entry for directory %llu "
				"(a loop or a hard link); removing it\n",
				dir_path(c, dir, path, sizeof(path)), de->name_len, name,
				(unsigned long long)child);
			drop_entry(c, off, de->nslots);
			return;
		}
		reach_dir(c, dir, child, name, de->name_len);
		if (d.parent != dir) {
			problem(c, true, "directory %llu records parent %llu, not %llu\n",
				(unsigned long long)child, (unsigned long long)d.parent,
				(unsigned long long)dir);
			d.parent = dir;
			dinode_store(c, child, &d);
		}
	}
	c->ino[child].reached = true;
	c->ino[child].links++;
}

static void rewrite_block_header(struct ck *c, uint64_t dir, uint64_t lblk, uint64_t off)
{
	struct hfs_ddirblk h = { .magic = HFS_DIR_MAGIC, .owner = dir, .index = lblk };

	h.crc = crc32c(0, &h, sizeof(h));
	if (c->o->repair)
		hfs_pm_persist(c->pm, off, &h, sizeof(h));
}

/* A block with a bad header still gives up every entry that verifies. */
static void check_dir_block(struct ck *c, uint64_t dir, uint64_t lblk, uint64_t pblk)
{
	uint64_t off = HFS_BLOCK_OFF(pblk);
	const uint8_t *blk = hfs_pm_ptr(c->pm, off);
	const char *why, *first = NULL;
	char path[256];
	unsigned s, bad = 0;

	if (hfs_dirblk_check(dir, lblk, (const void *)blk, &why)) {
		problem(c, true, "%s: directory block %llu: %s; keeping the entries that verify\n",
			dir_path(c, dir, path, sizeof(path)), (unsigned long long)lblk, why);
		rewrite_block_header(c, dir, lblk, off);
	}
	for (s = 1; s < HFS_DSLOTS;) {
		const struct hfs_ddirent *de = (const void *)(blk + s * HFS_DSLOT_SIZE);

		if (de->ino == 0) {
			s++;
			continue;
		}
		if (hfs_dirent_check(de, s, &why)) {
			first = first ? first : why;
			bad++;
			drop_entry(c, off + s * HFS_DSLOT_SIZE, 1);
			s++;
			continue;
		}
		check_entry(c, dir, off + s * HFS_DSLOT_SIZE, de);
		s += de->nslots;
	}
	if (bad)
		problem(c, true, "%s: directory block %llu: %u slot%s no valid entry (%s%s); "
			"clearing %s\n", dir_path(c, dir, path, sizeof(path)),
			(unsigned long long)lblk, bad, bad == 1 ? " holds" : "s hold",
			bad == 1 ? "" : "the first: ", first, bad == 1 ? "it" : "them");
}

static void check_dir(struct ck *c, uint64_t dir)
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
			check_dir_block(c, dir, lblk, w.ext[i].pblk + k);
	}
	if (lblk < nblocks && !w.bad) {
		problem(c, true, "directory %llu: hole at block %llu; cutting it there\n",
			(unsigned long long)dir, (unsigned long long)lblk);
		d.size = HFS_BLOCK_OFF(lblk);
		dinode_store(c, dir, &d);
	}
	hfs_free(w.ext);
}

static void scan_queued_dirs(struct ck *c)
{
	while (c->head < c->tail)
		check_dir(c, c->queue[c->head++]);
}

static void check_tree(struct ck *c)
{
	c->ino[HFS_ROOT_INO].reached = true;
	c->queue[c->tail++] = HFS_ROOT_INO;
	scan_queued_dirs(c);
}

/* ------------------------------------------------------------ pass 4 */

static bool is_orphan(const struct hfs_dinode *d)
{
	return d->nlink == 0 && (d->flags & HFS_DI_ORPHAN);
}

/* Follow lost directory @ino's parent fields up to the topmost lost one. */
static uint64_t lost_top(struct ck *c, uint64_t ino)
{
	uint64_t steps;

	for (steps = 0; steps < c->fs.ninodes; steps++) {
		struct hfs_dinode d;
		uint64_t p = dinode(c, ino, &d)->parent;

		if (!is_dir(&d) || p == ino || p == 0 || p >= c->fs.ninodes ||
		    c->ino[p].state != CK_VALID || c->ino[p].reached ||
		    !is_dir(dinode(c, p, &d)))
			break;
		ino = p;
	}
	return ino;
}

static void reconnect(struct ck *c, uint64_t ino)
{
	struct hfs_dinode d;

	dinode(c, ino, &d);
	problem(c, true, "inode %llu (%s, %llu bytes) is in no directory; %s /%s/#%llu\n",
		(unsigned long long)ino, is_dir(&d) ? "directory" : "file",
		(unsigned long long)d.size, c->o->repair ? "reconnecting it as" :
		"fsck -y reconnects it as", HFS_LOST_FOUND, (unsigned long long)ino);
	c->ino[ino].lost = true;
	c->ino[ino].reached = true;
	c->ino[ino].links++;
	c->nlost++;
	if (is_dir(&d)) {
		if (c->lf)
			c->ino[c->lf].subdirs++;
		c->queue[c->tail++] = ino;
		scan_queued_dirs(c);
	}
}

static void find_lost(struct ck *c)
{
	uint64_t ino;

	for (ino = 1; ino < c->fs.ninodes; ino++) {
		struct hfs_dinode d;

		if (c->ino[ino].state != CK_VALID || is_orphan(dinode(c, ino, &d)))
			continue;
		while (!c->ino[ino].reached)
			reconnect(c, lost_top(c, ino));
	}
}

/* ------------------------------------------------------------ 5, 6 */

static void check_links(struct ck *c)
{
	uint64_t ino;

	for (ino = 1; ino < c->fs.ninodes; ino++) {
		struct ck_ino *ci = &c->ino[ino];
		struct hfs_dinode d;
		uint32_t want;

		if (ci->state != CK_VALID || !ci->reached)
			continue;		/* free, or an orphan awaiting mount */
		dinode(c, ino, &d);
		want = is_dir(&d) ? 2 + ci->subdirs : ci->links;
		if (d.nlink != want) {
			if (!ci->lost && !(ino == HFS_ROOT_INO && c->root_rebuilt))
				problem(c, true, "inode %llu: link count %u, should be %u\n",
					(unsigned long long)ino, d.nlink, want);
			d.nlink = want;
			dinode_store(c, ino, &d);
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
				clear_inode(c, ino);	/* it was being deleted */
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

/* The on-media inode bitmap; a line that fails its checksum counts as
 * free, and check_entry keeps any intact inode of it that is named. */
static void load_imap(struct ck *c)
{
	uint64_t nlines = DIV_ROUND_UP(c->fs.ninodes, HFS_BM_LINE_BITS), line, bit;

	for (line = 0; line < nlines; line++) {
		const struct hfs_dbmline *l = (const void *)hfs_pm_ptr(c->pm,
			HFS_BLOCK_OFF(c->fs.ibm_start) + line * sizeof(*l));

		if (l->crc != hfs_bm_line_crc(line, l)) {
			problem(c, true, "inode bitmap line %llu: bad checksum\n",
				(unsigned long long)line);
			continue;
		}
		for (bit = 0; bit < HFS_BM_LINE_BITS; bit++) {
			uint64_t i = line * HFS_BM_LINE_BITS + bit;

			if (i < c->fs.ninodes && (l->bits[bit / 8] >> (bit % 8) & 1))
				bitmap_set(c->imap, i);
		}
	}
	bitmap_set(c->imap, HFS_ROOT_INO);
}

static void check_bitmaps(struct ck *c)
{
	uint64_t *iwant = hfs_zalloc(BITMAP_WORDS(c->fs.ninodes) * sizeof(uint64_t)), ino;

	recompute_used(c);
	check_bitmap(c, "block", c->fs.bbm_start, c->fs.nblocks, c->used);
	if (!iwant) {
		problem(c, false, "fsck: out of memory checking the inode bitmap\n");
		return;
	}
	bitmap_set(iwant, 0);
	for (ino = 1; ino < c->fs.ninodes; ino++)
		if (c->ino[ino].state == CK_VALID)
			bitmap_set(iwant, ino);
	check_bitmap(c, "inode", c->fs.ibm_start, c->fs.ninodes, iwant);
	hfs_free(iwant);
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

static void teardown(struct ck *c)
{
	uint64_t ino;

	for (ino = 0; c->ino && ino < c->fs.ninodes; ino++)
		hfs_free(c->ino[ino].name);
	hfs_free(c->used);
	hfs_free(c->imap);
	hfs_free(c->ino);
	hfs_free(c->queue);
	hfs_free(c->new_root);
}

/* The inodes to give entries in /lost+found, in a new array. */
static struct hfs_lost *lost_list(struct ck *c)
{
	struct hfs_lost *l = hfs_alloc((c->nlost ? c->nlost : 1) * sizeof(*l));
	uint64_t ino, n = 0;

	if (!l)
		return NULL;
	for (ino = 1; ino < c->fs.ninodes && n < c->nlost; ino++) {
		struct hfs_dinode d;

		if (c->ino[ino].lost)
			l[n++] = (struct hfs_lost){ .ino = ino,
						    .is_dir = is_dir(dinode(c, ino, &d)) };
	}
	return l;
}

/* Pass 4's second half: the entries, through a mount (fsck_lost.c). */
static void finish_reconnect(struct ck *c)
{
	struct hfs_lost *l;
	uint64_t failed;

	/* A missing /lost+found is no damage (rmdir may remove it), so it
	 * is not counted as a problem; fsck -y makes a new one. */
	if (!c->lf && !c->nlost && c->o->verbose)
		hfs_log("fsck: /%s is missing; %s\n", HFS_LOST_FOUND,
			c->o->repair ? "making it again" : "fsck -y makes it again");
	if (!c->o->repair || (c->lf && !c->nlost))
		return;
	l = lost_list(c);
	failed = l ? hfs_fsck_reconnect(c->pm, c->lf, l, c->nlost) : c->nlost;
	hfs_free(l);
	if (failed) {
		problem(c, false, "fsck: %llu of %llu lost inodes could not be given an entry "
			"in /%s; run fsck -y again\n", (unsigned long long)failed,
			(unsigned long long)c->nlost, HFS_LOST_FOUND);
	}
}

int hfs_fsck(struct hfs_pm *pm, const struct hfs_fsck_opts *opts)
{
	static const struct hfs_fsck_opts defaults;
	struct ck c;
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
	find_lost(&c);
	check_links(&c);
	check_orphans(&c);
	check_bitmaps(&c);
	if (c.o->repair && c.fixed) {
		c.fs.sb.crc = hfs_sb_crc(&c.fs.sb);
		hfs_pm_persist(pm, 0, &c.fs.sb, sizeof(c.fs.sb));
	}
	hfs_pm_fence(pm);
	finish_reconnect(&c);
	if (c.lost_files)
		hfs_log("fsck: %llu files could not be saved (named above)\n",
			(unsigned long long)c.lost_files);
	if (c.nlost)
		hfs_log("fsck: %llu inode%s %s /%s\n", (unsigned long long)c.nlost,
			c.nlost == 1 ? "" : "s",
			c.o->repair ? "reconnected under" : "to reconnect under", HFS_LOST_FOUND);
	if (c.o->verbose)
		hfs_log("fsck: %u problems, %u repaired\n", c.problems, c.fixed);
	if (c.problems == 0)
		ret = HFS_FSCK_CLEAN;
	else if (c.fixed == c.problems)
		ret = HFS_FSCK_REPAIRED;
out:
	teardown(&c);
	return ret;
}
