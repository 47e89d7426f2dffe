/*
 * test_holdfs_ops.c - holdfs namespace operations and their errors.
 */
#include <stdlib.h>
#include <stdio.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "holdfs_test_util.h"

KTEST(holdfs_ops, create_write_read_remount)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	char buf[64];

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, ht_put(fs, "/hello", "hello, world", 12));
	EXPECT_EQ(t, ht_get(fs, "/hello", buf, sizeof(buf)), 12);
	EXPECT_MEMEQ(t, buf, "hello, world", 12);
	fs = ht_remount(t, &h, fs);
	ASSERT_NOT_NULL(t, fs);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(t, ht_get(fs, "/hello", buf, sizeof(buf)), 12);
	EXPECT_MEMEQ(t, buf, "hello, world", 12);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_ops, open_flags_and_errors)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_inode *ip;
	char name[300];

	ASSERT_NOT_NULL(t, fs);
	EXPECT_ERR(t, hfs_open(fs, "/nope", HFS_O_RDONLY, 0, &ip), -ENOENT);
	EXPECT_ERR(t, hfs_open(fs, "relative", HFS_O_RDONLY, 0, &ip), -EINVAL);
	EXPECT_ERR(t, hfs_open(fs, "", HFS_O_RDONLY, 0, &ip), -ENOENT);
	ASSERT_OK(t, hfs_open(fs, "/f", HFS_O_RDWR | HFS_O_CREAT, 0600, &ip));
	EXPECT_EQ(t, hfs_write(ip, 0, "abc", 3), 3);
	hfs_iput(ip);
	EXPECT_ERR(t, hfs_open(fs, "/f", HFS_O_RDWR | HFS_O_CREAT | HFS_O_EXCL, 0600, &ip), -EEXIST);
	ASSERT_OK(t, hfs_open(fs, "/f", HFS_O_RDWR | HFS_O_TRUNC, 0, &ip));
	{
		struct hfs_stat st;

		hfs_getattr(ip, &st);
		EXPECT_EQ(t, st.size, 0u);
		EXPECT_EQ(t, st.mode, HFS_S_IFREG | 0600);
		EXPECT_EQ(t, st.nlink, 1u);
	}
	hfs_iput(ip);
	EXPECT_ERR(t, hfs_open(fs, "/f/x", HFS_O_RDONLY, 0, &ip), -ENOTDIR);
	EXPECT_ERR(t, hfs_open(fs, "/f/x", HFS_O_RDWR | HFS_O_CREAT, 0600, &ip), -ENOTDIR);
	EXPECT_ERR(t, hfs_open(fs, "/", HFS_O_RDWR, 0, &ip), -EISDIR);
	EXPECT_ERR(t, hfs_open(fs, "/", HFS_O_RDONLY | HFS_O_CREAT, 0, &ip), -EISDIR);
	EXPECT_ERR(t, hfs_open(fs, "/f", HFS_O_ACCMODE, 0, &ip), -EINVAL);
	memset(name, 'n', sizeof(name));
	name[0] = '/';
	name[256] = '\0';	/* 255-byte component */
	ASSERT_OK(t, hfs_open(fs, name, HFS_O_RDWR | HFS_O_CREAT, 0600, &ip));
	hfs_iput(ip);
	ASSERT_OK(t, hfs_open(fs, name, HFS_O_RDONLY, 0, &ip));
	hfs_iput(ip);
	name[256] = 'n';
	name[257] = '\0';	/* 256 bytes */
	EXPECT_ERR(t, hfs_open(fs, name, HFS_O_RDWR | HFS_O_CREAT, 0600, &ip), -ENAMETOOLONG);
	ASSERT_OK(t, hfs_mkdir(fs, "/d", 0755));
	ASSERT_OK(t, hfs_open(fs, "/d//./../d/", HFS_O_RDONLY, 0, &ip));
	EXPECT_TRUE(t, (ip->d.mode & HFS_S_IFMT) == HFS_S_IFDIR);
	hfs_iput(ip);
	EXPECT_ERR(t, hfs_open(fs, "/f/", HFS_O_RDONLY, 0, &ip), -ENOTDIR);
	ht_teardown(t, &h, fs);
}

