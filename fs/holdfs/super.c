/*
 * super.c - the superblock: mkfs, mount, unmount, statfs, sync.
 *
 * The superblock sits in block 0, with a backup in the last block of the
 * device.  hfs_sb_check() is the one place that decides whether a
 * superblock can be trusted: magic, version, features, checksum, and a
 * geometry that fits the device, region by region.  Mount falls back to
 * the backup when the primary fails, and says why.
 *
 * Mount does not scan inodes or directories: it checks the superblock,
 * replays the journal, loads the two bitmaps (a few KiB per GiB), finishes
 * the orphans and marks the filesystem dirty.  Unmount marks it clean and
 * refreshes the backup.
 *
 * Locking: mount and unmount run alone; statfs reads counters without
 * locks (a snapshot); the superblock image changes only in transactions.
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/crc.h>
#include <lib/bitmap.h>
#include <lib/compiler.h>
#include "hfs_int.h"

#define INODE_BYTES_RATIO	16384	/* default: one inode per 16 KiB */
#define MIN_INODES		64
#define MIN_DATA_BLOCKS		16
#define DEF_JOURNAL_NORMAL_MIN	64

uint32_t hfs_sb_crc(const struct hfs_dsuper *sb)
{
	struct hfs_dsuper c = *sb;

	c.crc = 0;
	return crc32c(0, &c, sizeof(c));
}

static uint64_t bm_blocks(uint64_t nbits)
{
	return DIV_ROUND_UP(DIV_ROUND_UP(nbits, HFS_BM_LINE_BITS), HFS_BM_LINES_PER_BLOCK);
}

/**
 * hfs_sb_check - can @sb be trusted on a device of @dev_size bytes?
 * Returns 0, or -EINVAL (not holdfs / too small a device), -EOPNOTSUPP
 * (unknown version or feature), -EUCLEAN (damaged), with *why set.
 */
int hfs_sb_check(const struct hfs_dsuper *sb, uint64_t dev_size, const char **why)
{
	uint64_t dev_blocks = dev_size / HFS_BLOCK_SIZE;

	*why = NULL;
	if (sb->magic != HFS_SB_MAGIC) {
		*why = "bad magic: not a holdfs filesystem";
		return -EINVAL;
	}
	if (sb->version < HFS_VERSION_MIN || sb->version > HFS_VERSION) {
		*why = "unsupported format version";
		return -EOPNOTSUPP;
	}
	if (sb->crc != hfs_sb_crc(sb)) {
		*why = "bad superblock checksum";
		return -EUCLEAN;
	}
	if ((sb->feature_incompat & ~HFS_FEATURE_INCOMPAT_SUPP) ||
	    (sb->feature_ro_compat & ~HFS_FEATURE_RO_COMPAT_SUPP)) {
		*why = "unsupported feature flags";
		return -EOPNOTSUPP;
	}
	if (sb->block_size != HFS_BLOCK_SIZE)
		*why = "unsupported block size";
	else if (sb->nblocks > dev_blocks)
		*why = "filesystem is larger than the device (truncated image?)";
	else if (sb->nblocks < HFS_MIN_BLOCKS)
		*why = "filesystem too small";
	else if (sb->journal_start != 1 || sb->journal_blocks < HFS_DEF_JOURNAL_MIN ||
		 sb->journal_blocks > sb->nblocks)
		*why = "bad journal geometry";
	else if (sb->bbitmap_start != sb->journal_start + sb->journal_blocks ||
		 sb->bbitmap_blocks != bm_blocks(sb->nblocks))
		*why = "bad block bitmap geometry";
	else if (sb->ninodes < 2 || sb->ninodes > (1ULL << 32) ||
		 sb->ibitmap_start != sb->bbitmap_start + sb->bbitmap_blocks ||
		 sb->ibitmap_blocks != bm_blocks(sb->ninodes))
		*why = "bad inode bitmap geometry";
	else if (sb->itable_start != sb->ibitmap_start + sb->ibitmap_blocks ||
		 sb->itable_blocks != DIV_ROUND_UP(sb->ninodes, HFS_INODES_PER_BLOCK))
		*why = "bad inode table geometry";
	else if (sb->data_start != sb->itable_start + sb->itable_blocks ||
		 sb->data_start >= sb->nblocks - 1)
		*why = "bad data area geometry (regions past the end of the device)";
	else if (sb->root_ino != HFS_ROOT_INO || sb->orphan_head >= sb->ninodes)
		*why = "bad root or orphan inode number";
	else if (sb->state != HFS_STATE_CLEAN && sb->state != HFS_STATE_DIRTY)
		*why = "bad state";
	else if (sb->inline_extents < 1 || sb->inline_extents > HFS_MAX_INLINE ||
		 sb->node_entries < 3 || sb->node_entries > HFS_NODE_MAX_ENTRIES ||
		 sb->node_entries < sb->inline_extents + 1U)
		*why = "bad extent tree capacities";
	return *why ? -EUCLEAN : 0;
}

