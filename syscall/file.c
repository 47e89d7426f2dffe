/*
 * file.c - the file system calls: descriptors, paths, attributes,
 * directories.  Linux semantics and errno values (the man pages of each
 * call); struct stat is Linux x86-64's 144-byte layout, getdents64 fills
 * struct linux_dirent64.
 *
 * Data moves through a kernel bounce buffer (BOUNCE bytes at a time):
 * the filesystem never touches user memory, so a bad user pointer can
 * only fail the copy (-EFAULT), never fault inside holdfs with its locks
 * held.  Paths are made absolute here (user_path_at) before the VFS sees
 * them: relative ones against the cwd or the directory fd's path.
 */
#include "sys_int.h"
#include <kernel/proc.h>
#include <kernel/mm.h>
#include <kernel/uaccess.h>
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <lib/string.h>
#include <lib/errno.h>

#define BOUNCE		(16 * 1024)
#define IOV_MAX		1024
#define S_IFIFO		0010000
#define S_IFCHR		0020000

struct linux_stat {
	uint64_t st_dev, st_ino, st_nlink;
	uint32_t st_mode, st_uid, st_gid, pad0;
	uint64_t st_rdev;
	int64_t st_size, st_blksize, st_blocks;
	uint64_t st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
	int64_t unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "Linux x86-64 struct stat");

struct iovec_k {
	uint64_t base, len;
};

/* ------------------------------------------------------------ paths */

int user_path_at(int dirfd, uint64_t upath, char **out, bool empty_ok)
{
	char *rel = kmalloc(SYS_PATH_MAX), *abs = NULL;
	const char *base;
	struct file *df = NULL;
	long n;
	int err = 0;

	*out = NULL;
	if (!rel)
		return -ENOMEM;
	n = strncpy_from_user(rel, upath, SYS_PATH_MAX);
	if (n < 0) {
		err = (int)n;
		goto out;
	}
	if (n == 0 && !empty_ok) {
		err = -ENOENT;
		goto out;
	}
	if (rel[0] == '/') {
		*out = rel;
		return 0;
	}
	if (dirfd == AT_FDCWD) {
		base = proc_current()->cwd;
	} else {
		df = fd_file(dirfd);
		if (!df) {
			err = -EBADF;
			goto out;
		}
		if (!file_is_dir(df) && n) {
			err = -ENOTDIR;
			goto out;
		}
		base = file_path(df);
		if (!base[0]) {
			err = -ENOTDIR;		/* a pipe or the console */
			goto out;
		}
	}
	abs = kmalloc(SYS_PATH_MAX);
	if (!abs) {
		err = -ENOMEM;
		goto out;
	}
	if (strlen(base) + 1 + (size_t)n + 1 > SYS_PATH_MAX) {
		err = -ENAMETOOLONG;
		kfree(abs);
		goto out;
	}
	strlcpy(abs, base, SYS_PATH_MAX);
	if (n) {
		if (abs[strlen(abs) - 1] != '/')
			strlcat(abs, "/", SYS_PATH_MAX);
		strlcat(abs, rel, SYS_PATH_MAX);
	}
	*out = abs;
out:
	if (df)
		file_put(df);
	kfree(rel);
	return err;
}

/* ------------------------------------------------------------ open, close */

