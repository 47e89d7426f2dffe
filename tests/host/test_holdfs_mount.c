/*
 * test_holdfs_mount.c - holdfs mount: damaged superblocks, the clean flag,
 * read-only mounts, journal replay and its checksum, crash recovery.
 */
#include <stdlib.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <lib/crc.h>
#include <lib/compiler.h>
#include "holdfs_test_util.h"

static void sb_edit(struct hfs_host_pm *h, uint64_t block, void (*edit)(struct hfs_dsuper *),
		    bool fix_crc)
{
	struct hfs_dsuper sb;

	memcpy(&sb, h->base + block * HFS_BLOCK_SIZE, sizeof(sb));
	edit(&sb);
	if (fix_crc)
		sb.crc = hfs_sb_crc(&sb);
	memcpy(h->base + block * HFS_BLOCK_SIZE, &sb, sizeof(sb));
}

static void e_magic(struct hfs_dsuper *sb) { sb->magic ^= 1; }
static void e_version(struct hfs_dsuper *sb) { sb->version = 99; }
static void e_crc(struct hfs_dsuper *sb) { sb->label[3] ^= 0x55; }
static void e_geometry(struct hfs_dsuper *sb) { sb->nblocks *= 2; }
static void e_feature(struct hfs_dsuper *sb) { sb->feature_incompat = 0x80; }
static void e_journal(struct hfs_dsuper *sb) { sb->journal_blocks = 1; }

static int try_mount(struct hfs_host_pm *h)
{
	struct hfs_fs *fs;
	int err = hfs_mount(&h->pm, 0, &fs);

	if (!err)
		hfs_unmount(fs);
	return err;
}

/* Append a redo record {off, len} + @src (padded) at @pos of @buf. */
static size_t put_rec(uint8_t *buf, size_t pos, uint64_t off, const void *src, uint32_t len)
{
	struct hfs_djrec r = { .off = off, .len = len };

	memcpy(buf + pos, &r, sizeof(r));
	memset(buf + pos + sizeof(r), 0, ALIGN_UP(len, (uint32_t)HFS_JNL_ALIGN));
	memcpy(buf + pos + sizeof(r), src, len);
	return pos + sizeof(r) + ALIGN_UP(len, (uint32_t)HFS_JNL_ALIGN);
}

/* Finish the transaction of @end bytes in @buf: header with @magic, @crc. */
static void put_hdr(uint8_t *buf, size_t end, uint32_t nrec, uint32_t magic, uint32_t crc)
{
	struct hfs_djtx hdr = { .magic = magic, .crc = crc, .seq = 7, .nrec = nrec,
				.bytes = (uint32_t)(end - sizeof(hdr)) };

	memcpy(buf, &hdr, sizeof(hdr));
}

static bool replay(struct hfs_host_pm *h, const struct hfs_dsuper *sb, const void *tx,
		   size_t len)
{
	bool replayed = false;

	memcpy(h->base + HFS_BLOCK_OFF(sb->journal_start), tx, len);
	if (hfs_journal_replay(&h->pm, sb->journal_start, sb->journal_blocks, sb->nblocks,
			       &replayed))
		return false;
	return replayed;
}

/*
 * A transaction verifies by the checksum its magic names: the current sum
 * ("HFSK") or, for journals written before it, zlib's CRC-32 ("HFSJ").
 * A checksum of the other kind, or any changed byte, is not committed.
 */
