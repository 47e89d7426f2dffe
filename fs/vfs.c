/*
 * vfs.c - the mount table and the path walk, and the path operations on
 * top of them (include/fs/vfs.h; open files are fs/vfs_file.c).
 *
 * Mounts.  mounts[] holds every mounted filesystem: the root (holdfs on
 * the root= device), devfs on /dev, and what `mount` adds.  A mount
 * records its parent mount and the mount point there (a directory node it
 * keeps a reference to, and its inode number).
 *
 * The walk.  A path is resolved one component at a time, each a call of
 * the filesystem's lookup on one name (holdfs: hfs_lookup_at):
 *   - a step onto a node some mount sits on enters that mount's root
 *     (cross_down; the scan is skipped for a mount without children);
 *   - ".." at a mount's root goes to its mount point first, then up;
 *     ".." at the global root stays there (step_dotdot);
 *   - a symlink is read here and its target walked from the link's
 *     directory, or from the global root when absolute, at most
 *     HFS_SYMLINK_DEPTH links per walk (follow_link).
 * The last component is handed to the filesystem's own call (create,
 * unlink, rename...) with its parent directory, so a namespace change is
 * still one holdfs transaction.  rename and link across mounts: -EXDEV.
 *
 * Locking: mnt_sem is held shared by every path operation for its walk
 * and call, and exclusive while mounts[] changes; so a mount never goes
 * away under a walk.  An open file pins its mount by mount.files (taken
 * under mnt_sem), and umount refuses a mount with open files or mounts
 * below it.  Context: thread, may sleep; a path operation must not call
 * another (mnt_sem is not taken twice by one thread).
 */
#include "vfs_int.h"
#include <drivers/blkdev.h>
#include <drivers/pmem.h>
#include <drivers/namespace.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <lib/printf.h>

#define DEV_DIR		"/dev"
#define DEV_NAME	"dev"
#define DEFAULT_ROOT	"pmem0"
#define PROBE_BYTES	8		/* bytes shown of a device that is not holdfs */

static struct mount mounts[VFS_MAX_MOUNTS];	/* mnt_sem */
static struct mount *rootmnt;			/* mnt_sem */
static struct rwsem mnt_sem = {
	.name = "mounts", .wq = WAIT_QUEUE_INIT(mnt_sem.wq, "mounts"),
};

void vfs_mounts_read_lock(void) { down_read(&mnt_sem); }
void vfs_mounts_read_unlock(void) { up_read(&mnt_sem); }

/* ------------------------------------------------------------ vpaths */

void vpath_put(struct vpath *p)
{
	if (p->node)
		p->mnt->ops->put(p->node);
	p->node = NULL;
}

static void vpath_set(struct vpath *p, struct mount *m, void *node)
{
	p->mnt = m;
	p->node = m->ops->grab(node);
}

static uint32_t vpath_type(const struct vpath *p)
{
	struct hfs_stat st;

	p->mnt->ops->getattr(p->node, &st);
	return st.mode & HFS_S_IFMT;
}

static bool at_mount_root(const struct vpath *p)
{
	return p->mnt->ops->ino(p->node) == p->mnt->root_ino;
}

/* The mount sitting on @p, or NULL.  mnt_sem held. */
static struct mount *mounted_on(const struct vpath *p)
{
	uint64_t ino;

	if (!p->mnt->children)
		return NULL;
	ino = p->mnt->ops->ino(p->node);
	for (unsigned i = 0; i < VFS_MAX_MOUNTS; i++)
		if (mounts[i].used && mounts[i].parent == p->mnt && mounts[i].mp_ino == ino)
			return &mounts[i];
	return NULL;
}

/* Step onto a mount point: enter what is mounted there. */
static void cross_down(struct vpath *p)
{
	struct mount *m = mounted_on(p);

	if (m) {
		vpath_put(p);
		vpath_set(p, m, m->root);
	}
}

/* ------------------------------------------------------------ the walk */

struct vwalk {
	struct vpath dir;			/* the last component's directory */
	char name[HFS_NAME_MAX + 1];		/* the last component ("": "/") */
	size_t len;
	bool slash;				/* the path ended with '/' */
};

static int resolve(struct vpath *start, const char *path, bool follow, unsigned *links,
		   struct vpath *out);

static int lookup_into(struct vpath *p, const char *name)
{
	void *n;
	int err = p->mnt->ops->lookup(p->mnt->fs, p->node, name, &n);

	if (err)
		return err;
	vpath_put(p);
	p->node = n;
	return 0;
}

static int step_dotdot(struct vpath *p)
{
	while (at_mount_root(p) && p->mnt->parent) {
		struct mount *m = p->mnt;

		vpath_put(p);
		vpath_set(p, m->parent, m->mp);
	}
	if (at_mount_root(p))
		return 0;			/* ".." of "/" is "/" */
	return lookup_into(p, "..");
}

