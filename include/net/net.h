/*
 * net.h - the network stack: lwIP on the first Ethernet device.
 *
 * net_init() starts lwIP (its tcpip thread), attaches it to eth0 (the
 * first struct netdev a driver registered), starts that interface's rx
 * thread and asks for a DHCP lease.  When no lease comes within
 * NET_DHCP_WAIT_NS the interface takes the static fallback address
 * (QEMU's user-mode network plan: 10.0.2.15/24, gateway 10.0.2.2), and
 * says so.  The console shows the address either way, in one line:
 *
 *	net: eth0: 10.0.2.15/24 gateway 10.0.2.2 (DHCP)
 *
 * Servers (net/nbd.c) use lwIP's netconn API from their own threads.
 * The kernel only answers connections; it opens none of its own.
 *
 * Context: thread context; net_init() once, from init.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <drivers/netdev.h>

#define NET_DHCP_WAIT_NS	(10ull * 1000000000ull)

/* The static fallback (QEMU user networking's defaults), host order. */
#define NET_STATIC_ADDR		0x0A00020Fu	/* 10.0.2.15 */
#define NET_STATIC_MASK		0xFFFFFF00u	/* /24 */
#define NET_STATIC_GW		0x0A000202u	/* 10.0.2.2 */

/**
 * net_init() - start lwIP on eth0, if there is one.  Returns 0, or
 * -ENODEV (no network device: nothing started, nothing printed), -ENOMEM.
 * Thread context, once.
 */
int net_init(void);

/* What `net` prints; a snapshot.  Any thread. */
struct net_info {
	bool up;			/* lwIP runs on a device */
	struct netdev *dev;
	bool link;
	uint32_t addr, mask, gw;	/* host byte order; 0: none yet */
	const char *how;		/* "DHCP", "static", "waiting for DHCP" */
	/* Received frames handed to lwIP by reference (the driver's buffer
	 * lent, netdev.h) and copied into lwIP's pool (short ones, and all
	 * when no buffer could be lent; dev->stats.rx_loan_dry of those had
	 * none to spare); buffers the driver can lend (0: it never does). */
	uint64_t rx_by_ref, rx_copied;
	unsigned rx_lendable;
};

/* net_get_info() - fill @ni.  false when net_init() found no device. */
bool net_get_info(struct net_info *ni);

/**
 * net_set_rx_loan_limit() - let the driver lend at most @n receive buffers
 * at once (more than it has: all); past that, frames are copied.  For
 * tests of the copying fallback (`net rxloan N`).  0, -ENODEV (no stack),
 * -EOPNOTSUPP (the driver does not lend).  Any thread.
 */
int net_set_rx_loan_limit(unsigned n);

/* net_rx_pbuf_lent() - does lwIP pbuf @p lie in a receive buffer the NIC
 * driver lent (received by reference), rather than in a copy?  Any
 * thread, while @p is held. */
struct pbuf;
bool net_rx_pbuf_lent(const struct pbuf *p);

/* net_prefix_len() - the /N of a netmask (host order): its leading ones. */
static inline unsigned net_prefix_len(uint32_t mask)
{
	unsigned n = 0;

	while (n < 32 && (mask & (0x80000000u >> n)))
		n++;
	return n;
}

/* net_ready() - does the interface have an address?  Any thread. */
bool net_ready(void);

/*
 * Zero-copy transmit (net/netif.c).  A user that hands lwIP data by
 * reference (NETCONN_NOCOPY) and wants the NIC to read it in place
 * registers the memory as a struct net_zc: a set of runs of kernel
 * virtual addresses (each physically contiguous).  Every frame fragment
 * that lies inside a registered run goes down to the driver by physical
 * address, and counts as in flight until the driver reports the device
 * done with it.  The owner may let the memory change owner only when TCP
 * no longer holds the data (acknowledged, or the connection aborted) AND
 * net_zc_remove() succeeded (nothing in flight).  Memory outside the
 * direct map or the kernel image (which the driver cannot translate) is
 * refused at net_zc_add() and always copied.
 *
 * Locking: net_zc_lock (a spinlock in netif.c) guards the registry list;
 * inflight and the byte counters are atomics.  The owner's thread owns
 * the rest of the struct while it is not registered.
 */
struct net_zc_run {
	const uint8_t *va;
	size_t len;
	uint64_t pa;
};

struct net_zc {
	struct net_zc *next;		/* the registry; net_zc_lock */
	const uint8_t *lo, *hi;		/* bounds of every run */
	struct net_zc_run *runs;	/* owner's array, @nruns long */
	unsigned nruns;
	unsigned inflight;		/* atomic: fragments at the device */
	uint64_t bytes_ref, bytes_copied;	/* atomic: sent in place / copied */
};

/**
 * net_zc_add() - register @z (runs already filled).  -EINVAL when a run
 * is not in memory the NIC can be given by address (nothing registered).
 * Any thread; takes net_zc_lock.
 */
int net_zc_add(struct net_zc *z);

/**
 * net_zc_remove() - unregister @z if nothing of it is in flight: true
 * (the memory is the owner's again), false (try again later: a device
 * still holds a descriptor that points into it).  Any thread.
 */
bool net_zc_remove(struct net_zc *z);

/* net_zc_totals() - bytes of registered memory sent in place / copied
 * since boot (retransmissions counted again). */
void net_zc_totals(uint64_t *by_ref, uint64_t *copied);

/* The raw TCP services of `net bench` (net/tcpbench.c). */
#define TCPBENCH_DISCARD_PORT	10810	/* reads and drops */
#define TCPBENCH_SOURCE_PORT	10811	/* sends zeroes until the client closes */

/**
 * tcpbench_start() - start the discard and source services (once; later
 * calls return 0).  0, -EAGAIN (no address yet), -ENOMEM, -EIO (could not
 * listen).  Thread context.
 */
int tcpbench_start(void);

#endif
