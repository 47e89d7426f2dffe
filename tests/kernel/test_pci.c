/*
 * test_pci.c - the PCI core on QEMU's q35 and pc machines, which the test
 * runner starts with `-device edu,dma_mask=...`: enumeration, both config
 * mechanisms, BAR sizing, capabilities, MSI programming, a real MSI from
 * edu, and lspci.  Tests that touch edu put back what they changed.
 *
 * pci_init() is idempotent; each test calls it in case kmain did not.
 */
#include <tests/ktest_kernel.h>
#include <kernel/sync.h>
#include <arch/x86_64/irq.h>
#include <drivers/pci.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "../../drivers/pci/pci_internal.h"	/* the PCI core's private header, on purpose */
#include <shell/shell.h>

/* QEMU's edu device (hw/misc/edu.c, docs/specs/edu.rst) */
#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_BAR0_SIZE		0x100000	/* 1 MiB of registers */
#define EDU_IRQ_PIN		1		/* INTA# */
#define EDU_REG_ID		0x00	/* RO: 0xRRrr00ed, version RR.rr */
#define EDU_ID_V1_0		0x010000EDu
#define EDU_REG_LIVENESS	0x04	/* RW: reads back the inverse */
#define EDU_REG_IRQ_STATUS	0x24	/* RO: the raised bits */
#define EDU_REG_IRQ_RAISE	0x60	/* WO: OR into the status, interrupt */
#define EDU_REG_IRQ_ACK		0x64	/* WO: clear from the status */
#define EDU_TEST_IRQ_BITS	0x00a50000u	/* not the factorial (1) or DMA (0x100) bits */

#define MSI_ADDR_BASE		0xFEE00000u	/* [SDM 3A 11.11.1] */
#define MSI_ADDR_DEST_SHIFT	12
#define NS_PER_SEC		1000000000ull
#define NO_VECTOR_BELOW		VEC_EXCEPTIONS

static struct pci_dev *find_edu(void)
{
	pci_init();
	return pci_find_dev(EDU_VENDOR, EDU_DEVICE, 0);
}

static uint32_t reg_read(void *regs, unsigned off)
{
	return *(volatile uint32_t *)((uint8_t *)regs + off);
}

static void reg_write(void *regs, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)((uint8_t *)regs + off) = v;
}

/* ------------------------------------------------------ enumeration ---- */

KTEST(pci, host_bridge_at_00_00_0)
{
	struct pci_dev *d;

	ASSERT_OK(t, pci_init());
	d = pci_get_dev(0, 0, 0, 0);
	ASSERT_NOT_NULL(t, d);
	EXPECT_EQ(t, d->class, PCI_CLASS_BRIDGE);
	EXPECT_EQ(t, d->subclass, PCI_SUBCLASS_HOST);
	EXPECT_EQ(t, d->header_type, PCI_HEADER_NORMAL);
	EXPECT_NE(t, d->vendor, PCI_VENDOR_NONE);
	EXPECT_STREQ(t, d->name, "0000:00:00.0");
	EXPECT_EQ(t, pci_find_dev(PCI_ANY_ID, PCI_ANY_ID, 0), d);	/* first in bus order */
}

KTEST(pci, finds_edu_with_bar0_and_msi)
{
	struct pci_dev *d = find_edu();
	const struct pci_bar *b;

	ASSERT_NOT_NULL(t, d);
	b = &d->bars[0];
	EXPECT_EQ(t, b->size, EDU_BAR0_SIZE);
	EXPECT_FALSE(t, b->is_io);
	EXPECT_FALSE(t, b->is_64);
	EXPECT_NE(t, b->base, 0);
	EXPECT_EQ(t, b->base & (b->size - 1), 0);
	for (unsigned i = 1; i < PCI_MAX_BARS; i++)
		EXPECT_EQ(t, d->bars[i].size, 0);
	EXPECT_EQ(t, d->nbars, PCI_MAX_BARS);
	EXPECT_EQ(t, d->irq_pin, EDU_IRQ_PIN);
	ASSERT_NE(t, d->msi_cap, 0);
	EXPECT_EQ(t, pci_find_capability(d, PCI_CAP_ID_MSI), d->msi_cap);
	EXPECT_EQ(t, pci_read8(d, d->msi_cap + PCI_CAP_ID), PCI_CAP_ID_MSI);
	EXPECT_EQ(t, d->msix_cap, 0);
	EXPECT_EQ(t, pci_msix_table_size(d), 0);
	EXPECT_NULL(t, pci_find_dev(EDU_VENDOR, EDU_DEVICE, 1));
}

