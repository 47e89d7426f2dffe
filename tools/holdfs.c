/*
 * holdfs.c - the holdfs image tool, like mtools or debugfs:
 *
 *	holdfs IMAGE ls [-l] PATH      list a directory (or show one file)
 *	holdfs IMAGE cat PATH          write a file to stdout
 *	holdfs IMAGE put [-p] HOSTFILE PATH  copy a host file in ("-" = stdin)
 *	holdfs IMAGE get [-p] PATH HOSTFILE  copy a file out ("-" = stdout)
 *	                               -p as cp -p: mode and times, and the
 *	                               owner too when run as root
 *	holdfs IMAGE chmod OCTAL PATH  set permission bits
 *	holdfs IMAGE chown UID[:GID] PATH  set owner (numeric)
 *	holdfs IMAGE touch [-d @SECONDS[.N]] PATH  set both times (now by
 *	                               default), making an empty file if none
 *	holdfs IMAGE rm PATH           remove a file or symlink
 *	holdfs IMAGE mkdir PATH        make a directory
 *	holdfs IMAGE rmdir PATH        remove an empty directory
 *	holdfs IMAGE mv [-n|--exchange] FROM TO  rename (replaces TO; -n
 *	                               never; --exchange swaps the two)
 *	holdfs IMAGE ln [-s] TARGET PATH  hard or symbolic link
 *	holdfs IMAGE readlink PATH     print a symlink's target
 *	holdfs IMAGE truncate PATH SIZE   set a file's size (the shell's
 *	                               order; the old SIZE PATH order is still
 *	                               taken when it cannot be misread: see
 *	                               truncate_args)
 *	holdfs IMAGE stat PATH         inode details
 *	holdfs IMAGE df                space and inodes
 *
 * Every command mounts the image, does one thing and unmounts it.  Exit 0
 * on success, 1 on an error (with a message naming it), 2 on bad usage.
 * Times print as the kernel's shell prints them (lib/date.h), in UTC: ls -l
 * "2026-12-04 16:27", stat "2026-12-04 16:27:15.123456789 +0000".
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <lib/date.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "hfs_host.h"

#define EXIT_ERR	1
#define EXIT_USAGE	2
#define CHUNK		(1024 * 1024)

static const char *prog = "holdfs";

static int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err));
	return EXIT_ERR;
}

/* The mount refused the image; the core has logged why.  Say what next. */
static int mount_failed(const char *image, int err)
{
	switch (err) {
	case -EINVAL:
		fprintf(stderr, "%s: %s: not a usable holdfs image (see above)\n", prog, image);
		return EXIT_ERR;
	case -EOPNOTSUPP:
		fprintf(stderr, "%s: %s: a holdfs format this build cannot read (see above)\n",
			prog, image);
		return EXIT_ERR;
	case -EUCLEAN:
		fprintf(stderr, "%s: %s: the filesystem is damaged: try fsck.holdfs -y %s\n",
			prog, image, image);
		return EXIT_ERR;
	}
	return fail(image, err);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: holdfs IMAGE COMMAND ARGS...\n"
		"  ls [-l] PATH | cat PATH | put [-p] HOSTFILE PATH | get [-p] PATH HOSTFILE\n"
		"  rm PATH | mkdir PATH | rmdir PATH | mv [-n|--exchange] FROM TO\n"
		"  ln [-s] TARGET PATH | readlink PATH | truncate PATH SIZE | stat PATH | df\n"
		"  chmod OCTAL PATH | chown UID[:GID] PATH | touch [-d @SECONDS[.N]] PATH\n"
		"PATH starts with '/'.  truncate also takes the old order SIZE PATH\n"
		"when one argument is a path and the other a size (4096, 64K, 0x1000).\n");
	return EXIT_USAGE;
}

static char type_char(uint32_t mode)
{
	switch (mode & HFS_S_IFMT) {
	case HFS_S_IFDIR: return 'd';
	case HFS_S_IFLNK: return 'l';
	default: return '-';
	}
}

