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

#define HFS_VERSION		2	/* the on-media format this build writes (FORMAT.md) */
#define HFS_VERSION_MIN		1	/* the oldest it mounts (upgraded to HFS_VERSION
					 * by the first read-write mount) */
#define HFS_BLOCK_SIZE		4096
#define HFS_NAME_MAX		255
#define HFS_PATH_MAX		4096
#define HFS_SYMLINK_DEPTH	8

/* Mode bits (POSIX values) */
#define HFS_S_IFMT		0170000
#define HFS_S_IFREG		0100000
#define HFS_S_IFDIR		0040000
#define HFS_S_IFLNK		0120000
#define HFS_S_ISUID		04000
#define HFS_S_ISGID		02000
#define HFS_S_ISVTX		01000
#define HFS_S_IXGRP		00010
#define HFS_MODE_PERM		07777u	/* the bits besides the type */

/* (uint32_t)-1: chown(2)'s "leave unchanged", never an owner. */
#define HFS_ID_INVALID		0xffffffffu
/* Times are ns since 1970 and at most this (a signed 64-bit count). */
#define HFS_TIME_MAX		0x7fffffffffffffffULL

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

/*
 * One piece of a gather write (hfs_writev): @len bytes at @base, a kernel
 * (or host) pointer the caller keeps valid for the call.
 */
struct hfs_iovec {
	const void *base;
	size_t len;
};

struct hfs_stat {
	uint64_t ino;
	uint32_t mode;			/* type and permission bits */
	uint32_t nlink;
	uint32_t uid, gid;		/* owner (0 on a version-1 image) */
	uint64_t size;
	uint64_t blocks;		/* 4 KiB blocks allocated */
	uint64_t atime_ns, mtime_ns, ctime_ns;
};

/*
 * hfs_setattr's request: the HFS_ATTR_* bits of @mask say which fields
 * count.  Times are ns since 1970-01-01 UTC (at most INT64_MAX), or
 * HFS_TIME_NOW for the current time (utimensat's UTIME_NOW); leaving a
 * bit out is UTIME_OMIT.
 */
#define HFS_ATTR_MODE		0x01	/* permission bits (07777); the type stays */
#define HFS_ATTR_UID		0x02
#define HFS_ATTR_GID		0x04
#define HFS_ATTR_ATIME		0x08
#define HFS_ATTR_MTIME		0x10
#define HFS_ATTR_ALL		0x1f
#define HFS_TIME_NOW		UINT64_MAX
struct hfs_setattr {
	unsigned mask;
	uint32_t mode;
	uint32_t uid, gid;
	uint64_t atime_ns, mtime_ns;
};

/* hfs_permission's @mask (POSIX access(2) values) */
#define HFS_MAY_EXEC		1
#define HFS_MAY_WRITE		2
#define HFS_MAY_READ		4

/* hfs_rename2 flags (Linux renameat2 values) */
#define HFS_RENAME_NOREPLACE	0x1
#define HFS_RENAME_EXCHANGE	0x2

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

/*
 * Context of every function below, unless its comment says otherwise:
 * thread context, may sleep (the kernel's locks are sleeping locks), and
 * the caller holds no holdfs lock (the functions take their own: ns_lock,
 * then an inode's layout lock, then tx_lock, then icache_lock; lock order
 * in hfs_int.h).  Never from an interrupt handler or under a spinlock.
 * The lock rules a caller must keep are asserted (holdfs_platform.h).
 *
 * Path errors, which every call taking a path may return besides its own:
 * -EFAULT (NULL path), -ENOENT (empty path, or a component missing),
 * -EINVAL (not absolute), -ENAMETOOLONG, -ENOTDIR (a component is not a
 * directory), -ELOOP (more than HFS_SYMLINK_DEPTH links), -ENOMEM,
 * -EUCLEAN (damaged metadata on the way: run fsck).
 */

/* ------------------------------------------------------------ filesystem */
/**
 * hfs_mkfs - make an empty filesystem (root directory and /lost+found) on
 * @pm, erasing what was there.  @opts may be NULL (defaults).  Nothing
 * may have it mounted.  Returns 0, -EINVAL (device too small, or options
 * that do not fit it: the message says which), -ENOMEM.
 */
