/*
 * vfs.c - file descriptors and path operations over the root holdfs.
 *
 * The root filesystem is pmem region 0, mounted at boot when it holds a
 * holdfs image.  An fd is an index into `files`; each slot holds an inode
 * reference, the open flags and the file offset.  Reads and writes at the
 * offset take the slot's mutex, so a shared fd behaves like a POSIX one.
 * Paths go straight to holdfs.  See include/fs/vfs.h.
 *
 * Context of every vfs_* call: thread context, may sleep (holdfs's locks
 * and the slot mutexes are sleeping locks); the caller holds no spinlock
 * and no holdfs lock.  Locks: fd_lock (a spinlock) only around the table's
 * slots, never across a holdfs call; a slot's mutex around the offset.
 * A call on a path fails with -ENODEV when nothing is mounted, a call on
 * an fd with -EBADF when it is not open; the rest are holdfs's errors
 * (holdfs.h documents them per call).
 */
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <drivers/pmem.h>
#include <kernel/sync.h>
#include <kernel/printk.h>
#include <kernel/mm.h>
#include <lib/errno.h>
#include <lib/string.h>


struct file {
	struct hfs_inode *ip;		/* NULL: slot free (fd_lock) */
	int flags;
	uint64_t off;			/* lock */
	struct mutex lock;
};

static struct hfs_fs *root;
static struct hfs_pm *root_pm;
static spinlock_t fd_lock = SPINLOCK_INIT("fd_table");
static struct file files[VFS_MAX_FILES];
static unsigned nopen;			/* fd_lock */

/** vfs_mounted - is the root filesystem mounted?  Any context, no lock. */
bool vfs_mounted(void) { return root != NULL; }

/**
 * vfs_root - the mounted root filesystem, or NULL, for the callers of
 * holdfs itself (DMA on files, the shell, the tests).  Any context, no
 * lock; it stays valid until vfs_unmount_root() or vfs_format_root().
 */
struct hfs_fs *vfs_root(void) { return root; }

/*
 * Why pmem0 is not mounted (holdfs logged the details just before) and
 * what to do on the host, where the image file is.
 */
static void report_not_mounted(int err)
{
	switch (err) {
	case -EINVAL:
		kprintf("vfs: pmem0 not mounted: it holds no usable holdfs; format it here "
			"with: mkfs pmem0 (this erases it); or, with the machine off, on the "
			"host with build/tools/mkfs.holdfs IMAGE, or boot with a new image "
			"(make run PMEM=new.img)\n");
		break;
	case -EOPNOTSUPP:
		kprintf("vfs: pmem0 not mounted: its holdfs format is not one this kernel reads; "
			"boot a Holdfast build that reads it\n");
		break;
	case -EUCLEAN:
		kprintf("vfs: pmem0 not mounted: the holdfs on it is damaged; on the host, "
			"run build/tools/fsck.holdfs -y IMAGE\n");
		break;
	default:
		kprintf("vfs: pmem0 not mounted (error %d: %s)\n", err, strerror(err));
	}
}

/**
 * vfs_mount_root - mount holdfs from pmem region 0.  Boot, thread context.
 * Returns 0, -ENODEV without pmem, or holdfs's refusal (which it reports).
 */
int vfs_mount_root(void)
{
	struct pmem_region *r = pmem_region(0);
	int err;

	for (unsigned i = 0; i < VFS_MAX_FILES; i++)
		mutex_init(&files[i].lock, "file");
	if (!r)
		return -ENODEV;
	if (!root_pm && !(root_pm = hfs_kernel_pm(r)))
		return -ENOMEM;
	err = hfs_mount(root_pm, 0, &root);
	if (err) {
		root = NULL;
		report_not_mounted(err);
		return err;
	}
	kprintf("vfs: holdfs on pmem0 mounted at /\n");
	return 0;
}

/**
 * vfs_unmount_root - unmount the root filesystem.  Returns 0, -ENODEV (not
 * mounted), -EBUSY (a file is open, or holdfs still holds an inode).
 * Nothing may use vfs_root() during or after it.
 */
int vfs_unmount_root(void)
{
	int err;

	if (!root)
		return -ENODEV;
	if (vfs_open_count())
		return -EBUSY;
	err = hfs_unmount(root);
	if (!err)
		root = NULL;
	return err;
}