static void print_long(struct hfs_fs *fs, const char *path, const char *name,
		       const struct hfs_stat *st)
{
	char when[DATE_SHORT_SIZE];

	date_format_short(when, sizeof(when), st->mtime_ns);
	printf("%c%04o %3u %5u %5u %10llu %s %s", type_char(st->mode), st->mode & 07777,
	       st->nlink, st->uid, st->gid, (unsigned long long)st->size, when, name);
	if ((st->mode & HFS_S_IFMT) == HFS_S_IFLNK) {
		char target[HFS_PATH_MAX];

		if (hfs_readlink(fs, path, target, sizeof(target)) >= 0)
			printf(" -> %s", target);
	}
	printf("\n");
}

static int cmd_ls(struct hfs_fs *fs, int argc, char **argv)
{
	bool lng = false;
	const char *path;
	struct hfs_inode *dir;
	struct hfs_dirent de;
	struct hfs_stat st;
	uint64_t cookie = 0;
	int r;

	if (argc >= 1 && strcmp(argv[0], "-l") == 0) {
		lng = true;
		argc--;
		argv++;
	}
	if (argc != 1)
		return usage();
	path = argv[0];
	r = hfs_stat(fs, path, false, &st);
	if (r)
		return fail(path, r);
	if ((st.mode & HFS_S_IFMT) != HFS_S_IFDIR) {
		if (lng)
			print_long(fs, path, path, &st);
		else
			printf("%s\n", path);
		return 0;
	}
	r = hfs_lookup(fs, path, true, &dir);
	if (r)
		return fail(path, r);
	while ((r = hfs_readdir(dir, &cookie, &de)) == 1) {
		if (lng) {
			char full[HFS_PATH_MAX];

			snprintf(full, sizeof(full), "%s/%s", strcmp(path, "/") ? path : "", de.name);
			if (hfs_stat(fs, full, false, &st) == 0)
				print_long(fs, full, de.name, &st);
			else
				printf("?????  %s\n", de.name);
		} else {
			printf("%s\n", de.name);
		}
	}
	hfs_iput(dir);
	return r < 0 ? fail(path, r) : 0;
}

static int copy_out(struct hfs_fs *fs, const char *path, FILE *out)
{
	struct hfs_inode *ip;
	uint8_t *buf = malloc(CHUNK);
	uint64_t off = 0;
	int64_t n;
	int r = hfs_open(fs, path, HFS_O_RDONLY, 0, &ip);

	if (r) {
		free(buf);
		return fail(path, r);
	}
	if (!buf) {
		hfs_iput(ip);
		return fail(path, -ENOMEM);
	}
	while ((n = hfs_read(ip, off, buf, CHUNK)) > 0) {
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
			n = -EIO;
			break;
		}
		off += (uint64_t)n;
	}
	hfs_iput(ip);
	free(buf);
	if (n < 0)
		return fail(path, (int)n);
	return fflush(out) ? fail("output", -EIO) : 0;
}

/* get -p: the image file's mode, times and (as root) owner onto @out. */
static int keep_attrs_out(struct hfs_fs *fs, const char *path, FILE *out, const char *host)
{
	struct timespec ts[2];
	struct hfs_stat st;
	int fd = fileno(out), r = hfs_stat(fs, path, true, &st);

	if (r)
		return fail(path, r);
	ts[0].tv_sec = (time_t)(st.atime_ns / 1000000000u);
	ts[0].tv_nsec = (long)(st.atime_ns % 1000000000u);
	ts[1].tv_sec = (time_t)(st.mtime_ns / 1000000000u);
	ts[1].tv_nsec = (long)(st.mtime_ns % 1000000000u);
	/* owner first: chown may clear set-user-ID, chmod then sets it back */
	if (geteuid() == 0 && fchown(fd, st.uid, st.gid))
		return fail(host, -errno);
	if (fchmod(fd, st.mode & 07777) || futimens(fd, ts))
		return fail(host, -errno);
	return 0;
}