static int do_open(int dirfd, uint64_t upath, uint64_t flags, uint64_t mode)
{
	struct file *f;
	char *path;
	int fd, err, hflags;

	err = user_path_at(dirfd, upath, &path, false);
	if (err)
		return err;
	hflags = (int)(flags & (HFS_O_ACCMODE | HFS_O_CREAT | HFS_O_EXCL | HFS_O_TRUNC |
				HFS_O_APPEND | HFS_O_NOFOLLOW));
	if ((flags & HFS_O_ACCMODE) == 3) {
		kfree(path);
		return -EINVAL;
	}
	if (!strcmp(path, DMADEV_PATH)) {		/* a device of the top layer */
		f = dmadev_open();
		err = f ? 0 : -ENOMEM;
	} else {
		err = vfs_file_open(path, hflags, (uint32_t)mode & 07777 & ~proc_current()->umask,
				    &f);
	}
	kfree(path);
	if (err)
		return err;
	if ((flags & O_DIRECTORY) && !file_is_dir(f)) {
		file_put(f);
		return -ENOTDIR;
	}
	/* O_DIRECT: zero copy on a block device that can (NVMe); elsewhere
	 * accepted and ignored (holdfs files are DAX: no page cache). */
	if ((flags & O_DIRECT) && blk_direct_can(f))
		file_set_direct(f);
	fd = fdt_install_from(cur_fdt(), f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYS(sys_open) { return do_open(AT_FDCWD, a0, a1, a2); }
SYS(sys_openat) { return do_open((int)a0, a1, a2, a3); }
SYS(sys_close) { return fdt_close(cur_fdt(), (int)a0); }

/* ------------------------------------------------------------ data */

/* read/pread into user memory through the bounce buffer; @off < 0: at
 * the file offset. */
static int64_t read_to_user(struct file *f, uint64_t ubuf, uint64_t len, int64_t off)
{
	char *buf;
	int64_t done = 0;

	if (!user_range_ok(ubuf, len))
		return -EFAULT;
	if (!file_fops(f) && file_is_dir(f))
		return -EISDIR;
	buf = kmalloc(BOUNCE);
	if (!buf)
		return -ENOMEM;
	while ((uint64_t)done < len) {
		size_t want = MIN(len - (uint64_t)done, (uint64_t)BOUNCE);
		int64_t n = off < 0 ? file_read(f, buf, want) : file_pread(f, buf, want, (uint64_t)off + (uint64_t)done);
		if (n < 0) {
			if (!done)
				done = n;
			break;
		}
		if (n && copy_to_user(ubuf + (uint64_t)done, buf, (size_t)n)) {
			/* the data was consumed; Linux returns what it copied */
			if (!done)
				done = -EFAULT;
			break;
		}
		done += n;
		if ((size_t)n < want || file_fops(f))
			break;		/* end of file, or a pipe/tty: one go */
	}
	kfree(buf);
	return done;
}

static int64_t write_from_user(struct file *f, uint64_t ubuf, uint64_t len, int64_t off)
{
	char *buf;
	int64_t done = 0;

	if (!user_range_ok(ubuf, len))
		return -EFAULT;
	buf = kmalloc(BOUNCE);
	if (!buf)
		return -ENOMEM;
	while ((uint64_t)done < len) {
		size_t want = MIN(len - (uint64_t)done, (uint64_t)BOUNCE);
		int64_t n;
		if (copy_from_user(buf, ubuf + (uint64_t)done, want)) {
			if (!done)
				done = -EFAULT;
			break;
		}
		n = off < 0 ? file_write(f, buf, want) : file_pwrite(f, buf, want, (uint64_t)off + (uint64_t)done);
		if (n < 0) {
			if (!done)
				done = n;
			break;
		}
		done += n;
		if ((size_t)n < want)
			break;
	}
	kfree(buf);
	return done;
}

#define WITH_FILE(fd, expr) ({				\
	struct file *f = fd_file((int)(fd));		\
	int64_t r_ = -EBADF;				\
	if (f) {					\
		r_ = (expr);				\
		file_put(f);				\
	}						\
	r_; })

/* A block device opened with O_DIRECT: syscall/blkdirect.c, zero copy. */
#define DIRECT(f) (file_flags(f) & VFS_O_DIRECT)
SYS(sys_read)
{
	return WITH_FILE(a0, DIRECT(f) ? blk_direct_io(f, a1, a2, -1, false) :
			 read_to_user(f, a1, a2, -1));
}
SYS(sys_write)
{
	return WITH_FILE(a0, DIRECT(f) ? blk_direct_io(f, a1, a2, -1, true) :
			 write_from_user(f, a1, a2, -1));
}
SYS(sys_pread64)
{
	if ((int64_t)a3 < 0)
		return -EINVAL;
	return WITH_FILE(a0, DIRECT(f) ? blk_direct_io(f, a1, a2, (int64_t)a3, false) :
			 read_to_user(f, a1, a2, (int64_t)a3));
}
SYS(sys_pwrite64)
{
	if ((int64_t)a3 < 0)
		return -EINVAL;
	return WITH_FILE(a0, DIRECT(f) ? blk_direct_io(f, a1, a2, (int64_t)a3, true) :
			 write_from_user(f, a1, a2, (int64_t)a3));
}
SYS(sys_lseek) { return WITH_FILE(a0, file_lseek(f, (int64_t)a1, (int)a2)); }

