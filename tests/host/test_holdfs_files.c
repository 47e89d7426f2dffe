/*
 * test_holdfs_files.c - holdfs file data: read/write, sparse files,
 * truncate, fallocate modes, the DAX lookup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "holdfs_test_util.h"

/* Give the root directory its first entry block, so that block counts
 * taken afterwards see only a file's own blocks. */
static void root_gets_a_block(struct ktest *t, struct hfs_fs *fs)
{
	struct hfs_inode *ip = ht_create(t, fs, "/.warm");

	hfs_iput(ip);
	EXPECT_OK(t, hfs_unlink(fs, "/.warm", NULL));
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

KTEST(holdfs_files, sparse_reads_zeros)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 32 * MiB);
	struct hfs_inode *ip;
	uint8_t *buf = malloc(3 * MiB);
	struct hfs_stat st;

	ASSERT_NOT_NULL(t, fs);
	ip = ht_create(t, fs, "/sparse");
	ASSERT_NOT_NULL(t, ip);
	EXPECT_EQ(t, hfs_write(ip, 2 * MiB + 100, "tail", 4), 4);
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 2 * MiB + 104);
	EXPECT_LE(t, st.blocks, 2u);
	memset(buf, 0xaa, 3 * MiB);
	EXPECT_EQ(t, hfs_read(ip, 0, buf, 3 * MiB), (int64_t)(2 * MiB + 104));
	EXPECT_TRUE(t, all_zero(buf, 2 * MiB + 100));
	EXPECT_MEMEQ(t, buf + 2 * MiB + 100, "tail", 4);
	EXPECT_EQ(t, hfs_read(ip, 5 * MiB, buf, 10), 0);
	/* write past EOF leaves a gap that reads as zeros */
	EXPECT_EQ(t, hfs_write(ip, 2 * MiB + 200, "x", 1), 1);
	EXPECT_EQ(t, hfs_read(ip, 2 * MiB + 104, buf, 96), 96);
	EXPECT_TRUE(t, all_zero(buf, 96));
	hfs_iput(ip);
	free(buf);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_files, truncate_grow_and_shrink)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 32 * MiB);
	struct hfs_inode *ip;
	uint8_t buf[20000];
	struct hfs_statfs s0, s1;
	struct hfs_stat st;

	ASSERT_NOT_NULL(t, fs);
	root_gets_a_block(t, fs);
	hfs_statfs(fs, &s0);		/* before the file (and its first block) */
	ip = ht_create(t, fs, "/t");
	ASSERT_NOT_NULL(t, ip);
	memset(buf, 'q', sizeof(buf));
	EXPECT_EQ(t, hfs_write(ip, 0, buf, sizeof(buf)), (int64_t)sizeof(buf));
	ASSERT_OK(t, hfs_truncate(ip, 5000, NULL));
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 5000u);
	EXPECT_EQ(t, st.blocks, 2u);
	ASSERT_OK(t, hfs_truncate(ip, 20000, NULL));
	EXPECT_EQ(t, hfs_read(ip, 0, buf, sizeof(buf)), 20000);
	EXPECT_EQ(t, buf[4999], 'q');
	EXPECT_TRUE(t, all_zero(buf + 5000, 15000));
	ASSERT_OK(t, hfs_truncate(ip, 0, NULL));
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.blocks, 0u);
	hfs_statfs(fs, &s1);
	EXPECT_EQ(t, s1.free_blocks, s0.free_blocks);
	EXPECT_ERR(t, hfs_truncate(ip, HFS_MAX_FILE_BLOCKS * 4096ULL + 1, NULL), -EFBIG);
	{
		struct hfs_inode *d;

		ASSERT_OK(t, hfs_lookup(fs, "/", true, &d));
		EXPECT_ERR(t, hfs_truncate(d, 0, NULL), -EISDIR);
		EXPECT_ERR(t, hfs_write(d, 0, "x", 1), -EISDIR);
		hfs_iput(d);
	}
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

static uint64_t write_seq(struct hfs_inode *ip, uint64_t total, size_t chunk, uint64_t seed)
{
	uint8_t *buf = malloc(chunk);
	uint64_t off, i;

	for (off = 0; off < total; off += chunk) {
		for (i = 0; i < chunk; i++)
			buf[i] = ht_pat(seed, off + i);
		if (hfs_write(ip, off, buf, chunk) != (int64_t)chunk)
			break;
	}
	free(buf);
	return off;
}

