/*
 * test_holdfs_files.c - holdfs file data: read/write, sparse files,
 * truncate, fallocate modes, the DAX lookup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "holdfs_test_util.h"

/* These run in both binaries; the tiny one makes the tree really grow. */

static uint8_t pat(uint64_t blk)
{
	return (uint8_t)(blk * 37 + 11);
}

/* Write every other block of [0, 2n): n extents that cannot merge. */
static int fragment(struct hfs_inode *ip, uint64_t n)
{
	uint8_t buf[4096];
	uint64_t i;

	for (i = 0; i < n; i++) {
		memset(buf, pat(2 * i), sizeof(buf));
		int64_t r = hfs_write(ip, 2 * i * 4096, buf, sizeof(buf));

		if (r != 4096) {
			fprintf(stderr, "fragment: write %llu: %lld (%s)\n", (unsigned long long)i,
				(long long)r, hfs_host_last_log);
			return r < 0 ? (int)r : -EIO;
		}
	}
	return 0;
}

static bool verify(struct hfs_inode *ip, uint64_t n, uint64_t upto)
{
	uint8_t buf[4096];
	uint64_t b;

	for (b = 0; b < upto; b++) {
		if (hfs_read(ip, b * 4096, buf, sizeof(buf)) != 4096)
			return false;
		if (buf[0] != ((b % 2 == 0 && b / 2 < n) ? pat(b) : 0) || buf[4095] != buf[0]) {
			fprintf(stderr, "verify: block %llu reads %u/%u\n", (unsigned long long)b,
				buf[0], buf[4095]);
			return false;
		}
	}
	return true;
}

static bool check_tail(struct hfs_inode *ip, uint64_t n)
{
	uint8_t buf[4096];
	uint64_t b;

	for (b = 2000; b < 2 * n - 1; b++) {
		if (hfs_read(ip, b * 4096, buf, sizeof(buf)) != 4096 ||
		    buf[0] != (b % 2 == 0 ? pat(b) : 0))
			return false;
	}
	return true;
}

KTEST(holdfs_tree, fragmented_file_grows_and_shrinks_its_tree)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 64 * MiB);
	struct hfs_inode *ip;
	struct hfs_statfs s0, s1;
	uint64_t n = 3000, count;

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, ht_put(fs, "/x", "", 0));
	hfs_statfs(fs, &s0);
	ASSERT_OK(t, hfs_open(fs, "/frag", HFS_O_RDWR | HFS_O_CREAT, 0644, &ip));
	/* Write the odd extents backwards first so nothing merges. */
	ASSERT_OK(t, fragment(ip, n));
	ASSERT_OK(t, hfs_ext_count(ip, &count));
	EXPECT_GE(t, count, n / 2);
	EXPECT_GE(t, ip->d.depth, fs->node_max <= 8 ? 3u : 1u);
	EXPECT_TRUE(t, verify(ip, n, 2 * n - 1));
	ktest_log(t, "%llu extents, depth %u", (unsigned long long)count, ip->d.depth);
	hfs_iput(ip);
	fs = ht_remount(t, &h, fs);
	ASSERT_NOT_NULL(t, fs);
	ASSERT_EQ(t, ht_fsck(&h, false), HFS_FSCK_CLEAN);
	ASSERT_OK(t, hfs_open(fs, "/frag", HFS_O_RDWR, 0, &ip));
	EXPECT_TRUE(t, verify(ip, n, 2 * n - 1));
	/* punch the middle, collapse, insert: all across node boundaries */
	ASSERT_OK(t, hfs_fallocate(ip, HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE,
				   1000 * 4096, 1000 * 4096, NULL));
	EXPECT_TRUE(t, verify(ip, 500, 1000));
	ASSERT_OK(t, hfs_fallocate(ip, HFS_FALLOC_INSERT, 5800 * 4096, 64 * 4096, NULL));
	ASSERT_OK(t, hfs_fallocate(ip, HFS_FALLOC_COLLAPSE, 5800 * 4096, 64 * 4096, NULL));
	EXPECT_TRUE(t, verify(ip, 500, 1000));
	{
		/* Shifting the whole file may not fit a tiny journal: then nothing changes. */
		int r = hfs_fallocate(ip, HFS_FALLOC_INSERT, 0, 64 * 4096, NULL);

		if (r == 0)
			ASSERT_OK(t, hfs_fallocate(ip, HFS_FALLOC_COLLAPSE, 0, 64 * 4096, NULL));
		else
			EXPECT_ERR(t, r, -ENOSPC);
		EXPECT_TRUE(t, verify(ip, 500, 1000));
		EXPECT_TRUE(t, check_tail(ip, n));
	}
	ASSERT_OK(t, hfs_truncate(ip, 0, NULL));
	EXPECT_EQ(t, ip->d.depth, 0u);
	EXPECT_EQ(t, ip->d.blocks, 0u);
	hfs_iput(ip);
	hfs_statfs(fs, &s1);
	EXPECT_EQ(t, s1.free_blocks, s0.free_blocks);
	ht_teardown(t, &h, fs);
}

/* Unlink of a big fragmented file: an orphan freed over many transactions. */
KTEST(holdfs_tree, big_unlink_and_crash_midway)
{
	struct hfs_host_pm h, copy;
	struct hfs_fs *fs = ht_setup(t, &h, 64 * MiB), *fs2;
	struct hfs_inode *ip;
	struct hfs_statfs s0, s1;

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, ht_put(fs, "/x", "", 0));
	hfs_statfs(fs, &s0);
	ASSERT_OK(t, hfs_open(fs, "/frag", HFS_O_RDWR | HFS_O_CREAT, 0644, &ip));
	ASSERT_OK(t, fragment(ip, 2000));
	/* truncate with an intent; take a "crash" copy right after */
	ASSERT_OK(t, hfs_truncate(ip, 4096 * 10, NULL));
	EXPECT_TRUE(t, verify(ip, 5, 10));
	hfs_iput(ip);
	ASSERT_OK(t, hfs_unlink(fs, "/frag", NULL));
	hfs_statfs(fs, &s1);
	EXPECT_EQ(t, s1.free_blocks, s0.free_blocks);
	/* now a crash while an orphan is half freed */
	ASSERT_OK(t, hfs_open(fs, "/frag2", HFS_O_RDWR | HFS_O_CREAT, 0644, &ip));
	ASSERT_OK(t, fragment(ip, 2000));
	ASSERT_OK(t, hfs_unlink(fs, "/frag2", NULL));
	ASSERT_OK(t, hfs_host_mem(h.size, &copy));
	memcpy(copy.base, h.base, h.size);
	hfs_iput(ip);
	ASSERT_OK(t, hfs_mount(&copy.pm, 0, &fs2));
	hfs_statfs(fs2, &s1);
	EXPECT_EQ(t, s1.free_blocks, s0.free_blocks);
	ht_teardown(t, &copy, fs2);
	ht_teardown(t, &h, fs);
}
