/*
 * hfs_diff.h - the randomized differential driver of holdfs against the
 * reference model (hfs_model.h).
 *
 * hfsd_run() makes a filesystem on the given device, then for cfg.ops
 * steps generates a random operation (every call of holdfs.h that changes
 * or shows state), applies it to holdfs and to the model, and compares:
 * return values always; after data operations the file's size and whole
 * contents; after namespace operations the listings of the directories
 * involved and the stat of the paths involved; after a failed operation
 * the statfs free counts (a failure must change nothing).  Periodically it
 * compares the whole tree, unmounts, runs hfs_fsck (must be clean), and
 * mounts again.  At the end it removes everything and checks that the free
 * counts came back (no leaked block or inode).
 *
 * -ENOSPC from holdfs is accepted for an operation that may allocate when
 * the model says it would succeed; the model is then left unchanged and the
 * next comparisons check that holdfs changed nothing either.  A short write
 * is applied to the model for the length holdfs reports.
 *
 * Deterministic: everything comes from cfg.seed.  Portable: it uses only
 * holdfs.h, lib/ and hfs_alloc, and prints through env->print, so the same
 * file can run as an in-kernel suite on a RAM-backed struct hfs_pm.
 *
 * The crash harness drives the same generator step by step (hfsd_gen,
 * hfsd_exec) with cfg.crash_data set: written bytes then come from a
 * per-file alphabet, so that a crash image showing another file's bytes is
 * caught (hfsd_compare_tree with fuzzy = true).
 */
#ifndef TESTS_HFS_DIFF_H
#define TESTS_HFS_DIFF_H

#include <stdint.h>
#include <stdbool.h>
#include <fs/holdfs.h>
#include "hfs_model.h"

#define HFSD_MAX_HANDLES	8
#define HFSD_PATH		1024
#define HFSD_RING		24

struct hfsd_env {
	void (*print)(void *ctx, const char *line);	/* one line, no newline */
	void *ctx;
};

struct hfsd_config {
	uint64_t seed;
	uint64_t ops;			/* steps of hfsd_run */
	uint64_t remount_every;		/* steps; 0 never */
	uint64_t fsck_every;		/* fsck at every Nth remount; 0 never */
	uint64_t fullcheck_every;	/* steps between whole-tree comparisons; 0 never */
	uint64_t max_file;		/* largest file offset generated */
	uint32_t max_write;		/* largest write */
	uint32_t max_nodes;		/* above this, removals are favoured */
	bool crash_data;		/* per-file byte alphabets (crash harness) */
	bool trace;			/* print every step */
	unsigned avoid;			/* HFSD_AVOID_*: skip known core bugs */
	bool rename_flags;		/* renames also draw renameat2 flags
					 * (NOREPLACE, EXCHANGE); off keeps the
					 * older seeds' sequences as they were */
	struct hfs_mkfs_opts mkfs;
};

/* Steps the generator can be told to leave out, to look past a known bug. */
#define HFSD_AVOID_RENAME_SELF	0x1	/* rename(p, p) */
#define HFSD_AVOID_OPEN_CREAT_DIR	0x2	/* O_CREAT on an existing directory */
#define HFSD_AVOID_CREAT_DANGLING	0x4	/* O_CREAT through a dangling symlink */
#define HFSD_AVOID_RELATIVE_LINKS	0x8	/* relative symlink targets */

enum hfsd_kind {
	HFSD_OPEN, HFSD_CLOSE, HFSD_READ, HFSD_WRITE, HFSD_APPEND, HFSD_TRUNCATE,
	HFSD_FALLOCATE, HFSD_FSYNC, HFSD_GETATTR, HFSD_UNLINK, HFSD_MKDIR,
	HFSD_RMDIR, HFSD_RENAME, HFSD_LINK, HFSD_SYMLINK, HFSD_READLINK,
	HFSD_STAT, HFSD_STATFS, HFSD_READDIR, HFSD_NKINDS
};

