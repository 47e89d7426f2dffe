/*
 * vfs_file.c - open files and descriptor tables (include/fs/vfs.h).
 *
 * A struct file is allocated by vfs_file_open with one reference; each
 * fdtable slot holding it and each call working on it hold another
 * (file_get / file_put), and the last put closes the node and unpins the
 * mount (mount.files).  A descriptor table maps fds to files; the one
 * here, vfs_kernel_fdt, serves the kernel threads and the shell, and
 * every vfs_* call on an fd.  Two slots (dup) or two tables (fork) may
 * share one file, and with it the offset.
 *
 * Locking: an fdtable's spinlock guards its slots and count, never held
 * across a filesystem call; a file's mutex guards its offset; refs and
 * mount.files are atomic.  Context: thread, may sleep.
 */
#include "vfs_int.h"
#include <kernel/mm.h>
#include <lib/errno.h>
#include <lib/string.h>

struct fdtable {
	spinlock_t lock;
	struct file *fd[VFS_MAX_FILES];		/* lock */
	bool cloexec[VFS_MAX_FILES];		/* lock */
	unsigned nopen;				/* lock */
};

struct fdtable vfs_kernel_fdt = { .lock = SPINLOCK_INIT("fd_table") };

/**
 * vfs_file_open - open @path with HFS_O_* @flags (@mode: permission bits
 * of a new file) as a new struct file with one reference.  Takes mnt_sem
 * shared.  Returns 0, -ENOMEM, -ENODEV (no root), or the filesystem's
 * open errors (holdfs.h: hfs_open).
 */
int vfs_file_open(const char *path, int flags, uint32_t mode, struct file **out)
{
	struct file *f = kzalloc(sizeof(*f));
	int err;

	if (!f)
		return -ENOMEM;
	vfs_mounts_read_lock();
	err = vfs_open_path(path, flags, mode, &f->at);
	if (!err)
		__atomic_add_fetch(&f->at.mnt->files, 1, __ATOMIC_RELAXED);
	vfs_mounts_read_unlock();
	if (err) {
		kfree(f);
		return err;
	}
	f->refs = 1;
	f->flags = flags;
	f->path = kmalloc(strlen(path) + 1);
	if (f->path)
		memcpy(f->path, path, strlen(path) + 1);
	mutex_init(&f->lock, "file");
	*out = f;
	return 0;
}

/** file_special - a file served by @ops (a pipe end, the console). */
struct file *file_special(const struct file_ops *ops, void *priv, int flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->refs = 1;
	f->fops = ops;
	f->priv = priv;
	f->flags = flags;
	mutex_init(&f->lock, "file");
	return f;
}

void *file_priv(const struct file *f) { return f->priv; }
const struct file_ops *file_fops(const struct file *f) { return f->fops; }
int file_flags(const struct file *f) { return f->flags; }
const char *file_path(const struct file *f) { return f->path ? f->path : ""; }

void file_set_flags(struct file *f, int flags)
{
	mutex_lock(&f->lock);
	f->flags = (f->flags & ~HFS_O_APPEND) | (flags & HFS_O_APPEND);
	mutex_unlock(&f->lock);
}

void file_set_direct(struct file *f)
{
	mutex_lock(&f->lock);
	f->flags |= VFS_O_DIRECT;
	mutex_unlock(&f->lock);
}

struct blkdev *file_blkdev(struct file *f)
{
	if (f->fops || !f->at.mnt || f->at.mnt->ops != &devfs_ops || f->at.node == f->at.mnt->root)
		return NULL;
	return f->at.node;		/* devfs: a node that is not the root is a blkdev */
}

/** file_get - one more reference to @f; returns @f.  Any context. */
struct file *file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

/**
 * file_put - drop a reference; the last one closes the node (holdfs: the
 * last reference of an unlinked file frees it) and unpins the mount.
 * Thread context, may sleep.
 */
void file_put(struct file *f)
{
	struct mount *m = f->at.mnt;

	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (f->fops) {
		if (f->fops->release)
			f->fops->release(f);
		kfree(f);
		return;
	}
	kfree(f->path);
	vpath_put(&f->at);
	__atomic_sub_fetch(&m->files, 1, __ATOMIC_RELEASE);
	kfree(f);
}

