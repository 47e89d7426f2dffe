/*
 * cmd_files.c - shell commands on the root filesystem:
 *   ls [-l] [PATH]   cat PATH   write PATH TEXT   append PATH TEXT
 *   cp SRC DST   mv [-n|--exchange] SRC DST   rm PATH   mkdir PATH   rmdir PATH   ln -s T L
 *   stat PATH   df   truncate PATH SIZE   fallocate [-k|-p|-z|-c|-i] PATH OFF LEN
 *   hexdump PATH [OFF LEN]   crc32 PATH   sync   fsck [-n|-y] [REGION]
 *   pattern PATH SIZE TEXT   (SIZE bytes of TEXT and a newline, repeated)
 * Paths without a leading '/' are taken from the root.  Every error prints
 * the command, the path and the reason.  Times print as UTC dates
 * (lib/date.h): stat like coreutils' stat, ls -l like --time-style=long-iso.
 */
#include <drivers/blkdev.h>
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <drivers/pmem.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <lib/string.h>
#include <lib/crc.h>
#include <lib/date.h>
#include <lib/printf.h>
#include <lib/errno.h>
#include "progress.h"
#include "region.h"
#include <shell/shell.h>

#define IO_CHUNK	(64 * 1024)
#define HEX_DEFAULT	256
#define HEX_MAX		(64 * 1024)
#define HEX_COLS	16
#define MODE_FILE	0644
#define MODE_DIR	0755

/* Absolute form of a shell path argument, in buf.  NULL if too long. */
static const char *abspath(const char *in, char *buf, size_t size)
{
	if (in[0] == '/')
		return strlen(in) < size ? in : NULL;
	if (strlen(in) + 2 > size)
		return NULL;
	buf[0] = '/';
	strlcpy(buf + 1, in, size - 1);
	return buf;
}