KTEST(holdfs_mount, journal_replays_both_checksum_generations)
{
	struct hfs_host_pm h;
	struct hfs_dsuper sb;
	uint8_t tx[256], data[40];
	uint64_t target;
	size_t end;

	ASSERT_OK(t, ht_mkfs(&h, 8 * MiB));
	memcpy(&sb, h.base, sizeof(sb));
	target = HFS_BLOCK_OFF(sb.data_start + 3);	/* a free data block */
	memset(tx, 0, sizeof(tx));
	memset(data, 0x11, sizeof(data));
	end = put_rec(tx, sizeof(struct hfs_djtx), target, data, sizeof(data));

	put_hdr(tx, end, 1, HFS_JNL_MAGIC_CRC32, 0);
	put_hdr(tx, end, 1, HFS_JNL_MAGIC_CRC32, crc32_ieee(0, tx, end));
	EXPECT_TRUE(t, replay(&h, &sb, tx, end));
	EXPECT_EQ(t, h.base[target + 39], 0x11);
	EXPECT_EQ(t, *(uint64_t *)(h.base + HFS_BLOCK_OFF(sb.journal_start)), 0u); /* cleared */

	memset(data, 0x22, sizeof(data));
	end = put_rec(tx, sizeof(struct hfs_djtx), target, data, sizeof(data));
	put_hdr(tx, end, 1, HFS_JNL_MAGIC, 0);
	put_hdr(tx, end, 1, HFS_JNL_MAGIC, crc32_ieee(0, tx, end));	/* wrong kind */
	EXPECT_FALSE(t, replay(&h, &sb, tx, end));
	EXPECT_EQ(t, h.base[target], 0x11);

	put_hdr(tx, end, 1, HFS_JNL_MAGIC, 0);
	put_hdr(tx, end, 1, HFS_JNL_MAGIC, hfs_journal_sum(tx, end));
	tx[end - 1] ^= 1;						/* torn */
	EXPECT_FALSE(t, replay(&h, &sb, tx, end));
	EXPECT_EQ(t, h.base[target], 0x11);
	tx[end - 1] ^= 1;
	EXPECT_TRUE(t, replay(&h, &sb, tx, end));
	EXPECT_EQ(t, h.base[target], 0x22);
	EXPECT_EQ(t, h.base[target + 39], 0x22);
	hfs_host_close(&h);
}

/*
 * Why the commit checksum is not CRC-32C: a bitmap line carries the CRC-32C
 * of its own bits, and a CRC-32C over the transaction cannot tell two
 * valid versions of the line apart (shown below), so an old line left in
 * the journal would pass for the new one.  The journal's sum can.
 */
KTEST(holdfs_mount, journal_sum_tells_bitmap_line_versions_apart)
{
	uint64_t bits_a[8] = { 0x0f }, bits_b[8] = { 0xf0f0, 0, 1 };
	struct hfs_dbmline a, b;
	uint8_t tx_a[128], tx_b[128];
	size_t end;

	hfs_bm_line_image(bits_a, 480, 0, &a);
	hfs_bm_line_image(bits_b, 480, 0, &b);
	ASSERT_NE(t, a.crc, b.crc);
	memset(tx_a, 0, sizeof(tx_a));
	memset(tx_b, 0, sizeof(tx_b));
	end = put_rec(tx_a, sizeof(struct hfs_djtx), 8192, &a, sizeof(a));
	put_rec(tx_b, sizeof(struct hfs_djtx), 8192, &b, sizeof(b));
	put_hdr(tx_a, end, 1, HFS_JNL_MAGIC, 0);
	put_hdr(tx_b, end, 1, HFS_JNL_MAGIC, 0);
	EXPECT_EQ(t, crc32c(0, tx_a, end), crc32c(0, tx_b, end));	/* blind */
	EXPECT_NE(t, hfs_journal_sum(tx_a, end), hfs_journal_sum(tx_b, end));
	EXPECT_NE(t, crc32_ieee(0, tx_a, end), crc32_ieee(0, tx_b, end));
}

/*
 * A bitmap line's media image holds bit (line * 480 + 8 * i + k) in bit k
 * of byte i, and nothing past the map's last bit.  Whole lines are copied
 * from the DRAM words, the last partial one bit by bit: both must agree
 * with the bits one at a time.
 */
KTEST(holdfs_mount, bitmap_line_image_holds_the_bits_in_order)
{
	uint64_t map[32], nbits = 32 * 64 - 37, seed = 12345;
	struct hfs_dbmline l;

	for (size_t i = 0; i < 32; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		map[i] = seed ^ (seed >> 29);
	}
	for (uint64_t line = 0; line * HFS_BM_LINE_BITS < nbits; line++) {
		int bad = 0;

		hfs_bm_line_image(map, nbits, line, &l);
		for (unsigned b = 0; b < HFS_BM_LINE_BITS; b++) {
			uint64_t bit = line * HFS_BM_LINE_BITS + b;
			bool want = bit < nbits && (map[bit / 64] >> (bit % 64) & 1);

			bad += ((l.bits[b / 8] >> (b % 8)) & 1) != want;
		}
		EXPECT_EQ(t, bad, 0);
		EXPECT_EQ(t, l.crc, hfs_bm_line_crc(line, &l));
	}
}