static bool check_seq(struct hfs_inode *ip, uint64_t from, uint64_t to, uint64_t seed,
		      int64_t shift)
{
	uint8_t buf[4096];
	uint64_t off, i;

	for (off = from; off < to; off += sizeof(buf)) {
		size_t n = (size_t)MIN((uint64_t)sizeof(buf), to - off);

		if (hfs_read(ip, off, buf, n) != (int64_t)n)
			return false;
		for (i = 0; i < n; i++)
			if (buf[i] != ht_pat(seed, (uint64_t)((int64_t)(off + i) + shift)))
				return false;
	}
	return true;
}

KTEST(holdfs_files, sequential_appends_make_few_large_extents)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 64 * MiB);
	struct hfs_inode *ip;
	uint64_t tx0, n;
	struct hfs_mapping m;

	ASSERT_NOT_NULL(t, fs);
	ip = ht_create(t, fs, "/seq");
	ASSERT_NOT_NULL(t, ip);
	tx0 = fs->tx_count;
	EXPECT_EQ(t, write_seq(ip, 16 * MiB, 4096, 1), 16 * MiB);
	/* a transaction per 2 MiB at most, not per 4 KiB block */
	EXPECT_LT(t, fs->tx_count - tx0, 30u);
	ASSERT_OK(t, hfs_ext_count(ip, &n));
	EXPECT_LE(t, n, 3u);
	hfs_down_read(hfs_layout_lock(ip));
	ASSERT_OK(t, hfs_map(ip, 4 * MiB, false, &m));
	hfs_up_read(hfs_layout_lock(ip));
	EXPECT_FALSE(t, m.hole);
	EXPECT_GE(t, m.len, 2 * MiB);
	/* overwrites change no metadata */
	tx0 = fs->tx_count;
	EXPECT_EQ(t, hfs_write(ip, 5 * MiB + 4096, "overwrite", 9), 9);
	EXPECT_EQ(t, hfs_write(ip, 77, "o", 1), 1);
	EXPECT_EQ(t, fs->tx_count, tx0);
	ASSERT_OK(t, hfs_fsync(ip));
	hfs_iput(ip);
	fs = ht_remount(t, &h, fs);
	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, hfs_open(fs, "/seq", HFS_O_RDONLY, 0, &ip));
	EXPECT_TRUE(t, check_seq(ip, 0, 77, 1, 0));
	EXPECT_TRUE(t, check_seq(ip, 78, 5 * MiB, 1, 0));
	EXPECT_TRUE(t, check_seq(ip, 6 * MiB, 16 * MiB, 1, 0));
	{
		struct hfs_stat st;

		hfs_getattr(ip, &st);
		EXPECT_EQ(t, st.size, 16 * MiB);
		EXPECT_EQ(t, st.blocks, 16 * MiB / 4096);	/* preallocation returned */
	}
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

/*
 * A file created for writing gets its first block in the create
 * transaction, so a first write of one block needs no transaction, and
 * the close none either (nothing left past EOF to give back).  The next
 * append does allocate ahead, and close returns it.
 */
KTEST(holdfs_files, first_write_allocates_nothing_ahead)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_statfs s0, s1, s2;
	struct hfs_inode *ip;
	uint8_t data[4096];
	uint64_t tx0;

	ASSERT_NOT_NULL(t, fs);
	memset(data, 0xa5, sizeof(data));
	root_gets_a_block(t, fs);
	ASSERT_OK(t, hfs_statfs(fs, &s0));
	tx0 = fs->tx_count;
	ip = ht_create(t, fs, "/small");
	ASSERT_NOT_NULL(t, ip);
	EXPECT_EQ(t, fs->tx_count - tx0, 1u);	/* the create */
	ASSERT_OK(t, hfs_statfs(fs, &s1));
	EXPECT_EQ(t, s0.free_blocks - s1.free_blocks, 1u);
	EXPECT_EQ(t, hfs_write(ip, 0, data, sizeof(data)), (int64_t)sizeof(data));
	EXPECT_EQ(t, fs->tx_count - tx0, 1u);	/* the write: into that block */
	ASSERT_OK(t, hfs_statfs(fs, &s2));
	EXPECT_EQ(t, s2.free_blocks, s1.free_blocks);
	hfs_iput(ip);
	EXPECT_EQ(t, fs->tx_count - tx0, 1u);	/* close: nothing to give back */

	ASSERT_OK(t, hfs_open(fs, "/small", HFS_O_RDWR, 0, &ip));
	EXPECT_EQ(t, hfs_write(ip, 4096, data, sizeof(data)), (int64_t)sizeof(data));
	ASSERT_OK(t, hfs_statfs(fs, &s2));
	EXPECT_GT(t, s1.free_blocks - s2.free_blocks, 1u);	/* allocated ahead */
	hfs_iput(ip);
	ASSERT_OK(t, hfs_statfs(fs, &s2));
	EXPECT_EQ(t, s1.free_blocks - s2.free_blocks, 1u);	/* and given back */
	ht_teardown(t, &h, fs);
}

