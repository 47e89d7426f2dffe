/*
 * virtio_net.c - QEMU's virtio-net-pci through the virtio 1.0 "modern" PCI
 * transport, as a struct netdev (include/drivers/netdev.h).
 *
 * The device is found through four vendor-specific PCI capabilities that
 * point into its BARs: the common configuration (feature bits, status,
 * queue set-up), the notification area (one doorbell per queue), the ISR
 * byte (INTx only) and the net device configuration (MAC, link status).
 * Two split virtqueues carry the frames: queue 0 receives, queue 1
 * transmits.  Each frame travels with a 12-byte virtio_net_hdr in front
 * (all zero: no checksum or segmentation offload is negotiated).
 *
 *   receive:  a pool of VNET_RX_POOL buffers of VNET_BUF_SIZE bytes, more
 *             than the ring holds; each rx descriptor holds one of them,
 *             the others are spares.  The device fills a descriptor's
 *             buffer and puts its id in the used ring; rx_poll() lends
 *             that buffer to the stack (netdev.h, "Receive buffers on
 *             loan") and posts a spare in its place, so the ring stays
 *             full while buffers are out; the stack keeps the frame by
 *             reference (lwIP: a custom pbuf) or copies it, and gives the
 *             buffer back with rx_return(), from whatever thread frees it.
 *             With no spare left (or the stack's rx_loan_limit reached)
 *             the frame is delivered unlent, to be copied, and the same
 *             buffer goes back to the device.
 *   transmit: xmit() takes a free tx slot (a ring descriptor, a
 *             VNET_BUF_SIZE buffer and an indirect table of VNET_TX_SEGS
 *             descriptors) and rings the doorbell.  Fragments the stack
 *             handed down without a ref, and short ones, are copied into
 *             the slot's buffer behind the zeroed virtio-net header; a
 *             fragment with a ref (struct netdev_frag: memory that stays
 *             valid until tx_done) of VNET_TX_COPYBREAK bytes or more gets
 *             its own indirect descriptor with its physical address, so
 *             the device reads it in place: zero-copy [2.4.5.3].  The ring
 *             descriptor then points at the table (VIRTQ_DESC_F_INDIRECT);
 *             a frame with no such fragment uses the buffer directly.
 *             Without VIRTIO_F_INDIRECT_DESC, or when a frame would need
 *             more than VNET_TX_SEGS descriptors, everything is copied.
 *             Used tx ids come back to the free stack in tx_reclaim() (from
 *             xmit(), or the stack's rx thread after an interrupt), which
 *             then calls tx_done for each fragment the slot read in place:
 *             only now may its memory change owner.
 *
 * Physical addresses: the device gets CPU physical addresses.  With QEMU's
 * intel-iommu on, a virtio device still bypasses the IOMMU unless it is
 * created with iommu_platform=on (it then offers VIRTIO_F_ACCESS_PLATFORM,
 * which we do not accept: the device would refuse FEATURES_OK), so the
 * addresses are right either way.
 *
 * One MSI-X vector (table entry 0) serves both queues and configuration
 * changes; the handler only counts and wakes (the stack's rx thread, and
 * a transmitter waiting for a slot).  Without MSI-X a 10 ms ktimer does
 * the same.  The doorbell is left out while the device says it needs no
 * notification (vq_notify()); we never ask the device to hold back its
 * interrupts, and event indexes are not used.
 *
 * Everything the device gives back is checked before use: capability
 * lengths and BAR ranges, queue sizes (non-zero, a power of two), MSI-X
 * vectors read back, used ring indexes (never more than a queue ahead),
 * used ids (in range and really posted) and used lengths (a whole
 * Ethernet header, at most one buffer).  A bad value is counted as an
 * error and reported once; it never indexes memory.
 *
 * Locking: vnet.rx_lock (mutex) guards the rx queue's ring state and
 * which pool buffer each rx descriptor holds, and is held by rx_poll()
 * only (across deliver); vnet.rxpool_lock (a spinlock, irqsave: it is
 * taken from any thread that frees a pbuf, with whatever else it holds)
 * guards the spare stack and the lent marks, held by rx_poll() to lend
 * and by rx_return() to take back, never across anything that sleeps;
 * nd.rx_on_loan is an atomic counted under it (read without it); vnet.tx_lock (mutex) guards the tx queue's ring
 * state, the free stack and each slot's in-place list, held by xmit() and
 * tx_reclaim() (tx_done is called with it held).  Both are thread context
 * (rx_poll and xmit may sleep: see netdev.h).  The interrupt handler
 * touches no ring: it counts and calls wake-ups (which take wait-queue
 * spinlocks only).  stats.rx_* are written under rx_lock, stats.tx_*
 * under tx_lock.
 *
 * References:
 *  [VIRTIO] Virtual I/O Device (VIRTIO) Version 1.0, OASIS, 2016:
 *           2.4 (split virtqueues), 4.1 (PCI transport), 5.1 (network device)
 *  QEMU 7.2 hw/virtio/virtio-pci.c, hw/net/virtio-net.c (what QEMU offers)
 */
#include <drivers/netdev.h>
#include <drivers/pci.h>
#include <arch/x86_64/irq.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <lib/compiler.h>
#include <lib/errno.h>
#include <lib/string.h>

/* ------------------------------------------------- PCI [VIRTIO 4.1] ---- */

#define VIRTIO_VENDOR		0x1AF4
#define VIRTIO_DEV_NET_TRANS	0x1000	/* transitional virtio-net [4.1.2.1] */
#define VIRTIO_DEV_NET_MODERN	0x1041	/* 0x1040 + device type 1 */