struct hfsd_op {
	enum hfsd_kind kind;
	int h;				/* handle slot */
	char path[HFSD_PATH], path2[HFSD_PATH];
	int flags;			/* open flags, fallocate mode, stat follow */
	uint32_t mode;
	uint64_t off, len;
	uint64_t data_seed;
};

struct hfsd_handle {
	struct hfs_inode *ip;		/* NULL: free slot */
	uint32_t mid;			/* model node */
	bool append;
};

struct hfsd_stats {
	uint64_t steps, by_kind[HFSD_NKINDS], err_by_kind[HFSD_NKINDS], errors, enospc, short_writes;
	uint64_t other_errno;		/* refused with another error that also applies */
	uint64_t remounts, fscks, fullchecks;
};

struct hfsd {
	struct hfsd_config cfg;
	struct hfsd_env env;
	struct hfs_pm *pm;
	struct hfs_fs *fs;
	struct hfsm *m;
	uint64_t rng;
	struct hfsd_handle h[HFSD_MAX_HANDLES];
	struct hfsd_stats st;
	bool failed;
	char ring[HFSD_RING][200];	/* the last steps, for the failure report */
	uint64_t ring_n;
	uint8_t *buf_a, *buf_b, *wbuf;	/* max_file + max_write each */
	/*
	 * Whole-file comparisons (cmp_data) read here, not into buf_a: the
	 * crash harness compares trees from post_exec, between a READ's
	 * holdfs call and the check of what that READ returned in buf_a.
	 */
	uint8_t *cmp_buf;
	uint64_t cmp_cap;		/* bytes at cmp_buf */
	struct hfs_statfs fresh;	/* right after mkfs and mount */
	/* Called around each step's holdfs call (crash harness); may be NULL. */
	void (*pre_exec)(void *ctx, struct hfsd *d, const struct hfsd_op *op);
	void (*post_exec)(void *ctx, struct hfsd *d, const struct hfsd_op *op);
	void *hook_ctx;
	/* paths of the model tree, refreshed each step */
	uint32_t npaths;
	char (*paths)[HFSD_PATH];
	uint32_t *path_node;
};

void hfsd_default_config(struct hfsd_config *cfg);
/* mkfs + mount + empty model.  Returns 0 or a negative errno (and reports). */
int hfsd_init(struct hfsd *d, const struct hfsd_config *cfg, const struct hfsd_env *env,
	      struct hfs_pm *pm);
/* Unmount (if mounted) and free.  Leaves the image in place. */
void hfsd_fini(struct hfsd *d);
/* Run cfg.ops steps and the final leak check; 0 or -1 (reported) on a mismatch. */
int hfsd_run(struct hfsd *d);

/* Pieces for other harnesses. */
void hfsd_gen(struct hfsd *d, struct hfsd_op *op);
int hfsd_exec(struct hfsd *d, struct hfsd_op *op);	/* 0 or -1 */
int hfsd_remount(struct hfsd *d, bool fsck);		/* 0 or -1 */
void hfsd_close_all(struct hfsd *d);
void hfsd_describe(const struct hfsd_op *op, char *buf, size_t size);
const char *hfsd_kind_name(enum hfsd_kind k);
/*
 * hfsd_compare_tree - does mounted fs show exactly model m (every path,
 * type, permission, link count, size, symlink target, file contents)?
 * fuzzy: files the model marks dirty (written since their last fsync) may
 * show any size the model allowed since and any bytes of their own
 * alphabet or zero.  learn: record holdfs inode numbers in m.  Returns 0,
 * or -1 with a description in why.
 */
int hfsd_compare_tree(struct hfsd *d, struct hfs_fs *fs, struct hfsm *m, bool fuzzy,
		      bool learn, char *why, size_t whysize);
/* Byte value the crash harness writes into the file created as number gen. */
uint8_t hfsd_alphabet(uint64_t gen, uint64_t r);
bool hfsd_in_alphabet(uint64_t gen, uint8_t b);
/* Report a failure (first one wins) with the seed and the last steps. */
int hfsd_fail(struct hfsd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hfsd_print(struct hfsd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