static int count_entries(struct hfs_fs *fs, const char *path, char names[][32], int max)
{
	struct hfs_inode *dir;
	struct hfs_dirent de;
	uint64_t cookie = 0;
	int n = 0, r;

	r = hfs_lookup(fs, path, true, &dir);
	if (r)
		return r;
	while ((r = hfs_readdir(dir, &cookie, &de)) == 1) {
		if (names && n < max)
			strlcpy(names[n], de.name, 32);
		n++;
	}
	hfs_iput(dir);
	return r < 0 ? r : n;
}

KTEST(holdfs_ops, mkdir_rmdir_readdir)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_stat st;
	char names[8][32];

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, hfs_mkdir(fs, "/a", 0755));
	ASSERT_OK(t, hfs_mkdir(fs, "/a/b", 0700));
	EXPECT_ERR(t, hfs_mkdir(fs, "/a", 0755), -EEXIST);
	EXPECT_ERR(t, hfs_mkdir(fs, "/", 0755), -EEXIST);
	EXPECT_ERR(t, hfs_mkdir(fs, "/x/y", 0755), -ENOENT);
	ASSERT_OK(t, hfs_stat(fs, "/a", true, &st));
	EXPECT_EQ(t, st.nlink, 3u);
	ASSERT_OK(t, hfs_stat(fs, "/", true, &st));
	EXPECT_EQ(t, st.nlink, 4u);	/* lost+found, a */
	ASSERT_OK(t, ht_put(fs, "/a/file", "x", 1));
	EXPECT_EQ(t, count_entries(fs, "/a", names, 8), 4);
	EXPECT_STREQ(t, names[0], ".");
	EXPECT_STREQ(t, names[1], "..");
	EXPECT_ERR(t, hfs_rmdir(fs, "/a"), -ENOTEMPTY);
	EXPECT_ERR(t, hfs_rmdir(fs, "/a/file"), -ENOTDIR);
	EXPECT_ERR(t, hfs_unlink(fs, "/a/b", NULL), -EISDIR);
	EXPECT_ERR(t, hfs_rmdir(fs, "/"), -EBUSY);
	EXPECT_ERR(t, hfs_rmdir(fs, "/a/."), -EINVAL);
	EXPECT_ERR(t, hfs_rmdir(fs, "/a/b/.."), -ENOTEMPTY);
	ASSERT_OK(t, hfs_rmdir(fs, "/a/b"));
	ASSERT_OK(t, hfs_unlink(fs, "/a/file", NULL));
	EXPECT_ERR(t, hfs_unlink(fs, "/a/file", NULL), -ENOENT);
	ASSERT_OK(t, hfs_rmdir(fs, "/a"));
	EXPECT_EQ(t, count_entries(fs, "/", NULL, 0), 3);	/* ., .., lost+found */
	ASSERT_OK(t, hfs_stat(fs, "/", true, &st));
	EXPECT_EQ(t, st.nlink, 3u);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_ops, rename_cases)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_stat st;
	char buf[16];

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, ht_put(fs, "/a", "AAAA", 4));
	ASSERT_OK(t, ht_put(fs, "/b", "BB", 2));
	ASSERT_OK(t, hfs_rename(fs, "/a", "/c", NULL));
	EXPECT_ERR(t, hfs_stat(fs, "/a", true, &st), -ENOENT);
	EXPECT_EQ(t, ht_get(fs, "/c", buf, sizeof(buf)), 4);
	/* replace */
	ASSERT_OK(t, hfs_rename(fs, "/c", "/b", NULL));
	EXPECT_EQ(t, ht_get(fs, "/b", buf, sizeof(buf)), 4);
	EXPECT_MEMEQ(t, buf, "AAAA", 4);
	EXPECT_ERR(t, hfs_stat(fs, "/c", true, &st), -ENOENT);
	/* same file: nothing */
	ASSERT_OK(t, hfs_link(fs, "/b", "/b2"));
	ASSERT_OK(t, hfs_rename(fs, "/b", "/b2", NULL));
	ASSERT_OK(t, hfs_stat(fs, "/b", true, &st));
	EXPECT_EQ(t, st.nlink, 2u);
	/* directories */
	ASSERT_OK(t, hfs_mkdir(fs, "/d1", 0755));
	ASSERT_OK(t, hfs_mkdir(fs, "/d1/sub", 0755));
	ASSERT_OK(t, hfs_mkdir(fs, "/d2", 0755));
	ASSERT_OK(t, hfs_mkdir(fs, "/d3", 0755));
	ASSERT_OK(t, ht_put(fs, "/d3/f", "f", 1));
	EXPECT_ERR(t, hfs_rename(fs, "/d1", "/d1/sub/x", NULL), -EINVAL);
	EXPECT_ERR(t, hfs_rename(fs, "/d1", "/d3", NULL), -ENOTEMPTY);
	EXPECT_ERR(t, hfs_rename(fs, "/d1", "/b", NULL), -ENOTDIR);
	EXPECT_ERR(t, hfs_rename(fs, "/b", "/d2", NULL), -EISDIR);
	EXPECT_ERR(t, hfs_rename(fs, "/nope", "/x", NULL), -ENOENT);
	EXPECT_ERR(t, hfs_rename(fs, "/", "/x", NULL), -EBUSY);
	ASSERT_OK(t, hfs_rename(fs, "/d1/sub", "/d2/moved", NULL));
	ASSERT_OK(t, hfs_stat(fs, "/d1", true, &st));
	EXPECT_EQ(t, st.nlink, 2u);
	ASSERT_OK(t, hfs_stat(fs, "/d2", true, &st));
	EXPECT_EQ(t, st.nlink, 3u);
	ASSERT_OK(t, hfs_stat(fs, "/d2/moved/..", true, &st));
	EXPECT_EQ(t, st.ino, hfs_ino(fs->root) == 1 ? st.ino : 0u);
	{
		struct hfs_stat d2;

		ASSERT_OK(t, hfs_stat(fs, "/d2", true, &d2));
		EXPECT_EQ(t, st.ino, d2.ino);
	}
	/* replace an empty directory */
	ASSERT_OK(t, hfs_rename(fs, "/d2", "/d1", NULL));
	ASSERT_OK(t, hfs_stat(fs, "/d1/moved", true, &st));
	ASSERT_OK(t, hfs_stat(fs, "/", true, &st));
	EXPECT_EQ(t, st.nlink, 5u);	/* lost+found, d1, d3 */
	ht_teardown(t, &h, fs);
}