/**
 * vfs_format - make a fresh, empty holdfs on pmem region @index with
 * @opts (NULL: mkfs's defaults), erasing what was there; region 0 is then
 * mounted as the root.  Thread context, may sleep; only the shell thread
 * (or a test) calls it, so nothing formats or mounts meanwhile.
 * Returns 0, -ENODEV (no such region), -EBUSY (it holds the mounted root:
 * vfs_unmount_root() first), -ENOMEM, hfs_mkfs's errors, or, for region
 * 0, vfs_mount_root's.
 */
int vfs_format(unsigned index, const struct hfs_mkfs_opts *opts)
{
	struct pmem_region *r = pmem_region(index);
	struct hfs_pm *pm;
	int err;

	if (!r)
		return -ENODEV;
	if (index == 0 && root)
		return -EBUSY;
	if (index == 0) {
		if (!root_pm && !(root_pm = hfs_kernel_pm(r)))
			return -ENOMEM;
		err = hfs_mkfs(root_pm, opts);
		return err ? err : vfs_mount_root();
	}
	pm = hfs_kernel_pm(r);
	if (!pm)
		return -ENOMEM;
	err = hfs_mkfs(pm, opts);
	kfree(pm);
	return err;
}

/**
 * vfs_format_root - make a fresh, empty holdfs on pmem0 and mount it
 * (unmounting first), with @inodes inodes (0: as many as the mounted one
 * has, or mkfs's default).  For benchmarks that overwrite pmem0 and for
 * scratch test machines.  -EBUSY while files are open.
 */
int vfs_format_root(uint64_t inodes)
{
	struct hfs_mkfs_opts opts = { 0 };
	struct hfs_statfs st;
	int err;

	if (!pmem_region(0))
		return -ENODEV;
	opts.inodes = inodes;
	if (!inodes && root && hfs_statfs(root, &st) == 0)
		opts.inodes = st.inodes;
	if (root && (err = vfs_unmount_root()) != 0)
		return err;
	return vfs_format(0, &opts);
}

static struct file *get_file(int fd)
{
	if (fd < 0 || fd >= VFS_MAX_FILES)
		return NULL;
	return READ_ONCE(files[fd].ip) ? &files[fd] : NULL;
}

#define NEED_ROOT() do { if (!root) return -ENODEV; } while (0)

/**
 * vfs_open - open @path with HFS_O_* @flags (@mode: permission bits of a
 * new file) and return its fd.  Takes fd_lock briefly, after hfs_open.
 * Returns the fd, -EMFILE (VFS_MAX_FILES open), or hfs_open's errors.
 */
int vfs_open(const char *path, int flags, uint32_t mode)
{
	struct hfs_inode *ip;
	int err, fd = -EMFILE;

	NEED_ROOT();
	err = hfs_open(root, path, flags, mode, &ip);
	if (err)
		return err;
	spin_lock(&fd_lock);
	for (int i = 0; i < VFS_MAX_FILES; i++) {
		if (!files[i].ip) {
			files[i].ip = ip;
			files[i].flags = flags;
			files[i].off = 0;
			nopen++;
			fd = i;
			break;
		}
	}
	spin_unlock(&fd_lock);
	if (fd < 0)
		hfs_iput(ip);
	return fd;
}

/**
 * vfs_close - free @fd and drop its reference (the last one of an unlinked
 * file frees its blocks: hfs_iput).  Returns 0 or -EBADF.
 */
int vfs_close(int fd)
{
	struct hfs_inode *ip = NULL;

	if (fd < 0 || fd >= VFS_MAX_FILES)
		return -EBADF;
	spin_lock(&fd_lock);
	if (files[fd].ip) {
		ip = files[fd].ip;
		files[fd].ip = NULL;
		nopen--;
	}
	spin_unlock(&fd_lock);
	if (!ip)
		return -EBADF;
	hfs_iput(ip);
	return 0;
}

/** vfs_open_count - how many fds are open.  Any context, no lock (a snapshot). */
unsigned vfs_open_count(void)
{
	return READ_ONCE(nopen);
}

static bool can_read(const struct file *f)
{
	return (f->flags & HFS_O_ACCMODE) != HFS_O_WRONLY;
}

static bool can_write(const struct file *f)
{
	return (f->flags & HFS_O_ACCMODE) != HFS_O_RDONLY;
}

