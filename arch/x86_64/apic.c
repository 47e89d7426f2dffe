/*
 * apic.c - the local APIC (per CPU: timer, EOI, IPIs), the IOAPIC (routes
 * legacy and PCI interrupt lines to vectors), the legacy 8259 PICs (remapped
 * and masked), and MSI message composition.
 *
 * Register offsets and bit layouts: Intel SDM Vol. 3A, ch. 11 (local APIC,
 * table 11-1; LVT, fig. 11-8; ICR, fig. 11-12; MSI, 11.11); the IOAPIC from
 * the Intel 82093AA datasheet (IOREGSEL/IOWIN, the redirection table);
 * the 8259A datasheet for the ICW sequence.
 *
 * Locking: the IOAPIC's select/window pair is guarded by ioapic_lock.
 * LAPIC registers are per CPU and touched only by their own CPU.
 */
#include <kernel/prof.h>
#include <arch/x86_64/irq.h>
#include <arch/x86_64/io.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <kernel/mm.h>
#include <kernel/timer.h>
#include <kernel/sched.h>
#include <kernel/printk.h>
#include <kernel/kernel.h>
#include <kernel/panic.h>
#include <lib/errno.h>

/* Local APIC registers */
#define LAPIC_ID		0x020
#define LAPIC_VERSION		0x030
#define LAPIC_TPR		0x080
#define LAPIC_EOI		0x0B0
#define LAPIC_SVR		0x0F0
#define LAPIC_ICR_LO		0x300
#define LAPIC_ICR_HI		0x310
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_LVT_LINT0		0x350
#define LAPIC_LVT_LINT1		0x360
#define LAPIC_LVT_ERROR		0x370
#define LAPIC_TIMER_INIT	0x380
#define LAPIC_TIMER_CUR		0x390
#define LAPIC_TIMER_DIV		0x3E0

#define SVR_ENABLE		(1u << 8)
#define LVT_MASKED		(1u << 16)
#define LVT_TIMER_PERIODIC	(1u << 17)
#define LVT_DELIVERY_NMI	(4u << 8)
#define TIMER_DIV_16		0x3
#define ICR_DELIVERY_INIT	(5u << 8)
#define ICR_DELIVERY_STARTUP	(6u << 8)
#define ICR_LEVEL_ASSERT	(1u << 14)
#define ICR_PENDING		(1u << 12)
#define ICR_DEST_SHIFT		24
#define APIC_BASE_ENABLE	(1u << 11)
#define LAPIC_CALIBRATE_US	10000

/* IOAPIC */
#define IOAPIC_REGSEL		0x00
#define IOAPIC_WIN		0x10
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REDTBL(n)	(0x10 + 2 * (n))
#define REDIR_MASKED		(1u << 16)
#define REDIR_LEVEL		(1u << 15)
#define REDIR_ACTIVE_LOW	(1u << 13)
#define MAX_IOAPICS		8
#define ISA_IRQS		16

/* MADT interrupt source override flags (ACPI 6.4, table 5.50) */
#define MPS_POLARITY_MASK	0x3
#define MPS_POLARITY_LOW	0x3
#define MPS_TRIGGER_MASK	0xC
#define MPS_TRIGGER_LEVEL	0xC

/* 8259 PICs */
#define PIC1_CMD		0x20
#define PIC1_DATA		0x21
#define PIC2_CMD		0xA0
#define PIC2_DATA		0xA1
#define ICW1_INIT_ICW4		0x11
#define ICW4_8086		0x01
#define PIC_MASK_ALL		0xFF

/* MSI (SDM Vol. 3A, 11.11.1) */
#define MSI_ADDR_BASE		0xFEE00000u
#define MSI_ADDR_DEST_SHIFT	12

static volatile uint32_t *lapic;
static uint64_t lapic_phys;
static uint64_t lapic_ticks_per_sec;

static struct ioapic {
	volatile uint32_t *regs;
	uint32_t gsi_base, nlines;
} ioapics[MAX_IOAPICS];
static unsigned nioapics;
static spinlock_t ioapic_lock = SPINLOCK_INIT("ioapic");

