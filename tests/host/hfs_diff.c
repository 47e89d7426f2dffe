/*
 * hfs_diff.c - the differential driver: random operations on holdfs and on
 * the model, compared step by step (see hfs_diff.h).
 *
 * Layout: random choices, path generation, operation generation, the
 * comparisons (stat, contents, listings, whole tree), execution of one step,
 * remount and the run loop with its final leak check.
 */
#include "hfs_diff.h"
#include <stdarg.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>

#define MAX_PATHS	512
#define MAX_DEPTH	4
#define LISTING_MAX	100000

/* ------------------------------------------------------------ output */

static void vsay(struct hfsd *d, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (d->env.print)
		d->env.print(d->env.ctx, line);
}

void hfsd_print(struct hfsd *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(d, fmt, ap);
	va_end(ap);
}

int hfsd_fail(struct hfsd *d, const char *fmt, ...)
{
	va_list ap;
	uint64_t i, first;

	if (d->failed)
		return -1;
	d->failed = true;
	hfsd_print(d, "MISMATCH at step %llu (seed %llu; rerun with HFS_SEED=%llu HFS_OPS=%llu):",
		   (unsigned long long)d->st.steps, (unsigned long long)d->cfg.seed,
		   (unsigned long long)d->cfg.seed, (unsigned long long)d->st.steps);
	va_start(ap, fmt);
	vsay(d, fmt, ap);
	va_end(ap);
	hfsd_print(d, "last steps:");
	first = d->ring_n > HFSD_RING ? d->ring_n - HFSD_RING : 0;
	for (i = first; i < d->ring_n; i++)
		hfsd_print(d, "  %s", d->ring[i % HFSD_RING]);
	return -1;
}

static const char *ename(int64_t r)
{
	return r < 0 ? errno_name((int)-r) : "ok";
}

/* ------------------------------------------------------------ randomness */

static uint64_t rnd(struct hfsd *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct hfsd *d, uint64_t n)
{
	return n ? rnd(d) % n : 0;
}

static bool chance(struct hfsd *d, unsigned pct)
{
	return below(d, 100) < pct;
}

uint8_t hfsd_alphabet(uint64_t gen, uint64_t r)
{
	return (uint8_t)(1 + (gen % 31) * 8 + (r & 7));
}

bool hfsd_in_alphabet(uint64_t gen, uint8_t b)
{
	return b != 0 && (uint64_t)(b - 1) / 8 == gen % 31;
}

/* ------------------------------------------------------------ paths */

static const char *const pool[] = { "a", "b", "c", "d", "e", "f" };

static void rand_name(struct hfsd *d, char *out, bool allow_long)
{
	uint64_t r = below(d, 100);

	if (allow_long && r < 3) {
		/* 255 bytes (the limit) or 256 (-ENAMETOOLONG) */
		size_t len = r < 2 ? HFS_NAME_MAX : HFS_NAME_MAX + 1;

		memset(out, r == 0 ? 'L' : 'M', len);
		out[len] = 0;
		return;
	}
	strlcpy(out, pool[below(d, sizeof(pool) / sizeof(pool[0]))], HFS_NAME_MAX + 2);
}

static void rand_path(struct hfsd *d, char *out)
{
	char name[HFS_NAME_MAX + 2];
	uint64_t i, depth = 1 + below(d, 3);

	out[0] = 0;
	for (i = 0; i < depth; i++) {
		rand_name(d, name, i + 1 == depth);
		strlcat(out, "/", HFSD_PATH);
		strlcat(out, name, HFSD_PATH);
	}
}

static void refresh_paths(struct hfsd *d)
{
	uint32_t done = 0;

	d->npaths = 1;
	strlcpy(d->paths[0], "/", HFSD_PATH);
	d->path_node[0] = d->m->root;
	/* breadth first: each listed directory is expanded once */
	while (done < d->npaths) {
		uint32_t id = d->path_node[done], i, n;
		struct hfsm_node *node = hfsm_node(d->m, id);
		const char *prefix = d->paths[done];

		done++;
		if (node->type != HFS_S_IFDIR)
			continue;
		n = hfsm_dir_count(d->m, id);
		for (i = 0; i < n && d->npaths < MAX_PATHS; i++) {
			const struct hfsm_dirent *e = hfsm_dir_entry(d->m, id, i);
			char *p = d->paths[d->npaths];

			if (strlen(prefix) + strlen(e->name) + 2 >= HFSD_PATH)
				continue;
			strlcpy(p, strcmp(prefix, "/") ? prefix : "", HFSD_PATH);
			strlcat(p, "/", HFSD_PATH);
			strlcat(p, e->name, HFSD_PATH);
			d->path_node[d->npaths++] = e->child;
		}
	}
}

static uint32_t path_type(struct hfsd *d, uint32_t i)
{
	return hfsm_node(d->m, d->path_node[i])->type;
}

/* An existing path of the given type (0: any but the root), else a random one. */
static void existing_path(struct hfsd *d, char *out, uint32_t type)
{
	uint32_t cand[MAX_PATHS], n = 0, i;

	for (i = 1; i < d->npaths; i++)
		if (!type || path_type(d, i) == type)
			cand[n++] = i;
	if (!n) {
		rand_path(d, out);
		return;
	}
	strlcpy(out, d->paths[cand[below(d, n)]], HFSD_PATH);
}

/* A path whose parent most likely exists (a directory or a symlink to one). */
static void new_path(struct hfsd *d, char *out)
{
	char name[HFS_NAME_MAX + 2];
	uint64_t r = below(d, 100);

	if (r < 15) {
		rand_path(d, out);
		return;
	}
	if (r < 25)
		existing_path(d, out, HFS_S_IFLNK);
	else if (r < 85 || d->npaths == 1)
		existing_path(d, out, HFS_S_IFDIR);
	else
		strlcpy(out, "/", HFSD_PATH);
	if (r >= 25 && d->npaths > 1 && chance(d, 30))
		strlcpy(out, "/", HFSD_PATH);
	rand_name(d, name, true);
	if (strcmp(out, "/") == 0)
		out[0] = 0;
	if (strlen(out) + strlen(name) + 2 >= HFSD_PATH) {
		rand_path(d, out);
		return;
	}
	strlcat(out, "/", HFSD_PATH);
	strlcat(out, name, HFSD_PATH);
}

static void any_path(struct hfsd *d, char *out)
{
	if (chance(d, 65) && d->npaths > 1)
		existing_path(d, out, 0);
	else
		new_path(d, out);
}

/* ------------------------------------------------------------ generation */

static const unsigned weights[HFSD_NKINDS] = {
	[HFSD_OPEN] = 10, [HFSD_CLOSE] = 6, [HFSD_READ] = 8, [HFSD_WRITE] = 14,
	[HFSD_APPEND] = 4, [HFSD_TRUNCATE] = 5, [HFSD_FALLOCATE] = 10,
	[HFSD_FSYNC] = 2, [HFSD_GETATTR] = 2, [HFSD_UNLINK] = 5, [HFSD_MKDIR] = 5,
	[HFSD_RMDIR] = 4, [HFSD_RENAME] = 7, [HFSD_LINK] = 4, [HFSD_SYMLINK] = 4,
	[HFSD_READLINK] = 3, [HFSD_STAT] = 4, [HFSD_STATFS] = 1, [HFSD_READDIR] = 4,
};

static const char *const kind_names[HFSD_NKINDS] = {
	"open", "close", "read", "write", "append", "truncate", "fallocate",
	"fsync", "getattr", "unlink", "mkdir", "rmdir", "rename", "link",
	"symlink", "readlink", "stat", "statfs", "readdir",
};

static int pick_handle(struct hfsd *d, bool used)
{
	int cand[HFSD_MAX_HANDLES], n = 0, i;

	for (i = 0; i < HFSD_MAX_HANDLES; i++)
		if ((d->h[i].ip != NULL) == used)
			cand[n++] = i;
	return n ? cand[below(d, (uint64_t)n)] : -1;
}

static uint64_t handle_size(struct hfsd *d, int h)
{
	struct hfsm_node *n = hfsm_node(d->m, d->h[h].mid);

	return n->type == HFS_S_IFREG ? n->size : 0;
}

