/*
 * trap.c - the IDT, interrupt dispatch and the exception reporter.
 *
 * Every vector enters trap_handler() (from entry.S) with a struct
 * trap_frame.  Exceptions 0-31 either belong to a test that asked to catch
 * faults (cpu->fault_jmp), or are fatal: the reporter prints the vector,
 * error code, every register, CR2 and a symbolized backtrace, then panics.
 * Vectors 32-255 go to the handler table, then the LAPIC gets its EOI and,
 * if the interrupted code may be preempted, the scheduler runs.
 *
 * Ring 3: an exception in user mode goes to the process layer
 * (user_fault_hook: resolve a demand-zero fault, or kill the program).
 * A page fault in ring 0 on a user address (copy_from_user and friends)
 * goes to the same hook first, then to the exception table: a fault at
 * one of the user-copy instructions resumes at its fixup, which returns
 * -EFAULT to the caller (arch/x86_64/uaccess.S).  Every return to ring 3
 * passes user_return_hook (pending kills).
 *
 * Locking: the handler table is written at boot or by irq_alloc_vector()
 * under vec_lock; readers (trap_handler) need no lock because an entry is
 * fully written before its vector is given to the device.
 */
#include <arch/x86_64/irq.h>
#include <arch/x86_64/desc.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/cpu.h>
#include <kernel/printk.h>
#include <kernel/panic.h>
#include <kernel/ksyms.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/kjmp.h>
#include <arch/x86_64/syscall.h>
#include <lib/errno.h>

#define IDT_ENTRIES	256
#define GATE_INTERRUPT	0xE		/* 64-bit interrupt gate: clears IF */
#define GATE_PRESENT	0x80

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __packed;

static struct idt_gate idt[IDT_ENTRIES] __aligned(16);
extern const uint64_t trap_stubs[IDT_ENTRIES];

static struct {
	irq_handler_t fn;
	void *ctx;
	const char *name;
	uint64_t count;
} handlers[IDT_ENTRIES];
static spinlock_t vec_lock = SPINLOCK_INIT("irq_vectors");
static int next_device_vector = VEC_DEVICE_FIRST;
bool (*page_fault_hook)(struct trap_frame *tf, uint64_t addr);

static const char *const exception_names[VEC_EXCEPTIONS] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack-segment fault", "general protection fault",
	"page fault", "reserved", "x87 floating-point error", "alignment check",
	"machine check", "SIMD floating-point error", "virtualization exception",
	"control protection", "reserved", "reserved", "reserved", "reserved",
	"reserved", "reserved", "hypervisor injection", "VMM communication",
	"security exception", "reserved",
};

static void set_gate(int vec, uint64_t addr, uint8_t ist)
{
	struct idt_gate *g = &idt[vec];

	g->offset_lo = addr & 0xffff;
	g->selector = GDT_KCODE;
	g->ist = ist;
	g->type_attr = GATE_PRESENT | GATE_INTERRUPT;
	g->offset_mid = (addr >> 16) & 0xffff;
	g->offset_hi = addr >> 32;
	g->reserved = 0;
}

void idt_init(void)
{
	for (int v = 0; v < IDT_ENTRIES; v++)
		set_gate(v, trap_stubs[v], 0);
	idt[EXC_DF].ist = IST_DOUBLE_FAULT;
	idt[EXC_NMI].ist = IST_NMI;
	idt[EXC_MC].ist = IST_MCE;
}

void idt_load(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ __volatile__("lidt %0" :: "m"(p));
}

void irq_set_handler(int vector, irq_handler_t fn, void *ctx, const char *name)
{
	unsigned long f = spin_lock_irqsave(&vec_lock);
	handlers[vector].ctx = ctx;
	handlers[vector].name = name;
	handlers[vector].fn = fn;
	spin_unlock_irqrestore(&vec_lock, f);
}

int irq_alloc_vector(irq_handler_t fn, void *ctx, const char *name)
{
	unsigned long f = spin_lock_irqsave(&vec_lock);
	int vec = -ENOSPC;

	if (next_device_vector <= VEC_DEVICE_LAST) {
		vec = next_device_vector++;
		handlers[vec].ctx = ctx;
		handlers[vec].name = name;
		handlers[vec].fn = fn;
	}
	spin_unlock_irqrestore(&vec_lock, f);
	if (vec < 0)
		kprintf("irq: no free interrupt vector for %s\n", name);
	return vec;
}

uint64_t irq_count(int vector) { return handlers[vector].count; }
const char *irq_name(int vector) { return handlers[vector].name; }

/**
 * trap_dump - print a trap frame: registers, control registers, backtrace.
 */
