/*
 * holdfs.h - the holdfs public interface: format, mount, namespace and file
 * operations, the DAX lookup, and fsck.
 *
 * Used by the kernel's VFS layer (fs/vfs.c), the host tools (tools/) and
 * the host tests.  Every function returns 0 (or a byte count) on success and
 * a negative errno (lib/errno.h, Linux numbering) on failure; a failed
 * operation leaves the filesystem as it was.
 *
 * Paths are absolute ("/a/b"), components at most HFS_NAME_MAX bytes, at
 * most HFS_PATH_MAX bytes in all.  Symbolic links in the middle of a path
 * are followed (at most HFS_SYMLINK_DEPTH); the last component is followed
 * only where the call says so.
 *
 * Concurrency: any number of threads may call into one mounted filesystem.
 * Namespace changes are serialised by a per-filesystem lock; file data and
 * layout by a per-inode layout lock (hfs_layout_lock), which readers and
 * the DAX fault path take shared and layout changes take exclusive.
 *
 * Inodes handed out (hfs_open, hfs_lookup...) hold a reference that must be
 * dropped with hfs_iput().  An inode unlinked while referenced lives until
 * its last reference is dropped (or, after a crash, until the next mount).
 */
#ifndef FS_HOLDFS_H
#define FS_HOLDFS_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <fs/holdfs_platform.h>

#define HFS_BLOCK_SIZE		4096
#define HFS_NAME_MAX		255
#define HFS_PATH_MAX		4096
#define HFS_SYMLINK_DEPTH	8

/* Mode bits (POSIX values) */
#define HFS_S_IFMT		0170000
#define HFS_S_IFREG		0100000
#define HFS_S_IFDIR		0040000
#define HFS_S_IFLNK		0120000

/* hfs_open flags (Linux values, so the VFS passes them through) */
#define HFS_O_ACCMODE		0003
#define HFS_O_RDONLY		0000
#define HFS_O_WRONLY		0001
#define HFS_O_RDWR		0002
#define HFS_O_CREAT		0100
#define HFS_O_EXCL		0200
#define HFS_O_TRUNC		01000
#define HFS_O_APPEND		02000
#define HFS_O_NOFOLLOW		0400000

/* fallocate modes (Linux values) */
#define HFS_FALLOC_KEEP_SIZE	0x01
#define HFS_FALLOC_PUNCH_HOLE	0x02
#define HFS_FALLOC_COLLAPSE	0x08
#define HFS_FALLOC_ZERO_RANGE	0x10
#define HFS_FALLOC_INSERT	0x20

/* mount flags */
#define HFS_MOUNT_RDONLY	0x1

/*
 * How a layout change may wait for pinned pages (docs/design.md): by default it
 * waits until the pins are dropped, or until the calling thread is
 * interrupted (Ctrl-C on the shell): then it fails with -EINTR.
 * HFS_WAIT_NONE fails at once with -EBUSY; HFS_WAIT_TIMEOUT fails with
 * -ETIMEDOUT after timeout_ns; HFS_WAIT_NOINTR ignores interrupts (for a
 * caller that cannot back out, such as the release of an inode).  Every
 * failure leaves the file as it was.  NULL = default.
 */
#define HFS_WAIT_NONE		0x1
#define HFS_WAIT_TIMEOUT	0x2
#define HFS_WAIT_NOINTR		0x4
struct hfs_wait {
	unsigned flags;
	uint64_t timeout_ns;
};

struct hfs_fs;
struct hfs_inode;

struct hfs_stat {
	uint64_t ino;
	uint32_t mode;			/* type and permission bits */
	uint32_t nlink;
	uint64_t size;
	uint64_t blocks;		/* 4 KiB blocks allocated */
	uint64_t atime_ns, mtime_ns, ctime_ns;
};

/*
 * What an -ENOSPC ran out of.  The errno stays ENOSPC (callers and the
 * system-call ABI know only that); the reason is for messages.
 */
enum hfs_nospc {
	HFS_NOSPC_NONE = 0,		/* no -ENOSPC since mount */
	HFS_NOSPC_BLOCKS,		/* not enough free data blocks */
	HFS_NOSPC_INODES,		/* the inode table is full */
	HFS_NOSPC_JOURNAL,		/* one operation needs more journal than there is */
};

struct hfs_statfs {
	uint64_t block_size, blocks, free_blocks;
	uint64_t inodes, free_inodes;
	uint32_t last_nospc;		/* enum hfs_nospc: what the latest -ENOSPC
					 * of this filesystem ran out of */
	uint32_t name_max;
	uint8_t uuid[16];
	char label[32];
};

struct hfs_dirent {
	uint64_t ino;
	uint32_t type;			/* HFS_S_IFREG / IFDIR / IFLNK */
	char name[HFS_NAME_MAX + 1];
};

/* A file range's place on the device, for DAX mappings and DMA. */
struct hfs_mapping {
	uint64_t dev_off;		/* byte offset on the device (0 if hole) */
	uint64_t phys;			/* physical address (0 if hole or none) */
	uint64_t len;			/* bytes contiguous from the file offset */
	bool hole;			/* nothing allocated: reads as zeros */
};

