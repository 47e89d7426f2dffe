/*
 * netdev.h - Ethernet devices as the network stack sees them.
 *
 * A NIC driver (drivers/net/virtio_net.c) fills a struct netdev and calls
 * netdev_register(); the network stack above (net/, a higher layer) finds
 * it with netdev_get() and attaches itself with netdev_attach(), giving a
 * wake-up function the driver calls from its interrupt handler.  The
 * driver never calls the stack: the stack pulls received frames with
 * netdev_rx_poll() from a thread of its own and pushes frames out with
 * netdev_xmit().  That keeps the layers one-way (design.md, "Layers").
 *
 * Frames are whole Ethernet frames without the FCS: destination, source,
 * type, payload; at most NETDEV_FRAME_MAX bytes.
 *
 * Context and locking:
 *  - netdev_register(), netdev_attach(): thread context, at boot or when
 *    the stack starts; the registry is written under netdev_lock.
 *  - ops->xmit: thread context, may sleep (waits for a free transmit slot
 *    at most NETDEV_XMIT_WAIT_NS); the driver serialises its callers.
 *  - ops->rx_poll: thread context; one caller at a time (the stack's rx
 *    thread); @deliver runs in that thread, with the driver's rx lock
 *    held (so it must not call rx_poll; netdev_rx_return is fine).
 *  - netdev_rx_return (ops->rx_return): any thread, and from inside
 *    @deliver; never sleeps (the driver's pool spinlock only).  It is how
 *    a receive buffer lent to the stack comes back (see "Receive buffers
 *    on loan" below).
 *  - the wake-up given to netdev_attach(): interrupt context, must not
 *    sleep (wake a thread and return).
 *  - ops->tx_reclaim: thread context; takes back the transmit slots the
 *    device is done with (xmit does it too, but the stack's rx thread
 *    calls it after every wake-up so that completions are seen even when
 *    nothing more is sent).
 *  - the tx_done given to netdev_attach(): called by the driver, in the
 *    thread of xmit or tx_reclaim with its tx lock held, once for every
 *    fragment handed down with a @ref: at once when the driver copied the
 *    fragment (by_ref false), or when the device has returned the
 *    descriptor that pointed at it (by_ref true).  It must not sleep nor
 *    call into the driver (atomics and wake-ups only).
 *  - stats: written by the driver (rx side by the rx poller, tx side under
 *    the driver's tx lock), read without a lock (a snapshot).
 *
 * Receive buffers on loan.  A driver that has more receive buffers than
 * its ring holds (rx_loan_max > 0) may lend the buffer a frame arrived in
 * to the stack instead of taking it back at once: it puts a spare buffer
 * in the ring in its place and hands the frame over with a loan id
 * (struct netdev_rx).  From then on the buffer is the stack's, which may
 * keep it as long as it likes (lwIP: until the last pbuf that points into
 * it is freed) and must give it back exactly once with
 * netdev_rx_return(), from any thread; a frame it copies it gives back
 * at once.  When no spare is left (every buffer out, or rx_loan_limit
 * reached) the frame comes with loan -1: the buffer goes back to the
 * device when @deliver returns, so the stack must copy what it keeps.
 */
#ifndef DRIVERS_NETDEV_H
#define DRIVERS_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETDEV_MAX		4
#define NETDEV_ETH_ALEN		6		/* bytes in a MAC address */
#define NETDEV_ETH_HLEN		14		/* destination, source, type */
#define NETDEV_MTU		1500		/* IPv4 payload per frame */
#define NETDEV_FRAME_MAX	(NETDEV_ETH_HLEN + NETDEV_MTU)
#define NETDEV_FRAME_MIN	NETDEV_ETH_HLEN
#define NETDEV_XMIT_WAIT_NS	200000000ull	/* 200 ms for a tx slot */

/* Doorbells of one queue: rung, and left out because the device said it
 * needed none (virtio's notification suppression). */
struct netdev_kicks {
	uint64_t rung, left_out;
};

struct netdev_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_drops;	/* frames the stack could not take (no memory) */
	uint64_t rx_errors;	/* bad lengths or ids from the device */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_drops;	/* no transmit slot in time */
	uint64_t tx_errors;	/* bad frames handed down, bad ids from the device */
	uint64_t tx_ref_frags, tx_ref_bytes;	/* fragments the device read in place */
	uint64_t tx_copied_bytes;	/* bytes copied into transmit buffers (headers too) */
	uint64_t rx_loan_dry;	/* frames delivered with loan -1: no spare buffer */
	struct netdev_kicks rx_kicks, tx_kicks;	/* under the rx, tx paths' locks */
};

/*
 * A received frame as rx_poll hands it to @deliver.  @data may be written
 * (the stack's headers are processed in place).  @loan >= 0: the buffer
 * is lent to the stack (see "Receive buffers on loan"): valid until the
 * stack calls netdev_rx_return(nd, @loan), which it must do once.  @loan
 * -1: valid only during @deliver.
 */
struct netdev_rx {
	void *data;
	size_t len;
	int loan;
};

