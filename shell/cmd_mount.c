/*
 * cmd_mount.c - the shell's mount and umount (fs/vfs.c's mount table):
 *
 *	mount                      list the mounts as /proc/mounts does:
 *	                           device, mount point, type, options
 *	mount [-r] DEVICE DIR      mount the holdfs on DEVICE (/dev/pmem1 or
 *	                           pmem1) on directory DIR; -r: read-only
 *	umount DIR                 unmount what is mounted on DIR
 *
 * Each refusal names the object and the reason the VFS gave.
 */
#include <fs/vfs.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <shell/shell.h>

static void list_mounts(void)
{
	struct vfs_mount_info mi;

	for (unsigned i = 0; vfs_mount_info(i, &mi); i++)
		shell_printf("%s %s %s %s\n", mi.dev, mi.dir, mi.type,
			     (mi.flags & VFS_MNT_RDONLY) ? "ro" : "rw");
}

static int cmd_mount(int argc, char **argv)
{
	char why[VFS_WHY_MAX];
	unsigned flags = 0;
	int i = 1, err;

	if (argc == 1) {
		list_mounts();
		return 0;
	}
	if (!strcmp(argv[1], "-r")) {
		flags |= VFS_MNT_RDONLY;
		i++;
	} else if (argv[1][0] == '-') {
		return shell_usage_error(argv[0], "unknown option '%s' (-r: read-only)", argv[1]);
	}
	if (argc - i != 2)
		return shell_usage_error(argv[0], "needs a device and a directory "
					 "(mount /dev/pmem1 /mnt/pmem1)");
	if (argv[i + 1][0] != '/')
		return shell_usage_error(argv[0], "'%s': the directory must be an absolute path",
					 argv[i + 1]);
	err = vfs_mount(argv[i], argv[i + 1], flags, why, sizeof(why));
	if (err)
		shell_printf("mount: %s on %s: %s\n", argv[i], argv[i + 1], why);
	return err;
}
SHELL_CMD("mount", "mount [[-r] DEVICE DIR]", "list the mounts, or mount the holdfs on "
	  "DEVICE (/dev/pmem1) on directory DIR (-r: read-only)", cmd_mount);

static int cmd_umount(int argc, char **argv)
{
	char why[VFS_WHY_MAX];
	int err;

	if (argc != 2)
		return shell_usage_error(argv[0], "needs the mount point (umount /mnt/pmem1)");
	if (argv[1][0] != '/')
		return shell_usage_error(argv[0], "'%s': the directory must be an absolute path",
					 argv[1]);
	err = vfs_umount(argv[1], why, sizeof(why));
	if (err)
		shell_printf("umount: %s: %s\n", argv[1], why);
	return err;
}
SHELL_CMD("umount", "umount DIR", "unmount the filesystem mounted on DIR (refused while "
	  "files are open on it or something is mounted below it)", cmd_umount);