KTEST(pci, bar_sizing_left_registers_as_found)
{
	struct pci_dev *d = find_edu();
	uint32_t bar0;

	ASSERT_NOT_NULL(t, d);
	bar0 = pci_read32(d, PCI_BAR0);
	EXPECT_EQ(t, bar0 & PCI_BAR_MEM_ADDR_MASK, d->bars[0].base);
	EXPECT_EQ(t, bar0 & PCI_BAR_IO, 0);
	/* the firmware turned decoding on; sizing turned it off and back on */
	EXPECT_NE(t, pci_read16(d, PCI_COMMAND) & PCI_CMD_MEMORY, 0);
}

KTEST(pci, bridges_lead_to_their_buses)
{
	struct pci_dev *d;

	pci_init();
	pci_for_each_dev(d) {
		if (d->bus == 0) {
			EXPECT_NULL(t, d->parent);
			continue;
		}
		ASSERT_NOT_NULL(t, d->parent);
		EXPECT_NE(t, d->parent->header_type, PCI_HEADER_NORMAL);
		EXPECT_EQ(t, d->parent->sec_bus, d->bus);
		EXPECT_LT(t, d->parent->bus, d->bus);
	}
}

/* The command registers of a function and of the bridges above it. */
struct cmd_chain {
	unsigned n;
	uint16_t cmd[PCI_MAX_BUS];
};

static void chain_save(struct pci_dev *d, struct cmd_chain *c)
{
	for (c->n = 0; d && c->n < PCI_MAX_BUS; d = d->parent)
		c->cmd[c->n++] = pci_read16(d, PCI_COMMAND);
}

static void chain_restore(struct pci_dev *d, const struct cmd_chain *c)
{
	for (unsigned i = 0; d && i < c->n; d = d->parent)
		pci_write16(d, PCI_COMMAND, c->cmd[i++]);
}

static struct cmd_chain saved_cmds;	/* too big for a test's stack */

KTEST(pci, bus_master_enabled_up_the_tree)
{
	struct pci_dev *d = find_edu();

	ASSERT_NOT_NULL(t, d);
	chain_save(d, &saved_cmds);
	pci_enable_bus_master(d);
	for (struct pci_dev *p = d; p; p = p->parent)
		EXPECT_NE(t, pci_read16(p, PCI_COMMAND) & PCI_CMD_MASTER, 0);
	chain_restore(d, &saved_cmds);
}

/* ---------------------------------------------------- config access ---- */

/* The first device number on bus 0 that pci_init() found nothing at. */
static int empty_slot(void)
{
	for (uint8_t dev = 0; dev < PCI_MAX_DEV; dev++) {
		if (!pci_get_dev(0, 0, dev, 0))
			return dev;
	}
	return -1;
}

KTEST(pci, absent_function_reads_all_ones)
{
	int dev;

	pci_init();
	dev = empty_slot();
	ASSERT_GE(t, dev, 0);
	EXPECT_EQ(t, pci_conf_read(0, 0, (uint8_t)dev, 0, PCI_VENDOR_ID, 2), 0xFFFF);
	EXPECT_EQ(t, pci_conf_read(0, 0, (uint8_t)dev, 0, PCI_VENDOR_ID, 4), 0xFFFFFFFF);
	EXPECT_EQ(t, pci_conf_read(0, 0, (uint8_t)dev, 7, PCI_HEADER_TYPE, 1), 0xFF);
	/* a bus nothing leads to */
	EXPECT_EQ(t, pci_conf_read(0, 0xFE, 0, 0, PCI_VENDOR_ID, 2), 0xFFFF);
	if (pci_legacy_available())
		EXPECT_EQ(t, pci_legacy_read(0, (uint8_t)dev, 0, PCI_VENDOR_ID, 2), 0xFFFF);
}

