/*
 * hfs_model.h - the reference model (oracle) of holdfs's namespace and file
 * semantics, for the differential and crash tests.
 *
 * The model is a plain in-memory tree: directories hold (name, node) pairs,
 * regular files are byte arrays with a logical size, symbolic links hold
 * their target.  Every call mirrors one holdfs.h call with Linux's
 * semantics and Linux's error codes (checked in the order Linux checks
 * them), so a differential driver can compare return values one to one.
 *
 * Nodes are numbered (struct hfsm_node.id, never 0, index into the model's
 * node table) so that a model can be cloned with hard links intact
 * (hfsm_clone) - the crash harness keeps the state before and after the
 * operation in progress.  "Open" references (hfsm_open, hfsm_get) keep an
 * unlinked node alive until hfsm_put; hfsm_forget_opens drops every one,
 * which is what an unmount or a crash does.
 *
 * No allocation failure is modelled: the model never returns -ENOSPC (the
 * driver accepts -ENOSPC from holdfs only with the model unchanged).
 *
 * Portable: only holdfs.h types, lib/string and hfs_alloc/hfs_free, so the
 * same file can build into the kernel.  Not thread-safe.
 */
#ifndef TESTS_HFS_MODEL_H
#define TESTS_HFS_MODEL_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <fs/holdfs.h>

/* Sizes the crash harness's fuzzy comparison remembers per dirty file. */
#define HFSM_MAX_ALT_SIZES	16

struct hfsm_dirent {
	char *name;
	uint32_t child;			/* node id */
};

struct hfsm_node {
	uint32_t id;			/* 0: free slot */
	uint32_t type;			/* HFS_S_IFREG / IFDIR / IFLNK */
	uint32_t perm;			/* mode & 07777 as created */
	uint32_t nlink;
	uint32_t opens;			/* hfsm_open/hfsm_get references */
	uint64_t gen;			/* creation number, unique per model */
	uint64_t fs_ino;		/* holdfs inode number (driver's mapping), 0 unknown */

	/* regular file */
	uint8_t *data;
	uint64_t size, cap;
	/* crash harness: data written since the last fsync may be lost */
	bool dirty;
	uint32_t n_alt;			/* sizes the file may show after a crash */
	uint64_t alt_sizes[HFSM_MAX_ALT_SIZES];
	bool alt_overflow;		/* too many: any size in [min, max] of them */

	/* symbolic link */
	char *target;

	/* directory */
	struct hfsm_dirent *ents;
	uint32_t nents, capents;
	uint32_t parent;		/* ".." (root: itself); 0 once removed */
};

struct hfsm {
	struct hfsm_node *nodes;	/* nodes[0] unused */
	uint32_t nnodes;		/* slots in use or free */
	uint32_t cap;
	uint64_t next_gen;
	uint32_t root;
};

struct hfsm *hfsm_new(void);
void hfsm_free(struct hfsm *m);
struct hfsm *hfsm_clone(const struct hfsm *m);
struct hfsm_node *hfsm_node(const struct hfsm *m, uint32_t id);

/* Namespace: same arguments and return values as the hfs_* calls. */
int hfsm_open(struct hfsm *m, const char *path, int flags, uint32_t mode, uint32_t *id);
int hfsm_lookup(struct hfsm *m, const char *path, bool follow, uint32_t *id);
int hfsm_stat(struct hfsm *m, const char *path, bool follow, struct hfs_stat *st);
int hfsm_mkdir(struct hfsm *m, const char *path, uint32_t mode);
int hfsm_rmdir(struct hfsm *m, const char *path);
int hfsm_unlink(struct hfsm *m, const char *path);
int hfsm_rename(struct hfsm *m, const char *from, const char *to);
/* renameat2: HFS_RENAME_NOREPLACE or HFS_RENAME_EXCHANGE in @flags. */
int hfsm_rename2(struct hfsm *m, const char *from, const char *to, unsigned flags);
int hfsm_link(struct hfsm *m, const char *existing, const char *newpath);
int hfsm_symlink(struct hfsm *m, const char *target, const char *linkpath);
int hfsm_readlink(struct hfsm *m, const char *path, char *buf, size_t size);

/*
 * Every error that applies to a rename/link (bit 1 << errno), where the
 * order of checks is a matter of taste; hfsm_rename/hfsm_link return the
 * one Linux picks.
 */
uint64_t hfsm_rename_errors(struct hfsm *m, const char *from, const char *to, unsigned flags);
uint64_t hfsm_link_errors(struct hfsm *m, const char *existing, const char *newpath);

/* References (an open file or a looked-up inode). */
void hfsm_get(struct hfsm *m, uint32_t id);
void hfsm_put(struct hfsm *m, uint32_t id);
/* Unmount or crash: every reference is gone, orphans are freed. */
void hfsm_forget_opens(struct hfsm *m);

/* File operations on a referenced node. */
void hfsm_getattr(struct hfsm *m, uint32_t id, struct hfs_stat *st);
int64_t hfsm_read(struct hfsm *m, uint32_t id, uint64_t off, void *buf, size_t len);
int64_t hfsm_write(struct hfsm *m, uint32_t id, uint64_t off, const void *buf, size_t len);
int hfsm_truncate(struct hfsm *m, uint32_t id, uint64_t size);
int hfsm_fallocate(struct hfsm *m, uint32_t id, int mode, uint64_t off, uint64_t len);
int hfsm_fsync(struct hfsm *m, uint32_t id);

/* Directory entries in insertion order ("." and ".." are not listed). */
uint32_t hfsm_dir_count(struct hfsm *m, uint32_t dir);
const struct hfsm_dirent *hfsm_dir_entry(struct hfsm *m, uint32_t dir, uint32_t i);

#endif