KTEST(holdfs_mount, refuses_damaged_superblocks_with_a_reason)
{
	struct hfs_host_pm h;
	uint64_t last;

	ASSERT_OK(t, ht_mkfs(&h, 8 * MiB));
	last = h.size / HFS_BLOCK_SIZE - 1;
	/* A bad primary alone falls back to the backup. */
	sb_edit(&h, 0, e_crc, false);
	EXPECT_OK(t, try_mount(&h));
	/* ...which also rewrote the primary. */
	EXPECT_EQ(t, ht_fsck(&h, false), HFS_FSCK_CLEAN);
	sb_edit(&h, 0, e_magic, true);
	sb_edit(&h, last, e_magic, true);
	EXPECT_ERR(t, try_mount(&h), -EINVAL);
	EXPECT_STREQ(t, hfs_host_last_log,
		     "holdfs: not a holdfs filesystem (no holdfs magic in the superblock or in "
		     "its backup in the last block): format it with mkfs.holdfs (this erases "
		     "the image)\n");
	EXPECT_EQ(t, ht_fsck(&h, false), HFS_FSCK_NOT_HOLDFS);
	sb_edit(&h, 0, e_magic, true);
	sb_edit(&h, last, e_magic, true);
	EXPECT_OK(t, try_mount(&h));

	sb_edit(&h, 0, e_version, true);
	sb_edit(&h, last, e_version, true);
	EXPECT_ERR(t, try_mount(&h), -EOPNOTSUPP);
	EXPECT_STREQ(t, hfs_host_last_log,
		     "holdfs: this filesystem is format version 99; this build reads versions 1 "
		     "to 2 only: use a Holdfast build that reads version 99 (mkfs.holdfs would "
		     "erase the data)\n");
	EXPECT_EQ(t, ht_fsck(&h, false), HFS_FSCK_NOT_HOLDFS);
	hfs_host_close(&h);

	ASSERT_OK(t, ht_mkfs(&h, 8 * MiB));
	sb_edit(&h, 0, e_crc, false);
	sb_edit(&h, last, e_crc, false);
	EXPECT_ERR(t, try_mount(&h), -EUCLEAN);
	EXPECT_NOT_NULL(t, strstr(hfs_host_last_log, "checksum"));
	EXPECT_EQ(t, ht_fsck(&h, true), HFS_FSCK_ERRORS);
	hfs_host_close(&h);

	ASSERT_OK(t, ht_mkfs(&h, 8 * MiB));
	sb_edit(&h, 0, e_geometry, true);
	sb_edit(&h, last, e_geometry, true);
	EXPECT_ERR(t, try_mount(&h), -EUCLEAN);
	EXPECT_NOT_NULL(t, strstr(hfs_host_last_log, "larger than the device"));
	hfs_host_close(&h);

	ASSERT_OK(t, ht_mkfs(&h, 8 * MiB));
	sb_edit(&h, 0, e_feature, true);
	EXPECT_ERR(t, try_mount(&h), -EOPNOTSUPP);
	EXPECT_NOT_NULL(t, strstr(hfs_host_last_log, "features this build does not know "
				  "(incompat 0x80, ro_compat 0)"));
	hfs_host_close(&h);
	ASSERT_OK(t, ht_mkfs(&h, 8 * MiB));
	sb_edit(&h, 0, e_journal, true);
	sb_edit(&h, last, e_journal, true);
	EXPECT_ERR(t, try_mount(&h), -EUCLEAN);
	hfs_host_close(&h);
}

