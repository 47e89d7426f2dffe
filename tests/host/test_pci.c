/*
 * test_pci.c - host tests of drivers/pci/decode.c over fake config
 * spaces: header decoding, BAR sizing (32/64-bit memory, 16/32-bit I/O,
 * unimplemented, and garbage read-backs), capability walks (good lists,
 * loops, pointers out of range, the longest possible list) and driver ID
 * matching.  Messages about bad values are checked in the captured log.
 * Also the names the driver gives lspci (drivers/pci/names.c).
 */
#include <lib/ktest.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <drivers/pci.h>
#include "../../drivers/pci/decode.h"	/* the driver's private half, on purpose */
#include "kprintf_host.h"

#define CMD_DECODE	(PCI_CMD_IO | PCI_CMD_MEMORY)

/*
 * One fake function.  A BAR register reads back `probe[i]` after all-ones
 * is written to it (the device's answer to sizing) and stores any other
 * value as written.
 */
struct fake_fn {
	uint8_t cfg[PCI_CFG_SIZE];
	uint32_t probe[PCI_MAX_BARS];
	unsigned bar_writes_decoding;	/* BAR writes while decoding was on */
	unsigned cmd_writes;
};

static uint32_t get(const struct fake_fn *f, uint16_t off, unsigned size)
{
	uint32_t v = 0;

	memcpy(&v, f->cfg + off, size);
	return v;
}

static void put(struct fake_fn *f, uint16_t off, unsigned size, uint32_t v)
{
	memcpy(f->cfg + off, &v, size);
}

static uint32_t fake_read(void *ctx, uint16_t off, unsigned size)
{
	struct fake_fn *f = ctx;

	if (off + size > PCI_CFG_SIZE)
		return 0xFFFFFFFF;
	return get(f, off, size);
}

static void fake_write(void *ctx, uint16_t off, unsigned size, uint32_t val)
{
	struct fake_fn *f = ctx;
	unsigned bar = (off - PCI_BAR0) / 4;

	if (off + size > PCI_CFG_SIZE)
		return;
	if (off == PCI_COMMAND)
		f->cmd_writes++;
	if (off >= PCI_BAR0 && bar < PCI_MAX_BARS) {
		if (get(f, PCI_COMMAND, 2) & CMD_DECODE)
			f->bar_writes_decoding++;
		put(f, off, 4, val == 0xFFFFFFFF ? f->probe[bar] : val);
		return;
	}
	put(f, off, size, val);
}

static struct fake_fn fn;
static struct pci_dev dev;
static const struct pci_cfg_io io = {
	.read = fake_read, .write = fake_write, .ctx = &fn, .name = "0000:00:05.0",
};

/* A present function of header type @type with decoding on. */
static void fake_reset(uint8_t type)
{
	memset(&fn, 0, sizeof(fn));
	memset(&dev, 0, sizeof(dev));
	put(&fn, PCI_VENDOR_ID, 2, 0x1234);
	put(&fn, PCI_DEVICE_ID, 2, 0x11e8);
	put(&fn, PCI_HEADER_TYPE, 1, type);
	put(&fn, PCI_COMMAND, 2, PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_MASTER);
	dev.header_type = type & PCI_HEADER_LAYOUT_MASK;
	dev.nbars = pci_header_bars(dev.header_type);
	host_log_clear();
}

static void fake_bar(unsigned i, uint32_t value, uint32_t probe)
{
	put(&fn, PCI_BAR0 + i * 4, 4, value);
	fn.probe[i] = probe;
}

/* ---------------------------------------------------------- header ---- */

KTEST(pci_decode, header_of_a_device)
{
	fake_reset(PCI_HEADER_NORMAL | PCI_HEADER_MULTIFUNCTION);
	put(&fn, PCI_REVISION_ID, 4, 0x00FF0010);	/* class 00, subclass ff, rev 10 */
	put(&fn, PCI_INTERRUPT_PIN, 1, 1);
	put(&fn, PCI_INTERRUPT_LINE, 1, 11);
	ASSERT_OK(t, pci_decode_header(&io, &dev));
	EXPECT_EQ(t, dev.vendor, 0x1234);
	EXPECT_EQ(t, dev.device, 0x11e8);
	EXPECT_EQ(t, dev.class, 0x00);
	EXPECT_EQ(t, dev.subclass, 0xFF);
	EXPECT_EQ(t, dev.prog_if, 0x00);
	EXPECT_EQ(t, dev.revision, 0x10);
	EXPECT_EQ(t, dev.header_type, PCI_HEADER_NORMAL);
	EXPECT_TRUE(t, dev.multifunction);
	EXPECT_EQ(t, dev.nbars, 6);
	EXPECT_EQ(t, dev.irq_pin, 1);
	EXPECT_EQ(t, dev.irq_line, 11);
	EXPECT_STREQ(t, host_log, "");
}

