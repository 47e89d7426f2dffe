/*
 * cmd_attrs.c - shell commands that change a file's owner, permissions and
 * times (fs/vfs.c "attributes", hfs_setattr):
 *   chmod MODE PATH...            MODE octal (755, 4755) or symbolic
 *                                 (u+x, go-w, a=rX, u+s,o+t; clauses by ',')
 *   chown UID[:GID] | :GID PATH...  numeric ids (there is no user database)
 *   touch [-a] [-m] [-c] [-d DATE | -t STAMP] PATH...
 *                                 as coreutils: both times by default, -a
 *                                 or -m one of them; creates a missing file
 *                                 unless -c; DATE is "YYYY-MM-DD[ HH:MM[:SS[.N]]]"
 *                                 or "@SECONDS[.N]", STAMP [[CC]YY]MMDDhhmm[.ss],
 *                                 both UTC
 * Each path is done in turn; a bad one is reported and the others still
 * done; the command fails if any failed.  Paths without a leading '/' are
 * taken from the root.  Argument errors are reported before any change.
 */
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <kernel/timer.h>
#include <lib/date.h>
#include <lib/string.h>
#include <lib/printf.h>
#include <lib/errno.h>
#include <shell/shell.h>

#define MODE_NEW_FILE	0644

/* Absolute form of @in in @buf (HFS_PATH_MAX), or NULL when too long. */
static const char *abs_path(const char *in, char *buf)
{
	size_t n = strlen(in);

	if (n + 2 > HFS_PATH_MAX)
		return NULL;
	if (in[0] == '/')
		return in;
	buf[0] = '/';
	memcpy(buf + 1, in, n + 1);
	return buf;
}

/* Run @op on every path of @argv[first..argc); 0 or the last error. */
static int each_path(int argc, char **argv, int first,
		     int (*op)(const char *path, const void *arg), const void *arg)
{
	char buf[HFS_PATH_MAX];
	int i, err, ret = 0;

	if (first >= argc)
		return shell_usage_error(argv[0], "needs at least one path");
	if (!vfs_mounted()) {
		shell_printf("%s: no filesystem mounted\n", argv[0]);
		return -ENODEV;
	}
	for (i = first; i < argc; i++) {
		const char *path = abs_path(argv[i], buf);

		err = path ? op(path, arg) : -ENAMETOOLONG;
		if (err) {
			shell_printf("%s: %s: %s\n", argv[0], argv[i], strerror(err));
			ret = err;
		}
	}
	return ret;
}

/* ------------------------------------------------------------ chmod */

/* Who a symbolic clause names: "ugoa" letters, as a mask of mode bits. */
static uint32_t who_bits(const char **s)
{
	uint32_t who = 0;

	for (;; (*s)++) {
		switch (**s) {
		case 'u': who |= 04700; break;
		case 'g': who |= 02070; break;
		case 'o': who |= 01007; break;
		case 'a': who |= 07777; break;
		default: return who;
		}
	}
}

/* The permission letters of a clause, as mode bits (before the who mask). */
static int perm_bits(const char **s, uint32_t old, bool isdir, uint32_t *out)
{
	uint32_t p = 0;

	for (; **s && **s != ','; (*s)++) {
		switch (**s) {
		case 'r': p |= 0444; break;
		case 'w': p |= 0222; break;
		case 'x': p |= 0111; break;
		case 'X': if (isdir || (old & 0111)) p |= 0111; break;
		case 's': p |= 06000; break;
		case 't': p |= 01000; break;
		default: return -EINVAL;
		}
	}
	*out = p;
	return 0;
}

/*
 * parse_mode - @s as chmod takes it, applied to @old: octal (at most
 * 07777), or clauses "[ugoa]*[+-=][rwxXst]*" separated by ','.  Without a
 * "who", a clause means "a" (the umask is 0 here).  Returns 0 with *@out,
 * or -EINVAL.
 */
static int parse_mode(const char *s, uint32_t old, bool isdir, uint32_t *out)
{
	uint32_t mode = old & HFS_MODE_PERM, who, perm;
	uint64_t v;
	char op;

	if (s[0] >= '0' && s[0] <= '7') {
		if (parse_u64(s, 8, &v) || v > HFS_MODE_PERM)
			return -EINVAL;
		*out = (uint32_t)v;
		return 0;
	}
	do {
		who = who_bits(&s);
		if (!who)
			who = 07777;
		op = *s++;
		if ((op != '+' && op != '-' && op != '=') || perm_bits(&s, old, isdir, &perm))
			return -EINVAL;
		perm &= who;
		if (op == '+')
			mode |= perm;
		else if (op == '-')
			mode &= ~perm;
		else
			mode = (mode & ~who) | perm;
	} while (*s++ == ',');
	*out = mode;
	return 0;
}