/*
 * Why a superblock of another format is refused, and what to do: the
 * version, or the feature bits this build does not know.
 */
static void report_unsupported(const struct hfs_dsuper *sb)
{
	if (sb->version < HFS_VERSION_MIN || sb->version > HFS_VERSION)
		hfs_log("holdfs: this filesystem is format version %u; this build reads "
			"versions %u to %u only: use a Holdfast build that reads version %u "
			"(mkfs.holdfs would erase the data)\n",
			(unsigned)sb->version, HFS_VERSION_MIN, HFS_VERSION,
			(unsigned)sb->version);
	else
		hfs_log("holdfs: this filesystem uses features this build does not know "
			"(incompat %#x, ro_compat %#x): use a newer Holdfast build\n",
			(unsigned)(sb->feature_incompat & ~HFS_FEATURE_INCOMPAT_SUPP),
			(unsigned)(sb->feature_ro_compat & ~HFS_FEATURE_RO_COMPAT_SUPP));
}

/**
 * hfs_sb_read - read and check the superblock of @pm, falling back to the
 * backup in the last block.  Returns 0 or the primary's error: -EINVAL
 * (device too small, or no holdfs on it), -EOPNOTSUPP (another format
 * version or unknown features), -EUCLEAN (damaged).  Each refusal is
 * logged with what was wrong and what to do about it.
 */
int hfs_sb_read(struct hfs_pm *pm, struct hfs_dsuper *sb, bool *used_backup)
{
	uint64_t size = pm->ops->size(pm);
	const char *why, *bwhy;
	int err, berr;

	*used_backup = false;
	if (size < HFS_MIN_BLOCKS * (uint64_t)HFS_BLOCK_SIZE) {
		hfs_log("holdfs: the device is %llu bytes, too small for holdfs (it needs at "
			"least %llu): use a larger image and format it with mkfs.holdfs\n",
			(unsigned long long)size,
			(unsigned long long)HFS_MIN_BLOCKS * HFS_BLOCK_SIZE);
		return -EINVAL;
	}
	memcpy(sb, hfs_pm_ptr(pm, 0), sizeof(*sb));
	err = hfs_sb_check(sb, size, &why);
	if (!err)
		return 0;
	if (err == -EOPNOTSUPP) {
		report_unsupported(sb);
		return err;	/* a newer format: an older backup cannot stand in */
	}
	memcpy(sb, hfs_pm_ptr(pm, HFS_BLOCK_OFF(size / HFS_BLOCK_SIZE - 1)), sizeof(*sb));
	berr = hfs_sb_check(sb, size, &bwhy);
	if (err == -EINVAL && berr == -EINVAL) {
		hfs_log("holdfs: not a holdfs filesystem (no holdfs magic in the superblock "
			"or in its backup in the last block): format it with mkfs.holdfs "
			"(this erases the image)\n");
		return err;
	}
	hfs_log("holdfs: superblock: %s\n", why);
	if (berr || sb->nblocks != size / HFS_BLOCK_SIZE) {
		hfs_log("holdfs: backup superblock: %s\n", bwhy ? bwhy : "wrong size");
		hfs_log("holdfs: refusing the device: %s\n", why);
		return err;
	}
	hfs_log("holdfs: using the backup superblock\n");
	*used_backup = true;
	return 0;
}

/* ------------------------------------------------------------ mkfs */

