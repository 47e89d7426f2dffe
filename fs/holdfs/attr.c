/*
 * attr.c - changing an inode's attributes (hfs_setattr: chmod, chown,
 * utimensat) and the POSIX permission check (hfs_permission).
 *
 * Owner, mode and ctime are inside the inode's checksum, so every change
 * is one transaction that logs the inode; it also sets ctime, as POSIX
 * asks of every change of an inode's attributes.  Who may change what is
 * the caller's business: the core stores what it is told, and offers
 * hfs_permission() for callers that check access (the FUSE tool, system
 * calls).
 *
 * Locking: hfs_setattr takes the inode's layout lock exclusive (writes set
 * mtime under it, so a time set here is never half-overwritten by a
 * concurrent write's), then tx_lock through the transaction.
 * hfs_permission reads the mode and owner without a lock.
 */
#include <lib/errno.h>
#include "hfs_int.h"

/* A time hfs_setattr accepts: HFS_TIME_NOW or one the format can hold. */
static bool time_ok(uint64_t t)
{
	return t == HFS_TIME_NOW || t <= HFS_TIME_MAX;
}

static int setattr_check(const struct hfs_setattr *sa)
{
	if (!sa)
		return -EFAULT;
	if (sa->mask & ~HFS_ATTR_ALL)
		return -EINVAL;
	if ((sa->mask & HFS_ATTR_MODE) && (sa->mode & ~HFS_MODE_PERM))
		return -EINVAL;
	if (((sa->mask & HFS_ATTR_UID) && sa->uid == HFS_ID_INVALID) ||
	    ((sa->mask & HFS_ATTR_GID) && sa->gid == HFS_ID_INVALID))
		return -EINVAL;
	if (((sa->mask & HFS_ATTR_ATIME) && !time_ok(sa->atime_ns)) ||
	    ((sa->mask & HFS_ATTR_MTIME) && !time_ok(sa->mtime_ns)))
		return -EINVAL;
	return 0;
}

/* Apply @sa to @ip's DRAM image at time @now (inside the transaction). */
static void setattr_apply(struct hfs_inode *ip, const struct hfs_setattr *sa, uint64_t now)
{
	struct hfs_dinode *d = &ip->d;

	if (sa->mask & HFS_ATTR_MODE)
		d->mode = (uint16_t)((d->mode & HFS_S_IFMT) | sa->mode);
	else if ((sa->mask & (HFS_ATTR_UID | HFS_ATTR_GID)) && !hfs_is_dir(ip)) {
		/* A new owner does not inherit the old one's privileges. */
		d->mode &= (uint16_t)~HFS_S_ISUID;
		if (d->mode & HFS_S_IXGRP)
			d->mode &= (uint16_t)~HFS_S_ISGID;
	}
	if (sa->mask & HFS_ATTR_UID)
		d->uid = sa->uid;
	if (sa->mask & HFS_ATTR_GID)
		d->gid = sa->gid;
	if (sa->mask & HFS_ATTR_ATIME)
		d->atime_ns = sa->atime_ns == HFS_TIME_NOW ? now : sa->atime_ns;
	if (sa->mask & HFS_ATTR_MTIME)
		d->mtime_ns = sa->mtime_ns == HFS_TIME_NOW ? now : sa->mtime_ns;
	d->ctime_ns = now;
}

/**
 * hfs_setattr - see holdfs.h.
 */
int hfs_setattr(struct hfs_inode *ip, const struct hfs_setattr *sa)
{
	struct hfs_fs *fs = ip->fs;
	struct hfs_tx *tx;
	int err;

	err = setattr_check(sa);
	if (err)
		return err;
	if (sa->mask == 0)
		return 0;
	if (hfs_rdonly(fs))
		return -EROFS;
	hfs_down_write(&ip->layout);
	tx = hfs_tx_begin(fs);
	hfs_tx_dirty_inode(tx, ip);
	setattr_apply(ip, sa, hfs_now_ns());
	/* Times are outside the checksum and also stored in place at close:
	 * keep that store from writing anything older than this. */
	__atomic_store_n(&ip->attrs_dirty, true, __ATOMIC_RELEASE);
	err = hfs_tx_commit(tx);
	hfs_up_write(&ip->layout);
	return err;
}

/* Is @gid the caller's primary group or one of its others? */
static bool in_group(uint32_t gid, uint32_t pgid, const uint32_t *groups, size_t ngroups)
{
	size_t i;

	if (gid == pgid)
		return true;
	for (i = 0; groups && i < ngroups; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/**
 * hfs_permission - see holdfs.h.
 */
int hfs_permission(struct hfs_inode *ip, uint32_t uid, uint32_t gid,
		   const uint32_t *groups, size_t ngroups, unsigned mask)
{
	uint32_t mode = __atomic_load_n(&ip->d.mode, __ATOMIC_RELAXED);
	uint32_t bits;

	mask &= HFS_MAY_READ | HFS_MAY_WRITE | HFS_MAY_EXEC;
	if (uid == 0) {
		if (!(mask & HFS_MAY_EXEC) || hfs_is_dir(ip) || (mode & 0111))
			return 0;
		return -EACCES;
	}
	if (uid == ip->d.uid)
		bits = (mode >> 6) & 7;		/* owner class */
	else if (in_group(ip->d.gid, gid, groups, ngroups))
		bits = (mode >> 3) & 7;		/* group class */
	else
		bits = mode & 7;		/* others */
	return (bits & mask) == mask ? 0 : -EACCES;
}
