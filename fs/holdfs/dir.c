/*
 * dir.c - directories: entry blocks on media, a name index in DRAM.
 *
 * A directory is a file of 4 KiB blocks (mapped by its extent tree, no
 * holes).  Each block is 128 slots of 32 bytes; slot 0 is a checksummed
 * header (magic, owner, index), and an entry takes 1..9 whole slots: a
 * header {ino, crc, hash, name_len, type, nslots} and the name.  Each
 * entry carries its own crc32c, so adding or removing a name logs and
 * checksums only that entry.  "." and ".." are not stored: the inode
 * records its parent.
 *
 * Lookups must not scan: on first use of a directory, its blocks are read
 * once and every name's hash goes into an open-addressing table in DRAM
 * (8 bytes per slot, load <= 1/2, so ~16 bytes per name), with a free-slot
 * bitmap per block to place new entries.  A lookup is then O(1) probes,
 * each confirmed against the name on media.  The cost is one read of the
 * directory the first time it is used after mount, and DRAM proportional
 * to the names of directories in the inode cache; mount reads nothing.
 *
 * Locking: the caller holds fs->ns_lock (shared to look up and read,
 * exclusive to change).  Building an index takes fs->dir_lock so that two
 * shared lookups do not build it twice.  Changes happen in a transaction
 * that drops the index if it aborts (hfs_tx_touch_dir).
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/crc.h>
#include <lib/bitmap.h>
#include <lib/compiler.h>
#include "hfs_int.h"

#define IDX_MIN_CAP	64
#define SLOT_BITS	2	/* uint64_t words of free-slot bitmap per block */

struct hfs_dirindex {
	uint64_t *tab;			/* (hash << 32) | (pos + 1); 0 = empty */
	size_t cap, count;
	uint64_t nblocks;
	uint64_t (*freemap)[SLOT_BITS];	/* bit s: slot s of the block is free */
	uint64_t hint;			/* block to try first for new entries */
};

uint32_t hfs_name_hash(const char *name, size_t len)
{
	return crc32c(0, name, len);
}

unsigned hfs_mode_ft(uint32_t mode)
{
	switch (mode & HFS_S_IFMT) {
	case HFS_S_IFDIR: return HFS_FT_DIR;
	case HFS_S_IFLNK: return HFS_FT_LNK;
	default: return HFS_FT_REG;
	}
}

/* The name: it runs from name[] on into the entry's following slots. */
static const char *dname(const struct hfs_ddirent *de)
{
	return (const char *)de + HFS_DIRENT_HDR;
}

static uint32_t dirent_crc(const struct hfs_ddirent *de)
{
	struct hfs_ddirent h = *de;

	h.crc = 0;
	return crc32c(crc32c(0, &h, HFS_DIRENT_HDR), dname(de), de->name_len);
}

static uint32_t dirblk_crc(const struct hfs_ddirblk *h)
{
	struct hfs_ddirblk c = *h;

	c.crc = 0;
	return crc32c(0, &c, sizeof(c));
}

/** hfs_dirblk_check - is @h the header of block @index of directory @owner? */
int hfs_dirblk_check(uint64_t owner, uint64_t index, const struct hfs_ddirblk *h,
		     const char **why)
{
	*why = NULL;
	if (h->magic != HFS_DIR_MAGIC)
		*why = "bad block magic";
	else if (h->crc != dirblk_crc(h))
		*why = "bad block header checksum";
	else if (h->owner != owner || h->index != index)
		*why = "block belongs elsewhere";
	return *why ? -EUCLEAN : 0;
}

/**
 * hfs_dirent_check - is the in-use entry @de at @slot well formed?  The
 * entry's name must be readable (the caller passes the whole block).
 */
int hfs_dirent_check(const struct hfs_ddirent *de, unsigned slot, const char **why)
{
	unsigned i;

	*why = NULL;
	if (de->name_len == 0 || de->nslots != HFS_DIRENT_SLOTS(de->name_len) ||
	    slot + de->nslots > HFS_DSLOTS)
		*why = "bad entry length";
	else if (de->type < HFS_FT_REG || de->type > HFS_FT_LNK)
		*why = "bad entry type";
	else if (de->crc != dirent_crc(de))
		*why = "bad entry checksum";
	else if (de->hash != hfs_name_hash(dname(de), de->name_len))
		*why = "bad name hash";
	for (i = 0; !*why && i < de->name_len; i++)
		if (dname(de)[i] == '/' || dname(de)[i] == '\0')
			*why = "bad character in name";
	if (!*why && dname(de)[0] == '.' && (de->name_len == 1 ||
					   (de->name_len == 2 && dname(de)[1] == '.')))
		*why = "entry named . or ..";
	return *why ? -EUCLEAN : 0;
}