/**
 * vfs_pread - read at @off, leaving the fd's offset alone.  Returns the
 * count, -EBADF (not open, or open write-only), or hfs_read's errors.
 */
int64_t vfs_pread(int fd, void *buf, size_t len, uint64_t off)
{
	struct file *f = get_file(fd);

	if (!f)
		return -EBADF;
	if (!can_read(f))
		return -EBADF;
	return hfs_read(f->ip, off, buf, len);
}

/**
 * vfs_pwrite - write at @off, leaving the fd's offset alone.  Returns the
 * count, -EBADF (not open, or open read-only), or hfs_write's errors.
 */
int64_t vfs_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	struct file *f = get_file(fd);

	if (!f)
		return -EBADF;
	if (!can_write(f))
		return -EBADF;
	return hfs_write(f->ip, off, buf, len);
}

/**
 * vfs_read - read at the fd's offset and advance it.  Holds the slot's
 * mutex across the read, so threads sharing @fd never read one byte
 * twice.  Returns the count, -EBADF, or hfs_read's errors.
 */
int64_t vfs_read(int fd, void *buf, size_t len)
{
	struct file *f = get_file(fd);
	int64_t n;

	if (!f)
		return -EBADF;
	if (!can_read(f))
		return -EBADF;
	mutex_lock(&f->lock);
	n = hfs_read(f->ip, f->off, buf, len);
	if (n > 0)
		f->off += (uint64_t)n;
	mutex_unlock(&f->lock);
	return n;
}

/**
 * vfs_write - write at the fd's offset (at EOF with HFS_O_APPEND) and
 * advance it, under the slot's mutex.  Returns the count, -EBADF, or
 * hfs_write's errors.
 */
int64_t vfs_write(int fd, const void *buf, size_t len)
{
	struct file *f = get_file(fd);
	struct hfs_stat st;
	int64_t n;

	if (!f)
		return -EBADF;
	if (!can_write(f))
		return -EBADF;
	mutex_lock(&f->lock);
	if (f->flags & HFS_O_APPEND) {
		n = hfs_getattr(f->ip, &st);
		if (n) {
			mutex_unlock(&f->lock);
			return n;
		}
		f->off = st.size;
	}
	n = hfs_write(f->ip, f->off, buf, len);
	if (n > 0)
		f->off += (uint64_t)n;
	mutex_unlock(&f->lock);
	return n;
}

/**
 * vfs_lseek - set the fd's offset to @off from VFS_SEEK_SET/CUR/END, under
 * the slot's mutex.  Returns the new offset, -EBADF, -EINVAL (unknown
 * @whence, or a result below 0 or past INT64_MAX).
 */
int64_t vfs_lseek(int fd, int64_t off, int whence)
{
	struct file *f = get_file(fd);
	struct hfs_stat st;
	int64_t base, err;

	if (!f)
		return -EBADF;
	mutex_lock(&f->lock);
	switch (whence) {
	case VFS_SEEK_SET:
		base = 0;
		break;
	case VFS_SEEK_CUR:
		base = (int64_t)f->off;
		break;
	case VFS_SEEK_END:
		err = hfs_getattr(f->ip, &st);
		if (err) {
			mutex_unlock(&f->lock);
			return err;
		}
		base = (int64_t)st.size;
		break;
	default:
		mutex_unlock(&f->lock);
		return -EINVAL;
	}
	if ((off < 0 && base + off < 0) || (off > 0 && base + off < base)) {
		mutex_unlock(&f->lock);
		return -EINVAL;
	}
	f->off = (uint64_t)(base + off);
	mutex_unlock(&f->lock);
	return base + off;
}

/**
 * vfs_ftruncate - hfs_truncate() on the fd's file (it waits for pinned
 * pages per @w).  Returns 0, -EBADF, -EINVAL (not open for writing), or
 * hfs_truncate's errors.
 */
int vfs_ftruncate(int fd, uint64_t size, const struct hfs_wait *w)
{
	struct file *f = get_file(fd);

	if (!f)
		return -EBADF;
	if (!can_write(f))
		return -EINVAL;
	return hfs_truncate(f->ip, size, w);
}

/**
 * vfs_fallocate - hfs_fallocate() on the fd's file.  Returns 0, -EBADF
 * (not open, or not for writing), or hfs_fallocate's errors.
 */