KTEST(pci_decode, header_of_a_bridge)
{
	fake_reset(PCI_HEADER_BRIDGE);
	put(&fn, PCI_SECONDARY_BUS, 1, 2);
	put(&fn, PCI_SUBORDINATE_BUS, 1, 5);
	ASSERT_OK(t, pci_decode_header(&io, &dev));
	EXPECT_EQ(t, dev.header_type, PCI_HEADER_BRIDGE);
	EXPECT_FALSE(t, dev.multifunction);
	EXPECT_EQ(t, dev.nbars, 2);
	EXPECT_EQ(t, dev.sec_bus, 2);
	EXPECT_EQ(t, dev.sub_bus, 5);
}

KTEST(pci_decode, absent_function)
{
	fake_reset(PCI_HEADER_NORMAL);
	put(&fn, PCI_VENDOR_ID, 2, 0xFFFF);
	EXPECT_ERR(t, pci_decode_header(&io, &dev), -ENODEV);
	put(&fn, PCI_VENDOR_ID, 2, 0);
	EXPECT_ERR(t, pci_decode_header(&io, &dev), -ENODEV);
	EXPECT_STREQ(t, host_log, "");
}

KTEST(pci_decode, bad_header_type_reported)
{
	fake_reset(0x85);
	EXPECT_ERR(t, pci_decode_header(&io, &dev), -EINVAL);
	EXPECT_NOT_NULL(t, strstr(host_log, "0000:00:05.0: header type 0x85"));
	fake_reset(0x7F);
	EXPECT_ERR(t, pci_decode_header(&io, &dev), -EINVAL);
}

KTEST(pci_decode, bad_interrupt_pin_ignored)
{
	fake_reset(PCI_HEADER_NORMAL);
	put(&fn, PCI_INTERRUPT_PIN, 1, 9);
	ASSERT_OK(t, pci_decode_header(&io, &dev));
	EXPECT_EQ(t, dev.irq_pin, 0);
	EXPECT_NOT_NULL(t, strstr(host_log, "interrupt pin 9"));
}

/* ------------------------------------------------------------ BARs ---- */

KTEST(pci_decode, bar_mem32)
{
	fake_reset(PCI_HEADER_NORMAL);
	fake_bar(0, 0xFEA00000, 0xFFF00000);
	pci_size_bars(&io, &dev);
	EXPECT_EQ(t, dev.bars[0].base, 0xFEA00000);
	EXPECT_EQ(t, dev.bars[0].size, 0x100000);
	EXPECT_FALSE(t, dev.bars[0].is_io);
	EXPECT_FALSE(t, dev.bars[0].is_64);
	EXPECT_FALSE(t, dev.bars[0].prefetchable);
	for (unsigned i = 1; i < PCI_MAX_BARS; i++)
		EXPECT_EQ(t, dev.bars[i].size, 0);
	EXPECT_EQ(t, get(&fn, PCI_BAR0, 4), 0xFEA00000);	/* restored */
	EXPECT_EQ(t, fn.bar_writes_decoding, 0);
	EXPECT_EQ(t, get(&fn, PCI_COMMAND, 2), PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_MASTER);
	EXPECT_STREQ(t, host_log, "");
}

