/*
 * vfs.h - the kernel's file API on the mounted root filesystem (holdfs on
 * pmem region 0): file descriptors, path operations, and mount state.
 *
 * Holdfast has no processes: one global table of open files serves every
 * kernel thread and the shell.  Calls return 0 / a byte count, or a
 * negative errno.  Paths are absolute.
 *
 * Locking: fd_lock guards the descriptor table; each open file's offset is
 * guarded by its own mutex (so two threads sharing an fd see a consistent
 * offset); the filesystem does its own locking underneath.  Every call may
 * sleep: thread context, no spinlock or holdfs lock held.  Each function's
 * contract (locks, context, errors) is at its definition in fs/vfs.c.
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

#define VFS_MAX_FILES	256
#define VFS_SEEK_SET	0
#define VFS_SEEK_CUR	1
#define VFS_SEEK_END	2

/* Mount the root filesystem from pmem region 0 (boot).  0 or -errno. */
int vfs_mount_root(void);
int vfs_unmount_root(void);
int vfs_format_root(uint64_t inodes);
/* A fresh holdfs on pmem region @index (region 0: mounted after). */
int vfs_format(unsigned index, const struct hfs_mkfs_opts *opts);
bool vfs_mounted(void);
struct hfs_fs *vfs_root(void);

int vfs_open(const char *path, int flags, uint32_t mode);
int vfs_close(int fd);
int64_t vfs_read(int fd, void *buf, size_t len);
int64_t vfs_write(int fd, const void *buf, size_t len);
int64_t vfs_pread(int fd, void *buf, size_t len, uint64_t off);
int64_t vfs_pwrite(int fd, const void *buf, size_t len, uint64_t off);
int64_t vfs_lseek(int fd, int64_t off, int whence);
int vfs_ftruncate(int fd, uint64_t size, const struct hfs_wait *w);
int vfs_fallocate(int fd, int mode, uint64_t off, uint64_t len, const struct hfs_wait *w);
int vfs_fsync(int fd);
int vfs_fstat(int fd, struct hfs_stat *st);
/* The inode behind fd, with a new reference (hfs_iput it), or NULL. */
struct hfs_inode *vfs_inode(int fd);

int vfs_truncate(const char *path, uint64_t size, const struct hfs_wait *w);
int vfs_stat(const char *path, struct hfs_stat *st);
int vfs_lstat(const char *path, struct hfs_stat *st);
bool vfs_same_file(const char *a, const char *b, bool follow);
int vfs_statfs(struct hfs_statfs *st);
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