int vfs_fallocate(int fd, int mode, uint64_t off, uint64_t len, const struct hfs_wait *w)
{
	struct file *f = get_file(fd);

	if (!f)
		return -EBADF;
	if (!can_write(f))
		return -EBADF;
	return hfs_fallocate(f->ip, mode, off, len, w);
}

/** vfs_fsync - hfs_fsync() on the fd's file.  Returns 0 or -EBADF. */
int vfs_fsync(int fd)
{
	struct file *f = get_file(fd);

	return f ? hfs_fsync(f->ip) : -EBADF;
}

/** vfs_fstat - hfs_getattr() on the fd's file.  Returns 0 or -EBADF. */
int vfs_fstat(int fd, struct hfs_stat *st)
{
	struct file *f = get_file(fd);

	return f ? hfs_getattr(f->ip, st) : -EBADF;
}

/**
 * vfs_inode - the inode behind @fd with a new reference (hfs_iput it), or
 * NULL when @fd is not open.
 */
struct hfs_inode *vfs_inode(int fd)
{
	struct file *f = get_file(fd);

	return f ? hfs_igrab(f->ip) : NULL;
}

/**
 * vfs_truncate - hfs_truncate() on the file at @path (a final symlink is
 * followed).  Returns 0, -ENODEV, hfs_lookup's or hfs_truncate's errors.
 */
int vfs_truncate(const char *path, uint64_t size, const struct hfs_wait *w)
{
	struct hfs_inode *ip;
	int err;

	NEED_ROOT();
	err = hfs_lookup(root, path, true, &ip);
	if (err)
		return err;
	err = hfs_truncate(ip, size, w);
	hfs_iput(ip);
	return err;
}

/** vfs_stat - hfs_stat() following a final symlink.  0, -ENODEV or path errors. */
int vfs_stat(const char *path, struct hfs_stat *st)
{
	NEED_ROOT();
	return hfs_stat(root, path, true, st);
}

/** vfs_lstat - hfs_stat() of a final symlink itself.  0, -ENODEV or path errors. */
int vfs_lstat(const char *path, struct hfs_stat *st)
{
	NEED_ROOT();
	return hfs_stat(root, path, false, st);
}

/**
 * vfs_same_file - do @a and @b name one file (one inode, through the same
 * path, a hard link or a symlink when @follow)?
 * Context: may sleep.  False when either does not exist.
 */
bool vfs_same_file(const char *a, const char *b, bool follow)
{
	struct hfs_stat sa, sb;

	if (!root)
		return false;
	return hfs_stat(root, a, follow, &sa) == 0 && hfs_stat(root, b, follow, &sb) == 0 &&
	       sa.ino == sb.ino;
}

/** vfs_statfs - hfs_statfs() of the root.  Returns 0 or -ENODEV. */
int vfs_statfs(struct hfs_statfs *st)
{
	NEED_ROOT();
	return hfs_statfs(root, st);
}

/*
 * The namespace calls: holdfs's, on the root, with -ENODEV when nothing is
 * mounted.  unlink and rename wait for the pinned pages of a file whose
 * last link goes as a NULL struct hfs_wait says: until the pins are
 * dropped, or -EINTR when the thread is interrupted.  See holdfs.h for
 * each one's errors.
 */

/** vfs_mkdir - hfs_mkdir() on the root. */
int vfs_mkdir(const char *path, uint32_t mode) { NEED_ROOT(); return hfs_mkdir(root, path, mode); }
/** vfs_rmdir - hfs_rmdir() on the root. */
int vfs_rmdir(const char *path) { NEED_ROOT(); return hfs_rmdir(root, path); }
/** vfs_unlink - hfs_unlink() on the root, waiting for pins. */
int vfs_unlink(const char *path) { NEED_ROOT(); return hfs_unlink(root, path, NULL); }
/** vfs_rename - hfs_rename() on the root, waiting for pins. */
int vfs_rename(const char *from, const char *to) { NEED_ROOT(); return hfs_rename(root, from, to, NULL); }
/** vfs_link - hfs_link() on the root. */
int vfs_link(const char *a, const char *b) { NEED_ROOT(); return hfs_link(root, a, b); }
/** vfs_symlink - hfs_symlink() on the root. */
int vfs_symlink(const char *t, const char *l) { NEED_ROOT(); return hfs_symlink(root, t, l); }
/** vfs_readlink - hfs_readlink() on the root: the target's length, or an error. */
int vfs_readlink(const char *p, char *buf, size_t n) { NEED_ROOT(); return hfs_readlink(root, p, buf, n); }
/** vfs_sync - hfs_sync() on the root: every change so far durable. */
int vfs_sync(void) { NEED_ROOT(); return hfs_sync(root); }

