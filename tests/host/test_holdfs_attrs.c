/*
 * test_holdfs_attrs.c - ownership, permissions and times (format v2),
 * renameat2's flags, and the version-1 image that must still mount.
 *
 * Each test asserts the stored values, after a remount where they must
 * survive one: hfs_setattr's fields and its ctime, the ctime/mtime rules
 * of writes and namespace changes, RENAME_NOREPLACE and RENAME_EXCHANGE
 * (a file with a directory, two directories in different parents: their
 * parents and link counts, checked by fsck), fsck catching a bad owner,
 * and the committed version-1 fixture (tests/host/fixtures/README).
 */
#include <stdio.h>
#include <stdlib.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "holdfs_test_util.h"

#define DEV_SIZE	(8 * MiB)
#define T1		1000000000123456789ULL	/* 2001-09-09, with ns */
#define T2		1500000000987654321ULL

static struct hfs_stat st_of(struct ktest *t, struct hfs_fs *fs, const char *path)
{
	struct hfs_stat st;

	memset(&st, 0xff, sizeof(st));
	if (hfs_stat(fs, path, false, &st))
		ktest_fail_msg(t, "stat %s failed", path);
	return st;
}

static int setattr_path(struct hfs_fs *fs, const char *path, const struct hfs_setattr *sa)
{
	struct hfs_inode *ip;
	int err = hfs_lookup(fs, path, false, &ip);

	if (err)
		return err;
	err = hfs_setattr(ip, sa);
	hfs_iput(ip);
	return err;
}

