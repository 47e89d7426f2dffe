/*
 * test_holdfs_files.c - holdfs file data: read/write, sparse files,
 * truncate, fallocate modes, the DAX lookup.
 */
#include <stdlib.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "holdfs_test_util.h"

/* Geometry of the image in @h (for poking at it). */
static const struct hfs_dsuper *sbof(struct hfs_host_pm *h)
{
	return (const void *)h->base;
}

static struct hfs_dinode *dino(struct hfs_host_pm *h, uint64_t ino)
{
	return (struct hfs_dinode *)(h->base + sbof(h)->itable_start * HFS_BLOCK_SIZE +
				     ino * HFS_INODE_SIZE);
}

static void reseal(struct hfs_dinode *d)
{
	d->crc = hfs_dinode_crc(d);
}

/* A small tree: /a (file), /d (dir) with /d/b (file), /d/e (dir); unmounted. */
static bool build(struct ktest *t, struct hfs_host_pm *h, uint64_t *ino_a, uint64_t *ino_d,
		  uint64_t *ino_b)
{
	struct hfs_fs *fs = ht_setup(t, h, 8 * MiB);
	struct hfs_stat st;
	static uint8_t data[20000];

	if (!fs)
		return false;
	memset(data, 9, sizeof(data));
	if (ht_put(fs, "/a", data, sizeof(data)) || hfs_mkdir(fs, "/d", 0755) ||
	    ht_put(fs, "/d/b", data, 5000) || hfs_mkdir(fs, "/d/e", 0755))
		return false;
	hfs_stat(fs, "/a", true, &st);
	*ino_a = st.ino;
	hfs_stat(fs, "/d", true, &st);
	*ino_d = st.ino;
	hfs_stat(fs, "/d/b", true, &st);
	*ino_b = st.ino;
	return hfs_unmount(fs) == 0;
}

KTEST(holdfs_fsck, clean_image_is_clean)
{
	struct hfs_host_pm h;
	uint64_t a, d, b;

	ASSERT_TRUE(t, build(t, &h, &a, &d, &b));
	EXPECT_EQ(t, ht_fsck(&h, false), HFS_FSCK_CLEAN);
	EXPECT_EQ(t, ht_fsck(&h, true), HFS_FSCK_CLEAN);
	hfs_host_close(&h);
}

static void expect_repair(struct ktest *t, struct hfs_host_pm *h)
{
	EXPECT_EQ(t, ht_fsck(h, false), HFS_FSCK_ERRORS);
	EXPECT_EQ(t, ht_fsck(h, true), HFS_FSCK_REPAIRED);
	EXPECT_EQ(t, ht_fsck(h, false), HFS_FSCK_CLEAN);
	{
		struct hfs_fs *fs;

		EXPECT_OK(t, hfs_mount(&h->pm, 0, &fs));
		if (!ktest_failed(t))
			hfs_unmount(fs);
	}
}

KTEST(holdfs_fsck, repairs_block_bitmap)
{
	struct hfs_host_pm h;
	uint64_t a, d, b;
	struct hfs_dbmline *l;

	ASSERT_TRUE(t, build(t, &h, &a, &d, &b));
	/* mark a free block used (a leak), and reseal the line */
	l = (void *)(h.base + sbof(&h)->bbitmap_start * HFS_BLOCK_SIZE + 64 * 3);
	l->bits[5] ^= 0x20;
	l->crc = hfs_bm_line_crc(3, l);
	expect_repair(t, &h);
	/* a bad line checksum */
	l->bits[0] ^= 1;
	expect_repair(t, &h);
	hfs_host_close(&h);
}

KTEST(holdfs_fsck, repairs_link_counts)
{
	struct hfs_host_pm h;
	uint64_t a, d, b;

	ASSERT_TRUE(t, build(t, &h, &a, &d, &b));
	dino(&h, a)->nlink = 5;
	reseal(dino(&h, a));
	dino(&h, d)->nlink = 2;
	reseal(dino(&h, d));
	expect_repair(t, &h);
	EXPECT_EQ(t, dino(&h, a)->nlink, 1u);
	EXPECT_EQ(t, dino(&h, d)->nlink, 3u);
	hfs_host_close(&h);
}