/* ------------------------------------------------------------ attributes */
/*
 * chmod, chown, utimensat and renameat2: thin wrappers over hfs_setattr()
 * and hfs_rename2(), self-contained so that they move with the path calls.
 * No permission check yet: every caller is root until processes have
 * credentials (hfs_permission() is there for that).
 */

/* hfs_setattr() on the file at @path (a final symlink followed if @follow). */
static int setattr_path(const char *path, bool follow, const struct hfs_setattr *sa)
{
	struct hfs_inode *ip;
	int err;

	NEED_ROOT();
	err = hfs_lookup(root, path, follow, &ip);
	if (err)
		return err;
	err = hfs_setattr(ip, sa);
	hfs_iput(ip);
	return err;
}

/** vfs_chmod - chmod(2): permission bits @mode (07777).  0, -EINVAL, path errors. */
int vfs_chmod(const char *path, uint32_t mode)
{
	struct hfs_setattr sa = { .mask = HFS_ATTR_MODE, .mode = mode };

	return setattr_path(path, true, &sa);
}

/* The chown(2) request: an id of VFS_ID_KEEP leaves it as it is. */
static struct hfs_setattr chown_attrs(uint32_t uid, uint32_t gid)
{
	struct hfs_setattr sa = { .uid = uid, .gid = gid };

	if (uid != VFS_ID_KEEP)
		sa.mask |= HFS_ATTR_UID;
	if (gid != VFS_ID_KEEP)
		sa.mask |= HFS_ATTR_GID;
	return sa;
}

/** vfs_chown - chown(2) (@follow) or lchown(2).  0, -EROFS, path errors. */
int vfs_chown(const char *path, uint32_t uid, uint32_t gid, bool follow)
{
	struct hfs_setattr sa = chown_attrs(uid, gid);

	return setattr_path(path, follow, &sa);
}

/* The utimensat(2) request: VFS_TIME_OMIT leaves a time, HFS_TIME_NOW is now. */
static struct hfs_setattr utimens_attrs(uint64_t atime_ns, uint64_t mtime_ns)
{
	struct hfs_setattr sa = { .atime_ns = atime_ns, .mtime_ns = mtime_ns };

	if (atime_ns != VFS_TIME_OMIT)
		sa.mask |= HFS_ATTR_ATIME;
	if (mtime_ns != VFS_TIME_OMIT)
		sa.mask |= HFS_ATTR_MTIME;
	return sa;
}

/** vfs_utimens - utimensat(2) on @path.  0, -EINVAL (a time), path errors. */
int vfs_utimens(const char *path, uint64_t atime_ns, uint64_t mtime_ns, bool follow)
{
	struct hfs_setattr sa = utimens_attrs(atime_ns, mtime_ns);

	return setattr_path(path, follow, &sa);
}

/** vfs_fchmod, vfs_fchown, vfs_futimens - the same on an open file.  -EBADF. */
int vfs_fchmod(int fd, uint32_t mode)
{
	struct hfs_setattr sa = { .mask = HFS_ATTR_MODE, .mode = mode };
	struct file *f = get_file(fd);

	return f ? hfs_setattr(f->ip, &sa) : -EBADF;
}

int vfs_fchown(int fd, uint32_t uid, uint32_t gid)
{
	struct hfs_setattr sa = chown_attrs(uid, gid);
	struct file *f = get_file(fd);

	return f ? hfs_setattr(f->ip, &sa) : -EBADF;
}

int vfs_futimens(int fd, uint64_t atime_ns, uint64_t mtime_ns)
{
	struct hfs_setattr sa = utimens_attrs(atime_ns, mtime_ns);
	struct file *f = get_file(fd);

	return f ? hfs_setattr(f->ip, &sa) : -EBADF;
}

/** vfs_rename2 - renameat2(2): hfs_rename2() with HFS_RENAME_* @flags. */
int vfs_rename2(const char *from, const char *to, unsigned flags)
{
	NEED_ROOT();
	return hfs_rename2(root, from, to, flags, NULL);
}