KTEST(holdfs_attrs, setattr_stores_each_field_and_ctime)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, DEV_SIZE);
	struct hfs_setattr sa = { .mask = HFS_ATTR_ALL, .mode = 04751, .uid = 1000,
				  .gid = 2000, .atime_ns = T1, .mtime_ns = T2 };
	struct hfs_stat st, before;

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, ht_put(fs, "/f", "abc", 3));
	before = st_of(t, fs, "/f");
	ASSERT_OK(t, setattr_path(fs, "/f", &sa));
	fs = ht_remount(t, &h, fs);
	ASSERT_NOT_NULL(t, fs);
	st = st_of(t, fs, "/f");
	EXPECT_EQ(t, st.mode, (uint32_t)(HFS_S_IFREG | 04751));
	EXPECT_EQ(t, st.uid, 1000u);
	EXPECT_EQ(t, st.gid, 2000u);
	EXPECT_EQ(t, st.atime_ns, T1);
	EXPECT_EQ(t, st.mtime_ns, T2);
	EXPECT_GE(t, st.ctime_ns, before.ctime_ns);
	EXPECT_EQ(t, st.size, 3u);

	/* Only what the mask names changes; HFS_TIME_NOW is now. */
	before = st;
	sa = (struct hfs_setattr){ .mask = HFS_ATTR_MTIME, .mtime_ns = HFS_TIME_NOW };
	ASSERT_OK(t, setattr_path(fs, "/f", &sa));
	st = st_of(t, fs, "/f");
	EXPECT_GT(t, st.mtime_ns, T2);
	EXPECT_EQ(t, st.mtime_ns, st.ctime_ns);
	EXPECT_EQ(t, st.atime_ns, T1);
	EXPECT_EQ(t, st.uid, 1000u);
	EXPECT_EQ(t, st.mode, before.mode);

	/* A mask of 0 changes nothing, not even ctime. */
	before = st;
	sa = (struct hfs_setattr){ .mask = 0 };
	ASSERT_OK(t, setattr_path(fs, "/f", &sa));
	st = st_of(t, fs, "/f");
	EXPECT_EQ(t, st.ctime_ns, before.ctime_ns);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_attrs, setattr_refuses_bad_values_and_keeps_the_type)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, DEV_SIZE);
	struct hfs_setattr sa = { .mask = HFS_ATTR_MODE, .mode = HFS_S_IFDIR | 0755 };
	struct hfs_stat st;

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, hfs_mkdir(fs, "/d", 0700));
	EXPECT_ERR(t, setattr_path(fs, "/d", &sa), -EINVAL);	/* type bits */
	sa = (struct hfs_setattr){ .mask = HFS_ATTR_UID, .uid = HFS_ID_INVALID };
	EXPECT_ERR(t, setattr_path(fs, "/d", &sa), -EINVAL);
	sa = (struct hfs_setattr){ .mask = HFS_ATTR_GID, .gid = HFS_ID_INVALID };
	EXPECT_ERR(t, setattr_path(fs, "/d", &sa), -EINVAL);
	sa = (struct hfs_setattr){ .mask = HFS_ATTR_ATIME, .atime_ns = HFS_TIME_MAX + 1 };
	EXPECT_ERR(t, setattr_path(fs, "/d", &sa), -EINVAL);
	sa = (struct hfs_setattr){ .mask = 0x100 };
	EXPECT_ERR(t, setattr_path(fs, "/d", &sa), -EINVAL);
	EXPECT_ERR(t, setattr_path(fs, "/d", NULL), -EFAULT);
	sa = (struct hfs_setattr){ .mask = HFS_ATTR_MODE, .mode = 01777 };
	ASSERT_OK(t, setattr_path(fs, "/d", &sa));
	st = st_of(t, fs, "/d");
	EXPECT_EQ(t, st.mode, (uint32_t)(HFS_S_IFDIR | 01777));
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_attrs, chown_clears_setuid_and_new_files_get_the_callers_owner)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, DEV_SIZE);
	struct hfs_setattr sa = { .mask = HFS_ATTR_MODE, .mode = 06755 };
	struct hfs_stat st;

	ASSERT_NOT_NULL(t, fs);
	hfs_host_set_cred(true, 1234, 5678);
	ASSERT_OK(t, ht_put(fs, "/f", "x", 1));
	ASSERT_OK(t, hfs_mkdir(fs, "/sg", 0755));
	st = st_of(t, fs, "/f");
	EXPECT_EQ(t, st.uid, 1234u);
	EXPECT_EQ(t, st.gid, 5678u);
	ASSERT_OK(t, setattr_path(fs, "/f", &sa));
	sa = (struct hfs_setattr){ .mask = HFS_ATTR_UID, .uid = 7 };
	ASSERT_OK(t, setattr_path(fs, "/f", &sa));
	st = st_of(t, fs, "/f");
	EXPECT_EQ(t, st.mode, (uint32_t)(HFS_S_IFREG | 0755));	/* suid, sgid gone */
	EXPECT_EQ(t, st.uid, 7u);

	/* A set-group-ID directory hands down its group (and the bit to subdirectories). */
	sa = (struct hfs_setattr){ .mask = HFS_ATTR_MODE | HFS_ATTR_GID, .mode = 02775, .gid = 99 };
	ASSERT_OK(t, setattr_path(fs, "/sg", &sa));
	ASSERT_OK(t, ht_put(fs, "/sg/f", "y", 1));
	ASSERT_OK(t, hfs_mkdir(fs, "/sg/sub", 0755));
	EXPECT_EQ(t, st_of(t, fs, "/sg/f").gid, 99u);
	EXPECT_EQ(t, st_of(t, fs, "/sg/f").uid, 1234u);
	EXPECT_EQ(t, st_of(t, fs, "/sg/sub").gid, 99u);
	EXPECT_EQ(t, st_of(t, fs, "/sg/sub").mode, (uint32_t)(HFS_S_IFDIR | 02755));
	hfs_host_set_cred(false, 0, 0);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_attrs, permission_follows_posix_classes)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, DEV_SIZE);
	struct hfs_setattr sa = { .mask = HFS_ATTR_MODE | HFS_ATTR_UID | HFS_ATTR_GID,
				  .mode = 0640, .uid = 10, .gid = 20 };
	uint32_t groups[] = { 30, 20 };
	struct hfs_inode *ip;

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, ht_put(fs, "/f", "x", 1));
	ASSERT_OK(t, setattr_path(fs, "/f", &sa));
	ASSERT_OK(t, hfs_lookup(fs, "/f", false, &ip));
	EXPECT_OK(t, hfs_permission(ip, 10, 10, NULL, 0, HFS_MAY_READ | HFS_MAY_WRITE));
	EXPECT_ERR(t, hfs_permission(ip, 10, 10, NULL, 0, HFS_MAY_EXEC), -EACCES);
	EXPECT_OK(t, hfs_permission(ip, 11, 20, NULL, 0, HFS_MAY_READ));
	EXPECT_ERR(t, hfs_permission(ip, 11, 20, NULL, 0, HFS_MAY_WRITE), -EACCES);
	EXPECT_OK(t, hfs_permission(ip, 11, 21, groups, 2, HFS_MAY_READ));
	EXPECT_ERR(t, hfs_permission(ip, 11, 21, groups, 1, HFS_MAY_READ), -EACCES);
	EXPECT_OK(t, hfs_permission(ip, 0, 0, NULL, 0, HFS_MAY_READ | HFS_MAY_WRITE));
	EXPECT_ERR(t, hfs_permission(ip, 0, 0, NULL, 0, HFS_MAY_EXEC), -EACCES);
	/* the owner class decides for the owner even when others may more */
	sa = (struct hfs_setattr){ .mask = HFS_ATTR_MODE, .mode = 0007 };
	hfs_iput(ip);
	ASSERT_OK(t, setattr_path(fs, "/f", &sa));
	ASSERT_OK(t, hfs_lookup(fs, "/f", false, &ip));
	EXPECT_ERR(t, hfs_permission(ip, 10, 10, NULL, 0, HFS_MAY_READ), -EACCES);
	EXPECT_OK(t, hfs_permission(ip, 99, 99, NULL, 0, HFS_MAY_EXEC));
	EXPECT_OK(t, hfs_permission(ip, 0, 0, NULL, 0, HFS_MAY_EXEC));
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_attrs, ctime_and_mtime_follow_posix)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs;
	struct hfs_stat st, dir0;
	struct hfs_inode *ip;

	hfs_host_fake_clock(true);	/* every reading is later than the last */
	fs = ht_setup(t, &h, DEV_SIZE);
	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, hfs_mkdir(fs, "/d", 0755));
	ASSERT_OK(t, ht_put(fs, "/d/f", "abc", 3));
	st = st_of(t, fs, "/d/f");
	dir0 = st_of(t, fs, "/d");

	/* link: the file's ctime, not its mtime; the directory's both */
	ASSERT_OK(t, hfs_link(fs, "/d/f", "/d/g"));
	EXPECT_EQ(t, st_of(t, fs, "/d/f").mtime_ns, st.mtime_ns);
	EXPECT_GT(t, st_of(t, fs, "/d/f").ctime_ns, st.ctime_ns);
	EXPECT_GT(t, st_of(t, fs, "/d").mtime_ns, dir0.mtime_ns);
	EXPECT_GT(t, st_of(t, fs, "/d").ctime_ns, dir0.ctime_ns);

	/* rename and unlink: the same */
	st = st_of(t, fs, "/d/f");
	ASSERT_OK(t, hfs_rename(fs, "/d/g", "/d/h", NULL));
	EXPECT_EQ(t, st_of(t, fs, "/d/f").mtime_ns, st.mtime_ns);
	EXPECT_GT(t, st_of(t, fs, "/d/f").ctime_ns, st.ctime_ns);
	st = st_of(t, fs, "/d/f");
	ASSERT_OK(t, hfs_unlink(fs, "/d/h", NULL));
	EXPECT_EQ(t, st_of(t, fs, "/d/f").mtime_ns, st.mtime_ns);
	EXPECT_GT(t, st_of(t, fs, "/d/f").ctime_ns, st.ctime_ns);

	/* write: mtime and ctime, and both survive an unmount */
	st = st_of(t, fs, "/d/f");
	ASSERT_OK(t, hfs_open(fs, "/d/f", HFS_O_RDWR, 0, &ip));
	EXPECT_EQ(t, hfs_write(ip, 0, "xyz", 3), 3);
	hfs_iput(ip);
	fs = ht_remount(t, &h, fs);
	ASSERT_NOT_NULL(t, fs);
	EXPECT_GT(t, st_of(t, fs, "/d/f").mtime_ns, st.mtime_ns);
	EXPECT_EQ(t, st_of(t, fs, "/d/f").ctime_ns, st_of(t, fs, "/d/f").mtime_ns);

	/* truncate: both */
	st = st_of(t, fs, "/d/f");
	ASSERT_OK(t, hfs_open(fs, "/d/f", HFS_O_RDWR, 0, &ip));
	ASSERT_OK(t, hfs_truncate(ip, 1, NULL));
	hfs_iput(ip);
	EXPECT_GT(t, st_of(t, fs, "/d/f").mtime_ns, st.mtime_ns);
	EXPECT_GT(t, st_of(t, fs, "/d/f").ctime_ns, st.ctime_ns);
	ht_teardown(t, &h, fs);
	hfs_host_fake_clock(false);
}