static int64_t do_iov(struct file *f, uint64_t uiov, uint64_t cnt, bool write)
{
	int64_t total = 0;

	if (cnt > IOV_MAX)
		return -EINVAL;
	for (uint64_t i = 0; i < cnt; i++) {
		struct iovec_k v;
		int64_t n;
		if (copy_from_user(&v, uiov + i * sizeof(v), sizeof(v)))
			return total ? total : -EFAULT;
		if ((int64_t)v.len < 0)
			return -EINVAL;
		if (!v.len)
			continue;
		n = write ? write_from_user(f, v.base, v.len, -1) : read_to_user(f, v.base, v.len, -1);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((uint64_t)n < v.len)
			break;
	}
	return total;
}

SYS(sys_readv) { return WITH_FILE(a0, do_iov(f, a1, a2, false)); }
SYS(sys_writev) { return WITH_FILE(a0, do_iov(f, a1, a2, true)); }

/* ------------------------------------------------------------ stat */

static int put_stat(uint64_t ubuf, const struct hfs_stat *st)
{
	struct linux_stat ls = { 0 };

	ls.st_dev = 1;
	ls.st_ino = st->ino;
	ls.st_nlink = st->nlink;
	ls.st_mode = st->mode;
	ls.st_uid = st->uid;
	ls.st_gid = st->gid;
	ls.st_size = (int64_t)st->size;
	ls.st_blksize = 4096;
	ls.st_blocks = (int64_t)st->blocks * 8;
	ls.st_atime = st->atime_ns / 1000000000;
	ls.st_atime_nsec = st->atime_ns % 1000000000;
	ls.st_mtime = st->mtime_ns / 1000000000;
	ls.st_mtime_nsec = st->mtime_ns % 1000000000;
	ls.st_ctime = st->ctime_ns / 1000000000;
	ls.st_ctime_nsec = st->ctime_ns % 1000000000;
	return copy_to_user(ubuf, &ls, sizeof(ls));
}

static int64_t fstat_file(struct file *f, uint64_t ubuf)
{
	struct hfs_stat st;
	int err = file_fstat(f, &st);

	return err ? err : put_stat(ubuf, &st);
}

SYS(sys_fstat) { return WITH_FILE(a0, fstat_file(f, a1)); }

static int64_t stat_at(int dirfd, uint64_t upath, uint64_t ubuf, uint64_t flags)
{
	struct hfs_stat st;
	char *path, first[2];
	long n;
	int err;

	if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (flags & AT_EMPTY_PATH) {
		/* an empty path: the file open at @dirfd itself (fstat) */
		n = strncpy_from_user(first, upath, sizeof(first));
		if (n == -EFAULT)
			return n;
		if (n == 0 && dirfd != AT_FDCWD)
			return WITH_FILE(dirfd, fstat_file(f, ubuf));
	}
	err = user_path_at(dirfd, upath, &path, flags & AT_EMPTY_PATH);
	if (err)
		return err;
	err = (flags & AT_SYMLINK_NOFOLLOW) ? vfs_lstat(path, &st) : vfs_stat(path, &st);
	kfree(path);
	return err ? err : put_stat(ubuf, &st);
}

SYS(sys_stat) { return stat_at(AT_FDCWD, a0, a1, 0); }
SYS(sys_lstat) { return stat_at(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW); }
SYS(sys_newfstatat) { return stat_at((int)a0, a1, a2, a3); }

static int64_t access_at(int dirfd, uint64_t upath, uint64_t mode)
{
	struct hfs_stat st;
	char *path;
	int err;

	if (mode & ~7ULL)
		return -EINVAL;
	err = user_path_at(dirfd, upath, &path, false);
	if (err)
		return err;
	err = vfs_stat(path, &st);	/* root may do anything that exists */
	kfree(path);
	return err;
}

SYS(sys_access) { return access_at(AT_FDCWD, a0, a1); }
SYS(sys_faccessat) { return access_at((int)a0, a1, a2); }

/* ------------------------------------------------------------ directories */

struct dirent64_hdr {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
} __packed;

static uint8_t dtype(uint32_t mode)
{
	switch (mode & HFS_S_IFMT) {
	case HFS_S_IFDIR: return 4;	/* DT_DIR */
	case HFS_S_IFREG: return 8;	/* DT_REG */
	case HFS_S_IFLNK: return 10;	/* DT_LNK */
	case VFS_S_IFBLK: return 6;	/* DT_BLK */
	default: return 0;		/* DT_UNKNOWN */
	}
}

