/*
 * hfs_fake_core.c - holdfs.h implemented over the reference model, for
 * testing the differential driver (hfs_diff.c) itself: driven against this
 * fake, the driver must find no mismatch, and a planted fault must be
 * found.  Host-only, test-only; not a filesystem (nothing reaches pmem).
 *
 * One model per process.  hfs_fake_fault selects a planted bug.
 */
#include <stdlib.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <fs/holdfs.h>
#include "hfs_model.h"
#include "hfs_fake_core.h"

#define FAKE_BLOCKS	16384
#define FAKE_INODES	4096

struct hfs_fs {
	struct hfsm *m;
};

struct hfs_inode {
	struct hfs_fs *fs;
	uint32_t id;
	int refs;
};

static struct hfsm *model;
int hfs_fake_fault;

static struct hfs_inode *wrap(struct hfs_fs *fs, uint32_t id)
{
	struct hfs_inode *ip = calloc(1, sizeof(*ip));

	ip->fs = fs;
	ip->id = id;
	ip->refs = 1;
	return ip;
}

int hfs_mkfs(struct hfs_pm *pm, const struct hfs_mkfs_opts *opts)
{
	hfsm_free(model);
	model = hfsm_new();
	return 0;
}

int hfs_mount(struct hfs_pm *pm, unsigned flags, struct hfs_fs **out)
{
	struct hfs_fs *fs = calloc(1, sizeof(*fs));

	fs->m = model;
	*out = fs;
	return 0;
}

int hfs_unmount(struct hfs_fs *fs)
{
	hfsm_forget_opens(fs->m);
	free(fs);
	return 0;
}

int hfs_sync(struct hfs_fs *fs) { return 0; }

int hfs_statfs(struct hfs_fs *fs, struct hfs_statfs *st)
{
	uint64_t used = 0, inodes = 0;
	uint32_t i;

	for (i = 1; i < fs->m->nnodes; i++) {
		struct hfsm_node *n = hfsm_node(fs->m, i);

		if (!n)
			continue;
		inodes++;
		if (n->type == HFS_S_IFREG)
			used += (n->size + HFS_BLOCK_SIZE - 1) / HFS_BLOCK_SIZE;
	}
	memset(st, 0, sizeof(*st));
	st->block_size = HFS_BLOCK_SIZE;
	st->blocks = FAKE_BLOCKS;
	st->free_blocks = FAKE_BLOCKS - used;
	st->inodes = FAKE_INODES;
	st->free_inodes = FAKE_INODES - inodes;
	st->name_max = HFS_NAME_MAX;
	return 0;
}

int hfs_open(struct hfs_fs *fs, const char *path, int flags, uint32_t mode,
	     struct hfs_inode **out)
{
	uint32_t id;
	int r = hfsm_open(fs->m, path, flags, mode, &id);

	if (!r)
		*out = wrap(fs, id);
	return r;
}

int hfs_lookup(struct hfs_fs *fs, const char *path, bool follow, struct hfs_inode **out)
{
	uint32_t id;
	int r = hfsm_lookup(fs->m, path, follow, &id);

	if (!r) {
		hfsm_get(fs->m, id);
		*out = wrap(fs, id);
	}
	return r;
}

int hfs_stat(struct hfs_fs *fs, const char *path, bool follow, struct hfs_stat *st)
{
	return hfsm_stat(fs->m, path, follow, st);
}

int hfs_mkdir(struct hfs_fs *fs, const char *path, uint32_t mode)
{
	return hfsm_mkdir(fs->m, path, mode);
}

int hfs_rmdir(struct hfs_fs *fs, const char *path) { return hfsm_rmdir(fs->m, path); }

int hfs_unlink(struct hfs_fs *fs, const char *path, const struct hfs_wait *w)
{
	return hfsm_unlink(fs->m, path);
}

int hfs_rename(struct hfs_fs *fs, const char *from, const char *to, const struct hfs_wait *w)
{
	if (hfs_fake_fault == HFS_FAKE_RENAME_EISDIR) {
		struct hfs_stat a, b;

		if (!hfsm_stat(fs->m, from, false, &a) && !hfsm_stat(fs->m, to, false, &b) &&
		    (a.mode & HFS_S_IFMT) == HFS_S_IFREG && (b.mode & HFS_S_IFMT) == HFS_S_IFDIR)
			return -ENOTDIR;
	}
	return hfsm_rename(fs->m, from, to);
}

