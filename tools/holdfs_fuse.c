/*
 * holdfs_fuse.c - holdfs-fuse: mount a holdfs image with FUSE (libfuse3).
 *
 *	holdfs-fuse IMAGE MOUNTPOINT [FUSE OPTIONS, e.g. -f -s -d]
 *
 * Each FUSE operation maps onto one call of the holdfs API (holdfs.h);
 * an open file's handle is its referenced inode.  Errors are holdfs's
 * negative errnos, which FUSE passes to the kernel as they are (holdfs
 * uses Linux numbering).  The operations table (hfs_fuse_ops) takes the
 * filesystem from fuse_get_context()->private_data, so tests can drive it
 * without a kernel mount.
 *
 * Hard links.  libfuse's path API gives the kernel one node per name, so
 * two names of one file are two kernel inodes, each caching its own
 * attributes.  Hence f_init: use_ino, so that every name reports the
 * holdfs inode number (libfuse's node ids otherwise: one per name), and
 * attr_timeout 0, so that the kernel asks again on each stat (a link,
 * unlink or write through one name refreshes only that name's node: the
 * others would show a stale link count, size and times until the timeout,
 * 1 s by default).  readdir fills d_ino too.  tests/fuse_roundtrip.py
 * checks all three under a real mount.
 *
 * Owners and permissions.  A file, directory or symlink made through the
 * mount belongs to the FUSE caller (fuse_get_context(), handed to holdfs's
 * hfs_plat_cred() by as_caller()); chmod, chown and utimens are
 * hfs_setattr().  holdfs-fuse itself checks no permission: main() always
 * mounts with default_permissions, so the kernel checks mode, owner and
 * group the way it does for any local filesystem (who may open, chmod,
 * chown, set times).  With -o allow_other (root, or user_allow_other in
 * /etc/fuse.conf) other users reach the mount under those same rules.
 */
#define FUSE_USE_VERSION 31
#include <fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "hfs_host.h"

static struct hfs_fs *FS(void)
{
	return fuse_get_context()->private_data;
}

static void to_stat(const struct hfs_stat *h, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = h->ino;
	st->st_mode = h->mode;
	st->st_nlink = h->nlink;
	st->st_size = (off_t)h->size;
	st->st_blocks = (blkcnt_t)(h->blocks * (HFS_BLOCK_SIZE / 512));
	st->st_blksize = HFS_BLOCK_SIZE;
	st->st_atim.tv_sec = (time_t)(h->atime_ns / 1000000000u);
	st->st_atim.tv_nsec = (long)(h->atime_ns % 1000000000u);
	st->st_mtim.tv_sec = (time_t)(h->mtime_ns / 1000000000u);
	st->st_mtim.tv_nsec = (long)(h->mtime_ns % 1000000000u);
	st->st_ctim.tv_sec = (time_t)(h->ctime_ns / 1000000000u);
	st->st_ctim.tv_nsec = (long)(h->ctime_ns % 1000000000u);
	st->st_uid = h->uid;
	st->st_gid = h->gid;
}

/* What this request creates belongs to its caller (hfs_plat_cred). */
static void as_caller(void)
{
	const struct fuse_context *c = fuse_get_context();

	hfs_host_set_cred(true, (uint32_t)c->uid, (uint32_t)c->gid);
}

static int f_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct hfs_stat h;
	int r;

	if (fi && fi->fh)
		r = hfs_getattr((struct hfs_inode *)(uintptr_t)fi->fh, &h);
	else
		r = hfs_stat(FS(), path, false, &h);
	if (!r)
		to_stat(&h, st);
	return r;
}

static int f_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		     struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct hfs_inode *dir;
	struct hfs_dirent de;
	uint64_t cookie = (uint64_t)off;
	int r = hfs_lookup(FS(), path, true, &dir);

	if (r)
		return r;
	while ((r = hfs_readdir(dir, &cookie, &de)) == 1) {
		struct stat st = { .st_ino = de.ino, .st_mode = de.type };

		if (fill(buf, de.name, &st, (off_t)cookie, 0))
			break;
	}
	hfs_iput(dir);
	return r < 0 ? r : 0;
}

