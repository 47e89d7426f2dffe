/*
 * test_holdfs_fsck_corpus.c - fsck -y loses nothing it can save.
 *
 * Each case builds the same tree, damages the image one way (a directory
 * entry, a whole directory block, the root inode, a directory's inode, an
 * out-of-range size, each bitmap zeroed and filled, the journal, random
 * bit flips), runs fsck -y, and checks:
 *   - every regular file whose inode record and data blocks the damage did
 *     not touch is still in the tree (at its path, or reconnected under
 *     /lost+found: it is found by inode number) with the same size and
 *     bytes;
 *   - a second fsck finds nothing, and the image mounts.
 * Directory blocks, bitmaps, the journal and the superblock may be hit:
 * losing those must not lose the files.
 */
#include <stdlib.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <lib/printf.h>
#include "holdfs_test_util.h"

#define DEV_SIZE	(16 * MiB)
#define NFILES_MANY	150	/* /d/many: more than one directory block */
#define MAX_FILES	200
#define MAX_DAMAGE	512
#define MAX_BLOCKS	256	/* blocks of the largest file */

struct rec {
	char path[64];
	uint64_t ino, size;
	uint64_t blocks[MAX_BLOCKS];	/* device blocks holding its data */
	unsigned nblocks;
};

struct corpus {
	struct hfs_host_pm h;
	struct rec files[MAX_FILES];
	unsigned nfiles;
	uint64_t dmg_off[MAX_DAMAGE], dmg_len[MAX_DAMAGE];	/* byte ranges hit */
	unsigned ndmg;
};

static const struct hfs_dsuper *sb(struct corpus *c)
{
	return (const void *)c->h.base;
}

static uint64_t ino_off(struct corpus *c, uint64_t ino)
{
	return HFS_BLOCK_OFF(sb(c)->itable_start) + ino * HFS_INODE_SIZE;
}

static struct hfs_dinode *dino(struct corpus *c, uint64_t ino)
{
	return (struct hfs_dinode *)(c->h.base + ino_off(c, ino));
}

static void damaged(struct corpus *c, uint64_t off, uint64_t len)
{
	if (c->ndmg < MAX_DAMAGE) {
		c->dmg_off[c->ndmg] = off;
		c->dmg_len[c->ndmg++] = len;
	}
}

static bool hit(struct corpus *c, uint64_t off, uint64_t len)
{
	unsigned i;

	for (i = 0; i < c->ndmg; i++)
		if (c->dmg_off[i] < off + len && off < c->dmg_off[i] + c->dmg_len[i])
			return true;
	return false;
}

static bool untouched(struct corpus *c, const struct rec *r)
{
	unsigned i;

	if (hit(c, ino_off(c, r->ino), HFS_INODE_SIZE))
		return false;
	for (i = 0; i < r->nblocks; i++)
		if (hit(c, HFS_BLOCK_OFF(r->blocks[i]), HFS_BLOCK_SIZE))
			return false;
	return true;
}

/* The device blocks of the file at @path, from the DAX lookup. */
static int blocks_of(struct hfs_fs *fs, const char *path, uint64_t *out, unsigned max,
		     unsigned *n)
{
	struct hfs_inode *ip;
	struct hfs_stat st;
	uint64_t off;
	int err = hfs_lookup(fs, path, false, &ip);

	if (err)
		return err;
	hfs_getattr(ip, &st);
	*n = 0;
	hfs_down_read(hfs_layout_lock(ip));
	for (off = 0; off < st.size && !err; off += HFS_BLOCK_SIZE) {
		struct hfs_mapping m;

		err = hfs_map(ip, off, false, &m);
		if (!err && !m.hole && *n < max)
			out[(*n)++] = m.dev_off >> HFS_BLOCK_SHIFT;
	}
	hfs_up_read(hfs_layout_lock(ip));
	hfs_iput(ip);
	return err;
}

static void content(uint64_t ino, uint8_t *buf, uint64_t size)
{
	uint64_t i;

	for (i = 0; i < size; i++)
		buf[i] = ht_pat(ino, i);
}

static bool add_file(struct ktest *t, struct corpus *c, struct hfs_fs *fs, const char *path,
		     uint64_t size)
{
	struct rec *r = &c->files[c->nfiles++];
	struct hfs_stat st;
	uint8_t *buf = malloc(size + 1);
	int err;

	strlcpy(r->path, path, sizeof(r->path));
	/* the inode number seeds the bytes: create first, then fill */
	err = ht_put(fs, path, "", 0);
	if (!err)
		err = hfs_stat(fs, path, false, &st);
	if (!err) {
		content(st.ino, buf, size);
		err = ht_put(fs, path, buf, size);
	}
	free(buf);
	r->ino = st.ino;
	r->size = size;
	if (err) {
		ktest_fail_msg(t, "building %s: %d", path, err);
		return false;
	}
	return true;
}

