/*
 * journal.c - metadata transactions: a byte-range redo journal on pmem.
 *
 * A transaction stages redo records {device offset, length, new bytes} in
 * a DRAM buffer.  Nothing is written in place before commit; code that
 * reads metadata it may have changed in the same transaction uses
 * hfs_tx_read(), which overlays the staged records on the media.
 *
 * Commit (hfs_tx_commit):
 *   0. if the caller wrote new blocks in place (a directory block, zeroed
 *      file blocks: unreferenced until this commit), fence, so that they
 *      are durable before anything can make the commit record valid;
 *   1. append the images of the dirty inodes, bitmap lines and superblock;
 *   2. write header + records at the start of the journal, flush, fence;
 *      the header's checksum (hfs_journal_sum, not CRC-32C) covers
 *      the header and every record, so the transaction is committed
 *      exactly when the fence completes: before it, any line of header or
 *      records may be old or new independently, and a mix never verifies;
 *   3. apply each record in place, flush, fence;
 *   4. clear the header's (magic, crc) word with one 8-byte store + flush.
 *      No fence: the next fence (the next transaction's first, a write's,
 *      fsync's) orders it.
 * Which transaction can replay.  N's clear is flushed at once, so the
 * first fence after it (whoever issues it) makes the clear, or N+1's
 * header written over it, durable: from then on N never verifies again.
 * Before that fence, the header
 * line may still hold N's valid header (the clear and N+1's header are
 * both unfenced), and with all of N's record lines old, N verifies and is
 * re-applied.  That is harmless: N was applied in place and fenced in its
 * step 3, and since N's clear no fence has completed, so everything
 * stored since (N+1's unreferenced direct blocks, in-place size and time
 * stores) is unfenced and may be lost anyway; re-applying N only rolls
 * such stores back to the state N left.  The sequence number is not what
 * protects against a stale transaction (a crash image cannot know which
 * number to expect); it is kept increasing across mounts for diagnostics.
 * The journal holds one transaction at a time, so it never wraps; its size
 * bounds the size of one transaction.  Large operations (truncating a big
 * file) are split into bounded transactions held together by an intent in
 * the inode (orphan.c).
 *
 * Locking: hfs_tx_begin() takes fs->tx_lock and hfs_tx_commit() /
 * hfs_tx_abort() release it.  Failures inside a transaction are sticky
 * (tx->error): callers may carry on and let commit report the first one.
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/crc.h>
#include <lib/bitmap.h>
#include <lib/compiler.h>
#include "hfs_int.h"

#define JNL_OFF(fs)	HFS_BLOCK_OFF((fs)->jstart)

static size_t rec_size(size_t len)
{
	return sizeof(struct hfs_djrec) + ALIGN_UP(len, (size_t)HFS_JNL_ALIGN);
}

/*
 * The commit checksum, hfs_journal_sum(): a 64-bit multiply-and-fold hash of the
 * header (crc = 0) and records, 8 bytes per step, folded to 32 bits.
 *
 * It must NOT be CRC-32C: a bitmap line ends with the CRC-32C of its own
 * bits, and a CRC run over "data, CRC(data)" is blind to any change of
 * data that comes with the matching CRC (the register difference the data
 * leaves is cancelled exactly by the difference of the appended CRC).  So
 * a journal holding the previous transaction's image of a bitmap line in
 * a line the new transaction had not yet made durable would verify as the
 * new transaction, and replay would put an old bitmap line in place.  Any
 * checksum that is not linear over GF(2), or linear over another
 * polynomial, has no such blind spot.
 *
 * Until 2026-11 the sum was zlib's CRC-32 (magic HFS_JNL_MAGIC_CRC32,
 * still replayed).  Under TCG a table CRC costs about 1.8 ns a byte, a
 * third of an unlink; one multiply per 8 bytes costs a fraction of that.
 * Each step xors in a word, multiplies by an odd constant (low bits reach
 * the high ones) and folds the high half down (high bits reach the low
 * ones), so a change in any bit of any word reaches every bit of the
 * result: a torn mix of old and new lines verifies with probability
 * about 2^-32, as with a CRC.
 */
#define SUM_MUL		0x9e3779b97f4a7c15ull	/* odd: 2^64 / golden ratio */
#define SUM_FINAL	0xff51afd7ed558ccdull	/* odd, for the final mix */