KTEST(holdfs_fsck, frees_corrupt_inode_and_its_entry)
{
	struct hfs_host_pm h;
	uint64_t a, d, b;
	struct hfs_fs *fs;
	struct hfs_stat st;

	ASSERT_TRUE(t, build(t, &h, &a, &d, &b));
	dino(&h, b)->ctime_ns ^= 1;		/* checksum now wrong */
	expect_repair(t, &h);
	ASSERT_OK(t, hfs_mount(&h.pm, 0, &fs));
	EXPECT_ERR(t, hfs_stat(fs, "/d/b", true, &st), -ENOENT);
	EXPECT_OK(t, hfs_stat(fs, "/a", true, &st));
	hfs_unmount(fs);
	hfs_host_close(&h);
}

KTEST(holdfs_fsck, drops_entry_to_free_inode_and_second_dir_entry)
{
	struct hfs_host_pm h;
	uint64_t a, d, b;

	ASSERT_TRUE(t, build(t, &h, &a, &d, &b));
	/* unlink-by-bitmap: inode b is free but /d/b still names it */
	{
		struct hfs_dbmline *l = (void *)(h.base + sbof(&h)->ibitmap_start * HFS_BLOCK_SIZE);

		l->bits[b / 8] &= (uint8_t)~(1u << (b % 8));
		l->crc = hfs_bm_line_crc(0, l);
	}
	expect_repair(t, &h);
	hfs_host_close(&h);

	/* a loop: make /d's parent field point at /d/e and add nothing else */
	ASSERT_TRUE(t, build(t, &h, &a, &d, &b));
	dino(&h, d)->parent = d + 99;
	reseal(dino(&h, d));
	expect_repair(t, &h);
	EXPECT_EQ(t, dino(&h, d)->parent, (uint64_t)HFS_ROOT_INO);
	hfs_host_close(&h);
}

KTEST(holdfs_fsck, block_owned_twice)
{
	struct hfs_host_pm h;
	uint64_t a, d, b;

	ASSERT_TRUE(t, build(t, &h, &a, &d, &b));
	dino(&h, b)->root[0].pblk = dino(&h, a)->root[0].pblk;
	reseal(dino(&h, b));
	expect_repair(t, &h);
	hfs_host_close(&h);
}

KTEST(holdfs_fsck, extent_past_the_device)
{
	struct hfs_host_pm h;
	uint64_t a, d, b;
	struct hfs_fs *fs;
	struct hfs_inode *ip;

	ASSERT_TRUE(t, build(t, &h, &a, &d, &b));
	dino(&h, a)->root[0].pblk = sbof(&h)->nblocks + 5;
	reseal(dino(&h, a));
	ASSERT_OK(t, hfs_mount(&h.pm, 0, &fs));
	EXPECT_ERR(t, hfs_open(fs, "/a", HFS_O_RDONLY, 0, &ip), -EUCLEAN);
	hfs_unmount(fs);
	expect_repair(t, &h);
	hfs_host_close(&h);
}

KTEST(holdfs_fsck, restores_primary_superblock)
{
	struct hfs_host_pm h;
	uint64_t a, d, b;

	ASSERT_TRUE(t, build(t, &h, &a, &d, &b));
	memset(h.base + 180, 0xee, 8);	/* the label: checksum fails */
	EXPECT_EQ(t, ht_fsck(&h, false), HFS_FSCK_ERRORS);
	EXPECT_EQ(t, ht_fsck(&h, true), HFS_FSCK_REPAIRED);
	EXPECT_EQ(t, ht_fsck(&h, false), HFS_FSCK_CLEAN);
	hfs_host_close(&h);
}

KTEST(holdfs_fsck, garbage_image_does_not_crash)
{
	struct hfs_host_pm h;
	uint64_t a, d, b, i, seed = 12345;
	int round;

	for (round = 0; round < 20; round++) {
		struct hfs_fs *fs;

		ASSERT_TRUE(t, build(t, &h, &a, &d, &b));
		/* scribble over metadata (not the superblocks) */
		for (i = 0; i < 200; i++) {
			uint64_t off;

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			off = HFS_BLOCK_SIZE + (seed >> 20) % (sbof(&h)->data_start * HFS_BLOCK_SIZE +
						       64 * HFS_BLOCK_SIZE);
			h.base[off] ^= (uint8_t)(seed >> 8);
		}
		if (hfs_mount(&h.pm, 0, &fs) == 0) {
			struct hfs_stat st;
			uint8_t buf[100];

			hfs_stat(fs, "/d/b", true, &st);
			ht_get(fs, "/a", buf, sizeof(buf));
			ht_put(fs, "/new", "x", 1);
			hfs_unlink(fs, "/a", NULL);
			hfs_unmount(fs);
		}
		ht_fsck(&h, true);
		EXPECT_NE(t, ht_fsck(&h, false), HFS_FSCK_REPAIRED);
		hfs_host_close(&h);
	}
}
