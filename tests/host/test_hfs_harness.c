/*
 * test_hfs_harness.c - known-answer tests of the holdfs test oracles
 * themselves: the reference model (hfs_model.c) and the recording pmem
 * device with its crash-image generator (hfs_memdev.c).  They need no
 * holdfs core, so they run even while the core is being written.
 *
 *	build/host/test_hfs_harness [hfsm|memdev]
 */
#include <stdlib.h>
#include <lib/ktest.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "hfs_model.h"
#include "hfs_memdev.h"

#define KEEP	HFS_FALLOC_KEEP_SIZE
#define PUNCH	HFS_FALLOC_PUNCH_HOLE
#define ZERO	HFS_FALLOC_ZERO_RANGE
#define COLL	HFS_FALLOC_COLLAPSE
#define INS	HFS_FALLOC_INSERT
#define BS	HFS_BLOCK_SIZE

static uint32_t creat(struct hfsm *m, const char *p)
{
	uint32_t id = 0;

	if (hfsm_open(m, p, HFS_O_CREAT | HFS_O_RDWR, 0644, &id) == 0)
		hfsm_put(m, id);
	return id;
}

static int nlink_of(struct hfsm *m, const char *p)
{
	struct hfs_stat st;

	return hfsm_stat(m, p, false, &st) ? -1 : (int)st.nlink;
}

/* A model of an empty root: these tests count the root's entries and
 * links, so they start without the /lost+found that mkfs makes. */
static struct hfsm *empty_model(void)
{
	struct hfsm *m = hfsm_new();

	hfsm_rmdir(m, "/lost+found");
	return m;
}

KTEST(hfsm, open_create_flags)
{
	struct hfsm *m = empty_model();
	uint32_t id, id2;

	EXPECT_ERR(t, hfsm_open(m, "/f", HFS_O_RDWR, 0644, &id), -ENOENT);
	ASSERT_OK(t, hfsm_open(m, "/f", HFS_O_CREAT | HFS_O_RDWR, 0640, &id));
	EXPECT_EQ(t, hfsm_node(m, id)->perm, 0640u);
	EXPECT_ERR(t, hfsm_open(m, "/f", HFS_O_CREAT | HFS_O_EXCL, 0644, &id2), -EEXIST);
	EXPECT_EQ(t, hfsm_write(m, id, 0, "hello", 5), 5);
	ASSERT_OK(t, hfsm_open(m, "/f", HFS_O_RDONLY | HFS_O_TRUNC, 0, &id2));
	EXPECT_EQ(t, id2, id);
	EXPECT_EQ(t, hfsm_node(m, id)->size, 0u);
	EXPECT_ERR(t, hfsm_open(m, "/nodir/f", HFS_O_CREAT, 0644, &id2), -ENOENT);
	EXPECT_ERR(t, hfsm_open(m, "/f/x", HFS_O_CREAT, 0644, &id2), -ENOTDIR);
	EXPECT_ERR(t, hfsm_open(m, "f", HFS_O_RDONLY, 0, &id2), -EINVAL);
	hfsm_put(m, id);
	hfsm_put(m, id);
	hfsm_free(m);
}

KTEST(hfsm, open_directory)
{
	struct hfsm *m = empty_model();
	uint32_t id;

	ASSERT_OK(t, hfsm_mkdir(m, "/d", 0755));
	ASSERT_OK(t, hfsm_open(m, "/d", HFS_O_RDONLY, 0, &id));
	hfsm_put(m, id);
	EXPECT_ERR(t, hfsm_open(m, "/d", HFS_O_RDWR, 0, &id), -EISDIR);
	EXPECT_ERR(t, hfsm_open(m, "/d", HFS_O_CREAT, 0644, &id), -EISDIR);
	EXPECT_ERR(t, hfsm_open(m, "/d", HFS_O_RDONLY | HFS_O_TRUNC, 0, &id), -EISDIR);
	EXPECT_ERR(t, hfsm_open(m, "/d", HFS_O_CREAT | HFS_O_EXCL, 0644, &id), -EEXIST);
	hfsm_free(m);
}