/**
 * fdt_install - put @f (its reference moves into the table) in the lowest
 * free slot of @t.  Takes @t's lock.  Returns the fd or -EMFILE.
 */
int fdt_install(struct fdtable *t, struct file *f)
{
	int fd = -EMFILE;

	spin_lock(&t->lock);
	for (int i = 0; i < VFS_MAX_FILES; i++)
		if (!t->fd[i]) {
			t->fd[i] = f;
			t->cloexec[i] = false;
			t->nopen++;
			fd = i;
			break;
		}
	spin_unlock(&t->lock);
	return fd;
}

/** fdt_get - the file at @fd with a new reference (file_put it), or NULL. */
struct file *fdt_get(struct fdtable *t, int fd)
{
	struct file *f = NULL;

	if (fd < 0 || fd >= VFS_MAX_FILES)
		return NULL;
	spin_lock(&t->lock);
	if (t->fd[fd])
		f = file_get(t->fd[fd]);
	spin_unlock(&t->lock);
	return f;
}

/** fdt_close - empty slot @fd and drop its reference.  0 or -EBADF. */
int fdt_close(struct fdtable *t, int fd)
{
	struct file *f = NULL;

	if (fd < 0 || fd >= VFS_MAX_FILES)
		return -EBADF;
	spin_lock(&t->lock);
	if (t->fd[fd]) {
		f = t->fd[fd];
		t->fd[fd] = NULL;
		t->nopen--;
	}
	spin_unlock(&t->lock);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

/** fdt_count - how many slots of @t are used.  No lock (a snapshot). */
unsigned fdt_count(struct fdtable *t) { return READ_ONCE(t->nopen); }

/* ------------------------------------------------------- process tables */

struct fdtable *fdt_new(void)
{
	struct fdtable *t = kzalloc(sizeof(*t));

	if (t)
		spin_lock_init(&t->lock, "fd_table");
	return t;
}

struct fdtable *fdt_clone(struct fdtable *src)
{
	struct fdtable *t = fdt_new();

	if (!t)
		return NULL;
	spin_lock(&src->lock);
	for (int i = 0; i < VFS_MAX_FILES; i++)
		if (src->fd[i]) {
			t->fd[i] = file_get(src->fd[i]);
			t->cloexec[i] = src->cloexec[i];
			t->nopen++;
		}
	spin_unlock(&src->lock);
	return t;
}

void fdt_destroy(struct fdtable *t)
{
	for (int i = 0; i < VFS_MAX_FILES; i++)
		fdt_close(t, i);
	kfree(t);
}

int fdt_install_from(struct fdtable *t, struct file *f, int min, bool cloexec)
{
	int fd = -EMFILE;

	if (min < 0)
		return -EINVAL;
	spin_lock(&t->lock);
	for (int i = min; i < VFS_MAX_FILES; i++)
		if (!t->fd[i]) {
			t->fd[i] = f;
			t->cloexec[i] = cloexec;
			t->nopen++;
			fd = i;
			break;
		}
	spin_unlock(&t->lock);
	return fd;
}

int fdt_install_at(struct fdtable *t, int fd, struct file *f, bool cloexec)
{
	struct file *old;

	if (fd < 0 || fd >= VFS_MAX_FILES)
		return -EBADF;
	spin_lock(&t->lock);
	old = t->fd[fd];
	t->fd[fd] = f;
	t->cloexec[fd] = cloexec;
	if (!old)
		t->nopen++;
	spin_unlock(&t->lock);
	if (old)
		file_put(old);
	return fd;
}

int fdt_cloexec(struct fdtable *t, int fd, int set)
{
	int r = -EBADF;

	if (fd < 0 || fd >= VFS_MAX_FILES)
		return -EBADF;
	spin_lock(&t->lock);
	if (t->fd[fd]) {
		if (set >= 0)
			t->cloexec[fd] = set;
		r = t->cloexec[fd];
	}
	spin_unlock(&t->lock);
	return r;
}

void fdt_close_cloexec(struct fdtable *t)
{
	for (int i = 0; i < VFS_MAX_FILES; i++)
		if (fdt_cloexec(t, i, -1) > 0)
			fdt_close(t, i);
}

/* ------------------------------------------------------------ fd calls */
/*
 * The calls on one file, and their twins on the kernel's table.  Each
 * returns -EBADF when the file is not open for the access, else the
 * filesystem's result (holdfs.h: hfs_read, hfs_write, ...); -EINVAL when
 * the filesystem has no such operation, -ESPIPE for an offset on a
 * special file.
 */

/** vfs_open - vfs_file_open() into vfs_kernel_fdt: the fd, -EMFILE, or its errors. */
int vfs_open(const char *path, int flags, uint32_t mode)
{
	struct file *f;
	int fd, err = vfs_file_open(path, flags, mode, &f);

	if (err)
		return err;
	fd = fdt_install(&vfs_kernel_fdt, f);
	if (fd < 0)
		file_put(f);
	return fd;
}

/** vfs_close - close @fd of the kernel's table.  0 or -EBADF. */
int vfs_close(int fd) { return fdt_close(&vfs_kernel_fdt, fd); }
/** vfs_open_count - fds open in the kernel's table (a snapshot). */
unsigned vfs_open_count(void) { return fdt_count(&vfs_kernel_fdt); }

static bool can_read(const struct file *f) { return (f->flags & HFS_O_ACCMODE) != HFS_O_WRONLY; }
static bool can_write(const struct file *f) { return (f->flags & HFS_O_ACCMODE) != HFS_O_RDONLY; }

#define FOPS(f)	((f)->at.mnt->ops)

static int64_t do_read(struct file *f, void *buf, size_t len, uint64_t off)
{
	return FOPS(f)->read ? FOPS(f)->read(f->at.node, off, buf, len) : -EINVAL;
}

static int64_t do_write(struct file *f, const void *buf, size_t len, uint64_t off)
{
	return FOPS(f)->write ? FOPS(f)->write(f->at.node, off, buf, len) : -EINVAL;
}

int64_t file_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
	if (!can_read(f))
		return -EBADF;
	if (f->fops)
		return -ESPIPE;
	return do_read(f, buf, len, off);
}