/* struct virtio_pci_cap [4.1.4]: offsets from the capability */
#define VCAP_LEN		2	/* u8: length of this capability */
#define VCAP_CFG_TYPE		3	/* u8: VIRTIO_PCI_CAP_* */
#define VCAP_BAR		4	/* u8: which BAR */
#define VCAP_OFFSET		8	/* le32: offset within the BAR */
#define VCAP_LENGTH		12	/* le32: length of the structure */
#define VCAP_NOTIFY_MULT	16	/* le32: notify_off_multiplier [4.1.4.4] */
#define VCAP_MIN_LEN		16
#define VCAP_NOTIFY_MIN_LEN	20

#define VIRTIO_PCI_CAP_COMMON	1
#define VIRTIO_PCI_CAP_NOTIFY	2
#define VIRTIO_PCI_CAP_ISR	3
#define VIRTIO_PCI_CAP_DEVICE	4

/* struct virtio_pci_common_cfg [4.1.4.3] */
#define VCOM_DFSELECT		0x00	/* le32 RW: device_feature_select */
#define VCOM_DF			0x04	/* le32 RO: device_feature */
#define VCOM_GFSELECT		0x08	/* le32 RW: driver_feature_select */
#define VCOM_GF			0x0C	/* le32 RW: driver_feature */
#define VCOM_MSIX_CONFIG	0x10	/* le16 RW: config change vector */
#define VCOM_NUM_QUEUES		0x12	/* le16 RO */
#define VCOM_STATUS		0x14	/* u8 RW: device_status */
#define VCOM_CFG_GEN		0x15	/* u8 RO: config_generation */
#define VCOM_Q_SELECT		0x16	/* le16 RW */
#define VCOM_Q_SIZE		0x18	/* le16 RW: max on read, ours on write */
#define VCOM_Q_MSIX		0x1A	/* le16 RW: queue_msix_vector */
#define VCOM_Q_ENABLE		0x1C	/* le16 RW */
#define VCOM_Q_NOTIFY_OFF	0x1E	/* le16 RO */
#define VCOM_Q_DESC		0x20	/* le64 RW */
#define VCOM_Q_AVAIL		0x28	/* le64 RW: the driver area */
#define VCOM_Q_USED		0x30	/* le64 RW: the device area */
#define VCOM_SIZE		0x38
#define VIRTIO_MSI_NO_VECTOR	0xFFFF

/* device_status bits [2.1] */
#define VSTAT_ACKNOWLEDGE	0x01
#define VSTAT_DRIVER		0x02
#define VSTAT_DRIVER_OK		0x04
#define VSTAT_FEATURES_OK	0x08
#define VSTAT_NEEDS_RESET	0x40
#define VSTAT_FAILED		0x80

/* feature bits [5.1.3, 6] */
#define VIRTIO_NET_F_MAC	(1ull << 5)
#define VIRTIO_NET_F_STATUS	(1ull << 16)
#define VIRTIO_F_INDIRECT_DESC	(1ull << 28)	/* [6]: indirect descriptor tables */
#define VIRTIO_F_VERSION_1	(1ull << 32)
#define VNET_FEATURES		(VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | \
				 VIRTIO_F_INDIRECT_DESC | VIRTIO_F_VERSION_1)

/* struct virtio_net_config [5.1.4] */
#define VNCFG_MAC		0	/* u8[6], valid with VIRTIO_NET_F_MAC */
#define VNCFG_STATUS		6	/* le16, valid with VIRTIO_NET_F_STATUS */
#define VNCFG_MIN_LEN		8
#define VIRTIO_NET_S_LINK_UP	1

/* struct virtio_net_hdr [5.1.6]: with VERSION_1 it always has num_buffers */
#define VNET_HDR_LEN		12

/* ------------------------------------------- split virtqueue [2.4] ---- */

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __packed;
#define VQ_DESC_F_NEXT		1	/* chained to desc.next [2.4.5] */
#define VQ_DESC_F_WRITE		2	/* device writes (receive buffers) */
#define VQ_DESC_F_INDIRECT	4	/* addr/len: a table of descriptors [2.4.5.3] */
#define VQ_USED_F_NO_NOTIFY	1	/* the device: no need to ring [2.4.7] */

struct vq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
} __packed;

struct vq_used_elem {
	uint32_t id;
	uint32_t len;
} __packed;

struct vq_used {
	uint16_t flags;			/* VQ_USED_F_NO_NOTIFY */
	uint16_t idx;
	struct vq_used_elem ring[];
} __packed;

#define VQ_RX			0
#define VQ_TX			1
#define VQ_MAX_SIZE		128	/* we use at most this many entries */
#define VNET_BUF_SIZE		2048	/* header + the largest frame, rounded */
#define VNET_BUFS_PER_PAGE	(PAGE_SIZE / VNET_BUF_SIZE)
#define VNET_RESET_SPINS	1000000
#define VNET_POLL_NS		10000000ull	/* without MSI-X */
#define VNET_MSIX_ENTRY		0
#define VNET_TX_SEGS		8	/* descriptors in a tx slot's indirect table */
#define VNET_TX_COPYBREAK	256	/* shorter fragments are copied anyway */
#define VNET_TX_TABLE_SIZE	(VNET_TX_SEGS * sizeof(struct vq_desc))
#define VNET_TX_TABLES_PER_PAGE	(PAGE_SIZE / VNET_TX_TABLE_SIZE)
#define VNET_RX_POOL		1024	/* rx buffers: the ring's and the spares */

_Static_assert(VNET_HDR_LEN + NETDEV_FRAME_MAX <= VNET_BUF_SIZE, "rx buffer too small");
_Static_assert(VQ_MAX_SIZE * sizeof(struct vq_desc) <= PAGE_SIZE, "desc table > page");
_Static_assert(VNET_RX_POOL > VQ_MAX_SIZE && VNET_RX_POOL <= UINT16_MAX, "rx pool size");
_Static_assert(4 + 2 * VQ_MAX_SIZE + 2 <= PAGE_SIZE, "avail ring > page");
_Static_assert(4 + 8 * VQ_MAX_SIZE + 2 <= PAGE_SIZE, "used ring > page");

