/*
 * syscall.c - the SYSCALL MSRs, the hand-over to the system-call table,
 * and the exception table of the user-copy primitives.
 *
 * MSRs (Intel SDM Vol. 4, table 2-2; Vol. 3A 5.8.8): IA32_EFER.SCE
 * enables SYSCALL/SYSRET; IA32_STAR holds the kernel CS in bits 47:32
 * and SYSRET's base selector in bits 63:48 (desc.h explains the GDT
 * order); IA32_LSTAR the 64-bit entry point; IA32_FMASK the RFLAGS bits
 * SYSCALL clears (IF, so the entry runs with interrupts off until it is
 * on the kernel stack; TF, DF, AC and NT so no user setting leaks in).
 *
 * The handler (sys/syscall.c) is registered, not called by name: arch
 * sits below the system-call table in the layers.
 */
#include <arch/x86_64/syscall.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/desc.h>
#include <arch/x86_64/irq.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/paging.h>
#include <arch/x86_64/switch.h>
#include <kernel/sched.h>
#include <kernel/panic.h>
#include <lib/string.h>

#define MSR_STAR	0xC0000081
#define MSR_LSTAR	0xC0000082
#define MSR_FMASK	0xC0000084
#define EFER_SCE	(1ULL << 0)
#define RFLAGS_TF	(1UL << 8)
#define RFLAGS_DF	(1UL << 10)
#define RFLAGS_NT	(1UL << 14)
#define RFLAGS_AC	(1UL << 18)
#define RFLAGS_IOPL	(3UL << 12)

extern char syscall_entry[];
extern const struct ex_entry __start_ex_table[], __stop_ex_table[];

static void (*syscall_handler)(struct trap_frame *tf);
void (*user_return_hook)(struct trap_frame *tf);
bool (*user_fault_hook)(struct trap_frame *tf, uint64_t addr, bool user_mode);

#define CR0_MP		(1UL << 1)
#define CR0_EM		(1UL << 2)
#define CR0_TS		(1UL << 3)
#define CR4_OSFXSR	(1UL << 9)
#define CR4_OSXMMEXCPT	(1UL << 10)

/* The x87/SSE state a new program starts with (after FNINIT, MXCSR
 * 0x1f80), taken once at boot. */
static uint8_t fpu_initial[FPU_STATE_SIZE] __aligned(16);
static bool fpu_initial_taken;

void syscall_init_cpu(void)
{
	/* User programs use SSE (the kernel itself is built without it):
	 * FXSAVE/FXRSTOR and SSE on, x87 emulation off (SDM Vol. 3A 13.1). */
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	if (!fpu_initial_taken) {
		__asm__ __volatile__("fninit; fxsave %0" : "=m"(fpu_initial));
		fpu_initial_taken = true;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((uint64_t)GDT_UCODE32 << 48) | ((uint64_t)GDT_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC | RFLAGS_IOPL);
	wrmsr(MSR_KERNEL_GS_BASE, 0);	/* the user's GS base starts at 0 */
}

void syscall_set_handler(void (*fn)(struct trap_frame *tf))
{
	syscall_handler = fn;
}

/* From syscall.S, interrupts on, on the thread's kernel stack. */
void syscall_dispatch_arch(struct trap_frame *tf);
void syscall_dispatch_arch(struct trap_frame *tf)
{
	if (syscall_handler)
		syscall_handler(tf);
	else
		tf->rax = (uint64_t)-38;	/* -ENOSYS: nobody registered */
	if (user_return_hook)
		user_return_hook(tf);
	tf->rflags = (tf->rflags & RFLAGS_USER) | RFLAGS_IF;
	tf->cs = USER_CS;
	tf->ss = USER_SS;
}

uint64_t ex_table_find(uint64_t rip)
{
	for (const struct ex_entry *e = __start_ex_table; e < __stop_ex_table; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}

void arch_thread_switch(struct thread *prev, struct thread *next)
{
	struct cpu *c = this_cpu();
	uint64_t top = (uint64_t)next->stack_base + next->stack_size;
	uint64_t cr3 = next->user_cr3 ? next->user_cr3 : kernel_pgtable.pml4_phys;

	if (prev->proc) {
		prev->fs_base = rdmsr(MSR_FS_BASE);
		__asm__ __volatile__("fxsave %0" : "=m"(prev->fpu));
	}
	c->kstack_top = top;
	c->tss.rsp[0] = top;
	if (read_cr3() != cr3)
		cr3_load(cr3);
	if (next->proc) {
		wrmsr(MSR_FS_BASE, next->fs_base);
		__asm__ __volatile__("fxrstor %0" :: "m"(next->fpu));
	}
}

void arch_fpu_init(struct thread *t)
{
	memcpy(t->fpu, fpu_initial, sizeof(t->fpu));
	__asm__ __volatile__("fxrstor %0" :: "m"(t->fpu));
}

void arch_fpu_copy(struct thread *to)
{
	__asm__ __volatile__("fxsave %0" : "=m"(to->fpu));
}
