/*
 * netif.c - lwIP's network interface on a struct netdev, and the start of
 * the stack (include/net/net.h).
 *
 * A packet's way in: the NIC interrupt calls net_wake() (netdev_attach),
 * which wakes this interface's rx thread; the thread pulls frames with
 * netdev_rx_poll() and hands each to tcpip_input(), which queues it for
 * the tcpip thread (ARP, IPv4, TCP; a TCP segment then lands in its
 * netconn's receive mailbox).  A frame the driver lends (netdev.h,
 * "Receive buffers on loan") longer than NET_RX_COPYBREAK goes up by
 * reference: a custom pbuf (PBUF_REF) over the driver's buffer, whose
 * free function, run by whichever thread frees the last pbuf of it (the
 * tcpip thread, an NBD client after it wrote the payload to the file, the
 * rx thread on an input error), gives the buffer back
 * (netdev_rx_return()).  Short frames (ACKs, ARP, DHCP offers), and every
 * frame when the driver has no spare buffer to lend, are copied into a
 * pbuf from lwIP's pool, and a lent buffer goes back at once.  Out: lwIP
 * calls linkoutput() (in whichever thread holds the core lock), which
 * gathers the pbuf chain into at most NETIF_FRAGS pieces and hands them
 * to netdev_xmit().  A piece that lies in memory registered with
 * net_zc_add() (an NBD READ reply's pinned pmem pages) goes down with its
 * physical address and a ref, so the driver can let the device read it in
 * place; the region's inflight count holds it until the driver's tx_done.
 * Everything else is copied by the driver into its transmit buffer.
 *
 * Link: the rx thread also looks at the device's link status after every
 * wake-up, and tells lwIP when it changed.  DHCP: started at net_init();
 * the status callback prints the address once it is bound; the rx thread
 * switches to the static fallback after NET_DHCP_WAIT_NS without one.
 *
 * Locking: lwIP's own core lock (LOCK_TCPIP_CORE) around every call into
 * lwIP made outside the tcpip thread (netif_add, dhcp_start, link and
 * address changes).  A lent buffer's custom pbuf (net_rx.loans[loan id])
 * belongs to whoever holds the loan: written by the rx thread when the
 * buffer is lent, read by the free function; the driver lends an id again
 * only after it came back, so the two never overlap.  The rx counters are
 * written by the rx thread only, read as a snapshot.  net_zc_lock (a spinlock) guards the zero-copy
 * registry list (include/net/net.h); a fragment found in it has its
 * region's inflight count raised under the same lock, so net_zc_remove()
 * (which checks the count under it) never races with a frame on its way
 * down.  net_state.wake is an atomic flag set by the
 * interrupt, cleared by the rx thread.  The info fields are written under
 * the core lock, read without it (a snapshot for `net`).
 */
#include <drivers/netdev.h>
#include <net/net.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <lib/compiler.h>
#include <lib/errno.h>
#include <lib/string.h>

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#define NETIF_FRAGS		16	/* pieces per frame before we flatten */
#define NETIF_RX_BUDGET		64	/* frames per poll */
#define NETIF_HOSTNAME		"holdfast"
#define NET_RX_COPYBREAK	256	/* frames this short are copied, not lent */

static struct {
	struct netdev *dev;
	struct netif netif;
	struct wait_queue wq;		/* the rx thread sleeps here */
	int wake;			/* atomic: the device has news */
	bool link;			/* rx thread only */
	bool have_addr;			/* core lock; read: snapshot */
	const char *how;		/* core lock */
	uint64_t dhcp_deadline;		/* rx thread only; 0: done */
	bool started;
} net_state;

/* A lent receive buffer as lwIP sees it. */
struct net_rxloan {
	struct pbuf_custom pc;		/* lwIP frees &pc.pbuf */
};

static struct {
	struct net_rxloan *loans;	/* dev->rx_loan_max, by loan id; see Locking */
	unsigned nloans;		/* set at net_init */
	uint64_t by_ref, copied;	/* frames; rx thread only */
} net_rx;

/* ----------------------------------------------- zero-copy registry ---- */

static spinlock_t net_zc_lock = SPINLOCK_INIT("net_zc");
static struct net_zc *net_zc_list;		/* net_zc_lock */
static uint64_t net_zc_ref, net_zc_copied;	/* atomic */

/* The physical address of [va, va + len), or 0 when the NIC cannot be
 * given it: only the direct map (RAM and pmem) and the kernel image,
 * where virtual and physical runs are both contiguous, qualify. */