int64_t file_pwrite(struct file *f, const void *buf, size_t len, uint64_t off)
{
	if (!can_write(f))
		return -EBADF;
	if (f->fops)
		return -ESPIPE;
	return do_write(f, buf, len, off);
}

/*
 * Without a gather write of its own the filesystem gets one write per
 * piece: the count up to the first short or failed one (its error when
 * nothing was written).
 */
static int64_t do_writev(struct file *f, const struct hfs_iovec *iov, unsigned n, uint64_t off)
{
	int64_t done = 0;

	if (FOPS(f)->writev)
		return FOPS(f)->writev(f->at.node, off, iov, n);
	for (unsigned i = 0; i < n; i++) {
		int64_t r;

		if (!iov[i].len)
			continue;
		r = do_write(f, iov[i].base, iov[i].len, off + (uint64_t)done);
		if (r < 0)
			return done ? done : r;
		done += r;
		if ((size_t)r != iov[i].len)
			break;
	}
	return done;
}

int64_t file_pwritev(struct file *f, const struct hfs_iovec *iov, unsigned n, uint64_t off)
{
	if (!can_write(f))
		return -EBADF;
	if (f->fops)
		return -ESPIPE;
	return do_writev(f, iov, n, off);
}

int64_t file_read(struct file *f, void *buf, size_t len)
{
	int64_t n;

	if (!can_read(f))
		return -EBADF;
	if (f->fops)
		return f->fops->read ? f->fops->read(f, buf, len) : -EINVAL;
	mutex_lock(&f->lock);
	n = do_read(f, buf, len, f->off);
	if (n > 0)
		f->off += (uint64_t)n;
	mutex_unlock(&f->lock);
	return n;
}

int64_t file_write(struct file *f, const void *buf, size_t len)
{
	struct hfs_stat st;
	int64_t n;

	if (!can_write(f))
		return -EBADF;
	if (f->fops)
		return f->fops->write ? f->fops->write(f, buf, len) : -EINVAL;
	mutex_lock(&f->lock);
	n = 0;
	if (f->flags & HFS_O_APPEND) {
		n = FOPS(f)->getattr(f->at.node, &st);
		f->off = st.size;
	}
	if (n == 0)
		n = do_write(f, buf, len, f->off);
	if (n > 0)
		f->off += (uint64_t)n;
	mutex_unlock(&f->lock);
	return n;
}