KTEST(hfsm, names_up_to_255_bytes)
{
	struct hfsm *m = empty_model();
	char p[300];

	p[0] = '/';
	memset(p + 1, 'x', 255);
	p[256] = 0;
	EXPECT_NE(t, creat(m, p), 0u);
	memset(p + 1, 'y', 256);
	p[257] = 0;
	EXPECT_ERR(t, hfsm_mkdir(m, p, 0755), -ENAMETOOLONG);
	EXPECT_EQ(t, hfsm_dir_count(m, m->root), 1u);
	hfsm_free(m);
}

KTEST(hfsm, sparse_write_and_read)
{
	struct hfsm *m = empty_model();
	uint32_t id;
	uint8_t buf[16];

	ASSERT_OK(t, hfsm_open(m, "/f", HFS_O_CREAT | HFS_O_RDWR, 0644, &id));
	EXPECT_EQ(t, hfsm_write(m, id, 10000, "ab", 2), 2);
	EXPECT_EQ(t, hfsm_node(m, id)->size, 10002u);
	memset(buf, 0xff, sizeof(buf));
	EXPECT_EQ(t, hfsm_read(m, id, 9990, buf, 16), 12);
	EXPECT_EQ(t, buf[0], 0);
	EXPECT_EQ(t, buf[10], 'a');
	EXPECT_EQ(t, hfsm_read(m, id, 10002, buf, 16), 0);
	EXPECT_EQ(t, hfsm_write(m, id, 0, "", 0), 0);
	EXPECT_TRUE(t, hfsm_node(m, id)->dirty);
	EXPECT_OK(t, hfsm_fsync(m, id));
	EXPECT_FALSE(t, hfsm_node(m, id)->dirty);
	hfsm_put(m, id);
	hfsm_free(m);
}

KTEST(hfsm, truncate_shrink_then_grow_reads_zeros)
{
	struct hfsm *m = empty_model();
	uint32_t id;
	uint8_t buf[4];

	ASSERT_OK(t, hfsm_open(m, "/f", HFS_O_CREAT | HFS_O_RDWR, 0644, &id));
	EXPECT_EQ(t, hfsm_write(m, id, 0, "abcd", 4), 4);
	EXPECT_OK(t, hfsm_truncate(m, id, 1));
	EXPECT_OK(t, hfsm_truncate(m, id, 4));
	EXPECT_EQ(t, hfsm_read(m, id, 0, buf, 4), 4);
	EXPECT_MEMEQ(t, buf, "a\0\0\0", 4);
	hfsm_put(m, id);
	hfsm_free(m);
}

KTEST(hfsm, fallocate_mode_checks)
{
	struct hfsm *m = empty_model();
	uint32_t id, d;

	ASSERT_OK(t, hfsm_open(m, "/f", HFS_O_CREAT | HFS_O_RDWR, 0644, &id));
	EXPECT_OK(t, hfsm_truncate(m, id, 4 * BS));
	EXPECT_ERR(t, hfsm_fallocate(m, id, 0, 0, 0), -EINVAL);
	EXPECT_ERR(t, hfsm_fallocate(m, id, 0x40, 0, 1), -EOPNOTSUPP);
	EXPECT_ERR(t, hfsm_fallocate(m, id, PUNCH, 0, 1), -EOPNOTSUPP);
	EXPECT_ERR(t, hfsm_fallocate(m, id, PUNCH | ZERO | KEEP, 0, 1), -EOPNOTSUPP);
	EXPECT_ERR(t, hfsm_fallocate(m, id, COLL | KEEP, 0, BS), -EINVAL);
	EXPECT_ERR(t, hfsm_fallocate(m, id, INS | KEEP, 0, BS), -EINVAL);
	EXPECT_ERR(t, hfsm_fallocate(m, id, COLL, 1, BS), -EINVAL);
	EXPECT_ERR(t, hfsm_fallocate(m, id, COLL, 0, 100), -EINVAL);
	EXPECT_ERR(t, hfsm_fallocate(m, id, COLL, 3 * BS, BS), -EINVAL);	/* reaches EOF */
	EXPECT_ERR(t, hfsm_fallocate(m, id, INS, 4 * BS, BS), -EINVAL);	/* at EOF */
	EXPECT_ERR(t, hfsm_fallocate(m, id, INS, BS, 10), -EINVAL);
	ASSERT_OK(t, hfsm_mkdir(m, "/d", 0755));
	ASSERT_OK(t, hfsm_open(m, "/d", HFS_O_RDONLY, 0, &d));
	EXPECT_ERR(t, hfsm_fallocate(m, d, 0, 0, 1), -EISDIR);
	EXPECT_EQ(t, hfsm_node(m, id)->size, 4u * BS);
	hfsm_put(m, d);
	hfsm_put(m, id);
	hfsm_free(m);
}

