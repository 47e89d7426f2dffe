/*
 * nbd.c - the NBD server (include/net/nbd.h): exports, the listener, and
 * one thread per client speaking the protocol of the NetworkBlockDevice
 * project's doc/proto.md ("proto" below).
 *
 * A connection goes through two phases:
 *
 *   negotiation   server: NBDMAGIC, IHAVEOPT, handshake flags (fixed
 *                 newstyle, no zeroes); client: its flags; then options,
 *                 each answered with option replies, until EXPORT_NAME or
 *                 GO picks an export (or ABORT, or a bad input, ends it).
 *   transmission  requests (28-byte header, WRITE's payload after it),
 *                 each answered by a simple reply (16 bytes, READ's data
 *                 after it), in order, until DISC or the connection ends.
 *
 * Everything the client sends is checked before use: magics, flags,
 * option and name lengths, request types and flags, offsets and lengths
 * against the export's size and NBD_MAX_PAYLOAD.  A bad option gets the
 * protocol's error reply and negotiation goes on; a bad request gets an
 * error reply (EINVAL, EPERM, ENOSPC...) and transmission goes on, its
 * payload read and dropped first so the stream stays in step; where the
 * stream cannot be trusted any more (a bad magic, an option or payload too
 * long to skip, a client that goes silent while negotiating) the
 * connection is closed.  Each of those says why on the console, in one
 * line naming the client.  Nothing is written to the file by a request
 * that failed its checks.
 *
 * Data path and copies.  READ: zero copies on the pinned path.  The data
 * is sent from the file's pmem pages, pinned for the network (see
 * "zero-copy READ" below): lwIP's segments point at them and the NIC's
 * transmit descriptors carry their physical addresses (the driver copies
 * only the protocol headers; without indirect descriptors it copies the
 * frame: one copy).  Where the pages cannot be pinned (a hole, a file not
 * on holdfs, `nbd zerocopy off`) the data is first read into the client's
 * bounce buffer (vfs_pread) and copied into lwIP's segments, then into the
 * transmit buffer: three copies.
 *
 * WRITE: one copy, receive buffer -> pmem.  The NIC driver lends lwIP the
 * buffer a frame arrived in (net/netif.c: a custom pbuf), so the payload
 * reaches us still in the receive buffers; do_write() takes it by
 * reference, NBD_CHUNK at a time (recv_ref(): an iovec of pointers into
 * the pbufs, the pbufs held), and vfs_pwritev() copies each piece
 * straight into the file's pmem; then the pbufs are freed and the buffers
 * go back to the driver.  Two copies for the frames the driver could not
 * lend (no spare buffer: `net` counts them) and for frames of at most
 * 256 bytes: those were copied into a pool pbuf first.  A chunk is
 * written once it has all arrived, so a client that leaves halfway loses
 * the chunk it was sending (the chunks before it are in the file: only
 * bytes the WRITE addressed).  Headers and dropped payloads go through
 * recv_exact(), which copies (or skips) them.
 *
 * Locking: nbd_lock (mutex) guards the export list, each export's client
 * count and the client list; a client's counters are written by its own
 * thread only (read as a snapshot).  File I/O runs without nbd_lock: an
 * export cannot go away while a client holds it (unexport refuses).
 */
#include <net/nbd.h>
#include <net/net.h>
#include <drivers/pmem.h>
#include <fs/dax.h>
#include <fs/holdfs.h>
#include <fs/holdfs_platform.h>
#include <fs/vfs.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <lib/compiler.h>
#include <lib/errno.h>
#include <lib/list.h>
#include <lib/printf.h>
#include <lib/string.h>

#include "lwip/api.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"	/* struct tcp_seg: what TCP still holds */
#include "lwip/tcpip.h"

/* ---------------------------------------------------- protocol [proto] ---- */

#define NBD_MAGIC		0x4e42444d41474943ull	/* "NBDMAGIC" */
#define NBD_IHAVEOPT		0x49484156454F5054ull	/* "IHAVEOPT" */
#define NBD_REP_MAGIC		0x0003e889045565a9ull	/* option replies */
#define NBD_REQUEST_MAGIC	0x25609513u
#define NBD_SIMPLE_REPLY_MAGIC	0x67446698u

/* handshake flags (server) and client flags */
#define NBD_FLAG_FIXED_NEWSTYLE	(1u << 0)
#define NBD_FLAG_NO_ZEROES	(1u << 1)
#define NBD_FLAG_C_FIXED_NEWSTYLE (1u << 0)
#define NBD_FLAG_C_NO_ZEROES	(1u << 1)
#define NBD_CLIENT_FLAGS_KNOWN	(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES)

/* options */
#define NBD_OPT_EXPORT_NAME	1
#define NBD_OPT_ABORT		2
#define NBD_OPT_LIST		3
#define NBD_OPT_INFO		6
#define NBD_OPT_GO		7
#define NBD_OPT_STRUCTURED_REPLY 8	/* not supported: simple replies only */
#define NBD_OPT_SET_META_CONTEXT 10	/* not supported */

/* option reply types */
#define NBD_REP_ACK		1
#define NBD_REP_SERVER		2
#define NBD_REP_INFO		3
#define NBD_REP_FLAG_ERROR	(1u << 31)
#define NBD_REP_ERR_UNSUP	(NBD_REP_FLAG_ERROR | 1)
#define NBD_REP_ERR_POLICY	(NBD_REP_FLAG_ERROR | 2)
#define NBD_REP_ERR_INVALID	(NBD_REP_FLAG_ERROR | 3)
#define NBD_REP_ERR_UNKNOWN	(NBD_REP_FLAG_ERROR | 6)

/* NBD_REP_INFO types */
#define NBD_INFO_EXPORT		0	/* u16 type, u64 size, u16 flags */
#define NBD_INFO_BLOCK_SIZE	3	/* u16 type, u32 min, preferred, max */

/* transmission flags */
#define NBD_FLAG_HAS_FLAGS	(1u << 0)
#define NBD_FLAG_READ_ONLY	(1u << 1)
#define NBD_FLAG_SEND_FLUSH	(1u << 2)
#define NBD_FLAG_SEND_FUA	(1u << 3)
#define NBD_FLAG_SEND_TRIM	(1u << 5)
#define NBD_FLAG_SEND_WRITE_ZEROES (1u << 6)
#define NBD_FLAG_CAN_MULTI_CONN	(1u << 8)

/* command flags */
#define NBD_CMD_FLAG_FUA	(1u << 0)
#define NBD_CMD_FLAG_NO_HOLE	(1u << 1)
#define NBD_CMD_FLAGS_KNOWN	(NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE)

/* commands */
#define NBD_CMD_READ		0
#define NBD_CMD_WRITE		1
#define NBD_CMD_DISC		2
#define NBD_CMD_FLUSH		3
#define NBD_CMD_TRIM		4
#define NBD_CMD_WRITE_ZEROES	6

