/*
 * smp.c - bringing up the other CPUs, cross-CPU calls, TLB shootdown.
 *
 * Start-up (Intel SDM Vol. 3A, 9.4.4 "MP initialization example"): for each
 * enabled MADT processor other than the boot CPU, the boot CPU prepares its
 * struct cpu (IST stacks, a boot stack), fills the trampoline's data slots,
 * sends INIT, then two STARTUP IPIs with vector TRAMP_BASE >> 12, and waits
 * (bounded) for the AP to mark itself online.  The trampoline page is
 * identity-mapped in the kernel's page tables only while APs start.
 *
 * Calls: each CPU has a queue of call requests (guarded by its call_lock,
 * taken with interrupts off).  smp_call_on() queues a request and sends
 * VEC_IPI_CALL; the target's handler runs the queued functions.  A waiting
 * caller spins on the request's `done` flag and meanwhile serves its own
 * queue, so CPUs calling each other do not deadlock.
 *
 * TLB shootdown: tlb_flush_range() (arch/x86_64/paging.c) invalidates the
 * local TLB and then calls tlb_shootdown_hook, which this file sets to a
 * synchronous call on every other online CPU: when pt_unmap() returns, no
 * CPU can still use the old translation.
 */
#include <arch/x86_64/smp.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/irq.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/paging.h>
#include <arch/x86_64/desc.h>
#include <kernel/mm.h>
#include <kernel/vmap.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/sync.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/list.h>

#define AP_BOOT_TIMEOUT_NS	(500ULL * 1000 * 1000)
#define AP_STACK_SIZE		(16 * 1024)
#define FLUSH_ALL_THRESHOLD	(64 * PAGE_SIZE)

extern const char trampoline_start[], trampoline_end[], tramp_data[];

/* The trampoline's data slots, in the order trampoline.S lays them out. */
struct tramp_slots {
	uint64_t cr3, stack, entry, cpu, efer;
};

struct call_req {
	void (*fn)(void *arg);
	void *arg;
	bool free_after;		/* async: the target frees it */
	volatile bool done;
	struct list_node node;		/* the target's call_lock */
};

static struct {
	spinlock_t lock;
	struct list_node queue;
} calls[MAX_CPUS];

static volatile unsigned online_count = 1;

unsigned smp_online_count(void)
{
	return READ_ONCE(online_count);
}

/* ---------------------------------------------------------------- calls */

/* Run every call queued for this CPU.  Interrupts are off. */
static void serve_calls(void)
{
	unsigned me = this_cpu()->id;

	for (;;) {
		struct call_req *r = NULL;

		spin_lock(&calls[me].lock);
		if (!list_empty(&calls[me].queue)) {
			r = list_first_entry(&calls[me].queue, struct call_req, node);
			list_del(&r->node);
		}
		spin_unlock(&calls[me].lock);
		if (!r)
			return;
		r->fn(r->arg);
		if (r->free_after) {
			kfree(r);
		} else {
			__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
		}
	}
}

static void call_ipi(struct trap_frame *tf, void *ctx)
{
	serve_calls();
}

static void resched_ipi(struct trap_frame *tf, void *ctx)
{
	this_cpu()->need_resched = true;	/* acted on when the IPI returns */
}

static void queue_call(unsigned cpu, struct call_req *r)
{
	unsigned long f = spin_lock_irqsave(&calls[cpu].lock);

	list_add_tail(&calls[cpu].queue, &r->node);
	spin_unlock_irqrestore(&calls[cpu].lock, f);
	lapic_send_ipi(cpus[cpu].apic_id, VEC_IPI_CALL);
}

static void wait_done(struct call_req *r)
{
	unsigned long f = irq_save();

	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		serve_calls();
		cpu_relax();
	}
	irq_restore(f);
}

/**
 * smp_call_on - run fn(arg) on CPU cpu (here if cpu is this CPU).
 * Returns 0, -EINVAL for an offline CPU, -ENOMEM for an async call that
 * cannot be queued.
 */
int smp_call_on(unsigned cpu, void (*fn)(void *), void *arg, bool wait)
{
	struct call_req local, *r = &local;

	if (cpu >= ncpus || !READ_ONCE(cpus[cpu].online))
		return -EINVAL;
	preempt_disable();
	if (cpu == this_cpu()->id) {
		unsigned long f = irq_save();
		fn(arg);
		irq_restore(f);
		preempt_enable();
		return 0;
	}
	if (!wait && !(r = kmalloc(sizeof(*r)))) {
		preempt_enable();
		return -ENOMEM;
	}
	r->fn = fn;
	r->arg = arg;
	r->free_after = !wait;
	r->done = false;
	queue_call(cpu, r);
	if (wait)
		wait_done(r);
	preempt_enable();
	return 0;
}

void smp_call_others(void (*fn)(void *), void *arg)
{
	struct call_req reqs[MAX_CPUS];
	unsigned me;

	preempt_disable();
	me = this_cpu()->id;
	for (unsigned i = 0; i < ncpus; i++) {
		reqs[i].done = true;
		if (i == me || !READ_ONCE(cpus[i].online))
			continue;
		reqs[i] = (struct call_req){ .fn = fn, .arg = arg, .done = false };
		queue_call(i, &reqs[i]);
	}
	for (unsigned i = 0; i < ncpus; i++)
		wait_done(&reqs[i]);
	preempt_enable();
}

static void nothing(void *arg) { }

