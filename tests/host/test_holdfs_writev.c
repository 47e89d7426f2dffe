/*
 * test_holdfs_writev.c - holdfs gather writes (hfs_writev): the same file
 * as hfs_write() of the pieces joined, across block and extent boundaries,
 * into holes, past EOF, and the errors, which leave the file as it was.
 *
 * The pieces are cut the way received frames cut an NBD WRITE's payload
 * (1448-byte TCP segments, small ones, empty ones), at offsets that are
 * neither block- nor cache-line-aligned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "holdfs_test_util.h"

#define BLK		4096u
#define SEGMENT		1448u		/* a TCP segment's payload, timestamps on */
#define MAX_PIECES	1024

/* @len bytes of pattern @seed at file offset @off (so a file's bytes
 * depend only on where they are). */
static uint8_t *pattern(uint64_t seed, uint64_t off, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		p[i] = ht_pat(seed, off + i);
	return p;
}

/* Cut @buf into pieces: @first bytes, then SEGMENT-byte ones, with an
 * empty piece and a 1-byte piece every so often.  Returns the count. */
static unsigned cut(const uint8_t *buf, size_t len, size_t first, struct hfs_iovec *iov)
{
	size_t done = 0;
	unsigned n = 0;

	while (done < len && n < MAX_PIECES - 1) {
		size_t k = n == 0 ? first : n % 7 == 3 ? 0 : n % 11 == 5 ? 1 : SEGMENT;

		k = MIN(k, len - done);
		iov[n++] = (struct hfs_iovec){ buf + done, k };
		done += k;
	}
	if (done < len)
		iov[n++] = (struct hfs_iovec){ buf + done, len - done };
	return n;
}

/* Does [off, off + len) of @ip read back as pattern @seed? */
static bool reads_pattern(struct hfs_inode *ip, uint64_t seed, uint64_t off, size_t len)
{
	uint8_t *want = pattern(seed, off, len), *got = malloc(len ? len : 1);
	bool same = hfs_read(ip, off, got, len) == (int64_t)len && !memcmp(got, want, len);

	free(want);
	free(got);
	return same;
}

/* Is file offset @off in a hole (no block)? */
static bool in_hole(struct ktest *t, struct hfs_inode *ip, uint64_t off)
{
	struct hfs_mapping m;
	int err;

	hfs_down_read(hfs_layout_lock(ip));
	err = hfs_map(ip, off, false, &m);
	hfs_up_read(hfs_layout_lock(ip));
	if (err)
		ktest_fail_msg(t, "hfs_map at %llu: %d", (unsigned long long)off, err);
	return !err && m.hole;
}

static bool reads_zero(struct hfs_inode *ip, uint64_t off, size_t len)
{
	uint8_t *got = malloc(len ? len : 1);
	bool zero = hfs_read(ip, off, got, len) == (int64_t)len;

	for (size_t i = 0; zero && i < len; i++)
		zero = got[i] == 0;
	free(got);
	return zero;
}

/* Pieces that straddle blocks and 2 MiB extent chunks: the file equals
 * what one hfs_write of the joined pieces makes of another file. */
KTEST(holdfs_writev, same_as_write_across_blocks)
{
	static struct hfs_iovec iov[MAX_PIECES];
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 64 * MiB);
	const uint64_t off = 2 * MiB - 3 * BLK - 17;	/* crosses a 2 MiB chunk */
	const size_t len = 300000;
	struct hfs_inode *a, *b;
	struct hfs_stat sa, sb;
	uint8_t *buf;
	unsigned n;

	ASSERT_NOT_NULL(t, fs);
	a = ht_create(t, fs, "/gather");
	b = ht_create(t, fs, "/plain");
	ASSERT_NOT_NULL(t, a);
	ASSERT_NOT_NULL(t, b);
	buf = pattern(1, off, len);
	n = cut(buf, len, 4000, iov);
	EXPECT_GT(t, n, 200u);
	EXPECT_EQ(t, hfs_writev(a, off, iov, n), (int64_t)len);
	EXPECT_EQ(t, hfs_write(b, off, buf, len), (int64_t)len);
	EXPECT_TRUE(t, reads_pattern(a, 1, off, len));
	EXPECT_TRUE(t, reads_zero(a, 0, off));
	hfs_getattr(a, &sa);
	hfs_getattr(b, &sb);
	EXPECT_EQ(t, sa.size, off + len);
	EXPECT_EQ(t, sa.size, sb.size);
	EXPECT_EQ(t, sa.blocks, sb.blocks);
	/* An overwrite in the middle, every piece at an odd offset. */
	free(buf);
	buf = pattern(2, off + 1001, 70001);
	n = cut(buf, 70001, 1, iov);
	EXPECT_EQ(t, hfs_writev(a, off + 1001, iov, n), 70001);
	EXPECT_TRUE(t, reads_pattern(a, 1, off, 1001));
	EXPECT_TRUE(t, reads_pattern(a, 2, off + 1001, 70001));
	EXPECT_TRUE(t, reads_pattern(a, 1, off + 1001 + 70001, len - 1001 - 70001));
	hfs_getattr(a, &sb);
	EXPECT_EQ(t, sb.size, sa.size);
	EXPECT_EQ(t, sb.blocks, sa.blocks);
	free(buf);
	hfs_iput(a);
	hfs_iput(b);
	ht_teardown(t, &h, fs);
}