struct vq {
	/* set at probe, then read-only */
	uint16_t index, size;
	struct vq_desc *desc;
	struct vq_avail *avail;
	struct vq_used *used;
	volatile uint16_t *doorbell;
	uint8_t *buf[VQ_MAX_SIZE];	/* tx only (rx: vnet.rx_slot) */
	uint64_t buf_pa[VQ_MAX_SIZE];

	/* the owning lock (rx_lock or tx_lock) */
	uint16_t avail_idx;		/* next avail->idx we publish */
	uint16_t last_used;		/* next used entry we look at */
	bool posted[VQ_MAX_SIZE];	/* owned by the device */
	uint16_t free[VQ_MAX_SIZE];	/* tx only: ids we own */
	uint16_t nfree;
	bool broken;			/* the device broke a ring rule */
	/* tx only: each slot's indirect table, and the fragments the device
	 * reads in place through it, reported by tx_done when it comes back */
	struct vq_desc *table[VQ_MAX_SIZE];
	uint64_t table_pa[VQ_MAX_SIZE];
	struct {
		void *ref;
		size_t len;
	} inplace[VQ_MAX_SIZE][VNET_TX_SEGS];
	uint8_t ninplace[VQ_MAX_SIZE];
};

struct vnet {
	/* set at probe, then read-only */
	struct pci_dev *pci;
	volatile uint8_t *common, *isr, *devcfg;
	uint32_t common_len, devcfg_len;
	uint8_t *notify_base;
	uint32_t notify_len, notify_mult;
	uint64_t features;
	int vector;			/* MSI-X vector, -1: polled */
	struct netdev nd;
	struct ktimer poll;

	/* The rx buffer pool: VNET_RX_POOL buffers, set at probe, then
	 * read-only. */
	uint8_t **rxb_va;
	uint64_t *rxb_pa;

	struct mutex rx_lock;
	struct vq rx;
	uint16_t rx_slot[VQ_MAX_SIZE];	/* rx_lock: the buffer each descriptor holds */

	spinlock_t rxpool_lock;
	uint16_t *rx_spare;		/* rxpool_lock: buffers neither posted nor lent */
	unsigned nspare;		/* rxpool_lock */
	bool *rx_lent;			/* rxpool_lock: out on loan to the stack */
	bool rx_bad_return;		/* rxpool_lock: reported once */
	struct mutex tx_lock;
	struct vq tx;
	struct wait_queue tx_wq;	/* transmitters waiting for a slot */
};

/* ------------------------------------------------- register access ---- */

static uint8_t com_rd8(struct vnet *v, unsigned off) { return v->common[off]; }
static uint16_t com_rd16(struct vnet *v, unsigned off)
{ return *(volatile uint16_t *)(v->common + off); }
static uint32_t com_rd32(struct vnet *v, unsigned off)
{ return *(volatile uint32_t *)(v->common + off); }
static void com_wr8(struct vnet *v, unsigned off, uint8_t x) { v->common[off] = x; }
static void com_wr16(struct vnet *v, unsigned off, uint16_t x)
{ *(volatile uint16_t *)(v->common + off) = x; }
static void com_wr32(struct vnet *v, unsigned off, uint32_t x)
{ *(volatile uint32_t *)(v->common + off) = x; }
/* 64-bit fields may be written as two 32-bit halves, low first [4.1.3.1]. */
static void com_wr64(struct vnet *v, unsigned off, uint64_t x)
{
	com_wr32(v, off, (uint32_t)x);
	com_wr32(v, off + 4, (uint32_t)(x >> 32));
}