int hfs_rename2(struct hfs_fs *fs, const char *from, const char *to, unsigned flags,
		const struct hfs_wait *w)
{
	return flags ? hfsm_rename2(fs->m, from, to, flags) : hfs_rename(fs, from, to, w);
}

int hfs_link(struct hfs_fs *fs, const char *existing, const char *newpath)
{
	return hfsm_link(fs->m, existing, newpath);
}

int hfs_symlink(struct hfs_fs *fs, const char *target, const char *linkpath)
{
	return hfsm_symlink(fs->m, target, linkpath);
}

int hfs_readlink(struct hfs_fs *fs, const char *path, char *buf, size_t size)
{
	return hfsm_readlink(fs->m, path, buf, size);
}

struct hfs_inode *hfs_igrab(struct hfs_inode *ip)
{
	ip->refs++;
	return ip;
}

void hfs_iput(struct hfs_inode *ip)
{
	if (--ip->refs == 0) {
		hfsm_put(ip->fs->m, ip->id);
		free(ip);
	}
}

uint64_t hfs_ino(const struct hfs_inode *ip) { return ip->id; }

int hfs_getattr(struct hfs_inode *ip, struct hfs_stat *st)
{
	hfsm_getattr(ip->fs->m, ip->id, st);
	return 0;
}

int64_t hfs_read(struct hfs_inode *ip, uint64_t off, void *buf, size_t len)
{
	return hfsm_read(ip->fs->m, ip->id, off, buf, len);
}

int64_t hfs_write(struct hfs_inode *ip, uint64_t off, const void *buf, size_t len)
{
	int64_t r = hfsm_write(ip->fs->m, ip->id, off, buf, len);

	if (hfs_fake_fault == HFS_FAKE_WRITE_TAIL && r > 1 && off > 0)
		hfsm_node(ip->fs->m, ip->id)->data[off + len - 1] ^= 1;
	return r;
}

/* The pieces joined, then hfs_write(): the model has no gather write. */
int64_t hfs_writev(struct hfs_inode *ip, uint64_t off, const struct hfs_iovec *iov, unsigned n)
{
	size_t len = 0, done = 0;
	uint8_t *buf;
	int64_t r;

	for (unsigned i = 0; i < n; i++)
		len += iov[i].len;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		memcpy(buf + done, iov[i].base, iov[i].len);
		done += iov[i].len;
	}
	r = hfs_write(ip, off, buf, len);
	free(buf);
	return r;
}

int hfs_truncate(struct hfs_inode *ip, uint64_t size, const struct hfs_wait *w)
{
	return hfsm_truncate(ip->fs->m, ip->id, size);
}

int hfs_fallocate(struct hfs_inode *ip, int mode, uint64_t off, uint64_t len,
		  const struct hfs_wait *w)
{
	if (hfs_fake_fault == HFS_FAKE_COLLAPSE_EOF && mode == HFS_FALLOC_COLLAPSE &&
	    hfsm_node(ip->fs->m, ip->id)->size == off + len)
		return hfsm_truncate(ip->fs->m, ip->id, off);
	return hfsm_fallocate(ip->fs->m, ip->id, mode, off, len);
}

int hfs_fsync(struct hfs_inode *ip) { return 0; }

int hfs_readdir(struct hfs_inode *ip, uint64_t *cookie, struct hfs_dirent *de)
{
	struct hfsm *m = ip->fs->m;
	const struct hfsm_dirent *e;

	if (hfsm_node(m, ip->id)->type != HFS_S_IFDIR)
		return -ENOTDIR;
	if (*cookie >= hfsm_dir_count(m, ip->id))
		return 0;
	e = hfsm_dir_entry(m, ip->id, (uint32_t)*cookie);
	de->ino = e->child;
	de->type = hfsm_node(m, e->child)->type;
	strlcpy(de->name, e->name, sizeof(de->name));
	(*cookie)++;
	return 1;
}

int hfs_fsck(struct hfs_pm *pm, const struct hfs_fsck_opts *opts) { return HFS_FSCK_CLEAN; }