KTEST(pci_decode, bar_mem64_prefetchable_4g)
{
	uint32_t lo = PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH;

	fake_reset(PCI_HEADER_NORMAL);
	fake_bar(2, lo, lo);			/* address bits 31:4 do not decode */
	fake_bar(3, 0x8, 0xFFFFFFFF);		/* base 0x8_0000_0000 */
	fake_bar(4, 0xC001, 0xFFFFFF01);	/* 256 bytes of I/O after it */
	pci_size_bars(&io, &dev);
	EXPECT_EQ(t, dev.bars[2].base, 0x800000000ull);
	EXPECT_EQ(t, dev.bars[2].size, 0x100000000ull);
	EXPECT_TRUE(t, dev.bars[2].is_64);
	EXPECT_TRUE(t, dev.bars[2].prefetchable);
	EXPECT_EQ(t, dev.bars[3].size, 0);	/* the upper half */
	EXPECT_TRUE(t, dev.bars[4].is_io);
	EXPECT_EQ(t, dev.bars[4].base, 0xC000);
	EXPECT_EQ(t, dev.bars[4].size, 256);
	EXPECT_EQ(t, get(&fn, PCI_BAR0 + 8, 4), lo);
	EXPECT_EQ(t, get(&fn, PCI_BAR0 + 12, 4), 0x8);
}

KTEST(pci_decode, bar_mem64_small)
{
	fake_reset(PCI_HEADER_NORMAL);
	fake_bar(0, 0xFE000000 | PCI_BAR_MEM_TYPE_64, 0xFFFFC000 | PCI_BAR_MEM_TYPE_64);
	fake_bar(1, 0, 0xFFFFFFFF);
	EXPECT_EQ(t, pci_size_bar(&io, 0, 6, &dev.bars[0]), 2);
	EXPECT_EQ(t, dev.bars[0].base, 0xFE000000);
	EXPECT_EQ(t, dev.bars[0].size, 0x4000);
	EXPECT_TRUE(t, dev.bars[0].is_64);
}

KTEST(pci_decode, bar_io_16bit_decoder)
{
	fake_reset(PCI_HEADER_NORMAL);
	fake_bar(1, 0xC041, 0x0000FFE1);	/* the upper half reads 0 */
	EXPECT_EQ(t, pci_size_bar(&io, 1, 6, &dev.bars[1]), 1);
	EXPECT_TRUE(t, dev.bars[1].is_io);
	EXPECT_EQ(t, dev.bars[1].base, 0xC040);
	EXPECT_EQ(t, dev.bars[1].size, 32);
	EXPECT_STREQ(t, host_log, "");
}

KTEST(pci_decode, bar_unimplemented)
{
	fake_reset(PCI_HEADER_NORMAL);
	EXPECT_EQ(t, pci_size_bar(&io, 0, 6, &dev.bars[0]), 1);
	EXPECT_EQ(t, dev.bars[0].size, 0);
	fake_bar(0, PCI_BAR_MEM_TYPE_64, PCI_BAR_MEM_TYPE_64);	/* 64-bit, nothing decodes */
	EXPECT_EQ(t, pci_size_bar(&io, 0, 6, &dev.bars[0]), 2);
	EXPECT_EQ(t, dev.bars[0].size, 0);
	fake_bar(0, PCI_BAR_IO, PCI_BAR_IO);
	EXPECT_EQ(t, pci_size_bar(&io, 0, 6, &dev.bars[0]), 1);
	EXPECT_EQ(t, dev.bars[0].size, 0);
	EXPECT_STREQ(t, host_log, "");
}

KTEST(pci_decode, bar_size_not_power_of_two)
{
	fake_reset(PCI_HEADER_NORMAL);
	fake_bar(0, 0xFEA00000, 0xFFF00F00);	/* holes in the writable bits */
	EXPECT_ERR(t, pci_size_bar(&io, 0, 6, &dev.bars[0]), -EINVAL);
	EXPECT_EQ(t, dev.bars[0].size, 0);
	EXPECT_NOT_NULL(t, strstr(host_log, "0000:00:05.0: BAR0 memory size read-back is not a power of two"));
	EXPECT_NOT_NULL(t, strstr(host_log, "0xfffffffffff00f00"));
	EXPECT_EQ(t, get(&fn, PCI_BAR0, 4), 0xFEA00000);	/* still restored */
	host_log_clear();
	fake_bar(3, 0x1001, 0xFFFF0F01);
	EXPECT_ERR(t, pci_size_bar(&io, 3, 6, &dev.bars[3]), -EINVAL);
	EXPECT_NOT_NULL(t, strstr(host_log, "BAR3 I/O size"));
}