static void full_barrier(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* ----------------------------------------------------- capabilities ---- */

struct vcap_scan {
	struct vnet *v;
	int err;
};

/* Map the structure a virtio capability points at, after checking that it
 * lies inside a memory BAR.  NULL (with a message) when it does not. */
static void *vcap_map(struct vnet *v, uint8_t cap, uint32_t *len_out)
{
	struct pci_dev *pci = v->pci;
	uint8_t bar = pci_read8(pci, cap + VCAP_BAR);
	uint32_t off = pci_read32(pci, cap + VCAP_OFFSET);
	uint32_t len = pci_read32(pci, cap + VCAP_LENGTH);
	uint8_t *base;

	if (bar >= pci->nbars || pci->bars[bar].is_io || !pci->bars[bar].size ||
	    (uint64_t)off + len > pci->bars[bar].size) {
		kprintf("virtio-net %s: capability at %#x points outside BAR %u "
			"(offset %#x, length %#x)\n", pci->name, cap, bar, off, len);
		return NULL;
	}
	base = pci_bar_map(pci, bar);
	if (!base)
		return NULL;
	*len_out = len;
	return base + off;
}

static int vcap_visit(void *arg, uint8_t cap, uint8_t id)
{
	struct vcap_scan *s = arg;
	struct vnet *v = s->v;
	uint8_t clen, type;
	uint32_t len;
	void *p;

	if (id != PCI_CAP_ID_VNDR)
		return 0;
	clen = pci_read8(v->pci, cap + VCAP_LEN);
	type = pci_read8(v->pci, cap + VCAP_CFG_TYPE);
	if (clen < VCAP_MIN_LEN)
		return 0;			/* not a virtio_pci_cap */
	/* The first capability of each type is the one to use [4.1.4]. */
	switch (type) {
	case VIRTIO_PCI_CAP_COMMON:
		if (v->common)
			return 0;
		p = vcap_map(v, cap, &len);
		if (p && len < VCOM_SIZE) {
			kprintf("virtio-net %s: common config is %u bytes, needs %u\n",
				v->pci->name, len, VCOM_SIZE);
			p = NULL;
		}
		v->common = p;
		v->common_len = len;
		break;
	case VIRTIO_PCI_CAP_NOTIFY:
		if (v->notify_base || clen < VCAP_NOTIFY_MIN_LEN)
			return 0;
		p = vcap_map(v, cap, &len);
		v->notify_base = p;
		v->notify_len = len;
		v->notify_mult = pci_read32(v->pci, cap + VCAP_NOTIFY_MULT);
		break;
	case VIRTIO_PCI_CAP_ISR:
		if (!v->isr)
			v->isr = vcap_map(v, cap, &len);
		break;
	case VIRTIO_PCI_CAP_DEVICE:
		if (v->devcfg)
			return 0;
		v->devcfg = vcap_map(v, cap, &len);
		v->devcfg_len = len;
		break;
	default:
		break;				/* PCI cfg access, shared memory... */
	}
	return 0;
}

static int vnet_find_caps(struct vnet *v)
{
	struct vcap_scan s = { .v = v };

	pci_for_each_capability(v->pci, vcap_visit, &s);
	if (!v->common || !v->notify_base || !v->isr || !v->devcfg) {
		kprintf("virtio-net %s: no modern virtio capabilities (common %s, notify %s, "
			"isr %s, device %s); the legacy transport is not supported\n",
			v->pci->name, v->common ? "ok" : "missing",
			v->notify_base ? "ok" : "missing", v->isr ? "ok" : "missing",
			v->devcfg ? "ok" : "missing");
		return -ENODEV;
	}
	if (v->devcfg_len < VNCFG_MIN_LEN) {
		kprintf("virtio-net %s: device config is %u bytes, needs %u\n", v->pci->name,
			v->devcfg_len, VNCFG_MIN_LEN);
		return -ENODEV;
	}
	return 0;
}

/* ------------------------------------------------ status, features ---- */

static int vnet_reset(struct vnet *v)
{
	com_wr8(v, VCOM_STATUS, 0);
	for (unsigned i = 0; i < VNET_RESET_SPINS; i++)
		if (com_rd8(v, VCOM_STATUS) == 0)
			return 0;
	kprintf("virtio-net %s: device does not reset (status %#x)\n", v->pci->name,
		com_rd8(v, VCOM_STATUS));
	return -EIO;
}

static void vnet_set_status(struct vnet *v, uint8_t bits)
{
	com_wr8(v, VCOM_STATUS, com_rd8(v, VCOM_STATUS) | bits);
}

static int vnet_negotiate(struct vnet *v)
{
	uint64_t dev;

	com_wr32(v, VCOM_DFSELECT, 0);
	dev = com_rd32(v, VCOM_DF);
	com_wr32(v, VCOM_DFSELECT, 1);
	dev |= (uint64_t)com_rd32(v, VCOM_DF) << 32;
	if (!(dev & VIRTIO_F_VERSION_1)) {
		kprintf("virtio-net %s: device lacks VIRTIO_F_VERSION_1 (features %#lx)\n",
			v->pci->name, dev);
		return -ENODEV;
	}
	v->features = dev & VNET_FEATURES;
	com_wr32(v, VCOM_GFSELECT, 0);
	com_wr32(v, VCOM_GF, (uint32_t)v->features);
	com_wr32(v, VCOM_GFSELECT, 1);
	com_wr32(v, VCOM_GF, (uint32_t)(v->features >> 32));
	vnet_set_status(v, VSTAT_FEATURES_OK);
	if (!(com_rd8(v, VCOM_STATUS) & VSTAT_FEATURES_OK)) {
		kprintf("virtio-net %s: device refused features %#lx\n", v->pci->name, v->features);
		return -ENODEV;
	}
	return 0;
}

/* The MAC, read until config_generation holds still [4.1.4.3.1]. */
static void vnet_read_mac(struct vnet *v)
{
	uint8_t gen;

	if (!(v->features & VIRTIO_NET_F_MAC)) {
		/* A locally administered address of our own. */
		static const uint8_t fallback[NETDEV_ETH_ALEN] = { 0x02, 0, 0, 0x48, 0x46, 0x01 };

		memcpy(v->nd.mac, fallback, NETDEV_ETH_ALEN);
		return;
	}
	do {
		gen = com_rd8(v, VCOM_CFG_GEN);
		for (unsigned i = 0; i < NETDEV_ETH_ALEN; i++)
			v->nd.mac[i] = v->devcfg[VNCFG_MAC + i];
	} while (gen != com_rd8(v, VCOM_CFG_GEN));
}

/* ------------------------------------------------------- virtqueues ---- */

static void *alloc_zeroed_page(uint64_t *pa)
{
	void *p;

	*pa = pmm_alloc_page();
	if (!*pa)
		return NULL;
	p = phys_to_virt(*pa);
	memset(p, 0, PAGE_SIZE);
	return p;
}

/* Set up queue @q: size, rings, buffers, vector, doorbell.  Probe only
 * (pci_init_lock held by the PCI core; nothing else sees the device). */
static int vq_setup(struct vnet *v, struct vq *q, uint16_t index, bool use_msix)
{
	uint64_t desc_pa, avail_pa, used_pa, pa = 0;
	uint16_t max, notify_off;
	uint64_t doff;

	com_wr16(v, VCOM_Q_SELECT, index);
	max = com_rd16(v, VCOM_Q_SIZE);
	if (max == 0 || (max & (max - 1))) {
		kprintf("virtio-net %s: queue %u has size %u (needs a power of two > 0)\n",
			v->pci->name, index, max);
		return -ENODEV;
	}
	q->index = index;
	q->size = MIN(max, (uint16_t)VQ_MAX_SIZE);
	q->desc = alloc_zeroed_page(&desc_pa);
	q->avail = alloc_zeroed_page(&avail_pa);
	q->used = alloc_zeroed_page(&used_pa);
	if (!q->desc || !q->avail || !q->used)
		return -ENOMEM;
	for (unsigned i = 0; i < q->size && index == VQ_TX; i++) {
		if (i % VNET_BUFS_PER_PAGE == 0 && !alloc_zeroed_page(&pa))
			return -ENOMEM;
		q->buf_pa[i] = pa + (i % VNET_BUFS_PER_PAGE) * VNET_BUF_SIZE;
		q->buf[i] = phys_to_virt(q->buf_pa[i]);
	}
	notify_off = com_rd16(v, VCOM_Q_NOTIFY_OFF);
	doff = (uint64_t)notify_off * v->notify_mult;
	if (doff + sizeof(uint16_t) > v->notify_len) {
		kprintf("virtio-net %s: queue %u's doorbell at %#lx is outside the notify "
			"area (%u bytes)\n", v->pci->name, index, doff, v->notify_len);
		return -ENODEV;
	}
	q->doorbell = (volatile uint16_t *)(v->notify_base + doff);
	com_wr16(v, VCOM_Q_SIZE, q->size);
	com_wr64(v, VCOM_Q_DESC, desc_pa);
	com_wr64(v, VCOM_Q_AVAIL, avail_pa);
	com_wr64(v, VCOM_Q_USED, used_pa);
	if (use_msix) {
		com_wr16(v, VCOM_Q_MSIX, VNET_MSIX_ENTRY);
		if (com_rd16(v, VCOM_Q_MSIX) != VNET_MSIX_ENTRY)
			return -ENOSPC;		/* the caller falls back to polling */
	}
	com_wr16(v, VCOM_Q_ENABLE, 1);
	return 0;
}

/* The tx queue's indirect tables.  Probe only. */
static int vq_alloc_tables(struct vq *q)
{
	uint64_t pa = 0;
	uint8_t *page = NULL;

	for (unsigned i = 0; i < q->size; i++) {
		if (i % VNET_TX_TABLES_PER_PAGE == 0 && !(page = alloc_zeroed_page(&pa)))
			return -ENOMEM;
		q->table_pa[i] = pa + (i % VNET_TX_TABLES_PER_PAGE) * VNET_TX_TABLE_SIZE;
		q->table[i] = (struct vq_desc *)(page + (i % VNET_TX_TABLES_PER_PAGE) *
						 VNET_TX_TABLE_SIZE);
	}
	return 0;
}

/*
 * Ring the queue's doorbell, unless the device has asked not to be
 * notified (VQ_USED_F_NO_NOTIFY in the used ring's flags [2.4.7.2]):
 * QEMU sets it while it is already working through the queue and looks
 * at the avail ring again before it clears it, so the new entries are
 * seen either way.  Under TCG a doorbell is an exit into QEMU that waits
 * for its big lock; a transmit-heavy run (the ACKs of an NBD WRITE) left
 * out most of them.  The caller holds the queue's lock.
 */
static void vq_notify(struct vq *q, struct netdev_kicks *k)
{
	full_barrier();			/* ring writes before the flag is read [2.4.7.2] */
	if (READ_ONCE(q->used->flags) & VQ_USED_F_NO_NOTIFY) {
		k->left_out++;
		return;
	}
	*q->doorbell = q->index;
	k->rung++;
}

/* Put descriptor @id in the avail ring (published by vq_publish). */
static void vq_post(struct vq *q, uint16_t id)
{
	q->posted[id] = true;
	q->avail->ring[q->avail_idx % q->size] = id;
	q->avail_idx++;
}

static void vq_publish(struct vq *q)
{
	barrier();			/* x86: stores are seen in order */
	WRITE_ONCE(q->avail->idx, q->avail_idx);
}

/*
 * The next used element, checked; false when there is none.  A device
 * that moves used->idx more than a queue ahead, or returns an id it does
 * not own, breaks the queue: it is reported once and not read again.
 */
static bool vq_next_used(struct vnet *v, struct vq *q, uint16_t *id, uint32_t *len)
{
	uint16_t used_idx;
	struct vq_used_elem e;

	if (q->broken)
		return false;
	used_idx = READ_ONCE(q->used->idx);
	if (used_idx == q->last_used)
		return false;
	if ((uint16_t)(used_idx - q->last_used) > q->size) {
		kprintf("virtio-net %s: queue %u: used index %u is more than %u ahead of %u; "
			"queue stopped\n", v->pci->name, q->index, used_idx, q->size, q->last_used);
		q->broken = true;
		return false;
	}
	barrier();			/* the index before the element */
	e = q->used->ring[q->last_used % q->size];
	q->last_used++;
	if (e.id >= q->size || !q->posted[e.id]) {
		kprintf("virtio-net %s: queue %u: used id %u was not posted (size %u); "
			"queue stopped\n", v->pci->name, q->index, e.id, q->size);
		q->broken = true;
		return false;
	}
	q->posted[e.id] = false;
	*id = (uint16_t)e.id;
	*len = e.len;
	return true;
}

/* ------------------------------------------------------------ receive ---- */

/* The rx buffer pool, once (a second queue set-up keeps it).  Probe only. */
static int rx_pool_alloc(struct vnet *v)
{
	uint64_t pa = 0;

	if (v->rxb_va)
		return 0;
	v->rxb_va = kzalloc(VNET_RX_POOL * sizeof(*v->rxb_va));
	v->rxb_pa = kzalloc(VNET_RX_POOL * sizeof(*v->rxb_pa));
	v->rx_spare = kzalloc(VNET_RX_POOL * sizeof(*v->rx_spare));
	v->rx_lent = kzalloc(VNET_RX_POOL * sizeof(*v->rx_lent));
	if (!v->rxb_va || !v->rxb_pa || !v->rx_spare || !v->rx_lent)
		return -ENOMEM;
	for (unsigned i = 0; i < VNET_RX_POOL; i++) {
		if (i % VNET_BUFS_PER_PAGE == 0 && !alloc_zeroed_page(&pa))
			return -ENOMEM;
		v->rxb_pa[i] = pa + (i % VNET_BUFS_PER_PAGE) * VNET_BUF_SIZE;
		v->rxb_va[i] = phys_to_virt(v->rxb_pa[i]);
	}
	return 0;
}

/* Give rx descriptor @id pool buffer @b (posted later).  rx_lock held. */
static void rx_slot_set(struct vnet *v, uint16_t id, uint16_t b)
{
	v->rx_slot[id] = b;
	v->rx.desc[id] = (struct vq_desc){ .addr = v->rxb_pa[b], .len = VNET_BUF_SIZE,
					   .flags = VQ_DESC_F_WRITE };
}

/*
 * Lend buffer @b (just filled by the device) to the stack: returns the
 * spare that takes its place in the ring, or -1 when there is none (no
 * spare left, or rx_loan_limit buffers already out): then @b is not lent.
 */
static int rx_lend(struct vnet *v, uint16_t b)
{
	unsigned long f;
	int spare = -1;

	if (__atomic_load_n(&v->nd.rx_on_loan, __ATOMIC_RELAXED) >=
	    __atomic_load_n(&v->nd.rx_loan_limit, __ATOMIC_RELAXED))
		return -1;
	f = spin_lock_irqsave(&v->rxpool_lock);
	if (v->nspare) {
		spare = v->rx_spare[--v->nspare];
		v->rx_lent[b] = true;
		__atomic_fetch_add(&v->nd.rx_on_loan, 1, __ATOMIC_RELAXED);
	}
	spin_unlock_irqrestore(&v->rxpool_lock, f);
	return spare;
}

/* ops->rx_return: lent buffer @loan is a spare again.  Any thread, never
 * sleeps.  A buffer that is not out on loan is reported (once) and
 * ignored: taking it would put one buffer in the ring twice. */
static void vnet_rx_return(struct netdev *nd, int loan)
{
	struct vnet *v = nd->priv;
	unsigned long f = spin_lock_irqsave(&v->rxpool_lock);
	bool say = false;

	if (loan >= 0 && loan < VNET_RX_POOL && v->rx_lent[loan]) {
		v->rx_lent[loan] = false;
		v->rx_spare[v->nspare++] = (uint16_t)loan;
		__atomic_fetch_sub(&v->nd.rx_on_loan, 1, __ATOMIC_RELAXED);
	} else {
		say = !v->rx_bad_return;
		v->rx_bad_return = true;
	}
	spin_unlock_irqrestore(&v->rxpool_lock, f);
	if (say)
		kprintf("virtio-net %s: rx buffer %d given back but not on loan; ignored\n",
			v->pci->name, loan);
}

static unsigned vnet_rx_poll(struct netdev *nd, unsigned budget,
			     void (*deliver)(void *, const struct netdev_rx *), void *arg)
{
	struct vnet *v = nd->priv;
	struct vq *q = &v->rx;
	unsigned n = 0;
	bool reposted = false;
	uint16_t id;
	uint32_t len;

	mutex_lock(&v->rx_lock);
	while (n < budget && vq_next_used(v, q, &id, &len)) {
		if (len < VNET_HDR_LEN + NETDEV_FRAME_MIN || len > VNET_HDR_LEN + NETDEV_FRAME_MAX) {
			if (!nd->stats.rx_errors)
				kprintf("virtio-net %s: received length %u (want %u..%u); "
					"dropped\n", v->pci->name, len,
					VNET_HDR_LEN + NETDEV_FRAME_MIN,
					VNET_HDR_LEN + NETDEV_FRAME_MAX);
			nd->stats.rx_errors++;
		} else {
			uint16_t b = v->rx_slot[id];
			int spare = rx_lend(v, b);
			struct netdev_rx rx = { .data = v->rxb_va[b] + VNET_HDR_LEN,
						.len = len - VNET_HDR_LEN,
						.loan = spare >= 0 ? b : -1 };

			if (spare >= 0)
				rx_slot_set(v, id, (uint16_t)spare);
			else
				nd->stats.rx_loan_dry++;
			deliver(arg, &rx);
			nd->stats.rx_packets++;
			nd->stats.rx_bytes += len - VNET_HDR_LEN;
			n++;
		}
		vq_post(q, id);
		reposted = true;
	}
	if (reposted) {
		vq_publish(q);
		vq_notify(q, &nd->stats.rx_kicks);
	}
	mutex_unlock(&v->rx_lock);
	return n;
}

/* ----------------------------------------------------------- transmit ---- */

/* Take back the tx slots the device is done with, and report the
 * fragments it read in place (their memory may change owner now).
 * tx_lock held. */
static void tx_reclaim(struct vnet *v)
{
	struct vq *q = &v->tx;
	uint16_t id;
	uint32_t len;

	assert_held(&v->tx_lock);
	while (vq_next_used(v, q, &id, &len)) {
		for (unsigned i = 0; i < q->ninplace[id]; i++)
			netdev_tx_done(&v->nd, q->inplace[id][i].ref, q->inplace[id][i].len, true);
		q->ninplace[id] = 0;
		q->free[q->nfree++] = id;
	}
}

static void vnet_tx_reclaim(struct netdev *nd)
{
	struct vnet *v = nd->priv;

	mutex_lock(&v->tx_lock);
	tx_reclaim(v);
	mutex_unlock(&v->tx_lock);
}

static bool tx_slot(struct vnet *v)
{
	tx_reclaim(v);
	return v->tx.nfree > 0 || v->tx.broken;
}

static bool tx_inplace(const struct netdev_frag *f)
{
	return f->ref && f->pa && f->len >= VNET_TX_COPYBREAK;
}

/* How many descriptors the frame takes: one per fragment read in place,
 * one per run of copied bytes between them (the header opens the first). */
static unsigned tx_segs(const struct netdev_frag *frags, unsigned n)
{
	unsigned segs = 0;
	bool in_run = true;		/* the virtio-net header */

	for (unsigned i = 0; i < n; i++) {
		if (tx_inplace(&frags[i])) {
			segs += 1 + in_run;
			in_run = false;
		} else {
			in_run = true;
		}
	}
	return segs + in_run;
}

static void tx_table_add(struct vq_desc *t, unsigned *k, uint64_t pa, size_t len)
{
	if (*k)
		t[*k - 1].flags = VQ_DESC_F_NEXT;
	t[*k] = (struct vq_desc){ .addr = pa, .len = (uint32_t)len, .flags = 0,
				  .next = (uint16_t)(*k + 1) };
	++*k;
}

/*
 * Fill slot @id with the frame: copied runs in the slot's buffer, the
 * other fragments by address in its indirect table (when @inplace).
 * Sets the ring descriptor to the buffer or the table.  tx_lock held.
 */
static void tx_fill(struct vnet *v, uint16_t id, const struct netdev_frag *frags, unsigned n,
		    bool inplace)
{
	struct vq *q = &v->tx;
	struct netdev_stats *st = &v->nd.stats;
	uint8_t *buf = q->buf[id];
	size_t off = VNET_HDR_LEN, run = 0;
	unsigned k = 0;

	memset(buf, 0, VNET_HDR_LEN);
	q->ninplace[id] = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct netdev_frag *f = &frags[i];

		if (inplace && tx_inplace(f)) {
			if (off > run)
				tx_table_add(q->table[id], &k, q->buf_pa[id] + run, off - run);
			run = off;
			tx_table_add(q->table[id], &k, f->pa, f->len);
			q->inplace[id][q->ninplace[id]].ref = f->ref;
			q->inplace[id][q->ninplace[id]].len = f->len;
			q->ninplace[id]++;
			st->tx_ref_frags++;
			st->tx_ref_bytes += f->len;
			continue;
		}
		memcpy(buf + off, f->data, f->len);
		off += f->len;
		st->tx_copied_bytes += f->len;
		netdev_tx_done(&v->nd, f->ref, f->len, false);
	}
	if (!k) {
		q->desc[id] = (struct vq_desc){ .addr = q->buf_pa[id], .len = (uint32_t)off };
		return;
	}
	if (off > run)
		tx_table_add(q->table[id], &k, q->buf_pa[id] + run, off - run);
	q->desc[id] = (struct vq_desc){ .addr = q->table_pa[id],
					.len = (uint32_t)(k * sizeof(struct vq_desc)),
					.flags = VQ_DESC_F_INDIRECT };
}

