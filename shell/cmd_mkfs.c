/*
 * cmd_mkfs.c - the shell's mkfs: format a pmem region with holdfs on the
 * machine itself, with the code of the host's mkfs.holdfs (hfs_mkfs):
 *
 *	mkfs [-f] [-i INODES] [-L LABEL] REGION
 *
 * REGION is named as `pmem` takes it (pmem0 or 0) or as its device node
 * (/dev/pmem0).  mkfs refuses to erase a holdfs, mounted or not, unless
 * given -f, and says what is there; with -f on the mounted root (the
 * root= device, pmem0 by default) it unmounts it (refused while files are
 * open), formats it and mounts the new one at /.  Another device mounted
 * somewhere is refused even with -f: umount it first.  Any other device
 * is formatted and left unmounted (`mount` mounts it).
 * Progress of the metadata writes shows on a terminal (progress.c).
 */
#include <drivers/pmem.h>
#include <drivers/blkdev.h>
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <kernel/mm.h>
#include <lib/size.h>
#include <lib/string.h>
#include <lib/printf.h>
#include <lib/errno.h>
#include <shell/shell.h>
#include "progress.h"
#include "region.h"

#define MKFS_MIN_INODES		16	/* as mkfs.holdfs -i */
#define LABEL_MAX		(sizeof(((struct hfs_statfs *)0)->label) - 1)

struct mkfs_args {
	bool force;
	struct hfs_mkfs_opts opts;
	struct blkdev *bd;
};

/* Options, then exactly one region.  0, or an error already said. */
static int parse_args(int argc, char **argv, struct mkfs_args *a)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-f")) {
			a->force = true;
		} else if (!strcmp(argv[i], "-i") && i + 1 < argc) {
			if (shell_parse_u64(argv[++i], "inode count", &a->opts.inodes))
				return -EINVAL;
			if (a->opts.inodes < MKFS_MIN_INODES)
				return shell_usage_error(argv[0], "-i %lu: at least %d inodes",
							 a->opts.inodes, MKFS_MIN_INODES);
		} else if (!strcmp(argv[i], "-L") && i + 1 < argc) {
			a->opts.label = argv[++i];
			if (strlen(a->opts.label) > LABEL_MAX)
				return shell_usage_error(argv[0], "label longer than %lu bytes",
							 (unsigned long)LABEL_MAX);
		} else {
			return shell_usage_error(argv[0], "unknown option '%s' (or it lacks its "
						 "value)", argv[i]);
		}
	}
	if (i == argc)
		return shell_usage_error(argv[0], "which device? (ls /dev lists them)");
	if (i + 1 != argc)
		return shell_usage_error(argv[0], "one device only, not '%s' too", argv[i + 1]);
	return shell_parse_pmem_dev(argv[0], argv[i], &a->bd);
}

/* "holds a holdfs (label 'x', 5 of 64 inodes in use, 1 MiB of 16 MiB used)" */
static void say_holdfs(const struct blkdev *bd, const struct hfs_statfs *st)
{
	char used[SIZE_STR_MAX], size[SIZE_STR_MAX];

	shell_printf("mkfs: %s holds a holdfs (%s%s%s, %lu of %lu inodes in use, "
		     "%s of %s used)", bd->name, st->label[0] ? "label '" : "no label",
		     st->label, st->label[0] ? "'" : "",
		     st->inodes - st->free_inodes, st->inodes,
		     size_str(used, sizeof(used), (st->blocks - st->free_blocks) * st->block_size),
		     size_str(size, sizeof(size), st->blocks * st->block_size));
}

/* Are the first and the last block (superblock and backup) all zero? */
static bool looks_blank(const struct blkdev *bd)
{
	const uint8_t *p = bd->pmem->virt + bd->pmem_off;

	if (bd->size < 2 * HFS_BLOCK_SIZE)
		return true;
	for (uint64_t i = 0; i < HFS_BLOCK_SIZE; i++)
		if (p[i] || p[bd->size - HFS_BLOCK_SIZE + i])
			return false;
	return true;
}

/*
 * A region not mounted: does it hold a holdfs?  Mounted read-only to see
 * (which writes nothing); holdfs logs why when it is not one.  0: nothing
 * to keep; -EEXIST: a holdfs is there (said).
 */