KTEST(hfsm, fallocate_effects)
{
	struct hfsm *m = empty_model();
	uint32_t id;
	uint8_t blk[BS];
	uint8_t *data;
	int i;

	ASSERT_OK(t, hfsm_open(m, "/f", HFS_O_CREAT | HFS_O_RDWR, 0644, &id));
	for (i = 0; i < 4; i++) {
		memset(blk, 'A' + i, BS);
		EXPECT_EQ(t, hfsm_write(m, id, (uint64_t)i * BS, blk, BS), BS);
	}
	/* ABCD -> collapse B -> ACD */
	EXPECT_OK(t, hfsm_fallocate(m, id, COLL, BS, BS));
	data = hfsm_node(m, id)->data;
	EXPECT_EQ(t, hfsm_node(m, id)->size, 3u * BS);
	EXPECT_EQ(t, data[BS], 'C');
	/* ACD -> insert at 1 block -> A0CD */
	EXPECT_OK(t, hfsm_fallocate(m, id, INS, BS, BS));
	data = hfsm_node(m, id)->data;
	EXPECT_EQ(t, hfsm_node(m, id)->size, 4u * BS);
	EXPECT_EQ(t, data[BS], 0);
	EXPECT_EQ(t, data[2 * BS], 'C');
	EXPECT_EQ(t, data[4 * BS - 1], 'D');
	/* punch within and beyond EOF keeps the size */
	EXPECT_OK(t, hfsm_fallocate(m, id, PUNCH | KEEP, 3 * BS + 10, 10 * BS));
	EXPECT_EQ(t, hfsm_node(m, id)->size, 4u * BS);
	EXPECT_EQ(t, hfsm_node(m, id)->data[3 * BS + 9], 'D');
	EXPECT_EQ(t, hfsm_node(m, id)->data[3 * BS + 10], 0);
	/* zero range grows unless KEEP_SIZE */
	EXPECT_OK(t, hfsm_fallocate(m, id, ZERO | KEEP, 0, 5 * BS));
	EXPECT_EQ(t, hfsm_node(m, id)->size, 4u * BS);
	EXPECT_EQ(t, hfsm_node(m, id)->data[0], 0);
	EXPECT_OK(t, hfsm_fallocate(m, id, ZERO, 0, 5 * BS));
	EXPECT_EQ(t, hfsm_node(m, id)->size, 5u * BS);
	EXPECT_OK(t, hfsm_fallocate(m, id, KEEP, 0, 9 * BS));
	EXPECT_EQ(t, hfsm_node(m, id)->size, 5u * BS);
	EXPECT_OK(t, hfsm_fallocate(m, id, 0, 0, 6 * BS + 1));
	EXPECT_EQ(t, hfsm_node(m, id)->size, 6u * BS + 1);
	hfsm_put(m, id);
	hfsm_free(m);
}

KTEST(hfsm, unlink_open_file_lives_until_closed)
{
	struct hfsm *m = empty_model();
	uint32_t id;
	uint8_t c;

	ASSERT_OK(t, hfsm_open(m, "/f", HFS_O_CREAT | HFS_O_RDWR, 0644, &id));
	EXPECT_EQ(t, hfsm_write(m, id, 0, "x", 1), 1);
	EXPECT_OK(t, hfsm_unlink(m, "/f"));
	EXPECT_ERR(t, hfsm_unlink(m, "/f"), -ENOENT);
	EXPECT_NOT_NULL(t, hfsm_node(m, id));
	EXPECT_EQ(t, hfsm_read(m, id, 0, &c, 1), 1);
	EXPECT_EQ(t, c, 'x');
	EXPECT_EQ(t, hfsm_node(m, id)->nlink, 0u);
	hfsm_put(m, id);
	EXPECT_NULL(t, hfsm_node(m, id));
	hfsm_free(m);
}