/*
 * One piece of a frame to send (netdev_xmit gathers them).  @ref NULL:
 * the memory is valid only during the call, so the driver copies it.
 * @ref set: the stack vouches that [@data, @data + @len) stays valid, at
 * physical address @pa (contiguous), until the driver calls tx_done(@ref),
 * so the driver may let the device read it in place (a descriptor that
 * points at it: zero-copy) or copy it, as it likes.
 */
struct netdev_frag {
	const void *data;
	size_t len;
	uint64_t pa;
	void *ref;
};

struct netdev;

struct netdev_ops {
	/* Send one frame made of @n pieces.  0, -EINVAL (longer than
	 * NETDEV_FRAME_MAX or shorter than NETDEV_FRAME_MIN), -EAGAIN (no
	 * transmit slot within NETDEV_XMIT_WAIT_NS), -EIO (the device broke its queue). */
	int (*xmit)(struct netdev *nd, const struct netdev_frag *frags, unsigned n);
	/* Hand at most @budget received frames to @deliver (lent, or to be
	 * copied during the call), refill the ring, and return how many were
	 * delivered. */
	unsigned (*rx_poll)(struct netdev *nd, unsigned budget,
			    void (*deliver)(void *arg, const struct netdev_rx *rx), void *arg);
	/* Take back lent buffer @loan (NULL when the driver never lends). */
	void (*rx_return)(struct netdev *nd, int loan);
	/* Is the link up (the device's status, or true if it has none)? */
	bool (*link_up)(struct netdev *nd);
	/* Take back finished transmit slots, calling tx_done for their refs. */
	void (*tx_reclaim)(struct netdev *nd);
};

struct netdev {
	/* set by the driver before netdev_register(), then read-only */
	char name[8];				/* "eth0" */
	const char *device;			/* the PCI name, for messages */
	const char *driver;			/* "virtio-net" */
	uint8_t mac[NETDEV_ETH_ALEN];
	const struct netdev_ops *ops;
	void *priv;
	const char *irq_mode;			/* "MSI-X", "MSI", "polled" */
	unsigned rx_loan_max;			/* loan ids are below it; 0: never lends */

	/* The stack's wish (atomic, any thread): lend at most this many
	 * buffers at once (netdev_register sets it to rx_loan_max). */
	unsigned rx_loan_limit;
	unsigned rx_on_loan;			/* atomic: lent now (the driver's count) */

	/* set once by netdev_attach() */
	void (*wake)(void *arg);		/* interrupt context */
	void (*tx_done)(void *arg, void *ref, size_t len, bool by_ref);
	void *wake_arg;

	struct netdev_stats stats;
	uint64_t irqs;				/* interrupts taken */
};

/**
 * netdev_register() - add @nd to the registry, naming it ethN.  Thread
 * context.  Returns 0, or -ENOSPC when NETDEV_MAX devices exist.
 */
int netdev_register(struct netdev *nd);

/* netdev_get() - the @i-th registered device (0 first), or NULL.  Any context. */
struct netdev *netdev_get(unsigned i);

/**
 * netdev_attach() - the stack's wake-up: the driver calls @wake(@arg) from
 * its interrupt handler when frames arrived, transmit slots came back or
 * the link changed; and @tx_done(@arg, ...) for each fragment sent with a
 * ref (see struct netdev_frag; may be NULL if the stack never sets refs).
 * Thread context.  Returns 0, -EBUSY if already attached.
 */
int netdev_attach(struct netdev *nd, void (*wake)(void *arg),
		  void (*tx_done)(void *arg, void *ref, size_t len, bool by_ref), void *arg);

/* netdev_tx_done() - for drivers: report fragment @ref finished. */
static inline void netdev_tx_done(struct netdev *nd, void *ref, size_t len, bool by_ref)
{
	if (ref && nd->tx_done)
		nd->tx_done(nd->wake_arg, ref, len, by_ref);
}

/* netdev_wake() - for drivers: call the attached wake-up, if any.  Any context. */
void netdev_wake(struct netdev *nd);

static inline int netdev_xmit(struct netdev *nd, const struct netdev_frag *f, unsigned n)
{
	return nd->ops->xmit(nd, f, n);
}

static inline unsigned netdev_rx_poll(struct netdev *nd, unsigned budget,
				      void (*deliver)(void *, const struct netdev_rx *),
				      void *arg)
{
	return nd->ops->rx_poll(nd, budget, deliver, arg);
}

/* netdev_rx_return() - give lent receive buffer @loan back.  Any thread;
 * does not sleep. */
static inline void netdev_rx_return(struct netdev *nd, int loan)
{
	nd->ops->rx_return(nd, loan);
}

static inline bool netdev_link_up(struct netdev *nd)
{
	return nd->ops->link_up(nd);
}

static inline void netdev_tx_reclaim(struct netdev *nd)
{
	if (nd->ops->tx_reclaim)
		nd->ops->tx_reclaim(nd);
}

#endif /* DRIVERS_NETDEV_H */