/* error values in replies (Linux's numbers, which proto.md lists) */
#define NBD_EPERM		1
#define NBD_EIO			5
#define NBD_ENOMEM		12
#define NBD_EINVAL		22
#define NBD_ENOSPC		28
#define NBD_EOVERFLOW		75
#define NBD_ENOTSUP		95

/* sizes */
#define NBD_OPT_HDR_LEN		16	/* magic, option, length */
#define NBD_REQ_HDR_LEN		28
#define NBD_REPLY_LEN		16
#define NBD_ZEROES_LEN		124	/* after EXPORT_NAME without NO_ZEROES */
#define NBD_OPT_MAX		4096	/* longest option data we read */
#define NBD_MAX_PAYLOAD		(32u << 20)	/* longest READ/WRITE (proto: 32 MiB) */
#define NBD_CHUNK		(256u << 10)	/* bounce buffer; a WRITE's gather */
#define NBD_WR_IOV		256	/* pieces per gather: 256 full segments
					 * hold more than NBD_CHUNK */
#define NBD_BLOCK_MIN		1
#define NBD_BLOCK_PREF		4096
#define NBD_NEGOTIATE_MS	30000	/* silence allowed while negotiating */
#define NBD_MAX_OPTIONS		64	/* options per connection */
#define NBD_ZC_MAX		64	/* pinned READ replies in flight per client */
#define NBD_ZC_POLL_MS		5	/* how often an idle client looks at ACKs */
#define NBD_ZC_DRAIN_MS		30000	/* longest wait for ACKs before an abort */
#define NBD_SEND_TIMEOUT_MS	60000	/* a client that reads nothing for this
					 * long is cut off: its pins must go */

/* ------------------------------------------------------------ state ---- */

struct nbd_exp {
	struct list_node node;		/* nbd_exports; nbd_lock */
	char name[NBD_NAME_MAX + 1];	/* constant while listed */
	char path[128];
	bool ro;
	int fd;				/* the kernel's fd table */
	unsigned clients;		/* nbd_lock */
};

struct nbd_client {
	struct list_node node;		/* nbd_clients; nbd_lock */
	unsigned id;
	char peer[32];
	struct netconn *nc;
	struct nbd_exp *exp;		/* set under nbd_lock when chosen */
	uint64_t size;			/* the export's size when chosen */
	bool no_zeroes;
	struct pbuf *rx;		/* received, not yet consumed */
	uint16_t rx_off;
	uint8_t *buf;			/* NBD_CHUNK bytes */
	/* A WRITE chunk on its way to the file (recv_ref, do_write): pieces
	 * of the received pbufs, and the pbuf chains they lie in, held until
	 * the chunk is written (wr_release).  Own thread. */
	struct hfs_iovec wr_iov[NBD_WR_IOV];
	struct pbuf *wr_held[NBD_WR_IOV];
	unsigned wr_nheld;
	/* Zero-copy READ replies: pins on the file's pages, oldest first,
	 * each released when TCP no longer holds the bytes up to end_seq
	 * (lwIP may retransmit from the pages until they are acknowledged)
	 * and the NIC has given back every descriptor that points into them
	 * (net_zc_remove()).  Own thread. */
	struct nbd_zc {
		struct dax_pin *pin;
		uint32_t end_seq;
		bool registered;		/* z is in net's registry */
		struct net_zc z;		/* the pages' runs, for the NIC */
		uint8_t hdr[NBD_REPLY_LEN];	/* the reply header, sent NOCOPY */
	} zc[NBD_ZC_MAX];
	unsigned zc_head, zc_count;
	uint64_t requests, bytes_read, bytes_written;	/* own thread */
	uint64_t bytes_written_lent;	/* own thread: of those, from lent rx buffers */
	uint64_t reads_zero_copy;	/* own thread */
	uint64_t zc_bytes_ref, zc_bytes_copied;	/* own thread, at release */
	uint64_t connected_ns;
};

/* Static, so that exports work before (or without) nbd_init(): a machine
 * without a network card keeps them, and the listener serves them once
 * it runs. */
static struct mutex nbd_lock = {
	.name = "nbd", .wq = WAIT_QUEUE_INIT(nbd_lock.wq, "nbd_lock.wq"),
};
static struct list_node nbd_exports = LIST_INIT(nbd_exports);	/* nbd_exp; nbd_lock */
static struct list_node nbd_clients = LIST_INIT(nbd_clients);	/* nbd_client; nbd_lock */
static unsigned nbd_nexports, nbd_nclients, nbd_next_id;	/* nbd_lock */
static struct netconn *nbd_listener;
static bool nbd_up;
static bool nbd_zero_copy = true;	/* nbd zerocopy on|off; atomic */
static uint64_t nbd_reads_pinned, nbd_reads_copied;	/* atomic counters */
/* Where WRITE payloads go (atomic): struct nbd_write_stats. */
static uint64_t nbd_wr_payload, nbd_wr_gathered, nbd_wr_lent, nbd_wr_calls, nbd_wr_file_ns;

/* --------------------------------------------------- byte order, I/O ---- */

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, (uint16_t)v); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v >> 32); put32(p + 4, (uint32_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) << 32 | get32(p + 4); }

static void zc_release_acked(struct nbd_client *c);
static void zc_set_timeout(struct nbd_client *c);

/* Make c->rx the next received pbuf chain if there is none: 0, or -EPIPE
 * when the connection ended, -ETIMEDOUT when the receive timeout passed.
 * While zero-copy pins are out the receive timeout is short and only
 * wakes us to release what TCP has acknowledged; it never ends the wait. */
static int rx_more(struct nbd_client *c)
{
	while (!c->rx || c->rx_off == c->rx->tot_len) {
		err_t err;

		if (c->rx) {			/* an empty chain */
			pbuf_free(c->rx);
			c->rx = NULL;
		}
		err = netconn_recv_tcp_pbuf(c->nc, &c->rx);
		if (err != ERR_OK)
			c->rx = NULL;
		if (err == ERR_TIMEOUT && c->exp) {
			zc_release_acked(c);
			zc_set_timeout(c);
			continue;
		}
		if (err == ERR_TIMEOUT)
			return -ETIMEDOUT;
		if (err != ERR_OK || !c->rx)
			return -EPIPE;
		c->rx_off = 0;
	}
	return 0;
}

/* Receive exactly @len bytes into @dst, copied (@dst NULL: drop them).
 * 0, -EPIPE, -ETIMEDOUT (rx_more). */
static int recv_exact(struct nbd_client *c, void *dst, size_t len)
{
	uint8_t *d = dst;

	while (len) {
		size_t n;
		int err = rx_more(c);

		if (err)
			return err;
		n = MIN((size_t)(c->rx->tot_len - c->rx_off), len);
		if (d) {
			pbuf_copy_partial(c->rx, d, (u16_t)n, c->rx_off);
			d += n;
		}
		c->rx_off += (uint16_t)n;
		len -= n;
		if (c->rx_off == c->rx->tot_len) {
			pbuf_free(c->rx);
			c->rx = NULL;
		}
	}
	return 0;
}