static void dir_read(struct hfs_inode *dir, uint64_t off, void *buf, size_t len)
{
	if (dir->in_tx)
		hfs_tx_read(dir->fs, off, buf, len);
	else
		memcpy(buf, hfs_pm_ptr(dir->fs->pm, off), len);
}

/* Device offset of directory block @lblk; -EUCLEAN for a hole. */
static int dir_block(struct hfs_inode *dir, uint64_t lblk, uint64_t *off)
{
	struct hfs_dext e;
	uint64_t hole;
	int ret = hfs_ext_lookup(dir, lblk, &e, &hole);

	if (ret < 0)
		return ret;
	if (ret == 0) {
		hfs_log("holdfs: directory %llu has a hole at block %llu\n",
			(unsigned long long)dir->ino, (unsigned long long)lblk);
		return -EUCLEAN;
	}
	*off = HFS_BLOCK_OFF(e.pblk + (lblk - e.lblk));
	return 0;
}

/* ------------------------------------------------------------ the index */

static void idx_put(uint64_t *tab, size_t cap, uint64_t v)
{
	size_t i = (size_t)(v >> 32) & (cap - 1);

	while (tab[i])
		i = (i + 1) & (cap - 1);
	tab[i] = v;
}

static int idx_grow(struct hfs_dirindex *x)
{
	size_t cap = x->cap ? x->cap * 2 : IDX_MIN_CAP, i;
	uint64_t *tab = hfs_zalloc(cap * sizeof(uint64_t));

	if (!tab)
		return -ENOMEM;
	for (i = 0; i < x->cap; i++)
		if (x->tab[i])
			idx_put(tab, cap, x->tab[i]);
	hfs_free(x->tab);
	x->tab = tab;
	x->cap = cap;
	return 0;
}

static int idx_add(struct hfs_dirindex *x, uint32_t hash, uint64_t pos)
{
	if ((x->count + 1) * 2 > x->cap && idx_grow(x))
		return -ENOMEM;
	idx_put(x->tab, x->cap, (uint64_t)hash << 32 | (pos + 1));
	x->count++;
	return 0;
}