static int cmd_get(struct hfs_fs *fs, const char *path, const char *host, bool keep)
{
	FILE *out = strcmp(host, "-") ? fopen(host, "wb") : stdout;
	int r;

	if (!out) {
		fprintf(stderr, "%s: %s: cannot create\n", prog, host);
		return EXIT_ERR;
	}
	r = copy_out(fs, path, out);
	if (!r && keep && out != stdout)
		r = fflush(out) ? fail(host, -EIO) : keep_attrs_out(fs, path, out, host);
	if (out != stdout && fclose(out))
		r = fail(host, -EIO);
	return r;
}

/* put -p: @in's mode, times and (as root) owner onto @ip. */
static int keep_attrs_in(struct hfs_inode *ip, FILE *in)
{
	struct hfs_setattr sa = { .mask = HFS_ATTR_MODE | HFS_ATTR_ATIME | HFS_ATTR_MTIME };
	struct stat hs;

	if (fstat(fileno(in), &hs))
		return -errno;
	sa.mode = hs.st_mode & 07777;
	sa.atime_ns = (uint64_t)hs.st_atim.tv_sec * 1000000000u + (uint64_t)hs.st_atim.tv_nsec;
	sa.mtime_ns = (uint64_t)hs.st_mtim.tv_sec * 1000000000u + (uint64_t)hs.st_mtim.tv_nsec;
	if (hs.st_atim.tv_sec < 0 || hs.st_mtim.tv_sec < 0)
		return -EINVAL;		/* before 1970: holdfs cannot store it */
	if (geteuid() == 0) {
		sa.mask |= HFS_ATTR_UID | HFS_ATTR_GID;
		sa.uid = hs.st_uid;
		sa.gid = hs.st_gid;
	}
	return hfs_setattr(ip, &sa);
}

static int cmd_put(struct hfs_fs *fs, const char *host, const char *path, bool keep)
{
	FILE *in = strcmp(host, "-") ? fopen(host, "rb") : stdin;
	struct hfs_inode *ip;
	uint8_t *buf;
	uint64_t off = 0;
	size_t n;
	int r;

	if (!in) {
		fprintf(stderr, "%s: %s: cannot open\n", prog, host);
		return EXIT_ERR;
	}
	buf = malloc(CHUNK);
	r = buf ? hfs_open(fs, path, HFS_O_WRONLY | HFS_O_CREAT | HFS_O_TRUNC, 0644, &ip) : -ENOMEM;
	if (r) {
		free(buf);
		if (in != stdin)
			fclose(in);
		return fail(path, r);
	}
	while ((n = fread(buf, 1, CHUNK, in)) > 0) {
		int64_t w = hfs_write(ip, off, buf, n);

		if (w < 0) {
			r = (int)w;
			break;
		}
		off += n;
	}
	if (!r && ferror(in))
		r = -EIO;
	if (!r && keep && in != stdin)
		r = keep_attrs_in(ip, in);
	if (!r)
		r = hfs_fsync(ip);
	hfs_iput(ip);
	free(buf);
	if (in != stdin)
		fclose(in);
	return r ? fail(path, r) : 0;
}

static int cmd_stat(struct hfs_fs *fs, const char *path)
{
	char atime[DATE_FULL_SIZE], mtime[DATE_FULL_SIZE], ctime[DATE_FULL_SIZE];
	struct hfs_stat st;
	struct hfs_inode *ip;
	uint64_t extents = 0;
	int r = hfs_stat(fs, path, false, &st);

	if (r)
		return fail(path, r);
	if (hfs_lookup(fs, path, false, &ip) == 0) {
		hfs_ext_count(ip, &extents);
		hfs_iput(ip);
	}
	date_format_full(atime, sizeof(atime), st.atime_ns);
	date_format_full(mtime, sizeof(mtime), st.mtime_ns);
	date_format_full(ctime, sizeof(ctime), st.ctime_ns);
	printf("  file: %s\n inode: %llu\n  type: %c\n  mode: %04o\n links: %u\n"
	       "   uid: %u\n   gid: %u\n"
	       "  size: %llu\nblocks: %llu (4 KiB)\nextents: %llu\naccess: %s\nmodify: %s\n"
	       "change: %s\n",
	       path, (unsigned long long)st.ino, type_char(st.mode), st.mode & 07777, st.nlink,
	       st.uid, st.gid,
	       (unsigned long long)st.size, (unsigned long long)st.blocks,
	       (unsigned long long)extents, atime, mtime, ctime);
	return 0;
}

