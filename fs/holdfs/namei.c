/*
 * namei.c - path walk and the namespace operations (open/create, mkdir,
 * rmdir, unlink, rename and renameat2's NOREPLACE and EXCHANGE, link,
 * symlink, readlink, stat).
 *
 * Paths are absolute; "." and ".." are resolved through the inode's
 * parent field (directories have exactly one parent); symbolic links are
 * followed in the middle of a path, and at the end where the call says so,
 * at most HFS_SYMLINK_DEPTH times.
 *
 * Each namespace change is one transaction: the entries, the inodes whose
 * link counts change, and (when a last link goes) the freeing of a small
 * file, or its move to the orphan list (orphan.c).
 *
 * Locking: every operation holds fs->ns_lock for its whole walk: shared to
 * look up, exclusive to change.  Freeing a file's blocks takes that file's
 * layout lock after ns_lock, and breaks its DAX layout first.
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/compiler.h>
#include "hfs_int.h"

#define NLINK_LIMIT	65000

/* The result of a walk. */
struct nameidata {
	struct hfs_inode *dir;		/* parent of the last component (ref) */
	struct hfs_inode *ip;		/* the last component, NULL if absent (ref) */
	char name[HFS_NAME_MAX + 1];
	size_t len;
	uint64_t pos;			/* the name's slot in dir (WALK_PARENT, if
					 * it exists): UINT64_MAX if unknown */
	bool slash;			/* path ended with '/' */
};

#define WALK_SMALL	256	/* paths shorter than this walk on the stack */
#define WALK_PARENT	0x1	/* stop at the last component's parent */
#define WALK_FOLLOW	0x2	/* follow a symlink as last component */

static void nd_put(struct nameidata *nd)
{
	hfs_iput(nd->ip);
	hfs_iput(nd->dir);
	nd->ip = nd->dir = NULL;
}

/* Read the target of symlink @ip into @buf (HFS_PATH_MAX bytes).  Caller
 * holds ns_lock: a symlink's extents are the namespace's (extent.c). */
static int link_target(struct hfs_inode *ip, char *buf)
{
	uint64_t len = ip->d.size;
	struct hfs_dext e;
	uint64_t hole;
	int r;

	if (len <= HFS_INLINE_LINK_MAX) {
		memcpy(buf, ip->d.link, len);
	} else {
		r = hfs_ext_lookup(ip, 0, &e, &hole);
		if (r < 0)
			return r;
		if (r == 0)
			return -EUCLEAN;
		memcpy(buf, hfs_pm_ptr(ip->fs->pm, HFS_BLOCK_OFF(e.pblk)), len);
	}
	buf[len] = '\0';
	if (strlen(buf) != len)
		return -EUCLEAN;
	return (int)len;
}

static bool is_dot(const char *c, size_t n)
{
	return n == 1 && c[0] == '.';
}

static bool is_dotdot(const char *c, size_t n)
{
	return n == 2 && c[0] == '.' && c[1] == '.';
}

/* Step from @cur to component c of length n: "." / ".." / a name (*pos:
 * its slot in @cur, UINT64_MAX for "." and ".."). */
static int step(struct hfs_inode *cur, const char *c, size_t n, struct hfs_inode **next,
		uint64_t *pos)
{
	uint64_t ino;
	int err;

	*pos = UINT64_MAX;
	if (!hfs_is_dir(cur))
		return -ENOTDIR;
	if (is_dot(c, n))
		return *next = hfs_igrab(cur), 0;
	if (is_dotdot(c, n))
		return hfs_iget(cur->fs, cur->d.parent, next);
	err = hfs_dir_lookup(cur, c, n, &ino, pos);
	if (err)
		return err;
	return hfs_iget(cur->fs, ino, next);
}

/*
 * Walk @path.  On success nd->dir is the last component's directory and
 * nd->ip the component itself (NULL if it does not exist, which is an
 * error unless WALK_PARENT).  The path "/" has no last component: nd->len
 * is 0 and nd->ip is the root.
 */