static uint64_t rand_len(struct hfsd *d, uint64_t max)
{
	uint64_t len;

	if (max == 0)
		return 0;
	switch (below(d, 4)) {
	case 0:
		len = 1 + below(d, 64);
		break;
	case 1:
		len = HFS_BLOCK_SIZE * (1 + below(d, 4));
		break;
	default:
		len = 1 + below(d, max);
		break;
	}
	return len > max ? max : len;
}

/* An offset relative to a file of the given size, below max_file. */
static uint64_t rand_off(struct hfsd *d, uint64_t size)
{
	uint64_t off, mf = d->cfg.max_file;

	switch (below(d, 10)) {
	case 0: case 1: case 2: case 3:
		off = below(d, size + 1);
		break;
	case 4: case 5:
		off = size;
		break;
	case 6: case 7:
		off = size + below(d, 64 * 1024);
		break;
	case 8:
		off = below(d, mf / HFS_BLOCK_SIZE + 1) * HFS_BLOCK_SIZE;
		break;
	default:
		/* around a 2 MiB boundary (huge-page extents) */
		off = 2 * 1024 * 1024 - 8192 + below(d, 16384);
		break;
	}
	return off > mf ? below(d, mf + 1) : off;
}

static const int falloc_modes[] = {
	0, 0, HFS_FALLOC_KEEP_SIZE, HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE,
	HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE, HFS_FALLOC_ZERO_RANGE,
	HFS_FALLOC_ZERO_RANGE | HFS_FALLOC_KEEP_SIZE, HFS_FALLOC_COLLAPSE,
	HFS_FALLOC_COLLAPSE, HFS_FALLOC_INSERT, HFS_FALLOC_INSERT,
	/* refused combinations */
	HFS_FALLOC_PUNCH_HOLE, HFS_FALLOC_COLLAPSE | HFS_FALLOC_KEEP_SIZE,
	HFS_FALLOC_INSERT | HFS_FALLOC_KEEP_SIZE,
	HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_ZERO_RANGE | HFS_FALLOC_KEEP_SIZE, 0x40,
};

static void gen_falloc(struct hfsd *d, struct hfsd_op *op, uint64_t size)
{
	uint64_t blocks = size / HFS_BLOCK_SIZE, mf = d->cfg.max_file;
	int mode = falloc_modes[below(d, sizeof(falloc_modes) / sizeof(falloc_modes[0]))];

	op->flags = mode;
	if (chance(d, 70)) {
		op->off = below(d, blocks + 2) * HFS_BLOCK_SIZE;
		op->len = (1 + below(d, blocks / 2 + 2)) * HFS_BLOCK_SIZE;
	} else {
		op->off = rand_off(d, size);
		op->len = rand_len(d, 3 * HFS_BLOCK_SIZE);
	}
	if (chance(d, 3))
		op->len = 0;
	if ((mode & HFS_FALLOC_INSERT) && size + op->len > mf)
		op->len = HFS_BLOCK_SIZE;
	if (op->off > mf)
		op->off = mf;
	if (op->off + op->len > mf)
		op->len = mf - op->off;
}

static uint32_t rand_perm(struct hfsd *d)
{
	static const uint32_t perms[] = { 0644, 0600, 0755, 0777, 0640, 0700 };

	return perms[below(d, sizeof(perms) / sizeof(perms[0]))];
}

static void gen_symlink_target(struct hfsd *d, struct hfsd_op *op)
{
	uint64_t r = below(d, 100);

	if (r < 65)
		existing_path(d, op->path, 0);
	else if (r < 82)
		rand_path(d, op->path);
	else if (r < 92)
		strlcpy(op->path, pool[below(d, sizeof(pool) / sizeof(pool[0]))], HFSD_PATH);
	else
		strlcpy(op->path, op->path2, HFSD_PATH);	/* a loop onto itself */
}

static enum hfsd_kind pick_kind(struct hfsd *d)
{
	unsigned w[HFSD_NKINDS], total = 0, i;
	uint64_t r;
	bool crowded = d->npaths > d->cfg.max_nodes;

	for (i = 0; i < HFSD_NKINDS; i++) {
		w[i] = weights[i];
		if (crowded && (i == HFSD_UNLINK || i == HFSD_RMDIR))
			w[i] *= 6;
		total += w[i];
	}
	r = below(d, total);
	for (i = 0; i < HFSD_NKINDS; i++) {
		if (r < w[i])
			return (enum hfsd_kind)i;
		r -= w[i];
	}
	return HFSD_STATFS;
}

void hfsd_gen(struct hfsd *d, struct hfsd_op *op)
{
	static const int accmodes[] = { HFS_O_RDONLY, HFS_O_WRONLY, HFS_O_RDWR, HFS_O_RDWR };
	enum hfsd_kind k;
	bool handle_op;
	uint64_t size;

	refresh_paths(d);
	k = pick_kind(d);
	handle_op = k == HFSD_READ || k == HFSD_WRITE || k == HFSD_APPEND ||
		    k == HFSD_TRUNCATE || k == HFSD_FALLOCATE || k == HFSD_FSYNC ||
		    k == HFSD_GETATTR || k == HFSD_CLOSE;
	memset(op, 0, sizeof(*op));
	op->h = -1;
	if (handle_op && pick_handle(d, true) < 0)
		k = HFSD_OPEN;
	if (k == HFSD_OPEN && pick_handle(d, false) < 0)
		k = HFSD_CLOSE;
	op->kind = k;
	op->data_seed = rnd(d);
	if (handle_op || k == HFSD_CLOSE)
		op->h = pick_handle(d, true);
	size = op->h >= 0 ? handle_size(d, op->h) : 0;

	switch (k) {
	case HFSD_OPEN:
		op->h = pick_handle(d, false);
		if (chance(d, 50)) {
			existing_path(d, op->path, chance(d, 80) ? HFS_S_IFREG : 0);
			op->flags = accmodes[below(d, 4)];
			if (chance(d, 30))
				op->flags |= HFS_O_CREAT;
		} else {
			new_path(d, op->path);
			op->flags = accmodes[below(d, 4)];
			if (chance(d, 90))
				op->flags |= HFS_O_CREAT;
		}
		if ((op->flags & HFS_O_CREAT) && chance(d, 20))
			op->flags |= HFS_O_EXCL;
		/* O_RDONLY|O_TRUNC is left out: POSIX leaves it unspecified
		 * (Linux truncates, holdfs does not) */
		if (chance(d, 12) && (op->flags & HFS_O_ACCMODE) != HFS_O_RDONLY)
			op->flags |= HFS_O_TRUNC;
		if (chance(d, 10))
			op->flags |= HFS_O_APPEND;
		if (chance(d, 8))
			op->flags |= HFS_O_NOFOLLOW;
		op->mode = rand_perm(d);
		if ((op->flags & HFS_O_CREAT) &&
		    (d->cfg.avoid & (HFSD_AVOID_OPEN_CREAT_DIR | HFSD_AVOID_CREAT_DANGLING))) {
			uint32_t id;
			int lr = hfsm_lookup(d->m, op->path, true, &id);

			if ((d->cfg.avoid & HFSD_AVOID_OPEN_CREAT_DIR) && lr == 0 &&
			    hfsm_node(d->m, id)->type == HFS_S_IFDIR)
				op->flags &= ~HFS_O_CREAT;
			if ((d->cfg.avoid & HFSD_AVOID_CREAT_DANGLING) && lr == -ENOENT &&
			    hfsm_lookup(d->m, op->path, false, &id) == 0)
				op->flags &= ~HFS_O_CREAT;
		}
		break;
	case HFSD_READ:
		op->off = chance(d, 80) ? below(d, size + 1) : rand_off(d, size);
		op->len = rand_len(d, d->cfg.max_write * 2);
		break;
	case HFSD_WRITE:
		op->off = rand_off(d, size);
		op->len = rand_len(d, d->cfg.max_write);
		if (op->off + op->len > d->cfg.max_file)
			op->len = d->cfg.max_file > op->off ? d->cfg.max_file - op->off : 0;
		break;
	case HFSD_APPEND:
		op->len = rand_len(d, d->cfg.max_write);
		if (size + op->len > d->cfg.max_file)
			op->len = d->cfg.max_file > size ? d->cfg.max_file - size : 0;
		break;
	case HFSD_TRUNCATE:
		switch (below(d, 5)) {
		case 0:
			op->off = 0;
			break;
		case 1:
			op->off = size ? size - 1 - below(d, size < 5000 ? size : 5000) : 0;
			break;
		case 2:
			op->off = size + below(d, 10000);
			break;
		case 3:
			op->off = below(d, size + 1) & ~(uint64_t)(HFS_BLOCK_SIZE - 1);
			break;
		default:
			op->off = below(d, d->cfg.max_file + 1);
			break;
		}
		if (op->off > d->cfg.max_file)
			op->off = d->cfg.max_file;
		break;
	case HFSD_FALLOCATE:
		gen_falloc(d, op, size);
		break;
	case HFSD_UNLINK:
		if (chance(d, 75))
			existing_path(d, op->path, chance(d, 80) ? HFS_S_IFREG : 0);
		else
			any_path(d, op->path);
		break;
	case HFSD_MKDIR:
		if (chance(d, 85))
			new_path(d, op->path);
		else
			any_path(d, op->path);
		op->mode = rand_perm(d);
		break;
	case HFSD_RMDIR:
		if (chance(d, 75))
			existing_path(d, op->path, HFS_S_IFDIR);
		else
			any_path(d, op->path);
		break;
	case HFSD_RENAME:
		if (chance(d, 85))
			existing_path(d, op->path, 0);
		else
			any_path(d, op->path);
		if (chance(d, 50))
			new_path(d, op->path2);
		else
			existing_path(d, op->path2, 0);
		if ((d->cfg.avoid & HFSD_AVOID_RENAME_SELF) && !strcmp(op->path, op->path2))
			strlcat(op->path2, "x", HFSD_PATH);
		if (d->cfg.rename_flags && chance(d, 40))
			op->flags = chance(d, 50) ? HFS_RENAME_EXCHANGE : HFS_RENAME_NOREPLACE;
		break;
	case HFSD_LINK:
		existing_path(d, op->path, chance(d, 85) ? HFS_S_IFREG : 0);
		if (chance(d, 80))
			new_path(d, op->path2);
		else
			any_path(d, op->path2);
		break;
	case HFSD_SYMLINK:
		new_path(d, op->path2);
		gen_symlink_target(d, op);
		break;
	case HFSD_READLINK:
		if (chance(d, 70))
			existing_path(d, op->path, HFS_S_IFLNK);
		else
			any_path(d, op->path);
		op->len = chance(d, 80) ? HFS_PATH_MAX : below(d, 8);
		break;
	case HFSD_STAT:
		any_path(d, op->path);
		op->flags = chance(d, 50);
		break;
	case HFSD_READDIR:
		existing_path(d, op->path, HFS_S_IFDIR);
		if (chance(d, 15))
			strlcpy(op->path, "/", HFSD_PATH);
		break;
	default:
		break;
	}
}