/* Report every ref of a frame that is not sent at all. */
static void tx_drop_refs(struct vnet *v, const struct netdev_frag *frags, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		netdev_tx_done(&v->nd, frags[i].ref, frags[i].len, false);
}

static int vnet_xmit(struct netdev *nd, const struct netdev_frag *frags, unsigned n)
{
	struct vnet *v = nd->priv;
	struct vq *q = &v->tx;
	size_t total = 0;
	bool inplace;
	uint16_t id;

	for (unsigned i = 0; i < n; i++)
		total += frags[i].len;
	mutex_lock(&v->tx_lock);
	if (total < NETDEV_FRAME_MIN || total > NETDEV_FRAME_MAX) {
		nd->stats.tx_errors++;
		tx_drop_refs(v, frags, n);
		mutex_unlock(&v->tx_lock);
		return -EINVAL;
	}
	if (!tx_slot(v)) {
		/* The interrupt of a completed transmit wakes tx_wq. */
		mutex_unlock(&v->tx_lock);
		wait_event_timeout(&v->tx_wq, READ_ONCE(q->used->idx) != READ_ONCE(q->last_used),
				   NETDEV_XMIT_WAIT_NS);
		mutex_lock(&v->tx_lock);
		if (!tx_slot(v)) {
			nd->stats.tx_drops++;
			tx_drop_refs(v, frags, n);
			mutex_unlock(&v->tx_lock);
			return -EAGAIN;
		}
	}
	if (q->broken) {
		nd->stats.tx_errors++;
		tx_drop_refs(v, frags, n);
		mutex_unlock(&v->tx_lock);
		return -EIO;
	}
	id = q->free[--q->nfree];
	inplace = q->table[id] && tx_segs(frags, n) <= VNET_TX_SEGS;
	tx_fill(v, id, frags, n, inplace);
	vq_post(q, id);
	vq_publish(q);
	vq_notify(q, &nd->stats.tx_kicks);
	nd->stats.tx_packets++;
	nd->stats.tx_bytes += total;
	mutex_unlock(&v->tx_lock);
	return 0;
}

