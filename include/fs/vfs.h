/*
 * vfs.h - the kernel's file API: a mount table of filesystems (holdfs on
 * block devices, devfs at /dev), paths resolved across them, open files
 * as reference-counted objects, and descriptor tables.
 *
 * Mounts.  The root is a holdfs on the device the command line names
 * (root=/dev/pmemN or root=pmemN; default pmem0).  More holdfs devices
 * are mounted on directories (vfs_mount), devfs on /dev at boot.  A path
 * is walked one component at a time by fs/vfs.c: stepping onto a mount
 * point enters the filesystem mounted there, ".." at a mounted
 * filesystem's root leaves it for the mount point's parent, ".." at "/"
 * stays at "/", and a symlink's absolute target starts at the global
 * root.  rename and link across filesystems fail with -EXDEV.
 *
 * Files.  struct file is one open file: a node of one mount (which it
 * pins: a filesystem with open files cannot be unmounted), the open
 * flags and the offset, with its own reference count.  A struct fdtable
 * maps small integers to files; the kernel's (and the shell's) is
 * vfs_kernel_fdt, and every vfs_* call on an fd uses it.  A process's
 * own table and dup/fork sharing a struct file build on the same calls.
 *
 * Calls return 0 / a byte count, or a negative errno.  Paths are
 * absolute.  Context of every call: thread context, may sleep; the
 * caller holds no spinlock and no filesystem lock.  Locks (fs/vfs.c says
 * more): mnt_sem, shared over each path operation and exclusive while
 * the mount table changes; an fdtable's spinlock around its slots; a
 * file's mutex around its offset.
 */
#ifndef FS_VFS_H
#define FS_VFS_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

struct hfs_fs;
struct hfs_inode;
struct hfs_stat;
struct hfs_statfs;
struct hfs_mkfs_opts;
struct hfs_wait;
struct hfs_dirent;
struct hfs_iovec;
struct blkdev;

#define VFS_MAX_FILES	256
#define VFS_MAX_MOUNTS	16
#define VFS_MNT_DIR_MAX	128		/* a mount point's path, with the NUL */
#define VFS_SEEK_SET	0
#define VFS_SEEK_CUR	1
#define VFS_SEEK_END	2

#define VFS_S_IFBLK	0060000		/* a block device node (POSIX S_IFBLK) */
#define VFS_MNT_RDONLY	0x1		/* vfs_mount: read-only */
#define VFS_WHY_MAX	128		/* room for a refusal's reason */

/* ------------------------------------------------------------ mounts */
/*
 * vfs_mount_root - mount the root (the root= device, default pmem0) and
 * devfs on /dev (making /dev on a writable root that lacks it, saying
 * so).  Boot, and after a reformat.  0, or -errno, reported on the console.
 */
int vfs_mount_root(void);
/* vfs_unmount_root - unmount /dev and /.  -ENODEV, -EBUSY (files open, or
 * another filesystem mounted). */
int vfs_unmount_root(void);
int vfs_format_root(uint64_t inodes);
/* A fresh holdfs on pmem region @index (the root device: mounted after). */
int vfs_format(unsigned index, const struct hfs_mkfs_opts *opts);
bool vfs_mounted(void);
struct hfs_fs *vfs_root(void);
/* The device the root is (or would be) mounted from, or NULL (bad root=). */
struct blkdev *vfs_root_dev(void);

int vfs_mount(const char *dev, const char *dir, unsigned flags, char *why, size_t whylen);
int vfs_umount(const char *dir, char *why, size_t whylen);
int vfs_format_dev(struct blkdev *bd, const struct hfs_mkfs_opts *opts);
/* What the mount table shows for mount @i (0 ..): false past the last. */
struct vfs_mount_info {
	char dev[32];			/* "/dev/pmem1", "devfs" */
	char dir[VFS_MNT_DIR_MAX];
	const char *type;		/* "holdfs", "devfs" */
	unsigned flags;			/* VFS_MNT_RDONLY */
	unsigned files;			/* open files on it */
};
bool vfs_mount_info(unsigned i, struct vfs_mount_info *mi);
/* Where @bd is mounted: true with @dir filled, false when it is not. */
bool vfs_dev_mounted(const struct blkdev *bd, char *dir, size_t size);