KTEST(pci, bad_config_requests_refused)
{
	struct pci_dev *d = find_edu();

	ASSERT_NOT_NULL(t, d);
	EXPECT_EQ(t, pci_conf_read(0, d->bus, d->dev, d->fn, 1, 2), 0xFFFF);	/* misaligned */
	EXPECT_EQ(t, pci_conf_read(0, d->bus, d->dev, d->fn, 0, 3), 0xFFFFFFFF);
	EXPECT_EQ(t, pci_conf_read(0, d->bus, PCI_MAX_DEV, 0, 0, 2), 0xFFFF);
	EXPECT_EQ(t, pci_conf_read(1, d->bus, d->dev, d->fn, 0, 2), 0xFFFF);	/* segment 1 */
	EXPECT_ERR(t, pci_conf_write(0, d->bus, d->dev, d->fn, 2, 4, 0), -EINVAL);
	EXPECT_ERR(t, pci_conf_write(0, d->bus, d->dev, 0, PCIE_CFG_SIZE, 4, 0), -ERANGE);
	if (!pci_ecam_bus_mapped(d->bus)) {
		EXPECT_EQ(t, pci_conf_read(0, d->bus, d->dev, d->fn, PCI_CFG_SIZE, 4), 0xFFFFFFFF);
		EXPECT_ERR(t, pci_conf_write(0, d->bus, d->dev, d->fn, PCI_CFG_SIZE, 4, 0), -ERANGE);
	}
	/* nothing was disturbed */
	EXPECT_EQ(t, pci_read16(d, PCI_VENDOR_ID), EDU_VENDOR);
}

/* Registers that do not change by themselves: IDs, class, header, BARs. */
static const struct { uint16_t off; unsigned size; } stable_regs[] = {
	{ PCI_VENDOR_ID, 4 }, { PCI_REVISION_ID, 4 }, { PCI_HEADER_TYPE, 1 },
	{ PCI_BAR0, 4 }, { PCI_BAR0 + 4, 4 }, { PCI_BAR0 + 8, 4 },
	{ PCI_CAP_PTR, 1 }, { PCI_INTERRUPT_PIN, 1 },
};

KTEST(pci, ecam_and_legacy_agree)
{
	struct pci_dev *d;
	unsigned compared = 0;

	pci_init();
	if (!pci_ecam_bus_mapped(0) || !pci_legacy_available()) {
		ktest_skip(t, "needs both ECAM and the legacy ports (q35)");
		return;
	}
	pci_for_each_dev(d) {
		for (unsigned i = 0; i < ARRAY_SIZE(stable_regs); i++) {
			uint16_t off = stable_regs[i].off;
			unsigned size = stable_regs[i].size;

			EXPECT_EQ(t, pci_conf_read(0, d->bus, d->dev, d->fn, off, size),
				  pci_legacy_read(d->bus, d->dev, d->fn, off, size));
		}
		compared++;
	}
	EXPECT_GT(t, compared, 1);
	EXPECT_STREQ(t, pci_config_mechanism(), "ECAM");
}

/* -------------------------------------------------------------- edu ---- */