/* ------------------------------------------------- link, interrupts ---- */

static bool vnet_link_up(struct netdev *nd)
{
	struct vnet *v = nd->priv;

	if (!(v->features & VIRTIO_NET_F_STATUS))
		return true;		/* no status field: assume up [5.1.4.2] */
	return *(volatile uint16_t *)(v->devcfg + VNCFG_STATUS) & VIRTIO_NET_S_LINK_UP;
}

static void vnet_kick_waiters(struct vnet *v)
{
	__atomic_fetch_add(&v->nd.irqs, 1, __ATOMIC_RELAXED);
	netdev_wake(&v->nd);
	wake_up_all(&v->tx_wq);
}

static void vnet_irq(struct trap_frame *tf, void *ctx)
{
	(void)tf;
	vnet_kick_waiters(ctx);
}

static void vnet_poll_timer(void *arg)
{
	struct vnet *v = arg;

	vnet_kick_waiters(v);
	ktimer_arm(&v->poll, time_ns() + VNET_POLL_NS);
}

static const struct netdev_ops vnet_ops = {
	.xmit = vnet_xmit,
	.rx_poll = vnet_rx_poll,
	.rx_return = vnet_rx_return,
	.link_up = vnet_link_up,
	.tx_reclaim = vnet_tx_reclaim,
};