int hfs_mkfs(struct hfs_pm *pm, const struct hfs_mkfs_opts *opts);
/**
 * hfs_mount - check the superblock (magic, version, checksum, geometry
 * against the device size; falls back to the backup superblock), replay
 * the journal, free orphans.  A damaged or foreign image is refused with a
 * message naming what is wrong (-EINVAL, -EUCLEAN for damage, -EOPNOTSUPP
 * for an unknown version or incompatible feature, -EROFS for a read-only
 * mount that would need a journal replay, -ENOMEM).
 */
int hfs_mount(struct hfs_pm *pm, unsigned flags, struct hfs_fs **out);
/**
 * hfs_unmount - write back the cached inodes, leave the clean flag and
 * free @fs.  Returns 0, or -EBUSY (still mounted) while some inode other
 * than the root is referenced.  Nothing else may use @fs during or after.
 */
int hfs_unmount(struct hfs_fs *fs);
/** hfs_sync - make every change so far durable.  Takes tx_lock.  Returns 0. */
int hfs_sync(struct hfs_fs *fs);
/** hfs_statfs - sizes, free counts, label, uuid.  Takes no lock.  Returns 0. */
int hfs_statfs(struct hfs_fs *fs, struct hfs_statfs *st);

/* ------------------------------------------------------------ namespace */
/*
 * Lookups take ns_lock shared; the calls that change the namespace take it
 * exclusive for their whole walk and change, as one transaction (tx_lock).
 * The ones that may free a file's blocks (unlink, rename over a file) also
 * take that file's layout lock and wait for its pinned pages first, per
 * @w (NULL: wait, interruptibly): -EBUSY, -ETIMEDOUT or -EINTR then, with
 * nothing changed.  A change also fails with -EROFS on a read-only mount,
 * -ENOSPC (no inode, block or journal room: struct hfs_statfs says which)
 * and -EUCLEAN.
 */

/**
 * hfs_open - open (and with HFS_O_CREAT create) a file; @mode: permission
 * bits of a new file.  *@out holds a reference (hfs_iput).  Takes ns_lock
 * (exclusive with HFS_O_CREAT), and with HFS_O_TRUNC the layout lock
 * (hfs_truncate: it waits for pins).  Errors: the path errors, -EINVAL
 * (bad access mode), -EEXIST (HFS_O_EXCL), -EISDIR (a directory opened
 * for writing or created over), -ELOOP (HFS_O_NOFOLLOW on a symlink),
 * -EROFS, -ENOSPC, and hfs_truncate's.
 */
int hfs_open(struct hfs_fs *fs, const char *path, int flags, uint32_t mode,
	     struct hfs_inode **out);
/**
 * hfs_lookup - the inode at @path, with a reference (hfs_iput), following
 * a final symlink when @follow.  Takes ns_lock shared.  Path errors only.
 */
int hfs_lookup(struct hfs_fs *fs, const char *path, bool follow, struct hfs_inode **out);
/** hfs_stat - hfs_lookup, then hfs_getattr.  Path errors only. */
int hfs_stat(struct hfs_fs *fs, const char *path, bool follow, struct hfs_stat *st);
/**
 * hfs_mkdir - make directory @path.  Takes ns_lock exclusive.  Path
 * errors, -EEXIST, -EMLINK (the parent has too many subdirectories),
 * -EROFS, -ENOSPC.
 */
int hfs_mkdir(struct hfs_fs *fs, const char *path, uint32_t mode);
/**
 * hfs_rmdir - remove empty directory @path.  Takes ns_lock exclusive and
 * the directory's layout lock.  Path errors, -ENOTEMPTY, -EBUSY (the
 * root), -EINVAL ("." as last component), -EROFS.
 */
int hfs_rmdir(struct hfs_fs *fs, const char *path);
/**
 * hfs_unlink - remove name @path (not a directory: -EISDIR).  The last link
 * of a file frees its blocks once no reference is left, after waiting for
 * its pinned pages per @w (-EBUSY / -ETIMEDOUT / -EINTR: nothing removed).
 * Takes ns_lock exclusive and the file's layout lock.  Also -EROFS.
 */