/*
 * /a (20000 bytes, hard-linked as /hl), /s -> /a, /big (fragmented, 600
 * KiB), /d/b, /d/e/f, /d/many/0 .. 149, /z (empty).
 */
static bool build(struct ktest *t, struct corpus *c)
{
	struct hfs_fs *fs = ht_setup(t, &c->h, DEV_SIZE);
	char path[64];
	unsigned i;
	bool ok;

	memset(c->files, 0, sizeof(c->files));
	c->nfiles = c->ndmg = 0;
	if (!fs)
		return false;
	ok = add_file(t, c, fs, "/a", 20000) && !hfs_link(fs, "/a", "/hl") &&
	     !hfs_symlink(fs, "/a", "/s") && !hfs_mkdir(fs, "/d", 0755) &&
	     !hfs_mkdir(fs, "/d/e", 0755) && !hfs_mkdir(fs, "/d/many", 0755) &&
	     add_file(t, c, fs, "/d/b", 5000) && add_file(t, c, fs, "/d/e/f", 3000) &&
	     add_file(t, c, fs, "/z", 0);
	for (i = 0; ok && i < NFILES_MANY; i++) {
		snprintf(path, sizeof(path), "/d/many/%u", i);
		ok = add_file(t, c, fs, path, 100 + 37 * i);
	}
	/* the big file last, grown around others so it has many extents */
	ok = ok && add_file(t, c, fs, "/big", 600 * 1024);
	for (i = 0; ok && i < c->nfiles; i++)
		ok = !blocks_of(fs, c->files[i].path, c->files[i].blocks, MAX_BLOCKS,
				&c->files[i].nblocks);
	if (hfs_unmount(fs) || !ok) {
		ktest_fail_msg(t, "building the corpus tree failed");
		return false;
	}
	return ht_fsck(&c->h, false) == HFS_FSCK_CLEAN;
}

/* ------------------------------------------------------------ checks */

struct found {
	char (*path)[300];		/* by inode number */
	uint64_t ninodes;
};