static int walk_at(struct hfs_fs *fs, struct hfs_inode *start, const char *path,
		   unsigned flags, struct nameidata *nd)
{
	char small[WALK_SMALL], *buf, *heap = NULL, *p;
	unsigned links = 0;
	struct hfs_inode *cur;
	int err = 0;
	size_t plen;

	memset(nd, 0, sizeof(*nd));
	nd->pos = UINT64_MAX;
	if (!path)
		return -EFAULT;
	plen = strnlen(path, HFS_PATH_MAX);
	if (plen == 0)
		return -ENOENT;
	if (plen >= HFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (path[0] != '/' && !start)
		return -EINVAL;
	if (start && start->fs != fs)
		return -EXDEV;
	/* Short paths (nearly all) are walked in a stack copy; a long one, or
	 * the first symlink, moves to a heap buffer with room for expansion. */
	buf = small;
	if (plen >= sizeof(small)) {
		buf = heap = hfs_alloc(2 * HFS_PATH_MAX);
		if (!buf)
			return -ENOMEM;
	}
	memcpy(buf, path, plen + 1);
	p = buf;
	cur = hfs_igrab(path[0] == '/' ? fs->root : start);
	for (;;) {
		const char *c;
		size_t n;
		struct hfs_inode *next = NULL;
		bool last;

		while (*p == '/')
			p++;
		if (*p == '\0') {		/* "/" or trailing slashes */
			nd->ip = cur;
			nd->dir = hfs_igrab(cur);
			nd->len = 0;
			cur = NULL;
			break;
		}
		c = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (!hfs_is_dir(cur)) {		/* before the name's length, as Linux */
			err = -ENOTDIR;
			break;
		}
		if (n > HFS_NAME_MAX) {
			err = -ENAMETOOLONG;
			break;
		}
		{
			const char *q = p;

			while (*q == '/')
				q++;
			last = *q == '\0';
			nd->slash = last && *p == '/';
		}
		if (last && (flags & WALK_PARENT)) {
			nd->dir = cur;
			memcpy(nd->name, c, n);
			nd->name[n] = '\0';
			nd->len = n;
			cur = NULL;
			err = step(nd->dir, c, n, &nd->ip, &nd->pos);
			if (err == -ENOENT) {
				nd->ip = NULL;
				nd->pos = UINT64_MAX;
				err = 0;
			}
			break;
		}
		err = step(cur, c, n, &next, &nd->pos);
		if (err)
			break;
		if (hfs_is_lnk(next) && (!last || (flags & WALK_FOLLOW) || nd->slash)) {
			char *target;
			int tl;
			size_t rest;

			if (!heap) {
				heap = hfs_alloc(2 * HFS_PATH_MAX);
				if (!heap) {
					hfs_iput(next);
					err = -ENOMEM;
					break;
				}
				memcpy(heap, buf, plen + 1);
				p = heap + (p - buf);
				buf = heap;
			}
			target = buf + HFS_PATH_MAX;

			if (++links > HFS_SYMLINK_DEPTH) {
				hfs_iput(next);
				err = -ELOOP;
				break;
			}
			tl = link_target(next, target);
			hfs_iput(next);
			if (tl < 0) {
				err = tl;
				break;
			}
			rest = strlen(p);
			if ((size_t)tl + 1 + rest >= HFS_PATH_MAX) {
				err = -ENAMETOOLONG;
				break;
			}
			/* New path = target + rest, in place in buf. */
			memmove(buf + tl, p, rest + 1);
			memcpy(buf, target, (size_t)tl);
			p = buf;
			if (buf[0] == '/') {
				hfs_iput(cur);
				cur = hfs_igrab(fs->root);
			}
			continue;
		}
		hfs_iput(cur);
		cur = next;
		if (last) {
			nd->ip = cur;
			nd->dir = NULL;
			memcpy(nd->name, c, n);
			nd->name[n] = '\0';
			nd->len = n;
			cur = NULL;
			break;
		}
	}
	hfs_iput(cur);
	hfs_free(heap);
	if (err)
		nd_put(nd);
	else if (nd->slash && nd->ip && !hfs_is_dir(nd->ip))
		err = -ENOTDIR, nd_put(nd);
	return err;
}

/*
 * @nd names an existing symlink and the caller creates what it points to
 * (open with O_CREAT through a dangling link): walk to the final target's
 * parent, following further links.
 */
static int walk_link_parent(struct hfs_fs *fs, struct nameidata *nd)
{
	unsigned n;
	char *target = hfs_alloc(HFS_PATH_MAX);
	int err = 0;

	if (!target)
		return -ENOMEM;
	for (n = 0; nd->ip && hfs_is_lnk(nd->ip); n++) {
		struct nameidata sub;
		int tl;

		if (n >= HFS_SYMLINK_DEPTH) {
			err = -ELOOP;
			break;
		}
		tl = link_target(nd->ip, target);
		if (tl < 0) {
			err = tl;
			break;
		}
		err = walk_at(fs, nd->dir, target, WALK_PARENT, &sub);
		if (err)
			break;
		nd_put(nd);
		*nd = sub;
	}
	hfs_free(target);
	return err;
}

/* Walk to an existing object. */
static int walk_obj(struct hfs_fs *fs, struct hfs_inode *dir, const char *path, bool follow,
		    struct hfs_inode **out)
{
	struct nameidata nd;
	int err = walk_at(fs, dir, path, follow ? WALK_FOLLOW : 0, &nd);

	if (err)
		return err;
	*out = nd.ip;
	nd.ip = NULL;
	nd_put(&nd);
	return 0;
}

static int valid_new_name(const struct nameidata *nd)
{
	if (nd->len == 0)
		return -EEXIST;		/* "/" */
	if (is_dot(nd->name, nd->len) || is_dotdot(nd->name, nd->len))
		return -EEXIST;
	return 0;
}

/* ------------------------------------------------------------ lookups */

int hfs_lookup_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path, bool follow,
		  struct hfs_inode **out)
{
	int err;