/*
 * Take the next bytes of the stream, at most @len, by reference: c->wr_iov
 * gets pointers into the received pbufs (nothing is copied), and every
 * chain used up moves to c->wr_held, so that the pointers stay valid
 * until wr_release().  A chain partly used stays c->rx (valid too).  Stops
 * at @len bytes or when wr_iov is full (a client that sends tiny
 * segments gets its chunk written in more pieces).  Returns the bytes
 * taken (> 0), with *@n pieces of which *@lent bytes lie in receive
 * buffers the NIC driver lent; or -EPIPE (the connection ended: what was
 * taken is still held, for wr_release).
 */
static int64_t recv_ref(struct nbd_client *c, size_t len, unsigned *n, size_t *lent)
{
	size_t got = 0;

	*n = 0;
	*lent = 0;
	while (got < len && *n < NBD_WR_IOV) {
		struct pbuf *q;
		u16_t off;

		if (rx_more(c))
			return -EPIPE;
		/* Each turn adds at least one piece, so wr_nheld <= *n. */
		q = pbuf_skip(c->rx, c->rx_off, &off);
		for (; q && got < len && *n < NBD_WR_IOV; q = q->next, off = 0) {
			size_t k = MIN((size_t)(q->len - off), len - got);

			if (!k)
				continue;
			c->wr_iov[(*n)++] = (struct hfs_iovec){ (uint8_t *)q->payload + off, k };
			if (net_rx_pbuf_lent(q))
				*lent += k;
			got += k;
			c->rx_off += (uint16_t)k;
		}
		if (c->rx_off == c->rx->tot_len) {
			c->wr_held[c->wr_nheld++] = c->rx;
			c->rx = NULL;
		}
	}
	return (int64_t)got;
}

/* Free the pbufs of the chunk recv_ref() took: the lent receive buffers
 * among them go back to the driver (net/netif.c, rx_loan_free). */
static void wr_release(struct nbd_client *c)
{
	for (unsigned i = 0; i < c->wr_nheld; i++)
		pbuf_free(c->wr_held[i]);
	c->wr_nheld = 0;
}

/* netconn_write(), but a write the send timeout cut short (lwIP then says
 * ERR_OK with fewer bytes written) is ERR_WOULDBLOCK too. */
static err_t write_whole(struct nbd_client *c, const void *src, size_t len, u8_t flags)
{
	size_t written = 0;
	err_t err = netconn_write_partly(c->nc, src, len, flags, &written);

	return err == ERR_OK && written != len ? ERR_WOULDBLOCK : err;
}

static int send_all(struct nbd_client *c, const void *src, size_t len, bool more)
{
	err_t err = write_whole(c, src, len, NETCONN_COPY | (more ? NETCONN_MORE : 0));

	if (err == ERR_WOULDBLOCK)
		kprintf("nbd: client %u (%s): read nothing for %u s; closing\n", c->id, c->peer,
			NBD_SEND_TIMEOUT_MS / 1000);
	return err == ERR_OK ? 0 : -EPIPE;
}

/* ----------------------------------------------------------- exports ---- */

static struct nbd_exp *find_export(const char *name)
{
	struct nbd_exp *e;

	assert_held(&nbd_lock);
	list_for_each_entry(e, &nbd_exports, node)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

static bool good_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NBD_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] == 0x7F)
			return false;
	return true;
}

int nbd_export(const char *path, const char *name, bool ro, char *why, size_t whylen)
{
	struct hfs_stat st;
	struct nbd_exp *e;
	const char *slash;
	int fd, err;

	if (!name) {
		slash = strrchr(path, '/');
		name = slash ? slash + 1 : path;
	}
	if (!good_name(name)) {
		snprintf(why, whylen, "bad export name '%s' (1..%u printable bytes, no spaces)",
			 name, NBD_NAME_MAX);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(e->path)) {
		snprintf(why, whylen, "path longer than %zu bytes", sizeof(e->path) - 1);
		return -EINVAL;
	}
	fd = vfs_open(path, ro ? HFS_O_RDONLY : HFS_O_RDWR, 0);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(fd));
		return fd;
	}
	err = vfs_fstat(fd, &st);
	if (!err && (st.mode & HFS_S_IFMT) != HFS_S_IFREG)
		err = -EINVAL;
	if (err) {
		snprintf(why, whylen, "%s: %s", path,
			 err == -EINVAL ? "not a regular file" : strerror(err));
		vfs_close(fd);
		return err;
	}
	e = kzalloc(sizeof(*e));
	if (!e) {
		vfs_close(fd);
		snprintf(why, whylen, "no memory");
		return -ENOMEM;
	}
	strlcpy(e->name, name, sizeof(e->name));
	strlcpy(e->path, path, sizeof(e->path));
	e->ro = ro;
	e->fd = fd;
	mutex_lock(&nbd_lock);
	err = find_export(name) ? -EEXIST : nbd_nexports == NBD_MAX_EXPORTS ? -ENOSPC : 0;
	if (!err) {
		list_add_tail(&nbd_exports, &e->node);
		nbd_nexports++;
	}
	mutex_unlock(&nbd_lock);
	if (err) {
		if (err == -EEXIST)
			snprintf(why, whylen, "export '%s' exists", name);
		else
			snprintf(why, whylen, "only %u exports at once", NBD_MAX_EXPORTS);
		vfs_close(fd);
		kfree(e);
		return err;
	}
	return 0;
}

int nbd_unexport(const char *name)
{
	struct nbd_exp *e;
	int err = 0;

	mutex_lock(&nbd_lock);
	e = find_export(name);
	if (!e)
		err = -ENOENT;
	else if (e->clients)
		err = -EBUSY;
	else {
		list_del(&e->node);
		nbd_nexports--;
	}
	mutex_unlock(&nbd_lock);
	if (!err) {
		vfs_close(e->fd);
		kfree(e);
	}
	return err;
}

static uint64_t file_size(int fd)
{
	struct hfs_stat st;

	return vfs_fstat(fd, &st) ? 0 : st.size;
}

bool nbd_export_at(unsigned i, struct nbd_export_info *out)
{
	struct nbd_exp *e;
	bool found = false;
	int fd = -1;

	mutex_lock(&nbd_lock);
	list_for_each_entry(e, &nbd_exports, node) {
		if (i--)
			continue;
		strlcpy(out->name, e->name, sizeof(out->name));
		strlcpy(out->path, e->path, sizeof(out->path));
		out->ro = e->ro;
		out->clients = e->clients;
		fd = e->fd;
		found = true;
		break;
	}
	if (found)
		out->size = file_size(fd);
	mutex_unlock(&nbd_lock);
	return found;
}