const char *hfsd_kind_name(enum hfsd_kind k)
{
	return k < HFSD_NKINDS ? kind_names[k] : "?";
}

void hfsd_describe(const struct hfsd_op *op, char *buf, size_t size)
{
	const char *k = kind_names[op->kind];
	unsigned long long off = op->off, len = op->len;
	const char *p1 = op->path, *p2 = op->path2;
	char s1[48], s2[48];

	/* long names are shown by their length */
	if (strlen(p1) > 40) {
		snprintf(s1, sizeof(s1), "<%u-byte path>", (unsigned)strlen(p1));
		p1 = s1;
	}
	if (strlen(p2) > 40) {
		snprintf(s2, sizeof(s2), "<%u-byte path>", (unsigned)strlen(p2));
		p2 = s2;
	}
	switch (op->kind) {
	case HFSD_OPEN:
		snprintf(buf, size, "%s %s flags=0%o mode=0%o -> h%d", k, p1,
			 (unsigned)op->flags, (unsigned)op->mode, op->h);
		break;
	case HFSD_CLOSE: case HFSD_FSYNC: case HFSD_GETATTR:
		snprintf(buf, size, "%s h%d", k, op->h);
		break;
	case HFSD_READ: case HFSD_WRITE:
		snprintf(buf, size, "%s h%d off=%llu len=%llu", k, op->h, off, len);
		break;
	case HFSD_APPEND:
		snprintf(buf, size, "%s h%d len=%llu", k, op->h, len);
		break;
	case HFSD_TRUNCATE:
		snprintf(buf, size, "%s h%d size=%llu", k, op->h, off);
		break;
	case HFSD_FALLOCATE:
		snprintf(buf, size, "%s h%d mode=0x%x off=%llu len=%llu", k, op->h,
			 (unsigned)op->flags, off, len);
		break;
	case HFSD_MKDIR:
		snprintf(buf, size, "%s %s mode=0%o", k, p1, (unsigned)op->mode);
		break;
	case HFSD_RENAME:
		snprintf(buf, size, "%s %s %s flags=%d", k, p1, p2, op->flags);
		break;
	case HFSD_LINK:
		snprintf(buf, size, "%s %s %s", k, p1, p2);
		break;
	case HFSD_SYMLINK:
		snprintf(buf, size, "%s target=%s %s", k, p1, p2);
		break;
	case HFSD_READLINK:
		snprintf(buf, size, "%s %s size=%llu", k, p1, len);
		break;
	case HFSD_STAT:
		snprintf(buf, size, "%s %s follow=%d", k, p1, op->flags);
		break;
	default:
		snprintf(buf, size, "%s %s", k, p1);
		break;
	}
}

/* ------------------------------------------------------------ comparisons */

struct ent {
	char *name;
	uint32_t type;
	uint64_t ino;		/* holdfs ino, or model node id */
};

static void sort_ents(struct ent *e, uint32_t n)
{
	uint32_t i, j;

	for (i = 1; i < n; i++) {
		struct ent x = e[i];

		for (j = i; j > 0 && strcmp(e[j - 1].name, x.name) > 0; j--)
			e[j] = e[j - 1];
		e[j] = x;
	}
}

static void free_ents(struct ent *e, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		hfs_free(e[i].name);
	hfs_free(e);
}

static char *dupstr(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = hfs_alloc(n);

	memcpy(p, s, n);
	return p;
}

/* holdfs's listing of the directory at path, without "." and "..". */
static int fs_listing(struct hfs_fs *fs, const char *path, bool follow, struct ent **out,
		      uint32_t *nout, char *why, size_t whysize)
{
	struct hfs_inode *ip;
	struct hfs_dirent *de = hfs_alloc(sizeof(*de));
	uint64_t cookie = 0;
	uint32_t n = 0, cap = 16;
	struct ent *e = hfs_alloc(cap * sizeof(*e));
	int r = hfs_lookup(fs, path, follow, &ip);

	if (r) {
		snprintf(why, whysize, "lookup(%s) of a directory: %s", path, ename(r));
		goto out_free;
	}
	for (;;) {
		r = hfs_readdir(ip, &cookie, de);
		if (r <= 0)
			break;
		if (strcmp(de->name, ".") == 0 || strcmp(de->name, "..") == 0)
			continue;
		if (n == LISTING_MAX) {
			r = -ELOOP;
			break;
		}
		if (n == cap) {
			struct ent *ne = hfs_alloc(2 * cap * sizeof(*ne));

			memcpy(ne, e, cap * sizeof(*ne));
			hfs_free(e);
			e = ne;
			cap *= 2;
		}
		e[n].name = dupstr(de->name);
		e[n].type = de->type;
		e[n].ino = de->ino;
		n++;
	}
	hfs_iput(ip);
	if (r < 0) {
		snprintf(why, whysize, "readdir(%s) after %u entries: %s", path, n, ename(r));
		free_ents(e, n);
		hfs_free(de);
		return -1;
	}
	hfs_free(de);
	sort_ents(e, n);
	*out = e;
	*nout = n;
	return 0;
out_free:
	hfs_free(de);
	hfs_free(e);
	return -1;
}

static void child_path(char *out, const char *dir, const char *name)
{
	strlcpy(out, strcmp(dir, "/") ? dir : "", HFSD_PATH);
	strlcat(out, "/", HFSD_PATH);
	strlcat(out, name, HFSD_PATH);
}

