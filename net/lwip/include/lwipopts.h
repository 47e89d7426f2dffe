/*
 * lwipopts.h - how Holdfast builds lwIP 2.1.3 (every option not set here
 * keeps lwIP's default from src/include/lwip/opt.h).
 *
 * The choice: NO_SYS=0.  lwIP's core runs in its own "tcpip" thread, and
 * the NBD server uses the sequential netconn API from one kernel thread
 * per client, blocking in netconn_recv/netconn_write like any kernel code
 * that sleeps.  The operating-system layer lwIP then needs (semaphores,
 * mutexes, mailboxes, threads, a millisecond clock, a critical section)
 * is net/lwip/sys_arch.c, over the kernel's wait queues and mutexes.
 * With NO_SYS=1 every client would have to be a state machine driven by
 * callbacks in one poll thread: more code of ours, and a slow client's
 * file I/O would stall all the others.
 *
 * TCPIP core locking is on: a netconn call takes the core mutex and runs
 * in the caller's thread instead of a round trip through the tcpip
 * thread's mailbox.  Memory (pbufs, pcbs, netconns) comes from the kernel
 * heap (MEM_LIBC_MALLOC, MEMP_MEM_MALLOC): no fixed pools to size.
 *
 * Only what Holdfast uses is on: IPv4, ARP, ICMP (echo), UDP (for DHCP),
 * DHCP, TCP, netconn.  No IPv6, no sockets API, no DNS, no raw API users.
 */
#ifndef HOLDFAST_LWIPOPTS_H
#define HOLDFAST_LWIPOPTS_H

#include <stddef.h>

/* ---- OS layer ---- */
#define NO_SYS				0
#define SYS_LIGHTWEIGHT_PROT		1
#define LWIP_TCPIP_CORE_LOCKING		1
#define LWIP_TCPIP_CORE_LOCKING_INPUT	0
#define TCPIP_THREAD_NAME		"tcpip"
#define TCPIP_THREAD_STACKSIZE		0	/* the kernel's default */
#define TCPIP_THREAD_PRIO		0
#define TCPIP_MBOX_SIZE			256
#define DEFAULT_THREAD_STACKSIZE	0
/* A connection's receive mailbox holds one entry per segment: it must
 * take a whole window (TCP_WND / TCP_MSS = 180 full segments), or lwIP
 * refuses the segments that do not fit, keeps the first for its next
 * timer tick and drops the rest (the sender then retransmits). */
#define DEFAULT_TCP_RECVMBOX_SIZE	512
#define DEFAULT_UDP_RECVMBOX_SIZE	16
#define DEFAULT_RAW_RECVMBOX_SIZE	16
#define DEFAULT_ACCEPTMBOX_SIZE		16
#define LWIP_NETCONN_SEM_PER_THREAD	0
#define LWIP_COMPAT_MUTEX		0

/* ---- memory: the kernel heap ---- */
#define MEM_LIBC_MALLOC			1
#define MEMP_MEM_MALLOC			1
#define MEM_ALIGNMENT			8
void *lwip_port_malloc(size_t size);
void *lwip_port_calloc(size_t n, size_t size);
void lwip_port_free(void *p);
#define mem_clib_malloc			lwip_port_malloc
#define mem_clib_calloc			lwip_port_calloc
#define mem_clib_free			lwip_port_free
#define MEM_SIZE			(4 * 1024 * 1024)	/* unused with the heap */
/* Received frames are lent to lwIP by reference (net/netif.c): a custom
 * pbuf (PBUF_REF) over the NIC's receive buffer, whose free function
 * gives the buffer back to the driver. */
#define LWIP_SUPPORT_CUSTOM_PBUF	1
#define PBUF_POOL_SIZE			512
#define PBUF_POOL_BUFSIZE		1536
#define MEMP_NUM_NETCONN		80
#define MEMP_NUM_TCP_PCB		80
#define MEMP_NUM_TCP_PCB_LISTEN		4
#define MEMP_NUM_TCP_SEG		1024
#define MEMP_NUM_NETBUF			256
#define MEMP_NUM_TCPIP_MSG_INPKT	256
#define MEMP_NUM_SYS_TIMEOUT		16

/* ---- protocols ---- */
#define LWIP_IPV4			1
#define LWIP_IPV6			0
#define LWIP_ARP			1
#define LWIP_ETHERNET			1
#define ETHARP_SUPPORT_STATIC_ENTRIES	0
#define LWIP_ICMP			1
#define LWIP_RAW			0
#define LWIP_UDP			1
#define LWIP_TCP			1
#define LWIP_DHCP			1
#define DHCP_DOES_ARP_CHECK		0	/* QEMU's DHCP server is alone */
#define LWIP_AUTOIP			0
#define LWIP_IGMP			0
#define LWIP_DNS			0
#define IP_FORWARD			0
#define IP_REASSEMBLY			1
#define IP_FRAG				0

/* ---- TCP ----
 * Throughput is bound by latency, not by the copies: each ACK goes
 * interrupt -> rx thread -> tcpip thread before the sender may go on, so
 * the window must cover that time.  64 KiB windows gave 12 MB/s for an
 * NBD read under TCG, 256 KiB (with window scaling) about 30 MB/s; 512
 * KiB was no better.  Memory: at most TCP_SND_BUF queued per client. */
#define TCP_MSS				1460
#define LWIP_WND_SCALE			1
#define TCP_RCV_SCALE			3		/* windows up to 512 KiB */
#define TCP_WND				(256 * 1024)
#define TCP_SND_BUF			(256 * 1024)
#define TCP_SNDLOWAT			(32 * 1024)	/* wake a writer at 32 KiB free */
#define TCP_SND_QUEUELEN		(4 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ			1
#define LWIP_TCP_KEEPALIVE		1
#define TCP_LISTEN_BACKLOG		1
#define TCP_DEFAULT_LISTEN_BACKLOG	64
#define LWIP_TCP_SACK_OUT		0

/* ---- APIs ---- */
#define LWIP_NETCONN			1
#define LWIP_SOCKET			0
#define LWIP_SO_RCVTIMEO		1
#define LWIP_SO_SNDTIMEO		1
#define LWIP_NETIF_API			0
#define LWIP_NETIF_STATUS_CALLBACK	1
#define LWIP_NETIF_LINK_CALLBACK	1
#define LWIP_NETIF_HOSTNAME		1
#define LWIP_SINGLE_NETIF		0

/* ---- checks, statistics, debugging ----
 * The debug kernel (KDEBUG) asserts lwIP's own lock rule: every core
 * function that wants the TCPIP core lock checks that its thread holds
 * it (net/lwip/sys_arch.c, as assert_held() does for kernel locks). */
#ifdef KDEBUG
void lwip_port_assert_core_locked(void);
#define LWIP_ASSERT_CORE_LOCKED()	lwip_port_assert_core_locked()
#endif
#define LWIP_STATS			0
#define LWIP_STATS_DISPLAY		0
#define LWIP_DEBUG			0
#define LWIP_NOASSERT			0
#define CHECKSUM_CHECK_IP		1
#define CHECKSUM_CHECK_TCP		1
#define CHECKSUM_CHECK_UDP		1
#define CHECKSUM_CHECK_ICMP		1

#endif