KTEST(hfsm, mkdir_rmdir_and_link_counts)
{
	struct hfsm *m = empty_model();

	EXPECT_EQ(t, nlink_of(m, "/"), 2);
	EXPECT_OK(t, hfsm_mkdir(m, "/d", 0755));
	EXPECT_ERR(t, hfsm_mkdir(m, "/d", 0755), -EEXIST);
	EXPECT_OK(t, hfsm_mkdir(m, "/d/e", 0700));
	EXPECT_EQ(t, nlink_of(m, "/"), 3);
	EXPECT_EQ(t, nlink_of(m, "/d"), 3);
	EXPECT_ERR(t, hfsm_rmdir(m, "/d"), -ENOTEMPTY);
	EXPECT_NE(t, creat(m, "/d/f"), 0u);
	EXPECT_ERR(t, hfsm_rmdir(m, "/d/f"), -ENOTDIR);
	EXPECT_ERR(t, hfsm_unlink(m, "/d/e"), -EISDIR);
	EXPECT_ERR(t, hfsm_rmdir(m, "/"), -EBUSY);
	EXPECT_ERR(t, hfsm_rmdir(m, "/x"), -ENOENT);
	EXPECT_OK(t, hfsm_rmdir(m, "/d/e"));
	EXPECT_EQ(t, nlink_of(m, "/d"), 2);
	EXPECT_OK(t, hfsm_unlink(m, "/d/f"));
	EXPECT_OK(t, hfsm_rmdir(m, "/d"));
	EXPECT_EQ(t, nlink_of(m, "/"), 2);
	EXPECT_EQ(t, hfsm_dir_count(m, m->root), 0u);
	hfsm_free(m);
}

KTEST(hfsm, hard_links)
{
	struct hfsm *m = empty_model();
	uint32_t a, b;

	a = creat(m, "/a");
	EXPECT_OK(t, hfsm_mkdir(m, "/d", 0755));
	EXPECT_OK(t, hfsm_link(m, "/a", "/d/b"));
	EXPECT_EQ(t, nlink_of(m, "/a"), 2);
	EXPECT_OK(t, hfsm_lookup(m, "/d/b", false, &b));
	EXPECT_EQ(t, a, b);
	EXPECT_ERR(t, hfsm_link(m, "/d", "/e"), -EPERM);
	EXPECT_ERR(t, hfsm_link(m, "/a", "/d/b"), -EEXIST);
	EXPECT_ERR(t, hfsm_link(m, "/zz", "/y"), -ENOENT);
	/* linux checks the new name before refusing a directory */
	EXPECT_ERR(t, hfsm_link(m, "/d", "/a"), -EEXIST);
	EXPECT_OK(t, hfsm_unlink(m, "/a"));
	EXPECT_EQ(t, nlink_of(m, "/d/b"), 1);
	hfsm_free(m);
}