/* Check a holdfs inode number against the model node's mapping. */
static int check_ino(struct hfsm_node *n, uint64_t ino, bool learn, const char *path,
		     char *why, size_t whysize)
{
	if (!n->fs_ino) {
		if (learn)
			n->fs_ino = ino;
		return 0;
	}
	if (n->fs_ino != ino) {
		snprintf(why, whysize, "%s: inode %llu, expected %llu (hard links must share one)",
			 path, (unsigned long long)ino, (unsigned long long)n->fs_ino);
		return -1;
	}
	return 0;
}

static int cmp_stat(struct hfsm_node *n, const struct hfs_stat *st, bool learn, bool fuzzy,
		    const char *path, char *why, size_t whysize)
{
	uint32_t type = st->mode & HFS_S_IFMT;

	if (type != n->type) {
		snprintf(why, whysize, "%s: type 0%o, expected 0%o", path, type, n->type);
		return -1;
	}
	if (n->type != HFS_S_IFLNK && (st->mode & 07777) != n->perm) {
		snprintf(why, whysize, "%s: permissions 0%o, expected 0%o", path,
			 st->mode & 07777, n->perm);
		return -1;
	}
	if (st->nlink != n->nlink) {
		snprintf(why, whysize, "%s: nlink %u, expected %u", path, st->nlink, n->nlink);
		return -1;
	}
	if (n->type == HFS_S_IFLNK && st->size != strlen(n->target)) {
		snprintf(why, whysize, "%s: symlink size %llu, expected %u", path,
			 (unsigned long long)st->size, (unsigned)strlen(n->target));
		return -1;
	}
	if (n->type == HFS_S_IFREG && !(fuzzy && n->dirty) && st->size != n->size) {
		snprintf(why, whysize, "%s: size %llu, expected %llu", path,
			 (unsigned long long)st->size, (unsigned long long)n->size);
		return -1;
	}
	return check_ino(n, st->ino, learn, path, why, whysize);
}

static bool size_allowed(struct hfsm_node *n, uint64_t size)
{
	uint32_t i;
	uint64_t lo = UINT64_MAX, hi = 0;

	for (i = 0; i < n->n_alt; i++) {
		if (n->alt_sizes[i] == size)
			return true;
		lo = n->alt_sizes[i] < lo ? n->alt_sizes[i] : lo;
		hi = n->alt_sizes[i] > hi ? n->alt_sizes[i] : hi;
	}
	return size == n->size || (n->alt_overflow && size >= lo && size <= hi);
}

/* Whole contents of an open regular file against the model node. */
static int cmp_data(struct hfsd *d, struct hfs_inode *ip, struct hfsm_node *n, bool fuzzy,
		    const char *what, char *why, size_t whysize)
{
	struct hfs_stat st;
	uint64_t size, got = 0, i;
	int64_t r = hfs_getattr(ip, &st);

	if (r) {
		snprintf(why, whysize, "%s: getattr: %s", what, ename(r));
		return -1;
	}
	size = st.size;
	if (fuzzy && n->dirty) {
		if (!size_allowed(n, size)) {
			snprintf(why, whysize, "%s: size %llu after a crash; model size %llu, "
				 "none of the sizes since the last fsync", what,
				 (unsigned long long)size, (unsigned long long)n->size);
			return -1;
		}
	} else if (size != n->size) {
		snprintf(why, whysize, "%s: size %llu, expected %llu", what,
			 (unsigned long long)size, (unsigned long long)n->size);
		return -1;
	}
	/*
	 * The size was just checked against the model, so it is one the file
	 * really had; only the read buffer may be too small (a script may
	 * fallocate or truncate past cfg.max_file): grow it.
	 */
	if (size + 1 > d->cmp_cap) {
		uint8_t *nb = hfs_alloc(size + 1);

		if (!nb) {
			snprintf(why, whysize, "%s: no memory to read %llu bytes", what,
				 (unsigned long long)size);
			return -1;
		}
		hfs_free(d->cmp_buf);
		d->cmp_buf = nb;
		d->cmp_cap = size + 1;
	}
	while (got < size + 1) {
		r = hfs_read(ip, got, d->cmp_buf + got, size + 1 - got);
		if (r < 0) {
			snprintf(why, whysize, "%s: read at %llu: %s", what,
				 (unsigned long long)got, ename(r));
			return -1;
		}
		if (r == 0)
			break;
		got += (uint64_t)r;
	}
	if (got != size) {
		snprintf(why, whysize, "%s: read %llu bytes of a %llu-byte file", what,
			 (unsigned long long)got, (unsigned long long)size);
		return -1;
	}
	if (!(fuzzy && n->dirty) && memcmp(d->cmp_buf, n->data, size) == 0)
		return 0;
	for (i = 0; i < size; i++) {
		uint8_t b = d->cmp_buf[i];
		bool ok;

		if (fuzzy && n->dirty)
			ok = b == 0 || hfsd_in_alphabet(n->gen, b) ||
			     (i < n->size && b == n->data[i]);
		else
			ok = b == n->data[i];
		if (!ok) {
			snprintf(why, whysize, "%s: byte %llu is 0x%02x, expected 0x%02x%s "
				 "(size %llu)", what, (unsigned long long)i, b,
				 i < n->size ? n->data[i] : 0,
				 fuzzy && n->dirty ? " or zero or this file's alphabet" : "",
				 (unsigned long long)size);
			return -1;
		}
	}
	return 0;
}

static int cmp_listing(struct hfsd *d, struct hfs_fs *fs, struct hfsm *m, uint32_t dir,
		       const char *path, bool follow, bool learn, struct ent **fe_out, uint32_t *fn_out,
		       char *why, size_t whysize)
{
	struct ent *fe, *me;
	uint32_t fn, mn = hfsm_dir_count(m, dir), i;
	int r = -1;

	if (fs_listing(fs, path, follow, &fe, &fn, why, whysize))
		return -1;
	me = hfs_alloc((mn + 1) * sizeof(*me));
	for (i = 0; i < mn; i++) {
		const struct hfsm_dirent *e = hfsm_dir_entry(m, dir, i);

		me[i].name = dupstr(e->name);
		me[i].type = hfsm_node(m, e->child)->type;
		me[i].ino = e->child;
	}
	sort_ents(me, mn);
	for (i = 0; i < fn || i < mn; i++) {
		if (i >= fn || i >= mn || strcmp(fe[i].name, me[i].name) != 0) {
			const char *fname = i < fn ? fe[i].name : "(end)";
			const char *mname = i < mn ? me[i].name : "(end)";

			snprintf(why, whysize, "listing of %s (%u entries, expected %u): entry %u "
				 "is '%.40s', expected '%.40s'", path, fn, mn, i, fname, mname);
			goto out;
		}
		if (fe[i].type != me[i].type) {
			snprintf(why, whysize, "listing of %s: '%.40s' has type 0%o, expected 0%o",
				 path, fe[i].name, fe[i].type, me[i].type);
			goto out;
		}
		if (check_ino(hfsm_node(m, (uint32_t)me[i].ino), fe[i].ino, learn,
			      fe[i].name, why, whysize))
			goto out;
	}
	r = 0;
out:
	free_ents(me, mn);
	if (r == 0 && fe_out) {
		*fe_out = fe;
		*fn_out = fn;
	} else {
		free_ents(fe, fn);
	}
	return r;
}

static int cmp_node(struct hfsd *d, struct hfs_fs *fs, struct hfsm *m, uint32_t id,
		    const char *path, bool fuzzy, bool learn, int depth, char *why, size_t whysize);

static int cmp_dir_tree(struct hfsd *d, struct hfs_fs *fs, struct hfsm *m, uint32_t dir,
			const char *path, bool fuzzy, bool learn, int depth, char *why,
			size_t whysize)
{
	uint32_t n = hfsm_dir_count(m, dir), i;
	char *cp;
	int r = 0;

	if (cmp_listing(d, fs, m, dir, path, false, learn, NULL, NULL, why, whysize))
		return -1;
	cp = hfs_alloc(HFSD_PATH);
	for (i = 0; i < n && !r; i++) {
		const struct hfsm_dirent *e = hfsm_dir_entry(m, dir, i);

		if (strlen(path) + strlen(e->name) + 2 >= HFSD_PATH)
			continue;
		child_path(cp, path, e->name);
		r = cmp_node(d, fs, m, e->child, cp, fuzzy, learn, depth + 1, why, whysize);
	}
	hfs_free(cp);
	return r;
}