/* hfs_map() without allocation, under the layout lock it wants. */
static int map_shared(struct hfs_inode *ip, uint64_t off, struct hfs_mapping *m)
{
	int err;

	hfs_down_read(hfs_layout_lock(ip));
	err = hfs_map(ip, off, false, m);
	hfs_up_read(hfs_layout_lock(ip));
	return err;
}

/*
 * A new file's first block is only for a first write that fits it: a
 * first write of 2 MiB still starts a 2 MiB-aligned extent (what DAX
 * huge pages need), and a first write further in leaves a hole at 0.
 */
KTEST(holdfs_files, first_block_gives_way_to_bigger_first_writes)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 32 * MiB);
	static uint8_t big[2 * MiB];
	struct hfs_mapping m;
	struct hfs_inode *ip;
	struct hfs_stat st;

	ASSERT_NOT_NULL(t, fs);
	memset(big, 0x3c, sizeof(big));
	ip = ht_create(t, fs, "/big");
	ASSERT_NOT_NULL(t, ip);
	EXPECT_EQ(t, hfs_write(ip, 0, big, sizeof(big)), (int64_t)sizeof(big));
	ASSERT_OK(t, map_shared(ip, 0, &m));
	EXPECT_FALSE(t, m.hole);
	EXPECT_EQ(t, m.dev_off % (2 * MiB), 0u);
	EXPECT_EQ(t, m.len, 2 * MiB);
	hfs_iput(ip);

	ip = ht_create(t, fs, "/far");
	ASSERT_NOT_NULL(t, ip);
	EXPECT_EQ(t, hfs_write(ip, 8192, big, 100), 100);
	ASSERT_OK(t, map_shared(ip, 0, &m));
	EXPECT_TRUE(t, m.hole);
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.blocks, 1u);
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

/*
 * A file created for writing and closed unwritten gives its first block
 * back at close; one created read-only never takes one; and the block a
 * new file was given holds nothing of an earlier file where a read or a
 * growing truncate can see it.
 */
KTEST(holdfs_files, unwritten_new_file_gives_its_block_back)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_statfs s0, s1;
	struct hfs_inode *ip;
	struct hfs_stat st;
	uint8_t data[4096], back[4096];

	ASSERT_NOT_NULL(t, fs);
	/* Leave an old file's bytes in a freed block the next create may get. */
	memset(data, 0x77, sizeof(data));
	ip = ht_create(t, fs, "/old");
	ASSERT_NOT_NULL(t, ip);
	EXPECT_EQ(t, hfs_write(ip, 0, data, sizeof(data)), (int64_t)sizeof(data));
	hfs_iput(ip);
	ASSERT_OK(t, hfs_unlink(fs, "/old", NULL));

	ASSERT_OK(t, hfs_statfs(fs, &s0));
	ip = ht_create(t, fs, "/empty");
	ASSERT_NOT_NULL(t, ip);
	ASSERT_OK(t, hfs_statfs(fs, &s1));
	EXPECT_EQ(t, s0.free_blocks - s1.free_blocks, 1u);	/* taken ahead */
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 0u);
	EXPECT_EQ(t, hfs_read(ip, 0, back, sizeof(back)), 0);
	ASSERT_OK(t, hfs_truncate(ip, 100, NULL));		/* exposes 100 bytes */
	EXPECT_EQ(t, hfs_read(ip, 0, back, sizeof(back)), 100);
	EXPECT_TRUE(t, all_zero(back, 100));
	ASSERT_OK(t, hfs_truncate(ip, 0, NULL));
	hfs_iput(ip);
	ASSERT_OK(t, hfs_statfs(fs, &s1));
	EXPECT_EQ(t, s1.free_blocks, s0.free_blocks);		/* given back */

	ASSERT_OK(t, hfs_open(fs, "/quiet", HFS_O_RDONLY | HFS_O_CREAT, 0644, &ip));
	ASSERT_OK(t, hfs_statfs(fs, &s1));
	EXPECT_EQ(t, s1.free_blocks, s0.free_blocks);		/* none taken */
	hfs_iput(ip);

	ip = ht_create(t, fs, "/closed");
	ASSERT_NOT_NULL(t, ip);
	hfs_iput(ip);						/* never written */
	ASSERT_OK(t, hfs_statfs(fs, &s1));
	EXPECT_EQ(t, s1.free_blocks, s0.free_blocks);
	ASSERT_OK(t, hfs_lookup(fs, "/closed", true, &ip));
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.blocks, 0u);
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