static int f_open(const char *path, struct fuse_file_info *fi)
{
	struct hfs_inode *ip;
	int r = hfs_open(FS(), path, fi->flags & (HFS_O_ACCMODE | HFS_O_TRUNC | HFS_O_NOFOLLOW),
			 0, &ip);

	if (!r)
		fi->fh = (uint64_t)(uintptr_t)ip;
	return r;
}

static int f_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct hfs_inode *ip;
	int r;

	as_caller();
	r = hfs_open(FS(), path, (fi->flags & (HFS_O_ACCMODE | HFS_O_EXCL | HFS_O_TRUNC)) |
			 HFS_O_CREAT, mode & 07777, &ip);

	if (!r)
		fi->fh = (uint64_t)(uintptr_t)ip;
	return r;
}

static int f_release(const char *path, struct fuse_file_info *fi)
{
	hfs_iput((struct hfs_inode *)(uintptr_t)fi->fh);
	return 0;
}

static int f_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	return (int)hfs_read((struct hfs_inode *)(uintptr_t)fi->fh, (uint64_t)off, buf, size);
}

static int f_write(const char *path, const char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct hfs_inode *ip = (struct hfs_inode *)(uintptr_t)fi->fh;
	struct hfs_stat st;

	if (fi->flags & HFS_O_APPEND) {
		hfs_getattr(ip, &st);
		off = (off_t)st.size;
	}
	return (int)hfs_write(ip, (uint64_t)off, buf, size);
}

static int f_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct hfs_inode *ip;
	int r;

	if (size < 0)
		return -EINVAL;
	if (fi && fi->fh)
		return hfs_truncate((struct hfs_inode *)(uintptr_t)fi->fh, (uint64_t)size, NULL);
	r = hfs_open(FS(), path, HFS_O_WRONLY, 0, &ip);
	if (r)
		return r;
	r = hfs_truncate(ip, (uint64_t)size, NULL);
	hfs_iput(ip);
	return r;
}

static int f_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi)
{
	if (off < 0 || len < 0)
		return -EINVAL;
	return hfs_fallocate((struct hfs_inode *)(uintptr_t)fi->fh, mode, (uint64_t)off,
			     (uint64_t)len, NULL);
}

static int f_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	return hfs_fsync((struct hfs_inode *)(uintptr_t)fi->fh);
}

static int f_unlink(const char *path) { return hfs_unlink(FS(), path, NULL); }
static int f_rmdir(const char *path) { return hfs_rmdir(FS(), path); }

static int f_mkdir(const char *path, mode_t mode)
{
	as_caller();
	return hfs_mkdir(FS(), path, mode & 07777);
}

static int f_symlink(const char *target, const char *path)
{
	as_caller();
	return hfs_symlink(FS(), target, path);
}

static int f_link(const char *from, const char *to) { return hfs_link(FS(), from, to); }

/* renameat2: holdfs takes Linux's RENAME_NOREPLACE and RENAME_EXCHANGE
 * values as they are and refuses any other flag with -EINVAL. */
static int f_rename(const char *from, const char *to, unsigned int flags)
{
	return hfs_rename2(FS(), from, to, flags, NULL);
}

static int f_readlink(const char *path, char *buf, size_t size)
{
	int r = hfs_readlink(FS(), path, buf, size);

	return r < 0 ? r : 0;
}

static int f_statfs(const char *path, struct statvfs *sv)
{
	struct hfs_statfs st;

	hfs_statfs(FS(), &st);
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = sv->f_frsize = st.block_size;
	sv->f_blocks = st.blocks;
	sv->f_bfree = sv->f_bavail = st.free_blocks;
	sv->f_files = st.inodes;
	sv->f_ffree = sv->f_favail = st.free_inodes;
	sv->f_namemax = st.name_max;
	return 0;
}

/* hfs_setattr on the open file @fi, else on the entry at @path itself (a
 * final symlink not followed: the kernel has resolved the path already,
 * and lchown reaches a symlink this way). */
static int setattr_at(const char *path, struct fuse_file_info *fi, const struct hfs_setattr *sa)
{
	struct hfs_inode *ip;
	int r;

	if (fi && fi->fh)
		return hfs_setattr((struct hfs_inode *)(uintptr_t)fi->fh, sa);
	r = hfs_lookup(FS(), path, false, &ip);
	if (r)
		return r;
	r = hfs_setattr(ip, sa);
	hfs_iput(ip);
	return r;
}