/* --------------------------------------------------------------- probe ---- */

static int vnet_setup_queues(struct vnet *v, bool use_msix)
{
	int err = vq_setup(v, &v->rx, VQ_RX, use_msix);

	if (!err)
		err = vq_setup(v, &v->tx, VQ_TX, use_msix);
	return err;
}

static int vnet_start(struct vnet *v)
{
	int vec = -1, err;
	bool msix = false;

	err = vnet_reset(v);
	if (err)
		return err;
	vnet_set_status(v, VSTAT_ACKNOWLEDGE | VSTAT_DRIVER);
	err = vnet_negotiate(v);
	if (err)
		return err;
	if (com_rd16(v, VCOM_NUM_QUEUES) < 2) {
		kprintf("virtio-net %s: device has %u queues, needs 2\n", v->pci->name,
			com_rd16(v, VCOM_NUM_QUEUES));
		return -ENODEV;
	}
	if (pci_msix_table_size(v->pci) > VNET_MSIX_ENTRY) {
		vec = irq_alloc_vector(vnet_irq, v, "virtio-net");
		if (vec >= 0 && !pci_msix_enable(v->pci, VNET_MSIX_ENTRY, (uint8_t)vec, lapic_id())) {
			com_wr16(v, VCOM_MSIX_CONFIG, VNET_MSIX_ENTRY);
			msix = com_rd16(v, VCOM_MSIX_CONFIG) == VNET_MSIX_ENTRY;
		}
	}
	err = vnet_setup_queues(v, msix);
	if (err == -ENOSPC) {
		kprintf("virtio-net %s: device refused MSI-X vector %u; polling\n", v->pci->name,
			VNET_MSIX_ENTRY);
		pci_msix_disable(v->pci);
		msix = false;
		err = vnet_setup_queues(v, false);
	}
	if (!err && (v->features & VIRTIO_F_INDIRECT_DESC))
		err = vq_alloc_tables(&v->tx);
	if (!err)
		err = rx_pool_alloc(v);
	if (err)
		return err;
	v->vector = msix ? vec : -1;
	v->nd.irq_mode = msix ? "MSI-X" : "polled";

	/* Buffers 0..size-1 in the ring, the rest spares. */
	for (uint16_t i = 0; i < v->rx.size; i++) {
		rx_slot_set(v, i, i);
		vq_post(&v->rx, i);
	}
	vq_publish(&v->rx);
	v->nspare = 0;
	for (unsigned b = VNET_RX_POOL; b-- > v->rx.size;)
		v->rx_spare[v->nspare++] = (uint16_t)b;
	v->nd.rx_loan_max = VNET_RX_POOL;
	for (uint16_t i = 0; i < v->tx.size; i++)
		v->tx.free[v->tx.nfree++] = i;
	vnet_set_status(v, VSTAT_DRIVER_OK);
	if (com_rd8(v, VCOM_STATUS) & (VSTAT_NEEDS_RESET | VSTAT_FAILED)) {
		kprintf("virtio-net %s: device status %#x after DRIVER_OK\n", v->pci->name,
			com_rd8(v, VCOM_STATUS));
		return -EIO;
	}
	vq_notify(&v->rx, &v->nd.stats.rx_kicks);
	if (!msix)
		ktimer_arm(&v->poll, time_ns() + VNET_POLL_NS);
	return 0;
}

