/*
 * hfs_memdev.h - in-memory persistent-memory devices for the host tests of
 * holdfs: a plain one (struct hfs_pm over a buffer) and a recording one
 * that tracks what the persistence rules let survive a power failure.
 *
 * Both map the buffer twice (memfd): the core reads through a read-only
 * mapping, and the device's own write ops store through a writable alias,
 * so a store through hfs_pm_ptr() - which holdfs_platform.h forbids - faults at
 * once instead of escaping the recorder.
 *
 * Recording model (docs/design.md "Persistence rules"), per 64-byte line:
 *   write/zero       line becomes DIRTY (newest content only in the cache)
 *   flush            a DIRTY line is written back: PENDING, with a snapshot
 *                    of its content at the flush
 *   write_nt         the line goes straight to PENDING (snapshot = content)
 *   fence            every PENDING snapshot becomes durable; a line written
 *                    again after its flush stays DIRTY
 * A crash may leave, for every line not yet durable, the durable content,
 * the flushed snapshot (if PENDING) or the newest content (if DIRTY: the
 * cache may have evicted it).  Intermediate versions of a line overwritten
 * before any flush are not offered (a known, documented limit).
 *
 * Crash points.  hfs_memdev_rec_mark() remembers the durable image as the
 * base; hfs_memdev_capture() (typically from the fence hook, before the
 * fence takes effect) saves the lines made durable since the mark and the
 * candidate versions of every non-durable line, compactly.  Images are
 * built later with hfs_crashpt_build(), so nothing runs inside the core's
 * call stack.  Single-threaded.
 */
#ifndef TESTS_HFS_MEMDEV_H
#define TESTS_HFS_MEMDEV_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <fs/holdfs_platform.h>

struct hfs_memdev;

/* splitmix64: the tests' deterministic random numbers. */
static inline uint64_t hfst_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A device of size bytes (a multiple of 4096), zero-filled; NULL on failure. */
struct hfs_memdev *hfs_memdev_new(uint64_t size, bool recording);
void hfs_memdev_free(struct hfs_memdev *d);
struct hfs_pm *hfs_memdev_pm(struct hfs_memdev *d);
uint64_t hfs_memdev_size(struct hfs_memdev *d);
/* The current (volatile) contents, read-only. */
const uint8_t *hfs_memdev_data(struct hfs_memdev *d);
/* Replace the whole contents (len <= size, rest zeroed); all durable. */
void hfs_memdev_load(struct hfs_memdev *d, const void *img, uint64_t len);

struct hfs_memdev_stats {
	uint64_t writes, nt_writes, zeros, flushes, fences;
	uint64_t bytes_written;
};
void hfs_memdev_stats(struct hfs_memdev *d, struct hfs_memdev_stats *st);

/* ------------------------------------------------ recording devices only */

/* Make everything durable now (e.g. after mkfs). */
void hfs_memdev_persist_all(struct hfs_memdev *d);
/* The durable image: what survives a crash with every unsure line lost. */
const uint8_t *hfs_memdev_durable(struct hfs_memdev *d);
/* Number of lines that are not durable. */
uint64_t hfs_memdev_nondurable(struct hfs_memdev *d);
/* Called at every fence before it takes effect; NULL to stop. */
void hfs_memdev_set_fence_hook(struct hfs_memdev *d,
			       void (*fn)(void *ctx, struct hfs_memdev *d), void *ctx);
/* Take the durable image as the base of the following captures. */
void hfs_memdev_rec_mark(struct hfs_memdev *d);

struct hfs_crashpt;
struct hfs_crashpt *hfs_memdev_capture(struct hfs_memdev *d);
void hfs_crashpt_free(struct hfs_crashpt *cp);
/* Lines that may or may not survive at this point. */
uint64_t hfs_crashpt_unsure(const struct hfs_crashpt *cp);

enum hfs_crash_mode {
	HFS_CRASH_ALL_OLD,	/* every unsure line keeps its durable content */
	HFS_CRASH_ALL_NEW,	/* every unsure line has its newest content */
	HFS_CRASH_RANDOM,	/* each unsure line: a random candidate version */
	HFS_CRASH_RANDOM_WORDS,	/* each aligned 8 bytes: a random candidate */
};
/*
 * hfs_crashpt_build - write into out (device size bytes) the image a crash
 * at cp may leave: the base from hfs_memdev_rec_mark(), the lines made
 * durable since, and for the unsure lines what mode says (rng for the
 * random modes).
 */
void hfs_crashpt_build(struct hfs_memdev *d, const struct hfs_crashpt *cp,
		       enum hfs_crash_mode mode, uint64_t *rng, uint8_t *out);

#endif