bool nbd_client_at(unsigned i, struct nbd_client_info *out)
{
	struct nbd_client *c;
	bool found = false;

	mutex_lock(&nbd_lock);
	list_for_each_entry(c, &nbd_clients, node) {
		if (i--)
			continue;
		out->id = c->id;
		strlcpy(out->peer, c->peer, sizeof(out->peer));
		strlcpy(out->export, c->exp ? c->exp->name : "", sizeof(out->export));
		out->requests = READ_ONCE(c->requests);
		out->bytes_read = READ_ONCE(c->bytes_read);
		out->bytes_written = READ_ONCE(c->bytes_written);
		out->bytes_written_lent = READ_ONCE(c->bytes_written_lent);
		out->reads_zero_copy = READ_ONCE(c->reads_zero_copy);
		out->pinned = READ_ONCE(c->zc_count);
		out->zc_bytes_ref = READ_ONCE(c->zc_bytes_ref);
		out->zc_bytes_copied = READ_ONCE(c->zc_bytes_copied);
		out->connected_ns = c->connected_ns;
		found = true;
		break;
	}
	mutex_unlock(&nbd_lock);
	return found;
}

bool nbd_running(void)
{
	return READ_ONCE(nbd_up);
}

void nbd_write_stats(struct nbd_write_stats *out)
{
	out->payload = __atomic_load_n(&nbd_wr_payload, __ATOMIC_RELAXED);
	out->gathered = __atomic_load_n(&nbd_wr_gathered, __ATOMIC_RELAXED);
	out->lent = __atomic_load_n(&nbd_wr_lent, __ATOMIC_RELAXED);
	out->writev_calls = __atomic_load_n(&nbd_wr_calls, __ATOMIC_RELAXED);
	out->file_ns = __atomic_load_n(&nbd_wr_file_ns, __ATOMIC_RELAXED);
}

void nbd_set_zero_copy(bool on)
{
	WRITE_ONCE(nbd_zero_copy, on);
}

bool nbd_zero_copy_on(uint64_t *pinned, uint64_t *copied)
{
	if (pinned)
		*pinned = __atomic_load_n(&nbd_reads_pinned, __ATOMIC_RELAXED);
	if (copied)
		*copied = __atomic_load_n(&nbd_reads_copied, __ATOMIC_RELAXED);
	return READ_ONCE(nbd_zero_copy);
}

/* ------------------------------------------------------- negotiation ---- */

#define say(c, fmt, ...) kprintf("nbd: client %u (%s): " fmt "\n", (c)->id, (c)->peer, ##__VA_ARGS__)

static int send_rep(struct nbd_client *c, uint32_t opt, uint32_t type, const void *data,
		    uint32_t len)
{
	uint8_t h[20];

	put64(h, NBD_REP_MAGIC);
	put32(h + 8, opt);
	put32(h + 12, type);
	put32(h + 16, len);
	if (send_all(c, h, sizeof(h), len > 0))
		return -EPIPE;
	return len ? send_all(c, data, len, false) : 0;
}

static uint16_t export_flags(const struct nbd_exp *e)
{
	uint16_t f = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA |
		     NBD_FLAG_CAN_MULTI_CONN;

	if (e->ro)
		f |= NBD_FLAG_READ_ONLY;
	else
		f |= NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES;
	return f;
}

/* The export a client names; "" is the first one (the default export). */
static struct nbd_exp *lookup_locked(const char *name)
{
	assert_held(&nbd_lock);
	if (!name[0])
		return list_empty(&nbd_exports) ? NULL :
		       list_first_entry(&nbd_exports, struct nbd_exp, node);
	return find_export(name);
}

/* Attach @c to export @name (counted, so unexport waits); NULL if none. */
static struct nbd_exp *attach_export(struct nbd_client *c, const char *name)
{
	struct nbd_exp *e;

	mutex_lock(&nbd_lock);
	e = lookup_locked(name);
	if (e) {
		e->clients++;
		c->exp = e;
	}
	mutex_unlock(&nbd_lock);
	if (e)
		c->size = file_size(e->fd);
	return e;
}

static int opt_list(struct nbd_client *c, uint32_t len)
{
	struct nbd_exp *e;
	char names[NBD_MAX_EXPORTS][NBD_NAME_MAX + 1];
	unsigned n = 0;
	uint8_t rep[4 + NBD_NAME_MAX];

	if (len)
		return send_rep(c, NBD_OPT_LIST, NBD_REP_ERR_INVALID, NULL, 0);
	mutex_lock(&nbd_lock);
	list_for_each_entry(e, &nbd_exports, node)
		strlcpy(names[n++], e->name, sizeof(names[0]));
	mutex_unlock(&nbd_lock);
	for (unsigned i = 0; i < n; i++) {
		uint32_t l = (uint32_t)strlen(names[i]);

		put32(rep, l);
		memcpy(rep + 4, names[i], l);
		if (send_rep(c, NBD_OPT_LIST, NBD_REP_SERVER, rep, 4 + l))
			return -EPIPE;
	}
	return send_rep(c, NBD_OPT_LIST, NBD_REP_ACK, NULL, 0);
}

/*
 * INFO and GO [proto "NBD_OPT_INFO and NBD_OPT_GO"]: data is u32 name
 * length, name, u16 count, count x u16 information requests.  Returns 1
 * when GO chose an export (transmission starts), 0 to go on negotiating,
 * -EPIPE when the connection failed.
 */
static int opt_info_go(struct nbd_client *c, uint32_t opt, const uint8_t *d, uint32_t len)
{
	char name[NBD_NAME_MAX + 1];
	uint32_t nlen;
	uint16_t nreq;
	struct nbd_exp *e;
	uint8_t info[14];

	if (len < 6 || (nlen = get32(d)) > len - 6) {
		say(c, "option %u: length %u does not hold its name (%u bytes)", opt, len,
		    len >= 4 ? get32(d) : 0);
		return send_rep(c, opt, NBD_REP_ERR_INVALID, NULL, 0);
	}
	nreq = get16(d + 4 + nlen);
	if (4 + nlen + 2 + 2u * nreq != len) {
		say(c, "option %u: %u information requests do not fill length %u", opt, nreq, len);
		return send_rep(c, opt, NBD_REP_ERR_INVALID, NULL, 0);
	}
	if (nlen > NBD_NAME_MAX) {
		say(c, "option %u: export name of %u bytes: no such export", opt, nlen);
		return send_rep(c, opt, NBD_REP_ERR_UNKNOWN, NULL, 0);
	}
	memcpy(name, d + 4, nlen);
	name[nlen] = 0;
	e = attach_export(c, name);
	if (!e) {
		say(c, "no export named '%s'", name);
		return send_rep(c, opt, NBD_REP_ERR_UNKNOWN, NULL, 0);
	}
	put16(info, NBD_INFO_EXPORT);
	put64(info + 2, c->size);
	put16(info + 10, export_flags(e));
	if (send_rep(c, opt, NBD_REP_INFO, info, 12))
		return -EPIPE;
	for (unsigned i = 0; i < nreq; i++) {
		if (get16(d + 4 + nlen + 2 + 2 * i) != NBD_INFO_BLOCK_SIZE)
			continue;
		put16(info, NBD_INFO_BLOCK_SIZE);
		put32(info + 2, NBD_BLOCK_MIN);
		put32(info + 6, NBD_BLOCK_PREF);
		put32(info + 10, NBD_MAX_PAYLOAD);
		if (send_rep(c, opt, NBD_REP_INFO, info, 14))
			return -EPIPE;
		break;
	}
	if (send_rep(c, opt, NBD_REP_ACK, NULL, 0))
		return -EPIPE;
	if (opt == NBD_OPT_GO)
		return 1;
	/* INFO: let go of the export again. */
	mutex_lock(&nbd_lock);
	e->clients--;
	c->exp = NULL;
	mutex_unlock(&nbd_lock);
	return 0;
}