/*
 * unlink passes hfs_dir_remove the slot its lookup found, to skip a second
 * search; a position that holds another name must not remove that name.
 */
KTEST(holdfs_ops, dir_remove_checks_its_position_hint)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 8 * MiB);
	struct hfs_inode *d;
	struct hfs_tx *tx;
	uint64_t d_ino, a_ino, a_pos, b_ino, b_pos, ino, pos;

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, hfs_mkdir(fs, "/d", 0755));
	ASSERT_OK(t, ht_put(fs, "/d/a", "a", 1));
	ASSERT_OK(t, ht_put(fs, "/d/b", "b", 1));
	hfs_down_write(&fs->ns_lock);
	ASSERT_OK(t, hfs_dir_lookup(fs->root, "d", 1, &d_ino, &pos));
	ASSERT_OK(t, hfs_iget(fs, d_ino, &d));
	ASSERT_OK(t, hfs_dir_lookup(d, "a", 1, &a_ino, &a_pos));
	ASSERT_OK(t, hfs_dir_lookup(d, "b", 1, &b_ino, &b_pos));
	ASSERT_NE(t, a_pos, b_pos);

	tx = hfs_tx_begin(fs);
	EXPECT_OK(t, hfs_dir_remove(tx, d, "a", 1, b_pos));	/* wrong hint */
	EXPECT_OK(t, hfs_tx_commit(tx));
	EXPECT_ERR(t, hfs_dir_lookup(d, "a", 1, &ino, &pos), -ENOENT);
	EXPECT_OK(t, hfs_dir_lookup(d, "b", 1, &ino, &pos));
	EXPECT_EQ(t, ino, b_ino);

	tx = hfs_tx_begin(fs);				/* put "a" back */
	EXPECT_OK(t, hfs_dir_add(tx, d, "a", 1, a_ino, HFS_FT_REG));
	EXPECT_OK(t, hfs_tx_commit(tx));
	EXPECT_OK(t, hfs_dir_lookup(d, "a", 1, &ino, &a_pos));
	tx = hfs_tx_begin(fs);
	EXPECT_ERR(t, hfs_dir_remove(tx, d, "zz", 2, a_pos), -ENOENT);
	hfs_tx_abort(tx);
	EXPECT_OK(t, hfs_dir_lookup(d, "a", 1, &ino, &pos));
	hfs_iput(d);
	hfs_up_write(&fs->ns_lock);
	EXPECT_OK(t, hfs_unlink(fs, "/d/a", NULL));
	EXPECT_OK(t, hfs_unlink(fs, "/d/b", NULL));
	EXPECT_OK(t, hfs_rmdir(fs, "/d"));
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_ops, links_and_symlinks)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_stat st;
	char buf[5000], target[3000];
	struct hfs_inode *ip;

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, hfs_mkdir(fs, "/dir", 0755));
	ASSERT_OK(t, ht_put(fs, "/dir/file", "data", 4));
	ASSERT_OK(t, hfs_link(fs, "/dir/file", "/hard"));
	EXPECT_ERR(t, hfs_link(fs, "/dir/file", "/hard"), -EEXIST);
	EXPECT_ERR(t, hfs_link(fs, "/dir", "/dirlink"), -EPERM);
	EXPECT_ERR(t, hfs_link(fs, "/nope", "/x"), -ENOENT);
	ASSERT_OK(t, hfs_stat(fs, "/hard", true, &st));
	EXPECT_EQ(t, st.nlink, 2u);
	ASSERT_OK(t, hfs_unlink(fs, "/dir/file", NULL));
	EXPECT_EQ(t, ht_get(fs, "/hard", buf, sizeof(buf)), 4);
	ASSERT_OK(t, hfs_stat(fs, "/hard", true, &st));
	EXPECT_EQ(t, st.nlink, 1u);

	ASSERT_OK(t, hfs_symlink(fs, "/hard", "/sym"));
	ASSERT_OK(t, hfs_symlink(fs, "dir", "/reldir"));
	EXPECT_EQ(t, hfs_readlink(fs, "/sym", buf, sizeof(buf)), 5);
	EXPECT_STREQ(t, buf, "/hard");
	EXPECT_EQ(t, ht_get(fs, "/sym", buf, sizeof(buf)), 4);
	ASSERT_OK(t, ht_put(fs, "/reldir/viasym", "v", 1));
	ASSERT_OK(t, hfs_stat(fs, "/dir/viasym", true, &st));
	ASSERT_OK(t, hfs_stat(fs, "/sym", false, &st));
	EXPECT_EQ(t, st.mode & HFS_S_IFMT, (uint32_t)HFS_S_IFLNK);
	EXPECT_ERR(t, hfs_readlink(fs, "/hard", buf, sizeof(buf)), -EINVAL);
	EXPECT_ERR(t, hfs_open(fs, "/sym", HFS_O_RDONLY | HFS_O_NOFOLLOW, 0, &ip), -ELOOP);
	/* a long target lives in a block */
	memset(target, 'x', sizeof(target));
	target[0] = '/';
	target[2999] = '\0';
	ASSERT_OK(t, hfs_symlink(fs, target, "/long"));
	EXPECT_EQ(t, hfs_readlink(fs, "/long", buf, sizeof(buf)), 2999);
	EXPECT_STREQ(t, buf, target);
	/* loops */
	ASSERT_OK(t, hfs_symlink(fs, "/loop2", "/loop1"));
	ASSERT_OK(t, hfs_symlink(fs, "/loop1", "/loop2"));
	EXPECT_ERR(t, hfs_stat(fs, "/loop1", true, &st), -ELOOP);
	EXPECT_ERR(t, hfs_symlink(fs, "", "/empty"), -ENOENT);
	fs = ht_remount(t, &h, fs);
	ASSERT_NOT_NULL(t, fs);
	EXPECT_EQ(t, hfs_readlink(fs, "/long", buf, sizeof(buf)), 2999);
	ASSERT_OK(t, hfs_unlink(fs, "/long", NULL));
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_ops, unlinked_open_file_lives_until_iput)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_inode *ip;
	struct hfs_statfs before, during, after;
	char buf[8192];

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, ht_put(fs, "/first", "", 0));	/* the root's first block */
	hfs_statfs(fs, &before);
	ASSERT_OK(t, hfs_open(fs, "/tmp", HFS_O_RDWR | HFS_O_CREAT, 0600, &ip));
	memset(buf, 'z', sizeof(buf));
	EXPECT_EQ(t, hfs_write(ip, 0, buf, sizeof(buf)), (int64_t)sizeof(buf));
	ASSERT_OK(t, hfs_unlink(fs, "/tmp", NULL));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(t, hfs_read(ip, 0, buf, sizeof(buf)), (int64_t)sizeof(buf));
	EXPECT_EQ(t, buf[8191], 'z');
	hfs_statfs(fs, &during);
	EXPECT_LT(t, during.free_blocks, before.free_blocks);
	EXPECT_EQ(t, fs->sb.orphan_head, hfs_ino(ip));
	EXPECT_ERR(t, hfs_unmount(fs), -EBUSY);
	hfs_iput(ip);
	hfs_statfs(fs, &after);
	EXPECT_EQ(t, after.free_blocks, before.free_blocks);
	EXPECT_EQ(t, after.free_inodes, before.free_inodes);
	EXPECT_EQ(t, fs->sb.orphan_head, 0u);
	ht_teardown(t, &h, fs);
}