	hfs_down_read(&fs->ns_lock);
	err = walk_obj(fs, dir, path, follow, out);
	hfs_up_read(&fs->ns_lock);
	return err;
}

int hfs_stat(struct hfs_fs *fs, const char *path, bool follow, struct hfs_stat *st)
{
	struct hfs_inode *ip;
	int err = hfs_lookup(fs, path, follow, &ip);

	if (err)
		return err;
	hfs_getattr(ip, st);
	hfs_iput(ip);
	return 0;
}

int hfs_readlink_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path, char *buf,
		    size_t size)
{
	struct hfs_inode *ip;
	char *t;
	int err = hfs_lookup_at(fs, dir, path, false, &ip);

	if (err)
		return err;
	if (!hfs_is_lnk(ip)) {
		hfs_iput(ip);
		return -EINVAL;
	}
	t = hfs_alloc(HFS_PATH_MAX);
	if (!t) {
		hfs_iput(ip);
		return -ENOMEM;
	}
	hfs_down_read(&fs->ns_lock);	/* a symlink's tree is the namespace's */
	err = link_target(ip, t);
	hfs_up_read(&fs->ns_lock);
	if (err >= 0 && size) {
		size_t n = MIN((size_t)err, size);

		memcpy(buf, t, n);
		if (n < size)
			buf[n] = '\0';
	}
	hfs_free(t);
	hfs_iput(ip);
	return err;
}

/* ------------------------------------------------------------ create */

/* Free blocks below which a new file gets no first block in advance. */
#define PREALLOC_RESERVE	64

/*
 * A regular file created for writing gets its first block in the create
 * transaction: most such files are then written once and closed, and the
 * first write then needs no transaction of its own (~10,000 of a create's
 * ~36,000 cycles).  Until written the block lies past EOF, speculative like
 * an append's allocate-ahead, and the last close gives it back if it is
 * still there (inode_release).  Nothing is lost when there is no room.
 */
static void prealloc_first_block(struct hfs_tx *tx, struct hfs_inode *ip)
{
	uint64_t pb, got;

	if (tx->fs->free_blocks <= PREALLOC_RESERVE || hfs_balloc(tx, 0, 1, 1, &pb, &got))
		return;
	ip->d.blocks = 1;
	hfs_ext_insert(tx, ip, 0, pb, 1);
	ip->spec_from = 0;
}

/*
 * Create @nd's last component as a new inode of @mode (ns_lock held).
 * @for_write: a regular file the caller opens for writing.
 */
static int create(struct nameidata *nd, uint32_t mode, const char *target,
		  bool for_write, struct hfs_inode **out)
{
	struct hfs_fs *fs = nd->dir->fs;
	struct hfs_inode *dir = nd->dir, *ip = NULL;
	bool isdir = (mode & HFS_S_IFMT) == HFS_S_IFDIR;
	struct hfs_tx *tx;
	int err;

	if (!hfs_is_dir(dir))
		return -ENOTDIR;
	if (dir->d.nlink == 0)
		return -ENOENT;		/* removed directory */
	if (isdir && dir->d.nlink >= NLINK_LIMIT)
		return -EMLINK;
	tx = hfs_tx_begin(fs);
	err = hfs_inode_new(tx, dir, mode, &ip);
	if (err) {
		hfs_tx_abort(tx);
		if (ip)
			hfs_inode_discard(ip);
		return err;
	}
	ip->d.nlink = isdir ? 2 : 1;
	if (target) {
		size_t len = strlen(target);

		ip->d.size = len;
		if (len <= HFS_INLINE_LINK_MAX) {
			memcpy(ip->d.link, target, len);
		} else {
			uint64_t pb, got;

			err = hfs_balloc(tx, 0, 1, 1, &pb, &got);
			if (!err) {
				/* Unreferenced until commit: write in place. */
				hfs_pm_zero(fs->pm, HFS_BLOCK_OFF(pb), HFS_BLOCK_SIZE);
				hfs_pm_write(fs->pm, HFS_BLOCK_OFF(pb), target, len);
				hfs_pm_flush(fs->pm, HFS_BLOCK_OFF(pb), HFS_BLOCK_SIZE);
				hfs_tx_direct(tx);
				ip->d.blocks = 1;
				hfs_ext_insert(tx, ip, 0, pb, 1);
			} else {
				hfs_tx_fail(tx, err);
			}
		}
	}
	hfs_dir_add(tx, dir, nd->name, nd->len, ip->ino, hfs_mode_ft(mode));
	if (for_write)		/* after any new directory block: the file's
				 * next blocks can then follow its first */
		prealloc_first_block(tx, ip);
	hfs_tx_dirty_inode(tx, dir);
	if (isdir)
		dir->d.nlink++;
	hfs_touch(dir, true);
	err = hfs_tx_commit(tx);
	if (err) {
		hfs_inode_discard(ip);
		return err;
	}
	*out = ip;
	return 0;
}