/* The size recorded in @ip's inode record on the media. */
static uint64_t media_size(struct hfs_fs *fs, struct hfs_inode *ip)
{
	const struct hfs_dinode *d = (const void *)hfs_pm_ptr(fs->pm,
		hfs_inode_off(fs, hfs_ino(ip)));

	return d->size;
}

/*
 * An append raises the size in DRAM only; fsync and close store it (file.c).
 * An append into blocks allocated ahead costs no transaction at all.
 */
KTEST(holdfs_files, append_size_reaches_media_at_fsync_and_close)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_inode *ip;
	struct hfs_stat st;
	uint8_t data[4096], back[4096];
	uint64_t tx0;

	ASSERT_NOT_NULL(t, fs);
	memset(data, 0x3c, sizeof(data));
	ip = ht_create(t, fs, "/log");
	ASSERT_NOT_NULL(t, ip);
	EXPECT_EQ(t, hfs_write(ip, 0, data, sizeof(data)), (int64_t)sizeof(data));
	ASSERT_OK(t, hfs_getattr(ip, &st));
	EXPECT_EQ(t, st.size, 4096u);
	EXPECT_EQ(t, media_size(fs, ip), 0u);
	ASSERT_OK(t, hfs_fsync(ip));
	EXPECT_EQ(t, media_size(fs, ip), 4096u);

	EXPECT_EQ(t, hfs_write(ip, 4096, data, sizeof(data)), (int64_t)sizeof(data));
	tx0 = fs->tx_count;
	EXPECT_EQ(t, hfs_write(ip, 8192, data, sizeof(data)), (int64_t)sizeof(data));
	EXPECT_EQ(t, fs->tx_count, tx0);	/* into blocks allocated ahead */
	EXPECT_EQ(t, media_size(fs, ip), 4096u);	/* logged by the second write's allocation */
	hfs_iput(ip);				/* close */
	ASSERT_OK(t, hfs_open(fs, "/log", HFS_O_RDWR, 0, &ip));
	EXPECT_EQ(t, media_size(fs, ip), 12288u);
	EXPECT_EQ(t, hfs_read(ip, 8192, back, sizeof(back)), (int64_t)sizeof(back));
	EXPECT_EQ(t, memcmp(back, data, sizeof(back)), 0);
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

/*
 * A transaction that only touches a file (a link, a rename) may run while
 * a write raises its size; aborting it must not take the size back.  One
 * that set the size itself (truncate) does restore it.
 */