int hfs_unlink(struct hfs_fs *fs, const char *path, const struct hfs_wait *w);
/**
 * hfs_rename - rename(2): replaces an existing target atomically (waiting
 * for its pinned pages per @w).  Takes ns_lock exclusive and the layout
 * lock of a replaced file.  Path errors, -EINVAL ("." or "..", or a
 * directory into itself),
 * -EISDIR / -ENOTDIR (a file over a directory or the reverse), -ENOTEMPTY,
 * -EBUSY (the root, or pins per @w), -ETIMEDOUT, -EINTR, -EROFS, -ENOSPC.
 */
int hfs_rename(struct hfs_fs *fs, const char *from, const char *to, const struct hfs_wait *w);
/**
 * hfs_rename2 - renameat2(2): hfs_rename when @flags is 0.
 * HFS_RENAME_NOREPLACE: fail with -EEXIST if @to exists (nothing changed).
 * HFS_RENAME_EXCHANGE: swap the two existing names in one transaction
 * (either may be a directory: parents and link counts follow; -ENOENT if
 * @to does not exist, -EINVAL if one is above the other).  Both flags at
 * once, or an unknown flag: -EINVAL.  Locks and other errors as
 * hfs_rename; an exchange frees nothing, so it never waits for pins.
 */
int hfs_rename2(struct hfs_fs *fs, const char *from, const char *to, unsigned flags,
		const struct hfs_wait *w);
/**
 * hfs_link - a new name @newpath for the file at @existing.  Takes ns_lock
 * exclusive.  Path errors, -EPERM (a directory), -EEXIST, -EMLINK, -EROFS,
 * -ENOSPC.
 */
int hfs_link(struct hfs_fs *fs, const char *existing, const char *newpath);
/**
 * hfs_symlink - make symlink @linkpath pointing to @target (stored as
 * given).  Takes ns_lock exclusive.  Path errors, -ENOENT (empty target),
 * -ENAMETOOLONG (target), -EEXIST, -EROFS, -ENOSPC.
 */
int hfs_symlink(struct hfs_fs *fs, const char *target, const char *linkpath);
/**
 * hfs_readlink - the target of symlink @path (not followed): returns its
 * length; writes at most @size bytes, NUL-terminated if room.  Takes
 * ns_lock shared.  Path errors, -EINVAL (not a symlink).
 */
int hfs_readlink(struct hfs_fs *fs, const char *path, char *buf, size_t size);

/*
 * The same calls from a starting directory, for a VFS that walks paths
 * itself (across mounts).  @dir (a directory of @fs, with a reference the
 * caller keeps) is where a relative @path starts; NULL, or a path that
 * begins with '/', starts at @fs's root.  The calls above are these with
 * NULL.  Besides the path errors: -EXDEV (@dir belongs to another
 * filesystem).  An absolute symlink met on the way resolves from @fs's
 * root: a VFS that mounts several filesystems passes one component at a
 * time, with HFS_O_NOFOLLOW, and follows links itself.
 */
int hfs_lookup_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path, bool follow,
		  struct hfs_inode **out);
int hfs_open_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path, int flags,
		uint32_t mode, struct hfs_inode **out);
int hfs_mkdir_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path, uint32_t mode);
int hfs_rmdir_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path);
int hfs_unlink_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path,
		  const struct hfs_wait *w);
int hfs_rename_at(struct hfs_fs *fs, struct hfs_inode *fdir, const char *from,
		  struct hfs_inode *tdir, const char *to, const struct hfs_wait *w);
int hfs_rename2_at(struct hfs_fs *fs, struct hfs_inode *fdir, const char *from,
		   struct hfs_inode *tdir, const char *to, unsigned flags,
		   const struct hfs_wait *w);
int hfs_link_at(struct hfs_fs *fs, struct hfs_inode *odir, const char *existing,
		struct hfs_inode *ndir, const char *newpath);
int hfs_symlink_at(struct hfs_fs *fs, const char *target, struct hfs_inode *dir,
		   const char *linkpath);
int hfs_readlink_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path, char *buf,
		    size_t size);