KTEST(holdfs_attrs, rename_noreplace)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, DEV_SIZE);
	char buf[8];

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, ht_put(fs, "/a", "A", 1));
	ASSERT_OK(t, ht_put(fs, "/b", "B", 1));
	EXPECT_ERR(t, hfs_rename2(fs, "/a", "/b", HFS_RENAME_NOREPLACE, NULL), -EEXIST);
	EXPECT_ERR(t, hfs_rename2(fs, "/a", "/a", HFS_RENAME_NOREPLACE, NULL), -EEXIST);
	EXPECT_EQ(t, ht_get(fs, "/b", buf, sizeof(buf)), 1);
	EXPECT_EQ(t, buf[0], 'B');
	ASSERT_OK(t, hfs_rename2(fs, "/a", "/c", HFS_RENAME_NOREPLACE, NULL));
	EXPECT_EQ(t, ht_get(fs, "/c", buf, sizeof(buf)), 1);
	EXPECT_EQ(t, buf[0], 'A');
	EXPECT_ERR(t, ht_get(fs, "/a", buf, sizeof(buf)), -ENOENT);
	EXPECT_ERR(t, hfs_rename2(fs, "/c", "/d", HFS_RENAME_NOREPLACE | HFS_RENAME_EXCHANGE,
				  NULL), -EINVAL);
	EXPECT_ERR(t, hfs_rename2(fs, "/c", "/d", 0x4, NULL), -EINVAL);
	ht_teardown(t, &h, fs);
}