typedef uint64_t __attribute__((may_alias, aligned(1))) jnl_word;

static uint64_t sum_words(uint64_t h, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (; len >= sizeof(uint64_t); p += sizeof(uint64_t), len -= sizeof(uint64_t)) {
		h = (h ^ *(const jnl_word *)p) * SUM_MUL;
		h ^= h >> 32;
	}
	if (len) {		/* never for a well-formed transaction */
		uint64_t w = (uint64_t)len << 56;

		memcpy(&w, p, len);
		h = (h ^ w) * SUM_MUL;
		h ^= h >> 32;
	}
	return h;
}

static uint32_t sum_final(uint64_t h)
{
	h *= SUM_FINAL;
	h ^= h >> 29;
	return (uint32_t)(h ^ (h >> 32));
}

/* The sum of a transaction of @len bytes at @buf (its crc field zero). */
uint32_t hfs_journal_sum(const void *buf, size_t len)
{
	return sum_final(sum_words(len, buf, len));
}

#define TX_BUF_START	(64 * 1024)
#define TX_LINES_START	1024
#define TX_UNDO_START	1024

/**
 * hfs_tx_grow - make room for @need elements of @elem bytes in *@arr
 * (*@cap allocated), doubling, never beyond @limit.  False (and the
 * transaction failed with -ENOSPC or -ENOMEM) when that is impossible.
 */
bool hfs_tx_grow(struct hfs_tx *tx, void **arr, size_t *cap, size_t elem, size_t need,
		 size_t limit)
{
	size_t n = *cap;
	void *p;

	if (need <= n)
		return true;
	if (need > limit) {
		hfs_tx_fail(tx, hfs_nospc(tx->fs, HFS_NOSPC_JOURNAL));
		return false;
	}
	while (n < need)
		n = MIN(n * 2, limit);
	p = hfs_alloc(n * elem);
	if (!p) {
		hfs_tx_fail(tx, -ENOMEM);
		return false;
	}
	memcpy(p, *arr, *cap * elem);
	hfs_free(*arr);
	*arr = p;
	*cap = n;
	return true;
}

/*
 * Back to @start elements if a transaction grew *@arr (kept as it is if
 * the smaller allocation fails).  Always all the way back: between
 * transactions a mount holds the same DRAM whatever ran before, which the
 * kernel tests' leak checks rely on, and a big transaction is rare enough
 * to pay for its growth each time.
 */
static void shrink(void **arr, size_t *cap, size_t elem, size_t start)
{
	void *p;

	if (*cap <= start || !(p = hfs_alloc(start * elem)))
		return;
	hfs_free(*arr);
	*arr = p;
	*cap = start;
}

/* Give back staging memory a big transaction took (between transactions). */
static void tx_shrink(struct hfs_tx *tx)
{
	shrink((void **)&tx->buf, &tx->buf_size, 1, TX_BUF_START);
	shrink((void **)&tx->blines, &tx->blines_cap, sizeof(uint64_t), TX_LINES_START);
	shrink((void **)&tx->ilines, &tx->ilines_cap, sizeof(uint64_t), TX_LINES_START);
	shrink((void **)&tx->undo, &tx->undo_cap, sizeof(*tx->undo), TX_UNDO_START);
}

int hfs_journal_init(struct hfs_fs *fs)
{
	struct hfs_tx *tx = &fs->tx;

	memset(tx, 0, sizeof(*tx));
	tx->fs = fs;
	/* The clear leaves seq in place: numbers keep increasing across mounts. */
	memcpy(&fs->tx_seq, hfs_pm_ptr(fs->pm, JNL_OFF(fs) + offsetof(struct hfs_djtx, seq)),
	       sizeof(fs->tx_seq));
	tx->cap = HFS_BLOCK_OFF(fs->jblocks);
	tx->max_lines = tx->cap / (rec_size(sizeof(struct hfs_dbmline))) + 1;
	tx->max_undo = 4 * tx->max_lines + 64;
	/*
	 * The staging buffers start small and grow while a transaction needs
	 * more (up to what the journal can hold): DRAM is paid for the
	 * transaction being built, not for the journal's size: tx_end()
	 * gives back what a big one took.
	 */
	tx->buf_size = MIN(tx->cap, (size_t)TX_BUF_START);
	tx->blines_cap = tx->ilines_cap = MIN(tx->max_lines, (size_t)TX_LINES_START);
	tx->undo_cap = MIN(tx->max_undo, (size_t)TX_UNDO_START);
	tx->buf = hfs_alloc(tx->buf_size);
	tx->blines = hfs_alloc(tx->blines_cap * sizeof(uint64_t));
	tx->ilines = hfs_alloc(tx->ilines_cap * sizeof(uint64_t));
	tx->undo = hfs_alloc(tx->undo_cap * sizeof(*tx->undo));
	if (!tx->buf || !tx->blines || !tx->ilines || !tx->undo) {
		hfs_journal_destroy(fs);
		return -ENOMEM;
	}
	hfs_mutex_init(&fs->tx_lock, "hfs_tx");
	return 0;
}