/* Into a hole in the middle of a sparse file: only the hole's blocks the
 * write covers are allocated, the rest of the hole still reads zero, and
 * the data on either side is untouched; the size stays. */
KTEST(holdfs_writev, fills_a_hole)
{
	static struct hfs_iovec iov[MAX_PIECES];
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 32 * MiB);
	const uint64_t hole_at = 8 * BLK, far = 1 * MiB;
	struct hfs_inode *ip;
	struct hfs_stat st0, st1;
	uint8_t *head, *tail, *mid;
	unsigned n;

	ASSERT_NOT_NULL(t, fs);
	ip = ht_create(t, fs, "/sparse");
	ASSERT_NOT_NULL(t, ip);
	head = pattern(3, 0, hole_at);
	tail = pattern(3, far, BLK);
	EXPECT_EQ(t, hfs_write(ip, 0, head, hole_at), (int64_t)hole_at);
	EXPECT_EQ(t, hfs_write(ip, far, tail, BLK), (int64_t)BLK);
	ASSERT_OK(t, hfs_fsync(ip));
	hfs_getattr(ip, &st0);
	mid = pattern(4, hole_at + 2 * BLK + 100, 3 * BLK);
	n = cut(mid, 3 * BLK, 77, iov);
	EXPECT_EQ(t, hfs_writev(ip, hole_at + 2 * BLK + 100, iov, n), (int64_t)(3 * BLK));
	hfs_getattr(ip, &st1);
	EXPECT_EQ(t, st1.size, st0.size);
	EXPECT_GT(t, st1.blocks, st0.blocks);
	/* Blocks 10..13 are the write's; 8, 9 and 14 on stay holes. */
	EXPECT_TRUE(t, in_hole(t, ip, hole_at));
	EXPECT_TRUE(t, in_hole(t, ip, hole_at + BLK));
	for (uint64_t b = 2; b < 6; b++)
		EXPECT_FALSE(t, in_hole(t, ip, hole_at + b * BLK));
	EXPECT_TRUE(t, in_hole(t, ip, hole_at + 6 * BLK));
	EXPECT_TRUE(t, in_hole(t, ip, far - BLK));
	EXPECT_TRUE(t, reads_pattern(ip, 3, 0, hole_at));
	EXPECT_TRUE(t, reads_zero(ip, hole_at, 2 * BLK + 100));
	EXPECT_TRUE(t, reads_pattern(ip, 4, hole_at + 2 * BLK + 100, 3 * BLK));
	EXPECT_TRUE(t, reads_zero(ip, hole_at + 5 * BLK + 100, far - (hole_at + 5 * BLK + 100)));
	EXPECT_TRUE(t, reads_pattern(ip, 3, far, BLK));
	free(head);
	free(tail);
	free(mid);
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

/* Past EOF: the size becomes the end of the last piece, the gap reads
 * zero, and it all survives a remount (after fsync). */
KTEST(holdfs_writev, extends_the_file)
{
	static struct hfs_iovec iov[MAX_PIECES];
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 32 * MiB);
	struct hfs_inode *ip;
	struct hfs_stat st;
	uint8_t *a, *b;
	unsigned n;

	ASSERT_NOT_NULL(t, fs);
	ip = ht_create(t, fs, "/grow");
	ASSERT_NOT_NULL(t, ip);
	a = pattern(5, 0, 5000);
	n = cut(a, 5000, 999, iov);
	EXPECT_EQ(t, hfs_writev(ip, 0, iov, n), 5000);
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 5000u);
	/* Overlapping the end, then a gap: pieces from 4000 to 4000 + 20000. */
	b = pattern(6, 4000, 20000);
	n = cut(b, 20000, 1000, iov);
	EXPECT_EQ(t, hfs_writev(ip, 4000, iov, n), 20000);
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 24000u);
	free(b);
	b = pattern(7, 100000, 3333);
	n = cut(b, 3333, 3333, iov);
	EXPECT_EQ(t, n, 1u);
	EXPECT_EQ(t, hfs_writev(ip, 100000, iov, n), 3333);
	ASSERT_OK(t, hfs_fsync(ip));
	hfs_iput(ip);
	fs = ht_remount(t, &h, fs);
	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, hfs_lookup(fs, "/grow", true, &ip));
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 103333u);
	EXPECT_TRUE(t, reads_pattern(ip, 5, 0, 4000));
	EXPECT_TRUE(t, reads_pattern(ip, 6, 4000, 20000));
	EXPECT_TRUE(t, reads_zero(ip, 24000, 100000 - 24000));
	EXPECT_TRUE(t, reads_pattern(ip, 7, 100000, 3333));
	free(a);
	free(b);
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