/*
 * Progress of long work (mkfs, fsck): @done of @total units of @phase
 * ("blocks", "inodes").  Called now and then, and once with done == total
 * at the end of each phase; the caller decides whether to show it.
 */
typedef void (*hfs_progress_fn)(void *arg, const char *phase, uint64_t done, uint64_t total);

struct hfs_mkfs_opts {
	uint64_t inodes;		/* 0: one per 16 KiB, at least 64 */
	uint64_t journal_blocks;	/* 0: chosen from the device size */
	const char *label;		/* NULL: none */
	const uint8_t *uuid;		/* NULL: derived from the clock */
	hfs_progress_fn progress;	/* NULL: none; phase "metadata blocks" */
	void *progress_arg;
};

/* ------------------------------------------------------------ filesystem */
int hfs_mkfs(struct hfs_pm *pm, const struct hfs_mkfs_opts *opts);
/*
 * hfs_mount - check the superblock (magic, version, checksum, geometry
 * against the device size; falls back to the backup superblock), replay
 * the journal, free orphans.  A damaged or foreign image is refused with a
 * message naming what is wrong (-EINVAL, -EUCLEAN for damage, -EOPNOTSUPP
 * for an unknown version or incompatible feature).
 */
int hfs_mount(struct hfs_pm *pm, unsigned flags, struct hfs_fs **out);
int hfs_unmount(struct hfs_fs *fs);		/* leaves the clean flag */
int hfs_sync(struct hfs_fs *fs);
int hfs_statfs(struct hfs_fs *fs, struct hfs_statfs *st);

/* ------------------------------------------------------------ namespace */
/* Open (and with HFS_O_CREAT create) a file; mode: permission bits. */
int hfs_open(struct hfs_fs *fs, const char *path, int flags, uint32_t mode,
	     struct hfs_inode **out);
int hfs_lookup(struct hfs_fs *fs, const char *path, bool follow, struct hfs_inode **out);
int hfs_stat(struct hfs_fs *fs, const char *path, bool follow, struct hfs_stat *st);
int hfs_mkdir(struct hfs_fs *fs, const char *path, uint32_t mode);
int hfs_rmdir(struct hfs_fs *fs, const char *path);
int hfs_unlink(struct hfs_fs *fs, const char *path, const struct hfs_wait *w);
/* rename(2) semantics: replaces an existing target atomically. */
int hfs_rename(struct hfs_fs *fs, const char *from, const char *to, const struct hfs_wait *w);
int hfs_link(struct hfs_fs *fs, const char *existing, const char *newpath);
int hfs_symlink(struct hfs_fs *fs, const char *target, const char *linkpath);
/* Returns the target's length; writes at most size bytes, NUL-terminated if room. */
int hfs_readlink(struct hfs_fs *fs, const char *path, char *buf, size_t size);

/* ------------------------------------------------------------ inodes */
struct hfs_inode *hfs_igrab(struct hfs_inode *ip);	/* one more reference */
void hfs_iput(struct hfs_inode *ip);
uint64_t hfs_ino(const struct hfs_inode *ip);
int hfs_getattr(struct hfs_inode *ip, struct hfs_stat *st);
int64_t hfs_read(struct hfs_inode *ip, uint64_t off, void *buf, size_t len);
int64_t hfs_write(struct hfs_inode *ip, uint64_t off, const void *buf, size_t len);
int hfs_truncate(struct hfs_inode *ip, uint64_t size, const struct hfs_wait *w);
int hfs_fallocate(struct hfs_inode *ip, int mode, uint64_t off, uint64_t len,
		  const struct hfs_wait *w);
int hfs_fsync(struct hfs_inode *ip);
/*
 * hfs_readdir - the next entry of directory ip at *cookie (start with 0).
 * Returns 1 with *de filled and *cookie advanced, 0 at the end.
 */
int hfs_readdir(struct hfs_inode *ip, uint64_t *cookie, struct hfs_dirent *de);

/* ------------------------------------------------------------ DAX */
hfs_rwsem_t *hfs_layout_lock(struct hfs_inode *ip);
/*
 * hfs_map - where file offset off lives.  With alloc, a hole is filled
 * (zeroed blocks, aligned to 2 MiB when the file is large enough to use
 * it).  Caller holds the layout lock (shared is enough without alloc).
 */
int hfs_map(struct hfs_inode *ip, uint64_t off, bool alloc, struct hfs_mapping *m);

/* ------------------------------------------------------------ fsck */
#define HFS_FSCK_CLEAN		0
#define HFS_FSCK_REPAIRED	1
#define HFS_FSCK_ERRORS		4
#define HFS_FSCK_NOT_HOLDFS	8	/* too small, not holdfs, or another format
					 * version: nothing was checked */
struct hfs_fsck_opts {
	bool repair;			/* fix what is safe to fix */
	bool verbose;
	hfs_progress_fn progress;	/* NULL: none; phase "inodes" */
	void *progress_arg;
};
/* Check an unmounted image; returns HFS_FSCK_* (e2fsck's exit codes). */
int hfs_fsck(struct hfs_pm *pm, const struct hfs_fsck_opts *opts);

#endif