static void write_bitmap(struct hfs_pm *pm, uint64_t start, uint64_t nbits,
			 const uint64_t *map, uint64_t blocks)
{
	uint64_t nlines = DIV_ROUND_UP(nbits, HFS_BM_LINE_BITS), line;
	struct hfs_dbmline l;

	hfs_pm_zero(pm, HFS_BLOCK_OFF(start), HFS_BLOCK_OFF(blocks));
	for (line = 0; line < nlines; line++) {
		hfs_bm_line_image(map, nbits, line, &l);
		hfs_pm_write(pm, HFS_BLOCK_OFF(start) + line * sizeof(l), &l, sizeof(l));
	}
	hfs_pm_flush(pm, HFS_BLOCK_OFF(start), HFS_BLOCK_OFF(blocks));
}

#define MKFS_PROGRESS_BLOCKS	4096	/* journal blocks zeroed between reports */

static void mkfs_progress(const struct hfs_mkfs_opts *opts, uint64_t done, uint64_t total)
{
	if (opts->progress)
		opts->progress(opts->progress_arg, "metadata blocks", done, total);
}

/* Zero the journal (blocks 1 .. jb) in steps, reporting each. */
static void mkfs_zero_journal(struct hfs_pm *pm, uint64_t jb, const struct hfs_mkfs_opts *opts,
			      uint64_t total)
{
	for (uint64_t b = 0; b < jb; b += MKFS_PROGRESS_BLOCKS) {
		uint64_t k = MIN((uint64_t)MKFS_PROGRESS_BLOCKS, jb - b);

		hfs_pm_zero(pm, HFS_BLOCK_OFF(1 + b), HFS_BLOCK_OFF(k));
		mkfs_progress(opts, b + k, total);
	}
	hfs_pm_flush(pm, 0, HFS_BLOCK_OFF(1 + jb));
}

/* /lost+found, where fsck reconnects what it finds in no directory. */
static int mkfs_lost_found(struct hfs_pm *pm)
{
	struct hfs_fs *fs;
	int err = hfs_mount(pm, 0, &fs);

	if (err)
		return err;
	err = hfs_mkdir(fs, "/" HFS_LOST_FOUND, 0700);
	if (err)
		hfs_log("holdfs: mkfs: cannot create /%s (error %d)\n", HFS_LOST_FOUND, err);
	return hfs_unmount(fs) ?: err;
}

/**
 * hfs_mkfs - write an empty filesystem over the whole device: the root
 * and /lost+found in it.
 * Returns 0, -EINVAL (device too small: the minimum is logged; bad
 * options), -ENOMEM.
 */