/**
 * hfs_lookup_one - entry @name (one component, no '/') of directory @dir,
 * a symlink not followed, with a reference: the cheap step of a VFS that
 * walks itself.  Takes ns_lock shared.  -ENOENT, -ENOTDIR, -ENAMETOOLONG,
 * -EINVAL (a '/' in @name), -EXDEV, -EUCLEAN.
 */
int hfs_lookup_one(struct hfs_fs *fs, struct hfs_inode *dir, const char *name,
		   struct hfs_inode **out);
/** hfs_root_inode - @fs's root directory with a reference (hfs_iput).  No lock. */
struct hfs_inode *hfs_root_inode(struct hfs_fs *fs);

/* ------------------------------------------------------------ inodes */
/*
 * The calls on an inode need a reference to it (from hfs_open, hfs_lookup
 * or hfs_igrab).  Data calls take the inode's layout lock: shared to read,
 * exclusive to change size or blocks.
 */

/** hfs_igrab - one more reference to @ip; returns @ip.  Takes icache_lock. */
struct hfs_inode *hfs_igrab(struct hfs_inode *ip);
/**
 * hfs_iput - drop a reference (NULL is ignored).  The last one of an inode
 * without links frees it and its blocks; otherwise it stays cached.  The
 * caller may hold ns_lock, but not @ip's layout lock nor tx_lock (both
 * asserted for what can be told: the layout lock for write).
 */
void hfs_iput(struct hfs_inode *ip);
/** hfs_ino - @ip's inode number.  Any context, no lock. */
uint64_t hfs_ino(const struct hfs_inode *ip);
/**
 * hfs_getattr - @ip's attributes.  No lock: each field is read once, so a
 * concurrent write may show its new size with the old mtime.  Returns 0.
 */
int hfs_getattr(struct hfs_inode *ip, struct hfs_stat *st);
/**
 * hfs_setattr - chmod, chown and utimensat on @ip: the fields of @sa that
 * @sa->mask names, in one transaction that also sets ctime to now (POSIX;
 * a mask of 0 changes nothing, ctime included).  chmod keeps the file
 * type; chown of a non-directory clears set-user-ID, and set-group-ID
 * when group-execute is set (as Linux does), unless the same call sets
 * the mode.  No permission check: the caller decides who may (see
 * hfs_permission).  Takes @ip's layout lock exclusive, then tx_lock.
 * Returns 0, -EFAULT (NULL @sa), -EINVAL (unknown mask bit, mode bits
 * outside 07777, an id of (uint32_t)-1, a time past INT64_MAX that is
 * not HFS_TIME_NOW), -EROFS, -ENOSPC (journal).
 */
int hfs_setattr(struct hfs_inode *ip, const struct hfs_setattr *sa);
/**
 * hfs_permission - may a caller with @uid, primary group @gid and the
 * @ngroups supplementary groups @groups do @mask (HFS_MAY_*) to @ip?  POSIX
 * rules: uid 0 may read and write anything, and execute what has an
 * execute bit (or is a directory); otherwise the owner class, else the
 * group class (primary or supplementary), else the others class must grant
 * every bit asked.  Returns 0 or -EACCES.  No lock; any context.
 */
int hfs_permission(struct hfs_inode *ip, uint32_t uid, uint32_t gid,
		   const uint32_t *groups, size_t ngroups, unsigned mask);
/**
 * hfs_read - read up to @len bytes at @off; holes read as zeros.  Takes the
 * layout lock shared.  Returns the count (0 at or past EOF), -EISDIR,
 * -EUCLEAN.
 */
int64_t hfs_read(struct hfs_inode *ip, uint64_t off, void *buf, size_t len);
/**
 * hfs_write - write @len bytes at @off (a gap past EOF reads as zeros).
 * Takes the layout lock exclusive.  Returns @len or -EISDIR, -EINVAL (not
 * a regular file), -EFBIG, -ENOSPC (nothing written), -EROFS, -EUCLEAN.
 */