KTEST(hfsm, symlinks)
{
	struct hfsm *m = empty_model();
	char buf[16];
	uint32_t id;
	struct hfs_stat st;

	EXPECT_OK(t, hfsm_mkdir(m, "/d", 0755));
	EXPECT_OK(t, hfsm_symlink(m, "/d", "/l"));
	EXPECT_ERR(t, hfsm_symlink(m, "/x", "/l"), -EEXIST);
	EXPECT_ERR(t, hfsm_symlink(m, "", "/m"), -ENOENT);
	EXPECT_NE(t, creat(m, "/l/f"), 0u);		/* through the link */
	EXPECT_OK(t, hfsm_lookup(m, "/d/f", false, &id));
	EXPECT_EQ(t, hfsm_readlink(m, "/l", buf, sizeof(buf)), 2);
	EXPECT_STREQ(t, buf, "/d");
	EXPECT_EQ(t, hfsm_readlink(m, "/l", buf, 1), 2);	/* truncated, full length */
	EXPECT_EQ(t, buf[0], '/');
	EXPECT_ERR(t, hfsm_readlink(m, "/d", buf, sizeof(buf)), -EINVAL);
	EXPECT_OK(t, hfsm_stat(m, "/l", false, &st));
	EXPECT_EQ(t, st.mode & HFS_S_IFMT, (uint32_t)HFS_S_IFLNK);
	EXPECT_EQ(t, st.size, 2u);
	EXPECT_OK(t, hfsm_stat(m, "/l", true, &st));
	EXPECT_EQ(t, st.mode & HFS_S_IFMT, (uint32_t)HFS_S_IFDIR);
	/* loops, O_NOFOLLOW, dangling links and O_CREAT */
	EXPECT_OK(t, hfsm_symlink(m, "/loop", "/loop"));
	EXPECT_ERR(t, hfsm_stat(m, "/loop", true, &st), -ELOOP);
	EXPECT_ERR(t, hfsm_open(m, "/l", HFS_O_RDONLY | HFS_O_NOFOLLOW, 0, &id), -ELOOP);
	EXPECT_OK(t, hfsm_symlink(m, "/d/new", "/dangling"));
	EXPECT_ERR(t, hfsm_open(m, "/dangling", HFS_O_CREAT | HFS_O_EXCL, 0644, &id), -EEXIST);
	ASSERT_OK(t, hfsm_open(m, "/dangling", HFS_O_CREAT | HFS_O_RDWR, 0644, &id));
	hfsm_put(m, id);
	EXPECT_OK(t, hfsm_lookup(m, "/d/new", false, &id));
	/* relative targets resolve from the link's directory */
	EXPECT_OK(t, hfsm_symlink(m, "new", "/d/rel"));
	EXPECT_OK(t, hfsm_stat(m, "/d/rel", true, &st));
	EXPECT_EQ(t, st.mode & HFS_S_IFMT, (uint32_t)HFS_S_IFREG);
	/* unlink removes the link, not the target */
	EXPECT_OK(t, hfsm_unlink(m, "/l"));
	EXPECT_OK(t, hfsm_stat(m, "/d", false, &st));
	hfsm_free(m);
}

KTEST(hfsm, rename_cases)
{
	struct hfsm *m = empty_model();
	uint32_t a, id;

	a = creat(m, "/a");
	creat(m, "/b");
	EXPECT_OK(t, hfsm_mkdir(m, "/d", 0755));
	EXPECT_OK(t, hfsm_mkdir(m, "/e", 0755));
	EXPECT_OK(t, hfsm_mkdir(m, "/d/sub", 0755));
	EXPECT_ERR(t, hfsm_rename(m, "/nope", "/x"), -ENOENT);
	EXPECT_ERR(t, hfsm_rename(m, "/a", "/d"), -EISDIR);
	EXPECT_ERR(t, hfsm_rename(m, "/e", "/a"), -ENOTDIR);
	EXPECT_ERR(t, hfsm_rename(m, "/e", "/d"), -ENOTEMPTY);
	EXPECT_ERR(t, hfsm_rename(m, "/d", "/d/sub/x"), -EINVAL);
	EXPECT_ERR(t, hfsm_rename(m, "/d", "/d/x"), -EINVAL);
	EXPECT_ERR(t, hfsm_rename(m, "/d/sub", "/d"), -ENOTEMPTY);
	EXPECT_ERR(t, hfsm_rename(m, "/a", "/nodir/x"), -ENOENT);
	EXPECT_OK(t, hfsm_rename(m, "/a", "/a"));
	/* replace a file: the old target is gone */
	EXPECT_OK(t, hfsm_rename(m, "/a", "/b"));
	EXPECT_OK(t, hfsm_lookup(m, "/b", false, &id));
	EXPECT_EQ(t, id, a);
	EXPECT_ERR(t, hfsm_lookup(m, "/a", false, &id), -ENOENT);
	EXPECT_EQ(t, hfsm_dir_count(m, m->root), 3u);
	/* hard links to one inode: rename is a no-op, both names stay */
	EXPECT_OK(t, hfsm_link(m, "/b", "/c"));
	EXPECT_OK(t, hfsm_rename(m, "/b", "/c"));
	EXPECT_OK(t, hfsm_lookup(m, "/b", false, &id));
	EXPECT_EQ(t, nlink_of(m, "/c"), 2);
	/* directory over an empty directory, across parents */
	EXPECT_OK(t, hfsm_rename(m, "/d/sub", "/e"));
	EXPECT_EQ(t, nlink_of(m, "/d"), 2);
	EXPECT_EQ(t, nlink_of(m, "/"), 4);
	EXPECT_OK(t, hfsm_rename(m, "/e", "/d/moved"));
	EXPECT_EQ(t, nlink_of(m, "/d"), 3);
	EXPECT_EQ(t, nlink_of(m, "/"), 3);
	EXPECT_ERR(t, hfsm_rename(m, "/", "/x"), -EBUSY);
	hfsm_free(m);
}