KTEST(pci_decode, bar_bad_types_and_places)
{
	fake_reset(PCI_HEADER_NORMAL);
	fake_bar(5, PCI_BAR_MEM_TYPE_64, 0xFFF00000 | PCI_BAR_MEM_TYPE_64);
	EXPECT_ERR(t, pci_size_bar(&io, 5, 6, &dev.bars[5]), -EINVAL);
	EXPECT_NOT_NULL(t, strstr(host_log, "BAR5 is 64-bit but is the last slot"));
	fake_bar(0, PCI_BAR_MEM_TYPE_RSVD, 0xFFF00000 | PCI_BAR_MEM_TYPE_RSVD);
	EXPECT_ERR(t, pci_size_bar(&io, 0, 6, &dev.bars[0]), -EINVAL);
	EXPECT_NOT_NULL(t, strstr(host_log, "BAR0 has the reserved memory type"));
	fake_bar(1, 0xFEA80000, 0xFFF00000);	/* base not a multiple of 1 MiB */
	EXPECT_ERR(t, pci_size_bar(&io, 1, 6, &dev.bars[1]), -EINVAL);
	EXPECT_NOT_NULL(t, strstr(host_log, "BAR1 base is not aligned to its size (0xfea80000)"));
	EXPECT_EQ(t, dev.bars[1].size, 0);
}

KTEST(pci_decode, bad_bar_does_not_stop_the_others)
{
	fake_reset(PCI_HEADER_NORMAL);
	fake_bar(0, 0xFEA00000, 0xFFF0F000);
	fake_bar(1, 0xFEB00000, 0xFFFFF000);
	pci_size_bars(&io, &dev);
	EXPECT_EQ(t, dev.bars[0].size, 0);
	EXPECT_EQ(t, dev.bars[1].size, 0x1000);
}

KTEST(pci_decode, bridge_has_two_bars)
{
	fake_reset(PCI_HEADER_BRIDGE);
	fake_bar(0, 0xFEA00000, 0xFFFFF000);
	fake_bar(2, 0x00050400, 0xFFFFFFFF);	/* bus numbers in a bridge, not a BAR */
	pci_size_bars(&io, &dev);
	EXPECT_EQ(t, dev.bars[0].size, 0x1000);
	EXPECT_EQ(t, dev.bars[2].size, 0);
	EXPECT_EQ(t, get(&fn, PCI_BAR0 + 8, 4), 0x00050400);	/* untouched */
}

KTEST(pci_decode, host_bridge_keeps_decoding)
{
	fake_reset(PCI_HEADER_NORMAL);
	dev.class = PCI_CLASS_BRIDGE;
	dev.subclass = PCI_SUBCLASS_HOST;
	fake_bar(0, 0xFEA00000, 0xFFFFF000);
	pci_size_bars(&io, &dev);
	EXPECT_EQ(t, fn.cmd_writes, 0);
	EXPECT_EQ(t, dev.bars[0].size, 0x1000);
}

KTEST(pci_decode, decoding_off_only_when_it_was_on)
{
	fake_reset(PCI_HEADER_NORMAL);
	put(&fn, PCI_COMMAND, 2, PCI_CMD_MASTER);
	fake_bar(0, 0xFEA00000, 0xFFFFF000);
	pci_size_bars(&io, &dev);
	EXPECT_EQ(t, fn.cmd_writes, 0);
	fake_reset(PCI_HEADER_NORMAL);
	fake_bar(0, 0xFEA00000, 0xFFFFF000);
	pci_size_bars(&io, &dev);
	EXPECT_EQ(t, fn.cmd_writes, 2);		/* off, then back on */
	EXPECT_EQ(t, fn.bar_writes_decoding, 0);
}

/* ---------------------------------------------------- capabilities ---- */

static void fake_cap(uint8_t off, uint8_t id, uint8_t next)
{
	put(&fn, off + PCI_CAP_ID, 1, id);
	put(&fn, off + PCI_CAP_NEXT, 1, next);
}

