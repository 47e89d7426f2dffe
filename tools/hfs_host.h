/*
 * hfs_host.h - the holdfs platform (include/fs/holdfs_platform.h) on a POSIX host.
 *
 * hfs_host.c: "pmem" is either an image file mapped with mmap (the tools)
 * or a zeroed buffer in memory (tests).  Stores are plain memcpy; flush
 * and fence only count (the mapping is shared, so the kernel writes the
 * file back; hfs_host_close() msyncs).
 * hfs_services.c: memory, clock, locks (pthread, with owners for the
 * core's lock assertions), the log and the layout
 * break, for the tools and every host test binary (whose pmem may come
 * from tests/host/hfs_memdev.c instead).
 */
#ifndef TOOLS_HFS_HOST_H
#define TOOLS_HFS_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <fs/holdfs.h>

struct hfs_host_pm {
	struct hfs_pm pm;
	uint8_t *base;
	uint64_t size;
	int fd;				/* -1: memory */
	bool private_map;		/* changes are not written to the file */
	uint64_t fences, flushes;	/* statistics */
};

#define HFS_HOST_RDONLY	0x1	/* map privately: nothing reaches the file */

/* Map image file @path; returns 0 or -errno (message on stderr). */
int hfs_host_open(const char *path, unsigned flags, struct hfs_host_pm *h);
/* A zeroed in-memory device of @size bytes; 0 or -ENOMEM. */
int hfs_host_mem(uint64_t size, struct hfs_host_pm *h);
/* msync + unmap (or free); returns 0 or -errno. */
int hfs_host_close(struct hfs_host_pm *h);

/* The log: dropped while quiet; to stderr, or with a prefix each message
 * as one line on stdout; the last message and a count are kept. */
extern bool hfs_host_quiet;
extern const char *hfs_host_log_prefix;
extern char hfs_host_last_log[512];
extern uint64_t hfs_host_log_lines;

/* hfs_now_ns() becomes a deterministic counter (restarted by each call),
 * so that images made by the fuzz and regression harnesses repeat. */
void hfs_host_fake_clock(bool on);

/*
 * The owner of files this thread creates from now on (hfs_plat_cred):
 * @uid/@gid with @on, the process's effective ids without.  Per thread:
 * the FUSE tool sets it from each request's context.
 */
void hfs_host_set_cred(bool on, uint32_t uid, uint32_t gid);

/*
 * Test hook: when set, hfs_break_layout() returns what it returns
 * (simulating pinned pages), else 0.
 */
extern int (*hfs_host_break_hook)(struct hfs_inode *ip, uint64_t off, uint64_t len,
				  const struct hfs_wait *w);

/*
 * Test hook: a failed lock assertion (holdfs_platform.h) calls it with the
 * message before it aborts; a test that breaks a rule on purpose
 * long-jumps out of it.  Without it, the message goes to stderr and the
 * program aborts.
 */
extern void (*hfs_host_lock_assert_hook)(const char *msg);

#endif