void hfs_journal_destroy(struct hfs_fs *fs)
{
	hfs_free(fs->tx.buf);
	hfs_free(fs->tx.blines);
	hfs_free(fs->tx.ilines);
	hfs_free(fs->tx.undo);
	fs->tx.buf = NULL;
	fs->tx.blines = fs->tx.ilines = NULL;
	fs->tx.undo = NULL;
}

/**
 * hfs_tx_begin - start a transaction.
 * Takes fs->tx_lock; the caller may hold ns_lock and layout locks.
 * Never fails: errors surface at commit.
 */
struct hfs_tx *hfs_tx_begin(struct hfs_fs *fs)
{
	struct hfs_tx *tx = &fs->tx;

	hfs_assert_lock(!hfs_mutex_held(&fs->icache_lock), &fs->icache_lock,
			"held, and must not be (it is taken last)");
	hfs_mutex_lock(&fs->tx_lock);
	fs->tx_active = true;
	tx->used = sizeof(struct hfs_djtx);
	tx->nrec = 0;
	tx->error = 0;
	tx->ninodes = 0;
	tx->ndirs = 0;
	tx->sb_dirty = false;
	tx->direct = false;
	tx->nblines = tx->nilines = 0;
	tx->nundo = 0;
	tx->pending_lines = 0;
	return tx;
}

/*
 * The caller wrote (and flushed) blocks that the transaction is about to
 * reference, in place.  They must be durable before the commit record can
 * be: commit fences first.
 */
void hfs_tx_direct(struct hfs_tx *tx)
{
	tx->direct = true;
}

void hfs_tx_fail(struct hfs_tx *tx, int err)
{
	if (!tx->error)
		tx->error = err;
}

/* Bytes still free in the journal, before the dirty images are added. */
size_t hfs_tx_room(const struct hfs_tx *tx)
{
	size_t reserve = tx->ninodes * rec_size(HFS_INODE_SIZE) +
		(tx->nblines + tx->nilines + tx->pending_lines) *
			rec_size(sizeof(struct hfs_dbmline)) +
		rec_size(sizeof(struct hfs_dsuper)) +
		HFS_TX_MAX_INODES * rec_size(HFS_INODE_SIZE);

	if (tx->used + reserve >= tx->cap)
		return 0;
	return tx->cap - tx->used - reserve;
}

/*
 * How many more blocks the transaction may free (their bitmap lines must
 * fit) while keeping @reserve bytes for other records.
 */
uint64_t hfs_tx_free_budget(const struct hfs_tx *tx, size_t reserve)
{
	size_t room = hfs_tx_room(tx), lines;

	if (room <= reserve)
		return 0;
	lines = (room - reserve) / rec_size(sizeof(struct hfs_dbmline));
	if (lines < 3 || tx->nblines + tx->pending_lines + lines + 8 > tx->max_lines)
		return 0;
	return (uint64_t)(lines - 2) * HFS_BM_LINE_BITS;
}

/**
 * hfs_tx_log - stage a redo record: bytes [off, off+len) become src.
 * Fails the transaction with -ENOSPC when the journal cannot hold it.
 */