static int cmp_node(struct hfsd *d, struct hfs_fs *fs, struct hfsm *m, uint32_t id,
		    const char *path, bool fuzzy, bool learn, int depth, char *why, size_t whysize)
{
	struct hfsm_node *n = hfsm_node(m, id);
	struct hfs_inode *ip;
	struct hfs_stat st;
	int r = hfs_lookup(fs, path, false, &ip);

	if (r) {
		snprintf(why, whysize, "lookup(%s): %s, expected success", path, ename(r));
		return -1;
	}
	r = hfs_getattr(ip, &st);
	if (r) {
		snprintf(why, whysize, "getattr(%s): %s", path, ename(r));
		goto out;
	}
	r = cmp_stat(n, &st, learn, fuzzy, path, why, whysize);
	if (r)
		goto out;
	if (n->type == HFS_S_IFREG) {
		r = cmp_data(d, ip, n, fuzzy, path, why, whysize);
	} else if (n->type == HFS_S_IFLNK) {
		char *buf = hfs_alloc(HFS_PATH_MAX + 1);
		int len = hfs_readlink(fs, path, buf, HFS_PATH_MAX + 1);

		if (len < 0 || (size_t)len != strlen(n->target) ||
		    memcmp(buf, n->target, (size_t)len) != 0) {
			snprintf(why, whysize, "readlink(%s) = %d '%.60s', expected '%.60s'",
				 path, len, len > 0 ? buf : "", n->target);
			r = -1;
		}
		hfs_free(buf);
	} else if (depth < 64) {
		r = cmp_dir_tree(d, fs, m, id, path, fuzzy, learn, depth, why, whysize);
	}
out:
	hfs_iput(ip);
	return r ? -1 : 0;
}

int hfsd_compare_tree(struct hfsd *d, struct hfs_fs *fs, struct hfsm *m, bool fuzzy,
		      bool learn, char *why, size_t whysize)
{
	return cmp_node(d, fs, m, m->root, "/", fuzzy, learn, 0, why, whysize);
}

/* ------------------------------------------------------------ one step */

static bool may_enospc(const struct hfsd_op *op)
{
	switch (op->kind) {
	case HFSD_OPEN:
		return op->flags & HFS_O_CREAT;
	case HFSD_WRITE: case HFSD_APPEND: case HFSD_TRUNCATE: case HFSD_FALLOCATE:
	case HFSD_MKDIR: case HFSD_RENAME: case HFSD_LINK: case HFSD_SYMLINK:
		return true;
	default:
		return false;
	}
}

static bool read_only(const struct hfsd_op *op)
{
	switch (op->kind) {
	case HFSD_READ: case HFSD_GETATTR: case HFSD_READLINK: case HFSD_STAT:
	case HFSD_STATFS: case HFSD_READDIR: case HFSD_FSYNC:
		return true;
	case HFSD_OPEN:
		return !(op->flags & (HFS_O_CREAT | HFS_O_TRUNC));
	default:
		return false;
	}
}

static void fill_data(struct hfsd *d, const struct hfsd_op *op, uint64_t gen)
{
	uint64_t s = op->data_seed, i;

	for (i = 0; i < op->len; i += 8) {
		uint64_t z = (s += 0x9e3779b97f4a7c15ull), j;

		z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ull;
		z ^= z >> 29;
		for (j = 0; j < 8 && i + j < op->len; j++, z >>= 8)
			d->wbuf[i + j] = d->cfg.crash_data ? hfsd_alphabet(gen, z) : (uint8_t)z;
	}
}

/*
 * Apply op to model m; *r1 gets its result.  For OPEN, *mid the node.
 * limit: for writes, the byte count to apply (a short write).
 */
static int64_t model_apply(struct hfsd *d, struct hfsm *m, const struct hfsd_op *op,
			   uint64_t limit, uint32_t *mid, char *lbuf, struct hfs_stat *mst)
{
	uint32_t id = op->h >= 0 && op->kind != HFSD_OPEN ? d->h[op->h].mid : 0;

	switch (op->kind) {
	case HFSD_OPEN:
		return hfsm_open(m, op->path, op->flags, op->mode, mid);
	case HFSD_CLOSE:
		return 0;
	case HFSD_READ:
		return hfsm_read(m, id, op->off, d->buf_b, op->len);
	case HFSD_WRITE:
		return hfsm_write(m, id, op->off, d->wbuf, limit);
	case HFSD_APPEND: {
		struct hfsm_node *n = hfsm_node(m, id);

		return hfsm_write(m, id, n->type == HFS_S_IFREG ? n->size : 0, d->wbuf, limit);
	}
	case HFSD_TRUNCATE:
		return hfsm_truncate(m, id, op->off);
	case HFSD_FALLOCATE:
		return hfsm_fallocate(m, id, op->flags, op->off, op->len);
	case HFSD_FSYNC:
		return hfsm_fsync(m, id);
	case HFSD_GETATTR:
		hfsm_getattr(m, id, mst);
		return 0;
	case HFSD_UNLINK:
		return hfsm_unlink(m, op->path);
	case HFSD_MKDIR:
		return hfsm_mkdir(m, op->path, op->mode);
	case HFSD_RMDIR:
		return hfsm_rmdir(m, op->path);
	case HFSD_RENAME:
		return hfsm_rename2(m, op->path, op->path2, (unsigned)op->flags);
	case HFSD_LINK:
		return hfsm_link(m, op->path, op->path2);
	case HFSD_SYMLINK:
		return hfsm_symlink(m, op->path, op->path2);
	case HFSD_READLINK:
		return hfsm_readlink(m, op->path, lbuf, op->len);
	case HFSD_STAT:
		return hfsm_stat(m, op->path, op->flags, mst);
	case HFSD_STATFS: case HFSD_READDIR:
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * A WRITE as a gather write (hfs_writev) every third time, chosen from
 * the operation itself so that a replayed step does the same: the buffer
 * cut into up to 8 pieces of uneven lengths (some empty), as received
 * frames cut an NBD WRITE's payload.  Either way the model's plain write
 * is the oracle.
 */
static int64_t fs_write(struct hfs_inode *ip, uint64_t off, const uint8_t *buf, size_t len)
{
	struct hfs_iovec iov[8];
	unsigned n = 0;
	size_t done = 0;

	if ((off + len) % 3)
		return hfs_write(ip, off, buf, len);
	while (done < len && n < 7) {
		size_t k = MIN(len - done, (size_t)(1 + (off * 7 + n * 1459) % 5000));

		if (n == 2)
			k = 0;				/* an empty piece */
		iov[n++] = (struct hfs_iovec){ buf + done, k };
		done += k;
	}
	iov[n++] = (struct hfs_iovec){ buf + done, len - done };
	return hfs_writev(ip, off, iov, n);
}

static int64_t fs_apply(struct hfsd *d, const struct hfsd_op *op, struct hfs_inode **ipout,
			char *lbuf, struct hfs_stat *fst)
{
	struct hfs_inode *ip = op->h >= 0 && op->kind != HFSD_OPEN ? d->h[op->h].ip : NULL;
	struct hfs_statfs sf;
	struct hfs_stat st;
	int64_t r;

	switch (op->kind) {
	case HFSD_OPEN:
		return hfs_open(d->fs, op->path, op->flags, op->mode, ipout);
	case HFSD_CLOSE:
		hfs_iput(ip);
		return 0;
	case HFSD_READ:
		return hfs_read(ip, op->off, d->buf_a, op->len);
	case HFSD_WRITE:
		return fs_write(ip, op->off, d->wbuf, op->len);
	case HFSD_APPEND:
		r = hfs_getattr(ip, &st);
		if (r)
			return r;
		return fs_write(ip, (st.mode & HFS_S_IFMT) == HFS_S_IFREG ? st.size : 0,
				d->wbuf, op->len);
	case HFSD_TRUNCATE:
		return hfs_truncate(ip, op->off, NULL);
	case HFSD_FALLOCATE:
		return hfs_fallocate(ip, op->flags, op->off, op->len, NULL);
	case HFSD_FSYNC:
		return hfs_fsync(ip);
	case HFSD_GETATTR:
		return hfs_getattr(ip, fst);
	case HFSD_UNLINK:
		return hfs_unlink(d->fs, op->path, NULL);
	case HFSD_MKDIR:
		return hfs_mkdir(d->fs, op->path, op->mode);
	case HFSD_RMDIR:
		return hfs_rmdir(d->fs, op->path);
	case HFSD_RENAME:
		return hfs_rename2(d->fs, op->path, op->path2, (unsigned)op->flags, NULL);
	case HFSD_LINK:
		return hfs_link(d->fs, op->path, op->path2);
	case HFSD_SYMLINK:
		return hfs_symlink(d->fs, op->path, op->path2);
	case HFSD_READLINK:
		return hfs_readlink(d->fs, op->path, lbuf, op->len);
	case HFSD_STAT:
		return hfs_stat(d->fs, op->path, op->flags, fst);
	case HFSD_STATFS:
		r = hfs_statfs(d->fs, &sf);
		if (!r && (sf.block_size != HFS_BLOCK_SIZE || sf.name_max != HFS_NAME_MAX ||
			   sf.free_blocks > sf.blocks || sf.free_inodes > sf.inodes))
			return -1000;	/* reported as a mismatch below */
		return r;
	case HFSD_READDIR:
		return 0;
	default:
		return -EINVAL;
	}
}

/* The parent directory of path, or "" when it has none. */
static void parent_of(const char *path, char *out)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] != '/')
		n--;
	if (n <= 1) {
		strlcpy(out, path[0] == '/' && path[1] ? "/" : "", HFSD_PATH);
		return;
	}
	memcpy(out, path, n - 1);
	out[n - 1] = 0;
}