KTEST(pci, edu_identification_and_liveness)
{
	struct pci_dev *d = find_edu();
	uint32_t old;
	void *regs;

	ASSERT_NOT_NULL(t, d);
	regs = pci_bar_map(d, 0);
	ASSERT_NOT_NULL(t, regs);
	EXPECT_EQ(t, pci_bar_map(d, 0), regs);		/* mapped once */
	EXPECT_NULL(t, pci_bar_map(d, 1));		/* no BAR there */
	pci_enable_memory(d);
	EXPECT_EQ(t, reg_read(regs, EDU_REG_ID), EDU_ID_V1_0);
	old = reg_read(regs, EDU_REG_LIVENESS);
	reg_write(regs, EDU_REG_LIVENESS, 0x12345678);
	EXPECT_EQ(t, reg_read(regs, EDU_REG_LIVENESS), ~0x12345678u);
	reg_write(regs, EDU_REG_LIVENESS, ~old);	/* reads `old` again */
	EXPECT_EQ(t, reg_read(regs, EDU_REG_LIVENESS), old);
}

/* The MSI registers of a device and the command registers on its way up
 * (saved_cmds), to put back after a test. */
struct msi_regs {
	uint16_t ctrl, data;
	uint32_t addr_lo, addr_hi;
};

static uint16_t msi_data_off(struct pci_dev *d, uint16_t ctrl)
{
	return d->msi_cap + ((ctrl & PCI_MSI_CTRL_64BIT) ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32);
}

static void msi_save(struct pci_dev *d, struct msi_regs *s)
{
	chain_save(d, &saved_cmds);
	s->ctrl = pci_read16(d, d->msi_cap + PCI_MSI_CTRL);
	s->addr_lo = pci_read32(d, d->msi_cap + PCI_MSI_ADDR_LO);
	s->addr_hi = pci_read32(d, d->msi_cap + PCI_MSI_ADDR_HI);
	s->data = pci_read16(d, msi_data_off(d, s->ctrl));
}

static void msi_restore(struct pci_dev *d, const struct msi_regs *s)
{
	pci_write16(d, d->msi_cap + PCI_MSI_CTRL, s->ctrl & ~PCI_MSI_CTRL_ENABLE);
	pci_write32(d, d->msi_cap + PCI_MSI_ADDR_LO, s->addr_lo);
	if (s->ctrl & PCI_MSI_CTRL_64BIT)
		pci_write32(d, d->msi_cap + PCI_MSI_ADDR_HI, s->addr_hi);
	pci_write16(d, msi_data_off(d, s->ctrl), s->data);
	pci_write16(d, d->msi_cap + PCI_MSI_CTRL, s->ctrl);
	chain_restore(d, &saved_cmds);
}

static struct {
	void *regs;
	bool fired;
	uint32_t status;
	struct wait_queue wq;
} edu_irq = { .wq = WAIT_QUEUE_INIT(edu_irq.wq, "pci-test-edu") };

/* What an edu driver does: read the cause, acknowledge it, wake. */
static void edu_test_handler(struct trap_frame *tf, void *ctx)
{
	uint32_t status = reg_read(edu_irq.regs, EDU_REG_IRQ_STATUS);

	reg_write(edu_irq.regs, EDU_REG_IRQ_ACK, status);
	WRITE_ONCE(edu_irq.status, status);
	WRITE_ONCE(edu_irq.fired, true);
	wake_up_all(&edu_irq.wq);
}

/* One vector for the suite: vectors are never given back. */
static int edu_test_vector(void)
{
	static int vector;

	if (!vector)
		vector = irq_alloc_vector(edu_test_handler, NULL, "pci-test-edu");
	return vector;
}

