/*
 * cpu.h - x86-64 CPU primitives: control registers, MSRs, CPUID, TSC,
 * interrupt flag.  All static inline; no state.  Each acts on the calling
 * CPU only: any context, no lock, no errors (a bad MSR faults, #GP).
 *
 * References: Intel SDM Vol. 2 (instructions), Vol. 3A ch. 2 (control
 * registers), Vol. 4 (MSRs).
 */
#ifndef ARCH_X86_64_CPU_H
#define ARCH_X86_64_CPU_H

#include <stdint.h>
#include <stdbool.h>

#define RFLAGS_IF	(1UL << 9)

#define MSR_EFER	0xC0000080
#define MSR_FS_BASE	0xC0000100
#define MSR_GS_BASE	0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_APIC_BASE	0x0000001B

static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }
static inline void cpu_halt(void) { __asm__ __volatile__("hlt" ::: "memory"); }
static inline void irq_enable(void) { __asm__ __volatile__("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ __volatile__("cli" ::: "memory"); }
/* Enable interrupts and halt atomically (no wake-up lost in between). */
static inline void irq_enable_and_halt(void) { __asm__ __volatile__("sti; hlt" ::: "memory"); }

static inline unsigned long read_rflags(void)
{
	unsigned long f;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(f) :: "memory");
	return f;
}

static inline bool irqs_enabled(void) { return read_rflags() & RFLAGS_IF; }

static inline unsigned long irq_save(void)
{
	unsigned long f = read_rflags();
	irq_disable();
	return f;
}

static inline void irq_restore(unsigned long f)
{
	if (f & RFLAGS_IF)
		irq_enable();
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ __volatile__("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

#define DEFINE_CR(n) \
	static inline uint64_t read_cr##n(void) { uint64_t v; __asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
	static inline void write_cr##n(uint64_t v) { __asm__ __volatile__("mov %0, %%cr" #n :: "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void invlpg(uint64_t va) { __asm__ __volatile__("invlpg (%0)" :: "r"(va) : "memory"); }

/* CPU features the kernel cares about, filled once by cpu_detect_features(). */
struct cpu_features {
	bool nx, pdpe1gb, invariant_tsc, x2apic, clflushopt, clwb, tsc_deadline;
	uint32_t max_leaf, max_ext_leaf;
	char vendor[13];
	char brand[49];
};
extern struct cpu_features cpu_features;
/* Boot CPU, once, before anything reads cpu_features (read-only after). */
void cpu_detect_features(void);

#endif