KTEST(holdfs_attrs, rename_exchange_files_and_directories)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, DEV_SIZE);
	struct hfs_stat st_f, st_d, p, q;
	char buf[8];

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, hfs_mkdir(fs, "/p", 0755));
	ASSERT_OK(t, hfs_mkdir(fs, "/q", 0755));
	ASSERT_OK(t, hfs_mkdir(fs, "/p/dir", 0755));
	ASSERT_OK(t, ht_put(fs, "/p/dir/inside", "I", 1));
	ASSERT_OK(t, ht_put(fs, "/q/file", "F", 1));
	ASSERT_OK(t, ht_put(fs, "/q/other", "O", 1));
	st_f = st_of(t, fs, "/q/file");
	st_d = st_of(t, fs, "/p/dir");

	/* the target must exist */
	EXPECT_ERR(t, hfs_rename2(fs, "/q/file", "/q/none", HFS_RENAME_EXCHANGE, NULL), -ENOENT);
	/* a directory and a file in different parents */
	ASSERT_OK(t, hfs_rename2(fs, "/p/dir", "/q/file", HFS_RENAME_EXCHANGE, NULL));
	fs = ht_remount(t, &h, fs);
	ASSERT_NOT_NULL(t, fs);
	EXPECT_EQ(t, st_of(t, fs, "/p/dir").ino, st_f.ino);
	EXPECT_EQ(t, st_of(t, fs, "/q/file").ino, st_d.ino);
	EXPECT_EQ(t, ht_get(fs, "/q/file/inside", buf, sizeof(buf)), 1);
	EXPECT_EQ(t, ht_get(fs, "/p/dir", buf, sizeof(buf)), 1);
	EXPECT_EQ(t, buf[0], 'F');
	p = st_of(t, fs, "/p");
	q = st_of(t, fs, "/q");
	EXPECT_EQ(t, p.nlink, 2u);		/* lost its subdirectory */
	EXPECT_EQ(t, q.nlink, 3u);		/* gained one */
	EXPECT_EQ(t, st_of(t, fs, "/q/file/..").ino, q.ino);

	/* two directories */
	ASSERT_OK(t, hfs_mkdir(fs, "/p/d2", 0755));
	ASSERT_OK(t, ht_put(fs, "/p/d2/two", "2", 1));
	ASSERT_OK(t, hfs_rename2(fs, "/p/d2", "/q/file", HFS_RENAME_EXCHANGE, NULL));
	EXPECT_EQ(t, ht_get(fs, "/q/file/two", buf, sizeof(buf)), 1);
	EXPECT_EQ(t, ht_get(fs, "/p/d2/inside", buf, sizeof(buf)), 1);
	EXPECT_EQ(t, st_of(t, fs, "/p/d2/..").ino, p.ino);
	EXPECT_EQ(t, st_of(t, fs, "/q/file/..").ino, q.ino);
	EXPECT_EQ(t, st_of(t, fs, "/p").nlink, 3u);
	EXPECT_EQ(t, st_of(t, fs, "/q").nlink, 3u);

	/* a directory with one of its own descendants: refused */
	EXPECT_ERR(t, hfs_rename2(fs, "/p", "/p/d2/inside", HFS_RENAME_EXCHANGE, NULL), -EINVAL);
	EXPECT_ERR(t, hfs_rename2(fs, "/p/d2/inside", "/p", HFS_RENAME_EXCHANGE, NULL), -EINVAL);
	/* two files in one directory; a name with itself does nothing */
	ASSERT_OK(t, hfs_rename2(fs, "/q/other", "/p/dir", HFS_RENAME_EXCHANGE, NULL));
	EXPECT_EQ(t, ht_get(fs, "/q/other", buf, sizeof(buf)), 1);
	EXPECT_EQ(t, buf[0], 'F');
	ASSERT_OK(t, hfs_rename2(fs, "/q/other", "/q/other", HFS_RENAME_EXCHANGE, NULL));
	ht_teardown(t, &h, fs);		/* fsck: parents, link counts, entries */
}

