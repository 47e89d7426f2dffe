/*
 * test_vfs.c - the mount table and the path walk (fs/vfs.c), devfs, and
 * open files pinning their mount.  Needs a second NVDIMM (pmem1, at
 * least 16 MiB; the ktest-vfs boot has one): two test block devices
 * cover 6 MiB each of it (so a device over part of a region is exercised
 * too) and are formatted, mounted on /vfs-mnt and /vfs-mnt/sub, and
 * unmounted again by every case; a third over the blank rest is the "not
 * holdfs" one.  Each case makes /vfs-mnt and removes it (a directory left
 * cached would count as a leak).
 */
#include <tests/ktest_kernel.h>
#include <drivers/blkdev.h>
#include <drivers/pmem.h>
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <lib/string.h>
#include <lib/errno.h>

#define HALF		(6ULL << 20)	/* each test device; the last 4 MiB stay blank */
#define MNT		"/vfs-mnt"
#define SUB		"/vfs-mnt/sub"
#define TEST_INODES	64
#define DOTDOT		".."		/* a relative link target goes up */

static struct blkdev halves[2] = { { .name = "vfst0" }, { .name = "vfst1" } };
static char why[VFS_WHY_MAX];

/* The two test devices registered and formatted, /vfs-mnt made. */
static bool setup(struct ktest *t)
{
	struct pmem_region *r = pmem_region(1);
	struct hfs_mkfs_opts o = { .inodes = TEST_INODES };

	if (!fs_test_ready(t))
		return false;
	if (!r || r->size < 2 * HALF) {
		ktest_skip(t, "needs a second NVDIMM of 16 MiB or more (pmem1)");
		return false;
	}
	for (unsigned i = 0; i < 2; i++) {
		if (halves[i].registered)
			continue;
		halves[i].size = HALF;
		halves[i].pmem = r;
		halves[i].pmem_off = i * HALF;
		if (blkdev_register(&halves[i]) || vfs_format_dev(&halves[i], &o))
			return false;
	}
	return vfs_mkdir(MNT, 0755) == 0;
}

static void teardown(struct ktest *t)
{
	EXPECT_OK(t, vfs_rmdir(MNT));
}

static int put_file(const char *path, const char *text)
{
	int fd = vfs_open(path, HFS_O_WRONLY | HFS_O_CREAT | HFS_O_TRUNC, 0644);
	int64_t n;

	if (fd < 0)
		return fd;
	n = vfs_write(fd, text, strlen(text));
	vfs_close(fd);
	return n < 0 ? (int)n : 0;
}

