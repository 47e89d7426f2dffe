/*
 * vfs_holdfs.c - holdfs as the VFS sees it: its operations table, each
 * entry the holdfs *_at call on one component (include/fs/holdfs.h gives
 * every call's locks and errors).  A node is a struct hfs_inode.
 */
#include "vfs_int.h"

static void *h_root(void *fs) { return hfs_root_inode(fs); }
static void *h_grab(void *n) { return hfs_igrab(n); }
static void h_put(void *n) { hfs_iput(n); }
static uint64_t h_ino(void *n) { return hfs_ino(n); }
static int h_getattr(void *n, struct hfs_stat *st) { return hfs_getattr(n, st); }

static int h_lookup(void *fs, void *dir, const char *name, void **out)
{
	return hfs_lookup_one(fs, dir, name, (struct hfs_inode **)out);
}

static int h_readlink(void *fs, void *dir, const char *name, char *buf, size_t size)
{
	return hfs_readlink_at(fs, dir, name, buf, size);
}

static int h_open(void *fs, void *dir, const char *name, int flags, uint32_t mode, void **out)
{
	return hfs_open_at(fs, dir, name, flags | HFS_O_NOFOLLOW, mode,
			   (struct hfs_inode **)out);
}

static int h_mkdir(void *fs, void *dir, const char *name, uint32_t mode)
{
	return hfs_mkdir_at(fs, dir, name, mode);
}

static int h_rmdir(void *fs, void *dir, const char *name)
{
	return hfs_rmdir_at(fs, dir, name);
}

static int h_unlink(void *fs, void *dir, const char *name, const struct hfs_wait *w)
{
	return hfs_unlink_at(fs, dir, name, w);
}

static int h_rename(void *fs, void *fdir, const char *from, void *tdir, const char *to,
		    unsigned flags, const struct hfs_wait *w)
{
	return hfs_rename2_at(fs, fdir, from, tdir, to, flags, w);
}

static int h_setattr(void *node, const struct hfs_setattr *sa) { return hfs_setattr(node, sa); }

static int h_link(void *fs, void *odir, const char *old, void *ndir, const char *name)
{
	return hfs_link_at(fs, odir, old, ndir, name);
}

static int h_symlink(void *fs, const char *target, void *dir, const char *name)
{
	return hfs_symlink_at(fs, target, dir, name);
}

static int64_t h_read(void *n, uint64_t off, void *buf, size_t len)
{
	return hfs_read(n, off, buf, len);
}

static int64_t h_write(void *n, uint64_t off, const void *buf, size_t len)
{
	return hfs_write(n, off, buf, len);
}

static int64_t h_writev(void *n, uint64_t off, const struct hfs_iovec *iov, unsigned cnt)
{
	return hfs_writev(n, off, iov, cnt);
}

static int h_truncate(void *n, uint64_t size, const struct hfs_wait *w)
{
	return hfs_truncate(n, size, w);
}

static int h_fallocate(void *n, int mode, uint64_t off, uint64_t len, const struct hfs_wait *w)
{
	return hfs_fallocate(n, mode, off, len, w);
}

static int h_fsync(void *n) { return hfs_fsync(n); }

static int h_readdir(void *n, uint64_t *cookie, struct hfs_dirent *de)
{
	return hfs_readdir(n, cookie, de);
}

static int h_statfs(void *fs, struct hfs_statfs *st) { return hfs_statfs(fs, st); }
static int h_sync(void *fs) { return hfs_sync(fs); }

const struct vfs_fs_ops vfs_holdfs_ops = {
	.type = "holdfs",
	.root = h_root,
	.grab = h_grab,
	.put = h_put,
	.ino = h_ino,
	.getattr = h_getattr,
	.lookup = h_lookup,
	.readlink = h_readlink,
	.open = h_open,
	.mkdir = h_mkdir,
	.rmdir = h_rmdir,
	.unlink = h_unlink,
	.rename = h_rename,
	.setattr = h_setattr,
	.link = h_link,
	.symlink = h_symlink,
	.read = h_read,
	.write = h_write,
	.writev = h_writev,
	.truncate = h_truncate,
	.fallocate = h_fallocate,
	.fsync = h_fsync,
	.readdir = h_readdir,
	.statfs = h_statfs,
	.sync = h_sync,
};