static int f_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct hfs_setattr sa = { .mask = HFS_ATTR_MODE, .mode = mode & 07777 };

	return setattr_at(path, fi, &sa);
}

/* chown(2): an id of -1 leaves that id as it is. */
static int f_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct hfs_setattr sa = { .uid = (uint32_t)uid, .gid = (uint32_t)gid };

	if (uid != (uid_t)-1)
		sa.mask |= HFS_ATTR_UID;
	if (gid != (gid_t)-1)
		sa.mask |= HFS_ATTR_GID;
	return setattr_at(path, fi, &sa);
}

#define NS_PER_S 1000000000ull

/*
 * One time of utimensat(2) into @sa: UTIME_OMIT leaves @bit out of the
 * mask, UTIME_NOW is HFS_TIME_NOW.  holdfs counts ns from 1970 in 63 bits:
 * a time before 1970 or past 2262 is -EINVAL, as is a tv_nsec outside
 * 0..999999999.
 */
static int time_arg(const struct timespec *t, unsigned bit, uint64_t *ns, unsigned *mask)
{
	if (t->tv_nsec == UTIME_OMIT)
		return 0;
	*mask |= bit;
	if (t->tv_nsec == UTIME_NOW) {
		*ns = HFS_TIME_NOW;
		return 0;
	}
	if (t->tv_sec < 0 || t->tv_nsec < 0 || (uint64_t)t->tv_nsec >= NS_PER_S ||
	    (uint64_t)t->tv_sec > ((uint64_t)INT64_MAX - (uint64_t)t->tv_nsec) / NS_PER_S)
		return -EINVAL;
	*ns = (uint64_t)t->tv_sec * NS_PER_S + (uint64_t)t->tv_nsec;
	return 0;
}

static int f_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	static const struct timespec now[2] = { { .tv_nsec = UTIME_NOW }, { .tv_nsec = UTIME_NOW } };
	struct hfs_setattr sa = { 0 };
	int r;

	if (!tv)
		tv = now;
	r = time_arg(&tv[0], HFS_ATTR_ATIME, &sa.atime_ns, &sa.mask);
	if (!r)
		r = time_arg(&tv[1], HFS_ATTR_MTIME, &sa.mtime_ns, &sa.mask);
	return r ? r : setattr_at(path, fi, &sa);
}

/* The mount's settings; the top of this file says why. */
static void *f_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1;
	cfg->attr_timeout = 0;
	return FS();
}

const struct fuse_operations hfs_fuse_ops = {
	.init = f_init, .getattr = f_getattr, .readdir = f_readdir,
	.open = f_open, .create = f_create, .release = f_release,
	.read = f_read, .write = f_write, .truncate = f_truncate,
	.fallocate = f_fallocate, .fsync = f_fsync,
	.unlink = f_unlink, .rmdir = f_rmdir, .mkdir = f_mkdir,
	.symlink = f_symlink, .link = f_link, .rename = f_rename,
	.readlink = f_readlink, .statfs = f_statfs,
	.chmod = f_chmod, .chown = f_chown, .utimens = f_utimens,
};

int main(int argc, char **argv)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs;
	char **fargs;
	int r, i, n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: holdfs-fuse IMAGE MOUNTPOINT [FUSE OPTIONS (-f -s -d ...)]\n");
		return 2;
	}
	if (hfs_host_open(argv[1], 0, &h))
		return 1;
	r = hfs_mount(&h.pm, 0, &fs);
	if (r) {
		fprintf(stderr, "holdfs-fuse: %s: %s\n", argv[1], strerror(r));
		hfs_host_close(&h);
		return 1;
	}
	fargs = calloc((size_t)argc + 2, sizeof(*fargs));
	if (!fargs)
		return 1;
	fargs[n++] = argv[0];
	fargs[n++] = argv[2];
	for (i = 3; i < argc; i++)
		fargs[n++] = argv[i];
	fargs[n++] = "-odefault_permissions";
	r = fuse_main(n, fargs, &hfs_fuse_ops, fs);
	free(fargs);
	if (hfs_unmount(fs))
		fprintf(stderr, "holdfs-fuse: %s: files still open at unmount\n", argv[1]);
	hfs_host_close(&h);
	return r;
}