KTEST(pci, msi_enable_programs_the_capability)
{
	struct pci_dev *d = find_edu();
	int vec = edu_test_vector();
	uint32_t apic = lapic_id();
	struct msi_regs saved;
	uint16_t ctrl;

	ASSERT_NOT_NULL(t, d);
	ASSERT_GE(t, vec, VEC_DEVICE_FIRST);
	msi_save(d, &saved);
	ASSERT_OK(t, pci_msi_enable(d, (uint8_t)vec, apic));
	ctrl = pci_read16(d, d->msi_cap + PCI_MSI_CTRL);
	EXPECT_NE(t, ctrl & PCI_MSI_CTRL_ENABLE, 0);
	EXPECT_EQ(t, ctrl & PCI_MSI_CTRL_MME_MASK, 0);
	EXPECT_EQ(t, pci_read32(d, d->msi_cap + PCI_MSI_ADDR_LO),
		  MSI_ADDR_BASE | apic << MSI_ADDR_DEST_SHIFT);
	if (ctrl & PCI_MSI_CTRL_64BIT)
		EXPECT_EQ(t, pci_read32(d, d->msi_cap + PCI_MSI_ADDR_HI), 0);
	EXPECT_EQ(t, pci_read16(d, msi_data_off(d, ctrl)), vec);
	EXPECT_NE(t, pci_read16(d, PCI_COMMAND) & PCI_CMD_INTX_DISABLE, 0);
	pci_msi_disable(d);
	EXPECT_EQ(t, pci_read16(d, d->msi_cap + PCI_MSI_CTRL) & PCI_MSI_CTRL_ENABLE, 0);
	EXPECT_EQ(t, pci_read16(d, PCI_COMMAND) & PCI_CMD_INTX_DISABLE, 0);
	msi_restore(d, &saved);
}

KTEST(pci, msi_enable_refuses_bad_requests)
{
	struct pci_dev *d = find_edu();
	struct pci_dev *host = pci_get_dev(0, 0, 0, 0);

	ASSERT_NOT_NULL(t, d);
	ASSERT_NOT_NULL(t, host);
	/* The edu DMA driver may own MSI: a refused request must leave the
	 * control register as it was, whatever that is. */
	uint16_t ctrl = pci_read16(d, d->msi_cap + PCI_MSI_CTRL);
	EXPECT_ERR(t, pci_msi_enable(d, NO_VECTOR_BELOW - 1, 0), -EINVAL);
	EXPECT_ERR(t, pci_msi_enable(d, VEC_DEVICE_FIRST, 0x100), -EINVAL);
	EXPECT_EQ(t, pci_read16(d, d->msi_cap + PCI_MSI_CTRL), ctrl);
	if (!host->msi_cap)
		EXPECT_ERR(t, pci_msi_enable(host, VEC_DEVICE_FIRST, 0), -ENODEV);
	EXPECT_ERR(t, pci_msix_enable(d, 0, VEC_DEVICE_FIRST, 0), -ENODEV);
}

/* Raise, wait for the handler, check what it saw.  MSI must be on. */
static void edu_raise_and_wait(struct ktest *t, int vec, void *regs)
{
	uint64_t before = irq_count(vec);

	WRITE_ONCE(edu_irq.fired, false);
	reg_write(regs, EDU_REG_IRQ_RAISE, EDU_TEST_IRQ_BITS);
	EXPECT_OK(t, wait_event_timeout(&edu_irq.wq, READ_ONCE(edu_irq.fired), NS_PER_SEC));
	EXPECT_EQ(t, READ_ONCE(edu_irq.status) & EDU_TEST_IRQ_BITS, EDU_TEST_IRQ_BITS);
	EXPECT_EQ(t, reg_read(regs, EDU_REG_IRQ_STATUS) & EDU_TEST_IRQ_BITS, 0);	/* acked */
	EXPECT_EQ(t, irq_count(vec), before + 1);
}

KTEST(pci, edu_raises_msi)
{
	struct pci_dev *d = find_edu();
	int vec = edu_test_vector();
	struct msi_regs saved;
	void *regs;
	int err;

	ASSERT_NOT_NULL(t, d);
	ASSERT_GE(t, vec, VEC_DEVICE_FIRST);
	regs = pci_bar_map(d, 0);
	ASSERT_NOT_NULL(t, regs);
	msi_save(d, &saved);
	edu_irq.regs = regs;
	/* MSI is a memory write by the device: it needs bus mastering */
	pci_enable_memory(d);
	pci_enable_bus_master(d);
	err = pci_msi_enable(d, (uint8_t)vec, lapic_id());
	EXPECT_OK(t, err);
	if (!err)
		edu_raise_and_wait(t, vec, regs);
	reg_write(regs, EDU_REG_IRQ_ACK, EDU_TEST_IRQ_BITS);	/* in case it never came */
	pci_msi_disable(d);
	msi_restore(d, &saved);
}

