/*
 * irq.h - traps, interrupt vectors, the local APIC and the IOAPIC.
 *
 * Vector map:
 *   0..31    CPU exceptions (Intel SDM Vol. 3A, table 6-1)
 *   32..47   spare (the legacy 8259 PICs are remapped here and masked)
 *   48..239  allocated to devices with irq_alloc_vector()
 *   240..254 kernel IPIs and the local APIC timer
 *   255      local APIC spurious interrupt
 * Device handlers run with interrupts disabled on the CPU that took the
 * interrupt; the LAPIC EOI is sent after the handler returns.
 */
#ifndef ARCH_X86_64_IRQ_H
#define ARCH_X86_64_IRQ_H

#include <stdint.h>
#include <stdbool.h>

#define VEC_EXCEPTIONS		32
#define VEC_PIC_BASE		32
#define VEC_DEVICE_FIRST	48
#define VEC_DEVICE_LAST		239
#define VEC_IPI_CALL		251
#define VEC_IPI_RESCHED		252
#define VEC_IPI_STOP		253
#define VEC_TIMER		254
#define VEC_SPURIOUS		255

#define EXC_DE	0	/* divide error */
#define EXC_DB	1
#define EXC_NMI	2
#define EXC_BP	3
#define EXC_UD	6	/* invalid opcode */
#define EXC_DF	8	/* double fault */
#define EXC_GP	13	/* general protection */
#define EXC_PF	14	/* page fault */
#define EXC_MC	18

/* Page-fault error code bits (SDM Vol. 3A, 4.7) */
#define PF_PRESENT	(1u << 0)
#define PF_WRITE	(1u << 1)
#define PF_USER		(1u << 2)
#define PF_RSVD		(1u << 3)
#define PF_INSTR	(1u << 4)

/* What the entry stubs save, lowest address first (see entry.S). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

typedef void (*irq_handler_t)(struct trap_frame *tf, void *ctx);

/*
 * Handlers run in interrupt context with interrupts off: they must not
 * sleep, and take only _irqsave spinlocks.  The vector table is changed
 * under vec_lock (irqsave); the interrupt path reads it without a lock.
 */
/* Allocate a device vector and install handler.  Returns the vector or
 * -ENOSPC.  Thread or boot context (never sleeps). */
int irq_alloc_vector(irq_handler_t handler, void *ctx, const char *name);
/* Install a handler on a fixed vector (IPIs, timer).  Boot. */
void irq_set_handler(int vector, irq_handler_t handler, void *ctx, const char *name);
/* Statistics and names for `irqs`: any context, no lock (a snapshot). */
uint64_t irq_count(int vector);
const char *irq_name(int vector);

/* Local APIC (arch/x86_64/apic.c): each call acts on the calling CPU's
 * APIC, any context, no lock, no errors; the inits run once per CPU. */
void lapic_init(uint64_t phys_base);	/* boot CPU: map and enable */
void lapic_init_ap(void);		/* secondary CPUs */
void lapic_eoi(void);
uint32_t lapic_id(void);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_init_sipi(uint32_t apic_id, uint8_t start_page);
void lapic_timer_start(uint32_t hz);	/* periodic at hz after calibration */
uint64_t lapic_timer_hz(void);		/* calibrated LAPIC timer input clock */

/* IOAPIC: registered and initialised at boot from the MADT, one CPU; the
 * select/window pair is guarded by ioapic_lock (irqsave). */
void ioapic_init(void);
/* Register an IOAPIC (from the MADT): 0, -ENOSPC (too many), -ENOMEM (no
 * mapping).  Record an ISA interrupt source override. */
int ioapic_add(uint64_t phys, uint32_t gsi_base);
void ioapic_set_isa_override(unsigned isa, uint32_t gsi, uint16_t flags);
/* Route legacy ISA IRQ `isa` (after MADT source overrides) to vector on the
 * boot CPU and unmask it.  0, -EINVAL (no such ISA IRQ), -ENODEV (no
 * IOAPIC serves its GSI).  Any context. */
int ioapic_route_isa_irq(unsigned isa, int vector);

/*
 * MSI (PCI Local Bus Spec 3.0, 6.8; Intel SDM Vol. 3A, 11.11): the
 * address/data pair a device writes to raise `vector` on the CPU with
 * `apic_id`, edge triggered, fixed delivery.  Pure: any context.
 */
void msi_compose(uint32_t apic_id, uint8_t vector, uint64_t *addr, uint32_t *data);

/* A page fault the DAX layer may resolve (fs/dax.c sets it).  Called with
 * interrupts off; returns true when the faulting access can be retried. */
extern bool (*page_fault_hook)(struct trap_frame *tf, uint64_t addr);

/* Boot CPU, once: the IDT's handlers / mask the legacy 8259 PICs. */
void trap_init(void);
void pic_disable(void);

#endif