static uint64_t zc_phys(const uint8_t *va, size_t len)
{
	uint64_t a = (uint64_t)va, pa;

	if (a >= DIRECT_MAP_BASE && a - DIRECT_MAP_BASE < DIRECT_MAP_SIZE)
		pa = a - DIRECT_MAP_BASE;
	else if (a >= KERNEL_BASE)
		pa = virt_to_phys(va);
	else
		return 0;
	return pa && phys_range_mapped(pa, len) ? pa : 0;
}

int net_zc_add(struct net_zc *z)
{
	unsigned long f;

	z->lo = z->hi = NULL;
	for (unsigned i = 0; i < z->nruns; i++) {
		struct net_zc_run *r = &z->runs[i];

		r->pa = zc_phys(r->va, r->len);
		if (!r->pa)
			return -EINVAL;
		if (!z->lo || r->va < z->lo)
			z->lo = r->va;
		if (r->va + r->len > z->hi)
			z->hi = r->va + r->len;
	}
	z->inflight = 0;
	f = spin_lock_irqsave(&net_zc_lock);
	z->next = net_zc_list;
	net_zc_list = z;
	spin_unlock_irqrestore(&net_zc_lock, f);
	return 0;
}

bool net_zc_remove(struct net_zc *z)
{
	unsigned long f = spin_lock_irqsave(&net_zc_lock);
	struct net_zc **pp;
	bool idle = __atomic_load_n(&z->inflight, __ATOMIC_ACQUIRE) == 0;

	if (idle) {
		for (pp = &net_zc_list; *pp && *pp != z; pp = &(*pp)->next)
			;
		if (*pp)
			*pp = z->next;
	}
	spin_unlock_irqrestore(&net_zc_lock, f);
	return idle;
}

void net_zc_totals(uint64_t *by_ref, uint64_t *copied)
{
	*by_ref = __atomic_load_n(&net_zc_ref, __ATOMIC_RELAXED);
	*copied = __atomic_load_n(&net_zc_copied, __ATOMIC_RELAXED);
}

/* Fill in @fr's pa and ref when its bytes lie in one registered run,
 * counting it in flight.  net_zc_lock held. */
static void zc_lookup(struct netdev_frag *fr)
{
	const uint8_t *va = fr->data;

	for (struct net_zc *z = net_zc_list; z; z = z->next) {
		if (va < z->lo || va + fr->len > z->hi)
			continue;
		for (unsigned i = 0; i < z->nruns; i++) {
			const struct net_zc_run *r = &z->runs[i];

			if (va >= r->va && va + fr->len <= r->va + r->len) {
				fr->pa = r->pa + (uint64_t)(va - r->va);
				fr->ref = z;
				__atomic_fetch_add(&z->inflight, 1, __ATOMIC_RELAXED);
				return;
			}
		}
	}
}

/* netdev's tx_done: the driver copied @ref's fragment or the device
 * finished reading it.  Driver's tx lock held: atomics only. */