int hfs_open_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path, int flags,
		uint32_t mode, struct hfs_inode **out)
{
	struct nameidata nd;
	struct hfs_inode *ip;
	int acc = flags & HFS_O_ACCMODE, err;
	bool writing = acc == HFS_O_WRONLY || acc == HFS_O_RDWR;

	if (acc == HFS_O_ACCMODE)
		return -EINVAL;
	if (hfs_rdonly(fs) && (writing || (flags & (HFS_O_CREAT | HFS_O_TRUNC)))) {
		if (!(flags & HFS_O_CREAT) ||
		    hfs_lookup_at(fs, dir, path, !(flags & HFS_O_NOFOLLOW), &ip))
			return -EROFS;
		hfs_iput(ip);
		if (writing || (flags & (HFS_O_EXCL | HFS_O_TRUNC)))
			return -EROFS;
		flags &= ~HFS_O_CREAT;
	}
	if (!(flags & HFS_O_CREAT)) {
		hfs_down_read(&fs->ns_lock);
		err = walk_at(fs, dir, path, (flags & HFS_O_NOFOLLOW) ? 0 : WALK_FOLLOW, &nd);
		hfs_up_read(&fs->ns_lock);
		if (err)
			return err;
		ip = nd.ip;
		nd.ip = NULL;
		nd_put(&nd);
	} else {
		hfs_down_write(&fs->ns_lock);
		err = walk_at(fs, dir, path, WALK_PARENT, &nd);
		if (!err && nd.len == 0)
			err = -EISDIR;
		if (!err && nd.ip && (flags & HFS_O_EXCL))
			err = -EEXIST;
		if (!err && nd.ip && hfs_is_lnk(nd.ip) && !(flags & HFS_O_NOFOLLOW)) {
			/* A symlink: open (or create) what it points to. */
			err = walk_link_parent(fs, &nd);
			if (!err && nd.ip && (flags & HFS_O_EXCL))
				err = -EEXIST;
		}
		if (!err && !nd.ip && nd.slash)
			err = -EISDIR;
		if (!err && nd.ip && hfs_is_dir(nd.ip))
			err = -EISDIR;		/* O_CREAT on a directory (Linux) */
		if (!err && !nd.ip) {
			err = valid_new_name(&nd);
			if (!err)
				err = create(&nd, HFS_S_IFREG | (mode & 07777), NULL, writing,
					     &nd.ip);
		}
		hfs_up_write(&fs->ns_lock);
		if (err) {
			nd_put(&nd);
			return err;
		}
		ip = nd.ip;
		nd.ip = NULL;
		nd_put(&nd);
	}
	if (hfs_is_lnk(ip)) {
		hfs_iput(ip);
		return -ELOOP;		/* O_NOFOLLOW on a symlink */
	}
	if (hfs_is_dir(ip) && (writing || (flags & HFS_O_TRUNC))) {
		hfs_iput(ip);
		return -EISDIR;
	}
	if ((flags & HFS_O_TRUNC) && writing && ip->d.size) {
		err = hfs_truncate(ip, 0, NULL);
		if (err) {
			hfs_iput(ip);
			return err;
		}
	}
	*out = ip;
	return 0;
}

int hfs_mkdir_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path, uint32_t mode)
{
	struct nameidata nd;
	struct hfs_inode *ip = NULL;
	int err;

	if (hfs_rdonly(fs))
		return -EROFS;
	hfs_down_write(&fs->ns_lock);
	err = walk_at(fs, dir, path, WALK_PARENT, &nd);
	if (!err && (nd.ip || nd.len == 0))
		err = -EEXIST;
	if (!err)
		err = valid_new_name(&nd);
	if (!err)
		err = create(&nd, HFS_S_IFDIR | (mode & 07777), NULL, false, &ip);
	hfs_up_write(&fs->ns_lock);
	hfs_iput(ip);
	nd_put(&nd);
	return err;
}