static void walk_tree(struct hfs_fs *fs, const char *dir, struct found *f, unsigned depth)
{
	struct hfs_inode *ip;
	struct hfs_dirent de;
	uint64_t cookie = 0;

	if (depth > 16 || hfs_lookup(fs, dir, false, &ip))
		return;
	while (hfs_readdir(ip, &cookie, &de) == 1) {
		char sub[300];

		if (!strcmp(de.name, ".") || !strcmp(de.name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", strcmp(dir, "/") ? dir : "", de.name);
		if (de.type == HFS_S_IFDIR)
			walk_tree(fs, sub, f, depth + 1);
		else if (de.type == HFS_S_IFREG && de.ino < f->ninodes && !f->path[de.ino][0])
			strlcpy(f->path[de.ino], sub, sizeof(f->path[0]));
	}
	hfs_iput(ip);
}

/* Every untouched file reads back whole; returns how many were checked. */
static unsigned check_survivors(struct ktest *t, struct corpus *c, const char *what)
{
	struct found f = { .ninodes = sb(c)->ninodes };
	uint8_t *want = malloc(MAX_BLOCKS * HFS_BLOCK_SIZE), *got = malloc(MAX_BLOCKS * HFS_BLOCK_SIZE + 1);
	struct hfs_fs *fs;
	unsigned i, checked = 0;

	f.path = calloc(f.ninodes, sizeof(*f.path));
	if (hfs_mount(&c->h.pm, 0, &fs)) {
		ktest_fail_msg(t, "%s: the repaired image does not mount", what);
		goto out;
	}
	walk_tree(fs, "/", &f, 0);
	for (i = 0; i < c->nfiles; i++) {
		const struct rec *r = &c->files[i];
		int64_t n;

		if (!untouched(c, r))
			continue;
		checked++;
		if (!f.path[r->ino][0]) {
			ktest_fail_msg(t, "%s: %s (inode %llu) was untouched but is gone", what,
				       r->path, (unsigned long long)r->ino);
			continue;
		}
		content(r->ino, want, r->size);
		n = ht_get(fs, f.path[r->ino], got, MAX_BLOCKS * HFS_BLOCK_SIZE + 1);
		if (n != (int64_t)r->size || memcmp(want, got, r->size))
			ktest_fail_msg(t, "%s: %s (inode %llu, now %s): %lld bytes back, not its %llu",
				       what, r->path, (unsigned long long)r->ino, f.path[r->ino],
				       (long long)n, (unsigned long long)r->size);
	}
	hfs_unmount(fs);
out:
	free(f.path);
	free(want);
	free(got);
	return checked;
}

/* fsck -y must leave an image a second fsck calls clean, files intact. */
static void repair_and_check(struct ktest *t, struct corpus *c, const char *what,
			     unsigned min_survivors)
{
	int r = ht_fsck(&c->h, true);
	unsigned n;

	if (r != HFS_FSCK_REPAIRED)
		ktest_fail_msg(t, "%s: fsck -y returned %d, not %d (repaired)", what, r,
			       HFS_FSCK_REPAIRED);
	r = ht_fsck(&c->h, false);
	if (r != HFS_FSCK_CLEAN)
		ktest_fail_msg(t, "%s: a second fsck returned %d, not clean", what, r);
	n = check_survivors(t, c, what);
	if (n < min_survivors)
		ktest_fail_msg(t, "%s: only %u files were untouched; the case damages too much",
			       what, n);
}

static bool path_is(struct ktest *t, struct corpus *c, const char *path, uint64_t ino)
{
	struct hfs_fs *fs;
	struct hfs_stat st;
	bool ok;

	if (hfs_mount(&c->h.pm, 0, &fs))
		return false;
	ok = hfs_stat(fs, path, false, &st) == 0 && st.ino == ino;
	hfs_unmount(fs);
	return ok;
}

static const struct rec *file(struct corpus *c, const char *path)
{
	unsigned i;

	for (i = 0; i < c->nfiles; i++)
		if (!strcmp(c->files[i].path, path))
			return &c->files[i];
	return NULL;
}

/* ------------------------------------------------------------ damage */

/* Directory @dir's block @lblk, as a device byte offset. */
static uint64_t dir_block(struct corpus *c, uint64_t dir, uint64_t lblk)
{
	const struct hfs_dinode *d = dino(c, dir);
	unsigned i;

	for (i = 0; i < d->nroot; i++)
		if (lblk >= d->root[i].lblk && lblk < (uint64_t)d->root[i].lblk + d->root[i].len)
			return HFS_BLOCK_OFF(d->root[i].pblk + lblk - d->root[i].lblk);
	return 0;
}

/* The device offset of @dir's entry naming @ino (0 if none). */
static uint64_t entry_of(struct corpus *c, uint64_t dir, uint64_t ino)
{
	uint64_t lblk;

	for (lblk = 0; lblk < dino(c, dir)->size / HFS_BLOCK_SIZE; lblk++) {
		uint64_t off = dir_block(c, dir, lblk);
		unsigned s;

		for (s = 1; off && s < HFS_DSLOTS; s++) {
			const struct hfs_ddirent *de = (const void *)(c->h.base + off +
								     s * HFS_DSLOT_SIZE);

			if (de->ino == ino)
				return off + s * HFS_DSLOT_SIZE;
		}
	}
	return 0;
}

static uint64_t ino_of(struct ktest *t, struct corpus *c, const char *path)
{
	struct hfs_fs *fs;
	struct hfs_stat st = { 0 };

	if (hfs_mount(&c->h.pm, HFS_MOUNT_RDONLY, &fs) == 0) {
		hfs_stat(fs, path, false, &st);
		hfs_unmount(fs);
	}
	if (!st.ino)
		ktest_fail_msg(t, "no %s in the corpus tree", path);
	return st.ino;
}

static void scribble(struct corpus *c, uint64_t off, uint64_t len, uint64_t seed)
{
	uint64_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		c->h.base[off + i] = (uint8_t)(seed >> 33);
	}
	damaged(c, off, len);
}

KTEST(holdfs_fsck_corpus, entry_checksum_reconnects_the_file)
{
	struct corpus *c = calloc(1, sizeof(*c));
	uint64_t d, off;
	const struct rec *b;

	ASSERT_TRUE(t, build(t, c));
	d = ino_of(t, c, "/d");
	b = file(c, "/d/b");
	off = entry_of(c, d, b->ino);
	ASSERT_NE(t, off, 0ull);
	c->h.base[off + HFS_DIRENT_HDR] ^= 0x21;	/* two bytes of the name */
	c->h.base[off + HFS_DIRENT_HDR + 1] ^= 0x40;
	damaged(c, off, 2);
	repair_and_check(t, c, "entry checksum", 150);
	{
		char lf[32];

		snprintf(lf, sizeof(lf), "/lost+found/#%llu", (unsigned long long)b->ino);
		EXPECT_TRUE(t, path_is(t, c, lf, b->ino));
		EXPECT_TRUE(t, path_is(t, c, "/d/e/f", file(c, "/d/e/f")->ino));
	}
	hfs_host_close(&c->h);
	free(c);
}

KTEST(holdfs_fsck_corpus, garbled_root_block_reconnects_everything)
{
	struct corpus *c = calloc(1, sizeof(*c));
	uint64_t d;

	ASSERT_TRUE(t, build(t, c));
	d = ino_of(t, c, "/d");
	scribble(c, dir_block(c, HFS_ROOT_INO, 0), HFS_BLOCK_SIZE, 1);
	repair_and_check(t, c, "garbled root block", 150);
	{
		char lf[40];

		/* /d comes back whole, under its inode number */
		snprintf(lf, sizeof(lf), "/lost+found/#%llu/e/f", (unsigned long long)d);
		EXPECT_TRUE(t, path_is(t, c, lf, file(c, "/d/e/f")->ino));
	}
	hfs_host_close(&c->h);
	free(c);
}

KTEST(holdfs_fsck_corpus, zeroed_root_inode_is_rebuilt)
{
	struct corpus *c = calloc(1, sizeof(*c));

	ASSERT_TRUE(t, build(t, c));
	memset(dino(c, HFS_ROOT_INO), 0, HFS_INODE_SIZE);
	damaged(c, ino_off(c, HFS_ROOT_INO), HFS_INODE_SIZE);
	repair_and_check(t, c, "zeroed root inode", 150);
	/* its directory block was still there: names come back too */
	EXPECT_TRUE(t, path_is(t, c, "/a", file(c, "/a")->ino));
	EXPECT_TRUE(t, path_is(t, c, "/d/many/7", file(c, "/d/many/7")->ino));
	hfs_host_close(&c->h);
	free(c);
}

KTEST(holdfs_fsck_corpus, root_inode_and_its_block_both_lost)
{
	struct corpus *c = calloc(1, sizeof(*c));

	ASSERT_TRUE(t, build(t, c));
	scribble(c, dir_block(c, HFS_ROOT_INO, 0), HFS_BLOCK_SIZE, 2);
	memset(dino(c, HFS_ROOT_INO), 0, HFS_INODE_SIZE);
	damaged(c, ino_off(c, HFS_ROOT_INO), HFS_INODE_SIZE);
	repair_and_check(t, c, "root inode and block", 150);
	hfs_host_close(&c->h);
	free(c);
}

KTEST(holdfs_fsck_corpus, damaged_directory_inode_keeps_its_files)
{
	struct corpus *c = calloc(1, sizeof(*c));
	uint64_t many;

	ASSERT_TRUE(t, build(t, c));
	many = ino_of(t, c, "/d/many");
	dino(c, many)->ctime_ns ^= 1;		/* its checksum fails */
	damaged(c, ino_off(c, many), HFS_INODE_SIZE);
	repair_and_check(t, c, "directory inode", 150);
	hfs_host_close(&c->h);
	free(c);
}

KTEST(holdfs_fsck_corpus, out_of_range_size_is_clamped)
{
	struct corpus *c = calloc(1, sizeof(*c));
	const struct rec *b;
	struct hfs_fs *fs;
	struct hfs_stat st;
	uint8_t *got = malloc(8192), want[5000];

	ASSERT_TRUE(t, build(t, c));
	b = file(c, "/d/b");
	dino(c, b->ino)->size = 1ULL << 60;	/* outside the checksum */
	damaged(c, ino_off(c, b->ino), 8);
	repair_and_check(t, c, "size out of range", 150);
	/* clamped to its one block: the bytes are all still there */
	ASSERT_OK(t, hfs_mount(&c->h.pm, 0, &fs));
	EXPECT_OK(t, hfs_stat(fs, "/d/b", false, &st));
	EXPECT_EQ(t, st.size, (uint64_t)HFS_BLOCK_SIZE * 2);
	EXPECT_EQ(t, ht_get(fs, "/d/b", got, 8192), (int64_t)HFS_BLOCK_SIZE * 2);
	content(b->ino, want, sizeof(want));
	EXPECT_EQ(t, memcmp(got, want, sizeof(want)), 0);
	hfs_unmount(fs);
	free(got);
	hfs_host_close(&c->h);
	free(c);
}

/* Overwrite a whole bitmap with @byte (checksums and all). */
static void fill_bitmap(struct corpus *c, uint64_t start, uint64_t blocks, uint8_t byte)
{
	memset(c->h.base + HFS_BLOCK_OFF(start), byte, HFS_BLOCK_OFF(blocks));
	damaged(c, HFS_BLOCK_OFF(start), HFS_BLOCK_OFF(blocks));
}

KTEST(holdfs_fsck_corpus, bitmaps_zeroed_and_filled)
{
	static const uint8_t bytes[] = { 0x00, 0xff };
	struct corpus *c = calloc(1, sizeof(*c));
	unsigned i;

	for (i = 0; i < 4; i++) {
		char what[40];
		bool inodes = i >= 2;

		ASSERT_TRUE(t, build(t, c));
		if (inodes)
			fill_bitmap(c, sb(c)->ibitmap_start, sb(c)->ibitmap_blocks, bytes[i % 2]);
		else
			fill_bitmap(c, sb(c)->bbitmap_start, sb(c)->bbitmap_blocks, bytes[i % 2]);
		snprintf(what, sizeof(what), "%s bitmap %s", inodes ? "inode" : "block",
			 bytes[i % 2] ? "filled" : "zeroed");
		repair_and_check(t, c, what, 150);
		hfs_host_close(&c->h);
	}
	free(c);
}

KTEST(holdfs_fsck_corpus, garbled_journal)
{
	struct corpus *c = calloc(1, sizeof(*c));
	struct hfs_djtx *j;
	int r;

	ASSERT_TRUE(t, build(t, c));
	scribble(c, HFS_BLOCK_OFF(sb(c)->journal_start), HFS_BLOCK_OFF(sb(c)->journal_blocks), 3);
	j = (void *)(c->h.base + HFS_BLOCK_OFF(sb(c)->journal_start));
	j->magic = HFS_JNL_MAGIC;		/* looks like a transaction */
	/* a journal that does not verify is not replayed: nothing to repair */
	r = ht_fsck(&c->h, true);
	EXPECT_TRUE(t, r == HFS_FSCK_CLEAN || r == HFS_FSCK_REPAIRED);
	EXPECT_EQ(t, ht_fsck(&c->h, false), HFS_FSCK_CLEAN);
	EXPECT_GE(t, check_survivors(t, c, "garbled journal"), 150u);
	hfs_host_close(&c->h);
	free(c);
}

/* Metadata and directory blocks: what random damage may hit here. */
static uint64_t random_target(struct corpus *c, uint64_t *seed, uint64_t root_blk,
			      uint64_t many_blk)
{
	uint64_t meta = HFS_BLOCK_OFF(sb(c)->data_start) - HFS_BLOCK_SIZE, r;

	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	r = (*seed >> 16) % (meta + 2 * HFS_BLOCK_SIZE);
	if (r < meta)
		return HFS_BLOCK_SIZE + r;	/* not the primary superblock */
	r -= meta;
	return (r < HFS_BLOCK_SIZE ? root_blk : many_blk) + r % HFS_BLOCK_SIZE;
}

KTEST(holdfs_fsck_corpus, random_bit_flips)
{
	struct corpus *c = calloc(1, sizeof(*c));
	uint64_t seed, flips[] = { 4, 16, 64 };
	unsigned round;

	for (round = 0; round < 12; round++) {
		uint64_t root_blk, many_blk, i;
		char what[40];

		ASSERT_TRUE(t, build(t, c));
		root_blk = dir_block(c, HFS_ROOT_INO, 0);
		many_blk = dir_block(c, ino_of(t, c, "/d/many"), 0);
		seed = 1000 + round;
		for (i = 0; i < flips[round % 3]; i++) {
			uint64_t off = random_target(c, &seed, root_blk, many_blk);

			c->h.base[off] ^= (uint8_t)(1u << (seed >> 60 & 7));
			damaged(c, off, 1);
		}
		snprintf(what, sizeof(what), "%llu bit flips, seed %llu",
			 (unsigned long long)flips[round % 3], (unsigned long long)1000 + round);
		/* few flips may hit only free inode records: nothing to fix */
		if (ht_fsck(&c->h, false) != HFS_FSCK_CLEAN) {
			int r = ht_fsck(&c->h, true);

			EXPECT_NE(t, r, HFS_FSCK_ERRORS);
		}
		EXPECT_EQ(t, ht_fsck(&c->h, false), HFS_FSCK_CLEAN);
		check_survivors(t, c, what);
		hfs_host_close(&c->h);
	}
	free(c);
}