KTEST(holdfs_attrs, fsck_repairs_a_bad_owner_and_keeps_the_file)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, DEV_SIZE);
	struct hfs_dinode d;
	uint64_t ino, off;
	char buf[8];

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, ht_put(fs, "/f", "abc", 3));
	ino = st_of(t, fs, "/f").ino;
	off = hfs_inode_off(fs, ino);
	ASSERT_OK(t, hfs_unmount(fs));
	memcpy(&d, h.base + off, sizeof(d));
	d.uid = HFS_ID_INVALID;
	d.crc = hfs_dinode_crc(&d);
	memcpy(h.base + off, &d, sizeof(d));
	EXPECT_EQ(t, ht_fsck(&h, false), HFS_FSCK_ERRORS);
	EXPECT_EQ(t, ht_fsck(&h, true), HFS_FSCK_REPAIRED);
	EXPECT_EQ(t, ht_fsck(&h, false), HFS_FSCK_CLEAN);
	ASSERT_OK(t, hfs_mount(&h.pm, 0, &fs));
	EXPECT_EQ(t, st_of(t, fs, "/f").uid, 0u);
	EXPECT_EQ(t, ht_get(fs, "/f", buf, sizeof(buf)), 3);
	ht_teardown(t, &h, fs);
}

/* ------------------------------------------------------------ version 1 */

#define V1_FIXTURE	"tests/host/fixtures/holdfs-v1.img.gz"
#define V1_SIZE		(1 * MiB)