static void zc_tx_done(void *arg, void *ref, size_t len, bool by_ref)
{
	struct net_zc *z = ref;

	(void)arg;
	__atomic_fetch_add(by_ref ? &z->bytes_ref : &z->bytes_copied, len, __ATOMIC_RELAXED);
	__atomic_fetch_add(by_ref ? &net_zc_ref : &net_zc_copied, len, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&z->inflight, 1, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ output ---- */

static err_t linkoutput(struct netif *netif, struct pbuf *p)
{
	struct netdev *nd = netif->state;
	struct netdev_frag frags[NETIF_FRAGS];
	unsigned n = 0;
	struct pbuf *q;
	int err;

	for (q = p; q && n < NETIF_FRAGS; q = q->next)
		frags[n++] = (struct netdev_frag){ q->payload, q->len, 0, NULL };
	if (!q && __atomic_load_n(&net_zc_list, __ATOMIC_RELAXED)) {
		/* By reference (PBUF_ROM/REF: lwIP points at the caller's
		 * memory) pieces may be registered zero-copy memory. */
		unsigned long f = spin_lock_irqsave(&net_zc_lock);

		n = 0;
		for (q = p; q; q = q->next, n++)
			if (!(q->type_internal & PBUF_TYPE_FLAG_STRUCT_DATA_CONTIGUOUS) && q->len)
				zc_lookup(&frags[n]);
		spin_unlock_irqrestore(&net_zc_lock, f);
	}
	if (q) {
		/* A long chain: flatten it (lwIP builds these rarely).
		 * linkoutput runs under the core lock: one caller at a
		 * time, so one static buffer serves. */
		static uint8_t flat[NETDEV_FRAME_MAX];

		if (p->tot_len > sizeof(flat))
			return ERR_IF;
		pbuf_copy_partial(p, flat, p->tot_len, 0);
		frags[0] = (struct netdev_frag){ flat, p->tot_len, 0, NULL };
		n = 1;
	}
	err = netdev_xmit(nd, frags, n);
	return err == 0 ? ERR_OK : err == -EAGAIN ? ERR_MEM : ERR_IF;
}

/* ------------------------------------------------------------- input ---- */

/* The last pbuf over a lent buffer is gone: give the buffer back.  Any
 * thread that frees pbufs; must not sleep (netdev_rx_return does not). */
static void rx_loan_free(struct pbuf *p)
{
	struct net_rxloan *l = container_of(p, struct net_rxloan, pc.pbuf);

	netdev_rx_return(net_state.dev, (int)(l - net_rx.loans));
}

/* A frame by reference, or NULL when it must be copied. */
static struct pbuf *rx_by_ref(const struct netdev_rx *rx)
{
	struct net_rxloan *l;

	if (rx->loan < 0 || (unsigned)rx->loan >= net_rx.nloans || rx->len <= NET_RX_COPYBREAK)
		return NULL;
	l = &net_rx.loans[rx->loan];
	l->pc.custom_free_function = rx_loan_free;
	return pbuf_alloced_custom(PBUF_RAW, (u16_t)rx->len, PBUF_REF, &l->pc, rx->data,
				   (u16_t)rx->len);
}

bool net_rx_pbuf_lent(const struct pbuf *p)
{
	return (p->flags & PBUF_FLAG_IS_CUSTOM) &&
	       ((const struct pbuf_custom *)p)->custom_free_function == rx_loan_free;
}

static void deliver(void *arg, const struct netdev_rx *rx)
{
	struct netif *netif = arg;
	struct netdev *nd = netif->state;
	struct pbuf *p = rx_by_ref(rx);

	if (p) {
		net_rx.by_ref++;
	} else {
		p = pbuf_alloc(PBUF_RAW, (u16_t)rx->len, PBUF_POOL);
		if (p)
			pbuf_take(p, rx->data, (u16_t)rx->len);
		if (rx->loan >= 0)
			netdev_rx_return(nd, rx->loan);
		if (!p) {
			nd->stats.rx_drops++;
			return;
		}
		net_rx.copied++;
	}
	if (netif->input(p, netif) != ERR_OK) {
		pbuf_free(p);		/* a lent buffer goes back here */
		nd->stats.rx_drops++;
	}
}

static void net_wake(void *arg)
{
	(void)arg;
	__atomic_store_n(&net_state.wake, 1, __ATOMIC_RELEASE);
	wake_up_one(&net_state.wq);
}

static bool take_wake(void)
{
	return __atomic_exchange_n(&net_state.wake, 0, __ATOMIC_ACQ_REL);
}

static void print_addr(const char *how)
{
	const struct netif *n = &net_state.netif;
	char addr[IP4ADDR_STRLEN_MAX], gw[IP4ADDR_STRLEN_MAX];

	ip4addr_ntoa_r(netif_ip4_addr(n), addr, sizeof(addr));
	ip4addr_ntoa_r(netif_ip4_gw(n), gw, sizeof(gw));
	kprintf("net: %s: %s/%u gateway %s (%s)\n", net_state.dev->name, addr,
		net_prefix_len(lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(n)))), gw, how);
}

/* lwIP calls this (core lock held) when the address changes. */
static void status_callback(struct netif *netif)
{
	if (ip4_addr_isany_val(*netif_ip4_addr(netif)))
		return;
	if (dhcp_supplied_address(netif)) {
		net_state.how = "DHCP";
		net_state.dhcp_deadline = 0;
	}
	__atomic_store_n(&net_state.have_addr, true, __ATOMIC_RELEASE);
	print_addr(net_state.how);
}

static void check_link(void)
{
	bool up = netdev_link_up(net_state.dev);

	if (up == net_state.link)
		return;
	net_state.link = up;
	LOCK_TCPIP_CORE();
	if (up)
		netif_set_link_up(&net_state.netif);
	else
		netif_set_link_down(&net_state.netif);
	UNLOCK_TCPIP_CORE();
	kprintf("net: %s: link %s\n", net_state.dev->name, up ? "up" : "down");
}

static void static_fallback(void)
{
	ip4_addr_t a, m, g;

	ip4_addr_set_u32(&a, lwip_htonl(NET_STATIC_ADDR));
	ip4_addr_set_u32(&m, lwip_htonl(NET_STATIC_MASK));
	ip4_addr_set_u32(&g, lwip_htonl(NET_STATIC_GW));
	kprintf("net: %s: no DHCP lease in %lu s; using the static address\n",
		net_state.dev->name, (unsigned long)(NET_DHCP_WAIT_NS / 1000000000ull));
	LOCK_TCPIP_CORE();
	dhcp_stop(&net_state.netif);
	net_state.how = "static";
	netif_set_addr(&net_state.netif, &a, &m, &g);
	UNLOCK_TCPIP_CORE();
}