static void fake_cap_list(uint8_t first)
{
	put(&fn, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	put(&fn, PCI_CAP_PTR, 1, first);
}

struct visit_log {
	unsigned n;
	uint8_t off[64], id[64];
};

static int visit(void *arg, uint8_t off, uint8_t id)
{
	struct visit_log *v = arg;

	v->off[v->n] = off;
	v->id[v->n] = id;
	v->n++;
	return 0;
}

KTEST(pci_decode, cap_list_walked_in_order)
{
	struct visit_log v = { 0 };

	fake_reset(PCI_HEADER_NORMAL);
	fake_cap_list(0x40);
	fake_cap(0x40, PCI_CAP_ID_PM, 0x50);
	fake_cap(0x50, PCI_CAP_ID_MSI, 0x60);
	fake_cap(0x60, PCI_CAP_ID_MSIX, 0x00);
	EXPECT_EQ(t, pci_cap_walk(&io, PCI_HEADER_NORMAL, visit, &v), 3);
	ASSERT_EQ(t, v.n, 3);
	EXPECT_EQ(t, v.off[0], 0x40);
	EXPECT_EQ(t, v.id[1], PCI_CAP_ID_MSI);
	EXPECT_EQ(t, v.off[2], 0x60);
	EXPECT_EQ(t, pci_cap_lookup(&io, PCI_HEADER_NORMAL, PCI_CAP_ID_MSI), 0x50);
	EXPECT_EQ(t, pci_cap_lookup(&io, PCI_HEADER_NORMAL, PCI_CAP_ID_MSIX), 0x60);
	EXPECT_EQ(t, pci_cap_lookup(&io, PCI_HEADER_NORMAL, PCI_CAP_ID_EXP), 0);
	EXPECT_STREQ(t, host_log, "");
}

KTEST(pci_decode, cap_list_needs_the_status_bit)
{
	fake_reset(PCI_HEADER_NORMAL);
	fake_cap_list(0x40);
	fake_cap(0x40, PCI_CAP_ID_MSI, 0);
	put(&fn, PCI_STATUS, 2, 0);
	EXPECT_EQ(t, pci_cap_walk(&io, PCI_HEADER_NORMAL, NULL, NULL), 0);
	EXPECT_EQ(t, pci_cap_lookup(&io, PCI_HEADER_NORMAL, PCI_CAP_ID_MSI), 0);
}

KTEST(pci_decode, cap_pointer_low_bits_masked)
{
	fake_reset(PCI_HEADER_NORMAL);
	fake_cap_list(0x43);
	fake_cap(0x40, PCI_CAP_ID_PM, 0x52);
	fake_cap(0x50, PCI_CAP_ID_MSI, 0x01);	/* masks to 0: the end */
	EXPECT_EQ(t, pci_cap_walk(&io, PCI_HEADER_NORMAL, NULL, NULL), 2);
	EXPECT_EQ(t, pci_cap_lookup(&io, PCI_HEADER_NORMAL, PCI_CAP_ID_MSI), 0x50);
	EXPECT_STREQ(t, host_log, "");
}

KTEST(pci_decode, cap_loop_reported_and_cut)
{
	struct visit_log v = { 0 };

	fake_reset(PCI_HEADER_NORMAL);
	fake_cap_list(0x40);
	fake_cap(0x40, PCI_CAP_ID_PM, 0x50);
	fake_cap(0x50, PCI_CAP_ID_VNDR, 0x40);
	EXPECT_EQ(t, pci_cap_walk(&io, PCI_HEADER_NORMAL, visit, &v), 2);
	EXPECT_NOT_NULL(t, strstr(host_log, "0000:00:05.0: capability list loops back to 0x40 (at 0x51)"));
	host_log_clear();
	EXPECT_EQ(t, pci_cap_lookup(&io, PCI_HEADER_NORMAL, PCI_CAP_ID_MSI), 0);
	EXPECT_NOT_NULL(t, strstr(host_log, "loops back"));
}

KTEST(pci_decode, cap_all_ones_reported_and_cut)
{
	fake_reset(PCI_HEADER_NORMAL);
	memset(fn.cfg + PCI_CAP_MIN, 0xFF, PCI_CFG_SIZE - PCI_CAP_MIN);
	fake_cap_list(0xFF);
	EXPECT_EQ(t, pci_cap_walk(&io, PCI_HEADER_NORMAL, NULL, NULL), 1);	/* 0xfc, once */
	EXPECT_NOT_NULL(t, strstr(host_log, "loops back to 0xfc"));
}

KTEST(pci_decode, cap_pointer_out_of_range)
{
	fake_reset(PCI_HEADER_NORMAL);
	fake_cap_list(0x20);
	EXPECT_EQ(t, pci_cap_walk(&io, PCI_HEADER_NORMAL, NULL, NULL), 0);
	EXPECT_NOT_NULL(t, strstr(host_log, "capability pointer 0x20 (at 0x34) is outside 0x40..0xfc"));
	host_log_clear();
	fake_cap_list(0x40);
	fake_cap(0x40, PCI_CAP_ID_MSI, 0x3C);
	EXPECT_EQ(t, pci_cap_walk(&io, PCI_HEADER_NORMAL, NULL, NULL), 1);
	EXPECT_EQ(t, pci_cap_lookup(&io, PCI_HEADER_NORMAL, PCI_CAP_ID_MSI), 0x40);
	EXPECT_NOT_NULL(t, strstr(host_log, "capability pointer 0x3c (at 0x41)"));
}

KTEST(pci_decode, cap_longest_list_is_bounded)
{
	struct visit_log v = { 0 };

	fake_reset(PCI_HEADER_NORMAL);
	fake_cap_list(PCI_CAP_MIN);
	for (unsigned off = PCI_CAP_MIN; off <= PCI_CAP_MAX; off += 4)
		fake_cap((uint8_t)off, PCI_CAP_ID_VNDR, off == PCI_CAP_MAX ? PCI_CAP_MIN : (uint8_t)(off + 4));
	EXPECT_EQ(t, pci_cap_walk(&io, PCI_HEADER_NORMAL, visit, &v), 48);
	EXPECT_EQ(t, v.off[47], PCI_CAP_MAX);
	EXPECT_NOT_NULL(t, strstr(host_log, "loops back to 0x40"));
}

KTEST(pci_decode, cardbus_cap_pointer)
{
	fake_reset(PCI_HEADER_CARDBUS);
	put(&fn, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	put(&fn, PCI_CB_CAP_PTR, 1, 0x80);
	fake_cap(0x80, PCI_CAP_ID_PM, 0);
	EXPECT_EQ(t, pci_cap_lookup(&io, PCI_HEADER_CARDBUS, PCI_CAP_ID_PM), 0x80);
	EXPECT_EQ(t, pci_header_bars(PCI_HEADER_CARDBUS), 1);
}

/* --------------------------------------------------------- matching ---- */

KTEST(pci_decode, id_tables)
{
	static const struct pci_id ids[] = {
		PCI_ID(0x8086, 0x29C0),
		PCI_ID(0x1234, 0x11E8),
		PCI_ID_CLASS(PCI_CLASS_CODE(0x01, 0x08, 0x02), 0xFFFFFF),	/* NVMe */
		{ 0 },
	};
	static const struct pci_id any_qemu[] = { PCI_ID(0x1234, PCI_ANY_ID), { 0 } };
	static const struct pci_id bridges[] = {
		PCI_ID_CLASS(PCI_CLASS_CODE(PCI_CLASS_BRIDGE, 0, 0), 0xFF0000), { 0 },
	};
	static const struct pci_id empty[] = { { 0 } };
	struct pci_dev d = { .vendor = 0x1234, .device = 0x11E8, .class = 0xFF };

	EXPECT_EQ(t, pci_id_match(ids, &d), &ids[1]);
	EXPECT_EQ(t, pci_id_match(any_qemu, &d), &any_qemu[0]);
	EXPECT_NULL(t, pci_id_match(bridges, &d));
	EXPECT_NULL(t, pci_id_match(empty, &d));
	EXPECT_NULL(t, pci_id_match(NULL, &d));
	d = (struct pci_dev){ .vendor = 0x8086, .device = 0x5845, .class = 0x01,
			      .subclass = 0x08, .prog_if = 0x02 };
	EXPECT_EQ(t, pci_id_match(ids, &d), &ids[2]);
	d.prog_if = 0x03;
	EXPECT_NULL(t, pci_id_match(ids, &d));
	d = (struct pci_dev){ .vendor = 0x8086, .device = 0x244E, .class = PCI_CLASS_BRIDGE,
			      .subclass = PCI_SUBCLASS_P2P };
	EXPECT_EQ(t, pci_id_match(bridges, &d), &bridges[0]);
}

/* ---------------------------------------------------------- binding ---- */

static unsigned probes_declining, probes_taking;

static int probe_decline(struct pci_dev *d)
{
	probes_declining++;
	return -ENODEV;
}

static int probe_take(struct pci_dev *d)
{
	probes_taking++;
	d->driver_data = &probes_taking;
	return 0;
}

static const struct pci_id edu_ids[] = { PCI_ID(0x1234, 0x11E8), { 0 } };
static const struct pci_id nvme_ids[] = {
	PCI_ID_CLASS(PCI_CLASS_CODE(0x01, 0x08, 0x02), 0xFFFFFF), { 0 },
};
static const struct pci_driver drv_other = { "nvme", nvme_ids, probe_take };
static const struct pci_driver drv_picky = { "picky", edu_ids, probe_decline };
static const struct pci_driver drv_edu = { "edu", edu_ids, probe_take };
static const struct pci_driver drv_late = { "late", edu_ids, probe_take };

KTEST(pci_decode, first_willing_driver_binds)
{
	static const struct pci_driver *const reg[] = {
		&drv_other, NULL, &drv_picky, &drv_edu, &drv_late,
	};
	struct pci_dev d = { .vendor = 0x1234, .device = 0x11E8, .class = 0xFF,
			     .name = "0000:00:03.0" };

	host_log_clear();
	probes_declining = probes_taking = 0;
	EXPECT_OK(t, pci_driver_bind(&d, reg, reg + ARRAY_SIZE(reg)));
	EXPECT_EQ(t, d.driver, &drv_edu);
	EXPECT_EQ(t, d.driver_data, &probes_taking);
	EXPECT_EQ(t, probes_declining, 1);
	EXPECT_EQ(t, probes_taking, 1);		/* not the nvme one, not the late one */
	EXPECT_NOT_NULL(t, strstr(host_log, "0000:00:03.0: driver picky declined it (ENODEV)"));
	EXPECT_NOT_NULL(t, strstr(host_log, "0000:00:03.0: bound to driver edu"));
}

KTEST(pci_decode, no_driver_wanted_it)
{
	static const struct pci_driver *const reg[] = { &drv_other, &drv_picky };
	struct pci_dev d = { .vendor = 0x1234, .device = 0x11E8, .name = "0000:00:03.0" };

	EXPECT_ERR(t, pci_driver_bind(&d, reg, reg + ARRAY_SIZE(reg)), -ENODEV);
	EXPECT_NULL(t, d.driver);
	EXPECT_ERR(t, pci_driver_bind(&d, NULL, NULL), -ENODEV);	/* empty registry */
}

/* --------------------------------------------------------------- names */

KTEST(pci_names, subclass_then_class_then_unknown)
{
	EXPECT_STREQ(t, pci_class_name(0x06, 0x00), "host bridge");
	EXPECT_STREQ(t, pci_class_name(0x01, 0x08), "NVM controller");
	EXPECT_STREQ(t, pci_class_name(0x06, 0x80), "bridge");		/* class only */
	EXPECT_STREQ(t, pci_class_name(0x00, 0x00), "unclassified");
	EXPECT_STREQ(t, pci_class_name(0x42, 0x00), "unknown class");
}

KTEST(pci_names, capabilities_and_express_types)
{
	EXPECT_STREQ(t, pci_cap_name(PCI_CAP_ID_MSI), "MSI");
	EXPECT_STREQ(t, pci_cap_name(PCI_CAP_ID_EXP), "PCI Express");
	EXPECT_STREQ(t, pci_cap_name(0x0B), "unknown");		/* not assigned */
	EXPECT_STREQ(t, pci_exp_type_name(0x0), "endpoint");
	EXPECT_STREQ(t, pci_exp_type_name(0x9), "root complex integrated endpoint");
	EXPECT_STREQ(t, pci_exp_type_name(0x2), "reserved type");
	EXPECT_STREQ(t, pci_exp_type_name(0xF), "reserved type");
	EXPECT_STREQ(t, pci_exp_type_name(16), "reserved type");	/* out of the field */
}