/* @name in @dir is a symlink: resolve its target into *@out. */
static int follow_link(struct vpath *dir, const char *name, unsigned *links, struct vpath *out)
{
	char *target;
	int err;

	if (++*links > HFS_SYMLINK_DEPTH)
		return -ELOOP;
	target = kmalloc(HFS_PATH_MAX);
	if (!target)
		return -ENOMEM;
	err = dir->mnt->ops->readlink(dir->mnt->fs, dir->node, name, target, HFS_PATH_MAX);
	if (err >= 0)
		err = resolve(dir, target, true, links, out);
	kfree(target);
	return err;
}

/* Move *@cur to its entry @name (following a symlink when @follow). */
static int step(struct vpath *cur, const char *name, bool follow, unsigned *links)
{
	struct vpath next;
	int err;

	if (!strcmp(name, "."))
		return vpath_type(cur) == HFS_S_IFDIR ? 0 : -ENOTDIR;
	if (!strcmp(name, ".."))
		return vpath_type(cur) == HFS_S_IFDIR ? step_dotdot(cur) : -ENOTDIR;
	next.mnt = cur->mnt;
	err = cur->mnt->ops->lookup(cur->mnt->fs, cur->node, name, &next.node);
	if (err)
		return err;
	if (follow && vpath_type(&next) == HFS_S_IFLNK) {
		vpath_put(&next);
		err = follow_link(cur, name, links, &next);
		if (err)
			return err;
	} else {
		cross_down(&next);
	}
	vpath_put(cur);
	*cur = next;
	return 0;
}