static int64_t getdents(struct file *f, uint64_t ubuf, uint64_t len)
{
	struct hfs_dirent *de = kmalloc(sizeof(*de));
	char *rec = kmalloc(sizeof(struct dirent64_hdr) + HFS_NAME_MAX + 8);
	uint64_t done = 0;
	int64_t r = 0;

	if (!de || !rec) {
		r = -ENOMEM;
		goto out;
	}
	if (!file_is_dir(f)) {
		r = -ENOTDIR;
		goto out;
	}
	for (;;) {
		int64_t pos = file_lseek(f, 0, VFS_SEEK_CUR);
		uint64_t cookie = (uint64_t)pos;
		size_t nlen, reclen;
		struct dirent64_hdr h;
		int got;

		if (pos < 0) {
			r = pos;
			break;
		}
		got = file_readdir(f, &cookie, de);
		if (got <= 0) {
			r = got;
			break;
		}
		nlen = strlen(de->name);
		reclen = ALIGN_UP(sizeof(h) + nlen + 1, 8);
		if (done + reclen > len) {
			if (!done)
				r = -EINVAL;	/* the buffer cannot hold one entry */
			break;
		}
		h.d_ino = de->ino;
		h.d_off = (int64_t)cookie;
		h.d_reclen = (uint16_t)reclen;
		h.d_type = dtype(de->type);
		memset(rec, 0, reclen);
		memcpy(rec, &h, sizeof(h));
		memcpy(rec + sizeof(h), de->name, nlen);
		if (copy_to_user(ubuf + done, rec, reclen)) {
			r = -EFAULT;
			break;
		}
		done += reclen;
		if ((int64_t)cookie < 0 || file_lseek(f, (int64_t)cookie, VFS_SEEK_SET) < 0) {
			r = -EOVERFLOW;
			break;
		}
	}
out:
	kfree(de);
	kfree(rec);
	return done ? (int64_t)done : r;
}

SYS(sys_getdents64)
{
	if (!user_range_ok(a1, a2))
		return -EFAULT;
	return WITH_FILE(a0, getdents(f, a1, a2));
}

/* Path calls: one or two user paths, then a VFS call. */
#define ONE_PATH(dirfd, up, call) ({			\
	char *p_;					\
	int e_ = user_path_at((int)(dirfd), (up), &p_, false); \
	if (!e_) {					\
		e_ = call;				\
		kfree(p_);				\
	}						\
	(int64_t)e_; })

#define TWO_PATHS(d1, u1, d2, u2, call) ({		\
	char *p1_, *p2_;				\
	int e_ = user_path_at((int)(d1), (u1), &p1_, false); \
	if (!e_) {					\
		e_ = user_path_at((int)(d2), (u2), &p2_, false); \
		if (!e_) {				\
			e_ = call;			\
			kfree(p2_);			\
		}					\
		kfree(p1_);				\
	}						\
	(int64_t)e_; })

#define MKDIR_MODE(m) ((uint32_t)(m) & 07777 & ~proc_current()->umask)
SYS(sys_mkdir) { return ONE_PATH(AT_FDCWD, a0, vfs_mkdir(p_, MKDIR_MODE(a1))); }
SYS(sys_mkdirat) { return ONE_PATH(a0, a1, vfs_mkdir(p_, MKDIR_MODE(a2))); }

SYS(sys_umask)
{
	struct proc *p = proc_current();
	uint32_t old = p->umask;

	p->umask = (uint32_t)a0 & 0777;
	return old;
}
SYS(sys_rmdir) { return ONE_PATH(AT_FDCWD, a0, vfs_rmdir(p_)); }
SYS(sys_unlink) { return ONE_PATH(AT_FDCWD, a0, vfs_unlink(p_)); }
SYS(sys_unlinkat)
{
	if (a2 & ~(uint64_t)AT_REMOVEDIR)
		return -EINVAL;
	return ONE_PATH(a0, a1, (a2 & AT_REMOVEDIR) ? vfs_rmdir(p_) : vfs_unlink(p_));
}
SYS(sys_rename) { return TWO_PATHS(AT_FDCWD, a0, AT_FDCWD, a1, vfs_rename(p1_, p2_)); }
SYS(sys_renameat) { return TWO_PATHS(a0, a1, a2, a3, vfs_rename(p1_, p2_)); }
SYS(sys_renameat2)
{
	if (a4 & ~(uint64_t)(HFS_RENAME_NOREPLACE | HFS_RENAME_EXCHANGE))
		return -EINVAL;
	return TWO_PATHS(a0, a1, a2, a3, vfs_rename2(p1_, p2_, (unsigned)a4));
}
SYS(sys_link) { return TWO_PATHS(AT_FDCWD, a0, AT_FDCWD, a1, vfs_link(p1_, p2_)); }
SYS(sys_linkat)
{
	if (a4 & ~(uint64_t)AT_SYMLINK_FOLLOW)
		return -EINVAL;
	return TWO_PATHS(a0, a1, a2, a3, vfs_link(p1_, p2_));
}