static void rx_thread(void *arg)
{
	struct netif *netif = arg;

	for (;;) {
		uint64_t dl = net_state.dhcp_deadline;

		if (dl)
			wait_event_timeout(&net_state.wq, READ_ONCE(net_state.wake),
					   dl > time_ns() ? dl - time_ns() : 0);
		else
			wait_event(&net_state.wq, READ_ONCE(net_state.wake));
		if (take_wake()) {
			while (netdev_rx_poll(net_state.dev, NETIF_RX_BUDGET, deliver, netif) ==
			       NETIF_RX_BUDGET)
				yield();
			netdev_tx_reclaim(net_state.dev);	/* zero-copy refs */
			check_link();
		}
		if (net_state.dhcp_deadline && time_ns() >= net_state.dhcp_deadline &&
		    !__atomic_load_n(&net_state.have_addr, __ATOMIC_ACQUIRE)) {
			net_state.dhcp_deadline = 0;
			static_fallback();
		}
	}
}

static err_t netif_setup(struct netif *netif)
{
	struct netdev *nd = netif->state;

	netif->name[0] = 'e';
	netif->name[1] = 't';
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, nd->mac, ETH_HWADDR_LEN);
	netif->mtu = NETDEV_MTU;
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	netif->output = etharp_output;
	netif->linkoutput = linkoutput;
	netif_set_hostname(netif, NETIF_HOSTNAME);
	return ERR_OK;
}

/* ------------------------------------------------------------- start ---- */

static void tcpip_ready(void *arg)
{
	complete(arg);
}

int net_init(void)
{
	struct netdev *nd = netdev_get(0);
	struct completion ready;
	struct thread *t;

	if (!nd)
		return -ENODEV;
	net_state.dev = nd;
	net_state.how = "waiting for DHCP";
	if (nd->rx_loan_max) {
		/* Without the table every frame is copied, as before. */
		net_rx.loans = kzalloc(nd->rx_loan_max * sizeof(*net_rx.loans));
		net_rx.nloans = net_rx.loans ? nd->rx_loan_max : 0;
	}
	wait_queue_init(&net_state.wq);
	completion_init(&ready);
	tcpip_init(tcpip_ready, &ready);
	wait_for_completion(&ready);

	LOCK_TCPIP_CORE();
	if (!netif_add(&net_state.netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, nd,
		       netif_setup, tcpip_input)) {
		UNLOCK_TCPIP_CORE();
		kprintf("net: %s: lwIP refused the interface\n", nd->name);
		return -ENOMEM;
	}
	netif_set_status_callback(&net_state.netif, status_callback);
	netif_set_default(&net_state.netif);
	netif_set_up(&net_state.netif);
	UNLOCK_TCPIP_CORE();

	t = thread_create("net-rx", rx_thread, &net_state.netif);
	if (!t)
		return -ENOMEM;
	thread_detach(t);
	netdev_attach(nd, net_wake, zc_tx_done, NULL);
	net_state.started = true;
	net_wake(NULL);			/* the first link check, any early frames */

	LOCK_TCPIP_CORE();
	net_state.dhcp_deadline = time_ns() + NET_DHCP_WAIT_NS;
	dhcp_start(&net_state.netif);
	UNLOCK_TCPIP_CORE();
	kprintf("net: %s: lwIP %s up, asking for a DHCP lease\n", nd->name, LWIP_VERSION_STRING);
	return 0;
}

/* -------------------------------------------------------------- info ---- */

bool net_get_info(struct net_info *ni)
{
	const struct netif *n = &net_state.netif;

	memset(ni, 0, sizeof(*ni));
	if (!net_state.started)
		return false;
	ni->up = true;
	ni->dev = net_state.dev;
	ni->link = netdev_link_up(net_state.dev);
	ni->addr = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(n)));
	ni->mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(n)));
	ni->gw = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(n)));
	ni->how = READ_ONCE(net_state.how);
	ni->rx_by_ref = READ_ONCE(net_rx.by_ref);
	ni->rx_copied = READ_ONCE(net_rx.copied);
	ni->rx_lendable = net_rx.nloans;
	return true;
}

int net_set_rx_loan_limit(unsigned n)
{
	if (!net_state.started)
		return -ENODEV;
	if (!net_rx.nloans)
		return -EOPNOTSUPP;
	__atomic_store_n(&net_state.dev->rx_loan_limit, MIN(n, net_state.dev->rx_loan_max),
			 __ATOMIC_RELAXED);
	return 0;
}

bool net_ready(void)
{
	return __atomic_load_n(&net_state.have_addr, __ATOMIC_ACQUIRE);
}