static int vnet_probe(struct pci_dev *pci)
{
	struct vnet *v = kzalloc(sizeof(*v));
	int err;

	if (!v)
		return -ENOMEM;
	v->pci = pci;
	v->vector = -1;
	mutex_init(&v->rx_lock, "vnet_rx");
	spin_lock_init(&v->rxpool_lock, "vnet_rxpool");
	mutex_init(&v->tx_lock, "vnet_tx");
	wait_queue_init(&v->tx_wq);
	ktimer_init(&v->poll, vnet_poll_timer, v);
	v->nd.device = pci->name;
	v->nd.driver = "virtio-net";
	v->nd.ops = &vnet_ops;
	v->nd.priv = v;
	pci_enable_memory(pci);
	pci_enable_bus_master(pci);
	err = vnet_find_caps(v);
	if (!err)
		err = vnet_start(v);
	if (err) {
		/* Its rings and buffers stay allocated: the device may still
		 * point at them until the reset, and after it they are tiny. */
		if (v->common)
			com_wr8(v, VCOM_STATUS, VSTAT_FAILED);
		pci_set_command(pci, 0, PCI_CMD_MASTER);
		kprintf("virtio-net %s: not used (error %d)\n", pci->name, err);
		return err;
	}
	vnet_read_mac(v);
	err = netdev_register(&v->nd);
	if (err)
		return err;
	pci->driver_data = v;
	kprintf("net: %s: virtio-net %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, %s, "
		"queues %u/%u, %u rx buffers, link %s\n", v->nd.name, pci->name, v->nd.mac[0],
		v->nd.mac[1], v->nd.mac[2], v->nd.mac[3], v->nd.mac[4], v->nd.mac[5],
		v->nd.irq_mode, v->rx.size, v->tx.size, VNET_RX_POOL,
		vnet_link_up(&v->nd) ? "up" : "down");
	return 0;
}

static const struct pci_id vnet_ids[] = {
	PCI_ID(VIRTIO_VENDOR, VIRTIO_DEV_NET_TRANS),
	PCI_ID(VIRTIO_VENDOR, VIRTIO_DEV_NET_MODERN),
	{ 0 },
};

static const struct pci_driver vnet_driver = {
	.name = "virtio-net",
	.ids = vnet_ids,
	.probe = vnet_probe,
};
PCI_DRIVER(vnet_driver);