/* ISA IRQ -> (GSI, flags), from the MADT's interrupt source overrides */
static struct { uint32_t gsi; uint16_t flags; } isa_map[ISA_IRQS];

static inline uint32_t lapic_read(unsigned reg) { return lapic[reg / 4]; }
static inline void lapic_write(unsigned reg, uint32_t v) { lapic[reg / 4] = v; }

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void pic_disable(void)
{
	/* Remap to 0x20/0x28 so that a stray PIC interrupt is not mistaken
	 * for an exception, then mask every line. */
	outb(PIC1_CMD, ICW1_INIT_ICW4); io_wait();
	outb(PIC2_CMD, ICW1_INIT_ICW4); io_wait();
	outb(PIC1_DATA, VEC_PIC_BASE); io_wait();
	outb(PIC2_DATA, VEC_PIC_BASE + 8); io_wait();
	outb(PIC1_DATA, 4); io_wait();		/* slave on IRQ2 */
	outb(PIC2_DATA, 2); io_wait();		/* slave identity */
	outb(PIC1_DATA, ICW4_8086); io_wait();
	outb(PIC2_DATA, ICW4_8086); io_wait();
	outb(PIC1_DATA, PIC_MASK_ALL);
	outb(PIC2_DATA, PIC_MASK_ALL);
}

static void lapic_enable_local(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_DELIVERY_NMI);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
}

void lapic_init(uint64_t phys_base)
{
	lapic_phys = phys_base;
	lapic = ioremap(phys_base, PAGE_SIZE);
	if (!lapic)
		panic("apic: cannot map the local APIC at %#lx", phys_base);
	lapic_enable_local();
	kprintf("apic: local APIC id %u version %#x at %#lx\n", lapic_id(),
		lapic_read(LAPIC_VERSION) & 0xff, phys_base);
}

void lapic_init_ap(void)
{
	lapic_enable_local();
}

static void timer_irq(struct trap_frame *tf, void *ctx)
{
	struct cpu *c = this_cpu();

	prof_sample(c->current, tf->rip, tf->rbp, c->current == c->idle);
	sched_tick();
}

/* Count LAPIC timer ticks (divide by 16) over a PIT-timed window. */
static uint64_t lapic_calibrate(void)
{
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	pit_wait_start(LAPIC_CALIBRATE_US);
	lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
	while (!pit_wait_done())
		cpu_relax();
	uint32_t left = lapic_read(LAPIC_TIMER_CUR);
	lapic_write(LAPIC_TIMER_INIT, 0);
	return (uint64_t)(0xffffffffu - left) * (1000000 / LAPIC_CALIBRATE_US);
}

void lapic_timer_start(uint32_t hz)
{
	if (!lapic_ticks_per_sec) {
		lapic_ticks_per_sec = lapic_calibrate();
		if (!lapic_ticks_per_sec)
			panic("apic: the local APIC timer does not count");
		irq_set_handler(VEC_TIMER, timer_irq, NULL, "timer");
		kprintf("apic: timer %lu kHz (after divide by 16), %u Hz ticks\n",
			lapic_ticks_per_sec / 1000, hz);
	}
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)(lapic_ticks_per_sec / hz));
}

uint64_t lapic_timer_hz(void)
{
	return lapic_ticks_per_sec;
}

static void icr_send(uint32_t apic_id, uint32_t lo)
{
	unsigned long f = irq_save();

	lapic_write(LAPIC_ICR_HI, apic_id << ICR_DEST_SHIFT);
	lapic_write(LAPIC_ICR_LO, lo);
	while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING)
		cpu_relax();
	irq_restore(f);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	icr_send(apic_id, vector);
}

void lapic_send_init_sipi(uint32_t apic_id, uint8_t start_page)
{
	icr_send(apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT);
	udelay(10000);
	for (int i = 0; i < 2; i++) {
		icr_send(apic_id, ICR_DELIVERY_STARTUP | start_page);
		udelay(200);
	}
}

void sched_kick_cpu(struct cpu *c)
{
	lapic_send_ipi(c->apic_id, VEC_IPI_RESCHED);
}

/* ---------------------------------------------------------------- IOAPIC */

static uint32_t ioapic_read(struct ioapic *io, uint32_t reg)
{
	io->regs[IOAPIC_REGSEL / 4] = reg;
	return io->regs[IOAPIC_WIN / 4];
}

