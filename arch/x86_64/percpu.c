/*
 * percpu.c - the per-CPU structures and the boot CPU's descriptor tables.
 *
 * cpus[] is indexed by logical CPU id (0 = the boot CPU).  The GS base MSR
 * of each CPU points at its entry (see this_cpu()).
 */
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/irq.h>

struct cpu cpus[MAX_CPUS];
unsigned ncpus = 1;

/* The boot CPU's IST stacks (secondary CPUs get theirs from the vmap). */
static char boot_ist[IST_COUNT][IST_STACK_SIZE] __aligned(16);

void percpu_init_boot_cpu(void)
{
	struct cpu *c = &cpus[0];
	uint64_t ist_top[IST_COUNT];

	c->self = c;
	c->id = 0;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	for (int i = 0; i < IST_COUNT; i++)
		ist_top[i] = (uint64_t)boot_ist[i] + IST_STACK_SIZE;
	gdt_init_cpu(c, ist_top);
	trap_init();
	c->online = true;
}