KTEST(hfsm, clone_is_deep)
{
	struct hfsm *m = empty_model(), *c;
	uint32_t id;

	ASSERT_OK(t, hfsm_open(m, "/f", HFS_O_CREAT | HFS_O_RDWR, 0644, &id));
	EXPECT_EQ(t, hfsm_write(m, id, 0, "old", 3), 3);
	EXPECT_OK(t, hfsm_link(m, "/f", "/g"));
	c = hfsm_clone(m);
	EXPECT_EQ(t, hfsm_write(m, id, 0, "new", 3), 3);
	EXPECT_OK(t, hfsm_unlink(m, "/g"));
	EXPECT_MEMEQ(t, hfsm_node(c, id)->data, "old", 3);
	EXPECT_EQ(t, hfsm_node(c, id)->nlink, 2u);
	EXPECT_EQ(t, hfsm_dir_count(c, c->root), 2u);
	hfsm_forget_opens(c);
	EXPECT_NOT_NULL(t, hfsm_node(c, id));		/* still linked */
	hfsm_put(m, id);
	hfsm_free(c);
	hfsm_free(m);
}

KTEST(hfsm, crash_sizes_follow_fsync)
{
	struct hfsm *m = empty_model();
	uint32_t id;
	struct hfsm_node *n;

	ASSERT_OK(t, hfsm_open(m, "/f", HFS_O_CREAT | HFS_O_RDWR, 0644, &id));
	EXPECT_EQ(t, hfsm_write(m, id, 0, "abc", 3), 3);
	EXPECT_EQ(t, hfsm_write(m, id, 10, "abc", 3), 3);
	n = hfsm_node(m, id);
	EXPECT_TRUE(t, n->dirty);
	EXPECT_EQ(t, n->n_alt, 3u);		/* 0, 3, 13 */
	EXPECT_OK(t, hfsm_truncate(m, id, 5));
	EXPECT_EQ(t, n->n_alt, 1u);		/* a metadata change is durable */
	EXPECT_EQ(t, n->alt_sizes[0], 5u);
	EXPECT_OK(t, hfsm_fsync(m, id));
	EXPECT_FALSE(t, n->dirty);
	hfsm_put(m, id);
	hfsm_free(m);
}

/* ------------------------------------------------------------ memdev */

static uint8_t line_byte(const uint8_t *img, uint64_t line)
{
	return img[line * HFS_CACHE_LINE];
}

KTEST(memdev, plain_reads_what_was_written)
{
	struct hfs_memdev *d = hfs_memdev_new(16384, false);
	struct hfs_pm *pm;

	ASSERT_NOT_NULL(t, d);
	pm = hfs_memdev_pm(d);
	EXPECT_EQ(t, pm->ops->size(pm), 16384u);
	hfs_pm_write(pm, 100, "abc", 3);
	EXPECT_MEMEQ(t, hfs_pm_ptr(pm, 100), "abc", 3);
	hfs_pm_zero(pm, 101, 1);
	EXPECT_EQ(t, hfs_pm_ptr(pm, 101)[0], 0);
	hfs_memdev_free(d);
}

