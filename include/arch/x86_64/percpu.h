/*
 * percpu.h - per-CPU state, reached through the GS segment base.
 *
 * Each CPU's GS base points at its struct cpu, whose first field points at
 * itself, so this_cpu() is one load from %gs:0.  The fields are only
 * touched by their own CPU, except where a comment says otherwise.
 */
#ifndef ARCH_X86_64_PERCPU_H
#define ARCH_X86_64_PERCPU_H

#include <stdint.h>
#include <stdbool.h>
#include <arch/x86_64/desc.h>
#include <arch/x86_64/syscall.h>

#define MAX_CPUS	64
#define IST_STACK_SIZE	(16 * 1024)

struct thread;
struct kjmp_buf;

struct cpu {
	struct cpu *self;		/* must stay first: %gs:0 */
	uint64_t kstack_top;		/* CPU_KSTACK_TOP_OFF: the running thread's kernel stack top */
	uint64_t scratch_rsp;		/* CPU_SCRATCH_RSP_OFF: user RSP during syscall entry */
	unsigned id;			/* 0 = boot CPU */
	uint32_t apic_id;
	bool online;			/* written by the CPU itself, read by all */

	struct thread *current;		/* the thread running here */
	struct thread *idle;		/* this CPU's idle thread */
	int preempt_count;		/* > 0: no preemption (spinlocks held) */
	unsigned irq_depth;		/* nested hardware interrupts */
	bool need_resched;		/* set by the timer/wake-up, read on IRQ exit */
	uint64_t context_switches;
	uint64_t ticks;			/* timer interrupts taken */
	uint64_t cr3;			/* the table loaded here (cr3_load); read by
					 * every CPU's flush_after_change */

	/* Tests that deliberately fault: when set, a page fault or GP fault
	 * records its details here and long-jumps to fault_jmp. */
	struct kjmp_buf *fault_jmp;
	uint64_t fault_addr, fault_vector, fault_error;

	uint64_t ist_base[IST_COUNT];	/* secondary CPUs: their IST stacks */
	struct gdt_table gdt;
	struct tss tss;
};

_Static_assert(__builtin_offsetof(struct cpu, kstack_top) == CPU_KSTACK_TOP_OFF, "syscall_entry.S");
_Static_assert(__builtin_offsetof(struct cpu, scratch_rsp) == CPU_SCRATCH_RSP_OFF, "syscall_entry.S");

extern struct cpu cpus[MAX_CPUS];
extern unsigned ncpus;

/* The running CPU's block: stable only while the thread cannot migrate
 * (preemption or interrupts off); any context. */
static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(c));
	return c;
}

/*
 * Single-instruction accesses to the running CPU's fields.  Needed where a
 * thread may be preempted and moved to another CPU: "this_cpu()->x" is two
 * instructions, and the thread may run on a different CPU between them.
 */
#define PERCPU_OFF(field) __builtin_offsetof(struct cpu, field)

static inline struct thread *percpu_current(void)
{
	struct thread *t;
	__asm__ __volatile__("movq %%gs:%c1, %0" : "=r"(t) : "i"(PERCPU_OFF(current)));
	return t;
}

static inline void percpu_preempt_inc(void)
{
	__asm__ __volatile__("incl %%gs:%c0" :: "i"(PERCPU_OFF(preempt_count)) : "memory");
}

static inline void percpu_preempt_dec(void)
{
	__asm__ __volatile__("decl %%gs:%c0" :: "i"(PERCPU_OFF(preempt_count)) : "memory");
}

/* Boot CPU, first C code: point GS at cpus[0]. */
void percpu_init_boot_cpu(void);

#endif