int hfs_mkfs(struct hfs_pm *pm, const struct hfs_mkfs_opts *opts)
{
	static const struct hfs_mkfs_opts none;
	uint64_t size = pm->ops->size(pm), n = size / HFS_BLOCK_SIZE;
	uint64_t jb, ninodes, *bmap = NULL, *imap = NULL;
	struct hfs_dsuper sb;
	struct hfs_dinode root;
	uint64_t now = hfs_now_ns();
	int err = -ENOMEM;

	if (!opts)
		opts = &none;
	if (n < HFS_MIN_BLOCKS) {
		hfs_log("holdfs: device of %llu bytes is too small: mkfs needs at least %llu bytes "
			"(make the image larger first, e.g. truncate -s 128M IMAGE)\n",
			(unsigned long long)size,
			(unsigned long long)HFS_MIN_BLOCKS * HFS_BLOCK_SIZE);
		return -EINVAL;
	}
	jb = opts->journal_blocks;
	if (!jb) {
		jb = MAX(n / HFS_JOURNAL_RATIO, (uint64_t)DEF_JOURNAL_NORMAL_MIN);
		jb = MIN(jb, (uint64_t)HFS_DEF_JOURNAL_MAX);
		jb = MAX(MIN(jb, n / 8), (uint64_t)HFS_DEF_JOURNAL_MIN);
	}
	ninodes = opts->inodes ? opts->inodes : MAX(size / INODE_BYTES_RATIO, (uint64_t)MIN_INODES);
	ninodes = ALIGN_UP(ninodes, (uint64_t)HFS_INODES_PER_BLOCK);
	if (jb < HFS_DEF_JOURNAL_MIN || jb > n / 2 || ninodes > (1ULL << 32) || ninodes < 2) {
		hfs_log("holdfs: mkfs: bad journal size or inode count\n");
		return -EINVAL;
	}
	memset(&sb, 0, sizeof(sb));
	sb.magic = HFS_SB_MAGIC;
	sb.version = HFS_VERSION;
	sb.block_size = HFS_BLOCK_SIZE;
	sb.nblocks = n;
	sb.ninodes = ninodes;
	sb.journal_start = 1;
	sb.journal_blocks = jb;
	sb.bbitmap_start = 1 + jb;
	sb.bbitmap_blocks = bm_blocks(n);
	sb.ibitmap_start = sb.bbitmap_start + sb.bbitmap_blocks;
	sb.ibitmap_blocks = bm_blocks(ninodes);
	sb.itable_start = sb.ibitmap_start + sb.ibitmap_blocks;
	sb.itable_blocks = ninodes / HFS_INODES_PER_BLOCK;
	sb.data_start = sb.itable_start + sb.itable_blocks;
	if (sb.data_start + MIN_DATA_BLOCKS >= n - 1) {
		uint64_t need = sb.data_start + MIN_DATA_BLOCKS + 1;

		hfs_log("holdfs: device of %llu bytes is too small for this geometry: "
			"it needs at least %llu bytes\n", (unsigned long long)size,
			(unsigned long long)HFS_BLOCK_OFF(need));
		return -EINVAL;
	}
	sb.root_ino = HFS_ROOT_INO;
	sb.state = HFS_STATE_CLEAN;
	sb.inline_extents = HFS_DEF_INLINE;
	sb.node_entries = HFS_DEF_NODE_ENTRIES;
	sb.mkfs_time_ns = now;
	if (opts->uuid) {
		memcpy(sb.uuid, opts->uuid, sizeof(sb.uuid));
	} else {
		uint32_t c = crc32c(0, &now, sizeof(now));
		unsigned i;

		for (i = 0; i < sizeof(sb.uuid); i += 4) {
			c = crc32c(c, &i, sizeof(i));
			memcpy(sb.uuid + i, &c, 4);
		}
		sb.uuid[6] = (uint8_t)((sb.uuid[6] & 0x0f) | 0x40);	/* RFC 4122 v4 */
		sb.uuid[8] = (uint8_t)((sb.uuid[8] & 0x3f) | 0x80);
	}
	if (opts->label)
		strlcpy(sb.label, opts->label, sizeof(sb.label));

	bmap = hfs_zalloc(DIV_ROUND_UP(n, 64) * sizeof(uint64_t));
	imap = hfs_zalloc(DIV_ROUND_UP(ninodes, 64) * sizeof(uint64_t));
	if (!bmap || !imap)
		goto out;
	bitmap_set_range(bmap, 0, sb.data_start);
	bitmap_set(bmap, n - 1);
	bitmap_set(imap, 0);
	bitmap_set(imap, HFS_ROOT_INO);

	hfs_pm_zero(pm, 0, HFS_BLOCK_SIZE);
	mkfs_zero_journal(pm, jb, opts, jb + sb.bbitmap_blocks + sb.ibitmap_blocks);
	write_bitmap(pm, sb.bbitmap_start, n, bmap, sb.bbitmap_blocks);
	mkfs_progress(opts, jb + sb.bbitmap_blocks, jb + sb.bbitmap_blocks + sb.ibitmap_blocks);
	write_bitmap(pm, sb.ibitmap_start, ninodes, imap, sb.ibitmap_blocks);
	mkfs_progress(opts, jb + sb.bbitmap_blocks + sb.ibitmap_blocks,
		      jb + sb.bbitmap_blocks + sb.ibitmap_blocks);
	/* Free inode records need no zeroing: the bitmap says they are free. */
	memset(&root, 0, sizeof(root));
	root.mode = HFS_S_IFDIR | 0755;
	root.nlink = 2;
	root.ino = HFS_ROOT_INO;
	root.parent = HFS_ROOT_INO;
	root.generation = 1;
	root.atime_ns = root.mtime_ns = root.ctime_ns = now;
	root.crc = hfs_dinode_crc(&root);
	hfs_pm_persist(pm, HFS_BLOCK_OFF(sb.itable_start) + HFS_ROOT_INO * HFS_INODE_SIZE,
		       &root, sizeof(root));
	sb.crc = hfs_sb_crc(&sb);
	hfs_pm_zero(pm, HFS_BLOCK_OFF(n - 1), HFS_BLOCK_SIZE);
	hfs_pm_write(pm, HFS_BLOCK_OFF(n - 1), &sb, sizeof(sb));
	hfs_pm_flush(pm, HFS_BLOCK_OFF(n - 1), HFS_BLOCK_SIZE);
	hfs_pm_fence(pm);
	/* The primary last: until it is durable, the device is not holdfs. */
	hfs_pm_persist(pm, 0, &sb, sizeof(sb));
	hfs_pm_fence(pm);
	err = mkfs_lost_found(pm);
out:
	hfs_free(bmap);
	hfs_free(imap);
	return err;
}