KTEST(memdev, durability_follows_flush_and_fence)
{
	struct hfs_memdev *d = hfs_memdev_new(8192, true);
	struct hfs_pm *pm = hfs_memdev_pm(d);
	uint8_t x = 1, y = 2, z = 3;

	hfs_pm_write(pm, 0, &x, 1);		/* line 0: dirty */
	hfs_pm_persist(pm, 64, &y, 1);		/* line 1: flushed */
	hfs_pm_write_nt(pm, 128, &z, 1);	/* line 2: non-temporal */
	EXPECT_EQ(t, hfs_memdev_nondurable(d), 3u);
	EXPECT_EQ(t, line_byte(hfs_memdev_durable(d), 1), 0);
	hfs_pm_fence(pm);
	EXPECT_EQ(t, line_byte(hfs_memdev_durable(d), 0), 0);	/* never flushed */
	EXPECT_EQ(t, line_byte(hfs_memdev_durable(d), 1), 2);
	EXPECT_EQ(t, line_byte(hfs_memdev_durable(d), 2), 3);
	EXPECT_EQ(t, hfs_memdev_nondurable(d), 1u);
	hfs_pm_flush(pm, 0, 1);
	hfs_pm_fence(pm);
	EXPECT_EQ(t, line_byte(hfs_memdev_durable(d), 0), 1);
	EXPECT_EQ(t, hfs_memdev_nondurable(d), 0u);
	hfs_memdev_free(d);
}

KTEST(memdev, write_after_flush_keeps_the_flushed_version)
{
	struct hfs_memdev *d = hfs_memdev_new(4096, true);
	struct hfs_pm *pm = hfs_memdev_pm(d);
	uint8_t a = 0xa, b = 0xb;

	hfs_pm_persist(pm, 0, &a, 1);
	hfs_pm_write(pm, 0, &b, 1);		/* rewritten before the fence */
	hfs_pm_fence(pm);
	EXPECT_EQ(t, hfs_memdev_durable(d)[0], 0xa);
	EXPECT_EQ(t, hfs_memdev_data(d)[0], 0xb);
	EXPECT_EQ(t, hfs_memdev_nondurable(d), 1u);
	hfs_memdev_free(d);
}

struct capture_ctx {
	struct hfs_crashpt *cp[8];
	int n;
};

static void capture_hook(void *ctx, struct hfs_memdev *d)
{
	struct capture_ctx *c = ctx;

	if (c->n < 8)
		c->cp[c->n++] = hfs_memdev_capture(d);
}

KTEST(memdev, crash_images_offer_every_version)
{
	struct hfs_memdev *d = hfs_memdev_new(4096, true);
	struct hfs_pm *pm = hfs_memdev_pm(d);
	struct capture_ctx c = { .n = 0 };
	uint8_t *img = malloc(4096);
	uint8_t v1 = 1, v2 = 2, v3 = 3;
	bool seen[4] = { false };
	uint64_t rng = 42;
	int i;

	hfs_pm_write(pm, 0, &v1, 1);
	hfs_memdev_persist_all(d);		/* durable: 1 */
	hfs_memdev_rec_mark(d);
	hfs_memdev_set_fence_hook(d, capture_hook, &c);
	hfs_pm_persist(pm, 0, &v2, 1);		/* flushed: 2 */
	hfs_pm_write(pm, 0, &v3, 1);		/* newest: 3 */
	hfs_pm_persist(pm, 64, &v2, 1);		/* line 1 */
	hfs_pm_fence(pm);
	ASSERT_EQ(t, c.n, 1);
	EXPECT_EQ(t, hfs_crashpt_unsure(c.cp[0]), 2u);
	hfs_crashpt_build(d, c.cp[0], HFS_CRASH_ALL_OLD, &rng, img);
	EXPECT_EQ(t, img[0], 1);
	EXPECT_EQ(t, img[64], 0);
	hfs_crashpt_build(d, c.cp[0], HFS_CRASH_ALL_NEW, &rng, img);
	EXPECT_EQ(t, img[0], 3);
	EXPECT_EQ(t, img[64], 2);
	for (i = 0; i < 64; i++) {
		hfs_crashpt_build(d, c.cp[0], HFS_CRASH_RANDOM, &rng, img);
		ASSERT_TRUE(t, img[0] >= 1 && img[0] <= 3);
		seen[img[0]] = true;
	}
	EXPECT_TRUE(t, seen[1] && seen[2] && seen[3]);
	/* the next crash point starts from what the fence made durable */
	hfs_pm_fence(pm);
	ASSERT_EQ(t, c.n, 2);
	hfs_crashpt_build(d, c.cp[1], HFS_CRASH_ALL_OLD, &rng, img);
	EXPECT_EQ(t, img[0], 2);
	EXPECT_EQ(t, img[64], 2);
	for (i = 0; i < c.n; i++)
		hfs_crashpt_free(c.cp[i]);
	free(img);
	hfs_memdev_free(d);
}