/* Unpack the fixture into a memory device; 0 or -1 (and fails @t). */
static int load_v1(struct ktest *t, struct hfs_host_pm *h)
{
	FILE *f = popen("gzip -dc " V1_FIXTURE, "r");
	size_t got;

	if (!f || hfs_host_mem(V1_SIZE, h)) {
		ktest_fail_msg(t, "cannot unpack %s", V1_FIXTURE);
		return -1;
	}
	got = fread(h->base, 1, V1_SIZE, f);
	if (pclose(f) != 0 || got != V1_SIZE) {
		ktest_fail_msg(t, "%s: %zu bytes, not %llu", V1_FIXTURE, got,
			       (unsigned long long)V1_SIZE);
		return -1;
	}
	return 0;
}

/* seq 1 2000, as the fixture's /dir/seq.txt holds it. */
static size_t seq_text(char *buf, size_t cap)
{
	size_t n = 0;
	int i;

	for (i = 1; i <= 2000 && n + 8 < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%d\n", i);
	return n;
}

static void v1_files_are_there(struct ktest *t, struct hfs_fs *fs)
{
	static char want[16384], got[16384];
	size_t n = seq_text(want, sizeof(want));
	char link[64];
	struct hfs_stat st;

	EXPECT_EQ(t, ht_get(fs, "/hello.txt", got, sizeof(got)), 17);
	EXPECT_MEMEQ(t, got, "hello, version 1\n", 17);
	EXPECT_EQ(t, ht_get(fs, "/dir/seq.txt", got, sizeof(got)), (int64_t)n);
	EXPECT_MEMEQ(t, got, want, n);
	EXPECT_EQ(t, ht_get(fs, "/dir/sub/empty", got, sizeof(got)), 0);
	EXPECT_EQ(t, st_of(t, fs, "/dir/hardlink").ino, st_of(t, fs, "/hello.txt").ino);
	EXPECT_EQ(t, st_of(t, fs, "/hello.txt").nlink, 2u);
	EXPECT_EQ(t, hfs_readlink(fs, "/dir/symlink", link, sizeof(link)), 12);
	EXPECT_STREQ(t, link, "../" "hello.txt");	/* split: not a repository path */
	st = st_of(t, fs, "/dir");
	EXPECT_EQ(t, st.mode, (uint32_t)(HFS_S_IFDIR | 0755));
	EXPECT_EQ(t, st.nlink, 3u);
	EXPECT_EQ(t, st.uid, 0u);		/* v1 had no owner: root's */
	EXPECT_EQ(t, st.gid, 0u);
	EXPECT_EQ(t, st_of(t, fs, "/hello.txt").mode, (uint32_t)(HFS_S_IFREG | 0644));
	EXPECT_EQ(t, st_of(t, fs, "/lost+found").mode, (uint32_t)(HFS_S_IFDIR | 0700));
}

KTEST(holdfs_attrs, version_1_image_mounts_keeps_its_files_and_is_upgraded)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs;
	const struct hfs_dsuper *sb;

	ASSERT_OK(t, load_v1(t, &h));
	sb = (const void *)h.base;
	ASSERT_EQ(t, sb->version, 1u);
	EXPECT_EQ(t, ht_fsck(&h, false), HFS_FSCK_CLEAN);

	/* read-only: read as it is, not upgraded */
	ASSERT_OK(t, hfs_mount(&h.pm, HFS_MOUNT_RDONLY, &fs));
	v1_files_are_there(t, fs);
	ASSERT_OK(t, hfs_unmount(fs));
	EXPECT_EQ(t, sb->version, 1u);

	/* read-write: upgraded by the mount's first transaction */
	ASSERT_OK(t, hfs_mount(&h.pm, 0, &fs));
	EXPECT_EQ(t, sb->version, (uint32_t)HFS_VERSION);
	v1_files_are_there(t, fs);
	{
		struct hfs_setattr sa = { .mask = HFS_ATTR_UID, .uid = 42 };

		ASSERT_OK(t, setattr_path(fs, "/dir/seq.txt", &sa));
	}
	fs = ht_remount(t, &h, fs);
	ASSERT_NOT_NULL(t, fs);
	EXPECT_EQ(t, st_of(t, fs, "/dir/seq.txt").uid, 42u);
	ht_teardown(t, &h, fs);
}