/* ------------------------------------------------------------ files */
struct file;
struct fdtable;
extern struct fdtable vfs_kernel_fdt;

int vfs_file_open(const char *path, int flags, uint32_t mode, struct file **out);
struct file *file_get(struct file *f);
void file_put(struct file *f);
int fdt_install(struct fdtable *t, struct file *f);
struct file *fdt_get(struct fdtable *t, int fd);
int fdt_close(struct fdtable *t, int fd);
unsigned fdt_count(struct fdtable *t);

int vfs_open(const char *path, int flags, uint32_t mode);
int vfs_close(int fd);
int64_t vfs_read(int fd, void *buf, size_t len);
int64_t vfs_write(int fd, const void *buf, size_t len);
int64_t vfs_pread(int fd, void *buf, size_t len, uint64_t off);
int64_t vfs_pwrite(int fd, const void *buf, size_t len, uint64_t off);
/* A gather write: vfs_pwrite() of @iov's pieces joined, each copied from
 * where it lies (fs/vfs_file.c says more). */
int64_t vfs_pwritev(int fd, const struct hfs_iovec *iov, unsigned n, uint64_t off);
int64_t vfs_lseek(int fd, int64_t off, int whence);
int vfs_ftruncate(int fd, uint64_t size, const struct hfs_wait *w);
int vfs_fallocate(int fd, int mode, uint64_t off, uint64_t len, const struct hfs_wait *w);
int vfs_fsync(int fd);
int vfs_fstat(int fd, struct hfs_stat *st);
int vfs_readdir(int fd, uint64_t *cookie, struct hfs_dirent *de);
/* The holdfs inode behind fd, with a new reference (hfs_iput it), or NULL
 * (not open, or not on holdfs). */
struct hfs_inode *vfs_inode(int fd);
/* The holdfs inode behind open file @f (no new reference: valid while @f
 * is held), or NULL when @f is not on holdfs. */
struct hfs_inode *vfs_file_hfs(struct file *f);

/*
 * Files that are not nodes of a mounted filesystem (a pipe, the console):
 * an ops table and an object, made by the layer that owns them
 * (sys/pipe.c, sys/tty.c).  read/write may sleep; release runs at the
 * last file_put.  A NULL entry answers -EINVAL, except poll: a file
 * without one is always ready to read and write, as regular files are.
 *
 * poll (poll(2), select(2): syscall/poll.c) returns the file's readiness
 * now, in Linux's POLL* bits, after queueing the polling thread with
 * poll_wait(@pt, wq) on every queue a change of it is announced on.  The
 * thread is already marked BLOCKED: poll must not sleep or take a mutex
 * (spinlocks and atomic reads only).
 */
struct poll_table;
struct file_ops {
	int64_t (*read)(struct file *f, void *buf, size_t len);
	int64_t (*write)(struct file *f, const void *buf, size_t len);
	int (*getattr)(struct file *f, struct hfs_stat *st);
	void (*release)(struct file *f);
	unsigned (*poll)(struct file *f, struct poll_table *pt);
};
/* A new special file with one reference (NULL: no memory). */
struct file *file_special(const struct file_ops *ops, void *priv, int flags);
void *file_priv(const struct file *f);
const struct file_ops *file_fops(const struct file *f);
int file_flags(const struct file *f);
void file_set_flags(struct file *f, int flags);	/* HFS_O_APPEND only changes */
/* O_DIRECT (Linux x86-64's value) in file_flags(): set only on a block
 * device with a zero-copy op (syscall/blkdirect.c), by file_set_direct(). */
#define VFS_O_DIRECT	040000
void file_set_direct(struct file *f);
/* The block device behind @f (a /dev node), or NULL (a file, a directory,
 * /dev itself, a special file).  Valid while @f is held. */
struct blkdev *file_blkdev(struct file *f);
/* The path @f was opened by ("" for a special file).  Read-only. */
const char *file_path(const struct file *f);