/* Walk every component of @path but the last, into @w. */
static int walk_parent(struct vpath *start, const char *path, unsigned *links, struct vwalk *w)
{
	const char *p = path, *c;
	char name[HFS_NAME_MAX + 1];
	struct vpath cur;
	size_t plen, n;
	int err;

	w->dir.node = NULL;	/* an error leaves nothing to put (vfs_open_path puts it) */
	if (!path)
		return -EFAULT;
	plen = strnlen(path, HFS_PATH_MAX);
	if (plen == 0)
		return -ENOENT;
	if (plen >= HFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (!rootmnt)
		return -ENODEV;
	if (path[0] == '/' || !start)
		vpath_set(&cur, rootmnt, rootmnt->root);
	else
		vpath_set(&cur, start->mnt, start->node);
	if (path[0] != '/' && !start) {
		vpath_put(&cur);
		return -EINVAL;
	}
	for (;;) {
		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (n > HFS_NAME_MAX) {
			vpath_put(&cur);
			return -ENAMETOOLONG;
		}
		memcpy(name, c, n);
		name[n] = '\0';
		{
			const char *q = p;

			while (*q == '/')
				q++;
			if (!*q) {
				w->dir = cur;
				memcpy(w->name, name, n + 1);
				w->len = n;
				w->slash = *p == '/';
				return 0;
			}
		}
		err = step(&cur, name, true, links);
		if (err) {
			vpath_put(&cur);
			return err;
		}
	}
}

/* The last component of @w itself, into *@out. */
static int walk_last(struct vwalk *w, bool follow, unsigned *links, struct vpath *out)
{
	int err;

	vpath_set(out, w->dir.mnt, w->dir.node);
	if (w->len == 0)
		return 0;
	err = step(out, w->name, follow || w->slash, links);
	if (!err && w->slash && vpath_type(out) != HFS_S_IFDIR)
		err = -ENOTDIR;
	if (err)
		vpath_put(out);
	return err;
}

static int resolve(struct vpath *start, const char *path, bool follow, unsigned *links,
		   struct vpath *out)
{
	struct vwalk w;
	int err = walk_parent(start, path, links, &w);

	if (err)
		return err;
	err = walk_last(&w, follow, links, out);
	vpath_put(&w.dir);
	return err;
}

static int lookup_path(const char *path, bool follow, struct vpath *out)
{
	unsigned links = 0;

	return resolve(NULL, path, follow, &links, out);
}

static int parent_of(const char *path, struct vwalk *w)
{
	unsigned links = 0;

	return walk_parent(NULL, path, &links, w);
}

/*
 * vfs_open_path - open @path (HFS_O_* @flags) as vfs_file_open does:
 * the filesystem's open on the last component, a symlink there followed
 * here (so O_CREAT through a dangling link creates its target).  Caller
 * holds mnt_sem shared.  *@out holds a reference.
 */
int vfs_open_path(const char *path, int flags, uint32_t mode, struct vpath *out)
{
	unsigned links = 0;
	struct vwalk w;
	int err = walk_parent(NULL, path, &links, &w);

	while (!err) {
		struct vwalk next;
		char *target;

		if (w.len == 0 || !strcmp(w.name, ".") || !strcmp(w.name, "..")) {
			err = walk_last(&w, true, &links, out);
			if (!err && ((flags & HFS_O_ACCMODE) != HFS_O_RDONLY ||
				     (flags & (HFS_O_TRUNC | HFS_O_CREAT)))) {
				vpath_put(out);
				err = -EISDIR;
			}
			break;
		}
		if (w.slash && (flags & HFS_O_CREAT)) {
			err = -EISDIR;
			break;
		}
		out->mnt = w.dir.mnt;
		err = w.dir.mnt->ops->open(w.dir.mnt->fs, w.dir.node, w.name, flags, mode,
					   &out->node);
		if (!err) {
			cross_down(out);
			if (w.slash && vpath_type(out) != HFS_S_IFDIR) {
				vpath_put(out);
				err = -ENOTDIR;
			}
			break;
		}
		if (err != -ELOOP || (flags & HFS_O_NOFOLLOW))
			break;
		/* A symlink: open what it names, from its directory. */
		if (++links > HFS_SYMLINK_DEPTH)
			break;
		target = kmalloc(HFS_PATH_MAX);
		if (!target) {
			err = -ENOMEM;
			break;
		}
		err = w.dir.mnt->ops->readlink(w.dir.mnt->fs, w.dir.node, w.name, target,
					       HFS_PATH_MAX);
		if (err >= 0)
			err = walk_parent(&w.dir, target, &links, &next);
		kfree(target);
		if (err)
			break;
		vpath_put(&w.dir);
		w = next;
	}
	vpath_put(&w.dir);
	return err;
}

/* ------------------------------------------------------------ mounts */

/**
 * vfs_mounted - is a root filesystem mounted?  Any context, no lock (a
 * snapshot).
 */
bool vfs_mounted(void) { return READ_ONCE(rootmnt) != NULL; }

/**
 * vfs_root - the root holdfs, or NULL, for the callers of holdfs itself
 * (DMA on files, the shell, the tests).  Any context, no lock; it stays
 * valid until vfs_unmount_root().
 */
struct hfs_fs *vfs_root(void)
{
	struct mount *m = READ_ONCE(rootmnt);

	return m && m->ops == &vfs_holdfs_ops ? m->fs : NULL;
}

/**
 * vfs_root_dev - the device root= names (default pmem0), or NULL when no
 * device has that name.  Thread context.
 */
struct blkdev *vfs_root_dev(void)
{
	return blkdev_lookup(kopts.root[0] ? kopts.root : DEFAULT_ROOT);
}

static struct mount *mount_slot(void)
{
	for (unsigned i = 0; i < VFS_MAX_MOUNTS; i++)
		if (!mounts[i].used) {
			memset(&mounts[i], 0, sizeof(mounts[i]));
			return &mounts[i];
		}
	return NULL;
}

/* "blank" or the first bytes of @bd, for a refusal: what was found. */
static void describe(struct blkdev *bd, char *why, size_t len)
{
	uint8_t b[HFS_BLOCK_SIZE];
	size_t n = MIN(sizeof(b), (size_t)bd->size);
	bool zero = true;

	if (!bd->pmem || pmem_read(bd->pmem, bd->pmem_off, b, n)) {
		snprintf(why, len, "not holdfs (unreadable)");
		return;
	}
	for (size_t i = 0; i < n; i++)
		zero &= b[i] == 0;
	if (zero)
		snprintf(why, len, "not holdfs: it is blank (its first 4 KiB are zeros)");
	else
		snprintf(why, len, "not holdfs: unknown data (it starts %02x %02x %02x %02x "
			 "%02x %02x %02x %02x)", b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
}

static void say(char *why, size_t len, const char *msg)
{
	if (why && len)
		strlcpy(why, msg, len);
}

/* Mount holdfs from @bd into a new slot.  mnt_sem held for write. */
static int mount_holdfs(struct blkdev *bd, unsigned flags, struct mount **out, char *why,
			size_t wl)
{
	struct mount *m = mount_slot();
	struct hfs_fs *fs;
	int err;

	if (!m)
		return say(why, wl, "the mount table is full"), -ENOSPC;
	if (!bd->pmem)
		return say(why, wl, "not a DAX device: holdfs needs persistent memory"),
		       -EOPNOTSUPP;
	if (bd->holder)
		return say(why, wl, "the device is already mounted"), -EBUSY;
	m->pm = hfs_kernel_pm_range(bd->pmem, bd->pmem_off, bd->size);
	if (!m->pm)
		return say(why, wl, "out of memory"), -ENOMEM;
	err = hfs_mount(m->pm, (flags & VFS_MNT_RDONLY) ? HFS_MOUNT_RDONLY : 0, &fs);
	if (err)
		goto out_free_pm;
	m->used = true;
	m->ops = &vfs_holdfs_ops;
	m->fs = fs;
	m->dev = bd;
	m->flags = flags;
	m->root = hfs_root_inode(fs);
	m->root_ino = hfs_ino(m->root);
	blkdev_claim(bd, m);
	*out = m;
	return 0;

out_free_pm:
	kfree(m->pm);
	m->pm = NULL;
	if (err == -EINVAL && why)
		describe(bd, why, wl);
	else if (err == -EUCLEAN)
		say(why, wl, "the holdfs on it is damaged: run fsck -y on it");
	else if (err == -EOPNOTSUPP)
		say(why, wl, "its holdfs format version is not one this kernel reads");
	else if (err == -EROFS)
		say(why, wl, "its journal needs replaying: mount it read-write once");
	else
		say(why, wl, strerror(err));
	return err;
}

/* Unmount @m's filesystem and free the slot.  mnt_sem held for write. */
static int unmount_fs(struct mount *m)
{
	int err = 0;

	if (m->ops == &vfs_holdfs_ops)
		err = hfs_unmount(m->fs);	/* frees the root node with it */
	if (err)
		return err;
	if (m->parent) {
		m->parent->ops->put(m->mp);
		m->parent->children--;
	}
	if (m->dev)
		blkdev_release(m->dev);
	kfree(m->pm);
	m->used = false;
	return 0;
}

/* Attach @m on @mp (a directory of another mount; its reference moves). */
static void attach(struct mount *m, struct vpath *mp, const char *dir)
{
	m->parent = mp->mnt;
	m->mp = mp->node;
	m->mp_ino = mp->mnt->ops->ino(mp->node);
	mp->mnt->children++;
	mp->node = NULL;
	strlcpy(m->dir, dir, sizeof(m->dir));
}

/* devfs on /dev of the new root, making /dev when it is missing. */
static void mount_devfs(void)
{
	struct mount *m;
	struct vpath mp;
	int err;

	err = lookup_path(DEV_DIR, true, &mp);
	if (err == -ENOENT && !(rootmnt->flags & VFS_MNT_RDONLY)) {
		err = rootmnt->ops->mkdir(rootmnt->fs, rootmnt->root, DEV_NAME, 0755);
		if (!err)
			kprintf("vfs: made /dev on the root (it had none), for the device nodes\n");
		if (!err)
			err = lookup_path(DEV_DIR, true, &mp);
	}
	if (!err && vpath_type(&mp) != HFS_S_IFDIR) {
		vpath_put(&mp);
		err = -ENOTDIR;
	}
	if (err || !(m = mount_slot())) {
		if (!err)
			vpath_put(&mp);
		kprintf("vfs: devfs not mounted on /dev (%s)\n", err ? strerror(err) :
			"the mount table is full");
		return;
	}
	m->used = true;
	m->ops = &devfs_ops;
	m->fs = devfs_instance();
	m->root = devfs_ops.root(m->fs);
	m->root_ino = devfs_ops.ino(m->root);
	attach(m, &mp, DEV_DIR);
}

/* Why the root is not mounted (holdfs logged the details). */
static void report_not_mounted(const char *dev, int err)
{
	switch (err) {
	case -EINVAL:
		kprintf("vfs: %s not mounted: it holds no usable holdfs; format it here "
			"with: mkfs %s (this erases it); or, with the machine off, on the "
			"host with build/tools/mkfs.holdfs IMAGE, or boot with a new image "
			"(make run PMEM=new.img)\n", dev, dev);
		break;
	case -EOPNOTSUPP:
		kprintf("vfs: %s not mounted: its holdfs format is not one this kernel reads; "
			"boot a Holdfast build that reads it\n", dev);
		break;
	case -EUCLEAN:
		kprintf("vfs: %s not mounted: the holdfs on it is damaged; on the host, "
			"run build/tools/fsck.holdfs -y IMAGE\n", dev);
		break;
	default:
		kprintf("vfs: %s not mounted (error %d: %s)\n", dev, err, strerror(err));
	}
}

static void report_bad_root(void)
{
	kprintf("vfs: root=%s: no such block device (devices:", kopts.root);
	for (unsigned i = 0; blkdev_at(i); i++)
		kprintf(" %s", blkdev_at(i)->name);
	kprintf("); no root filesystem mounted\n");
}

/*
 * The namespace module's busy check (include/drivers/namespace.h): is
 * any byte of [@off, @off + @size) of region @region under a mounted
 * filesystem?  Takes mnt_sem shared; called with the namespace lock held,
 * which nothing under mnt_sem takes, so the order is ns_lock -> mnt_sem.
 */
static int ns_busy(unsigned region, uint64_t off, uint64_t size, char *why, size_t whylen)
{
	int err = 0;

	down_read(&mnt_sem);
	for (unsigned i = 0; i < VFS_MAX_MOUNTS && !err; i++) {
		const struct blkdev *bd = mounts[i].dev;

		if (!mounts[i].used || !bd || !bd->pmem || bd->pmem->index != region)
			continue;
		if (bd->pmem_off < off + size && off < bd->pmem_off + bd->size) {
			snprintf(why, whylen, "%s is mounted at %s", bd->name, mounts[i].dir);
			err = -EBUSY;
		}
	}
	up_read(&mnt_sem);
	return err;
}

/**
 * vfs_mount_root - mount holdfs from the root device (root=, default
 * pmem0) at /, and devfs on /dev.  Boot, and after a reformat; thread
 * context.  Returns 0, -EBUSY (mounted already), -ENODEV (no such
 * device: said), or holdfs's refusal (said).
 */
int vfs_mount_root(void)
{
	struct blkdev *bd = vfs_root_dev();
	struct mount *m;
	int err;

	pmem_namespace_set_busy_check(ns_busy);
	down_write(&mnt_sem);
	if (rootmnt) {
		err = -EBUSY;
	} else if (!bd) {
		err = -ENODEV;
		if (kopts.root[0])
			report_bad_root();
	} else if ((err = mount_holdfs(bd, 0, &m, NULL, 0)) != 0) {
		report_not_mounted(bd->name, err);
	} else {
		strlcpy(m->dir, "/", sizeof(m->dir));
		WRITE_ONCE(rootmnt, m);
		kprintf("vfs: holdfs on %s mounted at /\n", bd->name);
		mount_devfs();
	}
	up_write(&mnt_sem);
	return err;
}

/* The devfs mounted on the root's /dev, or NULL. */
static struct mount *root_devfs(void)
{
	for (unsigned i = 0; i < VFS_MAX_MOUNTS; i++)
		if (mounts[i].used && mounts[i].parent == rootmnt && mounts[i].ops == &devfs_ops)
			return &mounts[i];
	return NULL;
}

/**
 * vfs_unmount_root - unmount devfs at /dev and the root.  Returns 0,
 * -ENODEV (not mounted), -EBUSY (a file is open, another filesystem is
 * mounted, or holdfs still holds an inode).  Nothing may use vfs_root()
 * during or after it.
 */
int vfs_unmount_root(void)
{
	struct mount *dev;
	int err = 0;

	down_write(&mnt_sem);
	dev = rootmnt ? root_devfs() : NULL;
	if (!rootmnt)
		err = -ENODEV;
	else if (rootmnt->children != (dev ? 1u : 0u) || READ_ONCE(rootmnt->files) ||
		 (dev && READ_ONCE(dev->files)))
		err = -EBUSY;
	if (!err && dev)
		unmount_fs(dev);
	if (!err)
		err = unmount_fs(rootmnt);
	if (!err)
		WRITE_ONCE(rootmnt, NULL);
	else if (dev && !dev->used)
		mount_devfs();			/* holdfs said busy: as it was */
	up_write(&mnt_sem);
	return err;
}

/**
 * vfs_mount - mount the holdfs on block device @dev ("/dev/pmem1" or
 * "pmem1") on directory @dir, read-only with VFS_MNT_RDONLY.  Thread
 * context; takes mnt_sem for write.  Returns 0 or, with the reason in
 * @why: -ENODEV (no such device, or no root), -EBUSY (the device is
 * mounted, or something is mounted on @dir already), -ENOENT / -ENOTDIR
 * (@dir missing or not a directory), -EINVAL (not holdfs: @why says what
 * is there), -EUCLEAN, -EOPNOTSUPP, -ENOSPC (mount table full), -ENOMEM.
 */
int vfs_mount(const char *dev, const char *dir, unsigned flags, char *why, size_t wl)
{
	struct blkdev *bd = blkdev_lookup(dev);
	struct mount *m;
	struct vpath mp;
	char where[VFS_MNT_DIR_MAX];
	int err;

	say(why, wl, "");
	if (!bd)
		return say(why, wl, "no such device (ls /dev lists them)"), -ENODEV;
	if (strnlen(dir, VFS_MNT_DIR_MAX) >= VFS_MNT_DIR_MAX)
		return say(why, wl, "mount point path too long"), -ENAMETOOLONG;
	if (vfs_dev_mounted(bd, where, sizeof(where))) {
		if (why)
			snprintf(why, wl, "%s is already mounted, at %s", bd->name, where);
		return -EBUSY;
	}
	down_write(&mnt_sem);
	err = lookup_path(dir, true, &mp);
	if (err) {
		say(why, wl, err == -ENODEV ? "no root filesystem" : strerror(err));
		goto out_unlock;
	}
	if (vpath_type(&mp) != HFS_S_IFDIR) {
		err = -ENOTDIR;
		say(why, wl, "not a directory");
	} else if (at_mount_root(&mp)) {
		err = -EBUSY;
		if (why)
			snprintf(why, wl, "%s is mounted there already",
				 mp.mnt->dev ? mp.mnt->dev->name : mp.mnt->ops->type);
	} else {
		err = mount_holdfs(bd, flags, &m, why, wl);
	}
	if (!err)
		attach(m, &mp, dir);
	vpath_put(&mp);
out_unlock:
	up_write(&mnt_sem);
	return err;
}

/**
 * vfs_umount - unmount the filesystem mounted on @dir.  Thread context;
 * takes mnt_sem for write.  Returns 0 or, with the reason in @why:
 * -EINVAL (not a mount point), -EBUSY (the root; open files on it; a
 * filesystem mounted below it; holdfs holding an inode), path errors.
 */
int vfs_umount(const char *dir, char *why, size_t wl)
{
	struct vpath p;
	struct mount *m;
	int err;

	say(why, wl, "");
	down_write(&mnt_sem);
	err = lookup_path(dir, true, &p);
	if (err) {
		say(why, wl, strerror(err));
		goto out_unlock;
	}
	m = p.mnt;
	err = at_mount_root(&p) ? 0 : -EINVAL;
	vpath_put(&p);
	if (err) {
		say(why, wl, "not a mount point");
	} else if (!m->parent) {
		err = -EBUSY;
		say(why, wl, "it is the root (mkfs -f unmounts it to reformat)");
	} else if (m->children) {
		err = -EBUSY;
		for (unsigned i = 0; i < VFS_MAX_MOUNTS; i++)
			if (mounts[i].used && mounts[i].parent == m && why)
				snprintf(why, wl, "busy: %s is mounted below it", mounts[i].dir);
	} else if (READ_ONCE(m->files)) {
		err = -EBUSY;
		if (why)
			snprintf(why, wl, "busy: %u open file%s on it", READ_ONCE(m->files),
				 READ_ONCE(m->files) == 1 ? "" : "s");
	} else if ((err = unmount_fs(m)) != 0) {
		say(why, wl, "busy: the kernel holds a file on it");
	}
out_unlock:
	up_write(&mnt_sem);
	return err;
}

/**
 * vfs_mount_info - mount number @i (0 ..., the root first) as `mount`
 * lists it.  Thread context, takes mnt_sem shared.  False past the last.
 */
bool vfs_mount_info(unsigned i, struct vfs_mount_info *mi)
{
	bool found = false;

	down_read(&mnt_sem);
	for (unsigned s = 0; s < VFS_MAX_MOUNTS && !found; s++) {
		struct mount *m = &mounts[s];

		if (!m->used || i--)
			continue;
		snprintf(mi->dev, sizeof(mi->dev), "%s%s", m->dev ? "/dev/" : "",
			 m->dev ? m->dev->name : m->ops->type);
		strlcpy(mi->dir, m->dir, sizeof(mi->dir));
		mi->type = m->ops->type;
		mi->flags = m->flags;
		mi->files = READ_ONCE(m->files);
		found = true;
	}
	up_read(&mnt_sem);
	return found;
}

/**
 * vfs_dev_mounted - is @bd mounted?  True with its mount point in @dir.
 * Thread context, takes mnt_sem shared.
 */
bool vfs_dev_mounted(const struct blkdev *bd, char *dir, size_t size)
{
	bool found = false;

	down_read(&mnt_sem);
	for (unsigned i = 0; i < VFS_MAX_MOUNTS && !found; i++)
		if (mounts[i].used && mounts[i].dev == bd) {
			strlcpy(dir, mounts[i].dir, size);
			found = true;
		}
	up_read(&mnt_sem);
	return found;
}

/**
 * vfs_format_dev - a fresh, empty holdfs on @bd with @opts (NULL:
 * defaults), erasing it; the root device is mounted at / after when no
 * root is.  Thread context.  Returns 0, -EBUSY (mounted: unmount it
 * first), -EOPNOTSUPP (not a DAX device), -ENOMEM, hfs_mkfs's errors.
 */
int vfs_format_dev(struct blkdev *bd, const struct hfs_mkfs_opts *opts)
{
	struct hfs_pm *pm;
	int err;

	if (!bd->pmem)
		return -EOPNOTSUPP;
	down_write(&mnt_sem);
	err = blkdev_claim(bd, &mnt_sem);	/* nobody mounts it meanwhile */
	up_write(&mnt_sem);
	if (err)
		return err;
	pm = hfs_kernel_pm_range(bd->pmem, bd->pmem_off, bd->size);
	err = pm ? hfs_mkfs(pm, opts) : -ENOMEM;
	kfree(pm);
	blkdev_release(bd);
	if (!err && bd == vfs_root_dev() && !vfs_mounted())
		err = vfs_mount_root();
	return err;
}

/** vfs_format - vfs_format_dev() on pmem region @index (pmemN): -ENODEV without. */
int vfs_format(unsigned index, const struct hfs_mkfs_opts *opts)
{
	char name[BLKDEV_NAME_MAX];
	struct blkdev *bd;

	snprintf(name, sizeof(name), "pmem%u", index);
	bd = blkdev_lookup(name);
	return bd ? vfs_format_dev(bd, opts) : -ENODEV;
}

/**
 * vfs_format_root - make a fresh, empty holdfs on the root device and
 * mount it (unmounting first), with @inodes inodes (0: as many as the
 * mounted one has, or mkfs's default).  For benchmarks and scratch test
 * machines.  -EBUSY while files are open, -ENODEV without a root device.
 */
int vfs_format_root(uint64_t inodes)
{
	struct hfs_mkfs_opts opts = { 0 };
	struct blkdev *bd = vfs_root_dev();
	struct hfs_statfs st;
	int err;

	if (!bd)
		return -ENODEV;
	opts.inodes = inodes;
	if (!inodes && vfs_root() && hfs_statfs(vfs_root(), &st) == 0)
		opts.inodes = st.inodes;
	if (vfs_mounted() && (err = vfs_unmount_root()) != 0)
		return err;
	return vfs_format_dev(bd, &opts);
}

/* ------------------------------------------------------------ path calls */
/*
 * Each takes mnt_sem shared, walks, and calls the filesystem's operation
 * (-EROFS when it has none).  Errors: -ENODEV without a root, the path
 * errors of holdfs.h, and the operation's own (holdfs.h).
 */

#define OP(m, name)	((m)->ops->name)

/** vfs_stat - attributes of @path, following a final symlink. */
int vfs_stat(const char *path, struct hfs_stat *st)
{
	struct vpath p;
	int err;

	down_read(&mnt_sem);
	err = lookup_path(path, true, &p);
	if (!err) {
		err = OP(p.mnt, getattr)(p.node, st);
		vpath_put(&p);
	}
	up_read(&mnt_sem);
	return err;
}

/** vfs_lstat - attributes of @path, a final symlink itself. */
int vfs_lstat(const char *path, struct hfs_stat *st)
{
	struct vpath p;
	int err;

	down_read(&mnt_sem);
	err = lookup_path(path, false, &p);
	if (!err) {
		err = OP(p.mnt, getattr)(p.node, st);
		vpath_put(&p);
	}
	up_read(&mnt_sem);
	return err;
}

/** vfs_truncate - set the size of the file at @path (a final symlink followed). */
int vfs_truncate(const char *path, uint64_t size, const struct hfs_wait *w)
{
	struct vpath p;
	int err;

	down_read(&mnt_sem);
	err = lookup_path(path, true, &p);
	if (!err) {
		err = OP(p.mnt, truncate) ? OP(p.mnt, truncate)(p.node, size, w) : -EROFS;
		vpath_put(&p);
	}
	up_read(&mnt_sem);
	return err;
}

/**
 * vfs_same_file - do @a and @b name one file (one mount, one inode)?
 * False when either does not exist.
 */
bool vfs_same_file(const char *a, const char *b, bool follow)
{
	struct vpath pa, pb;
	bool same = false;

	down_read(&mnt_sem);
	if (lookup_path(a, follow, &pa) == 0) {
		if (lookup_path(b, follow, &pb) == 0) {
			same = pa.mnt == pb.mnt &&
			       OP(pa.mnt, ino)(pa.node) == OP(pb.mnt, ino)(pb.node);
			vpath_put(&pb);
		}
		vpath_put(&pa);
	}
	up_read(&mnt_sem);
	return same;
}

/** vfs_statfs - statfs of the root filesystem.  0 or -ENODEV. */
int vfs_statfs(struct hfs_statfs *st)
{
	int err = -ENODEV;

	down_read(&mnt_sem);
	if (rootmnt)
		err = OP(rootmnt, statfs)(rootmnt->fs, st);
	up_read(&mnt_sem);
	return err;
}

/** vfs_statfs_path - statfs of the filesystem @path is on. */
int vfs_statfs_path(const char *path, struct hfs_statfs *st)
{
	struct vpath p;
	int err;

	down_read(&mnt_sem);
	err = lookup_path(path, true, &p);
	if (!err) {
		err = OP(p.mnt, statfs)(p.mnt->fs, st);
		vpath_put(&p);
	}
	up_read(&mnt_sem);
	return err;
}

/* Is @name in @dir a mount point?  (rmdir and rename refuse one.) */
static bool name_is_mountpoint(struct vwalk *w)
{
	struct vpath p;
	bool mp;

	if (!w->dir.mnt->children)
		return false;
	p.mnt = w->dir.mnt;
	if (OP(p.mnt, lookup)(p.mnt->fs, w->dir.node, w->name, &p.node))
		return false;
	mp = mounted_on(&p) != NULL;
	vpath_put(&p);
	return mp;
}

/** vfs_mkdir - make directory @path. */
int vfs_mkdir(const char *path, uint32_t mode)
{
	struct vwalk w;
	int err;

	down_read(&mnt_sem);
	err = parent_of(path, &w);
	if (!err) {
		struct mount *m = w.dir.mnt;

		if (w.len == 0)
			err = -EEXIST;
		else
			err = OP(m, mkdir) ? OP(m, mkdir)(m->fs, w.dir.node, w.name, mode) : -EROFS;
		vpath_put(&w.dir);
	}
	up_read(&mnt_sem);
	return err;
}

/* rmdir and unlink: -EBUSY for "/" and for a mount point. */
static int remove(const char *path, bool dir)
{
	struct vwalk w;
	int err;

	down_read(&mnt_sem);
	err = parent_of(path, &w);
	if (!err) {
		struct mount *m = w.dir.mnt;

		if (w.len == 0 || (dir && name_is_mountpoint(&w)))
			err = -EBUSY;		/* unlink never removes a directory */
		else if (dir)
			err = OP(m, rmdir) ? OP(m, rmdir)(m->fs, w.dir.node, w.name) : -EROFS;
		else
			err = OP(m, unlink) ? OP(m, unlink)(m->fs, w.dir.node, w.name, NULL) :
					      -EROFS;
		vpath_put(&w.dir);
	}
	up_read(&mnt_sem);
	return err;
}

/** vfs_rmdir - remove the empty directory @path (-EBUSY: a mount point). */
int vfs_rmdir(const char *path) { return remove(path, true); }
/** vfs_unlink - remove the name @path, waiting for a last link's pins. */
int vfs_unlink(const char *path) { return remove(path, false); }

/* rename and link: both parents, on one filesystem (-EXDEV). */
static int two_names(const char *a, const char *b, bool rename, unsigned flags)
{
	struct vwalk wa, wb;
	struct mount *m;
	int err;

	down_read(&mnt_sem);
	err = parent_of(a, &wa);
	if (err)
		goto out_unlock;
	err = parent_of(b, &wb);
	if (err)
		goto out_put_a;
	m = wa.dir.mnt;
	if (wb.dir.mnt != m)
		err = -EXDEV;
	else if (wa.len == 0 || wb.len == 0)
		err = rename ? -EBUSY : -EEXIST;
	else if (rename && (name_is_mountpoint(&wa) || name_is_mountpoint(&wb)))
		err = -EBUSY;
	else if (rename)
		err = OP(m, rename) ? OP(m, rename)(m->fs, wa.dir.node, wa.name, wb.dir.node,
						     wb.name, flags, NULL) : -EROFS;
	else
		err = OP(m, link) ? OP(m, link)(m->fs, wa.dir.node, wa.name, wb.dir.node,
						 wb.name) : -EROFS;
	vpath_put(&wb.dir);
out_put_a:
	vpath_put(&wa.dir);
out_unlock:
	up_read(&mnt_sem);
	return err;
}

/** vfs_rename - rename(2); -EXDEV across filesystems, -EBUSY on a mount point. */
int vfs_rename(const char *from, const char *to) { return two_names(from, to, true, 0); }
/** vfs_link - a hard link @newpath to @existing; -EXDEV across filesystems. */
int vfs_link(const char *existing, const char *newpath)
{
	return two_names(existing, newpath, false, 0);
}

/** vfs_symlink - make symlink @linkpath pointing to @target (stored as given). */
int vfs_symlink(const char *target, const char *linkpath)
{
	struct vwalk w;
	int err;

	down_read(&mnt_sem);
	err = parent_of(linkpath, &w);
	if (!err) {
		struct mount *m = w.dir.mnt;

		if (w.len == 0)
			err = -EEXIST;
		else
			err = OP(m, symlink) ? OP(m, symlink)(m->fs, target, w.dir.node, w.name) :
					       -EROFS;
		vpath_put(&w.dir);
	}
	up_read(&mnt_sem);
	return err;
}

/** vfs_readlink - the target of symlink @path: its length, or an error. */
int vfs_readlink(const char *path, char *buf, size_t size)
{
	struct vwalk w;
	int err;

	down_read(&mnt_sem);
	err = parent_of(path, &w);
	if (!err) {
		struct mount *m = w.dir.mnt;

		err = w.len ? OP(m, readlink)(m->fs, w.dir.node, w.name, buf, size) : -EINVAL;
		vpath_put(&w.dir);
	}
	up_read(&mnt_sem);
	return err;
}

/** vfs_sync - every change on every mounted filesystem durable.  0 or -ENODEV. */
int vfs_sync(void)
{
	int err = rootmnt ? 0 : -ENODEV;

	down_read(&mnt_sem);
	for (unsigned i = 0; i < VFS_MAX_MOUNTS; i++)
		if (mounts[i].used)
			OP(&mounts[i], sync)(mounts[i].fs);
	up_read(&mnt_sem);
	return err;
}

/* ------------------------------------------------------------ attributes */
/*
 * chmod, chown, utimensat and renameat2: the filesystem's setattr and
 * rename-with-flags ops (holdfs: hfs_setattr() and hfs_rename2_at()).
 * No permission check yet: every caller is root until processes have
 * credentials (hfs_permission() is there for that).
 */

/* The filesystem's setattr on @p's node; -EROFS where it has none (devfs). */
static int setattr_node(struct vpath *p, const struct hfs_setattr *sa)
{
	return OP(p->mnt, setattr) ? OP(p->mnt, setattr)(p->node, sa) : -EROFS;
}

/* setattr on the file at @path (a final symlink followed if @follow). */
static int setattr_path(const char *path, bool follow, const struct hfs_setattr *sa)
{
	struct vpath p;
	int err;

	down_read(&mnt_sem);
	err = lookup_path(path, follow, &p);
	if (!err) {
		err = setattr_node(&p, sa);
		vpath_put(&p);
	}
	up_read(&mnt_sem);
	return err;
}

/* setattr on the file open at @fd. */
static int setattr_fd(int fd, const struct hfs_setattr *sa)
{
	struct file *f = fdt_get(&vfs_kernel_fdt, fd);
	int err;

	if (!f)
		return -EBADF;
	err = file_fops(f) ? -EINVAL : setattr_node(&f->at, sa);
	file_put(f);
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

	return setattr_fd(fd, &sa);
}

int vfs_fchown(int fd, uint32_t uid, uint32_t gid)
{
	struct hfs_setattr sa = chown_attrs(uid, gid);

	return setattr_fd(fd, &sa);
}

int vfs_futimens(int fd, uint64_t atime_ns, uint64_t mtime_ns)
{
	struct hfs_setattr sa = utimens_attrs(atime_ns, mtime_ns);

	return setattr_fd(fd, &sa);
}

/** vfs_rename2 - renameat2(2): hfs_rename2() with HFS_RENAME_* @flags. */
int vfs_rename2(const char *from, const char *to, unsigned flags)
{
	return two_names(from, to, true, flags);
}