static int64_t symlink_at(uint64_t utarget, int dirfd, uint64_t ulink)
{
	char *target = kmalloc(SYS_PATH_MAX);
	long n;
	int64_t r;

	if (!target)
		return -ENOMEM;
	n = strncpy_from_user(target, utarget, SYS_PATH_MAX);
	if (n < 0)
		r = n;
	else if (n == 0)
		r = -ENOENT;
	else
		r = ONE_PATH(dirfd, ulink, vfs_symlink(target, p_));
	kfree(target);
	return r;
}

SYS(sys_symlink) { return symlink_at(a0, AT_FDCWD, a1); }
SYS(sys_symlinkat) { return symlink_at(a0, (int)a1, a2); }

static int64_t readlink_at(int dirfd, uint64_t upath, uint64_t ubuf, uint64_t size)
{
	char *buf;
	int64_t r;

	if ((int64_t)size <= 0)
		return -EINVAL;
	if (!user_range_ok(ubuf, size))
		return -EFAULT;
	buf = kmalloc(SYS_PATH_MAX);
	if (!buf)
		return -ENOMEM;
	r = ONE_PATH(dirfd, upath, vfs_readlink(p_, buf, SYS_PATH_MAX));
	if (r >= 0) {
		size_t n = strnlen(buf, SYS_PATH_MAX);
		if (n > size)
			n = size;
		r = copy_to_user(ubuf, buf, n) ? -EFAULT : (int64_t)n;
	}
	kfree(buf);
	return r;
}

SYS(sys_readlink) { return readlink_at(AT_FDCWD, a0, a1, a2); }
SYS(sys_readlinkat) { return readlink_at((int)a0, a1, a2, a3); }

SYS(sys_truncate)
{
	if ((int64_t)a1 < 0)
		return -EINVAL;
	return ONE_PATH(AT_FDCWD, a0, vfs_truncate(p_, a1, NULL));
}
SYS(sys_ftruncate)
{
	if ((int64_t)a1 < 0)
		return -EINVAL;
	return WITH_FILE(a0, file_truncate(f, a1));
}
SYS(sys_fallocate)
{
	if ((int64_t)a2 < 0 || (int64_t)a3 <= 0)
		return -EINVAL;
	return WITH_FILE(a0, file_fallocate(f, (int)a1, a2, a3));
}
SYS(sys_fsync) { return WITH_FILE(a0, file_fsync(f)); }

/* ------------------------------------------------------------ attributes */

SYS(sys_chmod) { return ONE_PATH(AT_FDCWD, a0, vfs_chmod(p_, (uint32_t)a1 & 07777)); }
SYS(sys_fchmodat) { return ONE_PATH(a0, a1, vfs_chmod(p_, (uint32_t)a2 & 07777)); }
SYS(sys_chown) { return ONE_PATH(AT_FDCWD, a0, vfs_chown(p_, (uint32_t)a1, (uint32_t)a2, true)); }
SYS(sys_lchown) { return ONE_PATH(AT_FDCWD, a0, vfs_chown(p_, (uint32_t)a1, (uint32_t)a2, false)); }
SYS(sys_fchownat)
{
	return ONE_PATH(a0, a1, vfs_chown(p_, (uint32_t)a2, (uint32_t)a3,
					  !(a4 & AT_SYMLINK_NOFOLLOW)));
}

/* fchmod/fchown on an fd: through the path it was opened by. */
static int64_t by_fd_path(int fd, int kind, uint64_t x, uint64_t y)
{
	struct file *f = fd_file(fd);
	int64_t r;

	if (!f)
		return -EBADF;
	if (!file_path(f)[0])
		r = -EINVAL;
	else if (kind == 0)
		r = vfs_chmod(file_path(f), (uint32_t)x & 07777);
	else
		r = vfs_chown(file_path(f), (uint32_t)x, (uint32_t)y, true);
	file_put(f);
	return r;
}