int hfs_symlink_at(struct hfs_fs *fs, const char *target, struct hfs_inode *dir,
		   const char *linkpath)
{
	struct nameidata nd;
	struct hfs_inode *ip = NULL;
	size_t tl;
	int err;

	if (!target)
		return -EFAULT;
	tl = strnlen(target, HFS_PATH_MAX);
	if (tl == 0)
		return -ENOENT;
	if (tl >= HFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (hfs_rdonly(fs))
		return -EROFS;
	hfs_down_write(&fs->ns_lock);
	err = walk_at(fs, dir, linkpath, WALK_PARENT, &nd);
	if (!err && (nd.ip || nd.len == 0))
		err = -EEXIST;
	if (!err && nd.slash)
		err = -ENOENT;
	if (!err)
		err = valid_new_name(&nd);
	if (!err)
		err = create(&nd, HFS_S_IFLNK | 0777, target, false, &ip);
	hfs_up_write(&fs->ns_lock);
	hfs_iput(ip);
	nd_put(&nd);
	return err;
}

int hfs_link_at(struct hfs_fs *fs, struct hfs_inode *odir, const char *existing,
		struct hfs_inode *ndir, const char *newpath)
{
	struct nameidata nd;
	struct hfs_inode *ip = NULL;
	struct hfs_tx *tx;
	int err;

	if (hfs_rdonly(fs))
		return -EROFS;
	hfs_down_write(&fs->ns_lock);
	err = walk_obj(fs, odir, existing, false, &ip);
	if (err)
		goto out_unlock;
	err = walk_at(fs, ndir, newpath, WALK_PARENT, &nd);
	if (err)
		goto out_iput;
	if (hfs_is_dir(ip))
		err = -EPERM;
	else if (nd.ip || nd.len == 0)
		err = -EEXIST;
	else if (!hfs_is_dir(nd.dir))
		err = -ENOTDIR;
	else if (ip->d.nlink >= NLINK_LIMIT)
		err = -EMLINK;
	else if (nd.dir->d.nlink == 0 || ip->d.nlink == 0)
		err = -ENOENT;
	if (!err)
		err = valid_new_name(&nd);
	if (!err) {
		tx = hfs_tx_begin(fs);
		hfs_dir_add(tx, nd.dir, nd.name, nd.len, ip->ino, hfs_mode_ft(ip->d.mode));
		hfs_tx_dirty_inode(tx, ip);
		ip->d.nlink++;
		hfs_touch_ctime(ip);		/* the file's inode changed, not its data */
		hfs_touch(nd.dir, true);
		err = hfs_tx_commit(tx);
	}
	nd_put(&nd);
out_iput:
	hfs_iput(ip);
out_unlock:
	hfs_up_write(&fs->ns_lock);
	return err;
}

/* ------------------------------------------------------------ remove */

/*
 * In @tx, take one link from @victim (a directory loses all of them).
 * The caller holds victim's layout lock exclusive and broke its layout.
 */
static void drop_link(struct hfs_tx *tx, struct hfs_inode *victim)
{
	hfs_assert_held_write(&victim->layout);
	hfs_tx_dirty_inode(tx, victim);
	if (hfs_is_dir(victim))
		victim->d.nlink = 0;
	else
		victim->d.nlink--;
	hfs_touch_ctime(victim);
	if (victim->d.nlink == 0) {
		bool sole;

		hfs_mutex_lock(&tx->fs->icache_lock);
		sole = victim->ref == 1;
		hfs_mutex_unlock(&tx->fs->icache_lock);
		hfs_drop_last_link(tx, victim, sole);
	}
}

/* Lock @victim's layout and break it when its last link is going. */
static int victim_lock(struct hfs_inode *victim, const struct hfs_wait *w)
{
	int err = 0;

	hfs_down_write(&victim->layout);
	if (hfs_is_dir(victim) || victim->d.nlink <= 1)
		err = hfs_break_layout(victim, &victim->layout, 0,
				       HFS_MAX_FILE_BYTES, w);
	if (err)
		hfs_up_write(&victim->layout);
	return err;
}

static int do_remove(struct hfs_fs *fs, struct hfs_inode *at, const char *path, bool dir,
		     const struct hfs_wait *w)
{
	struct nameidata nd;
	struct hfs_inode *ip;
	struct hfs_tx *tx;
	uint64_t n;
	int err;

	if (hfs_rdonly(fs))
		return -EROFS;
	hfs_down_write(&fs->ns_lock);
	err = walk_at(fs, at, path, WALK_PARENT, &nd);
	if (err)
		goto out;
	ip = nd.ip;
	if (nd.len == 0)
		err = -EBUSY;			/* the root */
	else if (is_dot(nd.name, nd.len))
		err = -EINVAL;
	else if (is_dotdot(nd.name, nd.len))
		err = -ENOTEMPTY;
	else if (!ip)
		err = -ENOENT;
	else if (dir && !hfs_is_dir(ip))
		err = -ENOTDIR;
	else if (!dir && hfs_is_dir(ip))
		err = -EISDIR;
	else if (dir && ip == fs->root)
		err = -EBUSY;
	else if (dir && (err = hfs_dir_count(ip, &n)) == 0 && n)
		err = -ENOTEMPTY;
	if (err)
		goto out_put;
	err = victim_lock(ip, w);
	if (err)
		goto out_put;
	tx = hfs_tx_begin(fs);
	hfs_dir_remove(tx, nd.dir, nd.name, nd.len, nd.pos);
	hfs_tx_dirty_inode(tx, nd.dir);
	if (dir)
		nd.dir->d.nlink--;
	hfs_touch(nd.dir, true);
	drop_link(tx, ip);
	err = hfs_tx_commit(tx);
	hfs_up_write(&ip->layout);
out_put:
	nd_put(&nd);
out:
	hfs_up_write(&fs->ns_lock);
	return err;
}

int hfs_unlink_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path,
		  const struct hfs_wait *w)
{
	return do_remove(fs, dir, path, false, w);
}

