/*
 * tcpbench.c - the raw TCP ceiling for the NBD benchmarks: a "discard"
 * service that reads and drops everything (TCPBENCH_DISCARD_PORT) and a
 * "source" service that sends the same DRAM buffer until the client
 * closes (TCPBENCH_SOURCE_PORT).  Both go through the same lwIP, netif
 * and virtio-net as NBD, without files, so scripts/bench_nbd.py can set
 * nbd_read and nbd_write against what the network alone gives.
 *
 * Off until `net bench` starts them (tcpbench_start()); they listen only
 * (the kernel opens no connection) and serve one client at a time each,
 * in their own thread.  No lock: each thread owns its netconns; started
 * is set once under the shell's single thread.  The source buffer is
 * registered zero-copy memory (never removed).
 */
#include <net/net.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <lib/errno.h>
#include <lib/string.h>

#include "lwip/api.h"
#include "lwip/pbuf.h"

#define TCPBENCH_CHUNK		(64u << 10)

static uint8_t source_buf[TCPBENCH_CHUNK];	/* zeroes, sent NOCOPY */
static bool started;

/* The source buffer lives for ever: registered as zero-copy memory, so
 * the NIC reads it in place, as it reads an NBD READ's pinned pages (the
 * ceiling then takes the same transmit path as nbd_read). */
static struct net_zc_run source_run = { .va = source_buf, .len = sizeof(source_buf) };
static struct net_zc source_zc = { .runs = &source_run, .nruns = 1 };

static void discard_client(struct netconn *nc)
{
	struct pbuf *p;

	while (netconn_recv_tcp_pbuf(nc, &p) == ERR_OK)
		pbuf_free(p);
}

static void source_client(struct netconn *nc)
{
	while (netconn_write(nc, source_buf, sizeof(source_buf), NETCONN_NOCOPY) == ERR_OK)
		;
}

struct service {
	uint16_t port;
	void (*serve)(struct netconn *nc);
	struct netconn *listener;
};

static struct service services[] = {
	{ TCPBENCH_DISCARD_PORT, discard_client, NULL },
	{ TCPBENCH_SOURCE_PORT, source_client, NULL },
};

static void service_thread(void *arg)
{
	struct service *s = arg;

	for (;;) {
		struct netconn *nc;

		if (netconn_accept(s->listener, &nc) != ERR_OK) {
			msleep(10);
			continue;
		}
		s->serve(nc);
		netconn_close(nc);
		netconn_delete(nc);
	}
}

int tcpbench_start(void)
{
	if (started)
		return 0;
	if (!net_ready())
		return -EAGAIN;
	for (unsigned i = 0; i < 2; i++) {
		struct service *s = &services[i];
		struct thread *t;

		s->listener = netconn_new(NETCONN_TCP);
		if (!s->listener)
			return -ENOMEM;
		if (netconn_bind(s->listener, IP4_ADDR_ANY, s->port) != ERR_OK ||
		    netconn_listen_with_backlog(s->listener, 1) != ERR_OK) {
			kprintf("net: cannot listen on port %u\n", s->port);
			return -EIO;
		}
		t = thread_create(i ? "tcpbench-source" : "tcpbench-discard", service_thread, s);
		if (!t)
			return -ENOMEM;
		thread_detach(t);
	}
	if (net_zc_add(&source_zc))
		kprintf("net: tcpbench's source buffer cannot be sent in place; copying\n");
	started = true;
	return 0;
}