/* EXPORT_NAME: no option reply; size and flags, or the connection ends. */
static int opt_export_name(struct nbd_client *c, const uint8_t *d, uint32_t len)
{
	char name[NBD_NAME_MAX + 1];
	uint8_t rep[10 + NBD_ZEROES_LEN] = { 0 };
	struct nbd_exp *e;

	if (len > NBD_NAME_MAX) {
		say(c, "EXPORT_NAME of %u bytes: no such export; closing", len);
		return -EINVAL;
	}
	memcpy(name, d, len);
	name[len] = 0;
	e = attach_export(c, name);
	if (!e) {
		say(c, "EXPORT_NAME '%s': no such export; closing", name);
		return -ENOENT;
	}
	put64(rep, c->size);
	put16(rep + 8, export_flags(e));
	return send_all(c, rep, c->no_zeroes ? 10 : sizeof(rep), false) ? -EPIPE : 1;
}

/* The whole negotiation.  1: an export is chosen; <= 0: close. */
static int negotiate(struct nbd_client *c)
{
	uint8_t h[NBD_OPT_HDR_LEN], *data = c->buf;
	uint32_t flags, opt, len;
	int r;

	put64(h, NBD_MAGIC);
	put64(h + 8, NBD_IHAVEOPT);
	if (send_all(c, h, 16, true))
		return -EPIPE;
	put16(h, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
	if (send_all(c, h, 2, false))
		return -EPIPE;
	r = recv_exact(c, h, 4);
	if (r) {
		if (r == -ETIMEDOUT)
			say(c, "sent nothing for %u s; closing", NBD_NEGOTIATE_MS / 1000);
		else
			say(c, "left before sending its flags");
		return r;
	}
	flags = get32(h);
	if (flags & ~NBD_CLIENT_FLAGS_KNOWN || !(flags & NBD_FLAG_C_FIXED_NEWSTYLE)) {
		say(c, "client flags %#x (want fixed newstyle, nothing unknown); closing", flags);
		return -EINVAL;
	}
	c->no_zeroes = flags & NBD_FLAG_C_NO_ZEROES;

	for (unsigned n = 0; n < NBD_MAX_OPTIONS; n++) {
		r = recv_exact(c, h, NBD_OPT_HDR_LEN);
		if (r) {
			if (r == -ETIMEDOUT)
				say(c, "sent no option for %u s; closing", NBD_NEGOTIATE_MS / 1000);
			return r;
		}
		if (get64(h) != NBD_IHAVEOPT) {
			say(c, "bad option magic %#lx; closing", get64(h));
			return -EINVAL;
		}
		opt = get32(h + 8);
		len = get32(h + 12);
		if (len > NBD_OPT_MAX) {
			say(c, "option %u with length %u (at most %u); closing", opt, len, NBD_OPT_MAX);
			return -EINVAL;
		}
		r = recv_exact(c, data, len);
		if (r) {
			say(c, "left in the middle of option %u", opt);
			return r;
		}
		switch (opt) {
		case NBD_OPT_EXPORT_NAME:
			return opt_export_name(c, data, len);
		case NBD_OPT_ABORT:
			send_rep(c, opt, NBD_REP_ACK, NULL, 0);
			return 0;
		case NBD_OPT_LIST:
			r = opt_list(c, len);
			break;
		case NBD_OPT_INFO:
		case NBD_OPT_GO:
			r = opt_info_go(c, opt, data, len);
			if (r == 1)
				return 1;
			break;
		default:
			/* Structured replies and metadata contexts are what
			 * every libnbd client asks for first; no need to say. */
			if (opt < NBD_OPT_STRUCTURED_REPLY || opt > NBD_OPT_SET_META_CONTEXT)
				say(c, "option %u is not supported", opt);
			r = send_rep(c, opt, NBD_REP_ERR_UNSUP, NULL, 0);
			break;
		}
		if (r < 0)
			return r;
	}
	say(c, "more than %u options; closing", NBD_MAX_OPTIONS);
	return -EINVAL;
}

/* ------------------------------------------------------ transmission ---- */

static uint32_t nbd_errno(int err)
{
	switch (err) {
	case 0:		return 0;
	case -EPERM:
	case -EROFS:	return NBD_EPERM;
	case -ENOMEM:	return NBD_ENOMEM;
	case -EINVAL:	return NBD_EINVAL;
	case -ENOSPC:
	case -EDQUOT:	return NBD_ENOSPC;
	case -EOVERFLOW: return NBD_EOVERFLOW;
	case -EOPNOTSUPP: return NBD_ENOTSUP;
	default:	return NBD_EIO;
	}
}

static int send_reply(struct nbd_client *c, uint64_t handle, int err, bool more)
{
	uint8_t r[NBD_REPLY_LEN];

	put32(r, NBD_SIMPLE_REPLY_MAGIC);
	put32(r + 4, nbd_errno(err));
	put64(r + 8, handle);
	return send_all(c, r, sizeof(r), more);
}

/* ------------------------------------------------- zero-copy READ ---- */

/*
 * A READ reply sent from the file's pmem pages, without copying them:
 *
 *   1. dax_pin_file() pins the pages of the range (holder "nbd-read"), as
 *      DMA on files does for the DMA engine: from now on a truncate or
 *      punch-hole of them waits (chapter 7);
 *   2. their physically contiguous runs are registered with the network
 *      (net_zc_add()), so that the NIC driver puts their physical
 *      addresses in its transmit descriptors instead of copying;
 *   3. the reply header and the data are handed to lwIP by address
 *      (NETCONN_NOCOPY: TCP segments that point at the record's header
 *      and at the pages);
 *   4. the record is kept, with the sequence number just after the data,
 *      until both (a) TCP holds none of those bytes any more (acknowledged:
 *      no unacked or unsent segment starts before end_seq; or the
 *      connection is gone), and (b) the NIC has returned every descriptor
 *      that pointed into the pages (net_zc_remove(): a retransmitted
 *      segment may still sit in the transmit ring when the ACK of the
 *      first copy arrives).  Only then zc_release() unpins.  The client's
 *      thread looks before each request and, while records are out,
 *      every NBD_ZC_POLL_MS when it waits for one.
 *
 * A READ that cannot be pinned (a hole, past the end of file, a file that
 * is not on holdfs) takes the copying path, do_read_copy().
 *
 * A client whose own TRIM or WRITE_ZEROES would wait for its own pins
 * (the same thread releases them) drains them first (zc_drain()).
 */
static void *pmem_va(uint64_t pa)
{
	for (unsigned i = 0; i < pmem_region_count(); i++) {
		struct pmem_region *r = pmem_region(i);

		if (pa >= r->phys && pa - r->phys < r->size)
			return r->virt + (pa - r->phys);
	}
	return NULL;
}

static bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

/*
 * The first sequence number lwIP may still send from the application's
 * memory (every byte before it is acknowledged and its segment freed), and
 * the one after the last byte queued.  false when the pcb is gone (every
 * segment freed).
 */
static bool tcp_held(struct nbd_client *c, uint32_t *from, uint32_t *lbb)
{
	struct tcp_pcb *pcb;
	bool alive;

	LOCK_TCPIP_CORE();
	pcb = c->nc->pcb.tcp;
	alive = pcb != NULL;
	if (alive) {
		*from = pcb->lastack;
		/* A segment partly acknowledged (a window probe) stays whole. */
		if (pcb->unacked && seq_lt(lwip_ntohl(pcb->unacked->tcphdr->seqno), *from))
			*from = lwip_ntohl(pcb->unacked->tcphdr->seqno);
		if (pcb->unsent && seq_lt(lwip_ntohl(pcb->unsent->tcphdr->seqno), *from))
			*from = lwip_ntohl(pcb->unsent->tcphdr->seqno);
		*lbb = pcb->snd_lbb;
	}
	UNLOCK_TCPIP_CORE();
	return alive;
}

/* Unregister @z and unpin, once the NIC has nothing of it.  @wait: sleep
 * until then (TCP has let go: the connection was aborted); else false
 * when a descriptor is still out. */
static bool zc_release(struct nbd_client *c, struct nbd_zc *r, bool wait)
{
	uint64_t since = time_ns();
	bool said = false;

	while (r->registered && !net_zc_remove(&r->z)) {
		if (!wait)
			return false;
		if (!said && time_ns() - since > (uint64_t)NBD_ZC_DRAIN_MS * 1000000ull) {
			say(c, "the NIC has not returned a descriptor into pinned pages for %u s; "
			    "the pins stay", NBD_ZC_DRAIN_MS / 1000);
			said = true;
		}
		msleep(1);
	}
	if (r->registered) {
		c->zc_bytes_ref += __atomic_load_n(&r->z.bytes_ref, __ATOMIC_RELAXED);
		c->zc_bytes_copied += __atomic_load_n(&r->z.bytes_copied, __ATOMIC_RELAXED);
	}
	r->registered = false;
	kfree(r->z.runs);
	r->z.runs = NULL;
	dax_unpin(r->pin);
	r->pin = NULL;
	return true;
}

static void zc_release_acked(struct nbd_client *c)
{
	uint32_t from = 0, lbb = 0;
	bool alive;

	if (!c->zc_count)
		return;
	alive = tcp_held(c, &from, &lbb);
	while (c->zc_count) {
		struct nbd_zc *r = &c->zc[c->zc_head];

		if (alive && !seq_geq(from, r->end_seq))
			break;
		if (!zc_release(c, r, !alive))
			break;
		c->zc_head = (c->zc_head + 1) % NBD_ZC_MAX;
		c->zc_count--;
	}
}

static void zc_set_timeout(struct nbd_client *c)
{
	netconn_set_recvtimeout(c->nc, c->zc_count ? NBD_ZC_POLL_MS : 0);
}

static void zc_abort(struct nbd_client *c)
{
	LOCK_TCPIP_CORE();
	if (c->nc->pcb.tcp)
		tcp_abort(c->nc->pcb.tcp);
	UNLOCK_TCPIP_CORE();
}

/* Wait until TCP has acknowledged every pinned reply and the NIC has
 * returned them (or at most NBD_ZC_DRAIN_MS, then abort the connection:
 * that frees lwIP's segments, so only the NIC's descriptors remain). */
static void zc_drain(struct nbd_client *c)
{
	uint64_t deadline = time_ns() + (uint64_t)NBD_ZC_DRAIN_MS * 1000000ull;

	zc_release_acked(c);
	while (c->zc_count && time_ns() < deadline) {
		msleep(1);
		zc_release_acked(c);
	}
	if (c->zc_count) {
		say(c, "%u pinned READ replies not acknowledged in %u s; aborting the connection",
		    c->zc_count, NBD_ZC_DRAIN_MS / 1000);
		zc_abort(c);
		zc_release_acked(c);
	}
	zc_set_timeout(c);
}

/* The physically contiguous runs of @len bytes from byte @first of @pin,
 * in a new array (NULL: no memory, or a page that is not pmem).  Whole
 * runs: lwIP joins NOCOPY writes that follow each other in memory into
 * one pbuf, and a frame's piece must lie inside one registered run. */
static struct net_zc_run *zc_runs(struct dax_pin *pin, uint64_t first, uint32_t len,
				  unsigned *nruns)
{
	struct net_zc_run *runs = NULL;
	unsigned n = 0, cap = 0;
	uint64_t done = 0;

	while (done < len) {
		uint64_t pa = dax_pin_phys(pin, first + done);
		uint32_t k = (uint32_t)MIN((uint64_t)len - done,
					   PAGE_SIZE - (first + done) % PAGE_SIZE);
		void *va = pmem_va(pa);

		while (done + k < len &&
		       dax_pin_phys(pin, first + done + k) == pa + k)
			k += (uint32_t)MIN((uint64_t)len - done - k, PAGE_SIZE);
		if (!va) {
			kfree(runs);
			return NULL;
		}
		if (n == cap) {
			struct net_zc_run *more;

			cap = cap ? 2 * cap : 4;
			more = kmalloc(cap * sizeof(*more));
			if (!more) {
				kfree(runs);
				return NULL;
			}
			if (runs)
				memcpy(more, runs, n * sizeof(*more));
			kfree(runs);
			runs = more;
		}
		runs[n++] = (struct net_zc_run){ .va = va, .len = k };
		done += k;
	}
	*nruns = n;
	return runs;
}

/*
 * Send @len bytes at @off from pinned pages.  1 when it did (replied),
 * 0 when the range cannot be pinned (nothing sent: copy instead), -EPIPE.
 */
static int do_read_pinned(struct nbd_client *c, uint64_t handle, uint64_t off, uint32_t len)
{
	struct hfs_inode *ip = vfs_inode(c->exp->fd);
	struct nbd_zc *r;
	uint32_t from, lbb;
	err_t err;
	int perr;

	if (!ip || !READ_ONCE(nbd_zero_copy))
		return 0;
	if (c->zc_count == NBD_ZC_MAX)		/* too many in flight */
		zc_drain(c);
	if (c->zc_count == NBD_ZC_MAX)
		return -EPIPE;			/* drained by an abort */
	r = &c->zc[(c->zc_head + c->zc_count) % NBD_ZC_MAX];
	r->pin = dax_pin_file(hfs_dax_file(ip), off, len, DAX_PIN_IN_SIZE, "nbd-read", &perr);
	if (!r->pin)
		return 0;
	dax_pin_set_detail(r->pin, c->peer);
	r->z = (struct net_zc){ 0 };
	r->z.runs = zc_runs(r->pin, off % PAGE_SIZE, len, &r->z.nruns);
	if (!r->z.runs) {
		say(c, "no memory for a READ's page list, or a pinned page is not pmem; copying");
		dax_unpin(r->pin);
		r->pin = NULL;
		return 0;
	}
	/* Not registered (memory the NIC cannot address): the driver copies. */
	r->registered = net_zc_add(&r->z) == 0;
	put32(r->hdr, NBD_SIMPLE_REPLY_MAGIC);
	put32(r->hdr + 4, 0);
	put64(r->hdr + 8, handle);
	err = write_whole(c, r->hdr, sizeof(r->hdr), NETCONN_NOCOPY | NETCONN_MORE);
	/* At most NBD_CHUNK per write: the send timeout counts from the
	 * start of each write, so it stays a limit on silence. */
	for (unsigned i = 0; i < r->z.nruns && err == ERR_OK; i++) {
		const uint8_t *va = r->z.runs[i].va;
		size_t left = r->z.runs[i].len;

		while (left && err == ERR_OK) {
			size_t n = MIN(left, (size_t)NBD_CHUNK);
			bool more = left > n || i + 1 < r->z.nruns;

			err = write_whole(c, va, n, NETCONN_NOCOPY | (more ? NETCONN_MORE : 0));
			va += n;
			left -= n;
		}
	}
	if (err != ERR_OK) {
		if (err == ERR_WOULDBLOCK)
			say(c, "read nothing for %u s; closing (its pins go)",
			    NBD_SEND_TIMEOUT_MS / 1000);
		goto out_abort;
	}
	if (!tcp_held(c, &from, &lbb))
		goto out_abort;		/* the connection died: segments are gone */
	r->end_seq = lbb;
	c->zc_count++;
	c->bytes_read += len;
	c->reads_zero_copy++;
	__atomic_fetch_add(&nbd_reads_pinned, 1, __ATOMIC_RELAXED);
	zc_set_timeout(c);
	return 1;

out_abort:
	/* lwIP may still hold segments that point at the pages: only an
	 * aborted (or already dead) connection has certainly let them go;
	 * then the NIC's descriptors are waited for. */
	zc_abort(c);
	zc_release(c, r, true);
	return -EPIPE;
}

static int do_read_copy(struct nbd_client *c, uint64_t handle, uint64_t off, uint32_t len)
{
	bool replied = false;

	__atomic_fetch_add(&nbd_reads_copied, 1, __ATOMIC_RELAXED);
	while (len) {
		uint32_t n = MIN(len, NBD_CHUNK);
		int64_t got = vfs_pread(c->exp->fd, c->buf, n, off);

		if (got < 0 && !replied)
			return send_reply(c, handle, (int)got, false);
		if (got < 0) {
			/* The reply header is gone: the stream cannot carry the
			 * error any more (simple replies), so end it. */
			say(c, "read at %lu failed (%s) mid-reply; closing", off, strerror((int)got));
			return -EIO;
		}
		if ((uint32_t)got < n)	/* the file shrank: zeroes past its end */
			memset(c->buf + got, 0, n - (uint32_t)got);
		if (!replied && send_reply(c, handle, 0, true))
			return -EPIPE;
		replied = true;
		if (send_all(c, c->buf, n, len > n))
			return -EPIPE;
		c->bytes_read += n;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * A WRITE that passed its checks: the payload, NBD_CHUNK at a time, from
 * the received pbufs straight into the file (vfs_pwritev: the one copy).
 * After a failed chunk the rest is still read, and dropped.  0, the
 * file's error, or -EPIPE (the client left in the middle of the payload:
 * the chunk it was sending is not written).
 */
static int do_write(struct nbd_client *c, uint64_t off, uint32_t len, bool fua)
{
	int err = 0;

	__atomic_fetch_add(&nbd_wr_payload, len, __ATOMIC_RELAXED);
	while (len) {
		size_t lent;
		unsigned n;
		int64_t got = recv_ref(c, MIN(len, NBD_CHUNK), &n, &lent), put;

		if (got < 0) {
			wr_release(c);
			return -EPIPE;
		}
		if (!err) {
			uint64_t t0 = time_ns();

			put = vfs_pwritev(c->exp->fd, c->wr_iov, n, off);
			__atomic_fetch_add(&nbd_wr_file_ns, time_ns() - t0, __ATOMIC_RELAXED);
			__atomic_fetch_add(&nbd_wr_calls, 1, __ATOMIC_RELAXED);
			if (put < 0) {
				err = (int)put;
			} else if (put != got) {
				err = -ENOSPC;
			} else {
				c->bytes_written += (uint64_t)got;
				c->bytes_written_lent += lent;
				__atomic_fetch_add(&nbd_wr_gathered, (uint64_t)got, __ATOMIC_RELAXED);
				__atomic_fetch_add(&nbd_wr_lent, lent, __ATOMIC_RELAXED);
			}
		}
		wr_release(c);
		off += (uint64_t)got;
		len -= (uint32_t)got;
	}
	if (!err && fua)
		err = vfs_fsync(c->exp->fd);
	return err;
}

static const char *cmd_name(uint16_t type)
{
	static const char *const names[] = { "READ", "WRITE", "DISC", "FLUSH", "TRIM",
					     "CACHE", "WRITE_ZEROES" };

	return type < ARRAY_SIZE(names) ? names[type] : "unknown";
}

/*
 * Check a request against the export.  0 when it may run, else the error
 * to reply with (the caller drops a WRITE's payload first).
 */
static int check_request(struct nbd_client *c, uint16_t flags, uint16_t type, uint64_t off,
			 uint32_t len)
{
	bool ranged = type == NBD_CMD_READ || type == NBD_CMD_WRITE || type == NBD_CMD_TRIM ||
		      type == NBD_CMD_WRITE_ZEROES;
	bool writes = type == NBD_CMD_WRITE || type == NBD_CMD_TRIM ||
		      type == NBD_CMD_WRITE_ZEROES;

	if (type != NBD_CMD_READ && type != NBD_CMD_WRITE && type != NBD_CMD_FLUSH &&
	    type != NBD_CMD_TRIM && type != NBD_CMD_WRITE_ZEROES) {
		say(c, "unknown command %u; EINVAL", type);
		return -EINVAL;
	}
	if (flags & ~NBD_CMD_FLAGS_KNOWN) {
		say(c, "%s with unknown flags %#x; EINVAL", cmd_name(type), flags);
		return -EINVAL;
	}
	if (writes && c->exp->ro) {
		say(c, "%s on read-only export '%s'; EPERM", cmd_name(type), c->exp->name);
		return -EPERM;
	}
	if (!ranged)
		return 0;
	if (len == 0) {
		say(c, "%s of length 0; EINVAL", cmd_name(type));
		return -EINVAL;
	}
	if (off > c->size || len > c->size - off) {
		say(c, "%s of %u bytes at %lu is past the end (%lu); %s", cmd_name(type), len, off,
		    c->size, type == NBD_CMD_READ ? "EINVAL" : "ENOSPC");
		return type == NBD_CMD_READ ? -EINVAL : -ENOSPC;
	}
	if ((type == NBD_CMD_READ || type == NBD_CMD_WRITE) && len > NBD_MAX_PAYLOAD) {
		say(c, "%s of %u bytes (at most %u); EOVERFLOW", cmd_name(type), len,
		    NBD_MAX_PAYLOAD);
		return -EOVERFLOW;
	}
	return 0;
}

static int serve(struct nbd_client *c)
{
	uint8_t h[NBD_REQ_HDR_LEN];

	for (;;) {
		uint16_t flags, type;
		uint64_t handle, off;
		uint32_t len;
		int err;

		zc_release_acked(c);
		if (recv_exact(c, h, sizeof(h)))
			return 0;		/* the client left between requests */
		if (get32(h) != NBD_REQUEST_MAGIC) {
			say(c, "bad request magic %#x; closing", get32(h));
			return -EINVAL;
		}
		flags = get16(h + 4);
		type = get16(h + 6);
		handle = get64(h + 8);
		off = get64(h + 16);
		len = get32(h + 24);
		c->requests++;
		if (type == NBD_CMD_DISC)
			return 0;
		err = check_request(c, flags, type, off, len);
		if (err && type == NBD_CMD_WRITE) {
			/* Keep the stream in step: drop the payload, unless it is
			 * too long to be a real one. */
			if (len > NBD_MAX_PAYLOAD) {
				say(c, "cannot skip a %u-byte payload; closing", len);
				return -EINVAL;
			}
			if (recv_exact(c, NULL, len)) {
				say(c, "left in the middle of a WRITE payload");
				return -EPIPE;
			}
		}
		if (!err) {
			switch (type) {
			case NBD_CMD_READ:
				err = do_read_pinned(c, handle, off, len);
				if (err == 0)
					err = do_read_copy(c, handle, off, len);
				if (err < 0)
					return err;
				continue;	/* replied */
			case NBD_CMD_WRITE:
				err = do_write(c, off, len, flags & NBD_CMD_FLAG_FUA);
				if (err == -EPIPE) {
					say(c, "left in the middle of a WRITE payload");
					return err;
				}
				break;
			case NBD_CMD_FLUSH:
				err = vfs_fsync(c->exp->fd);
				break;
			case NBD_CMD_TRIM:
				zc_drain(c);	/* it would wait for our own pins */
				err = vfs_fallocate(c->exp->fd,
						    HFS_FALLOC_PUNCH_HOLE | HFS_FALLOC_KEEP_SIZE,
						    off, len, NULL);
				break;
			case NBD_CMD_WRITE_ZEROES:
				zc_drain(c);
				err = vfs_fallocate(c->exp->fd,
						    HFS_FALLOC_ZERO_RANGE | HFS_FALLOC_KEEP_SIZE,
						    off, len, NULL);
				break;
			}
			if (!err && flags & NBD_CMD_FLAG_FUA && type != NBD_CMD_WRITE &&
			    type != NBD_CMD_FLUSH)
				err = vfs_fsync(c->exp->fd);
			if (err)
				say(c, "%s of %u bytes at %lu failed: %s", cmd_name(type), len, off,
				    strerror(err));
		}
		if (send_reply(c, handle, err, false))
			return -EPIPE;
	}
}

/* ----------------------------------------------------------- threads ---- */

static void client_thread(void *arg)
{
	struct nbd_client *c = arg;

	netconn_set_recvtimeout(c->nc, NBD_NEGOTIATE_MS);
	if (negotiate(c) == 1) {
		netconn_set_recvtimeout(c->nc, 0);
		netconn_set_sendtimeout(c->nc, NBD_SEND_TIMEOUT_MS);
		serve(c);
		zc_drain(c);	/* before the close: lwIP may still resend */
	}
	if (c->rx)
		pbuf_free(c->rx);
	netconn_close(c->nc);
	netconn_delete(c->nc);
	mutex_lock(&nbd_lock);
	if (c->exp)
		c->exp->clients--;
	list_del(&c->node);
	nbd_nclients--;
	mutex_unlock(&nbd_lock);
	kfree(c->buf);
	kfree(c);
}

static void peer_name(struct netconn *nc, char *out, size_t size)
{
	ip_addr_t a;
	u16_t port;
	char ip[IP4ADDR_STRLEN_MAX];

	if (netconn_peer(nc, &a, &port) != ERR_OK) {
		strlcpy(out, "?", size);
		return;
	}
	ip4addr_ntoa_r(ip_2_ip4(&a), ip, sizeof(ip));
	snprintf(out, size, "%s:%u", ip, port);
}

static void accept_one(struct netconn *nc)
{
	struct nbd_client *c = kzalloc(sizeof(*c));
	struct thread *t;
	char peer[32];

	peer_name(nc, peer, sizeof(peer));
	if (c)
		c->buf = kmalloc(NBD_CHUNK);
	mutex_lock(&nbd_lock);
	if (!c || !c->buf || nbd_nclients == NBD_MAX_CLIENTS) {
		mutex_unlock(&nbd_lock);
		kprintf("nbd: %s: refused (%s)\n", peer,
			c && c->buf ? "too many clients" : "no memory");
		goto out_close;
	}
	c->id = ++nbd_next_id;
	c->nc = nc;
	c->connected_ns = time_ns();
	strlcpy(c->peer, peer, sizeof(c->peer));
	list_add_tail(&nbd_clients, &c->node);
	nbd_nclients++;
	mutex_unlock(&nbd_lock);
	t = thread_create("nbd-client", client_thread, c);
	if (t) {
		thread_detach(t);
		return;
	}
	kprintf("nbd: %s: refused (no memory for a thread)\n", peer);
	mutex_lock(&nbd_lock);
	list_del(&c->node);
	nbd_nclients--;
	mutex_unlock(&nbd_lock);
out_close:
	if (c)
		kfree(c->buf);
	kfree(c);
	netconn_close(nc);
	netconn_delete(nc);
}

static void listen_thread(void *arg)
{
	struct netconn *l = arg;

	for (;;) {
		struct netconn *nc;
		err_t err = netconn_accept(l, &nc);

		if (err == ERR_OK)
			accept_one(nc);
		else
			msleep(10);	/* out of memory: let it drain */
	}
}

int nbd_init(void)
{
	struct netconn *l;
	struct thread *t;
	err_t err;

	l = netconn_new(NETCONN_TCP);
	if (!l)
		return -ENOMEM;
	err = netconn_bind(l, IP4_ADDR_ANY, NBD_PORT);
	if (err == ERR_OK)
		err = netconn_listen_with_backlog(l, TCP_DEFAULT_LISTEN_BACKLOG);
	if (err != ERR_OK) {
		kprintf("nbd: cannot listen on port %u (lwIP error %d)\n", NBD_PORT, err);
		netconn_delete(l);
		return -EIO;
	}
	t = thread_create("nbd-listen", listen_thread, l);
	if (!t) {
		netconn_delete(l);
		return -ENOMEM;
	}
	thread_detach(t);
	nbd_listener = l;
	WRITE_ONCE(nbd_up, true);
	kprintf("nbd: listening on port %u\n", NBD_PORT);
	return 0;
}