int hfs_rmdir_at(struct hfs_fs *fs, struct hfs_inode *dir, const char *path)
{
	return do_remove(fs, dir, path, true, NULL);
}

/* ------------------------------------------------------------ rename */

/* Is @dir @anc or below it?  (Walks parent fields; bounded.) */
static int is_below(struct hfs_fs *fs, struct hfs_inode *dir, struct hfs_inode *anc,
		    bool *below)
{
	uint64_t ino = dir->ino, steps;

	*below = false;
	for (steps = 0; steps < fs->ninodes; steps++) {
		struct hfs_inode *ip;
		uint64_t parent;
		int err;

		if (ino == anc->ino) {
			*below = true;
			return 0;
		}
		if (ino == HFS_ROOT_INO)
			return 0;
		err = hfs_iget(fs, ino, &ip);
		if (err)
			return err;
		parent = ip->d.parent;
		hfs_iput(ip);
		ino = parent;
	}
	hfs_log("holdfs: directory parents loop above inode %llu\n",
		(unsigned long long)dir->ino);
	return -EUCLEAN;
}

/* The checks every rename makes first: names, and the source exists. */
static int rename_names_check(const struct nameidata *src, const struct nameidata *dst)
{
	if (src->len == 0 || dst->len == 0)
		return -EBUSY;
	if (is_dot(src->name, src->len) || is_dotdot(src->name, src->len) ||
	    is_dot(dst->name, dst->len) || is_dotdot(dst->name, dst->len))
		return -EINVAL;
	if (!src->ip)
		return -ENOENT;
	return 0;
}

/* May directory @ip move under @dir?  Not into itself or below it. */
static int move_dir_check(struct hfs_fs *fs, struct hfs_inode *ip, struct hfs_inode *dir)
{
	bool below;
	int err;

	if (!hfs_is_dir(ip))
		return 0;
	err = is_below(fs, dir, ip, &below);
	if (err)
		return err;
	return below ? -EINVAL : 0;
}

static int rename_check(struct hfs_fs *fs, struct nameidata *src, struct nameidata *dst,
			unsigned flags)
{
	struct hfs_inode *s = src->ip, *d = dst->ip;
	int err;

	err = rename_names_check(src, dst);
	if (err)
		return err;
	if ((flags & HFS_RENAME_NOREPLACE) && d)
		return -EEXIST;		/* even the same file, as Linux */
	if (s == d)
		return 0;		/* same file: rename does nothing */
	if (!hfs_is_dir(dst->dir))
		return -ENOTDIR;
	if (dst->dir->d.nlink == 0)
		return -ENOENT;
	if ((src->slash || dst->slash) && !hfs_is_dir(s))
		return -ENOTDIR;
	err = move_dir_check(fs, s, dst->dir);
	if (err)
		return err;
	if (!d)
		return 0;
	if (hfs_is_dir(d) && !hfs_is_dir(s))
		return -EISDIR;
	if (!hfs_is_dir(d) && hfs_is_dir(s))
		return -ENOTDIR;
	if (hfs_is_dir(d)) {
		uint64_t n;

		err = hfs_dir_count(d, &n);
		if (err)
			return err;
		if (n)
			return -ENOTEMPTY;
	}
	return 0;
}