void hfs_tx_log(struct hfs_tx *tx, uint64_t off, const void *src, size_t len)
{
	struct hfs_djrec rec = { .off = off, .len = (uint32_t)len };
	size_t need = rec_size(len);

	if (tx->error || len == 0)
		return;
	if (tx->used + need > tx->cap) {
		hfs_log("holdfs: transaction of %zu bytes does not fit the journal (%zu)\n",
			tx->used + need, tx->cap);
		hfs_tx_fail(tx, hfs_nospc(tx->fs, HFS_NOSPC_JOURNAL));
		return;
	}
	if (!hfs_tx_grow(tx, (void **)&tx->buf, &tx->buf_size, 1, tx->used + need, tx->cap))
		return;
	memcpy(tx->buf + tx->used, &rec, sizeof(rec));
	memcpy(tx->buf + tx->used + sizeof(rec), src, len);
	memset(tx->buf + tx->used + sizeof(rec) + len, 0, need - sizeof(rec) - len);
	tx->used += need;
	tx->nrec++;
}

/**
 * hfs_tx_read - read metadata as the running transaction will leave it.
 * Without a transaction in progress this is a plain read of the media.
 * Caller holds tx_lock if a transaction is running.
 */
void hfs_tx_read(struct hfs_fs *fs, uint64_t off, void *dst, size_t len)
{
	struct hfs_tx *tx = &fs->tx;
	size_t pos;

	memcpy(dst, hfs_pm_ptr(fs->pm, off), len);
	if (!fs->tx_active)
		return;
	hfs_assert_held(&fs->tx_lock);
	for (pos = sizeof(struct hfs_djtx); pos < tx->used;) {
		const struct hfs_djrec *r = (const void *)(tx->buf + pos);
		uint64_t lo = MAX(off, r->off), hi = MIN(off + len, r->off + r->len);

		if (lo < hi)
			memcpy((uint8_t *)dst + (lo - off),
			       tx->buf + pos + sizeof(*r) + (lo - r->off), hi - lo);
		pos += rec_size(r->len);
	}
}

/* Remember the inode's image before its first change, for abort. */
static int dirty_slot(struct hfs_tx *tx, struct hfs_inode *ip)
{
	unsigned i;

	for (i = 0; i < tx->ninodes; i++)
		if (tx->inodes[i].ip == ip)
			return (int)i;
	if (tx->ninodes == HFS_TX_MAX_INODES) {
		hfs_log("holdfs: transaction changes more than %d inodes\n",
			HFS_TX_MAX_INODES);
		hfs_tx_fail(tx, hfs_nospc(tx->fs, HFS_NOSPC_JOURNAL));
		return -1;
	}
	tx->inodes[tx->ninodes].ip = ip;
	tx->inodes[tx->ninodes].saved = ip->d;
	tx->inodes[tx->ninodes].sets_size = false;
	ip->in_tx = true;
	return (int)tx->ninodes++;
}

void hfs_tx_dirty_inode(struct hfs_tx *tx, struct hfs_inode *ip)
{
	(void)dirty_slot(tx, ip);
}

/*
 * Set a regular file's size inside the transaction (caller holds its
 * layout lock exclusive).  Only such a size is undone by abort: a file's
 * size may also rise under a transaction that merely touches the inode
 * (a link, a rename) from hfs_write, which does not take tx_lock, and
 * abort must not take that back.
 */
void hfs_tx_set_size(struct hfs_tx *tx, struct hfs_inode *ip, uint64_t size)
{
	int i;

	hfs_assert_held_write(&ip->layout);
	hfs_assert_held(&tx->fs->tx_lock);
	i = dirty_slot(tx, ip);
	if (i < 0)
		return;		/* the transaction failed: nothing to change */
	tx->inodes[i].sets_size = true;
	ip->d.size = size;
}

void hfs_tx_dirty_sb(struct hfs_tx *tx)
{
	if (!tx->sb_dirty)
		tx->sb_saved = tx->fs->sb;
	tx->sb_dirty = true;
}

/* A directory whose DRAM index changes in this transaction. */
void hfs_tx_touch_dir(struct hfs_tx *tx, struct hfs_inode *dir)
{
	unsigned i;

	for (i = 0; i < tx->ndirs; i++)
		if (tx->dirs[i] == dir)
			return;
	if (tx->ndirs == HFS_TX_MAX_DIRS) {
		hfs_tx_fail(tx, hfs_nospc(tx->fs, HFS_NOSPC_JOURNAL));
		return;
	}
	tx->dirs[tx->ndirs++] = dir;
}