#define PATH_ARG(var, arg) \
	char var##_buf[HFS_PATH_MAX]; \
	const char *var = abspath((arg), var##_buf, sizeof(var##_buf)); \
	if (!var) { shell_printf("%s: path too long\n", argv[0]); return -ENAMETOOLONG; }

/*
 * After -ENOSPC: what ran out, as holdfs recorded it (hfs_statfs.last_nospc),
 * with the figures, in buf as " (...)"; empty when it cannot say.
 */
static void nospc_why(char *buf, size_t size)
{
	struct hfs_statfs st;

	buf[0] = '\0';
	if (vfs_statfs(&st))
		return;
	switch (st.last_nospc) {
	case HFS_NOSPC_INODES:
		snprintf(buf, size, " (no free inodes: %lu of %lu in use; see df)",
			 st.inodes - st.free_inodes, st.inodes);
		break;
	case HFS_NOSPC_BLOCKS:
		snprintf(buf, size, " (not enough free blocks: %lu KiB free)",
			 st.free_blocks * st.block_size / 1024);
		break;
	case HFS_NOSPC_JOURNAL:
		snprintf(buf, size, " (one operation larger than the journal holds)");
		break;
	}
}

static int fail(const char *cmd, const char *path, int err)
{
	char why[96] = "";

	if (err == -ENOSPC)
		nospc_why(why, sizeof(why));
	if (err == -ETXTBSY) {		/* dax_break_layout(): a fail lease */
		shell_printf("%s: %s: pinned for DMA with lease=fail (%s)\n", cmd, path, strerror(err));
		return err;
	}
	shell_printf("%s: %s: %s%s\n", cmd, path, strerror(err), why);
	return err;
}

static int need_fs(const char *cmd)
{
	if (vfs_mounted())
		return 0;
	shell_printf("%s: no filesystem mounted (pmem0 is missing or not holdfs; format it with: mkfs pmem0)\n", cmd);
	return -ENODEV;
}

static char type_char(uint32_t mode)
{
	switch (mode & HFS_S_IFMT) {
	case HFS_S_IFDIR: return 'd';
	case HFS_S_IFLNK: return 'l';
	case VFS_S_IFBLK: return 'b';
	default: return '-';
	}
}

/*
 * ls -l: type and mode, links, size in bytes, 4 KiB blocks, the modify
 * time as `ls -l --time-style=long-iso` prints it (UTC), name.
 */
static void ls_entry(const char *dir, const struct hfs_dirent *de, bool lng)
{
	char path[HFS_PATH_MAX], when[DATE_SHORT_SIZE];
	struct hfs_stat st;

	if (!lng) {
		shell_printf("%s%s\n", de->name, de->type == HFS_S_IFDIR ? "/" : "");
		return;
	}
	snprintf(path, sizeof(path), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", de->name);
	if (vfs_lstat(path, &st)) {
		shell_printf("?????????? %s\n", de->name);
		return;
	}
	date_format_short(when, sizeof(when), st.mtime_ns);
	shell_printf("%c%04o %3u %5u %5u %10lu %6lu  %s  %s\n", type_char(st.mode),
		     st.mode & HFS_MODE_PERM, st.nlink, st.uid, st.gid, st.size, st.blocks, when,
		     de->name);
}

static int cmd_ls(int argc, char **argv)
{
	bool lng = argc > 1 && !strcmp(argv[1], "-l");
	const char *arg = argc > 1 + lng ? argv[1 + lng] : "/";
	struct hfs_dirent de;
	struct hfs_stat st;
	uint64_t cookie = 0;
	int err, n, fd;

	if (argc > 2 + lng)
		return shell_usage_error(argv[0], "too many arguments");
	if ((err = need_fs(argv[0])))
		return err;
	PATH_ARG(path, arg);
	if ((err = vfs_stat(path, &st)))
		return fail(argv[0], path, err);
	if ((st.mode & HFS_S_IFMT) != HFS_S_IFDIR) {
		shell_printf("%s\n", path);
		return 0;
	}
	if ((fd = vfs_open(path, HFS_O_RDONLY, 0)) < 0)
		return fail(argv[0], path, fd);
	while ((n = vfs_readdir(fd, &cookie, &de)) > 0)
		ls_entry(path, &de, lng);
	vfs_close(fd);
	return n < 0 ? fail(argv[0], path, n) : 0;
}
SHELL_CMD("ls", "ls [-l] [PATH]", "list a directory (-l: mode, links, uid, gid, size, "
	  "blocks, modified YYYY-MM-DD HH:MM UTC, name)", cmd_ls);

/*
 * Open path (a shell argument of command cmd), read it in IO_CHUNK pieces
 * and hand each to fn; report errors as "cmd: path: reason".
 */
static int read_chunks(const char *cmd, const char *arg,
		       void (*fn)(void *ctx, const uint8_t *buf, size_t n), void *ctx)
{
	char path_buf[HFS_PATH_MAX];
	const char *path = abspath(arg, path_buf, sizeof(path_buf));
	uint8_t *buf;
	int64_t n;
	int fd, err;

	if ((err = need_fs(cmd)))
		return err;
	if (!path) {
		shell_printf("%s: path too long\n", cmd);
		return -ENAMETOOLONG;
	}
	if ((fd = vfs_open(path, HFS_O_RDONLY, 0)) < 0)
		return fail(cmd, path, fd);
	if (!(buf = kmalloc(IO_CHUNK))) {
		vfs_close(fd);
		return -ENOMEM;
	}
	while ((n = vfs_read(fd, buf, IO_CHUNK)) > 0)
		fn(ctx, buf, (size_t)n);
	vfs_close(fd);
	kfree(buf);
	return n < 0 ? fail(cmd, path, (int)n) : 0;
}

static void print_chunk(void *ctx, const uint8_t *buf, size_t n)
{
	shell_printf("%.*s", (int)n, (const char *)buf);
}

static int cmd_cat(int argc, char **argv)
{
	if (argc != 2)
		return shell_usage_error(argv[0], "needs one path");
	return read_chunks(argv[0], argv[1], print_chunk, NULL);
}
SHELL_CMD("cat", "cat PATH", "print a file", cmd_cat);

static int put_text(int argc, char **argv, int flags)
{
	int fd, err;
	int64_t n;
	size_t len;

	if (argc != 3)
		return shell_usage_error(argv[0], "needs a path and the text (quote it)");
	if ((err = need_fs(argv[0])))
		return err;
	PATH_ARG(path, argv[1]);
	if ((fd = vfs_open(path, HFS_O_WRONLY | HFS_O_CREAT | flags, MODE_FILE)) < 0)
		return fail(argv[0], path, fd);
	len = strlen(argv[2]);
	n = vfs_write(fd, argv[2], len);
	if (n >= 0)
		n = vfs_write(fd, "\n", 1);
	vfs_close(fd);
	return n < 0 ? fail(argv[0], path, (int)n) : 0;
}

static int cmd_write(int argc, char **argv) { return put_text(argc, argv, HFS_O_TRUNC); }
static int cmd_append(int argc, char **argv) { return put_text(argc, argv, HFS_O_APPEND); }
SHELL_CMD("write", "write PATH TEXT", "replace a file's contents with TEXT and a newline", cmd_write);
SHELL_CMD("append", "append PATH TEXT", "add TEXT and a newline at the end of a file", cmd_append);

/*
 * pattern PATH SIZE TEXT: replace PATH's contents with SIZE bytes made of
 * TEXT and a newline, repeated (the last copy cut short).  Files of a known,
 * recognisable content, larger than one command line: `make demo` writes
 * the DMA source and the new file with it, so that a page of one found in
 * the other is plain to see.
 */
static int cmd_pattern(int argc, char **argv)
{
	uint64_t size, off = 0;
	size_t unit, fill;
	int64_t n = 0;
	char *buf;
	int fd, err;

	if (argc != 4)
		return shell_usage_error(argv[0], "needs a path, a size and the text (quote it)");
	if ((err = need_fs(argv[0])))
		return err;
	if (shell_parse_size(argv[2], "size", &size))
		return -EINVAL;
	unit = strlen(argv[3]) + 1;		/* the text and its newline */
	if (unit == 1)
		return shell_usage_error(argv[0], "the text is empty");
	if (unit > IO_CHUNK / 2)
		return shell_usage_error(argv[0], "the text is longer than %d characters", IO_CHUNK / 2 - 1);
	PATH_ARG(path, argv[1]);
	if (!(buf = kmalloc(IO_CHUNK)))
		return -ENOMEM;
	/* a whole number of copies per chunk, so every chunk starts a copy */
	fill = IO_CHUNK - IO_CHUNK % unit;
	for (size_t i = 0; i < fill; i++)
		buf[i] = i % unit == unit - 1 ? '\n' : argv[3][i % unit];
	if ((fd = vfs_open(path, HFS_O_WRONLY | HFS_O_CREAT | HFS_O_TRUNC, MODE_FILE)) < 0) {
		kfree(buf);
		return fail(argv[0], path, fd);
	}
	while (off < size) {
		size_t want = (size_t)MIN((uint64_t)fill, size - off);

		n = vfs_write(fd, buf, want);
		if (n != (int64_t)want) {
			if (n >= 0)
				n = -EIO;
			break;
		}
		off += want;
	}
	if (off == size)
		n = vfs_fsync(fd);
	vfs_close(fd);
	kfree(buf);
	return n < 0 ? fail(argv[0], path, (int)n) : 0;
}
SHELL_CMD("pattern", "pattern PATH SIZE TEXT",
	  "replace a file's contents with SIZE bytes of TEXT and a newline, repeated", cmd_pattern);

/* Copy @in to @out; on failure *@bad is the path that failed. */
static int copy_fd(int in, int out, const char *src, const char *dst, int64_t *done,
		   const char **bad)
{
	struct progress prog;
	struct hfs_stat st;
	int64_t n;
	int err = 0;
	char *buf = kmalloc(IO_CHUNK);

	if (!buf)
		return -ENOMEM;
	progress_begin(&prog, "cp", vfs_fstat(in, &st) ? 0 : st.size);
	while ((n = vfs_read(in, buf, IO_CHUNK)) > 0) {
		int64_t w;

		if (thread_interrupted()) {	/* Ctrl-C */
			err = -EINTR;
			*bad = dst;
			break;
		}
		w = vfs_write(out, buf, (size_t)n);
		if (w != n) {
			err = w < 0 ? (int)w : -EIO;
			*bad = dst;
			break;
		}
		*done += n;
		progress_update(&prog, (uint64_t)*done);
	}
	progress_end(&prog, (uint64_t)*done);
	if (n < 0) {
		err = (int)n;
		*bad = src;
	}
	if (!err && (err = vfs_fsync(out)))
		*bad = dst;
	kfree(buf);
	return err;
}

/*
 * cp SRC DST.  SRC is checked before DST is touched: a directory or the
 * same file (by path, hard link or symlink) is refused with nothing
 * changed, and a DST that cp made is removed again if the copy fails.
 */
/* cp -p: give @dst @st's permission bits, owner and times, as cp -p
 * does (the mode after the owner: a chown may clear set-id bits). */
static int preserve(const char *dst, const struct hfs_stat *st)
{
	int err = vfs_chown(dst, st->uid, st->gid, true);

	if (!err)
		err = vfs_chmod(dst, st->mode & 07777);
	if (!err)
		err = vfs_utimens(dst, st->atime_ns, st->mtime_ns, true);
	return err;
}

static int cmd_cp(int argc, char **argv)
{
	struct hfs_stat st, src_st;
	const char *bad = NULL;
	int64_t done = 0;
	uint64_t t0 = time_ns(), us;
	bool existed, keep = false;
	int in, out, err;

	int first = 1;

	if (argc > 1 && !strcmp(argv[1], "-p")) {
		keep = true;
		first = 2;
	}
	if (argc != first + 2)
		return shell_usage_error(argv[0], argc > first && argv[first][0] == '-' &&
					 argv[first][1] ? "the only option is -p (keep mode, "
					 "owner and times)" : "needs a source and a destination");
	if ((err = need_fs(argv[0])))
		return err;
	PATH_ARG(src, argv[first]);
	PATH_ARG(dst, argv[first + 1]);
	if ((in = vfs_open(src, HFS_O_RDONLY, 0)) < 0)
		return fail(argv[0], src, in);
	if ((err = vfs_fstat(in, &st)) || (st.mode & HFS_S_IFMT) == HFS_S_IFDIR) {
		vfs_close(in);
		return fail(argv[0], src, err ? err : -EISDIR);
	}
	src_st = st;
	if (vfs_same_file(src, dst, true)) {
		vfs_close(in);
		shell_printf("%s: %s and %s are the same file\n", argv[0], src, dst);
		return -EINVAL;
	}
	existed = vfs_stat(dst, &st) == 0;
	if ((out = vfs_open(dst, HFS_O_WRONLY | HFS_O_CREAT | HFS_O_TRUNC, MODE_FILE)) < 0) {
		vfs_close(in);
		return fail(argv[0], dst, out);
	}
	err = copy_fd(in, out, src, dst, &done, &bad);
	vfs_close(in);
	vfs_close(out);
	if (err) {
		if (!existed)
			vfs_unlink(dst);	/* no half-made copy */
		else
			shell_printf("%s: %s holds only the first %ld bytes\n", argv[0], dst, done);
		return fail(argv[0], bad, err);
	}
	if (keep && (err = preserve(dst, &src_st)))
		return fail(argv[0], dst, err);
	us = (time_ns() - t0) / 1000 + 1;
	shell_printf("copied %ld bytes in %lu.%03lu ms\n", done, us / 1000, us % 1000);
	return 0;
}
SHELL_CMD("cp", "cp [-p] SRC DST", "copy a file (-p: keep its mode, owner and times)", cmd_cp);

static int two_paths(int argc, char **argv, int (*op)(const char *, const char *))
{
	int err;

	if (argc != 3)
		return shell_usage_error(argv[0], "needs two paths");
	if ((err = need_fs(argv[0])))
		return err;
	PATH_ARG(a, argv[1]);
	PATH_ARG(b, argv[2]);
	err = op(a, b);
	return err ? fail(argv[0], a, err) : 0;
}

static int rename_noreplace(const char *a, const char *b)
{
	return vfs_rename2(a, b, HFS_RENAME_NOREPLACE);
}

static int rename_exchange(const char *a, const char *b)
{
	return vfs_rename2(a, b, HFS_RENAME_EXCHANGE);
}

/* mv's option (coreutils 9.5 spelling): -n / --no-clobber, --exchange. */
static int (*mv_op(const char *opt))(const char *, const char *)
{
	if (!strcmp(opt, "-n") || !strcmp(opt, "--no-clobber"))
		return rename_noreplace;
	if (!strcmp(opt, "--exchange"))
		return rename_exchange;
	return NULL;
}

static int cmd_mv(int argc, char **argv)
{
	int (*op)(const char *, const char *) = vfs_rename;

	if (argc == 4) {
		op = mv_op(argv[1]);
		if (!op)
			return shell_usage_error(argv[0], "unknown option '%s'", argv[1]);
		argv[1] = argv[0];
		return two_paths(argc - 1, argv + 1, op);
	}
	/* rename(2) of two links to one file does nothing and succeeds;
	 * at the shell that is a mistake worth saying. */
	if (argc == 3 && vfs_mounted()) {
		PATH_ARG(a, argv[1]);
		PATH_ARG(b, argv[2]);
		if (vfs_same_file(a, b, false)) {
			shell_printf("%s: %s and %s are the same file\n", argv[0], a, b);
			return -EINVAL;
		}
	}
	return two_paths(argc, argv, op);
}
SHELL_CMD("mv", "mv [-n|--exchange] SRC DST", "rename (replacing DST; -n: never, failing "
	  "if it exists; --exchange: swap SRC and DST atomically)", cmd_mv);

/*
 * ln -s TARGET LINK: the target is the link's content, stored as typed
 * (a relative one is resolved from the link's directory when followed);
 * only LINK is a path of the shell.  An empty target names nothing:
 * ENOENT, as POSIX says (holdfs refuses it).
 */
static int symlink_cmd(const char *cmd, const char *target, const char *link)
{
	char link_buf[HFS_PATH_MAX];
	const char *path = abspath(link, link_buf, sizeof(link_buf));
	int err;

	if (!path) {
		shell_printf("%s: path too long\n", cmd);
		return -ENAMETOOLONG;
	}
	err = vfs_symlink(target, path);
	if (err == -ENOENT && !target[0]) {
		shell_printf("%s: %s: %s (the target is empty)\n", cmd, path, strerror(err));
		return err;
	}
	return err ? fail(cmd, path, err) : 0;
}

static int cmd_ln(int argc, char **argv)
{
	int err;

	if (argc == 4 && !strcmp(argv[1], "-s")) {
		if ((err = need_fs(argv[0])))
			return err;
		return symlink_cmd(argv[0], argv[2], argv[3]);
	}
	return two_paths(argc, argv, vfs_link);
}
SHELL_CMD("ln", "ln [-s] TARGET LINK",
	  "make a hard or symbolic link (a symlink's TARGET is stored as typed)", cmd_ln);

static int one_path(int argc, char **argv, int (*op)(const char *))
{
	int err;

	if (argc != 2)
		return shell_usage_error(argv[0], "needs one path");
	if ((err = need_fs(argv[0])))
		return err;
	PATH_ARG(path, argv[1]);
	err = op(path);
	return err ? fail(argv[0], path, err) : 0;
}

static int mkdir_default(const char *p) { return vfs_mkdir(p, MODE_DIR); }
static int cmd_rm(int argc, char **argv) { return one_path(argc, argv, vfs_unlink); }
static int cmd_mkdir(int argc, char **argv) { return one_path(argc, argv, mkdir_default); }
static int cmd_rmdir(int argc, char **argv) { return one_path(argc, argv, vfs_rmdir); }
SHELL_CMD("rm", "rm PATH", "remove a file", cmd_rm);
SHELL_CMD("mkdir", "mkdir PATH", "make a directory", cmd_mkdir);
SHELL_CMD("rmdir", "rmdir PATH", "remove an empty directory", cmd_rmdir);

/* One of stat's times, as coreutils' stat prints it in UTC. */
static void print_time(const char *what, uint64_t ns)
{
	char date[DATE_FULL_SIZE];

	date_format_full(date, sizeof(date), ns);
	shell_printf("  %s: %s\n", what, date);
}

static int cmd_stat(int argc, char **argv)
{
	struct hfs_stat st;
	char target[HFS_PATH_MAX];
	int err;

	if (argc != 2)
		return shell_usage_error(argv[0], "needs one path");
	if ((err = need_fs(argv[0])))
		return err;
	PATH_ARG(path, argv[1]);
	if ((err = vfs_lstat(path, &st)))
		return fail(argv[0], path, err);
	shell_printf("  file: %s\n  inode: %lu  type: %s  mode: %04o  links: %u\n", path, st.ino,
		     type_char(st.mode) == 'd' ? "directory" : type_char(st.mode) == 'l' ? "symlink" : "file",
		     st.mode & HFS_MODE_PERM, st.nlink);
	shell_printf("  uid: %u  gid: %u\n", st.uid, st.gid);
	shell_printf("  size: %lu  blocks: %lu (4 KiB)\n", st.size, st.blocks);
	print_time("access", st.atime_ns);
	print_time("modify", st.mtime_ns);
	print_time("change", st.ctime_ns);
	if (type_char(st.mode) == 'l' && vfs_readlink(path, target, sizeof(target)) >= 0)
		shell_printf("  target: %s\n", target);
	return 0;
}
SHELL_CMD("stat", "stat PATH", "show a file's inode, with its times as UTC dates", cmd_stat);

static int cmd_df(int argc, char **argv)
{
	struct hfs_statfs st;
	int err;

	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
	if ((err = need_fs(argv[0])))
		return err;
	if ((err = vfs_statfs(&st)))
		return fail(argv[0], "/", err);
	/* like df and df -i side by side: KiB, then inodes (each file,
	 * directory and symlink takes one; the table's size is fixed by mkfs) */
	shell_printf("filesystem  size(KiB)   used(KiB)   free(KiB)    inodes     iused     ifree\n");
	shell_printf("pmem0       %9lu   %9lu   %9lu  %8lu  %8lu  %8lu\n",
		     st.blocks * st.block_size / 1024,
		     (st.blocks - st.free_blocks) * st.block_size / 1024,
		     st.free_blocks * st.block_size / 1024,
		     st.inodes, st.inodes - st.free_inodes, st.free_inodes);
	return 0;
}
SHELL_CMD("df", "df", "space (KiB) and inodes (total, used, free) of the root filesystem",
	  cmd_df);

static int cmd_truncate(int argc, char **argv)
{
	uint64_t size, t0;
	int err;

	if (argc != 3)
		return shell_usage_error(argv[0], "needs a path and a size");
	if ((err = need_fs(argv[0])))
		return err;
	if (shell_parse_size(argv[2], "size", &size))
		return -EINVAL;
	PATH_ARG(path, argv[1]);
	t0 = time_ns();
	err = vfs_truncate(path, size, NULL);
	if (err)
		return fail(argv[0], path, err);
	uint64_t us = (time_ns() - t0) / 1000;
	shell_printf("truncated %s to %lu bytes in %lu.%03lu ms\n", path, size, us / 1000, us % 1000);
	return 0;
}
SHELL_CMD("truncate", "truncate PATH SIZE",
	  "shrink or grow a file (waits for DMA into the range, or fails if its pins have lease=fail)",
	  cmd_truncate);

static int cmd_fallocate(int argc, char **argv)
{
	static const struct { const char *flag; int mode; } modes[] = {
		{ "-k", HFS_FALLOC_KEEP_SIZE },
		{ "-p", HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE },
		{ "-z", HFS_FALLOC_ZERO_RANGE },
		{ "-c", HFS_FALLOC_COLLAPSE },
		{ "-i", HFS_FALLOC_INSERT },
	};
	int mode = 0, i = 1, fd, err;
	uint64_t off, len;

	if (argc == 5) {
		for (size_t m = 0; m < ARRAY_SIZE(modes); m++)
			if (!strcmp(argv[1], modes[m].flag))
				mode = modes[m].mode;
		if (!mode)
			return shell_usage_error(argv[0], "unknown mode '%s'", argv[1]);
		i = 2;
	} else if (argc != 4) {
		return shell_usage_error(argv[0], "needs a path, an offset and a length");
	}
	if ((err = need_fs(argv[0])))
		return err;
	if (shell_parse_size(argv[i + 1], "offset", &off) || shell_parse_size(argv[i + 2], "length", &len))
		return -EINVAL;
	PATH_ARG(path, argv[i]);
	/* like fallocate(1), a missing file is created */
	if ((fd = vfs_open(path, HFS_O_RDWR | HFS_O_CREAT, MODE_FILE)) < 0)
		return fail(argv[0], path, fd);
	err = vfs_fallocate(fd, mode, off, len, NULL);
	vfs_close(fd);
	return err ? fail(argv[0], path, err) : 0;
}
SHELL_CMD("fallocate", "fallocate [-k|-p|-z|-c|-i] PATH OFFSET LEN",
	  "allocate (-k keep size), punch (-p), zero (-z), collapse (-c) or insert (-i) a range",
	  cmd_fallocate);

static int cmd_hexdump(int argc, char **argv)
{
	uint64_t off = 0, len = HEX_DEFAULT;
	uint8_t *buf;
	int64_t n;
	int fd, err;

	if (argc != 2 && argc != 4)
		return shell_usage_error(argv[0], "needs a path, and optionally an offset and a length");
	if ((err = need_fs(argv[0])))
		return err;
	if (argc == 4 && (shell_parse_size(argv[2], "offset", &off) ||
			  shell_parse_size(argv[3], "length", &len)))
		return -EINVAL;
	if (len > HEX_MAX) {
		shell_printf("%s: at most %d bytes at a time\n", argv[0], HEX_MAX);
		return -EINVAL;
	}
	PATH_ARG(path, argv[1]);
	if ((fd = vfs_open(path, HFS_O_RDONLY, 0)) < 0)
		return fail(argv[0], path, fd);
	if (!(buf = kmalloc(len + 1))) {
		vfs_close(fd);
		return -ENOMEM;
	}
	n = vfs_pread(fd, buf, len, off);
	vfs_close(fd);
	for (int64_t i = 0; i < n; i += HEX_COLS) {
		shell_printf("%08lx ", off + (uint64_t)i);
		for (int64_t j = 0; j < HEX_COLS; j++)
			shell_printf(i + j < n ? " %02x" : "   ", buf[i + j]);
		shell_printf("  |");
		for (int64_t j = 0; j < HEX_COLS && i + j < n; j++)
			shell_printf("%c", buf[i + j] >= 0x20 && buf[i + j] < 0x7f ? buf[i + j] : '.');
		shell_printf("|\n");
	}
	kfree(buf);
	return n < 0 ? fail(argv[0], path, (int)n) : 0;
}
SHELL_CMD("hexdump", "hexdump PATH [OFFSET LEN]", "show bytes of a file", cmd_hexdump);

struct crc_state {
	uint32_t crc;
	uint64_t size;
};

static void crc_chunk(void *ctx, const uint8_t *buf, size_t n)
{
	struct crc_state *c = ctx;

	c->crc = crc32_ieee(c->crc, buf, n);
	c->size += n;
}

static int cmd_crc32(int argc, char **argv)
{
	struct crc_state c = { 0, 0 };
	int err;

	if (argc != 2)
		return shell_usage_error(argv[0], "needs one path");
	if ((err = read_chunks(argv[0], argv[1], crc_chunk, &c)))
		return err;
	shell_printf("%08x %lu %s%s\n", c.crc, c.size, argv[1][0] == '/' ? "" : "/", argv[1]);
	return 0;
}
SHELL_CMD("crc32", "crc32 PATH", "zlib CRC-32 and size of a file", cmd_crc32);

static int cmd_sync(int argc, char **argv)
{
	int err = need_fs(argv[0]);

	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
	return err ? err : vfs_sync();
}
SHELL_CMD("sync", "sync", "make everything written so far durable", cmd_sync);


/* fsck's arguments: [-n|-y] [DEVICE], the root device (else pmem0) by default. */
static int fsck_args(int argc, char **argv, struct hfs_fsck_opts *o, struct blkdev **bd)
{
	int i = 1;

	if (i < argc && (!strcmp(argv[i], "-y") || !strcmp(argv[i], "-n")))
		o->repair = argv[i++][1] == 'y';
	if (i < argc && argv[i][0] == '-')
		return shell_usage_error(argv[0], "takes -n (check only, the default) or -y "
					 "(repair), not '%s'", argv[i]);
	if (i + 1 < argc)
		return shell_usage_error(argv[0], "one device at most, not '%s' too", argv[i + 1]);
	if (i < argc)
		return shell_parse_pmem_dev(argv[0], argv[i], bd);
	if (!(*bd = vfs_root_dev()) && !(*bd = blkdev_lookup("pmem0"))) {
		shell_printf("fsck: no persistent memory\n");
		return -ENODEV;
	}
	return 0;
}

/*
 * The root device is unmounted for the check and mounted again after
 * (*@root); a device mounted anywhere else is refused: unmount it first.
 */
static int fsck_mounted_elsewhere(const struct blkdev *bd, bool *root)
{
	char dir[VFS_MNT_DIR_MAX];

	*root = bd == vfs_root_dev();
	if (*root || !vfs_dev_mounted(bd, dir, sizeof(dir)))
		return 0;
	shell_printf("fsck: %s is mounted at %s: not checked; umount %s first\n", bd->name,
		     dir, dir);
	return -EBUSY;
}

static int cmd_fsck(int argc, char **argv)
{
	struct progress prog = { .what = "fsck" };
	struct hfs_fsck_opts o = { .repair = false, .verbose = true,
				   .progress = progress_hfs, .progress_arg = &prog };
	struct blkdev *bd;
	struct hfs_pm *pm;
	bool remount;
	int err, rc;

	if ((err = fsck_args(argc, argv, &o, &bd)))
		return err;
	if ((err = fsck_mounted_elsewhere(bd, &remount)))
		return err;
	if (remount && vfs_mounted() && (err = vfs_unmount_root())) {
		shell_printf("fsck: cannot unmount / (%s): close open files first\n", strerror(err));
		return err;
	}
	pm = hfs_kernel_pm_range(bd->pmem, bd->pmem_off, bd->size);
	if (!pm)
		return -ENOMEM;
	rc = hfs_fsck(pm, &o);
	kfree(pm);
	shell_printf("fsck: %s\n", rc == HFS_FSCK_CLEAN ? "clean" :
		     rc == HFS_FSCK_REPAIRED ? "errors repaired" :
		     rc == HFS_FSCK_NOT_HOLDFS ? "not checked (no holdfs this build can read)" :
		     "errors remain");
	if (remount)
		vfs_mount_root();
	if (rc == HFS_FSCK_NOT_HOLDFS)
		return -EINVAL;
	return rc == HFS_FSCK_ERRORS ? -EUCLEAN : 0;
}
SHELL_CMD("fsck", "fsck [-n|-y] [DEVICE]",
	  "check (and with -y repair) the holdfs on a pmem device (/dev/pmem1; pmem0 by "
	  "default); the root device is unmounted and remounted, another mounted one refused",
	  cmd_fsck);