/* The errors: nothing written, the file as it was. */
KTEST(holdfs_writev, errors_change_nothing)
{
	static struct hfs_iovec iov[MAX_PIECES];
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_inode *ip, *d;
	struct hfs_iovec bad[3];
	struct hfs_statfs sf0, sf1;
	struct hfs_stat st;
	uint8_t *buf, *big;
	size_t biglen = 24 * MiB;
	unsigned n;

	ASSERT_NOT_NULL(t, fs);
	ip = ht_create(t, fs, "/e");
	ASSERT_NOT_NULL(t, ip);
	buf = pattern(8, 0, 10000);
	EXPECT_EQ(t, hfs_write(ip, 0, buf, 10000), 10000);
	hfs_statfs(fs, &sf0);

	/* Nothing to write. */
	EXPECT_EQ(t, hfs_writev(ip, 0, iov, 0), 0);
	bad[0] = (struct hfs_iovec){ NULL, 0 };
	bad[1] = (struct hfs_iovec){ buf, 0 };
	EXPECT_EQ(t, hfs_writev(ip, 50000, bad, 2), 0);
	/* A NULL piece with a length. */
	bad[0] = (struct hfs_iovec){ buf, 10 };
	bad[1] = (struct hfs_iovec){ NULL, 10 };
	EXPECT_ERR(t, hfs_writev(ip, 0, bad, 2), -EINVAL);
	/* Lengths whose sum overflows, and a range past the largest file. */
	bad[0] = (struct hfs_iovec){ buf, SIZE_MAX / 2 + 1 };
	bad[1] = (struct hfs_iovec){ buf, SIZE_MAX / 2 + 1 };
	bad[2] = (struct hfs_iovec){ buf, 2 };
	EXPECT_ERR(t, hfs_writev(ip, 0, bad, 3), -EFBIG);
	bad[0] = (struct hfs_iovec){ buf, 100 };
	EXPECT_ERR(t, hfs_writev(ip, HFS_MAX_FILE_BYTES - 50, bad, 1), -EFBIG);
	/* More than the free space: -ENOSPC before anything is written. */
	big = pattern(9, 0, biglen);
	n = cut(big, biglen, 1, iov);		/* at most MAX_PIECES pieces */
	EXPECT_ERR(t, hfs_writev(ip, 0, iov, n), -ENOSPC);
	hfs_getattr(ip, &st);
	EXPECT_EQ(t, st.size, 10000u);
	EXPECT_TRUE(t, reads_pattern(ip, 8, 0, 10000));
	hfs_statfs(fs, &sf1);
	EXPECT_EQ(t, sf1.free_blocks, sf0.free_blocks);
	/* A directory. */
	ASSERT_OK(t, hfs_lookup(fs, "/", true, &d));
	bad[0] = (struct hfs_iovec){ buf, 1 };
	EXPECT_ERR(t, hfs_writev(d, 0, bad, 1), -EISDIR);
	hfs_iput(d);
	free(big);
	free(buf);
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}

/* A filesystem mounted read-only refuses with -EROFS. */
KTEST(holdfs_writev, read_only_mount)
{
	struct hfs_host_pm h;
	struct hfs_fs *fs = ht_setup(t, &h, 16 * MiB);
	struct hfs_inode *ip;
	struct hfs_iovec v = { "abc", 3 };
	char got[4] = { 0 };

	ASSERT_NOT_NULL(t, fs);
	ASSERT_OK(t, ht_put(fs, "/r", "xyz", 3));
	ASSERT_OK(t, hfs_unmount(fs));
	ASSERT_OK(t, hfs_mount(&h.pm, HFS_MOUNT_RDONLY, &fs));
	ASSERT_OK(t, hfs_open(fs, "/r", HFS_O_RDONLY, 0, &ip));
	EXPECT_ERR(t, hfs_writev(ip, 0, &v, 1), -EROFS);
	EXPECT_EQ(t, ht_get(fs, "/r", got, sizeof(got)), 3);
	EXPECT_MEMEQ(t, got, "xyz", 3);
	hfs_iput(ip);
	ht_teardown(t, &h, fs);
}
