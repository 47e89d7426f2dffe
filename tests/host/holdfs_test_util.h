/*
 * holdfs_test_util.h - helpers shared by the holdfs host tests.
 */
#ifndef TESTS_HOST_HOLDFS_TEST_UTIL_H
#define TESTS_HOST_HOLDFS_TEST_UTIL_H

#include <lib/ktest.h>
#include "../../tools/hfs_host.h"	/* the host tools' holdfs platform */
#include "../../fs/holdfs/hfs_int.h"	/* holdfs's private header, on purpose: tests look inside */

#define MiB (1024ULL * 1024)

/* A fresh device of @size bytes with an empty filesystem (not mounted). */
int ht_mkfs(struct hfs_host_pm *h, uint64_t size);
int ht_mkfs_inodes(struct hfs_host_pm *h, uint64_t size, uint64_t inodes);
struct hfs_fs *ht_setup_inodes(struct ktest *t, struct hfs_host_pm *h, uint64_t size,
			       uint64_t inodes);
/* mkfs + mount; returns NULL (and fails @t) on error. */
struct hfs_fs *ht_setup(struct ktest *t, struct hfs_host_pm *h, uint64_t size);
/* unmount, fsck must be clean, free the device. */
void ht_teardown(struct ktest *t, struct hfs_host_pm *h, struct hfs_fs *fs);
/* unmount + mount again (a clean remount). */
struct hfs_fs *ht_remount(struct ktest *t, struct hfs_host_pm *h, struct hfs_fs *fs);
/* Open @path read-write, creating it (0644); NULL (and @t failed) on error. */
struct hfs_inode *ht_create(struct ktest *t, struct hfs_fs *fs, const char *path);
/* Write a whole file at @path; 0 or -errno. */
int ht_put(struct hfs_fs *fs, const char *path, const void *buf, size_t len);
/* Read a whole file (up to cap bytes); returns the length or -errno. */
int64_t ht_get(struct hfs_fs *fs, const char *path, void *buf, size_t cap);
/* fsck (repair or not) with logs silenced; returns HFS_FSCK_*. */
int ht_fsck(struct hfs_host_pm *h, bool repair);
/* Deterministic pattern byte for offset @off of file @seed. */
static inline uint8_t ht_pat(uint64_t seed, uint64_t off)
{
	return (uint8_t)((off * 2654435761u + seed * 97) >> 7);
}

#endif