static int64_t get_file(const char *path, char *buf, size_t size)
{
	int fd = vfs_open(path, HFS_O_RDONLY, 0);
	int64_t n;

	if (fd < 0)
		return fd;
	n = vfs_read(fd, buf, size - 1);
	vfs_close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

KTEST(vfs, mount_refusals_each_say_why)
{
	if (!setup(t))
		return;
	EXPECT_ERR(t, vfs_mount("pmem9", MNT, 0, why, sizeof(why)), -ENODEV);
	EXPECT_STREQ(t, why, "no such device (ls /dev lists them)");
	EXPECT_ERR(t, vfs_mount("/dev/pmem0", MNT, 0, why, sizeof(why)), -EBUSY);
	EXPECT_STREQ(t, why, "pmem0 is already mounted, at /");
	EXPECT_ERR(t, vfs_mount("vfst0", "/vfs-none", 0, why, sizeof(why)), -ENOENT);
	ASSERT_OK(t, put_file("/vfs-file", "x"));
	EXPECT_ERR(t, vfs_mount("vfst0", "/vfs-file", 0, why, sizeof(why)), -ENOTDIR);
	EXPECT_STREQ(t, why, "not a directory");
	ASSERT_OK(t, vfs_mount("vfst0", MNT, 0, why, sizeof(why)));
	EXPECT_ERR(t, vfs_mount("vfst0", "/", 0, why, sizeof(why)), -EBUSY);
	EXPECT_STREQ(t, why, "vfst0 is already mounted, at " MNT);
	EXPECT_ERR(t, vfs_mount("vfst1", MNT, 0, why, sizeof(why)), -EBUSY);
	EXPECT_STREQ(t, why, "vfst0 is mounted there already");
	EXPECT_ERR(t, vfs_umount("/vfs-file", why, sizeof(why)), -EINVAL);
	EXPECT_STREQ(t, why, "not a mount point");
	EXPECT_ERR(t, vfs_umount("/", why, sizeof(why)), -EBUSY);
	EXPECT_OK(t, vfs_umount(MNT, why, sizeof(why)));
	EXPECT_OK(t, vfs_unlink("/vfs-file"));
	teardown(t);
}

KTEST(vfs, not_holdfs_says_what_is_there)
{
	struct blkdev junk = { .name = "vfsjunk", .size = HALF / 2 };

	if (!setup(t))
		return;
	junk.pmem = pmem_region(1);
	junk.pmem_off = 2 * HALF;
	ASSERT_OK(t, blkdev_register(&junk));
	EXPECT_ERR(t, vfs_mount("vfsjunk", MNT, 0, why, sizeof(why)), -EINVAL);
	EXPECT_STREQ(t, why, "not holdfs: it is blank (its first 4 KiB are zeros)");
	ASSERT_OK(t, pmem_write(junk.pmem, junk.pmem_off, "not-hold", 8));
	EXPECT_ERR(t, vfs_mount("vfsjunk", MNT, 0, why, sizeof(why)), -EINVAL);
	EXPECT_STREQ(t, why, "not holdfs: unknown data (it starts 6e 6f 74 2d 68 6f 6c 64)");
	EXPECT_OK(t, pmem_write(junk.pmem, junk.pmem_off, "\0\0\0\0\0\0\0\0", 8));
	EXPECT_OK(t, blkdev_unregister(&junk));
	teardown(t);
}

KTEST(vfs, walk_crosses_in_and_out_with_dotdot)
{
	struct hfs_stat a, b;
	char buf[32];

	if (!setup(t))
		return;
	ASSERT_OK(t, vfs_mount("/dev/vfst0", MNT, 0, why, sizeof(why)));
	ASSERT_OK(t, put_file(MNT "/on-vfst0", "inside"));
	EXPECT_EQ(t, get_file(MNT "/on-vfst0", buf, sizeof(buf)), 6);
	EXPECT_STREQ(t, buf, "inside");
	EXPECT_TRUE(t, vfs_same_file(MNT "/..", "/", true));
	EXPECT_TRUE(t, vfs_same_file("/..", "/", true));
	EXPECT_TRUE(t, vfs_same_file("/../../" MNT, MNT "/.", true));
	EXPECT_TRUE(t, vfs_same_file(MNT "/../vfs-mnt/on-vfst0", MNT "/on-vfst0", true));
	/* the mount's root is the other filesystem's root directory */
	ASSERT_OK(t, vfs_stat(MNT, &a));
	ASSERT_OK(t, vfs_stat("/", &b));
	EXPECT_EQ(t, a.ino, b.ino);		/* both roots: holdfs's root inode */
	EXPECT_FALSE(t, vfs_same_file(MNT, "/", true));
	ASSERT_OK(t, vfs_umount(MNT, why, sizeof(why)));
	/* unmounted: the file is not on the root's /vfs-mnt */
	EXPECT_ERR(t, vfs_stat(MNT "/on-vfst0", &a), -ENOENT);
	ASSERT_OK(t, vfs_mount("vfst0", MNT, 0, why, sizeof(why)));
	EXPECT_OK(t, vfs_stat(MNT "/on-vfst0", &a));
	EXPECT_OK(t, vfs_unlink(MNT "/on-vfst0"));
	EXPECT_OK(t, vfs_umount(MNT, why, sizeof(why)));
	teardown(t);
}

KTEST(vfs, symlinks_in_a_mount_resolve_from_the_global_root)
{
	char buf[32];

	if (!setup(t))
		return;
	ASSERT_OK(t, put_file("/vfs-target", "on-root"));
	ASSERT_OK(t, vfs_mount("vfst0", MNT, 0, why, sizeof(why)));
	ASSERT_OK(t, put_file(MNT "/vfs-target", "on-vfst0"));
	ASSERT_OK(t, vfs_symlink("/vfs-target", MNT "/abs"));
	ASSERT_OK(t, vfs_symlink(DOTDOT "/vfs-target", MNT "/rel"));
	EXPECT_EQ(t, get_file(MNT "/abs", buf, sizeof(buf)), 7);
	EXPECT_STREQ(t, buf, "on-root");
	EXPECT_EQ(t, get_file(MNT "/rel", buf, sizeof(buf)), 7);
	EXPECT_STREQ(t, buf, "on-root");
	/* a symlink on the root into the mount */
	ASSERT_OK(t, vfs_symlink(MNT "/vfs-target", "/vfs-in"));
	EXPECT_EQ(t, get_file("/vfs-in", buf, sizeof(buf)), 8);
	EXPECT_STREQ(t, buf, "on-vfst0");
	/* O_CREAT through a dangling absolute link creates on the root */
	ASSERT_OK(t, vfs_symlink("/vfs-made", MNT "/dangling"));
	EXPECT_OK(t, put_file(MNT "/dangling", "made"));
	EXPECT_EQ(t, get_file("/vfs-made", buf, sizeof(buf)), 4);
	EXPECT_OK(t, vfs_unlink("/vfs-made"));
	EXPECT_OK(t, vfs_unlink("/vfs-in"));
	EXPECT_OK(t, vfs_unlink("/vfs-target"));
	EXPECT_OK(t, vfs_unlink(MNT "/dangling"));
	EXPECT_OK(t, vfs_unlink(MNT "/abs"));
	EXPECT_OK(t, vfs_unlink(MNT "/rel"));
	EXPECT_OK(t, vfs_unlink(MNT "/vfs-target"));
	EXPECT_OK(t, vfs_umount(MNT, why, sizeof(why)));
	teardown(t);
}

KTEST(vfs, rename_and_link_across_mounts_are_exdev)
{
	if (!setup(t))
		return;
	ASSERT_OK(t, vfs_mount("vfst0", MNT, 0, why, sizeof(why)));
	ASSERT_OK(t, put_file(MNT "/x", "x"));
	EXPECT_ERR(t, vfs_rename(MNT "/x", "/vfs-x"), -EXDEV);
	EXPECT_ERR(t, vfs_link(MNT "/x", "/vfs-x"), -EXDEV);
	EXPECT_ERR(t, vfs_rename("/lost+found", MNT "/lf"), -EXDEV);
	EXPECT_OK(t, vfs_rename(MNT "/x", MNT "/y"));	/* inside one: fine */
	EXPECT_ERR(t, vfs_rmdir(MNT), -EBUSY);		/* a mount point */
	EXPECT_ERR(t, vfs_rename(MNT, "/vfs-moved"), -EBUSY);
	EXPECT_OK(t, vfs_unlink(MNT "/y"));
	EXPECT_OK(t, vfs_umount(MNT, why, sizeof(why)));
	teardown(t);
}

KTEST(vfs, umount_refuses_while_busy_and_says_why)
{
	int fd;

	if (!setup(t))
		return;
	ASSERT_OK(t, vfs_mount("vfst0", MNT, 0, why, sizeof(why)));
	fd = vfs_open(MNT "/open", HFS_O_RDWR | HFS_O_CREAT, 0644);
	ASSERT_GE(t, fd, 0);
	EXPECT_ERR(t, vfs_umount(MNT, why, sizeof(why)), -EBUSY);
	EXPECT_STREQ(t, why, "busy: 1 open file on it");
	EXPECT_OK(t, vfs_close(fd));
	vfs_mkdir(MNT "/sub", 0755);
	ASSERT_OK(t, vfs_mount("vfst1", SUB, 0, why, sizeof(why)));
	EXPECT_ERR(t, vfs_umount(MNT, why, sizeof(why)), -EBUSY);
	EXPECT_STREQ(t, why, "busy: " SUB " is mounted below it");
	EXPECT_TRUE(t, vfs_same_file(SUB "/../..", "/", true));
	EXPECT_OK(t, vfs_umount(SUB, why, sizeof(why)));
	EXPECT_OK(t, vfs_rmdir(MNT "/sub"));
	EXPECT_OK(t, vfs_unlink(MNT "/open"));
	EXPECT_OK(t, vfs_umount(MNT, why, sizeof(why)));
	teardown(t);
}

KTEST(vfs, read_only_mount_refuses_changes)
{
	struct hfs_stat st;

	if (!setup(t))
		return;
	ASSERT_OK(t, vfs_mount("vfst0", MNT, VFS_MNT_RDONLY, why, sizeof(why)));
	EXPECT_ERR(t, put_file(MNT "/ro", "x"), -EROFS);
	EXPECT_ERR(t, vfs_mkdir(MNT "/d", 0755), -EROFS);
	EXPECT_OK(t, vfs_stat(MNT "/lost+found", &st));
	EXPECT_OK(t, vfs_umount(MNT, why, sizeof(why)));
	teardown(t);
}

/* vfs_pwritev: the pieces land one after another, through the file's
 * access mode, and the offset is not moved. */
KTEST(vfs, pwritev_gathers_pieces)
{
	static const char want[] = "a gather write, in pieces";
	struct hfs_iovec iov[4] = { { "a gat", 5 }, { "", 0 }, { "her write, in", 13 },
				    { " pieces", 7 } };
	char got[64];
	int fd;

	if (!setup(t))
		return;
	ASSERT_OK(t, vfs_mount("vfst0", MNT, 0, why, sizeof(why)));
	fd = vfs_open(MNT "/v", HFS_O_RDWR | HFS_O_CREAT, 0644);
	ASSERT_GE(t, fd, 0);
	EXPECT_EQ(t, vfs_pwritev(fd, iov, 4, 3), (int64_t)strlen(want));
	EXPECT_EQ(t, vfs_lseek(fd, 0, VFS_SEEK_CUR), 0);
	EXPECT_EQ(t, vfs_pread(fd, got, sizeof(got), 0), (int64_t)(3 + strlen(want)));
	EXPECT_MEMEQ(t, got, "\0\0\0", 3);
	EXPECT_MEMEQ(t, got + 3, want, strlen(want));
	EXPECT_OK(t, vfs_close(fd));
	fd = vfs_open(MNT "/v", HFS_O_RDONLY, 0);
	ASSERT_GE(t, fd, 0);
	EXPECT_ERR(t, vfs_pwritev(fd, iov, 4, 0), -EBADF);
	EXPECT_OK(t, vfs_close(fd));
	EXPECT_ERR(t, vfs_pwritev(fd, iov, 4, 0), -EBADF);	/* closed */
	EXPECT_OK(t, vfs_unlink(MNT "/v"));
	EXPECT_OK(t, vfs_umount(MNT, why, sizeof(why)));
	teardown(t);
}

KTEST(vfs, dev_lists_block_devices)
{
	struct pmem_region *r0 = pmem_region(0);
	struct hfs_dirent de;
	struct hfs_stat st;
	uint64_t cookie = 0;
	bool seen0 = false, seen_t = false;
	uint8_t head[16];
	int fd, n;

	if (!setup(t))
		return;
	ASSERT_OK(t, vfs_stat("/dev/pmem0", &st));
	EXPECT_EQ(t, st.mode & HFS_S_IFMT, VFS_S_IFBLK);
	EXPECT_EQ(t, st.size, r0->size);
	ASSERT_OK(t, vfs_stat("/dev/vfst1", &st));
	EXPECT_EQ(t, st.size, HALF);
	EXPECT_ERR(t, vfs_stat("/dev/nothing", &st), -ENOENT);
	EXPECT_ERR(t, vfs_open("/dev/pmem0", HFS_O_RDWR, 0), -EROFS);
	EXPECT_ERR(t, vfs_mkdir("/dev/d", 0755), -EROFS);
	fd = vfs_open("/dev/pmem0", HFS_O_RDONLY, 0);
	ASSERT_GE(t, fd, 0);
	EXPECT_EQ(t, vfs_read(fd, head, sizeof(head)), (int64_t)sizeof(head));
	EXPECT_MEMEQ(t, head, r0->virt, sizeof(head));
	EXPECT_OK(t, vfs_close(fd));
	fd = vfs_open("/dev", HFS_O_RDONLY, 0);
	ASSERT_GE(t, fd, 0);
	while ((n = vfs_readdir(fd, &cookie, &de)) > 0) {
		seen0 |= !strcmp(de.name, "pmem0") && de.type == VFS_S_IFBLK;
		seen_t |= !strcmp(de.name, "vfst1");
	}
	EXPECT_EQ(t, n, 0);
	EXPECT_TRUE(t, seen0);
	EXPECT_TRUE(t, seen_t);
	EXPECT_OK(t, vfs_close(fd));
	EXPECT_TRUE(t, vfs_same_file("/dev/..", "/", true));
	teardown(t);
}