uint64_t smp_measure_ipi_ns(unsigned cpu, unsigned rounds)
{
	uint64_t t0 = time_ns();

	for (unsigned i = 0; i < rounds; i++)
		if (smp_call_on(cpu, nothing, NULL, true))
			return 0;
	return rounds ? (time_ns() - t0) / rounds : 0;
}

/* ---------------------------------------------------------- TLB shootdown */

struct flush_range {
	uint64_t va, len;
};

static void flush_local(void *arg)
{
	const struct flush_range *r = arg;

	if (r->len > FLUSH_ALL_THRESHOLD) {
		write_cr3(read_cr3());
		return;
	}
	for (uint64_t a = r->va; a < r->va + r->len; a += PAGE_SIZE)
		invlpg(a);
}

static void shootdown(uint64_t va, uint64_t len)
{
	struct flush_range r = { va, len };

	if (smp_online_count() > 1)
		smp_call_others(flush_local, &r);
}

/* ---------------------------------------------------------------- start-up */

static volatile bool ap_ready;

/* First C code of an AP, on the stack smp_init gave it. */
static void ap_entry(struct cpu *c)
{
	uint64_t ist_top[IST_COUNT];

	c->self = c;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	for (int i = 0; i < IST_COUNT; i++)
		ist_top[i] = c->ist_base[i] + IST_STACK_SIZE;
	gdt_init_cpu(c, ist_top);
	idt_load();
	lapic_init_ap();
	c->apic_id = lapic_id();
	lapic_timer_start(SCHED_HZ);
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	__atomic_add_fetch(&online_count, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&ap_ready, true, __ATOMIC_RELEASE);
	sched_run_cpu();
}

static int prepare_cpu(struct cpu *c, unsigned id, uint32_t apic_id)
{
	memset(c, 0, sizeof(*c));
	c->self = c;
	c->id = id;
	c->apic_id = apic_id;
	for (int i = 0; i < IST_COUNT; i++) {
		void *s = vmap_alloc_stack(IST_STACK_SIZE);
		if (!s)
			return -ENOMEM;
		c->ist_base[i] = (uint64_t)s;
	}
	return 0;
}

static bool start_ap(struct cpu *c, struct tramp_slots *slots)
{
	void *stack = vmap_alloc_stack(AP_STACK_SIZE);
	uint64_t deadline;

	if (!stack)
		return false;
	slots->stack = (uint64_t)stack + AP_STACK_SIZE;
	slots->cpu = (uint64_t)c;
	ap_ready = false;
	lapic_send_init_sipi(c->apic_id, TRAMP_BASE >> PAGE_SHIFT);
	deadline = time_ns() + AP_BOOT_TIMEOUT_NS;
	while (!__atomic_load_n(&ap_ready, __ATOMIC_ACQUIRE) && time_ns() < deadline)
		cpu_relax();
	return ap_ready;
}

/* smp_init - see include/arch/x86_64/smp.h. */
void smp_init(const uint32_t *apic_ids, unsigned n, unsigned max_cpus)
{
	size_t len = trampoline_end - trampoline_start;
	struct tramp_slots *slots;
	uint32_t me = cpus[0].apic_id;

	for (unsigned i = 0; i < MAX_CPUS; i++) {
		spin_lock_init(&calls[i].lock, "smp_calls");
		list_init(&calls[i].queue);
	}
	irq_set_handler(VEC_IPI_CALL, call_ipi, NULL, "ipi-call");
	irq_set_handler(VEC_IPI_RESCHED, resched_ipi, NULL, "ipi-resched");
	tlb_shootdown_hook = shootdown;
	if (!n || max_cpus <= 1)
		goto out;

	/* The trampoline runs at its physical address: map it so for now. */
	if (pt_map(&kernel_pgtable, TRAMP_BASE, TRAMP_BASE, PAGE_SIZE, PROT_WRITE | PROT_EXEC)) {
		kprintf("smp: cannot map the trampoline; running on one CPU\n");
		goto out;
	}
	memcpy((void *)TRAMP_BASE, trampoline_start, len);
	slots = (struct tramp_slots *)(TRAMP_BASE + (tramp_data - trampoline_start));
	slots->cr3 = kernel_pgtable.pml4_phys;
	slots->entry = (uint64_t)ap_entry;
	slots->efer = (1u << 8) | (cpu_features.nx ? (1u << 11) : 0);	/* LME, NXE */

	for (unsigned i = 0; i < n && ncpus < max_cpus; i++) {
		uint32_t apic_id = apic_ids[i];
		struct cpu *c = &cpus[ncpus];

		if (apic_id == me)
			continue;
		if (apic_id > 0xff) {
			kprintf("smp: CPU with x2APIC id %u needs x2APIC mode; not started\n",
				apic_id);
			continue;
		}
		if (prepare_cpu(c, ncpus, apic_id)) {
			kprintf("smp: no memory for CPU %u\n", ncpus);
			break;
		}
		/* ncpus grows before the AP runs, so it sees itself in cpus[]. */
		__atomic_add_fetch(&ncpus, 1, __ATOMIC_SEQ_CST);
		if (!start_ap(c, slots)) {
			kprintf("smp: CPU with APIC id %u did not start\n", apic_id);
			__atomic_sub_fetch(&ncpus, 1, __ATOMIC_SEQ_CST);
		}
	}
	pt_unmap(&kernel_pgtable, TRAMP_BASE, PAGE_SIZE);
out:
	kprintf("smp: %u CPU%s online\n", smp_online_count(), smp_online_count() == 1 ? "" : "s");
}