KTEST(holdfs_files, abort_restores_only_a_size_it_set)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_inode *ip;
	struct hfs_tx *tx;
	uint8_t data[4096];

	ASSERT_NOT_NULL(t, fs);
	memset(data, 0x5a, sizeof(data));
	ip = ht_create(t, fs, "/f");
	ASSERT_NOT_NULL(t, ip);
	EXPECT_EQ(t, hfs_write(ip, 0, data, sizeof(data)), (int64_t)sizeof(data));
	EXPECT_EQ(t, hfs_write(ip, 4096, data, sizeof(data)), (int64_t)sizeof(data));

	tx = hfs_tx_begin(fs);
	hfs_tx_dirty_inode(tx, ip);
	ip->d.nlink++;
	/* into blocks allocated ahead: no transaction, so no tx_lock */
	EXPECT_EQ(t, hfs_write(ip, 8192, data, sizeof(data)), (int64_t)sizeof(data));
	hfs_tx_fail(tx, -EIO);
	EXPECT_EQ(t, hfs_tx_commit(tx), -EIO);
	EXPECT_EQ(t, ip->d.size, 12288u);
	EXPECT_EQ(t, ip->d.nlink, 1u);

	hfs_down_write(hfs_layout_lock(ip));	/* as truncate does */
	tx = hfs_tx_begin(fs);
	hfs_tx_set_size(tx, ip, 100);
	hfs_tx_fail(tx, -EIO);
	EXPECT_EQ(t, hfs_tx_commit(tx), -EIO);
	hfs_up_write(hfs_layout_lock(ip));
	EXPECT_EQ(t, ip->d.size, 12288u);
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_files, map_allocates_aligned_zeroed_blocks)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 64 * MiB);
	struct hfs_inode *ip;
	struct hfs_mapping m;
	uint8_t buf[64];

	ASSERT_NOT_NULL(t, fs);
	ip = ht_create(t, fs, "/dax");
	ASSERT_NOT_NULL(t, ip);
	ASSERT_OK(t, hfs_truncate(ip, 8 * MiB, NULL));
	hfs_down_read(hfs_layout_lock(ip));
	ASSERT_OK(t, hfs_map(ip, 3 * MiB, false, &m));
	hfs_up_read(hfs_layout_lock(ip));
	EXPECT_TRUE(t, m.hole);
	EXPECT_GE(t, m.len, 5 * MiB);
	hfs_down_write(hfs_layout_lock(ip));
	ASSERT_OK(t, hfs_map(ip, 3 * MiB, true, &m));
	hfs_up_write(hfs_layout_lock(ip));
	EXPECT_FALSE(t, m.hole);
	EXPECT_EQ(t, m.len, 1 * MiB);
	EXPECT_EQ(t, (m.dev_off - 1 * MiB) % (2 * MiB), 0u);	/* chunk is 2 MiB aligned */
	EXPECT_EQ(t, hfs_read(ip, 2 * MiB, buf, sizeof(buf)), (int64_t)sizeof(buf));
	EXPECT_TRUE(t, all_zero(buf, sizeof(buf)));
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_files, fallocate_modes)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 64 * MiB);
	struct hfs_inode *ip;
	struct hfs_stat st;
	uint8_t buf[4096];

	ASSERT_NOT_NULL(t, fs);
	ip = ht_create(t, fs, "/fa");
	ASSERT_NOT_NULL(t, ip);
	/* default: allocates, raises size */
	ASSERT_OK(t, hfs_fallocate(ip, 0, 0, 4 * MiB, NULL));
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 4 * MiB);
	EXPECT_EQ(t, st.blocks, 1024u);
	/* keep size: blocks past EOF */
	ASSERT_OK(t, hfs_fallocate(ip, HFS_FALLOC_KEEP_SIZE, 4 * MiB, 1 * MiB, NULL));
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 4 * MiB);
	EXPECT_EQ(t, st.blocks, 1280u);
	/* fill with a pattern, then punch */
	EXPECT_EQ(t, write_seq(ip, 4 * MiB, 65536, 7), 4 * MiB);
	ASSERT_OK(t, hfs_fallocate(ip, HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE, 100, 3 * 4096, NULL));
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.blocks, 1278u);	/* two whole blocks freed */
	EXPECT_TRUE(t, check_seq(ip, 0, 100, 7, 0));
	EXPECT_EQ(t, hfs_read(ip, 100, buf, 4096), 4096);
	EXPECT_TRUE(t, all_zero(buf, 4096));
	EXPECT_EQ(t, hfs_read(ip, 100 + 3 * 4096 - 4096, buf, 4096), 4096);
	EXPECT_TRUE(t, all_zero(buf, 4096));
	EXPECT_TRUE(t, check_seq(ip, 100 + 3 * 4096, 4 * MiB, 7, 0));
	/* zero range */
	ASSERT_OK(t, hfs_fallocate(ip, HFS_FALLOC_ZERO_RANGE, 1 * MiB + 10, 5000, NULL));
	EXPECT_EQ(t, hfs_read(ip, 1 * MiB + 10, buf, 4096), 4096);
	EXPECT_TRUE(t, all_zero(buf, 4096));
	EXPECT_TRUE(t, check_seq(ip, 1 * MiB + 5010, 2 * MiB, 7, 0));
	/* collapse 1 MiB at 2 MiB: the data after moves down */
	ASSERT_OK(t, hfs_fallocate(ip, HFS_FALLOC_COLLAPSE, 2 * MiB, 1 * MiB, NULL));
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 3 * MiB);
	EXPECT_TRUE(t, check_seq(ip, 2 * MiB, 3 * MiB, 7, 1 * MiB));
	/* insert 64 KiB at 1 MiB: a hole appears, data moves up */
	ASSERT_OK(t, hfs_fallocate(ip, HFS_FALLOC_INSERT, 2 * MiB, 65536, NULL));
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 3 * MiB + 65536);
	EXPECT_EQ(t, hfs_read(ip, 2 * MiB, buf, 4096), 4096);
	EXPECT_TRUE(t, all_zero(buf, 4096));
	EXPECT_TRUE(t, check_seq(ip, 2 * MiB + 65536, 3 * MiB + 65536, 7, 1 * MiB - 65536));
	/* errors */
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_PUNCH_HOLE, 0, 4096, NULL), -EOPNOTSUPP);
	EXPECT_ERR(t, hfs_fallocate(ip, 0x40, 0, 4096, NULL), -EOPNOTSUPP);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_COLLAPSE, 100, 4096, NULL), -EINVAL);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_COLLAPSE, 0, 8 * MiB, NULL), -EINVAL);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_INSERT, 8 * MiB, 4096, NULL), -EINVAL);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_COLLAPSE | HFS_FALLOC_KEEP_SIZE, 0, 4096, NULL),
		   -EINVAL);
	EXPECT_ERR(t, hfs_fallocate(ip, 0, 0, 0, NULL), -EINVAL);
	EXPECT_ERR(t, hfs_fallocate(ip, 0, 0, 1ULL << 62, NULL), -EFBIG);
	EXPECT_ERR(t, hfs_fallocate(ip, 0, 0, 128 * MiB, NULL), -ENOSPC);
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 3 * MiB + 65536);
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