/*
 * RENAME_EXCHANGE's checks: both names exist; neither is a directory
 * that the other would end up inside; a trailing '/' names a directory;
 * a directory moving to another parent finds room for its link there.
 */
static int exchange_check(struct hfs_fs *fs, struct nameidata *src, struct nameidata *dst)
{
	struct hfs_inode *s = src->ip, *d = dst->ip;
	int err;

	err = rename_names_check(src, dst);
	if (err)
		return err;
	if (!d)
		return -ENOENT;
	if (s == d)
		return 0;
	if ((src->slash && !hfs_is_dir(s)) || (dst->slash && !hfs_is_dir(d)))
		return -ENOTDIR;
	err = move_dir_check(fs, s, dst->dir);
	if (!err)
		err = move_dir_check(fs, d, src->dir);
	if (err || src->dir == dst->dir || hfs_is_dir(s) == hfs_is_dir(d))
		return err;
	if ((hfs_is_dir(s) ? dst->dir : src->dir)->d.nlink >= NLINK_LIMIT)
		return -EMLINK;
	return 0;
}

/* Point @nd's entry at @ip, in @tx. */
static void set_entry(struct hfs_tx *tx, struct nameidata *nd, struct hfs_inode *ip)
{
	uint64_t pos, ino;
	int err;

	err = hfs_dir_lookup(nd->dir, nd->name, nd->len, &ino, &pos);
	if (!err)
		err = hfs_dir_set_ino(tx, nd->dir, pos, ip->ino, hfs_mode_ft(ip->d.mode));
	if (err)
		hfs_tx_fail(tx, err);
}

/* Directory @ip leaves @from for @to: its parent and both link counts. */
static void move_dir(struct hfs_inode *ip, struct hfs_inode *from, struct hfs_inode *to)
{
	if (!hfs_is_dir(ip) || from == to)
		return;
	ip->d.parent = to->ino;
	from->d.nlink--;
	to->d.nlink++;
}

/*
 * Swap the inodes two existing entries name, in one transaction: both
 * entries are rewritten in place (their names and slots stay), so no
 * directory grows and nothing is freed.  Caller holds ns_lock exclusive.
 */
static int exchange(struct hfs_fs *fs, struct nameidata *src, struct nameidata *dst)
{
	struct hfs_inode *s = src->ip, *d = dst->ip;
	struct hfs_tx *tx = hfs_tx_begin(fs);

	set_entry(tx, dst, s);
	set_entry(tx, src, d);
	hfs_tx_dirty_inode(tx, s);
	hfs_tx_dirty_inode(tx, d);
	hfs_tx_dirty_inode(tx, src->dir);
	hfs_tx_dirty_inode(tx, dst->dir);
	move_dir(s, src->dir, dst->dir);
	move_dir(d, dst->dir, src->dir);
	hfs_touch_ctime(s);
	hfs_touch_ctime(d);
	hfs_touch(src->dir, true);
	hfs_touch(dst->dir, true);
	return hfs_tx_commit(tx);
}


/*
 * Move @src's inode to @dst's name, replacing what is there (rename(2)),
 * in one transaction.  Caller holds ns_lock exclusive.
 */
static int move(struct hfs_fs *fs, struct nameidata *src, struct nameidata *dst,
		const struct hfs_wait *w)
{
	struct hfs_inode *s = src->ip, *victim = dst->ip;
	struct hfs_tx *tx;
	int err;

	if (victim) {
		err = victim_lock(victim, w);
		if (err)
			return err;
	}
	tx = hfs_tx_begin(fs);
	if (victim) {
		set_entry(tx, dst, s);
		if (hfs_is_dir(victim)) {
			hfs_tx_dirty_inode(tx, dst->dir);
			dst->dir->d.nlink--;
		}
		drop_link(tx, victim);
	} else {
		hfs_dir_add(tx, dst->dir, dst->name, dst->len, s->ino, hfs_mode_ft(s->d.mode));
	}
	hfs_dir_remove(tx, src->dir, src->name, src->len, src->pos);
	hfs_tx_dirty_inode(tx, s);
	hfs_tx_dirty_inode(tx, src->dir);
	hfs_tx_dirty_inode(tx, dst->dir);
	move_dir(s, src->dir, dst->dir);
	hfs_touch_ctime(s);
	hfs_touch(src->dir, true);
	hfs_touch(dst->dir, true);
	err = hfs_tx_commit(tx);
	if (victim)
		hfs_up_write(&victim->layout);
	return err;
}

