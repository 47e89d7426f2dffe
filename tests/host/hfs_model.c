/*
 * hfs_model.c - the reference model of holdfs (see hfs_model.h).
 *
 * Written to be obviously correct rather than fast: directories are
 * unsorted arrays searched linearly, files are contiguous byte arrays, and
 * every path is walked from the root on every call.  Error codes and the
 * order in which conditions are checked follow Linux (fs/namei.c,
 * fs/open.c vfs_fallocate, ext4's collapse/insert checks).
 */
#include "hfs_model.h"
#include <lib/errno.h>
#include <lib/string.h>

#define PERM_MASK	07777
#define FALLOC_KNOWN	(HFS_FALLOC_KEEP_SIZE | HFS_FALLOC_PUNCH_HOLE | \
			 HFS_FALLOC_COLLAPSE | HFS_FALLOC_ZERO_RANGE | HFS_FALLOC_INSERT)

struct hfsm_node *hfsm_node(const struct hfsm *m, uint32_t id)
{
	if (id == 0 || id >= m->nnodes || m->nodes[id].id == 0)
		return NULL;
	return &m->nodes[id];
}

static struct hfsm_node *N(const struct hfsm *m, uint32_t id)
{
	return &m->nodes[id];
}

/* ------------------------------------------------------------ nodes */

static uint32_t node_new(struct hfsm *m, uint32_t type, uint32_t perm)
{
	uint32_t id;

	if (m->nnodes == 0)
		m->nnodes = 1;		/* id 0 means "none" */
	for (id = 1; id < m->nnodes; id++)
		if (m->nodes[id].id == 0)
			break;
	if (id == m->nnodes) {
		if (m->nnodes >= m->cap) {
			uint32_t ncap = m->cap ? m->cap * 2 : 64;
			struct hfsm_node *nn = hfs_zalloc(ncap * sizeof(*nn));

			memcpy(nn, m->nodes, m->cap * sizeof(*nn));
			hfs_free(m->nodes);
			m->nodes = nn;
			m->cap = ncap;
		}
		m->nnodes++;
	}
	memset(&m->nodes[id], 0, sizeof(m->nodes[id]));
	m->nodes[id].id = id;
	m->nodes[id].type = type;
	m->nodes[id].perm = perm & PERM_MASK;
	m->nodes[id].gen = ++m->next_gen;
	m->nodes[id].n_alt = 1;
	return id;
}

static void node_release(struct hfsm_node *n)
{
	uint32_t i;

	for (i = 0; i < n->nents; i++)
		hfs_free(n->ents[i].name);
	hfs_free(n->ents);
	hfs_free(n->data);
	hfs_free(n->target);
	memset(n, 0, sizeof(*n));
}

static void maybe_free(struct hfsm *m, uint32_t id)
{
	struct hfsm_node *n = N(m, id);

	if (n->nlink == 0 && n->opens == 0)
		node_release(n);
}

struct hfsm *hfsm_new(void)
{
	struct hfsm *m = hfs_zalloc(sizeof(*m));

	m->root = node_new(m, HFS_S_IFDIR, 0755);
	N(m, m->root)->nlink = 2;
	N(m, m->root)->parent = m->root;
	hfsm_mkdir(m, "/lost+found", 0700);	/* as hfs_mkfs makes it */
	return m;
}

void hfsm_free(struct hfsm *m)
{
	uint32_t i;

	if (!m)
		return;
	for (i = 1; i < m->nnodes; i++)
		if (m->nodes[i].id)
			node_release(&m->nodes[i]);
	hfs_free(m->nodes);
	hfs_free(m);
}

static void *dup_mem(const void *p, size_t len)
{
	void *q;

	if (!p)
		return NULL;
	q = hfs_alloc(len ? len : 1);
	memcpy(q, p, len);
	return q;
}

struct hfsm *hfsm_clone(const struct hfsm *m)
{
	struct hfsm *c = hfs_zalloc(sizeof(*c));
	uint32_t i, j;