/* Remove the entry for @pos (backward-shift deletion, no tombstones). */
static void idx_del(struct hfs_dirindex *x, uint32_t hash, uint64_t pos)
{
	size_t mask = x->cap - 1, i = hash & mask, j;
	uint64_t want = (uint64_t)hash << 32 | (pos + 1);

	while (x->tab[i] && x->tab[i] != want)
		i = (i + 1) & mask;
	if (!x->tab[i])
		return;
	x->tab[i] = 0;
	x->count--;
	for (j = (i + 1) & mask; x->tab[j]; j = (j + 1) & mask) {
		size_t home = (size_t)(x->tab[j] >> 32) & mask;

		/* Move tab[j] into the gap unless its home lies in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			x->tab[i] = x->tab[j];
			x->tab[j] = 0;
			i = j;
		}
	}
}

static int freemap_grow(struct hfs_dirindex *x, uint64_t nblocks)
{
	uint64_t (*m)[SLOT_BITS] = hfs_zalloc(nblocks * sizeof(*m) + 1);

	if (!m)
		return -ENOMEM;
	if (x->freemap)
		memcpy(m, x->freemap, x->nblocks * sizeof(*m));
	hfs_free(x->freemap);
	x->freemap = m;
	x->nblocks = nblocks;
	return 0;
}

void hfs_dir_drop_index(struct hfs_inode *dir)
{
	struct hfs_dirindex *x = dir->dir;

	if (!x)
		return;
	dir->dir = NULL;
	hfs_free(x->tab);
	hfs_free(x->freemap);
	hfs_free(x);
}

static int index_block(struct hfs_inode *dir, struct hfs_dirindex *x, uint64_t lblk,
		       const uint8_t *blk)
{
	const char *why;
	unsigned s;

	if (hfs_dirblk_check(dir->ino, lblk, (const void *)blk, &why)) {
		s = 0;
		goto bad;
	}
	for (s = 1; s < HFS_DSLOTS;) {
		const struct hfs_ddirent *de = (const void *)(blk + s * HFS_DSLOT_SIZE);

		if (de->ino == 0) {
			bitmap_set(x->freemap[lblk], s);
			s++;
			continue;
		}
		if (hfs_dirent_check(de, s, &why))
			goto bad;
		if (idx_add(x, de->hash, lblk * HFS_DSLOTS + s))
			return -ENOMEM;
		s += de->nslots;
	}
	return 0;
bad:
	hfs_log("holdfs: directory %llu, block %llu, slot %u: %s\n",
		(unsigned long long)dir->ino, (unsigned long long)lblk, s, why);
	return -EUCLEAN;
}

static int index_build(struct hfs_inode *dir, struct hfs_dirindex **out)
{
	uint64_t nblocks = dir->d.size / HFS_BLOCK_SIZE, lblk, off;
	struct hfs_dirindex *x = hfs_zalloc(sizeof(*x));
	uint8_t *blk = hfs_alloc(HFS_BLOCK_SIZE);
	int err = -ENOMEM;

	if (!x || !blk || idx_grow(x) || freemap_grow(x, nblocks))
		goto fail;
	for (lblk = 0; lblk < nblocks; lblk++) {
		err = dir_block(dir, lblk, &off);
		if (err)
			goto fail;
		dir_read(dir, off, blk, HFS_BLOCK_SIZE);
		err = index_block(dir, x, lblk, blk);
		if (err)
			goto fail;
	}
	hfs_free(blk);
	*out = x;
	return 0;
fail:
	hfs_free(blk);
	if (x) {
		hfs_free(x->tab);
		hfs_free(x->freemap);
		hfs_free(x);
	}
	return err;
}

static int index_get(struct hfs_inode *dir, struct hfs_dirindex **out)
{
	int err = 0;

	if (!hfs_is_dir(dir))
		return -ENOTDIR;
	if (dir->dir) {
		*out = dir->dir;
		return 0;
	}
	hfs_mutex_lock(&dir->fs->dir_lock);
	if (!dir->dir)
		err = index_build(dir, &dir->dir);
	hfs_mutex_unlock(&dir->fs->dir_lock);
	*out = dir->dir;
	return err;
}

/* ------------------------------------------------------------ entries */

/* Device offset of slot @pos in @dir; 0 or dir_block()'s error. */
static int entry_off(struct hfs_inode *dir, uint64_t pos, uint64_t *off)
{
	uint64_t boff;
	int err = dir_block(dir, pos / HFS_DSLOTS, &boff);

	if (!err)
		*off = boff + (pos % HFS_DSLOTS) * HFS_DSLOT_SIZE;
	return err;
}

/* Read the entry at @pos (header and name) into @de; 0 or -EUCLEAN. */
static int entry_read(struct hfs_inode *dir, uint64_t pos, struct hfs_ddirent *de,
		      uint64_t *off)
{
	int err = entry_off(dir, pos, off);
	const char *why;

	if (err)
		return err;
	dir_read(dir, *off, de, HFS_DSLOT_SIZE);
	if (de->ino == 0 || de->nslots > HFS_DSLOTS - pos % HFS_DSLOTS || de->nslots == 0)
		goto bad;
	dir_read(dir, *off, de, de->nslots * HFS_DSLOT_SIZE);
	if (hfs_dirent_check(de, pos % HFS_DSLOTS, &why))
		goto bad;
	return 0;
bad:
	hfs_log("holdfs: directory %llu: entry at slot %llu changed under its index\n",
		(unsigned long long)dir->ino, (unsigned long long)pos);
	return -EUCLEAN;
}

/* Up to 9 slots: the largest entry. */
#define ENTRY_BUF	(HFS_DIRENT_SLOTS(HFS_NAME_MAX) * HFS_DSLOT_SIZE)

/* Find @name: its inode, its slot position and device offset, the entry. */
static int find(struct hfs_inode *dir, const char *name, size_t len, uint64_t *ino,
		uint64_t *pos, uint64_t *off, struct hfs_ddirent *de)
{
	struct hfs_dirindex *x;
	uint32_t hash = hfs_name_hash(name, len);
	size_t i;
	int err = index_get(dir, &x);

	if (err)
		return err;
	for (i = hash & (x->cap - 1); x->tab[i]; i = (i + 1) & (x->cap - 1)) {
		dir->fs->dir_probes++;
		if ((uint32_t)(x->tab[i] >> 32) != hash)
			continue;
		*pos = (x->tab[i] & 0xffffffffu) - 1;
		err = entry_read(dir, *pos, de, off);
		if (err)
			return err;
		if (de->name_len == len && memcmp(dname(de), name, len) == 0) {
			*ino = de->ino;
			return 0;
		}
	}
	return -ENOENT;
}

/**
 * hfs_dir_lookup - the inode number named @name (@len bytes) in @dir.
 * Returns 0 (with *ino and the entry's position *pos), -ENOENT, -ENOTDIR,
 * -EUCLEAN, -ENOMEM.  Caller holds ns_lock.
 */
int hfs_dir_lookup(struct hfs_inode *dir, const char *name, size_t len,
		   uint64_t *ino, uint64_t *pos)
{
	uint8_t buf[ENTRY_BUF];
	uint64_t off;

	hfs_assert_held_read(&dir->fs->ns_lock);
	return find(dir, name, len, ino, pos, &off, (void *)buf);
}

/* A block with @n free consecutive slots, or UINT64_MAX; *slot set. */
static uint64_t find_room(struct hfs_dirindex *x, unsigned n, unsigned *slot)
{
	uint64_t i, b;

	for (i = 0; i < x->nblocks; i++) {
		b = (x->hint + i) % x->nblocks;
		if (!x->freemap[b][0] && !x->freemap[b][1])
			continue;
		{
			size_t s = 1, e;

			while (s < HFS_DSLOTS) {
				s = bitmap_find_next_set(x->freemap[b], HFS_DSLOTS, s);
				if (s >= HFS_DSLOTS)
					break;
				e = bitmap_find_next_zero(x->freemap[b], HFS_DSLOTS, s);
				if (e - s >= n) {
					*slot = (unsigned)s;
					x->hint = b;
					return b;
				}
				s = e;
			}
		}
	}
	return UINT64_MAX;
}

/* Append an empty block to @dir; returns its index. */
static int grow(struct hfs_tx *tx, struct hfs_inode *dir, struct hfs_dirindex *x,
		uint64_t *lblk)
{
	struct hfs_fs *fs = tx->fs;
	uint64_t n = x->nblocks, goal = 0, pblk, got;
	struct hfs_ddirblk h = { .magic = HFS_DIR_MAGIC, .owner = dir->ino, .index = n };
	struct hfs_dext last;
	int err;

	if (hfs_ext_last(dir, &last) == 1)
		goal = last.pblk + last.len;
	err = hfs_balloc(tx, goal, 1, 1, &pblk, &got);
	if (err)
		return err;
	/* The block is unreferenced until commit: write it in place. */
	h.crc = dirblk_crc(&h);
	hfs_pm_zero(fs->pm, HFS_BLOCK_OFF(pblk), HFS_BLOCK_SIZE);
	hfs_pm_write(fs->pm, HFS_BLOCK_OFF(pblk), &h, sizeof(h));
	hfs_pm_flush(fs->pm, HFS_BLOCK_OFF(pblk), HFS_BLOCK_SIZE);
	hfs_tx_direct(tx);
	dir->d.blocks++;
	err = hfs_ext_insert(tx, dir, n, pblk, 1);
	if (err)
		return err;
	dir->d.size += HFS_BLOCK_SIZE;
	err = freemap_grow(x, n + 1);
	if (err)
		return err;
	bitmap_set_range(x->freemap[n], 1, HFS_DSLOTS - 1);
	*lblk = n;
	return 0;
}

/**
 * hfs_dir_add - add entry @name -> @ino (@type HFS_FT_*) to @dir in @tx.
 * Returns 0, -EEXIST, -ENOSPC (no block for the directory), -EUCLEAN,
 * -ENOMEM.  Caller holds ns_lock exclusive; the name is valid.
 */
int hfs_dir_add(struct hfs_tx *tx, struct hfs_inode *dir, const char *name,
		size_t len, uint64_t ino, unsigned type)
{
	uint8_t buf[ENTRY_BUF];
	struct hfs_ddirent *de = (void *)buf;
	struct hfs_dirindex *x;
	unsigned n = HFS_DIRENT_SLOTS(len), slot = 1;
	uint64_t lblk, off, pos, found;
	int err;

	hfs_assert_held_write(&dir->fs->ns_lock);
	hfs_assert_held(&dir->fs->tx_lock);
	err = find(dir, name, len, &found, &pos, &off, de);
	if (err != -ENOENT)
		return err ? err : -EEXIST;
	x = dir->dir;
	hfs_tx_dirty_inode(tx, dir);
	hfs_tx_touch_dir(tx, dir);
	lblk = find_room(x, n, &slot);
	if (lblk == UINT64_MAX) {
		err = grow(tx, dir, x, &lblk);
		if (err) {
			hfs_tx_fail(tx, err);
			return err;
		}
	}
	err = dir_block(dir, lblk, &off);
	if (err) {
		hfs_tx_fail(tx, err);
		return err;
	}
	memset(buf, 0, n * HFS_DSLOT_SIZE);
	de->ino = ino;
	de->hash = hfs_name_hash(name, len);
	de->name_len = (uint8_t)len;
	de->type = (uint8_t)type;
	de->nslots = (uint8_t)n;
	memcpy(buf + HFS_DIRENT_HDR, name, len);
	de->crc = dirent_crc(de);
	hfs_tx_log(tx, off + slot * HFS_DSLOT_SIZE, buf, n * HFS_DSLOT_SIZE);
	bitmap_clear_range(x->freemap[lblk], slot, n);
	err = idx_add(x, de->hash, lblk * HFS_DSLOTS + slot);
	if (err)
		hfs_tx_fail(tx, err);
	return tx->error;
}

/*
 * Does the entry at @pos still hold @name?  For a @pos that a lookup found
 * under the same hold of ns_lock: that lookup checked the entry's CRC, so
 * this compares the header and the name and does not compute it again.
 */
static bool entry_is(struct hfs_inode *dir, uint64_t pos, const char *name, size_t len,
		     struct hfs_ddirent *de, uint64_t *off)
{
	unsigned slots = HFS_DIRENT_SLOTS(len);

	if (len == 0 || len > HFS_NAME_MAX || slots > HFS_DSLOTS - pos % HFS_DSLOTS ||
	    entry_off(dir, pos, off))
		return false;
	dir_read(dir, *off, de, slots * HFS_DSLOT_SIZE);
	return de->ino != 0 && de->name_len == len && de->nslots == slots &&
	       memcmp(dname(de), name, len) == 0;
}

/**
 * hfs_dir_remove - remove entry @name from @dir in @tx.  @pos is where a
 * lookup under the same hold of ns_lock found it (UINT64_MAX: unknown),
 * which saves a second search; it is checked, not trusted (entry_is()).
 * Returns 0, -ENOENT, -EUCLEAN.  Caller holds ns_lock exclusive.
 */
int hfs_dir_remove(struct hfs_tx *tx, struct hfs_inode *dir, const char *name,
		   size_t len, uint64_t pos)
{
	uint8_t buf[ENTRY_BUF];
	struct hfs_ddirent *de = (void *)buf;
	uint64_t ino, off;
	unsigned n;
	int err = -ENOENT;

	hfs_assert_held_write(&dir->fs->ns_lock);
	hfs_assert_held(&dir->fs->tx_lock);
	if (pos != UINT64_MAX && entry_is(dir, pos, name, len, de, &off))
		err = 0;
	if (err)
		err = find(dir, name, len, &ino, &pos, &off, de);
	if (err)
		return err;
	n = de->nslots;
	hfs_tx_dirty_inode(tx, dir);
	hfs_tx_touch_dir(tx, dir);
	memset(buf, 0, n * HFS_DSLOT_SIZE);
	hfs_tx_log(tx, off, buf, n * HFS_DSLOT_SIZE);
	idx_del(dir->dir, hfs_name_hash(name, len), pos);
	bitmap_set_range(dir->dir->freemap[pos / HFS_DSLOTS], pos % HFS_DSLOTS, n);
	dir->dir->hint = pos / HFS_DSLOTS;
	return tx->error;
}

/**
 * hfs_dir_set_ino - point the entry at @pos to @ino (rename over a name).
 * Returns 0 or -EUCLEAN.  Caller holds ns_lock exclusive, is in @tx.
 */
int hfs_dir_set_ino(struct hfs_tx *tx, struct hfs_inode *dir, uint64_t pos,
		    uint64_t ino, unsigned type)
{
	uint8_t buf[ENTRY_BUF];
	struct hfs_ddirent *de = (void *)buf;
	uint64_t off;
	int err;

	hfs_assert_held_write(&dir->fs->ns_lock);
	hfs_assert_held(&dir->fs->tx_lock);
	err = entry_read(dir, pos, de, &off);
	if (err)
		return err;
	hfs_tx_dirty_inode(tx, dir);
	de->ino = ino;
	de->type = (uint8_t)type;
	de->crc = dirent_crc(de);
	hfs_tx_log(tx, off, de, HFS_DSLOT_SIZE);
	return tx->error;
}

/**
 * hfs_dir_count - number of entries in @dir (not counting . and ..).
 * Returns 0, -EUCLEAN or -ENOMEM.  Caller holds ns_lock.
 */
int hfs_dir_count(struct hfs_inode *dir, uint64_t *count)
{
	struct hfs_dirindex *x;
	int err;

	hfs_assert_held_read(&dir->fs->ns_lock);
	err = index_get(dir, &x);
	if (!err)
		*count = x->count;
	return err;
}

static int fill(struct hfs_dirent *out, uint64_t ino, unsigned ft, const char *name,
		size_t len)
{
	static const uint32_t types[] = { 0, HFS_S_IFREG, HFS_S_IFDIR, HFS_S_IFLNK };

	out->ino = ino;
	out->type = types[ft];
	memcpy(out->name, name, len);
	out->name[len] = '\0';
	return 1;
}

/**
 * hfs_readdir - see holdfs.h.  Cookies: 0 ".", 1 "..", 2 + slot position
 * after that.  Entries added or removed during a walk may or may not be
 * seen; none is returned twice.  Takes ns_lock shared.
 */
int hfs_readdir(struct hfs_inode *dir, uint64_t *cookie, struct hfs_dirent *de)
{
	struct hfs_fs *fs = dir->fs;
	uint64_t pos, nblocks, off;
	int ret = 0;

	if (!hfs_is_dir(dir))
		return -ENOTDIR;
	if (*cookie == 0) {
		*cookie = 1;
		return fill(de, dir->ino, HFS_FT_DIR, ".", 1);
	}
	if (*cookie == 1) {
		*cookie = 2;
		return fill(de, dir->d.parent, HFS_FT_DIR, "..", 2);
	}
	hfs_down_read(&fs->ns_lock);
	nblocks = dir->d.size / HFS_BLOCK_SIZE;
	for (pos = *cookie - 2; pos / HFS_DSLOTS < nblocks && ret == 0;) {
		uint64_t lblk = pos / HFS_DSLOTS;
		const uint8_t *blk;
		const char *why;
		unsigned s;

		ret = dir_block(dir, lblk, &off);
		if (ret)
			break;
		blk = hfs_pm_ptr(fs->pm, off);
		if (hfs_dirblk_check(dir->ino, lblk, (const void *)blk, &why)) {
			hfs_log("holdfs: directory %llu block %llu: %s\n",
				(unsigned long long)dir->ino, (unsigned long long)lblk, why);
			ret = -EUCLEAN;
			break;
		}
		for (s = 1; s < HFS_DSLOTS;) {
			const struct hfs_ddirent *e = (const void *)(blk + s * HFS_DSLOT_SIZE);

			if (e->ino == 0) {
				s++;
				continue;
			}
			if (hfs_dirent_check(e, s, &why)) {
				hfs_log("holdfs: directory %llu block %llu slot %u: %s\n",
					(unsigned long long)dir->ino, (unsigned long long)lblk,
					s, why);
				ret = -EUCLEAN;
				break;
			}
			if (s >= pos % HFS_DSLOTS) {
				*cookie = 2 + lblk * HFS_DSLOTS + s + e->nslots;
				ret = fill(de, e->ino, e->type, dname(e), e->name_len);
				break;
			}
			s += e->nslots;
		}
		if (ret == 0)
			pos = (lblk + 1) * HFS_DSLOTS;
	}
	if (ret == 0)
		*cookie = 2 + nblocks * HFS_DSLOTS;
	hfs_up_read(&fs->ns_lock);
	return ret;
}