int hfs_rename2_at(struct hfs_fs *fs, struct hfs_inode *fdir, const char *from,
		   struct hfs_inode *tdir, const char *to, unsigned flags,
		   const struct hfs_wait *w)
{
	struct nameidata src, dst;
	int err;

	if ((flags & ~(HFS_RENAME_NOREPLACE | HFS_RENAME_EXCHANGE)) ||
	    flags == (HFS_RENAME_NOREPLACE | HFS_RENAME_EXCHANGE))
		return -EINVAL;
	if (hfs_rdonly(fs))
		return -EROFS;
	hfs_down_write(&fs->ns_lock);
	err = walk_at(fs, fdir, from, WALK_PARENT, &src);
	if (err)
		goto out;
	err = walk_at(fs, tdir, to, WALK_PARENT, &dst);
	if (err)
		goto out_src;
	if (flags & HFS_RENAME_EXCHANGE) {
		err = exchange_check(fs, &src, &dst);
		if (!err && src.ip != dst.ip)
			err = exchange(fs, &src, &dst);
	} else {
		err = rename_check(fs, &src, &dst, flags);
		if (!err && src.ip != dst.ip)
			err = move(fs, &src, &dst, w);
	}
	nd_put(&dst);
out_src:
	nd_put(&src);
out:
	hfs_up_write(&fs->ns_lock);
	return err;
}

/*
 * One component @name (no '/'; "." and ".." allowed) of directory @dir,
 * not following a symlink: the VFS's step, without a whole walk's set-up.
 */
int hfs_lookup_one(struct hfs_fs *fs, struct hfs_inode *dir, const char *name,
		   struct hfs_inode **out)
{
	size_t n = strnlen(name, HFS_NAME_MAX + 1);
	uint64_t pos;
	int err;

	if (dir->fs != fs)
		return -EXDEV;
	if (n == 0)
		return -ENOENT;
	if (n > HFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (strchr(name, '/'))
		return -EINVAL;
	hfs_down_read(&fs->ns_lock);
	err = step(dir, name, n, out, &pos);
	hfs_up_read(&fs->ns_lock);
	return err;
}

/* ------------------------------------------------------------ path wrappers */
/*
 * The calls on absolute paths from the root, as the host tools, FUSE and
 * the host tests use them: the *_at calls with no starting directory.
 */

int hfs_lookup(struct hfs_fs *fs, const char *path, bool follow, struct hfs_inode **out)
{
	return hfs_lookup_at(fs, NULL, path, follow, out);
}

int hfs_readlink(struct hfs_fs *fs, const char *path, char *buf, size_t size)
{
	return hfs_readlink_at(fs, NULL, path, buf, size);
}

int hfs_open(struct hfs_fs *fs, const char *path, int flags, uint32_t mode,
	     struct hfs_inode **out)
{
	return hfs_open_at(fs, NULL, path, flags, mode, out);
}

int hfs_mkdir(struct hfs_fs *fs, const char *path, uint32_t mode)
{
	return hfs_mkdir_at(fs, NULL, path, mode);
}

int hfs_symlink(struct hfs_fs *fs, const char *target, const char *linkpath)
{
	return hfs_symlink_at(fs, target, NULL, linkpath);
}

int hfs_link(struct hfs_fs *fs, const char *existing, const char *newpath)
{
	return hfs_link_at(fs, NULL, existing, NULL, newpath);
}

int hfs_unlink(struct hfs_fs *fs, const char *path, const struct hfs_wait *w)
{
	return hfs_unlink_at(fs, NULL, path, w);
}

int hfs_rmdir(struct hfs_fs *fs, const char *path)
{
	return hfs_rmdir_at(fs, NULL, path);
}

struct hfs_inode *hfs_root_inode(struct hfs_fs *fs)
{
	return hfs_igrab(fs->root);
}

int hfs_rename_at(struct hfs_fs *fs, struct hfs_inode *fdir, const char *from,
		  struct hfs_inode *tdir, const char *to, const struct hfs_wait *w)
{
	return hfs_rename2_at(fs, fdir, from, tdir, to, 0, w);
}

int hfs_rename2(struct hfs_fs *fs, const char *from, const char *to, unsigned flags,
		const struct hfs_wait *w)
{
	return hfs_rename2_at(fs, NULL, from, NULL, to, flags, w);
}

int hfs_rename(struct hfs_fs *fs, const char *from, const char *to, const struct hfs_wait *w)
{
	return hfs_rename2_at(fs, NULL, from, NULL, to, 0, w);
}