int64_t hfs_write(struct hfs_inode *ip, uint64_t off, const void *buf, size_t len);
/**
 * hfs_writev - write the @n pieces of @iov one after another from @off:
 * exactly what hfs_write() of their concatenation does (allocation, gap
 * zeroing, size, persistence, crash safety), but each piece is copied
 * straight from where it lies into the file's blocks, with no buffer in
 * between.  Pieces of length 0 are skipped.  Takes the layout lock
 * exclusive, once for the whole write.  Returns the total length (0 for
 * no bytes at all) or -EISDIR, -EINVAL (not a regular file, or a piece
 * with a NULL @base and a length), -EFBIG (past the largest file, or
 * lengths whose sum overflows), -ENOSPC (nothing written), -EROFS,
 * -EUCLEAN.
 */
int64_t hfs_writev(struct hfs_inode *ip, uint64_t off, const struct hfs_iovec *iov,
		   unsigned n);
/**
 * hfs_truncate - set @ip's size; shrinking frees the blocks past it, after
 * waiting for pinned pages there per @w.  Takes the layout lock exclusive.
 * Returns 0, -EISDIR, -EINVAL (not a regular file), -EFBIG, -EROFS,
 * -ENOSPC, -EBUSY / -ETIMEDOUT / -EINTR (pins, per @w: nothing changed).
 */
int hfs_truncate(struct hfs_inode *ip, uint64_t size, const struct hfs_wait *w);
/**
 * hfs_fallocate - fallocate(2) modes HFS_FALLOC_* (falloc.c's table): the
 * ones that free or move blocks wait for pinned pages per @w first.  Takes
 * the layout lock exclusive.  Returns 0, -EOPNOTSUPP (unknown or
 * unsupported mode combination), -EINVAL (len 0, unaligned shift, shift
 * past EOF), -EISDIR, -ENODEV (not a regular file), -EFBIG, -ENOSPC,
 * -EROFS, -EBUSY / -ETIMEDOUT / -EINTR (nothing changed).
 */
int hfs_fallocate(struct hfs_inode *ip, int mode, uint64_t off, uint64_t len,
		  const struct hfs_wait *w);
/** hfs_fsync - make @ip's data, size and times durable.  Takes tx_lock.  Returns 0. */
int hfs_fsync(struct hfs_inode *ip);
/**
 * hfs_readdir - the next entry of directory @ip at *@cookie (start with 0;
 * "." and ".." come first).  Returns 1 with *@de filled and *@cookie
 * advanced, 0 at the end, -ENOTDIR, -EUCLEAN.  Takes ns_lock shared.
 */
int hfs_readdir(struct hfs_inode *ip, uint64_t *cookie, struct hfs_dirent *de);

/**
 * hfs_ext_count - how many extent records map @ip's blocks (its
 * fragmentation, for stat in the host tool and for tests).
 * Locks: none taken; call it on a file nothing is changing.  Context: may
 * sleep.  Returns 0, or -EUCLEAN when an extent node is damaged.
 */
int hfs_ext_count(struct hfs_inode *ip, uint64_t *count);

/* ------------------------------------------------------------ DAX */
/**
 * hfs_layout_lock - @ip's layout lock, for the DAX layer: held shared while
 * a mapping of the file is looked up or pinned, exclusive while blocks
 * are allocated, freed or moved.  Any context, no lock.
 */
hfs_rwsem_t *hfs_layout_lock(struct hfs_inode *ip);
/**
 * hfs_map - where file offset @off lives.  With @alloc, a hole is filled
 * (zeroed blocks, aligned to 2 MiB when the file is large enough to use
 * it).  Caller holds the layout lock: shared is enough without @alloc,
 * exclusive with it (asserted).  Returns 0, -EFBIG, -EROFS / -EINVAL (an
 * allocation on a read-only mount / not a regular file), -ENOSPC, -EUCLEAN.
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
/**
 * hfs_fsck - check (and with @opts->repair fix) an unmounted image.
 * Returns HFS_FSCK_* (e2fsck's exit codes); what it found is logged.
 * Nothing may have the image mounted.  May sleep; takes no lock of its own
 * except while it reconnects lost inodes (then it mounts the image).
 */
int hfs_fsck(struct hfs_pm *pm, const struct hfs_fsck_opts *opts);

#endif