/*
 * The calls on a struct file itself (what a process's descriptors use);
 * the vfs_* calls on the kernel's fds are these after fdt_get().  Same
 * results as their vfs_* twins; -ESPIPE for offsets on a special file.
 */
int64_t file_read(struct file *f, void *buf, size_t len);
int64_t file_write(struct file *f, const void *buf, size_t len);
int64_t file_pread(struct file *f, void *buf, size_t len, uint64_t off);
int64_t file_pwrite(struct file *f, const void *buf, size_t len, uint64_t off);
int64_t file_pwritev(struct file *f, const struct hfs_iovec *iov, unsigned n, uint64_t off);
int64_t file_lseek(struct file *f, int64_t off, int whence);
int file_truncate(struct file *f, uint64_t size);
int file_fallocate(struct file *f, int mode, uint64_t off, uint64_t len);
int file_fsync(struct file *f);
int file_fstat(struct file *f, struct hfs_stat *st);
/* The holdfs inode of @f with a reference (hfs_iput), or NULL (mmap). */
struct hfs_inode *file_inode(struct file *f);
int file_readdir(struct file *f, uint64_t *cookie, struct hfs_dirent *de);
bool file_is_dir(struct file *f);

/*
 * Descriptor tables of processes.  fdt_new: an empty table (NULL: no
 * memory); fdt_clone: a copy sharing every file (fork); fdt_destroy:
 * close all and free.  fdt_install_from: the lowest free fd >= @min
 * (-EMFILE); fdt_install_at: put @f at @fd, closing what was there
 * (dup2); the FD_CLOEXEC mark per slot: fdt_cloexec get/set, and
 * fdt_close_cloexec (execve).  Locking as vfs_kernel_fdt.
 */
struct fdtable *fdt_new(void);
struct fdtable *fdt_clone(struct fdtable *t);
void fdt_destroy(struct fdtable *t);
int fdt_install_from(struct fdtable *t, struct file *f, int min, bool cloexec);
int fdt_install_at(struct fdtable *t, int fd, struct file *f, bool cloexec);
int fdt_cloexec(struct fdtable *t, int fd, int set);	/* set < 0: query */
void fdt_close_cloexec(struct fdtable *t);

/* ------------------------------------------------------------ paths */
int vfs_truncate(const char *path, uint64_t size, const struct hfs_wait *w);
int vfs_stat(const char *path, struct hfs_stat *st);
int vfs_lstat(const char *path, struct hfs_stat *st);
bool vfs_same_file(const char *a, const char *b, bool follow);
int vfs_statfs(struct hfs_statfs *st);
int vfs_statfs_path(const char *path, struct hfs_statfs *st);
int vfs_mkdir(const char *path, uint32_t mode);
int vfs_rmdir(const char *path);
int vfs_unlink(const char *path);
int vfs_rename(const char *from, const char *to);
int vfs_link(const char *existing, const char *newpath);
int vfs_symlink(const char *target, const char *linkpath);
int vfs_readlink(const char *path, char *buf, size_t size);
int vfs_sync(void);

/*
 * Attributes (fs/vfs.c, "attributes"): chmod/chown/utimensat and their fd
 * variants, and renameat2.  VFS_ID_KEEP leaves a uid or gid unchanged (as
 * chown's -1), VFS_TIME_OMIT a time (UTIME_OMIT); HFS_TIME_NOW is now.
 */
#define VFS_ID_KEEP	0xffffffffu
#define VFS_TIME_OMIT	(UINT64_MAX - 1)
int vfs_chmod(const char *path, uint32_t mode);
int vfs_chown(const char *path, uint32_t uid, uint32_t gid, bool follow);
int vfs_utimens(const char *path, uint64_t atime_ns, uint64_t mtime_ns, bool follow);
int vfs_fchmod(int fd, uint32_t mode);
int vfs_fchown(int fd, uint32_t uid, uint32_t gid);
int vfs_futimens(int fd, uint64_t atime_ns, uint64_t mtime_ns);
int vfs_rename2(const char *from, const char *to, unsigned flags);
unsigned vfs_open_count(void);

#endif