	*c = *m;
	c->nodes = hfs_zalloc(m->cap * sizeof(*c->nodes));
	memcpy(c->nodes, m->nodes, m->cap * sizeof(*c->nodes));
	for (i = 1; i < m->nnodes; i++) {
		const struct hfsm_node *s = &m->nodes[i];
		struct hfsm_node *d = &c->nodes[i];

		if (!s->id)
			continue;
		d->data = dup_mem(s->data, s->cap);
		d->target = s->target ? dup_mem(s->target, strlen(s->target) + 1) : NULL;
		d->ents = dup_mem(s->ents, s->capents * sizeof(*s->ents));
		for (j = 0; j < s->nents; j++)
			d->ents[j].name = dup_mem(s->ents[j].name, strlen(s->ents[j].name) + 1);
	}
	return c;
}

/* ------------------------------------------------------------ directories */

static int dir_find(struct hfsm *m, uint32_t dir, const char *name, size_t len)
{
	struct hfsm_node *d = N(m, dir);
	uint32_t i;

	for (i = 0; i < d->nents; i++)
		if (strlen(d->ents[i].name) == len && memcmp(d->ents[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static void dir_add(struct hfsm *m, uint32_t dir, const char *name, uint32_t child)
{
	struct hfsm_node *d = N(m, dir);

	if (d->nents == d->capents) {
		uint32_t ncap = d->capents ? d->capents * 2 : 8;
		struct hfsm_dirent *ne = hfs_alloc(ncap * sizeof(*ne));

		memcpy(ne, d->ents, d->nents * sizeof(*ne));
		hfs_free(d->ents);
		d->ents = ne;
		d->capents = ncap;
	}
	d->ents[d->nents].name = dup_mem(name, strlen(name) + 1);
	d->ents[d->nents].child = child;
	d->nents++;
}

static void dir_remove(struct hfsm *m, uint32_t dir, const char *name)
{
	struct hfsm_node *d = N(m, dir);
	int i = dir_find(m, dir, name, strlen(name));

	hfs_free(d->ents[i].name);
	d->ents[i] = d->ents[d->nents - 1];
	d->nents--;
}

uint32_t hfsm_dir_count(struct hfsm *m, uint32_t dir)
{
	return N(m, dir)->nents;
}

const struct hfsm_dirent *hfsm_dir_entry(struct hfsm *m, uint32_t dir, uint32_t i)
{
	return &N(m, dir)->ents[i];
}

/* Is a the directory b or one of b's ancestors? */
static bool is_ancestor(struct hfsm *m, uint32_t a, uint32_t b)
{
	for (;;) {
		if (b == a)
			return true;
		if (b == m->root || b == 0)
			return false;
		b = N(m, b)->parent;
	}
}

/* ------------------------------------------------------------ path walk */

/*
 * Result of a walk: the directory holding the last component, its name and
 * the node it names (0: absent).  dir == 0 means the path named the root
 * (or ended in "." / ".."), which has no parent entry.
 */
struct walk {
	uint32_t dir;
	char name[HFS_NAME_MAX + 1];
	uint32_t child;
};

static int walk(struct hfsm *m, uint32_t start, const char *path, bool follow,
		int *links, struct walk *w);

static int follow_link(struct hfsm *m, uint32_t dir, uint32_t lnk, int *links, struct walk *w)
{
	if (++*links > HFS_SYMLINK_DEPTH)
		return -ELOOP;
	return walk(m, dir, N(m, lnk)->target, true, links, w);
}

static int walk(struct hfsm *m, uint32_t start, const char *path, bool follow,
		int *links, struct walk *w)
{
	uint32_t cur;
	const char *p = path;

	if (!path || !*path)
		return -ENOENT;
	if (strnlen(path, HFS_PATH_MAX) >= HFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (*p == '/')
		cur = m->root;
	else if (start)
		cur = start;
	else
		return -EINVAL;		/* holdfs takes absolute paths only */

	w->dir = 0;
	w->name[0] = 0;
	w->child = cur;
	for (;;) {
		const char *q;
		size_t len;
		bool last;
		int i;
		uint32_t next;

		while (*p == '/')
			p++;
		if (!*p)
			return 0;
		for (q = p; *q && *q != '/'; q++)
			;
		len = (size_t)(q - p);
		for (last = true; *q; q++)
			if (*q != '/')
				last = false;
		q = p + len;
		if (len > HFS_NAME_MAX)
			return -ENAMETOOLONG;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
			next = len == 1 ? cur : N(m, cur)->parent;
			if (last) {
				w->dir = 0;
				w->child = next;
				return 0;
			}
			cur = next;
			p = q;
			continue;
		}
		i = dir_find(m, cur, p, len);
		next = i < 0 ? 0 : N(m, cur)->ents[i].child;
		if (last) {
			if (next && follow && N(m, next)->type == HFS_S_IFLNK)
				return follow_link(m, cur, next, links, w);
			w->dir = cur;
			memcpy(w->name, p, len);
			w->name[len] = 0;
			w->child = next;
			return 0;
		}
		if (!next)
			return -ENOENT;
		if (N(m, next)->type == HFS_S_IFLNK) {
			struct walk sub;
			int r = follow_link(m, cur, next, links, &sub);

			if (r)
				return r;
			if (!sub.child)
				return -ENOENT;
			next = sub.child;
		}
		if (N(m, next)->type != HFS_S_IFDIR)
			return -ENOTDIR;
		cur = next;
		p = q;
	}
}

static int walk_top(struct hfsm *m, const char *path, bool follow, struct walk *w)
{
	int links = 0;

	return walk(m, 0, path, follow, &links, w);
}

/* ------------------------------------------------------------ file data */

static void crash_note_size(struct hfsm_node *n, bool metadata)
{
	uint32_t i;

	if (metadata || !n->dirty) {
		/* A metadata change is durable when it returns: exact size. */
		n->n_alt = 1;
		n->alt_sizes[0] = n->size;
		n->alt_overflow = false;
		return;
	}
	for (i = 0; i < n->n_alt; i++)
		if (n->alt_sizes[i] == n->size)
			return;
	if (n->n_alt < HFSM_MAX_ALT_SIZES) {
		n->alt_sizes[n->n_alt++] = n->size;
		return;
	}
	/* Keep the extremes in the last two slots. */
	n->alt_overflow = true;
	if (n->size < n->alt_sizes[HFSM_MAX_ALT_SIZES - 2])
		n->alt_sizes[HFSM_MAX_ALT_SIZES - 2] = n->size;
	if (n->size > n->alt_sizes[HFSM_MAX_ALT_SIZES - 1])
		n->alt_sizes[HFSM_MAX_ALT_SIZES - 1] = n->size;
}

static int set_size(struct hfsm_node *n, uint64_t size)
{
	if (size > n->cap) {
		uint64_t ncap = n->cap ? n->cap : 4096;
		uint8_t *nd;

		while (ncap < size)
			ncap *= 2;
		nd = hfs_alloc(ncap);
		if (!nd)
			return -ENOMEM;
		memcpy(nd, n->data, n->size);
		hfs_free(n->data);
		n->data = nd;
		n->cap = ncap;
	}
	if (size > n->size)
		memset(n->data + n->size, 0, size - n->size);
	n->size = size;
	return 0;
}

static int reg_check(struct hfsm_node *n)
{
	if (n->type == HFS_S_IFDIR)
		return -EISDIR;
	if (n->type != HFS_S_IFREG)
		return -EINVAL;
	return 0;
}

int64_t hfsm_read(struct hfsm *m, uint32_t id, uint64_t off, void *buf, size_t len)
{
	struct hfsm_node *n = N(m, id);
	int r = reg_check(n);

	if (r)
		return r;
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = n->size - off;
	memcpy(buf, n->data + off, len);
	return (int64_t)len;
}

int64_t hfsm_write(struct hfsm *m, uint32_t id, uint64_t off, const void *buf, size_t len)
{
	struct hfsm_node *n = N(m, id);
	int r = reg_check(n);

	if (r)
		return r;
	if (len == 0)
		return 0;
	if (off > UINT64_MAX - len)
		return -EFBIG;
	if (off + len > n->size) {
		r = set_size(n, off + len);
		if (r)
			return r;
	}
	memcpy(n->data + off, buf, len);
	n->dirty = true;
	crash_note_size(n, false);
	return (int64_t)len;
}

int hfsm_truncate(struct hfsm *m, uint32_t id, uint64_t size)
{
	struct hfsm_node *n = N(m, id);
	int r = reg_check(n);

	if (r)
		return r;
	r = set_size(n, size);
	if (!r)
		crash_note_size(n, true);
	return r;
}

static bool block_aligned(uint64_t x)
{
	return (x & (HFS_BLOCK_SIZE - 1)) == 0;
}

int hfsm_fallocate(struct hfsm *m, uint32_t id, int mode, uint64_t off, uint64_t len)
{
	struct hfsm_node *n = N(m, id);
	uint64_t end, old = n->size;
	int r;

	/* vfs_fallocate(), in its order */
	if (len == 0 || (int64_t)off < 0 || (int64_t)len < 0)
		return -EINVAL;
	if (mode & ~FALLOC_KNOWN)
		return -EOPNOTSUPP;
	if ((mode & (HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_ZERO_RANGE)) ==
	    (HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_ZERO_RANGE))
		return -EOPNOTSUPP;
	if ((mode & HFS_FALLOC_PUNCH_HOLE) && !(mode & HFS_FALLOC_KEEP_SIZE))
		return -EOPNOTSUPP;
	if ((mode & HFS_FALLOC_COLLAPSE) && (mode & ~HFS_FALLOC_COLLAPSE))
		return -EINVAL;
	if ((mode & HFS_FALLOC_INSERT) && (mode & ~HFS_FALLOC_INSERT))
		return -EINVAL;
	if (n->type == HFS_S_IFDIR)
		return -EISDIR;
	if (n->type != HFS_S_IFREG)
		return -ENODEV;
	if ((int64_t)(off + len) < 0)
		return -EFBIG;
	end = off + len;

	if (mode & HFS_FALLOC_COLLAPSE) {
		if (!block_aligned(off) || !block_aligned(len))
			return -EINVAL;
		if (end >= n->size)
			return -EINVAL;
		memmove(n->data + off, n->data + end, n->size - end);
		n->size -= len;
		crash_note_size(n, true);
		return 0;
	}
	if (mode & HFS_FALLOC_INSERT) {
		if (!block_aligned(off) || !block_aligned(len))
			return -EINVAL;
		if ((int64_t)(n->size + len) < 0)
			return -EFBIG;
		if (off >= n->size)
			return -EINVAL;
		r = set_size(n, old + len);
		if (r)
			return r;
		memmove(n->data + end, n->data + off, old - off);
		memset(n->data + off, 0, len);
		crash_note_size(n, true);
		return 0;
	}
	/*
	 * Punch and zero change data in place: like a write, durable only
	 * after fsync (the crash harness lets the old bytes show).
	 */
	if (mode & (HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_ZERO_RANGE)) {
		if (off < n->size) {
			memset(n->data + off, 0, (end < n->size ? end : n->size) - off);
			n->dirty = true;
		}
		if (mode & HFS_FALLOC_PUNCH_HOLE)
			return 0;
	}
	if (!(mode & HFS_FALLOC_KEEP_SIZE) && end > n->size) {
		r = set_size(n, end);
		if (r)
			return r;
		crash_note_size(n, true);
	}
	return 0;
}

int hfsm_fsync(struct hfsm *m, uint32_t id)
{
	struct hfsm_node *n = N(m, id);

	n->dirty = false;
	crash_note_size(n, true);
	return 0;
}

/* ------------------------------------------------------------ references */

void hfsm_get(struct hfsm *m, uint32_t id)
{
	N(m, id)->opens++;
}

void hfsm_put(struct hfsm *m, uint32_t id)
{
	N(m, id)->opens--;
	maybe_free(m, id);
}

void hfsm_forget_opens(struct hfsm *m)
{
	uint32_t i;

	for (i = 1; i < m->nnodes; i++) {
		if (!m->nodes[i].id)
			continue;
		m->nodes[i].opens = 0;
		maybe_free(m, i);
	}
}

void hfsm_getattr(struct hfsm *m, uint32_t id, struct hfs_stat *st)
{
	struct hfsm_node *n = N(m, id);

	memset(st, 0, sizeof(*st));
	st->ino = id;
	st->mode = n->type | n->perm;
	st->nlink = n->nlink;
	if (n->type == HFS_S_IFREG)
		st->size = n->size;
	else if (n->type == HFS_S_IFLNK)
		st->size = strlen(n->target);
}

/* ------------------------------------------------------------ namespace */

static uint32_t create_in(struct hfsm *m, struct walk *w, uint32_t type, uint32_t perm)
{
	uint32_t id = node_new(m, type, perm);

	N(m, id)->nlink = type == HFS_S_IFDIR ? 2 : 1;
	if (type == HFS_S_IFDIR) {
		N(m, id)->parent = w->dir;
		N(m, w->dir)->nlink++;
	}
	dir_add(m, w->dir, w->name, id);
	return id;
}

int hfsm_open(struct hfsm *m, const char *path, int flags, uint32_t mode, uint32_t *id)
{
	bool creat = flags & HFS_O_CREAT, excl = creat && (flags & HFS_O_EXCL);
	bool follow = !(flags & HFS_O_NOFOLLOW) && !excl;
	struct walk w;
	struct hfsm_node *n;
	int r = walk_top(m, path, follow, &w);

	if (r)
		return r;
	if (!w.child) {
		if (!creat)
			return -ENOENT;
		w.child = create_in(m, &w, HFS_S_IFREG, mode);
		N(m, w.child)->opens++;
		*id = w.child;
		return 0;
	}
	n = N(m, w.child);
	if (excl)
		return -EEXIST;
	if (n->type == HFS_S_IFLNK)
		return -ELOOP;
	if (n->type == HFS_S_IFDIR &&
	    (creat || (flags & HFS_O_ACCMODE) != HFS_O_RDONLY || (flags & HFS_O_TRUNC)))
		return -EISDIR;
	if ((flags & HFS_O_TRUNC) && n->type == HFS_S_IFREG) {
		r = set_size(n, 0);
		if (r)
			return r;
		crash_note_size(n, true);
	}
	n->opens++;
	*id = w.child;
	return 0;
}

int hfsm_lookup(struct hfsm *m, const char *path, bool follow, uint32_t *id)
{
	struct walk w;
	int r = walk_top(m, path, follow, &w);

	if (r)
		return r;
	if (!w.child)
		return -ENOENT;
	*id = w.child;
	return 0;
}

int hfsm_stat(struct hfsm *m, const char *path, bool follow, struct hfs_stat *st)
{
	uint32_t id;
	int r = hfsm_lookup(m, path, follow, &id);

	if (!r)
		hfsm_getattr(m, id, st);
	return r;
}

int hfsm_mkdir(struct hfsm *m, const char *path, uint32_t mode)
{
	struct walk w;
	int r = walk_top(m, path, false, &w);

	if (r)
		return r;
	if (!w.dir || w.child)
		return -EEXIST;
	create_in(m, &w, HFS_S_IFDIR, mode);
	return 0;
}

int hfsm_rmdir(struct hfsm *m, const char *path)
{
	struct walk w;
	struct hfsm_node *n;
	int r = walk_top(m, path, false, &w);

	if (r)
		return r;
	if (!w.dir)
		return -EBUSY;
	if (!w.child)
		return -ENOENT;
	n = N(m, w.child);
	if (n->type != HFS_S_IFDIR)
		return -ENOTDIR;
	if (n->nents)
		return -ENOTEMPTY;
	dir_remove(m, w.dir, w.name);
	N(m, w.dir)->nlink--;
	n->nlink = 0;
	n->parent = 0;
	maybe_free(m, w.child);
	return 0;
}

int hfsm_unlink(struct hfsm *m, const char *path)
{
	struct walk w;
	struct hfsm_node *n;
	int r = walk_top(m, path, false, &w);

	if (r)
		return r;
	if (!w.dir)
		return -EISDIR;
	if (!w.child)
		return -ENOENT;
	n = N(m, w.child);
	if (n->type == HFS_S_IFDIR)
		return -EISDIR;
	dir_remove(m, w.dir, w.name);
	n->nlink--;
	maybe_free(m, w.child);
	return 0;
}

int hfsm_link(struct hfsm *m, const char *existing, const char *newpath)
{
	struct walk wo, wn;
	int r = walk_top(m, existing, false, &wo);

	if (r)
		return r;
	if (!wo.child)
		return -ENOENT;
	r = walk_top(m, newpath, false, &wn);
	if (r)
		return r;
	if (!wn.dir || wn.child)
		return -EEXIST;
	if (N(m, wo.child)->type == HFS_S_IFDIR)
		return -EPERM;
	dir_add(m, wn.dir, wn.name, wo.child);
	N(m, wo.child)->nlink++;
	return 0;
}

int hfsm_symlink(struct hfsm *m, const char *target, const char *linkpath)
{
	struct walk w;
	size_t tlen = strnlen(target, HFS_PATH_MAX);
	uint32_t id;
	int r;

	if (tlen == 0)
		return -ENOENT;
	if (tlen >= HFS_PATH_MAX)
		return -ENAMETOOLONG;
	r = walk_top(m, linkpath, false, &w);
	if (r)
		return r;
	if (!w.dir || w.child)
		return -EEXIST;
	id = create_in(m, &w, HFS_S_IFLNK, 0777);
	N(m, id)->target = dup_mem(target, tlen + 1);
	return 0;
}

int hfsm_readlink(struct hfsm *m, const char *path, char *buf, size_t size)
{
	struct walk w;
	const char *t;
	size_t len;
	int r = walk_top(m, path, false, &w);

	if (r)
		return r;
	if (!w.child)
		return -ENOENT;
	if (N(m, w.child)->type != HFS_S_IFLNK)
		return -EINVAL;
	t = N(m, w.child)->target;
	len = strlen(t);
	memcpy(buf, t, len < size ? len : size);
	if (len < size)
		buf[len] = 0;
	return (int)len;
}

/* Point @dir's entry @name at @child. */
static void dir_set(struct hfsm *m, uint32_t dir, const char *name, uint32_t child)
{
	struct hfsm_node *d = N(m, dir);

	d->ents[dir_find(m, dir, name, strlen(name))].child = child;
}

/* Directory @id moves from @from to @to: its parent and both link counts. */
static void move_dir(struct hfsm *m, uint32_t id, uint32_t from, uint32_t to)
{
	if (N(m, id)->type != HFS_S_IFDIR || from == to)
		return;
	N(m, from)->nlink--;
	N(m, to)->nlink++;
	N(m, id)->parent = to;
}

/* RENAME_EXCHANGE: swap what two existing names point at. */
static int exchange(struct hfsm *m, struct walk *wo, struct walk *wn)
{
	if (!wn->child)
		return -ENOENT;
	if (wo->child == wn->child)
		return 0;
	if (is_ancestor(m, wo->child, wn->dir) || is_ancestor(m, wn->child, wo->dir))
		return -EINVAL;
	dir_set(m, wo->dir, wo->name, wn->child);
	dir_set(m, wn->dir, wn->name, wo->child);
	move_dir(m, wo->child, wo->dir, wn->dir);
	move_dir(m, wn->child, wn->dir, wo->dir);
	return 0;
}

int hfsm_rename(struct hfsm *m, const char *from, const char *to)
{
	return hfsm_rename2(m, from, to, 0);
}

int hfsm_rename2(struct hfsm *m, const char *from, const char *to, unsigned flags)
{
	struct walk wo, wn;
	struct hfsm_node *o, *n;
	bool is_dir;
	int r;

	if ((flags & ~(HFS_RENAME_NOREPLACE | HFS_RENAME_EXCHANGE)) ||
	    flags == (HFS_RENAME_NOREPLACE | HFS_RENAME_EXCHANGE))
		return -EINVAL;
	r = walk_top(m, from, false, &wo);
	if (r)
		return r;
	r = walk_top(m, to, false, &wn);
	if (r)
		return r;
	if (!wo.dir || !wn.dir)
		return -EBUSY;
	if (!wo.child)
		return -ENOENT;
	if (flags & HFS_RENAME_EXCHANGE)
		return exchange(m, &wo, &wn);
	if ((flags & HFS_RENAME_NOREPLACE) && wn.child)
		return -EEXIST;
	o = N(m, wo.child);
	is_dir = o->type == HFS_S_IFDIR;
	/* lock_rename()'s trap: the source may not be an ancestor of the target */
	if (is_dir && is_ancestor(m, wo.child, wn.dir))
		return -EINVAL;
	if (wn.child && N(m, wn.child)->type == HFS_S_IFDIR && is_ancestor(m, wn.child, wo.dir))
		return -ENOTEMPTY;
	if (wo.child == wn.child)
		return 0;		/* same inode: nothing to do */
	if (wn.child) {
		n = N(m, wn.child);
		if (is_dir && n->type != HFS_S_IFDIR)
			return -ENOTDIR;
		if (!is_dir && n->type == HFS_S_IFDIR)
			return -EISDIR;
		if (is_dir && n->nents)
			return -ENOTEMPTY;
		dir_remove(m, wn.dir, wn.name);
		if (n->type == HFS_S_IFDIR) {
			n->nlink = 0;
			n->parent = 0;
			N(m, wn.dir)->nlink--;
		} else {
			n->nlink--;
		}
		maybe_free(m, wn.child);
	}
	dir_remove(m, wo.dir, wo.name);
	dir_add(m, wn.dir, wn.name, wo.child);
	if (is_dir) {
		N(m, wo.dir)->nlink--;
		N(m, wn.dir)->nlink++;
		o->parent = wn.dir;
	}
	return 0;
}

/* ------------------------------------------------------------ error sets */

#define EBIT(e)	(1ull << (e))

/*
 * Where several checks fail at once, Linux's order decides which error is
 * returned; other orders are as right.  These return every error that
 * applies (as bits 1 << errno), for the driver to accept any of them.
 */
uint64_t hfsm_rename_errors(struct hfsm *m, const char *from, const char *to, unsigned flags)
{
	struct walk wo, wn;
	uint64_t set = 0;
	bool is_dir;
	int r = walk_top(m, from, false, &wo);

	if (r)
		return EBIT(-r);
	r = walk_top(m, to, false, &wn);
	if (r)
		return EBIT(-r);
	if (!wo.dir || !wn.dir)
		return EBIT(EBUSY);
	if (!wo.child)
		return EBIT(ENOENT);
	if (flags & HFS_RENAME_EXCHANGE) {
		if (!wn.child)
			return EBIT(ENOENT);
		if (is_ancestor(m, wo.child, wn.dir) || is_ancestor(m, wn.child, wo.dir))
			set |= EBIT(EINVAL);
		return set;
	}
	if ((flags & HFS_RENAME_NOREPLACE) && wn.child)
		set |= EBIT(EEXIST);
	is_dir = N(m, wo.child)->type == HFS_S_IFDIR;
	if (is_dir && is_ancestor(m, wo.child, wn.dir))
		set |= EBIT(EINVAL);
	if (wn.child && wo.child != wn.child) {
		struct hfsm_node *n = N(m, wn.child);

		if (n->type == HFS_S_IFDIR && is_ancestor(m, wn.child, wo.dir))
			set |= EBIT(ENOTEMPTY);
		if (is_dir && n->type != HFS_S_IFDIR)
			set |= EBIT(ENOTDIR);
		if (!is_dir && n->type == HFS_S_IFDIR)
			set |= EBIT(EISDIR);
		if (is_dir && n->type == HFS_S_IFDIR && n->nents)
			set |= EBIT(ENOTEMPTY);
	}
	return set;
}

uint64_t hfsm_link_errors(struct hfsm *m, const char *existing, const char *newpath)
{
	struct walk wo, wn;
	uint64_t set = 0;
	int r = walk_top(m, existing, false, &wo);

	if (r)
		return EBIT(-r);
	if (!wo.child)
		return EBIT(ENOENT);
	r = walk_top(m, newpath, false, &wn);
	if (r)
		return EBIT(-r);
	if (!wn.dir || wn.child)
		set |= EBIT(EEXIST);
	if (N(m, wo.child)->type == HFS_S_IFDIR)
		set |= EBIT(EPERM);
	return set;
}