static int cmd_df(struct hfs_fs *fs)
{
	struct hfs_statfs st;
	int i;

	hfs_statfs(fs, &st);
	printf("blocks: %llu total, %llu free (%llu KiB free)\n"
	       "inodes: %llu total, %llu used, %llu free\n",
	       (unsigned long long)st.blocks, (unsigned long long)st.free_blocks,
	       (unsigned long long)(st.free_blocks * st.block_size / 1024),
	       (unsigned long long)st.inodes, (unsigned long long)(st.inodes - st.free_inodes),
	       (unsigned long long)st.free_inodes);
	printf("uuid: ");
	for (i = 0; i < 16; i++)
		printf("%02x%s", st.uuid[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
	printf("\nlabel: %s\n", st.label);
	return 0;
}

/*
 * truncate's two arguments: PATH SIZE, as the kernel shell takes them.
 * The tool used to take SIZE PATH; that order is still accepted when it
 * cannot be misread (the first argument is a size and does not start with
 * '/', the second starts with '/'), with a note.  Returns 0 or EXIT_USAGE
 * after saying what was wrong.
 */
static int truncate_args(const char *a, const char *b, const char **path, uint64_t *size)
{
	if (a[0] == '/') {
		if (!parse_size(b, size)) {
			*path = a;
			return 0;
		}
		fprintf(stderr, "%s: truncate: bad size '%s' (expected truncate PATH SIZE, "
			"e.g. truncate /f 64K)\n", prog, b);
		return EXIT_USAGE;
	}
	if (b[0] == '/' && !parse_size(a, size)) {
		fprintf(stderr, "%s: truncate: note: the order is now PATH SIZE "
			"(truncate %s %s)\n", prog, b, a);
		*path = b;
		return 0;
	}
	fprintf(stderr, "%s: truncate: expected PATH SIZE with PATH starting with '/', "
		"not '%s' '%s'\n", prog, a, b);
	return EXIT_USAGE;
}

static int cmd_truncate(struct hfs_fs *fs, const char *a, const char *b)
{
	struct hfs_inode *ip;
	const char *path;
	uint64_t size;
	int r;

	if ((r = truncate_args(a, b, &path, &size)))
		return r;
	r = hfs_open(fs, path, HFS_O_WRONLY, 0, &ip);
	if (!r) {
		r = hfs_truncate(ip, size, NULL);
		hfs_iput(ip);
	}
	return r ? fail(path, r) : 0;
}

/* chmod / chown / touch: hfs_setattr on @path. */
static int setattr_path(struct hfs_fs *fs, const char *path, const struct hfs_setattr *sa)
{
	struct hfs_inode *ip;
	int r = hfs_lookup(fs, path, true, &ip);

	if (!r) {
		r = hfs_setattr(ip, sa);
		hfs_iput(ip);
	}
	return r ? fail(path, r) : 0;
}

static int bad_arg(const char *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s: invalid %s '%s'\n", prog, cmd, what, arg);
	return EXIT_USAGE;
}

/* A numeric id below (uint32_t)-1. */
static bool parse_id(const char *s, uint32_t *id)
{
	uint64_t v;

	if (parse_u64(s, 10, &v) || v >= HFS_ID_INVALID)
		return false;
	*id = (uint32_t)v;
	return true;
}

static int cmd_chmod(struct hfs_fs *fs, const char *mode, const char *path)
{
	struct hfs_setattr sa = { .mask = HFS_ATTR_MODE };
	uint64_t v;

	if (parse_u64(mode, 8, &v) || v > 07777)
		return bad_arg("chmod", "mode (octal, at most 7777)", mode);
	sa.mode = (uint32_t)v;
	return setattr_path(fs, path, &sa);
}

static int cmd_chown(struct hfs_fs *fs, const char *owner, const char *path)
{
	struct hfs_setattr sa = { .mask = HFS_ATTR_UID };
	char buf[32];
	char *colon;

	if (strlen(owner) >= sizeof(buf))
		return bad_arg("chown", "owner", owner);
	strcpy(buf, owner);
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		sa.mask |= HFS_ATTR_GID;
		if (!parse_id(colon + 1, &sa.gid))
			return bad_arg("chown", "owner (numeric UID[:GID])", owner);
	}
	if (!parse_id(buf, &sa.uid))
		return bad_arg("chown", "owner (numeric UID[:GID])", owner);
	return setattr_path(fs, path, &sa);
}

/* "@SECONDS[.N]" as ns; false if it is not one. */
static bool parse_epoch(const char *s, uint64_t *ns)
{
	unsigned long long secs;
	char frac[10] = "000000000";
	const char *dot;
	size_t n;

	if (s[0] != '@' || !s[1] || s[1] < '0' || s[1] > '9')
		return false;
	dot = strchr(s, '.');
	n = dot ? strlen(dot + 1) : 0;
	if (dot && (n == 0 || n > 9 || strspn(dot + 1, "0123456789") != n))
		return false;
	if (dot)
		memcpy(frac, dot + 1, n);
	if (strspn(s + 1, "0123456789") != (size_t)((dot ? dot : s + strlen(s)) - (s + 1)))
		return false;
	secs = strtoull(s + 1, NULL, 10);
	if (secs > HFS_TIME_MAX / 1000000000u)
		return false;
	*ns = secs * 1000000000u + strtoull(frac, NULL, 10);
	return *ns <= HFS_TIME_MAX;
}

static int cmd_touch(struct hfs_fs *fs, int argc, char **argv)
{
	struct hfs_setattr sa = { .mask = HFS_ATTR_ATIME | HFS_ATTR_MTIME,
				  .atime_ns = HFS_TIME_NOW, .mtime_ns = HFS_TIME_NOW };
	struct hfs_inode *ip;
	int r;

	if (argc == 3 && !strcmp(argv[0], "-d")) {
		if (!parse_epoch(argv[1], &sa.atime_ns))
			return bad_arg("touch", "date (@SECONDS[.N])", argv[1]);
		sa.mtime_ns = sa.atime_ns;
		argv += 2;
		argc -= 2;
	}
	if (argc != 1)
		return usage();
	r = hfs_open(fs, argv[0], HFS_O_WRONLY | HFS_O_CREAT, 0644, &ip);
	if (r == -EISDIR)
		r = hfs_lookup(fs, argv[0], true, &ip);
	if (r)
		return fail(argv[0], r);
	hfs_iput(ip);
	return setattr_path(fs, argv[0], &sa);
}

static int cmd_mv(struct hfs_fs *fs, int argc, char **argv)
{
	unsigned flags = 0;
	int r;

	if (argc == 3 && (!strcmp(argv[0], "-n") || !strcmp(argv[0], "--no-clobber")))
		flags = HFS_RENAME_NOREPLACE;
	else if (argc == 3 && !strcmp(argv[0], "--exchange"))
		flags = HFS_RENAME_EXCHANGE;
	else if (argc != 2)
		return usage();
	argv += argc - 2;
	r = hfs_rename2(fs, argv[0], argv[1], flags, NULL);
	return r ? fail(argv[0], r) : 0;
}

static int run(struct hfs_fs *fs, int argc, char **argv)
{
	const char *cmd = argv[0];
	bool keep;
	int r;

	argc--;
	argv++;
	keep = argc == 3 && !strcmp(argv[0], "-p");
	if (keep && (!strcmp(cmd, "get") || !strcmp(cmd, "put"))) {
		argc--;
		argv++;
	}
	if (!strcmp(cmd, "ls"))
		return cmd_ls(fs, argc, argv);
	if (!strcmp(cmd, "df"))
		return argc == 0 ? cmd_df(fs) : usage();
	if (!strcmp(cmd, "cat"))
		return argc == 1 ? copy_out(fs, argv[0], stdout) : usage();
	if (!strcmp(cmd, "get"))
		return argc == 2 ? cmd_get(fs, argv[0], argv[1], keep) : usage();
	if (!strcmp(cmd, "put"))
		return argc == 2 ? cmd_put(fs, argv[0], argv[1], keep) : usage();
	if (!strcmp(cmd, "chmod"))
		return argc == 2 ? cmd_chmod(fs, argv[0], argv[1]) : usage();
	if (!strcmp(cmd, "chown"))
		return argc == 2 ? cmd_chown(fs, argv[0], argv[1]) : usage();
	if (!strcmp(cmd, "touch"))
		return cmd_touch(fs, argc, argv);
	if (!strcmp(cmd, "stat"))
		return argc == 1 ? cmd_stat(fs, argv[0]) : usage();
	if (!strcmp(cmd, "readlink")) {
		char buf[HFS_PATH_MAX];

		if (argc != 1)
			return usage();
		r = hfs_readlink(fs, argv[0], buf, sizeof(buf));
		if (r < 0)
			return fail(argv[0], r);
		printf("%s\n", buf);
		return 0;
	}
	if (!strcmp(cmd, "truncate"))
		return argc == 2 ? cmd_truncate(fs, argv[0], argv[1]) : usage();
	if (!strcmp(cmd, "rm") || !strcmp(cmd, "mkdir") || !strcmp(cmd, "rmdir")) {
		if (argc != 1)
			return usage();
		r = !strcmp(cmd, "rm") ? hfs_unlink(fs, argv[0], NULL) :
			!strcmp(cmd, "mkdir") ? hfs_mkdir(fs, argv[0], 0755) : hfs_rmdir(fs, argv[0]);
		return r ? fail(argv[0], r) : 0;
	}
	if (!strcmp(cmd, "mv"))
		return cmd_mv(fs, argc, argv);
	if (!strcmp(cmd, "ln")) {
		bool sym = argc == 3 && !strcmp(argv[0], "-s");

		if (argc != (sym ? 3 : 2))
			return usage();
		r = sym ? hfs_symlink(fs, argv[1], argv[2]) : hfs_link(fs, argv[0], argv[1]);
		return r ? fail(argv[sym ? 2 : 1], r) : 0;
	}
	fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
	return usage();
}

static bool read_only(const char *cmd)
{
	static const char *const ro[] = { "ls", "cat", "get", "stat", "df", "readlink" };
	size_t i;

	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		if (!strcmp(cmd, ro[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs;
	bool ro;
	int r, ret;

	if (argc < 3)
		return usage();
	ro = read_only(argv[2]);
	if (hfs_host_open(argv[1], ro ? HFS_HOST_RDONLY : 0, &h))
		return EXIT_ERR;
	r = hfs_mount(&h.pm, ro ? HFS_MOUNT_RDONLY : 0, &fs);
	if (r == -EROFS && ro) {
		/* needs journal recovery: replay into the private mapping */
		r = hfs_mount(&h.pm, 0, &fs);
	}
	if (r) {
		hfs_host_close(&h);
		return mount_failed(argv[1], r);
	}
	ret = run(fs, argc - 2, argv + 2);
	r = hfs_unmount(fs);
	if (hfs_host_close(&h) && !r)
		r = -EIO;
	if (r && ret == 0)
		ret = fail(argv[1], r);
	return ret;
}