KTEST(holdfs_mount, refuses_truncated_image)
{
	struct hfs_host_pm h, half;

	ASSERT_OK(t, ht_mkfs(&h, 8 * MiB));
	ASSERT_OK(t, hfs_host_mem(4 * MiB, &half));
	memcpy(half.base, h.base, 4 * MiB);
	EXPECT_ERR(t, try_mount(&half), -EUCLEAN);
	EXPECT_NOT_NULL(t, strstr(hfs_host_last_log, "truncated"));
	EXPECT_EQ(t, ht_fsck(&half, true), HFS_FSCK_ERRORS);
	hfs_host_close(&half);
	ASSERT_OK(t, hfs_host_mem(4096, &half));
	EXPECT_ERR(t, try_mount(&half), -EINVAL);
	EXPECT_STREQ(t, hfs_host_last_log,
		     "holdfs: the device is 4096 bytes, too small for holdfs (it needs at least "
		     "262144): use a larger image and format it with mkfs.holdfs\n");
	EXPECT_EQ(t, ht_fsck(&half, false), HFS_FSCK_NOT_HOLDFS);
	EXPECT_ERR(t, hfs_mkfs(&half.pm, NULL), -EINVAL);
	EXPECT_NOT_NULL(t, strstr(hfs_host_last_log, "at least"));
	hfs_host_close(&half);
	hfs_host_close(&h);
}

KTEST(holdfs_mount, clean_flag_and_readonly)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 8 * MiB);
	const struct hfs_dsuper *sb;
	struct hfs_inode *ip;

	ASSERT_NOT_NULL(t, fs);
	sb = (const void *)h.base;
	EXPECT_EQ(t, sb->state, (uint32_t)HFS_STATE_DIRTY);
	ASSERT_OK(t, ht_put(fs, "/f", "abc", 3));
	ASSERT_OK(t, hfs_unmount(fs));
	EXPECT_EQ(t, sb->state, (uint32_t)HFS_STATE_CLEAN);
	ASSERT_OK(t, hfs_mount(&h.pm, HFS_MOUNT_RDONLY, &fs));
	EXPECT_ERR(t, hfs_mkdir(fs, "/d", 0755), -EROFS);
	EXPECT_ERR(t, hfs_open(fs, "/f", HFS_O_RDWR, 0, &ip), -EROFS);
	ASSERT_OK(t, hfs_open(fs, "/f", HFS_O_RDONLY, 0, &ip));
	EXPECT_ERR(t, hfs_write(ip, 0, "x", 1), -EROFS);
	hfs_iput(ip);
	EXPECT_EQ(t, sb->state, (uint32_t)HFS_STATE_CLEAN);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_mount, damaged_inode_and_directory_are_refused_not_trusted)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 8 * MiB);
	struct hfs_stat st;
	struct hfs_inode *ip;
	uint64_t ino, off;

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, hfs_mkdir(fs, "/d", 0755));
	ASSERT_OK(t, ht_put(fs, "/d/f", "abc", 3));
	ASSERT_OK(t, hfs_stat(fs, "/d/f", true, &st));
	ino = st.ino;
	ASSERT_OK(t, hfs_unmount(fs));
	/* flip a byte of the file's inode (inside the checksum) */
	off = hfs_inode_off(&(struct hfs_fs){ .itable_start =
		((const struct hfs_dsuper *)h.base)->itable_start }, ino);
	h.base[off + 40] ^= 0x10;
	ASSERT_OK(t, hfs_mount(&h.pm, 0, &fs));
	EXPECT_ERR(t, hfs_open(fs, "/d/f", HFS_O_RDONLY, 0, &ip), -EUCLEAN);
	EXPECT_NOT_NULL(t, strstr(hfs_host_last_log, "corrupt"));
	ASSERT_OK(t, hfs_unmount(fs));
	EXPECT_EQ(t, ht_fsck(&h, false), HFS_FSCK_ERRORS);
	EXPECT_EQ(t, ht_fsck(&h, true), HFS_FSCK_REPAIRED);
	EXPECT_EQ(t, ht_fsck(&h, false), HFS_FSCK_CLEAN);
	ASSERT_OK(t, hfs_mount(&h.pm, 0, &fs));
	EXPECT_ERR(t, hfs_stat(fs, "/d/f", true, &st), -ENOENT);
	ht_teardown(t, &h, fs);
}

/*
 * Crash consistency, coarsely: stop the device taking writes after the
 * k-th store of an operation, for every k, and check that mount recovers
 * a filesystem fsck calls clean, showing the operation done or not done.
 */