static int chmod_one(const char *path, const void *arg)
{
	struct hfs_stat st;
	uint32_t mode;
	int err = vfs_stat(path, &st);

	if (err)
		return err;
	if (parse_mode(arg, st.mode, (st.mode & HFS_S_IFMT) == HFS_S_IFDIR, &mode))
		return -EINVAL;
	return vfs_chmod(path, mode);
}

static int cmd_chmod(int argc, char **argv)
{
	uint32_t probe;

	if (argc < 3)
		return shell_usage_error(argv[0], "needs a mode and at least one path");
	if (parse_mode(argv[1], 0, false, &probe))
		return shell_usage_error(argv[0], "invalid mode '%s'", argv[1]);
	return each_path(argc, argv, 2, chmod_one, argv[1]);
}
SHELL_CMD("chmod", "chmod MODE PATH...", "set permissions: octal (755) or symbolic "
	  "(u+x,go-w,a=rX,u+s,+t)", cmd_chmod);

/* ------------------------------------------------------------ chown */

struct owner { uint32_t uid, gid; };

/* One numeric id; 0 or -EINVAL.  (uint32_t)-1 is chown's "keep", not an id. */
static int parse_id(const char *s, size_t len, uint32_t *out)
{
	char buf[16];
	uint64_t v;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (parse_u64(buf, 10, &v) || v >= VFS_ID_KEEP)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "UID", "UID:GID" or ":GID" (numeric). */
static int parse_owner(const char *s, struct owner *o)
{
	const char *colon = strchr(s, ':');

	o->uid = o->gid = VFS_ID_KEEP;
	if (!colon)
		return parse_id(s, strlen(s), &o->uid);
	if (colon != s && parse_id(s, (size_t)(colon - s), &o->uid))
		return -EINVAL;
	return parse_id(colon + 1, strlen(colon + 1), &o->gid);
}

static int chown_one(const char *path, const void *arg)
{
	const struct owner *o = arg;

	return vfs_chown(path, o->uid, o->gid, true);
}

static int cmd_chown(int argc, char **argv)
{
	struct owner o;

	if (argc < 3)
		return shell_usage_error(argv[0], "needs an owner and at least one path");
	if (parse_owner(argv[1], &o))
		return shell_usage_error(argv[0], "invalid owner '%s' (numeric UID[:GID] or :GID)",
					 argv[1]);
	return each_path(argc, argv, 2, chown_one, &o);
}
SHELL_CMD("chown", "chown UID[:GID] PATH...", "set owner and group (numeric ids)", cmd_chown);

/* ------------------------------------------------------------ touch */

/* @n decimal digits of @s as a number; -1 if one is not a digit. */
static int64_t digits(const char *s, unsigned n)
{
	int64_t v = 0;

	while (n--) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/* ".N" (1-9 digits) as nanoseconds; "" as 0; -1 otherwise. */
static int64_t frac_ns(const char *s)
{
	int64_t ns = 0;
	unsigned n = 0;

	if (!*s)
		return 0;
	if (*s++ != '.' || !*s)
		return -1;
	for (; *s; s++, n++) {
		if (n == 9 || *s < '0' || *s > '9')
			return -1;
		ns = ns * 10 + (*s - '0');
	}
	for (; n < 9; n++)
		ns *= 10;
	return ns;
}

/* "@SECONDS[.N]" */
static int parse_epoch(const char *s, uint64_t *ns)
{
	const char *dot = strchr(s, '.');
	char secs[24];
	size_t len = dot ? (size_t)(dot - s) : strlen(s);
	int64_t frac = frac_ns(s + len);
	uint64_t v;

	if (len == 0 || len >= sizeof(secs) || frac < 0)
		return -EINVAL;
	memcpy(secs, s, len);
	secs[len] = '\0';
	if (parse_u64(secs, 10, &v) || v > HFS_TIME_MAX / DATE_NS_PER_SEC)
		return -EINVAL;
	*ns = v * DATE_NS_PER_SEC + (uint64_t)frac;
	return *ns <= HFS_TIME_MAX ? 0 : -EINVAL;
}

/* "YYYY-MM-DD[( |T)HH:MM[:SS[.N]]]", UTC */
static int parse_iso(const char *s, uint64_t *ns)
{
	struct date_time dt = { 0 };
	size_t len = strlen(s);
	int64_t y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), f = 0;

	if (len < 10 || y < 0 || mo < 0 || d < 0 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	dt.year = y;
	dt.month = (unsigned)mo;
	dt.day = (unsigned)d;
	if (len > 10) {
		int64_t h = digits(s + 11, 2), mi = digits(s + 14, 2), se = 0;

		if (len < 16 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || h < 0 || mi < 0)
			return -EINVAL;
		if (len > 16) {
			se = digits(s + 17, 2);
			if (s[16] != ':' || len < 19 || se < 0)
				return -EINVAL;
			f = frac_ns(s + 19);
		}
		if (f < 0)
			return -EINVAL;
		dt.hour = (unsigned)h;
		dt.minute = (unsigned)mi;
		dt.second = (unsigned)se;
		dt.nsec = (uint32_t)f;
	}
	return date_to_unix_ns(&dt, ns) ? -EINVAL : 0;
}

/* touch -t: "[[CC]YY]MMDDhhmm[.ss]", UTC; no year: this year. */
static int parse_stamp(const char *s, uint64_t *ns)
{
	const char *dot = strchr(s, '.');
	size_t len = dot ? (size_t)(dot - s) : strlen(s);
	struct date_time now, dt = { 0 };
	int64_t v, se = 0;

	if (len != 8 && len != 10 && len != 12)
		return -EINVAL;
	if (dot && (strlen(dot) != 3 || (se = digits(dot + 1, 2)) < 0))
		return -EINVAL;
	date_from_unix_ns(time_wall_ns(), &now);
	dt.year = now.year;
	if (len == 12)
		dt.year = digits(s, 4);
	else if (len == 10 && (v = digits(s, 2)) >= 0)
		dt.year = v < 69 ? 2000 + v : 1900 + v;	/* POSIX touch */
	else if (len == 10)
		dt.year = -1;
	s += len - 8;
	if (dt.year < 0 || digits(s, 8) < 0)
		return -EINVAL;
	dt.month = (unsigned)digits(s, 2);
	dt.day = (unsigned)digits(s + 2, 2);
	dt.hour = (unsigned)digits(s + 4, 2);
	dt.minute = (unsigned)digits(s + 6, 2);
	dt.second = (unsigned)se;
	return date_to_unix_ns(&dt, ns) ? -EINVAL : 0;
}

struct touch_opts {
	uint64_t atime, mtime;		/* VFS_TIME_OMIT / HFS_TIME_NOW / a time */
	bool no_create;
};

static int touch_one(const char *path, const void *arg)
{
	const struct touch_opts *o = arg;
	struct hfs_stat st;
	int fd, err = vfs_stat(path, &st);

	if (err == -ENOENT && !o->no_create) {
		fd = vfs_open(path, HFS_O_WRONLY | HFS_O_CREAT, MODE_NEW_FILE);
		if (fd < 0)
			return fd;
		vfs_close(fd);
		err = 0;
	} else if (err == -ENOENT) {
		return 0;			/* -c: nothing to do */
	}
	return err ? err : vfs_utimens(path, o->atime, o->mtime, true);
}

/* Parse touch's options into @o; returns the index of the first path or -EINVAL. */
static int touch_args(int argc, char **argv, struct touch_opts *o)
{
	bool a = false, m = false;
	uint64_t when = HFS_TIME_NOW;
	int i;

	o->no_create = false;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *opt = argv[i];

		if (!strcmp(opt, "-a"))
			a = true;
		else if (!strcmp(opt, "-m"))
			m = true;
		else if (!strcmp(opt, "-c"))
			o->no_create = true;
		else if ((!strcmp(opt, "-d") || !strcmp(opt, "-t")) && i + 1 < argc) {
			const char *v = argv[++i];
			int err = opt[1] == 't' ? parse_stamp(v, &when) :
				  v[0] == '@' ? parse_epoch(v + 1, &when) : parse_iso(v, &when);

			if (err)
				return shell_usage_error(argv[0], "invalid date '%s'", v);
		} else {
			return shell_usage_error(argv[0], "unknown option '%s'", opt);
		}
	}
	if (!a && !m)
		a = m = true;
	o->atime = a ? when : VFS_TIME_OMIT;
	o->mtime = m ? when : VFS_TIME_OMIT;
	return i;
}

static int cmd_touch(int argc, char **argv)
{
	struct touch_opts o;
	int first = touch_args(argc, argv, &o);

	if (first < 0)
		return first;
	return each_path(argc, argv, first, touch_one, &o);
}
SHELL_CMD("touch", "touch [-a] [-m] [-c] [-d DATE | -t STAMP] PATH...",
	  "set access and modify times (now, or DATE: YYYY-MM-DD[ HH:MM[:SS[.N]]] or "
	  "@SECONDS, STAMP: [[CC]YY]MMDDhhmm[.ss], UTC); creates missing files unless -c",
	  cmd_touch);