/* After a namespace step: the listings around path and its stat. */
static int check_path(struct hfsd *d, const char *path, char *why, size_t whysize)
{
	char *parent = hfs_alloc(HFSD_PATH);
	uint32_t pid, id;
	struct hfs_stat fst, mst;
	int fr, mr, r = 0;

	parent_of(path, parent);
	if (parent[0] && hfsm_lookup(d->m, parent, true, &pid) == 0 &&
	    hfsm_node(d->m, pid)->type == HFS_S_IFDIR) {
		/* list it under its real (symlink-free) path: lookup follows */
		struct hfs_inode *ip;

		if (hfs_lookup(d->fs, parent, true, &ip) == 0) {
			struct hfs_stat pst;

			hfs_getattr(ip, &pst);
			hfs_iput(ip);
			r = check_ino(hfsm_node(d->m, pid), pst.ino, true, parent, why, whysize);
			if (!r && (pst.mode & HFS_S_IFMT) != HFS_S_IFDIR) {
				snprintf(why, whysize, "%s is not a directory in holdfs", parent);
				r = -1;
			}
		}
	}
	if (!r) {
		mr = hfsm_stat(d->m, path, false, &mst);
		fr = hfs_stat(d->fs, path, false, &fst);
		if (mr != fr) {
			snprintf(why, whysize, "stat(%s) after the step: %s, expected %s", path,
				 ename(fr), ename(mr));
			r = -1;
		} else if (!mr) {
			hfsm_lookup(d->m, path, false, &id);
			r = cmp_stat(hfsm_node(d->m, id), &fst, true, false, path, why, whysize);
		}
	}
	hfs_free(parent);
	return r;
}

/* List every directory of the model whose path is on the refreshed list. */
static int check_dirs_near(struct hfsd *d, const struct hfsd_op *op, char *why, size_t whysize)
{
	char *parent = hfs_alloc(HFSD_PATH);
	const char *ps[2] = { op->path, op->path2 };
	int i, r = 0;

	for (i = 0; i < 2 && !r; i++) {
		uint32_t pid;

		if (!ps[i][0] || (i == 0 && op->kind == HFSD_SYMLINK))
			continue;
		parent_of(ps[i], parent);
		if (!parent[0] || hfsm_lookup(d->m, parent, true, &pid) ||
		    hfsm_node(d->m, pid)->type != HFS_S_IFDIR)
			continue;
		r = cmp_listing(d, d->fs, d->m, pid, parent, true, true, NULL, NULL, why, whysize);
		if (!r)
			r = check_path(d, ps[i], why, whysize);
	}
	hfs_free(parent);
	return r;
}

/* Compare bytes [lo, hi) of an open file with the model (clipped to its size). */
static int cmp_range(struct hfsd *d, struct hfs_inode *ip, struct hfsm_node *n, uint64_t lo,
		     uint64_t hi, const char *what, char *why, size_t whysize)
{
	int64_t r;
	uint64_t i;

	hi = hi < n->size ? hi : n->size;
	if (lo >= hi)
		return 0;
	r = hfs_read(ip, lo, d->buf_a, hi - lo);
	if (r != (int64_t)(hi - lo)) {
		snprintf(why, whysize, "%s: read of [%llu, %llu) returned %lld", what,
			 (unsigned long long)lo, (unsigned long long)hi, (long long)r);
		return -1;
	}
	if (memcmp(d->buf_a, n->data + lo, hi - lo) == 0)
		return 0;
	for (i = 0; d->buf_a[i] == n->data[lo + i]; i++)
		;
	snprintf(why, whysize, "%s: byte %llu is 0x%02x, expected 0x%02x (size %llu)", what,
		 (unsigned long long)(lo + i), d->buf_a[i], n->data[lo + i],
		 (unsigned long long)n->size);
	return -1;
}

/*
 * After a step on handle h: its stat, and its contents - whole when the
 * file is small or every 16th time, else the bytes the step touched (from
 * a block before it to a block after it, or to EOF when data moved), the
 * last block and a read at EOF.
 */
static int check_handle(struct hfsd *d, const struct hfsd_op *op, uint64_t old_size,
			char *why, size_t whysize)
{
	int h = op->h;
	struct hfsm_node *n = hfsm_node(d->m, d->h[h].mid);
	struct hfs_stat st;
	char what[32];
	uint64_t lo, hi, bs = HFS_BLOCK_SIZE;
	uint8_t c;
	int r = hfs_getattr(d->h[h].ip, &st);

	snprintf(what, sizeof(what), "handle h%d", h);
	if (r) {
		snprintf(why, whysize, "%s: getattr: %s", what, ename(r));
		return -1;
	}
	if (cmp_stat(n, &st, true, false, what, why, whysize))
		return -1;
	if (n->type != HFS_S_IFREG)
		return 0;
	if (n->size <= 256 * 1024 || d->st.by_kind[op->kind] % 16 == 0)
		return cmp_data(d, d->h[h].ip, n, false, what, why, whysize);
	switch (op->kind) {
	case HFSD_WRITE:
		lo = op->off;
		hi = op->off + op->len;
		break;
	case HFSD_APPEND:
		lo = old_size;
		hi = n->size;
		break;
	case HFSD_TRUNCATE:
		lo = old_size < n->size ? old_size : n->size;
		hi = n->size;
		break;
	case HFSD_FALLOCATE:
		lo = op->off;
		hi = op->flags & (HFS_FALLOC_COLLAPSE | HFS_FALLOC_INSERT) ? n->size
									  : op->off + op->len;
		break;
	default:
		lo = hi = 0;
		break;
	}
	lo = lo > bs ? lo - bs : 0;
	hi = hi + bs;
	if (cmp_range(d, d->h[h].ip, n, lo, hi, what, why, whysize) ||
	    cmp_range(d, d->h[h].ip, n, n->size > bs ? n->size - bs : 0, n->size, what, why,
		      whysize))
		return -1;
	r = (int)hfs_read(d->h[h].ip, n->size, &c, 1);
	if (r != 0) {
		snprintf(why, whysize, "%s: read at EOF (%llu) returned %d", what,
			 (unsigned long long)n->size, r);
		return -1;
	}
	return 0;
}

