/*
 * nbd.h - the NBD server: holdfs files (or any VFS file) exported to
 * network block device clients (nbdinfo, nbdcopy, qemu-img, qemu-io,
 * Linux's nbd-client) over lwIP.
 *
 * Protocol: fixed newstyle negotiation with NBD_OPT_EXPORT_NAME, _LIST,
 * _INFO, _GO and _ABORT (every other option gets NBD_REP_ERR_UNSUP), then
 * simple replies to READ, WRITE (FUA), FLUSH, TRIM, WRITE_ZEROES and
 * DISC.  TRIM is a punch-hole and WRITE_ZEROES a zero-range on the file,
 * both layout changes that wait for the file's pinned pages like any
 * other (docs/07-pins-and-layout.md).  FLUSH and FUA fsync the file.
 * The facts come from the NetworkBlockDevice project's doc/proto.md.
 *
 * One kernel thread listens on NBD_PORT and one serves each client.  An
 * export is a path opened through the VFS when it is exported; its size
 * is the file's size when a client selects it.
 *
 * Context: thread context for every call; they may sleep.  Locking:
 * nbd_lock (a mutex in net/nbd.c) guards the export and client lists.
 */
#ifndef NET_NBD_H
#define NET_NBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NBD_PORT		10809	/* IANA's, and design.md's contract */
#define NBD_NAME_MAX		63	/* bytes in an export name */
#define NBD_MAX_EXPORTS		16
#define NBD_MAX_CLIENTS		128

/**
 * nbd_init() - start the listener.  Call once the network is up.
 * 0, or -ENOMEM / a negative errno from binding the port.
 */
int nbd_init(void);

/**
 * nbd_export() - export the file at @path as @name (NULL: the path's last
 * component), read-only when @ro.  The file is opened now (read-write
 * unless @ro) and stays open until nbd_unexport().  Returns 0, -EEXIST
 * (the name is taken), -EINVAL (a bad name, or not a regular file),
 * -ENOSPC (NBD_MAX_EXPORTS), or the open's error.  @why gets a sentence.
 */
int nbd_export(const char *path, const char *name, bool ro, char *why, size_t whylen);

/**
 * nbd_unexport() - remove export @name.  -ENOENT when there is none,
 * -EBUSY while clients use it (nbd clients lists them).
 */
int nbd_unexport(const char *name);

struct nbd_export_info {
	char name[NBD_NAME_MAX + 1];
	char path[128];
	bool ro;
	uint64_t size;			/* the file's size now */
	unsigned clients;
};

struct nbd_client_info {
	unsigned id;
	char peer[32];			/* "10.0.2.2:41234" */
	char export[NBD_NAME_MAX + 1];	/* "" while negotiating */
	uint64_t requests, bytes_read, bytes_written;
	uint64_t bytes_written_lent;	/* written from lent receive buffers */
	uint64_t reads_zero_copy;	/* READs sent from pinned pages */
	unsigned pinned;		/* of those, not yet acknowledged */
	uint64_t zc_bytes_ref;		/* released READ data the NIC read in place */
	uint64_t zc_bytes_copied;	/* ... and the data the NIC driver copied */
	uint64_t connected_ns;
};

/* nbd_export_at() / nbd_client_at() - the @i-th one, false past the end.
 * A snapshot under nbd_lock. */
bool nbd_export_at(unsigned i, struct nbd_export_info *out);
bool nbd_client_at(unsigned i, struct nbd_client_info *out);

/*
 * Where WRITE payloads went since boot.  A WRITE's payload is written
 * from lwIP's pbufs straight into the file (vfs_pwritev): one copy when
 * the pbufs lie in receive buffers the NIC driver lent (received by
 * reference), two when the frame had been copied into a pool pbuf (short
 * frames, and frames the driver had no spare buffer for).
 */
struct nbd_write_stats {
	uint64_t payload;	/* payload bytes of WRITEs that passed their checks */
	uint64_t gathered;	/* bytes written from the pbufs by vfs_pwritev */
	uint64_t lent;		/* of those, in lent receive buffers: one copy */
	uint64_t writev_calls;	/* vfs_pwritev calls (a chunk, up to 256 KiB, each) */
	uint64_t file_ns;	/* time in vfs_pwritev: the copy into pmem, flushes */
};

/* nbd_write_stats() - the counts above, a snapshot.  Any thread. */
void nbd_write_stats(struct nbd_write_stats *out);

/* nbd_running() - is the listener up? */
bool nbd_running(void);

/*
 * Zero-copy READ replies (on by default): the data is sent from the
 * file's pmem pages (the NIC's transmit descriptors point at them),
 * pinned until TCP has it acknowledged and the NIC has returned every
 * descriptor into them, so a truncate or punch-hole of them waits for the
 * network as for a DMA.  Off: READs
 * copy the data into a buffer first.  Any thread.
 */
void nbd_set_zero_copy(bool on);
/* Is it on?  @pinned/@copied (may be NULL): READs served each way since boot. */
bool nbd_zero_copy_on(uint64_t *pinned, uint64_t *copied);

#endif