/* A crash while an unlinked file is open: the next mount frees it. */
KTEST(holdfs_ops, orphan_freed_at_next_mount)
{
	struct hfs_host_pm h, copy;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB), *fs2;
	struct hfs_inode *ip;
	struct hfs_statfs st0, st1;
	char buf[20000];

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, ht_put(fs, "/first", "", 0));
	hfs_statfs(fs, &st0);
	ASSERT_OK(t, hfs_open(fs, "/o", HFS_O_RDWR | HFS_O_CREAT, 0600, &ip));
	memset(buf, 1, sizeof(buf));
	EXPECT_EQ(t, hfs_write(ip, 0, buf, sizeof(buf)), (int64_t)sizeof(buf));
	ASSERT_OK(t, hfs_unlink(fs, "/o", NULL));
	/* "Power loss": take the device as it is now. */
	ASSERT_OK(t, hfs_host_mem(h.size, &copy));
	memcpy(copy.base, h.base, h.size);
	ASSERT_OK(t, hfs_mount(&copy.pm, 0, &fs2));
	hfs_statfs(fs2, &st1);
	EXPECT_EQ(t, st1.free_blocks, st0.free_blocks);
	EXPECT_EQ(t, st1.free_inodes, st0.free_inodes);
	EXPECT_EQ(t, fs2->sb.orphan_head, 0u);
	ht_teardown(t, &copy, fs2);
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_ops, big_directory_lookups_do_not_scan)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup_inodes(t, &h, 256 * MiB, 110000);
	enum { N = 100000 };
	char path[64];
	uint64_t probes;
	int i;

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, hfs_mkdir(fs, "/big", 0755));
	for (i = 0; i < N; i++) {
		struct hfs_inode *ip;

		snprintf(path, sizeof(path), "/big/file-%d", i);
		ASSERT_OK(t, hfs_open(fs, path, HFS_O_RDWR | HFS_O_CREAT, 0600, &ip));
		hfs_iput(ip);
	}
	fs = ht_remount(t, &h, fs);
	ASSERT_NOT_NULL(t, fs);
	/* First lookup builds the index; then each lookup is a few probes. */
	{
		struct hfs_stat st;

		ASSERT_OK(t, hfs_stat(fs, "/big/file-0", true, &st));
	}
	probes = fs->dir_probes;
	for (i = 0; i < N; i += 7) {
		struct hfs_stat st;

		snprintf(path, sizeof(path), "/big/file-%d", (i * 7919) % N);
		ASSERT_OK(t, hfs_stat(fs, path, true, &st));
	}
	EXPECT_LT(t, fs->dir_probes - probes, (uint64_t)(N / 7 + 1) * 4);
	EXPECT_EQ(t, count_entries(fs, "/big", NULL, 0), N + 2);
	for (i = 0; i < N; i += 2) {
		snprintf(path, sizeof(path), "/big/file-%d", i);
		ASSERT_OK(t, hfs_unlink(fs, path, NULL));
	}
	EXPECT_EQ(t, count_entries(fs, "/big", NULL, 0), N / 2 + 2);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_ops, alternating_symlinks_and_dirs_small_device)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 2 * MiB);
	char name[16];
	int i;

	ASSERT_NOT_NULL(t, fs);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "/n%02d", i);
		if (i % 2)
			ASSERT_OK(t, hfs_mkdir(fs, name, 0644));
		else
			ASSERT_OK(t, hfs_symlink(fs, "/target", name));
		ASSERT_EQ(t, ht_fsck(&h, false), HFS_FSCK_CLEAN);
	}
	ht_teardown(t, &h, fs);
}