static int busy_hook(struct hfs_inode *ip, uint64_t off, uint64_t len, const struct hfs_wait *w)
{
	return w && (w->flags & HFS_WAIT_NONE) ? -EBUSY : 0;
}

KTEST(holdfs_files, layout_break_refusal_changes_nothing)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_inode *ip;
	struct hfs_wait nowait = { .flags = HFS_WAIT_NONE };
	struct hfs_stat st;

	ASSERT_NOT_NULL(t, fs);
	ip = ht_create(t, fs, "/pinned");
	ASSERT_NOT_NULL(t, ip);
	EXPECT_EQ(t, write_seq(ip, 65536, 4096, 3), 65536u);
	hfs_host_break_hook = busy_hook;
	EXPECT_ERR(t, hfs_truncate(ip, 0, &nowait), -EBUSY);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE, 0, 8192,
				    &nowait), -EBUSY);
	EXPECT_ERR(t, hfs_unlink(fs, "/pinned", &nowait), -EBUSY);
	EXPECT_ERR(t, hfs_rename(fs, "/", "/pinned", &nowait), -EBUSY);
	hfs_host_break_hook = NULL;
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 65536u);
	EXPECT_EQ(t, st.nlink, 1u);
	EXPECT_TRUE(t, check_seq(ip, 0, 65536, 3, 0));
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_files, full_device_enospc_changes_nothing)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 8 * MiB);
	struct hfs_inode *ip;
	struct hfs_statfs s0, s1;
	struct hfs_stat st;
	uint8_t *big = calloc(1, 16 * MiB);
	char path[32];
	int i, err = 0;

	ASSERT_NOT_NULL(t, fs);
	ip = ht_create(t, fs, "/fill");
	ASSERT_NOT_NULL(t, ip);
	EXPECT_EQ(t, hfs_write(ip, 0, "head", 4), 4);
	hfs_statfs(fs, &s0);
	EXPECT_ERR(t, hfs_write(ip, 4, big, 16 * MiB), -ENOSPC);
	hfs_statfs(fs, &s1);
	EXPECT_EQ(t, s1.free_blocks, s0.free_blocks);
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 4u);
	/* now fill it for real, then creates fail cleanly */
	EXPECT_EQ(t, hfs_write(ip, 4096, big, (size_t)(s0.free_blocks - 8) * 4096),
		  (int64_t)((s0.free_blocks - 8) * 4096));
	for (i = 0; i < 10000 && !err; i++) {
		struct hfs_inode *f;

		snprintf(path, sizeof(path), "/f%d", i);
		err = hfs_open(fs, path, HFS_O_RDWR | HFS_O_CREAT, 0600, &f);
		if (!err) {
			int64_t n = hfs_write(f, 0, big, 4096);

			if (n < 0)
				err = (int)n;
			hfs_iput(f);
		}
	}
	EXPECT_ERR(t, err, -ENOSPC);
	hfs_statfs(fs, &s1);
	EXPECT_ERR(t, hfs_fallocate(ip, 0, 64 * MiB, 4096 * 16, NULL), -ENOSPC);
	hfs_statfs(fs, &s0);
	EXPECT_EQ(t, s1.free_blocks, s0.free_blocks);
	hfs_iput(ip);
	free(big);
	ht_teardown(t, &h, fs);
}