static void log_images(struct hfs_tx *tx)
{
	struct hfs_fs *fs = tx->fs;
	struct hfs_dbmline line;
	unsigned i;
	size_t j;

	for (i = 0; i < tx->ninodes; i++) {
		struct hfs_inode *ip = tx->inodes[i].ip;

		/*
		 * A freed inode: its bitmap bit (logged below) is all that
		 * says so; a record whose bit is clear means nothing
		 * (FORMAT.md), so the old one can stay.  Saves a 256-byte
		 * record and its checksum per unlink.
		 */
		if (ip->d.mode == 0 && !bitmap_test(fs->imap, ip->ino))
			continue;
		ip->d.crc = hfs_dinode_crc(&ip->d);
		hfs_tx_log(tx, hfs_inode_off(fs, ip->ino), &ip->d, HFS_INODE_SIZE);
	}
	for (j = 0; j < tx->nblines; j++) {
		hfs_bm_line_image(fs->bmap, fs->nblocks, tx->blines[j], &line);
		hfs_tx_log(tx, HFS_BLOCK_OFF(fs->bbm_start) + tx->blines[j] * 64,
			   &line, sizeof(line));
	}
	for (j = 0; j < tx->nilines; j++) {
		hfs_bm_line_image(fs->imap, fs->ninodes, tx->ilines[j], &line);
		hfs_tx_log(tx, HFS_BLOCK_OFF(fs->ibm_start) + tx->ilines[j] * 64,
			   &line, sizeof(line));
	}
	if (tx->sb_dirty) {
		fs->sb.crc = hfs_sb_crc(&fs->sb);
		hfs_tx_log(tx, 0, &fs->sb, sizeof(fs->sb));
	}
}

static void tx_end(struct hfs_tx *tx)
{
	unsigned i;

	for (i = 0; i < tx->ninodes; i++)
		tx->inodes[i].ip->in_tx = false;
	tx_shrink(tx);
	tx->fs->tx_active = false;
	hfs_mutex_unlock(&tx->fs->tx_lock);
}

/**
 * hfs_tx_commit - make the transaction durable and apply it; releases
 * tx_lock.  Returns 0, or the transaction's first error (-ENOSPC,
 * -ENOMEM...) after undoing every DRAM change it made (hfs_tx_abort).
 */
int hfs_tx_commit(struct hfs_tx *tx)
{
	struct hfs_fs *fs = tx->fs;
	struct hfs_pm *pm = fs->pm;
	struct hfs_djtx hdr;
	uint64_t joff = JNL_OFF(fs);
	size_t pos;
	int err;

	hfs_alloc_commit_frees(tx);
	if (!tx->error)
		log_images(tx);
	if (tx->error) {
		err = tx->error;
		hfs_tx_abort(tx);
		return err;
	}
	if (tx->nrec == 0) {
		tx_end(tx);
		return 0;
	}
	if (tx->direct)
		hfs_pm_fence(pm);	/* blocks written in place come first */
	hdr.magic = HFS_JNL_MAGIC;
	hdr.crc = 0;
	hdr.seq = ++fs->tx_seq;
	hdr.nrec = tx->nrec;
	hdr.bytes = (uint32_t)(tx->used - sizeof(hdr));
	memcpy(tx->buf, &hdr, sizeof(hdr));
	hdr.crc = hfs_journal_sum(tx->buf, tx->used);
	memcpy(tx->buf, &hdr, sizeof(hdr));

	hfs_pm_persist(pm, joff, tx->buf, tx->used);
	hfs_pm_fence(pm);

	for (pos = sizeof(hdr); pos < tx->used;) {
		const struct hfs_djrec *r = (const void *)(tx->buf + pos);

		hfs_pm_persist(pm, r->off, tx->buf + pos + sizeof(*r), r->len);
		pos += rec_size(r->len);
	}
	hfs_pm_fence(pm);
	hfs_pm_zero(pm, joff, sizeof(uint64_t));
	hfs_pm_flush(pm, joff, sizeof(uint64_t));
	fs->tx_count++;
	tx_end(tx);
	return 0;
}

/**
 * hfs_tx_abort - drop the transaction: nothing reaches the media, the DRAM
 * allocator bitmaps, inode images and superblock image are restored, and
 * the name indexes of touched directories are dropped (rebuilt on next
 * use).  Releases tx_lock.
 */