static void ioapic_write(struct ioapic *io, uint32_t reg, uint32_t v)
{
	io->regs[IOAPIC_REGSEL / 4] = reg;
	io->regs[IOAPIC_WIN / 4] = v;
}

/**
 * ioapic_add - register an IOAPIC from the MADT; every line starts masked.
 */
int ioapic_add(uint64_t phys, uint32_t gsi_base)
{
	struct ioapic *io;

	if (nioapics >= MAX_IOAPICS) {
		kprintf("apic: more than %d IOAPICs; ignoring the one at %#lx\n", MAX_IOAPICS, phys);
		return -ENOSPC;
	}
	io = &ioapics[nioapics];
	io->regs = ioremap(phys, PAGE_SIZE);
	if (!io->regs)
		return -ENOMEM;
	io->gsi_base = gsi_base;
	io->nlines = ((ioapic_read(io, IOAPIC_REG_VER) >> 16) & 0xff) + 1;
	for (uint32_t i = 0; i < io->nlines; i++) {
		ioapic_write(io, IOAPIC_REDTBL(i), REDIR_MASKED);
		ioapic_write(io, IOAPIC_REDTBL(i) + 1, 0);
	}
	nioapics++;
	kprintf("apic: IOAPIC at %#lx, GSIs %u-%u\n", phys, gsi_base, gsi_base + io->nlines - 1);
	return 0;
}

void ioapic_set_isa_override(unsigned isa, uint32_t gsi, uint16_t flags)
{
	if (isa < ISA_IRQS) {
		isa_map[isa].gsi = gsi;
		isa_map[isa].flags = flags;
	}
}

void ioapic_init(void)
{
	for (unsigned i = 0; i < ISA_IRQS; i++) {
		isa_map[i].gsi = i;
		isa_map[i].flags = 0;
	}
}

static int ioapic_route_gsi(uint32_t gsi, int vector, bool level, bool active_low)
{
	for (unsigned i = 0; i < nioapics; i++) {
		struct ioapic *io = &ioapics[i];
		if (gsi < io->gsi_base || gsi >= io->gsi_base + io->nlines)
			continue;
		uint32_t line = gsi - io->gsi_base;
		uint32_t lo = (uint32_t)vector | (level ? REDIR_LEVEL : 0) |
			      (active_low ? REDIR_ACTIVE_LOW : 0);
		unsigned long f = spin_lock_irqsave(&ioapic_lock);
		ioapic_write(io, IOAPIC_REDTBL(line) + 1, cpus[0].apic_id << 24);
		ioapic_write(io, IOAPIC_REDTBL(line), lo);
		spin_unlock_irqrestore(&ioapic_lock, f);
		return 0;
	}
	kprintf("apic: no IOAPIC serves GSI %u\n", gsi);
	return -ENODEV;
}

int ioapic_route_isa_irq(unsigned isa, int vector)
{
	if (isa >= ISA_IRQS)
		return -EINVAL;
	uint16_t fl = isa_map[isa].flags;
	/* ISA defaults: edge triggered, active high */
	bool level = (fl & MPS_TRIGGER_MASK) == MPS_TRIGGER_LEVEL;
	bool low = (fl & MPS_POLARITY_MASK) == MPS_POLARITY_LOW;
	return ioapic_route_gsi(isa_map[isa].gsi, vector, level, low);
}

void msi_compose(uint32_t apic_id, uint8_t vector, uint64_t *addr, uint32_t *data)
{
	*addr = MSI_ADDR_BASE | (apic_id << MSI_ADDR_DEST_SHIFT);
	*data = vector;		/* fixed delivery, edge triggered */
}

#define ICR_DELIVERY_NMI	(4u << 8)

/* Stop every other online CPU (panic): an NMI lands in sched_nmi_stop. */
void smp_stop_others(void)
{
	struct cpu *me = this_cpu();

	if (!lapic)
		return;
	for (unsigned i = 0; i < ncpus; i++) {
		if (&cpus[i] != me && cpus[i].online)
			icr_send(cpus[i].apic_id, ICR_DELIVERY_NMI);
	}
}