KTEST(memdev, word_tearing_mixes_within_a_line)
{
	struct hfs_memdev *d = hfs_memdev_new(4096, true);
	struct hfs_pm *pm = hfs_memdev_pm(d);
	struct capture_ctx c = { .n = 0 };
	uint8_t line[64], *img = malloc(4096);
	uint64_t rng = 7;
	bool mixed = false;
	int i, w;

	hfs_memdev_rec_mark(d);
	hfs_memdev_set_fence_hook(d, capture_hook, &c);
	memset(line, 0xee, sizeof(line));
	hfs_pm_persist(pm, 0, line, sizeof(line));
	hfs_pm_fence(pm);
	ASSERT_EQ(t, c.n, 1);
	for (i = 0; i < 32 && !mixed; i++) {
		int news = 0;

		hfs_crashpt_build(d, c.cp[0], HFS_CRASH_RANDOM_WORDS, &rng, img);
		for (w = 0; w < 8; w++) {
			ASSERT_TRUE(t, img[w * 8] == 0 || img[w * 8] == 0xee);
			EXPECT_EQ(t, img[w * 8], img[w * 8 + 7]);	/* words never tear */
			news += img[w * 8] == 0xee;
		}
		mixed = news > 0 && news < 8;
	}
	EXPECT_TRUE(t, mixed);
	hfs_crashpt_free(c.cp[0]);
	free(img);
	hfs_memdev_free(d);
}

/* ------------------------------------------------------------ driver */

/*
 * The differential driver against a fake holdfs made of the model itself
 * (hfs_fake_core.c): no mismatch may be reported, and each planted fault
 * must be.
 */
#include "hfs_diff.h"
#include "hfs_fake_core.h"

static void quiet(void *ctx, const char *line)
{
	if (getenv("HFS_TRACE"))
		ktest_log(ctx, "%s", line);
}

static int drive(struct ktest *t, int fault, uint64_t seed, uint64_t ops)
{
	struct hfsd_env env = { .print = quiet, .ctx = t };
	struct hfsd_config cfg;
	struct hfsd *d = calloc(1, sizeof(*d));
	int r;

	hfs_fake_fault = fault;
	hfsd_default_config(&cfg);
	cfg.seed = seed;
	cfg.ops = ops;
	r = hfsd_init(d, &cfg, &env, NULL);
	if (!r)
		r = hfsd_run(d);
	if (fault == HFS_FAKE_NONE)
		ktest_log(t, "%llu steps: %llu errors, open %llu, rename %llu, falloc %llu",
			  (unsigned long long)d->st.steps, (unsigned long long)d->st.errors,
			  (unsigned long long)d->st.by_kind[HFSD_OPEN],
			  (unsigned long long)d->st.by_kind[HFSD_RENAME],
			  (unsigned long long)d->st.by_kind[HFSD_FALLOCATE]);
	if (fault == HFS_FAKE_NONE) {
		int k;

		for (k = 0; k < HFSD_NKINDS; k++)
			ktest_log(t, "  %-10s %6llu steps, %6llu failed", hfsd_kind_name(k),
				  (unsigned long long)d->st.by_kind[k],
				  (unsigned long long)d->st.err_by_kind[k]);
	}
	hfsd_fini(d);
	free(d);
	hfs_fake_fault = HFS_FAKE_NONE;
	return r;
}

KTEST(hfsd, no_mismatch_against_the_model)
{
	EXPECT_OK(t, drive(t, HFS_FAKE_NONE, 1, 20000));
	EXPECT_OK(t, drive(t, HFS_FAKE_NONE, 2, 20000));
}

KTEST(hfsd, finds_planted_faults)
{
	EXPECT_ERR(t, drive(t, HFS_FAKE_WRITE_TAIL, 1, 20000), -1);
	EXPECT_ERR(t, drive(t, HFS_FAKE_RENAME_EISDIR, 1, 20000), -1);
	EXPECT_ERR(t, drive(t, HFS_FAKE_COLLAPSE_EOF, 1, 20000), -1);
}