SYS(sys_fchmod) { return by_fd_path((int)a0, 0, a1, 0); }
SYS(sys_fchown) { return by_fd_path((int)a0, 1, a1, a2); }

#define UTIME_NOW	((1L << 30) - 1)
#define UTIME_OMIT	((1L << 30) - 2)

static int timespec_ns(const int64_t ts[2], uint64_t *ns)
{
	if (ts[1] == UTIME_NOW) {
		*ns = HFS_TIME_NOW;
		return 0;
	}
	if (ts[1] == UTIME_OMIT) {
		*ns = VFS_TIME_OMIT;
		return 0;
	}
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -EINVAL;
	*ns = (uint64_t)ts[0] * 1000000000 + (uint64_t)ts[1];
	return 0;
}

SYS(sys_utimensat)
{
	int64_t ts[4];
	uint64_t at = HFS_TIME_NOW, mt = HFS_TIME_NOW;
	int err;

	if (a3 & ~(uint64_t)AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	if (a2) {
		if (copy_from_user(ts, a2, sizeof(ts)))
			return -EFAULT;
		if ((err = timespec_ns(ts, &at)) || (err = timespec_ns(ts + 2, &mt)))
			return err;
	}
	if (!a1) {
		/* futimens(fd): the file open at a0 (through its path) */
		struct file *f;
		int64_t r;
		if ((int)a0 == AT_FDCWD)
			return -EFAULT;
		f = fd_file((int)a0);
		if (!f)
			return -EBADF;
		r = file_path(f)[0] ? vfs_utimens(file_path(f), at, mt, true) : -EINVAL;
		file_put(f);
		return r;
	}
	return ONE_PATH(a0, a1, vfs_utimens(p_, at, mt, !(a3 & AT_SYMLINK_NOFOLLOW)));
}

/* ------------------------------------------------------------ fds */

SYS(sys_dup)
{
	struct file *f = fd_file((int)a0);
	int fd;

	if (!f)
		return -EBADF;
	fd = fdt_install_from(cur_fdt(), f, 0, false);
	if (fd < 0)
		file_put(f);
	return fd;
}

static int64_t dup_to(int oldfd, int newfd, bool cloexec)
{
	struct file *f = fd_file(oldfd);

	if (!f)
		return -EBADF;
	if (newfd < 0 || newfd >= VFS_MAX_FILES) {
		file_put(f);
		return -EBADF;
	}
	return fdt_install_at(cur_fdt(), newfd, f, cloexec);
}

SYS(sys_dup2)
{
	if (a0 == a1) {
		struct file *f = fd_file((int)a0);
		if (!f)
			return -EBADF;
		file_put(f);
		return (int64_t)a1;
	}
	return dup_to((int)a0, (int)a1, false);
}

SYS(sys_dup3)
{
	if (a0 == a1 || (a2 & ~(uint64_t)O_CLOEXEC))
		return -EINVAL;
	return dup_to((int)a0, (int)a1, a2 & O_CLOEXEC);
}

#define F_DUPFD		0
#define F_GETFD		1
#define F_SETFD		2
#define F_GETFL		3
#define F_SETFL		4
#define F_DUPFD_CLOEXEC	1030

SYS(sys_fcntl)
{
	struct file *f = fd_file((int)a0);
	int64_t r;

	if (!f)
		return -EBADF;
	switch (a1) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((int64_t)a2 < 0 || a2 >= VFS_MAX_FILES) {
			r = -EINVAL;
			break;
		}
		r = fdt_install_from(cur_fdt(), file_get(f), (int)a2, a1 == F_DUPFD_CLOEXEC);
		if (r < 0)
			file_put(f);
		break;
	case F_GETFD:
		r = fdt_cloexec(cur_fdt(), (int)a0, -1);
		break;
	case F_SETFD:
		r = fdt_cloexec(cur_fdt(), (int)a0, (int)(a2 & FD_CLOEXEC));
		r = r < 0 ? r : 0;
		break;
	case F_GETFL:
		r = file_flags(f);
		break;
	case F_SETFL:
		file_set_flags(f, (int)a2);
		r = 0;
		break;
	default:
		r = -EINVAL;
	}
	file_put(f);
	return r;
}