/* ------------------------------------------------------------ MSI-X ---- */

/* A function with MSI-X and no driver (e.g. -device virtio-rng-pci). */
static struct pci_dev *free_msix_dev(void)
{
	struct pci_dev *d;

	pci_for_each_dev(d) {
		if (d->msix_cap && !d->driver)
			return d;
	}
	return NULL;
}

KTEST(pci, msix_enable_programs_the_table)
{
	struct pci_dev *d;
	int vec = edu_test_vector();
	uint32_t apic = lapic_id(), table, entry[4];
	uint16_t ctrl, cmd;
	volatile uint32_t *e;

	pci_init();
	d = free_msix_dev();
	if (!d) {
		ktest_skip(t, "no MSI-X function without a driver on this machine");
		return;
	}
	cmd = pci_read16(d, PCI_COMMAND);
	ctrl = pci_read16(d, d->msix_cap + PCI_MSIX_CTRL);
	EXPECT_ERR(t, pci_msix_enable(d, pci_msix_table_size(d), (uint8_t)vec, apic), -ERANGE);
	ASSERT_OK(t, pci_msix_enable(d, 0, (uint8_t)vec, apic));
	table = pci_read32(d, d->msix_cap + PCI_MSIX_TABLE);
	e = (volatile uint32_t *)((uint8_t *)d->bars[table & PCI_MSIX_BIR_MASK].virt +
				  (table & PCI_MSIX_OFFSET_MASK));
	for (unsigned i = 0; i < 4; i++)
		entry[i] = e[i];
	EXPECT_EQ(t, entry[0], MSI_ADDR_BASE | apic << MSI_ADDR_DEST_SHIFT);
	EXPECT_EQ(t, entry[1], 0);
	EXPECT_EQ(t, entry[2], vec);
	EXPECT_EQ(t, entry[3] & PCI_MSIX_ENTRY_MASKED, 0);
	EXPECT_EQ(t, pci_read16(d, d->msix_cap + PCI_MSIX_CTRL) &
		  (PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL), PCI_MSIX_CTRL_ENABLE);
	pci_msix_disable(d);
	e[PCI_MSIX_ENTRY_CTRL / 4] |= PCI_MSIX_ENTRY_MASKED;
	pci_write16(d, d->msix_cap + PCI_MSIX_CTRL, ctrl);
	pci_write16(d, PCI_COMMAND, cmd);
}

/* ------------------------------------------------------------ lspci ---- */

static char lspci_out[8192];
static size_t lspci_len;

static void lspci_capture(const char *s, size_t n)
{
	n = MIN(n, sizeof(lspci_out) - 1 - lspci_len);
	memcpy(lspci_out + lspci_len, s, n);
	lspci_len += n;
	lspci_out[lspci_len] = 0;
}

KTEST(pci, lspci_shows_edu)
{
	char line[] = "lspci -v";
	char bad[] = "lspci -x";
	int err;

	lspci_len = 0;
	lspci_out[0] = 0;
	shell_set_output(lspci_capture);
	err = shell_exec(line);
	EXPECT_ERR(t, shell_exec(bad), -EINVAL);
	shell_set_output(NULL);
	EXPECT_OK(t, err);
	EXPECT_NOT_NULL(t, strstr(lspci_out, "00:00.0 "));
	EXPECT_NOT_NULL(t, strstr(lspci_out, "1234:11e8"));
	EXPECT_NOT_NULL(t, strstr(lspci_out, "BAR0 mem32 "));
	EXPECT_NOT_NULL(t, strstr(lspci_out, "size 1M"));
	EXPECT_NOT_NULL(t, strstr(lspci_out, "interrupt: INTA"));
	EXPECT_NOT_NULL(t, strstr(lspci_out, " MSI: 64-bit"));
	EXPECT_NOT_NULL(t, strstr(lspci_out, "usage: lspci [-v]"));
}