static int cmp_statfs_counts(struct hfsd *d, const struct hfs_statfs *a, const char *when)
{
	struct hfs_statfs b;
	int r = hfs_statfs(d->fs, &b);

	if (r)
		return hfsd_fail(d, "statfs: %s", ename(r));
	if (a->free_blocks != b.free_blocks || a->free_inodes != b.free_inodes)
		return hfsd_fail(d, "%s changed the free counts: blocks %llu -> %llu, "
				 "inodes %llu -> %llu", when,
				 (unsigned long long)a->free_blocks,
				 (unsigned long long)b.free_blocks,
				 (unsigned long long)a->free_inodes,
				 (unsigned long long)b.free_inodes);
	return 0;
}

int hfsd_exec(struct hfsd *d, struct hfsd_op *op)
{
	char desc[200], why[400];
	char *lf = NULL, *lm = NULL;
	struct hfs_statfs sf0;
	struct hfs_stat fst, mst;
	struct hfs_inode *nip = NULL;
	uint32_t mid = 0;
	int64_t fr, mr;
	uint64_t gen = 0, old_size = 0;
	int r = 0;

	hfsd_describe(op, desc, sizeof(desc));
	snprintf(d->ring[d->ring_n % HFSD_RING], sizeof(d->ring[0]), "#%llu %s",
		 (unsigned long long)d->st.steps, desc);
	d->ring_n++;
	if (d->cfg.trace)
		hfsd_print(d, "#%llu %s", (unsigned long long)d->st.steps, desc);
	d->st.by_kind[op->kind]++;
	if (hfs_statfs(d->fs, &sf0))
		return hfsd_fail(d, "statfs failed before the step");
	if (op->h >= 0 && op->kind != HFSD_OPEN) {
		gen = hfsm_node(d->m, d->h[op->h].mid)->gen;
		old_size = hfsm_node(d->m, d->h[op->h].mid)->size;
	}
	if (op->kind == HFSD_WRITE || op->kind == HFSD_APPEND)
		fill_data(d, op, gen);
	if (op->kind == HFSD_READLINK) {
		lf = hfs_alloc(HFS_PATH_MAX + 2);
		lm = hfs_alloc(HFS_PATH_MAX + 2);
		memset(lf, 0x5a, HFS_PATH_MAX + 2);
		memset(lm, 0x5a, HFS_PATH_MAX + 2);
	}
	memset(&fst, 0, sizeof(fst));
	memset(&mst, 0, sizeof(mst));

	if (d->pre_exec)
		d->pre_exec(d->hook_ctx, d, op);
	fr = fs_apply(d, op, &nip, lf, &fst);
	if (fr == -1000) {
		r = hfsd_fail(d, "%s: statfs returned impossible values", desc);
		goto out;
	}
	if (fr == -ENOSPC && may_enospc(op)) {
		/* allowed if the model would have succeeded; the model stays as it was */
		struct hfsm *c = hfsm_clone(d->m);
		uint32_t cmid;

		mr = model_apply(d, c, op, op->len, &cmid, lm, &mst);
		hfsm_free(c);
		d->st.enospc++;
		if (mr < 0) {
			r = hfsd_fail(d, "%s: holdfs -ENOSPC, model %s", desc, ename(mr));
			goto out;
		}
		mr = fr;
	} else {
		uint64_t limit = op->len;

		if ((op->kind == HFSD_WRITE || op->kind == HFSD_APPEND) && fr >= 0 &&
		    (uint64_t)fr < op->len) {
			limit = (uint64_t)fr;	/* short write: the model follows */
			d->st.short_writes++;
		}
		mr = model_apply(d, d->m, op, limit, &mid, lm, &mst);
		if ((op->kind == HFSD_WRITE || op->kind == HFSD_APPEND) && limit == 0 &&
		    op->len && fr == 0)
			mr = 0;
	}
	if (d->post_exec)
		d->post_exec(d->hook_ctx, d, op);

	if (fr != mr && fr < 0 && mr < 0) {
		/* both refuse: another error that also applies is as right */
		uint64_t set = 0;
		bool ok = false;

		if (op->kind == HFSD_RENAME)
			set = hfsm_rename_errors(d->m, op->path, op->path2, (unsigned)op->flags);
		else if (op->kind == HFSD_LINK)
			set = hfsm_link_errors(d->m, op->path, op->path2);
		else if (op->kind == HFSD_FALLOCATE &&
			 hfsm_node(d->m, d->h[op->h].mid)->type == HFS_S_IFDIR)
			/* a bad mode on a directory: either complaint first */
			ok = fr == -EISDIR || mr == -EISDIR;
		if (op->kind == HFSD_FALLOCATE && op->len == 0)
			/* len 0 with a bad mode: -EINVAL or -EOPNOTSUPP first */
			ok = ok || ((fr == -EINVAL || fr == -EOPNOTSUPP) &&
				    (mr == -EINVAL || mr == -EOPNOTSUPP));
		if (-fr < 64 && (set & (1ull << -fr)))
			ok = true;
		if (ok) {
			d->st.other_errno++;
			mr = fr;
		}
	}
	if (fr != mr) {
		r = hfsd_fail(d, "%s: holdfs returned %lld (%s), model %lld (%s)", desc,
			      (long long)fr, ename(fr), (long long)mr, ename(mr));
		if (op->kind == HFSD_OPEN && fr == 0)
			hfs_iput(nip);
		if (op->kind == HFSD_OPEN && mr == 0)
			hfsm_put(d->m, mid);
		goto out;
	}
	if (fr < 0) {
		d->st.errors++;
		d->st.err_by_kind[op->kind]++;
	}

	/* bookkeeping of handles */
	if (op->kind == HFSD_OPEN && fr == 0) {
		d->h[op->h].ip = nip;
		d->h[op->h].mid = mid;
		d->h[op->h].append = op->flags & HFS_O_APPEND;
	}
	if (op->kind == HFSD_CLOSE) {
		hfsm_put(d->m, d->h[op->h].mid);
		d->h[op->h].ip = NULL;
	}

	/* results that carry data */
	if (op->kind == HFSD_READ && fr > 0 && memcmp(d->buf_a, d->buf_b, (size_t)fr)) {
		uint64_t i = 0;

		while (d->buf_a[i] == d->buf_b[i])
			i++;
		r = hfsd_fail(d, "%s: byte %llu read 0x%02x, expected 0x%02x", desc,
			      (unsigned long long)(op->off + i), d->buf_a[i], d->buf_b[i]);
		goto out;
	}
	if (op->kind == HFSD_READLINK && fr >= 0 &&
	    memcmp(lf, lm, (size_t)(op->len < (uint64_t)fr + 1 ? op->len : (uint64_t)fr + 1))) {
		r = hfsd_fail(d, "%s: wrote '%.40s', expected '%.40s'", desc, lf, lm);
		goto out;
	}
	if ((op->kind == HFSD_STAT || op->kind == HFSD_GETATTR) && fr == 0) {
		uint32_t id;

		if (op->kind == HFSD_GETATTR)
			id = d->h[op->h].mid;
		else
			hfsm_lookup(d->m, op->path, op->flags, &id);
		if (cmp_stat(hfsm_node(d->m, id), &fst, true, false, desc, why, sizeof(why))) {
			r = hfsd_fail(d, "%s", why);
			goto out;
		}
	}

	/* the state around the step */
	if (op->h >= 0 && d->h[op->h].ip && check_handle(d, op, old_size, why, sizeof(why))) {
		r = hfsd_fail(d, "after %s: %s", desc, why);
		goto out;
	}
	if ((op->path[0] == '/' || op->path2[0] == '/') &&
	    check_dirs_near(d, op, why, sizeof(why))) {
		r = hfsd_fail(d, "after %s: %s", desc, why);
		goto out;
	}
	if (op->kind == HFSD_READDIR) {
		uint32_t pid;

		if (hfsm_lookup(d->m, op->path, false, &pid) == 0 &&
		    hfsm_node(d->m, pid)->type == HFS_S_IFDIR &&
		    cmp_listing(d, d->fs, d->m, pid, op->path, false, true, NULL, NULL, why,
				sizeof(why))) {
			r = hfsd_fail(d, "%s: %s", desc, why);
			goto out;
		}
	}
	if (fr < 0 || read_only(op)) {
		r = cmp_statfs_counts(d, &sf0, fr < 0 ? "a failed step" : "a read-only step");
		if (r)
			hfsd_print(d, "  (the step: %s -> %s)", desc, ename(fr));
		if (!r && fr == -ENOSPC &&
		    hfsd_compare_tree(d, d->fs, d->m, false, true, why, sizeof(why)))
			r = hfsd_fail(d, "after %s -> ENOSPC: %s", desc, why);
	}
out:
	hfs_free(lf);
	hfs_free(lm);
	return d->failed ? -1 : r;	/* the hooks may have failed the step */
}