void hfs_tx_abort(struct hfs_tx *tx)
{
	struct hfs_fs *fs = tx->fs;
	size_t i;

	for (i = tx->nundo; i-- > 0;)
		hfs_alloc_undo(fs, &tx->undo[i]);
	for (i = 0; i < tx->ninodes; i++) {
		struct hfs_inode *ip = tx->inodes[i].ip;
		const struct hfs_dinode *saved = &tx->inodes[i].saved;

		/*
		 * A regular file's size, mtime and atime (all before the
		 * checksummed part) may be hfs_write's, raised meanwhile
		 * without tx_lock: unless this transaction set the size,
		 * leave that line alone, without so much as rewriting it.
		 */
		if (hfs_is_reg(ip) && !tx->inodes[i].sets_size)
			memcpy((uint8_t *)&ip->d + HFS_DINODE_CRC_START,
			       (const uint8_t *)saved + HFS_DINODE_CRC_START,
			       sizeof(*saved) - HFS_DINODE_CRC_START);
		else
			ip->d = *saved;
		hfs_last_forget(ip);
	}
	for (i = 0; i < tx->ndirs; i++)
		hfs_dir_drop_index(tx->dirs[i]);
	if (tx->sb_dirty)
		fs->sb = tx->sb_saved;
	tx_end(tx);
}

/**
 * hfs_journal_replay - apply a committed transaction left in the journal.
 * @pm: the device; @jstart, @jblocks: the journal; @nblocks: device blocks.
 * Called before anything else reads the metadata (mount, fsck).  Every
 * record is checked to lie inside the device and outside the journal.
 * Returns 0 (with *replayed telling whether there was something to
 * apply) or -EUCLEAN for a committed transaction with impossible records.
 */
int hfs_journal_replay(struct hfs_pm *pm, uint64_t jstart, uint64_t jblocks,
		       uint64_t nblocks, bool *replayed)
{
	uint64_t joff = HFS_BLOCK_OFF(jstart), jend = HFS_BLOCK_OFF(jstart + jblocks);
	uint64_t dev_end = HFS_BLOCK_OFF(nblocks);
	const uint8_t *j = hfs_pm_ptr(pm, joff);
	struct hfs_djtx hdr;
	uint64_t sum;
	uint32_t crc;
	size_t pos, end;
	bool ok;

	*replayed = false;
	memcpy(&hdr, j, sizeof(hdr));
	if (!HFS_JNL_MAGIC_KNOWN(hdr.magic))
		return 0;
	if (hdr.bytes > jend - joff - sizeof(hdr))
		return 0;	/* torn header: never committed */
	crc = hdr.crc;
	hdr.crc = 0;
	if (hdr.magic == HFS_JNL_MAGIC) {
		sum = sum_words(sizeof(hdr) + hdr.bytes, &hdr, sizeof(hdr));
		sum = sum_words(sum, j + sizeof(hdr), hdr.bytes);
		ok = sum_final(sum) == crc;
	} else {
		ok = crc32_ieee(crc32_ieee(0, &hdr, sizeof(hdr)), j + sizeof(hdr),
				hdr.bytes) == crc;
	}
	if (!ok)
		return 0;	/* not committed */

	end = sizeof(hdr) + hdr.bytes;
	for (pos = sizeof(hdr); pos < end;) {
		struct hfs_djrec r;

		if (end - pos < sizeof(r))
			goto bad;
		memcpy(&r, j + pos, sizeof(r));
		if (r.len == 0 || rec_size(r.len) > end - pos || r.off >= dev_end ||
		    r.len > dev_end - r.off || (r.off < jend && r.off + r.len > joff))
			goto bad;
		hfs_pm_persist(pm, r.off, j + pos + sizeof(r), r.len);
		pos += rec_size(r.len);
	}
	hfs_pm_fence(pm);
	hfs_pm_zero(pm, joff, sizeof(uint64_t));
	hfs_pm_flush(pm, joff, sizeof(uint64_t));
	hfs_pm_fence(pm);
	*replayed = true;
	return 0;
bad:
	hfs_log("holdfs: journal transaction %llu has a record outside the device "
		"or inside the journal (at byte %zu)\n", (unsigned long long)hdr.seq, pos);
	return -EUCLEAN;
}
