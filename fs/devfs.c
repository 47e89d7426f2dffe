/*
 * devfs.c - the filesystem at /dev: one read-only directory listing the
 * registered block devices (include/drivers/blkdev.h) as block-device
 * nodes, kept by the registry itself (nothing is stored).
 *
 * A node is the root directory (devfs_root) or a struct blkdev.  Inode
 * numbers: 1 for the directory, 2 + the device's registration id for a
 * device.  A device node has mode VFS_S_IFBLK | 0600 and the device's
 * size; reading it reads the device (a pmem range byte for byte, an NVMe
 * namespace through its driver's bounce buffer).  Writing is allowed only
 * on a device whose driver marks it writable (NVMe: nothing of holdfs
 * lives there); on pmem it is -EROFS, since a raw write under a mounted
 * filesystem would corrupt it.  Every namespace change is -EROFS: the
 * names are the drivers'.
 * Times are the date devfs was first mounted.  References are not counted: a device stays while registered, and a
 * driver unregisters only a device nothing has open.  No locks of its own.
 */
#include "vfs_int.h"
#include <drivers/blkdev.h>
#include <drivers/pmem.h>
#include <kernel/timer.h>
#include <lib/errno.h>
#include <lib/string.h>

#define DEVFS_ROOT_INO	1
#define DEVFS_DEV_INO0	2
#define DEVFS_DIR_MODE	(HFS_S_IFDIR | 0755)
#define DEVFS_BLK_MODE	(VFS_S_IFBLK | 0600)

static char devfs_root;			/* its address is the root node */
static char devfs_sb;			/* its address is the one instance */
static uint64_t devfs_born_ns;		/* every node's times: the first mount */

/* The one instance; its nodes' times are the date it was first asked for
 * (the boot's mount of /dev), as a tmpfs /dev shows the boot time. */
void *devfs_instance(void)
{
	if (!devfs_born_ns)
		devfs_born_ns = time_wall_ns();
	return &devfs_sb;
}

static bool is_root(const void *n) { return n == &devfs_root; }

static void *d_root(void *fs) { (void)fs; return &devfs_root; }
static void *d_grab(void *n) { return n; }
static void d_put(void *n) { (void)n; }

static uint64_t d_ino(void *n)
{
	return is_root(n) ? DEVFS_ROOT_INO : DEVFS_DEV_INO0 + ((struct blkdev *)n)->id;
}

static int d_getattr(void *n, struct hfs_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->ino = d_ino(n);
	st->mode = is_root(n) ? DEVFS_DIR_MODE : DEVFS_BLK_MODE;
	st->nlink = is_root(n) ? 2 : 1;
	st->size = is_root(n) ? 0 : ((struct blkdev *)n)->size;
	st->atime_ns = st->mtime_ns = st->ctime_ns = devfs_born_ns;
	return 0;
}

static int d_lookup(void *fs, void *dir, const char *name, void **out)
{
	struct blkdev *bd;

	(void)fs;
	if (!is_root(dir))
		return -ENOTDIR;
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		*out = &devfs_root;
		return 0;
	}
	bd = blkdev_lookup(name);
	if (!bd || strcmp(bd->name, name))	/* "/dev/x" is not a name here */
		return -ENOENT;
	*out = bd;
	return 0;
}

static int d_readlink(void *fs, void *dir, const char *name, char *buf, size_t size)
{
	void *n;
	int err = d_lookup(fs, dir, name, &n);

	(void)buf;
	(void)size;
	return err ? err : -EINVAL;		/* no symlinks here */
}

static int d_open(void *fs, void *dir, const char *name, int flags, uint32_t mode, void **out)
{
	int acc = flags & HFS_O_ACCMODE;
	int err = d_lookup(fs, dir, name, out);

	(void)mode;
	if (err == -ENOENT && (flags & HFS_O_CREAT))
		return -EROFS;
	if (err)
		return err;
	if ((flags & (HFS_O_CREAT | HFS_O_EXCL)) == (HFS_O_CREAT | HFS_O_EXCL))
		return -EEXIST;
	if (acc == HFS_O_ACCMODE)
		return -EINVAL;
	if (is_root(*out) && (acc != HFS_O_RDONLY || (flags & HFS_O_TRUNC)))
		return -EISDIR;
	/* A device with ops that says so (NVMe) may be written: nothing of
	 * holdfs lives on it.  O_TRUNC means nothing to a block device (as on
	 * Linux): `cp FILE /dev/nvme0n1` overwrites the first bytes. */
	if ((acc != HFS_O_RDONLY || (flags & HFS_O_TRUNC)) &&
	    (is_root(*out) || !((struct blkdev *)*out)->writable || ((struct blkdev *)*out)->pmem))
		return -EROFS;
	return 0;
}

static int64_t d_read(void *n, uint64_t off, void *buf, size_t len)
{
	struct blkdev *bd = n;
	int err;

	if (is_root(n))
		return -EISDIR;
	if (off >= bd->size)
		return 0;
	if (len > bd->size - off)
		len = bd->size - off;
	if (bd->pmem)
		err = pmem_read(bd->pmem, bd->pmem_off + off, buf, len);
	else
		err = bd->ops->read(bd, off, buf, len);
	return err ? err : (int64_t)len;
}

static int64_t d_write(void *n, uint64_t off, const void *buf, size_t len)
{
	struct blkdev *bd = n;
	int err;

	if (is_root(n))
		return -EISDIR;
	if (bd->pmem || !bd->writable || !bd->ops->write)
		return -EROFS;
	if (off >= bd->size)
		return len ? -ENOSPC : 0;
	if (len > bd->size - off)
		len = bd->size - off;
	err = bd->ops->write(bd, off, buf, len);
	return err ? err : (int64_t)len;
}

static int d_truncate(void *n, uint64_t size, const struct hfs_wait *w)
{
	(void)size;
	(void)w;
	return is_root(n) ? -EISDIR : -EINVAL;	/* a device's size is the device's */
}

static int d_readdir(void *n, uint64_t *cookie, struct hfs_dirent *de)
{
	struct blkdev *bd;

	if (!is_root(n))
		return -ENOTDIR;
	if (*cookie < 2) {
		de->ino = DEVFS_ROOT_INO;
		de->type = HFS_S_IFDIR;
		strlcpy(de->name, *cookie ? ".." : ".", sizeof(de->name));
		(*cookie)++;
		return 1;
	}
	bd = blkdev_at((unsigned)(*cookie - 2));
	if (!bd)
		return 0;
	de->ino = DEVFS_DEV_INO0 + bd->id;
	de->type = VFS_S_IFBLK;
	strlcpy(de->name, bd->name, sizeof(de->name));
	(*cookie)++;
	return 1;
}

static int d_statfs(void *fs, struct hfs_statfs *st)
{
	(void)fs;
	memset(st, 0, sizeof(*st));
	st->block_size = HFS_BLOCK_SIZE;
	st->name_max = BLKDEV_NAME_MAX - 1;
	strlcpy(st->label, "devfs", sizeof(st->label));
	return 0;
}

static int d_sync(void *fs) { (void)fs; return 0; }

const struct vfs_fs_ops devfs_ops = {
	.type = "devfs",
	.root = d_root,
	.grab = d_grab,
	.put = d_put,
	.ino = d_ino,
	.getattr = d_getattr,
	.lookup = d_lookup,
	.readlink = d_readlink,
	.open = d_open,
	.read = d_read,
	.write = d_write,
	.truncate = d_truncate,
	.readdir = d_readdir,
	.statfs = d_statfs,
	.sync = d_sync,
};