static int probe_unmounted(struct blkdev *bd)
{
	struct hfs_statfs st;
	struct hfs_fs *fs;
	struct hfs_pm *pm;
	int err;

	if (looks_blank(bd))
		return 0;
	pm = hfs_kernel_pm_range(bd->pmem, bd->pmem_off, bd->size);
	if (!pm)
		return -ENOMEM;
	err = hfs_mount(pm, HFS_MOUNT_RDONLY, &fs);
	if (!err) {
		hfs_statfs(fs, &st);
		hfs_unmount(fs);
		say_holdfs(bd, &st);
		shell_printf("\n");
		err = -EEXIST;
	} else if (err == -EROFS || err == -EUCLEAN || err == -EOPNOTSUPP) {
		shell_printf("mkfs: %s holds a holdfs (%s)\n", bd->name,
			     err == -EROFS ? "its journal needs replaying" :
			     err == -EUCLEAN ? "damaged: fsck may save its files" :
			     "of a format version this build does not read");
		err = -EEXIST;
	} else {
		err = 0;	/* not holdfs: holdfs said why */
	}
	kfree(pm);
	return err;
}

/* pmem0 holds the mounted root: refuse without -f, else unmount it. */
static int unmount_root(const struct mkfs_args *a)
{
	struct hfs_statfs st;
	int err;

	if (!a->force) {
		if (vfs_statfs(&st) == 0)
			say_holdfs(a->bd, &st);
		else
			shell_printf("mkfs: %s holds a holdfs", a->bd->name);
		shell_printf(", mounted at /: not erased; `mkfs -f %s` unmounts it and "
			     "erases every file on it\n", a->bd->name);
		return -EBUSY;
	}
	err = vfs_unmount_root();
	if (err)
		shell_printf("mkfs: cannot unmount / (%s): close its open files first\n",
			     strerror(err));
	return err;
}

/* Mounted somewhere other than /: refused, with where. */
static int refuse_mounted(const struct blkdev *bd, bool root)
{
	char dir[VFS_MNT_DIR_MAX];

	if (root || !vfs_dev_mounted(bd, dir, sizeof(dir)))
		return 0;
	shell_printf("mkfs: %s is mounted at %s: not erased; umount %s first\n",
		     bd->name, dir, dir);
	return -EBUSY;
}

static int cmd_mkfs(int argc, char **argv)
{
	struct mkfs_args a = { 0 };
	struct progress prog = { .what = "mkfs" };
	struct hfs_statfs st;
	char size[SIZE_STR_MAX];
	bool root;
	int err;

	if ((err = parse_args(argc, argv, &a)))
		return err;
	root = a.bd == vfs_root_dev();
	if ((err = refuse_mounted(a.bd, root)))
		return err;
	if (root && vfs_mounted()) {
		err = unmount_root(&a);
	} else {
		err = probe_unmounted(a.bd);
		if (err == -EEXIST && a.force)
			err = 0;
		else if (err == -EEXIST)
			shell_printf("mkfs: not erased: `mkfs -f %s` erases it\n", a.bd->name);
	}
	if (err)
		return err;
	a.opts.progress = progress_hfs;
	a.opts.progress_arg = &prog;
	err = vfs_format_dev(a.bd, &a.opts);
	if (err) {
		shell_printf("mkfs: %s: %s%s\n", a.bd->name, strerror(err),
			     root ? " (/ is not mounted)" : "");
		return err;
	}
	shell_printf("mkfs: %s: holdfs, %s", a.bd->name,
		     size_str(size, sizeof(size), a.bd->size));
	if (root && vfs_statfs(&st) == 0)
		shell_printf(", %lu data blocks of %lu bytes, %lu inodes; mounted at /\n",
			     st.blocks, st.block_size, st.inodes);
	else
		shell_printf("; not mounted (mount /dev/%s DIR mounts it)\n", a.bd->name);
	return 0;
}
SHELL_CMD("mkfs", "mkfs [-f] [-i INODES] [-L LABEL] DEVICE",
	  "format a pmem device (/dev/pmem1, pmem1 or 1) with holdfs, erasing it; -f: even "
	  "over a holdfs, unmounting / first for the root device", cmd_mkfs);