void trap_dump(const struct trap_frame *tf)
{
	kprintf("  RIP %016lx ", tf->rip);
	ksyms_print_addr(tf->rip);
	kprintf("\n  RSP %016lx RFLAGS %016lx CS %04lx SS %04lx\n",
		tf->rsp, tf->rflags, tf->cs, tf->ss);
	kprintf("  RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n",
		tf->rax, tf->rbx, tf->rcx, tf->rdx);
	kprintf("  RSI %016lx RDI %016lx RBP %016lx\n", tf->rsi, tf->rdi, tf->rbp);
	kprintf("  R8  %016lx R9  %016lx R10 %016lx R11 %016lx\n",
		tf->r8, tf->r9, tf->r10, tf->r11);
	kprintf("  R12 %016lx R13 %016lx R14 %016lx R15 %016lx\n",
		tf->r12, tf->r13, tf->r14, tf->r15);
	kprintf("  CR0 %016lx CR2 %016lx CR3 %016lx CR4 %016lx\n",
		read_cr0(), read_cr2(), read_cr3(), read_cr4());
	backtrace_print(tf->rbp, tf->rip);
}

static void describe_page_fault(const struct trap_frame *tf)
{
	kprintf("  page fault at %016lx: %s %s in %s mode%s\n", read_cr2(),
		tf->error & PF_PRESENT ? "protection violation on" : "no page for",
		tf->error & PF_INSTR ? "instruction fetch" :
		tf->error & PF_WRITE ? "write" : "read",
		tf->error & PF_USER ? "user" : "kernel",
		tf->error & PF_RSVD ? ", reserved bit set" : "");
}

static __noreturn void fatal_exception(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();

	kprintf("\n*** exception %lu (%s), error code %#lx, on CPU %u",
		tf->vector, exception_names[tf->vector], tf->error, c ? c->id : 0);
	if (c && c->current)
		kprintf(" in thread '%s'", sched_thread_name(c->current));
	kprintf("\n");
	if (tf->vector == EXC_PF)
		describe_page_fault(tf);
	trap_dump(tf);
	panic("unhandled exception %lu (%s)", tf->vector, exception_names[tf->vector]);
}

/* A test asked to catch faults: record them and jump back to it. */
static bool catch_fault(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	struct kjmp_buf *jb = c->fault_jmp;

	if (!jb || (tf->vector != EXC_PF && tf->vector != EXC_GP && tf->vector != EXC_UD))
		return false;
	c->fault_jmp = NULL;
	c->fault_vector = tf->vector;
	c->fault_error = tf->error;
	c->fault_addr = tf->vector == EXC_PF ? read_cr2() : tf->rip;
	klongjmp(jb, 1);
}

static void handle_interrupt(struct trap_frame *tf)
{
	struct cpu *c = this_cpu();
	int v = (int)tf->vector;

	c->irq_depth++;
	handlers[v].count++;
	if (handlers[v].fn)
		handlers[v].fn(tf, handlers[v].ctx);
	if (v != VEC_SPURIOUS)
		lapic_eoi();
	c->irq_depth--;
	/* Preempt only when the interrupted code allowed it. */
	if (c->irq_depth == 0 && c->need_resched && c->preempt_count == 0)
		sched_preempt();
}

extern char user_iretq[];

/*
 * The IRETQ back to ring 3 faulted (a non-canonical RIP from a system
 * call, say): the frame it was returning is at tf->rsp.  Make tf that
 * user frame, so the process layer reports the user's RIP, and treat it
 * as a general-protection fault in ring 3.
 */
static void bad_iret(struct trap_frame *tf)
{
	const uint64_t *iret = (const uint64_t *)tf->rsp;

	tf->rip = iret[0];
	tf->cs = iret[1];
	tf->rflags = iret[2];
	tf->rsp = iret[3];
	tf->ss = iret[4];
}

static bool exception(struct trap_frame *tf)
{
	uint64_t addr;

	if (tf->vector == EXC_NMI) {
		sched_nmi_stop();	/* another CPU panicked */
		return true;
	}
	if (tf->vector == EXC_GP && tf->rip == (uint64_t)user_iretq && user_fault_hook) {
		bad_iret(tf);
		return user_fault_hook(tf, 0, true);	/* kills the process */
	}
	if (tf->cs & SEL_RPL3) {
		addr = tf->vector == EXC_PF ? read_cr2() : tf->rip;
		if (user_fault_hook)
			return user_fault_hook(tf, addr, true);
		return false;
	}
	if (tf->vector == EXC_PF) {
		addr = read_cr2();
		if (page_fault_hook && page_fault_hook(tf, addr))
			return true;
		if (addr < USER_TOP) {
			uint64_t fixup;
			if (user_fault_hook && user_fault_hook(tf, addr, false))
				return true;
			if ((fixup = ex_table_find(tf->rip))) {
				tf->rip = fixup;
				return true;
			}
		}
	}
	return catch_fault(tf);
}

void trap_handler(struct trap_frame *tf)
{
	bool to_user = tf->cs & SEL_RPL3;

	if (tf->vector < VEC_EXCEPTIONS) {
		if (!exception(tf))
			fatal_exception(tf);
		if (tf->vector == EXC_NMI)
			return;
	} else {
		handle_interrupt(tf);
	}
	if (to_user && user_return_hook)
		user_return_hook(tf);
}

void trap_init(void)
{
	idt_init();
	idt_load();
}