static int64_t seek_locked(struct file *f, int64_t off, int whence)
{
	struct hfs_stat st;
	int64_t base;

	switch (whence) {
	case VFS_SEEK_SET:
		base = 0;
		break;
	case VFS_SEEK_CUR:
		base = (int64_t)f->off;
		break;
	case VFS_SEEK_END:
		FOPS(f)->getattr(f->at.node, &st);
		base = (int64_t)st.size;
		break;
	default:
		return -EINVAL;
	}
	if ((off < 0 && base + off < 0) || (off > 0 && base + off < base))
		return -EINVAL;
	f->off = (uint64_t)(base + off);
	return base + off;
}

int64_t file_lseek(struct file *f, int64_t off, int whence)
{
	int64_t r;

	if (f->fops)
		return -ESPIPE;
	mutex_lock(&f->lock);
	r = seek_locked(f, off, whence);
	mutex_unlock(&f->lock);
	return r;
}

int file_truncate(struct file *f, uint64_t size)
{
	if (f->fops || !can_write(f) || !FOPS(f)->truncate)
		return -EINVAL;
	return FOPS(f)->truncate(f->at.node, size, NULL);
}

int file_fallocate(struct file *f, int mode, uint64_t off, uint64_t len)
{
	if (f->fops)
		return -ESPIPE;
	if (!can_write(f))
		return -EBADF;
	return FOPS(f)->fallocate ? FOPS(f)->fallocate(f->at.node, mode, off, len, NULL) : -EINVAL;
}

int file_fsync(struct file *f)
{
	if (f->fops)
		return -EINVAL;
	return FOPS(f)->fsync ? FOPS(f)->fsync(f->at.node) : 0;
}

int file_fstat(struct file *f, struct hfs_stat *st)
{
	if (f->fops)
		return f->fops->getattr ? f->fops->getattr(f, st) : -EINVAL;
	return FOPS(f)->getattr(f->at.node, st);
}

int file_readdir(struct file *f, uint64_t *cookie, struct hfs_dirent *de)
{
	if (f->fops || !FOPS(f)->readdir)
		return -ENOTDIR;
	return FOPS(f)->readdir(f->at.node, cookie, de);
}

bool file_is_dir(struct file *f)
{
	struct hfs_stat st;

	return !f->fops && FOPS(f)->getattr(f->at.node, &st) == 0 &&
	       (st.mode & HFS_S_IFMT) == HFS_S_IFDIR;
}

/* The kernel's fds: look the file up, call, put it back. */
#define ON_FD(fd, call) ({					\
	struct file *f_ = fdt_get(&vfs_kernel_fdt, (fd));	\
	__typeof__(call(f_)) r_ = -EBADF;			\
	if (f_) {						\
		r_ = call(f_);					\
		file_put(f_);					\
	}							\
	r_; })

/** vfs_pread - read at @off, the offset unchanged. */
int64_t vfs_pread(int fd, void *buf, size_t len, uint64_t off)
{
#define C(f) file_pread(f, buf, len, off)
	return ON_FD(fd, C);
#undef C
}

/** vfs_pwrite - write at @off, the offset unchanged. */
int64_t vfs_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
#define C(f) file_pwrite(f, buf, len, off)
	return ON_FD(fd, C);
#undef C
}

/**
 * vfs_pwritev - gather write: the @n pieces of @iov (kernel pointers, kept
 * valid by the caller for the call) written one after another from @off,
 * the offset unchanged.  On holdfs this is hfs_writev(): one layout lock,
 * each piece copied straight into the file's pmem with the stores and
 * flushes vfs_pwrite() uses, the same allocation, size update and crash
 * safety; durable after vfs_fsync().  Thread context; the caller holds no
 * filesystem lock.  Returns the total written, or -EBADF (not open for
 * writing), -ESPIPE (a special file), -EINVAL (no write operation, a NULL
 * piece with a length), -EISDIR, -EFBIG, -ENOSPC (nothing written),
 * -EROFS, -EUCLEAN.
 */
int64_t vfs_pwritev(int fd, const struct hfs_iovec *iov, unsigned n, uint64_t off)
{
#define C(f) file_pwritev(f, iov, n, off)
	return ON_FD(fd, C);
#undef C
}