static int64_t make_pipe(uint64_t ufds, uint64_t flags)
{
	struct file *rd, *wr;
	int fds[2], err;

	if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	if (!user_range_ok(ufds, sizeof(fds)))
		return -EFAULT;
	err = pipe_create(&rd, &wr);
	if (err)
		return err;
	fds[0] = fdt_install_from(cur_fdt(), rd, 0, flags & O_CLOEXEC);
	if (fds[0] < 0) {
		file_put(rd);
		file_put(wr);
		return fds[0];
	}
	fds[1] = fdt_install_from(cur_fdt(), wr, 0, flags & O_CLOEXEC);
	if (fds[1] < 0) {
		fdt_close(cur_fdt(), fds[0]);
		file_put(wr);
		return fds[1];
	}
	if (copy_to_user(ufds, fds, sizeof(fds))) {
		fdt_close(cur_fdt(), fds[0]);
		fdt_close(cur_fdt(), fds[1]);
		return -EFAULT;
	}
	return 0;
}

SYS(sys_pipe) { return make_pipe(a0, 0); }
SYS(sys_pipe2) { return make_pipe(a0, a1); }

/* ------------------------------------------------------------ cwd */

SYS(sys_getcwd)
{
	const char *cwd = proc_current()->cwd;
	size_t n = strlen(cwd) + 1;

	if (a1 < n)
		return a1 ? -ERANGE : -EINVAL;
	return copy_to_user(a0, cwd, n) ? -EFAULT : (int64_t)n;
}

static int set_cwd(const char *path)
{
	struct hfs_stat st;
	int err = vfs_stat(path, &st);

	if (err)
		return err;
	if ((st.mode & HFS_S_IFMT) != HFS_S_IFDIR)
		return -ENOTDIR;
	if (strlen(path) >= PROC_CWD_MAX)
		return -ENAMETOOLONG;
	strlcpy(proc_current()->cwd, path, PROC_CWD_MAX);
	return 0;
}

/* "/a/b/../c/." as "/a/c": the cwd is kept clean for getcwd. */
static void normalize(char *path)
{
	char *out = path, *in = path;

	while (*in) {
		while (*in == '/')
			in++;
		char *seg = in;
		while (*in && *in != '/')
			in++;
		size_t len = (size_t)(in - seg);
		if (!len || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, len);
		out += len;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

SYS(sys_chdir)
{
	char *path;
	int err = user_path_at(AT_FDCWD, a0, &path, false);

	if (err)
		return err;
	normalize(path);
	err = set_cwd(path);
	kfree(path);
	return err;
}

SYS(sys_fchdir)
{
	struct file *f = fd_file((int)a0);
	int err;

	if (!f)
		return -EBADF;
	err = file_path(f)[0] ? set_cwd(file_path(f)) : -ENOTDIR;
	file_put(f);
	return err;
}

/* ------------------------------------------------------------ ioctl */

#define TCGETS		0x5401
#define TIOCGWINSZ	0x5413
#define TIOCGPGRP	0x540F

struct termios_k {			/* Linux's kernel struct termios */
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line, c_cc[19];
};

SYS(sys_ioctl)
{
	struct file *f = fd_file((int)a0);
	int64_t r = -ENOTTY;

	if (!f)
		return -EBADF;
	if (dmadev_is(f)) {
		r = dmadev_ioctl(f, (uint32_t)a1, a2);	/* Linux: unsigned int cmd */
		file_put(f);
		return r;
	}
	if (file_fops(f) && file_fops(f)->getattr) {
		struct hfs_stat st;
		file_fops(f)->getattr(f, &st);
		if ((st.mode & HFS_S_IFMT) == S_IFCHR) {	/* the console */
			if (a1 == TIOCGWINSZ) {
				uint16_t ws[4] = { 24, 80, 0, 0 };
				r = copy_to_user(a2, ws, sizeof(ws)) ? -EFAULT : 0;
			} else if (a1 == TCGETS) {
				struct termios_k t = { .c_iflag = 0x500, .c_oflag = 0x5,
						       .c_cflag = 0xbf, .c_lflag = 0x8a3b };
				r = copy_to_user(a2, &t, sizeof(t)) ? -EFAULT : 0;
			} else if (a1 == TIOCGPGRP) {
				int pg = proc_current()->pgid;
				r = copy_to_user(a2, &pg, sizeof(pg)) ? -EFAULT : 0;
			}
		}
	}
	file_put(f);
	return r;
}