struct crash_pm {
	struct hfs_host_pm h;
	struct hfs_pm_ops ops;
	const struct hfs_pm_ops *real;
	long budget;			/* stores left; < 0: unlimited */
};
static struct crash_pm *crash_of(struct hfs_pm *pm)
{
	return (struct crash_pm *)pm;
}
static bool take(struct hfs_pm *pm)
{
	struct crash_pm *c = crash_of(pm);

	if (c->budget < 0)
		return true;
	if (c->budget == 0)
		return false;
	c->budget--;
	return true;
}
static void c_write(struct hfs_pm *pm, uint64_t off, const void *src, size_t len)
{
	if (take(pm))
		crash_of(pm)->real->write(pm, off, src, len);
}
static void c_zero(struct hfs_pm *pm, uint64_t off, size_t len)
{
	if (take(pm))
		crash_of(pm)->real->zero(pm, off, len);
}

typedef int (*crash_op)(struct hfs_fs *fs);

static int op_create(struct hfs_fs *fs) { return ht_put(fs, "/d/new", "new!", 4); }
static int op_unlink(struct hfs_fs *fs) { return hfs_unlink(fs, "/d/old", NULL); }
static int op_rename(struct hfs_fs *fs) { return hfs_rename(fs, "/d/old", "/d/other", NULL); }
static int op_mkdir(struct hfs_fs *fs) { return hfs_mkdir(fs, "/d/sub", 0755); }
static int op_truncate(struct hfs_fs *fs)
{
	struct hfs_inode *ip;
	int err = hfs_open(fs, "/d/old", HFS_O_RDWR, 0, &ip);

	if (!err) {
		err = hfs_truncate(ip, 100, NULL);
		hfs_iput(ip);
	}
	return err;
}

static void crash_run(struct ktest *t, crash_op op, const char *name)
{
	long k;

	for (k = 0;; k++) {
		struct crash_pm c;
		struct hfs_fs *fs;
		int err;
		static uint8_t data[300000];

		memset(data, 7, sizeof(data));
		ASSERT_OK(t, ht_mkfs(&c.h, 8 * MiB));
		c.real = c.h.pm.ops;
		c.ops = *c.real;
		c.ops.write = c.ops.write_nt = c_write;
		c.ops.zero = c_zero;
		c.h.pm.ops = &c.ops;
		c.budget = -1;
		ASSERT_OK(t, hfs_mount(&c.h.pm, 0, &fs));
		ASSERT_OK(t, hfs_mkdir(fs, "/d", 0755));
		ASSERT_OK(t, ht_put(fs, "/d/old", data, sizeof(data)));
		ASSERT_OK(t, hfs_link(fs, "/d/old", "/d/old2"));
		c.budget = k;
		err = op(fs);
		if (c.budget > 0) {	/* the op finished within k stores */
			ASSERT_OK(t, err);
			hfs_unmount(fs);
			hfs_host_close(&c.h);
			ktest_log(t, "%s: %ld crash points, all recovered", name, k);
			return;
		}
		/* Power loss: forget the mounted state, mount what is on "media". */
		c.budget = -1;
		c.h.pm.ops = c.real;
		{
			struct hfs_fs *fs2;

			err = hfs_mount(&c.h.pm, 0, &fs2);
			if (err) {
				ktest_fail_msg(t, "%s: crash after %ld stores: mount %d (%s)",
					       name, k, err, hfs_host_last_log);
				return;
			}
			hfs_unmount(fs2);
			err = ht_fsck(&c.h, false);
			if (err != HFS_FSCK_CLEAN) {
				ktest_fail_msg(t, "%s: crash after %ld stores: fsck %d (%s)",
					       name, k, err, hfs_host_last_log);
				return;
			}
		}
		hfs_forget(fs);
		hfs_host_close(&c.h);
	}
}

KTEST(holdfs_mount, crash_at_every_store_recovers)
{
	crash_run(t, op_create, "create");
	crash_run(t, op_unlink, "unlink");
	crash_run(t, op_rename, "rename");
	crash_run(t, op_mkdir, "mkdir");
	crash_run(t, op_truncate, "truncate");
}