/** vfs_read - read at the offset and advance it, under the file's mutex. */
int64_t vfs_read(int fd, void *buf, size_t len)
{
#define C(f) file_read(f, buf, len)
	return ON_FD(fd, C);
#undef C
}

/** vfs_write - write at the offset (at EOF with HFS_O_APPEND) and advance it. */
int64_t vfs_write(int fd, const void *buf, size_t len)
{
#define C(f) file_write(f, buf, len)
	return ON_FD(fd, C);
#undef C
}

/**
 * vfs_lseek - set the offset to @off from VFS_SEEK_SET/CUR/END.  Returns
 * it, -EBADF, -EINVAL (unknown @whence, below 0 or past INT64_MAX).
 */
int64_t vfs_lseek(int fd, int64_t off, int whence)
{
#define C(f) file_lseek(f, off, whence)
	return ON_FD(fd, C);
#undef C
}

static int truncate_w(struct file *f, uint64_t size, const struct hfs_wait *w)
{
	if (f->fops || !can_write(f) || !FOPS(f)->truncate)
		return -EINVAL;
	return FOPS(f)->truncate(f->at.node, size, w);
}

/** vfs_ftruncate - set the size (waits for pins per @w); -EINVAL if not for writing. */
int vfs_ftruncate(int fd, uint64_t size, const struct hfs_wait *w)
{
#define C(f) truncate_w(f, size, w)
	return ON_FD(fd, C);
#undef C
}

static int fallocate_w(struct file *f, int mode, uint64_t off, uint64_t len,
		       const struct hfs_wait *w)
{
	if (f->fops)
		return -ESPIPE;
	if (!can_write(f))
		return -EBADF;
	return FOPS(f)->fallocate ? FOPS(f)->fallocate(f->at.node, mode, off, len, w) : -EINVAL;
}

/** vfs_fallocate - fallocate(2) modes; -EBADF if not open for writing. */
int vfs_fallocate(int fd, int mode, uint64_t off, uint64_t len, const struct hfs_wait *w)
{
#define C(f) fallocate_w(f, mode, off, len, w)
	return ON_FD(fd, C);
#undef C
}

/** vfs_fsync - make the file's data durable.  0 or -EBADF. */
int vfs_fsync(int fd)
{
	return ON_FD(fd, file_fsync);
}

/** vfs_fstat - the file's attributes.  0 or -EBADF. */
int vfs_fstat(int fd, struct hfs_stat *st)
{
#define C(f) file_fstat(f, st)
	return ON_FD(fd, C);
#undef C
}

/**
 * vfs_readdir - the next entry of the directory open at @fd, from
 * *@cookie (start at 0): 1 with *@de filled, 0 at the end, -ENOTDIR,
 * -EBADF.
 */
int vfs_readdir(int fd, uint64_t *cookie, struct hfs_dirent *de)
{
#define C(f) file_readdir(f, cookie, de)
	return ON_FD(fd, C);
#undef C
}

/**
 * vfs_file_hfs - the holdfs inode behind open file @f, or NULL when @f is
 * not on holdfs (a device node, a pipe, the console...).  No new reference: the pointer is good
 * for as long as the caller holds @f.  Any context, no lock.
 */
struct hfs_inode *vfs_file_hfs(struct file *f)
{
	return !f->fops && FOPS(f) == &vfs_holdfs_ops ? f->at.node : NULL;
}

/** vfs_inode - the holdfs inode behind @fd with a new reference, or NULL. */
struct hfs_inode *vfs_inode(int fd)
{
	struct file *f = fdt_get(&vfs_kernel_fdt, fd);
	struct hfs_inode *ip = NULL;

	if (!f)
		return NULL;
	if (!f->fops && FOPS(f) == &vfs_holdfs_ops)
		ip = hfs_igrab(f->at.node);
	file_put(f);
	return ip;
}

/**
 * file_inode - the holdfs inode behind open file @f with a new reference
 * (hfs_iput), or NULL when @f is not a holdfs file (a pipe, the console, a
 * device, devfs).  For mmap.  Context: any thread.
 */
struct hfs_inode *file_inode(struct file *f)
{
	return !f->fops && FOPS(f) == &vfs_holdfs_ops ? hfs_igrab(f->at.node) : NULL;
}