/* ------------------------------------------------------------ mount */

static void fs_free(struct hfs_fs *fs)
{
	hfs_alloc_destroy(fs);
	hfs_journal_destroy(fs);
	hfs_icache_destroy(fs);
	hfs_free(fs);
}

/*
 * Mark the filesystem clean or dirty, in one transaction.  Marking it
 * dirty (every read-write mount) also upgrades a version-1 superblock to
 * HFS_VERSION: version 2 only gave meaning to inode bytes every version-1
 * writer left zero (owner uid/gid 0, FORMAT.md "Version history"), so
 * every version-1 image already is a valid version-2 image and the
 * version number is the whole upgrade.  It commits with the state, so a
 * power cut leaves the old superblock or the new one, both mountable.
 * The backup superblock says 1 until the clean unmount rewrites it; a
 * mount that falls back to it upgrades again.
 */
static int set_state(struct hfs_fs *fs, uint32_t state)
{
	struct hfs_tx *tx = hfs_tx_begin(fs);

	hfs_tx_dirty_sb(tx);
	fs->sb.state = state;
	if (state == HFS_STATE_DIRTY) {
		fs->sb.mount_count++;
		if (fs->sb.version < HFS_VERSION)
			hfs_log("holdfs: upgrading format version %u to %u\n",
				(unsigned)fs->sb.version, HFS_VERSION);
		fs->sb.version = HFS_VERSION;
	}
	return hfs_tx_commit(tx);
}

/**
 * hfs_sb_replay - apply a committed transaction left in the journal of
 * superblock @sb, and read @sb again if one was (it may be part of it).
 * *@replayed says which.  0, or -EUCLEAN for an impossible journal or a
 * bad superblock after the replay (logged with @who, "holdfs" or "fsck").
 */
int hfs_sb_replay(struct hfs_pm *pm, struct hfs_dsuper *sb, bool *replayed, const char *who)
{
	const char *why;
	int err = hfs_journal_replay(pm, sb->journal_start, sb->journal_blocks, sb->nblocks,
				     replayed);

	if (err || !*replayed)
		return err;
	memcpy(sb, hfs_pm_ptr(pm, 0), sizeof(*sb));
	if (!hfs_sb_check(sb, pm->ops->size(pm), &why))
		return 0;
	hfs_log("%s: superblock after journal replay: %s\n", who, why);
	return -EUCLEAN;		/* the journal itself made it bad */
}

/**
 * hfs_mount - see holdfs.h.  Also -EROFS when a read-only mount finds a
 * journal to replay (mount read-write or run fsck first), -ENOMEM.
 */
