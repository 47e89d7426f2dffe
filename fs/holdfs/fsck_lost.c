/*
 * fsck_lost.c - the last step of fsck -y: give every lost inode an entry
 * in /lost+found.
 *
 * fsck.c has already made the image consistent in every other way: the
 * bitmaps claim the lost inodes and their blocks, a lost file's link count
 * includes the entry it is about to get, a lost directory's subtree is
 * checked.  What is left is adding entries, which may need a new directory
 * block; rather than grow a directory by hand, this mounts the filesystem
 * and adds each entry with the directory code, one transaction per inode.
 * A crash part-way leaves inodes that the next fsck finds lost again.
 *
 * Names are "#INO" (as e2fsck names them), "#INO.N" if that is taken.
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include "hfs_int.h"

#define NAME_TRIES	16	/* "#INO", "#INO.1" ... before giving up */

/*
 * /lost+found, creating it if @lf is 0.  *@counted tells whether fsck
 * already counted lost directories in its link count (only when it
 * existed).  Without a usable /lost+found, the root takes the entries.
 */
static int lost_found(struct hfs_fs *fs, uint64_t lf, struct hfs_inode **out, bool *counted)
{
	int err;

	*counted = lf != 0;
	if (lf)
		return hfs_iget(fs, lf, out);
	err = hfs_mkdir(fs, "/" HFS_LOST_FOUND, 0700);
	if (err == -EEXIST) {
		hfs_log("fsck: /%s is not a directory; reconnecting into / instead\n",
			HFS_LOST_FOUND);
		*out = hfs_igrab(fs->root);
		return 0;
	}
	if (err) {
		hfs_log("fsck: cannot create /%s (error %d)\n", HFS_LOST_FOUND, err);
		return err;
	}
	return hfs_lookup(fs, "/" HFS_LOST_FOUND, false, out);
}

/* A free name for inode @ino in @dir, into @name; its length or 0. */
static size_t free_name(struct hfs_inode *dir, uint64_t ino, char *name, size_t size)
{
	unsigned try;

	for (try = 0; try < NAME_TRIES; try++) {
		uint64_t other, pos;
		int n = try ? snprintf(name, size, "#%llu.%u", (unsigned long long)ino, try)
			    : snprintf(name, size, "#%llu", (unsigned long long)ino);

		if (hfs_dir_lookup(dir, name, (size_t)n, &other, &pos) == -ENOENT)
			return (size_t)n;
	}
	return 0;
}

/* One entry for @l in @dir; a directory moves under it. */
static int relink(struct hfs_fs *fs, struct hfs_inode *dir, const struct hfs_lost *l,
		  bool count_subdir)
{
	struct hfs_inode *ip;
	struct hfs_tx *tx;
	char name[32];
	size_t len;
	int err = hfs_iget(fs, l->ino, &ip);

	if (err)
		return err;
	hfs_down_write(&fs->ns_lock);
	len = free_name(dir, l->ino, name, sizeof(name));
	if (!len) {
		err = -EEXIST;
		goto out_unlock;
	}
	tx = hfs_tx_begin(fs);
	hfs_dir_add(tx, dir, name, len, l->ino, hfs_mode_ft(ip->d.mode));
	if (l->is_dir) {
		hfs_tx_dirty_inode(tx, ip);
		ip->d.parent = hfs_ino(dir);
		if (count_subdir) {
			hfs_tx_dirty_inode(tx, dir);
			dir->d.nlink++;
		}
	}
	hfs_touch(dir, true);
	err = hfs_tx_commit(tx);
out_unlock:
	hfs_up_write(&fs->ns_lock);
	if (err)
		hfs_log("fsck: inode %llu: no entry in /%s (error %d)\n",
			(unsigned long long)l->ino, HFS_LOST_FOUND, err);
	hfs_iput(ip);
	return err;
}

/**
 * hfs_fsck_reconnect - give each of the @n inodes in @lost an entry in
 * /lost+found (inode @lf, or created when @lf is 0).
 * @pm: the device, consistent but for those entries, not mounted.
 *
 * Context: fsck -y only, after its in-place repairs are fenced; may sleep.
 * Returns how many inodes got no entry (all of them, or 1 when @n is 0,
 * if the filesystem would not mount or /lost+found could not be made).
 */
uint64_t hfs_fsck_reconnect(struct hfs_pm *pm, uint64_t lf, const struct hfs_lost *lost,
			    uint64_t n)
{
	uint64_t i, failed = 0, all = n ? n : 1;
	struct hfs_inode *dir;
	struct hfs_fs *fs;
	bool counted;
	int err = hfs_mount(pm, 0, &fs);

	if (err) {
		hfs_log("fsck: cannot mount to reconnect lost inodes (error %d)\n", err);
		return all;
	}
	err = lost_found(fs, lf, &dir, &counted);
	if (err) {
		hfs_unmount(fs);
		return all;
	}
	for (i = 0; i < n; i++)
		failed += relink(fs, dir, &lost[i], !counted) != 0;
	hfs_iput(dir);
	err = hfs_unmount(fs);
	if (err) {
		hfs_log("fsck: unmount after reconnecting failed (error %d)\n", err);
		return all;
	}
	return failed;
}
