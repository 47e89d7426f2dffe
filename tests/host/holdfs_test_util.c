/*
 * holdfs_test_util.c - helpers shared by the holdfs host tests.
 */
#include <stdlib.h>
#include <lib/errno.h>
#include "holdfs_test_util.h"

int ht_mkfs_inodes(struct hfs_host_pm *h, uint64_t size, uint64_t inodes)
{
	struct hfs_mkfs_opts o = { .inodes = inodes };
	int err = hfs_host_mem(size, h);

	if (err)
		return err;
	hfs_host_quiet = true;
	return hfs_mkfs(&h->pm, &o);
}

int ht_mkfs(struct hfs_host_pm *h, uint64_t size)
{
	return ht_mkfs_inodes(h, size, 0);
}

struct hfs_fs *ht_setup(struct ktest *t, struct hfs_host_pm *h, uint64_t size)
{
	return ht_setup_inodes(t, h, size, 0);
}

struct hfs_fs *ht_setup_inodes(struct ktest *t, struct hfs_host_pm *h, uint64_t size,
			       uint64_t inodes)
{
	struct hfs_fs *fs = NULL;
	int err = ht_mkfs_inodes(h, size, inodes);

	if (!err)
		err = hfs_mount(&h->pm, 0, &fs);
	if (err) {
		ktest_fail_msg(t, "mkfs/mount of %llu bytes: %d (%s)", (unsigned long long)size,
			       err, hfs_host_last_log);
		return NULL;
	}
	return fs;
}

int ht_fsck(struct hfs_host_pm *h, bool repair)
{
	struct hfs_fsck_opts o = { .repair = repair, .verbose = false };

	hfs_host_quiet = true;
	return hfs_fsck(&h->pm, &o);
}

void ht_teardown(struct ktest *t, struct hfs_host_pm *h, struct hfs_fs *fs)
{
	int r;

	if (fs) {
		r = hfs_unmount(fs);
		if (r)
			ktest_fail_msg(t, "unmount: %d", r);
	}
	r = ht_fsck(h, false);
	if (r != HFS_FSCK_CLEAN)
		ktest_fail_msg(t, "fsck after the test: %d (%s)", r, hfs_host_last_log);
	hfs_host_close(h);
}

struct hfs_fs *ht_remount(struct ktest *t, struct hfs_host_pm *h, struct hfs_fs *fs)
{
	int err = hfs_unmount(fs);

	if (!err)
		err = hfs_mount(&h->pm, 0, &fs);
	if (err) {
		ktest_fail_msg(t, "remount: %d (%s)", err, hfs_host_last_log);
		return NULL;
	}
	return fs;
}

struct hfs_inode *ht_create(struct ktest *t, struct hfs_fs *fs, const char *path)
{
	struct hfs_inode *ip = NULL;
	int err = hfs_open(fs, path, HFS_O_RDWR | HFS_O_CREAT, 0644, &ip);

	if (err)
		ktest_fail_msg(t, "create %s: %d", path, err);
	return ip;
}

int ht_put(struct hfs_fs *fs, const char *path, const void *buf, size_t len)
{
	struct hfs_inode *ip;
	int64_t n;
	int err = hfs_open(fs, path, HFS_O_WRONLY | HFS_O_CREAT | HFS_O_TRUNC, 0644, &ip);

	if (err)
		return err;
	n = hfs_write(ip, 0, buf, len);
	hfs_iput(ip);
	if (n < 0)
		return (int)n;
	return n == (int64_t)len ? 0 : -EIO;
}

int64_t ht_get(struct hfs_fs *fs, const char *path, void *buf, size_t cap)
{
	struct hfs_inode *ip;
	int64_t n;
	int err = hfs_open(fs, path, HFS_O_RDONLY, 0, &ip);

	if (err)
		return err;
	n = hfs_read(ip, 0, buf, cap);
	hfs_iput(ip);
	return n;
}