int hfs_mount(struct hfs_pm *pm, unsigned flags, struct hfs_fs **out)
{
	struct hfs_fs *fs;
	struct hfs_dsuper sb;
	bool backup, replayed;
	int err;

	err = hfs_sb_read(pm, &sb, &backup);
	if (err)
		return err;
	if (flags & HFS_MOUNT_RDONLY) {
		const struct hfs_djtx *j = (const void *)hfs_pm_ptr(pm, HFS_BLOCK_OFF(sb.journal_start));

		if (HFS_JNL_MAGIC_KNOWN(j->magic)) {
			hfs_log("holdfs: the journal may need recovery: not mounting read-only\n");
			return -EROFS;
		}
	} else {
		if (backup) {
			hfs_pm_persist(pm, 0, &sb, sizeof(sb));
			hfs_pm_fence(pm);
		}
		err = hfs_sb_replay(pm, &sb, &replayed, "holdfs");
		if (err)
			return err;
	}
	fs = hfs_zalloc(sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->pm = pm;
	fs->flags = flags;
	fs->dev_size = pm->ops->size(pm);
	fs->sb = sb;
	fs->nblocks = sb.nblocks;
	fs->ninodes = sb.ninodes;
	fs->jstart = sb.journal_start;
	fs->jblocks = sb.journal_blocks;
	fs->bbm_start = sb.bbitmap_start;
	fs->ibm_start = sb.ibitmap_start;
	fs->itable_start = sb.itable_start;
	fs->data_start = sb.data_start;
	fs->inline_max = sb.inline_extents;
	fs->node_max = sb.node_entries;
	hfs_rwsem_init(&fs->ns_lock, "hfs_ns");
	err = hfs_icache_init(fs);
	if (!err)
		err = hfs_journal_init(fs);
	if (!err)
		err = hfs_alloc_init(fs);
	if (err)
		goto fail;
	err = hfs_iget(fs, HFS_ROOT_INO, &fs->root);
	if (err)
		goto fail;
	if (!hfs_is_dir(fs->root)) {
		hfs_log("holdfs: the root inode is not a directory\n");
		err = -EUCLEAN;
		goto fail_root;
	}
	if (!(flags & HFS_MOUNT_RDONLY)) {
		err = hfs_orphan_recover(fs);
		if (!err)
			err = set_state(fs, HFS_STATE_DIRTY);
		if (err)
			goto fail_root;
	}
	*out = fs;
	return 0;
fail_root:
	hfs_inode_release_all(fs);
fail:
	fs_free(fs);
	return err;
}

/**
 * hfs_unmount - see holdfs.h.  Returns -EBUSY (and stays mounted) while
 * some inode other than the root is still referenced.
 */
int hfs_unmount(struct hfs_fs *fs)
{
	int err;

	hfs_down_write(&fs->ns_lock);
	err = hfs_inode_release_all(fs);
	hfs_up_write(&fs->ns_lock);
	if (err)
		return err;
	if (!hfs_rdonly(fs)) {
		err = set_state(fs, HFS_STATE_CLEAN);
		if (!err) {
			uint64_t last = HFS_BLOCK_OFF(fs->nblocks - 1);

			fs->sb.crc = hfs_sb_crc(&fs->sb);
			hfs_pm_persist(fs->pm, last, &fs->sb, sizeof(fs->sb));
			hfs_pm_fence(fs->pm);
		}
	}
	fs_free(fs);
	return err;
}

/*
 * hfs_forget - drop a mounted filesystem's DRAM state without writing
 * anything, as a power loss would (crash tests).
 */
void hfs_forget(struct hfs_fs *fs)
{
	size_t i;

	fs->flags |= HFS_MOUNT_RDONLY;
	for (i = 0; i < fs->ihash_size; i++)
		while (!list_empty(&fs->ihash[i])) {
			struct hfs_inode *ip = list_first_entry(&fs->ihash[i],
						struct hfs_inode, hash_link);

			list_del(&ip->hash_link);
			hfs_dir_drop_index(ip);
			hfs_free(ip);
		}
	fs_free(fs);
}

/** hfs_sync - make every change so far durable. */
int hfs_sync(struct hfs_fs *fs)
{
	hfs_inode_writeback_all(fs);
	hfs_mutex_lock(&fs->tx_lock);
	hfs_inode_persist_all_locked(fs);
	hfs_mutex_unlock(&fs->tx_lock);
	hfs_pm_fence(fs->pm);
	return 0;
}

int hfs_statfs(struct hfs_fs *fs, struct hfs_statfs *st)
{
	memset(st, 0, sizeof(*st));
	st->block_size = HFS_BLOCK_SIZE;
	st->blocks = fs->nblocks - fs->data_start - 1;
	st->free_blocks = fs->free_blocks;
	st->inodes = fs->ninodes - 1;
	st->free_inodes = fs->free_inodes;
	st->last_nospc = __atomic_load_n(&fs->last_nospc, __ATOMIC_RELAXED);
	st->name_max = HFS_NAME_MAX;
	memcpy(st->uuid, fs->sb.uuid, sizeof(st->uuid));
	memcpy(st->label, fs->sb.label, sizeof(st->label));
	st->label[sizeof(st->label) - 1] = '\0';
	return 0;
}
