/*
 * vfs_int.h - what the VFS's files share: the filesystem operations
 * table, struct mount, struct file, and the walk (fs/vfs.c) that the file
 * code (fs/vfs_file.c) opens through.  Not for other modules.
 *
 * A filesystem's node is an opaque pointer (holdfs: a struct hfs_inode;
 * devfs: one of its static nodes) that its ops take and hand out with a
 * reference (grab/put).  A name is always one component: the VFS walks.
 */
#ifndef FS_VFS_INT_H
#define FS_VFS_INT_H

#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <kernel/sync.h>

/*
 * Operations of one filesystem type.  @fs is the mount's filesystem
 * (holdfs: struct hfs_fs), @dir a directory node of it.  A NULL entry
 * means "not supported" (the VFS answers -EROFS for namespace changes,
 * -EINVAL for data calls).  Each returns 0 or a negative errno (read and
 * write a count) with the meaning holdfs.h gives its own call.
 */
struct vfs_fs_ops {
	const char *type;
	void *(*root)(void *fs);			/* with a reference */
	void *(*grab)(void *node);
	void (*put)(void *node);
	uint64_t (*ino)(void *node);
	int (*getattr)(void *node, struct hfs_stat *st);
	/* One component, a final symlink not followed. */
	int (*lookup)(void *fs, void *dir, const char *name, void **out);
	int (*readlink)(void *fs, void *dir, const char *name, char *buf, size_t size);
	/* Never follows a final symlink: -ELOOP on one (HFS_O_NOFOLLOW). */
	int (*open)(void *fs, void *dir, const char *name, int flags, uint32_t mode,
		    void **out);
	int (*mkdir)(void *fs, void *dir, const char *name, uint32_t mode);
	int (*rmdir)(void *fs, void *dir, const char *name);
	int (*unlink)(void *fs, void *dir, const char *name, const struct hfs_wait *w);
	/* @flags: HFS_RENAME_* (renameat2) */
	int (*rename)(void *fs, void *fdir, const char *from, void *tdir, const char *to,
		      unsigned flags, const struct hfs_wait *w);
	/* chmod, chown, utimensat: hfs_setattr()'s meaning */
	int (*setattr)(void *node, const struct hfs_setattr *sa);
	int (*link)(void *fs, void *odir, const char *old, void *ndir, const char *name);
	int (*symlink)(void *fs, const char *target, void *dir, const char *name);
	int64_t (*read)(void *node, uint64_t off, void *buf, size_t len);
	int64_t (*write)(void *node, uint64_t off, const void *buf, size_t len);
	/* A gather write: write() of the pieces joined, in one call.  NULL:
	 * the VFS calls write() piece by piece. */
	int64_t (*writev)(void *node, uint64_t off, const struct hfs_iovec *iov, unsigned n);
	int (*truncate)(void *node, uint64_t size, const struct hfs_wait *w);
	int (*fallocate)(void *node, int mode, uint64_t off, uint64_t len,
			 const struct hfs_wait *w);
	int (*fsync)(void *node);
	int (*readdir)(void *node, uint64_t *cookie, struct hfs_dirent *de);
	int (*statfs)(void *fs, struct hfs_statfs *st);
	int (*sync)(void *fs);
};

extern const struct vfs_fs_ops vfs_holdfs_ops;	/* fs/vfs_holdfs.c */
extern const struct vfs_fs_ops devfs_ops;	/* fs/devfs.c */
/* devfs has one instance; its fs pointer is this. */
void *devfs_instance(void);

/*
 * One mounted filesystem.  Every field but files is set when it is
 * mounted and read-only after, under mnt_sem (fs/vfs.c).
 */
struct mount {
	bool used;
	const struct vfs_fs_ops *ops;
	void *fs;
	struct blkdev *dev;			/* NULL: devfs */
	struct hfs_pm *pm;			/* holdfs's view of dev */
	void *root;				/* root node (reference) */
	uint64_t root_ino;
	struct mount *parent;			/* NULL: the global root */
	void *mp;				/* the mount point in parent (ref) */
	uint64_t mp_ino;
	unsigned flags;				/* VFS_MNT_RDONLY */
	unsigned children;			/* mounts on it (mnt_sem write) */
	unsigned files;				/* atomic: open struct files */
	char dir[VFS_MNT_DIR_MAX];
};

/* A place in the tree: a mount and a node of it, with a reference. */
struct vpath {
	struct mount *mnt;
	void *node;
};

struct file {
	unsigned refs;				/* atomic */
	struct vpath at;			/* pins at.mnt (files); unset with fops */
	const struct file_ops *fops;		/* a pipe or the console; NULL: a node */
	void *priv;				/* fops's object */
	char *path;				/* the path it was opened by (or NULL) */
	int flags;
	uint64_t off;				/* lock */
	struct mutex lock;
};

/* fs/vfs.c: resolve @path (absolute) to an open node: what vfs_file_open
 * calls with mnt_sem held shared.  *@out holds a reference. */
int vfs_open_path(const char *path, int flags, uint32_t mode, struct vpath *out);
void vpath_put(struct vpath *p);
void vfs_mounts_read_lock(void);
void vfs_mounts_read_unlock(void);

#endif