/*
 * A full inode table fails a create with -ENOSPC while blocks are free, and
 * statfs says it was the inodes; a write larger than the free space says
 * blocks.  The errno is ENOSPC either way.
 */
KTEST(holdfs_ops, enospc_names_what_ran_out)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup_inodes(t, &h, 8 * MiB, 16);
	struct hfs_statfs st;
	struct hfs_inode *ip;
	uint64_t created = 0;
	char path[32];
	uint8_t *big;
	int err = 0;

	ASSERT_NOT_NULL(t, fs);
	hfs_statfs(fs, &st);
	EXPECT_EQ(t, st.last_nospc, (uint32_t)HFS_NOSPC_NONE);
	EXPECT_EQ(t, st.inodes, 15u);		/* inode 0 is not one */
	EXPECT_EQ(t, st.free_inodes, 13u);	/* the root and lost+found */
	while (!err && created < 100) {
		snprintf(path, sizeof(path), "/f%llu", (unsigned long long)created);
		err = hfs_open(fs, path, HFS_O_RDWR | HFS_O_CREAT, 0644, &ip);
		if (!err) {
			hfs_iput(ip);
			created++;
		}
	}
	EXPECT_ERR(t, err, -ENOSPC);
	EXPECT_EQ(t, created, 13u);
	hfs_statfs(fs, &st);
	EXPECT_EQ(t, st.free_inodes, 0u);
	EXPECT_GT(t, st.free_blocks, 1000u);
	EXPECT_EQ(t, st.last_nospc, (uint32_t)HFS_NOSPC_INODES);
	EXPECT_ERR(t, hfs_mkdir(fs, "/d", 0755), -ENOSPC);
	EXPECT_ERR(t, hfs_symlink(fs, "/f0", "/l"), -ENOSPC);

	/* one inode back: a create works; then a write too large for the blocks */
	ASSERT_OK(t, hfs_unlink(fs, "/f0", NULL));
	ASSERT_OK(t, hfs_open(fs, "/big", HFS_O_RDWR | HFS_O_CREAT, 0644, &ip));
	big = calloc(1, 16 * MiB);
	ASSERT_NOT_NULL(t, big);
	EXPECT_ERR(t, hfs_write(ip, 0, big, 16 * MiB), -ENOSPC);
	hfs_statfs(fs, &st);
	EXPECT_EQ(t, st.last_nospc, (uint32_t)HFS_NOSPC_BLOCKS);
	free(big);
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}