/* ------------------------------------------------------------ run */

void hfsd_default_config(struct hfsd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	cfg->ops = 10000;
	cfg->remount_every = 997;
	cfg->fsck_every = 1;
	cfg->fullcheck_every = 211;
	cfg->max_file = 2 * 1024 * 1024 + 64 * 1024;
	cfg->max_write = 48 * 1024;
	cfg->max_nodes = 120;
}

void hfsd_close_all(struct hfsd *d)
{
	int i;

	for (i = 0; i < HFSD_MAX_HANDLES; i++) {
		if (!d->h[i].ip)
			continue;
		hfs_iput(d->h[i].ip);
		hfsm_put(d->m, d->h[i].mid);
		d->h[i].ip = NULL;
	}
}

int hfsd_remount(struct hfsd *d, bool fsck)
{
	char why[400];
	int r;

	hfsd_close_all(d);
	r = hfs_unmount(d->fs);
	d->fs = NULL;
	if (r)
		return hfsd_fail(d, "unmount: %s", ename(r));
	if (fsck) {
		struct hfs_fsck_opts o = { .repair = false, .verbose = false };

		d->st.fscks++;
		r = hfs_fsck(d->pm, &o);
		if (r != HFS_FSCK_CLEAN) {
			o.verbose = true;
			hfs_fsck(d->pm, &o);
			return hfsd_fail(d, "fsck after a clean unmount returned %d", r);
		}
	}
	r = hfs_mount(d->pm, 0, &d->fs);
	if (r) {
		d->fs = NULL;
		return hfsd_fail(d, "mount after unmount: %s", ename(r));
	}
	d->st.remounts++;
	hfsm_forget_opens(d->m);
	if (hfsd_compare_tree(d, d->fs, d->m, false, true, why, sizeof(why)))
		return hfsd_fail(d, "after remount: %s", why);
	return 0;
}

int hfsd_init(struct hfsd *d, const struct hfsd_config *cfg, const struct hfsd_env *env,
	      struct hfs_pm *pm)
{
	uint64_t bufsize = cfg->max_file + cfg->max_write + 2 * HFS_BLOCK_SIZE;
	int r;

	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->env = *env;
	d->pm = pm;
	d->rng = cfg->seed * 0x2545f4914f6cdd1dull + 1;
	d->buf_a = hfs_alloc(bufsize);
	d->buf_b = hfs_alloc(bufsize);
	d->wbuf = hfs_alloc(bufsize);
	d->cmp_buf = hfs_alloc(bufsize);
	d->cmp_cap = bufsize;
	d->paths = hfs_alloc(MAX_PATHS * sizeof(*d->paths));
	d->path_node = hfs_alloc(MAX_PATHS * sizeof(*d->path_node));
	d->m = hfsm_new();
	r = hfs_mkfs(pm, &cfg->mkfs);
	if (r) {
		hfsd_fail(d, "mkfs: %s", ename(r));
		return r;
	}
	r = hfs_mount(pm, 0, &d->fs);
	if (r) {
		d->fs = NULL;
		hfsd_fail(d, "mount after mkfs: %s", ename(r));
		return r;
	}
	r = hfs_statfs(d->fs, &d->fresh);
	if (r)
		hfsd_fail(d, "statfs after mkfs: %s", ename(r));
	return r;
}

void hfsd_fini(struct hfsd *d)
{
	if (d->fs) {
		hfsd_close_all(d);
		hfs_unmount(d->fs);
		d->fs = NULL;
	}
	hfsm_free(d->m);
	hfs_free(d->buf_a);
	hfs_free(d->buf_b);
	hfs_free(d->cmp_buf);
	hfs_free(d->wbuf);
	hfs_free(d->paths);
	hfs_free(d->path_node);
	d->m = NULL;
}

/* Remove every entry (deepest first) through both holdfs and the model. */
static int remove_all(struct hfsd *d)
{
	uint32_t i;
	int fr, mr;

	for (;;) {
		bool any = false;

		refresh_paths(d);
		for (i = d->npaths; i-- > 1;) {
			const char *p = d->paths[i];
			bool dir = path_type(d, i) == HFS_S_IFDIR;

			if (dir && hfsm_dir_count(d->m, d->path_node[i]))
				continue;
			fr = dir ? hfs_rmdir(d->fs, p) : hfs_unlink(d->fs, p, NULL);
			mr = dir ? hfsm_rmdir(d->m, p) : hfsm_unlink(d->m, p);
			if (fr != mr)
				return hfsd_fail(d, "cleanup %s %s: holdfs %s, model %s",
						 dir ? "rmdir" : "unlink", p, ename(fr), ename(mr));
			any = true;
			break;
		}
		if (!any)
			return 0;
	}
}

static int leak_check(struct hfsd *d)
{
	struct hfs_statfs sf;
	int r;

	if (remove_all(d))
		return -1;
	/* back to the state after mkfs: an empty /lost+found */
	r = hfs_mkdir(d->fs, "/lost+found", 0700);
	if (r != hfsm_mkdir(d->m, "/lost+found", 0700))
		return hfsd_fail(d, "cleanup mkdir /lost+found: holdfs %s", ename(r));
	if (hfsd_remount(d, d->cfg.fsck_every != 0))
		return -1;
	r = hfs_statfs(d->fs, &sf);
	if (r)
		return hfsd_fail(d, "statfs: %s", ename(r));
	if (sf.free_inodes != d->fresh.free_inodes)
		return hfsd_fail(d, "leak: %llu free inodes with everything removed, %llu after mkfs",
				 (unsigned long long)sf.free_inodes,
				 (unsigned long long)d->fresh.free_inodes);
	if (sf.free_blocks > d->fresh.free_blocks)
		return hfsd_fail(d, "%llu free blocks with everything removed, more than the %llu "
				 "after mkfs", (unsigned long long)sf.free_blocks,
				 (unsigned long long)d->fresh.free_blocks);
	if (sf.free_blocks < d->fresh.free_blocks) {
		/* the root directory may keep the blocks it grew to, nothing else */
		struct hfs_stat st;

		hfs_stat(d->fs, "/", false, &st);
		if (d->fresh.free_blocks - sf.free_blocks > st.blocks)
			return hfsd_fail(d, "leak: %llu free blocks with everything removed, %llu "
					 "after mkfs (the root directory holds %llu)",
					 (unsigned long long)sf.free_blocks,
					 (unsigned long long)d->fresh.free_blocks,
					 (unsigned long long)st.blocks);
	}
	return 0;
}

int hfsd_run(struct hfsd *d)
{
	struct hfsd_op *op = hfs_alloc(sizeof(*op));
	char why[400];
	int r = 0;

	while (d->st.steps < d->cfg.ops && !r) {
		hfsd_gen(d, op);
		r = hfsd_exec(d, op);
		d->st.steps++;
		if (r)
			break;
		if (d->cfg.fullcheck_every && d->st.steps % d->cfg.fullcheck_every == 0) {
			d->st.fullchecks++;
			if (hfsd_compare_tree(d, d->fs, d->m, false, true, why, sizeof(why)))
				r = hfsd_fail(d, "whole-tree comparison: %s", why);
		}
		if (!r && d->cfg.remount_every && d->st.steps % d->cfg.remount_every == 0) {
			bool fsck = d->cfg.fsck_every &&
				    (d->st.remounts + 1) % d->cfg.fsck_every == 0;

			r = hfsd_remount(d, fsck);
		}
	}
	hfs_free(op);
	if (!r && hfsd_compare_tree(d, d->fs, d->m, false, true, why, sizeof(why)))
		r = hfsd_fail(d, "final whole-tree comparison: %s", why);
	if (!r)
		r = leak_check(d);
	return r;
}
