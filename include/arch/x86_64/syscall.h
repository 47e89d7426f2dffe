/*
 * syscall.h - the ring-3 boundary: the SYSCALL entry, the way back to user
 * mode, and the user-copy primitives with their exception-table fixups.
 *
 * The entry (arch/x86_64/syscall.S) saves the user's registers as a
 * struct trap_frame (include/arch/x86_64/irq.h; vector TRAP_SYSCALL) on
 * the running thread's kernel stack, enables interrupts and calls the
 * handler registered with syscall_set_handler() (the system-call table,
 * sys/syscall.c: the top layer registers itself, arch never names it).
 * The return goes back with SYSRET, or with IRETQ when the saved RIP is
 * not canonical (SYSRET would fault in ring 0 on Intel CPUs).
 *
 * Everything here acts on the calling CPU or thread; no locks.
 */
#ifndef ARCH_X86_64_SYSCALL_H
#define ARCH_X86_64_SYSCALL_H

/* Offsets into struct cpu (percpu.h asserts them). */
#define CPU_KSTACK_TOP_OFF	8
#define CPU_SCRATCH_RSP_OFF	16
#define TRAP_SYSCALL		256	/* trap_frame.vector of a system call */
#define USER_TOP		0x0000800000000000UL	/* first non-canonical address */
/* What a user program may have in RFLAGS on the way back to ring 3: CF,
 * PF, AF, ZF, SF, TF, DF, OF, AC and ID (never IOPL, NT, RF or VM). */
#define RFLAGS_USER		0x240dd5UL

#ifndef __ASSEMBLY__
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <lib/compiler.h>

struct trap_frame;

/* Program STAR/LSTAR/FMASK and EFER.SCE on this CPU.  Boot of each CPU. */
void syscall_init_cpu(void);

/*
 * syscall_set_handler - who gets every system call: fn(frame) reads the
 * number and arguments from the frame and writes the result into
 * frame->rax.  Boot, once.
 */
void syscall_set_handler(void (*fn)(struct trap_frame *tf));

/*
 * user_return_hook - called with the frame on every return to ring 3
 * (after a system call, an interrupt or an exception from user mode),
 * interrupts on: the process layer acts on pending kills there.  Set once
 * at boot by kernel/proc.c.
 */
extern void (*user_return_hook)(struct trap_frame *tf);

/*
 * user_fault_hook - a page fault or other exception in ring 3, or a page
 * fault in the kernel on a user address (copy_from_user...): returns true
 * when it was resolved (a demand-zero page mapped) and the access can be
 * retried.  For a ring-3 fault it does not resolve, it does not return
 * (the process is killed).  Set once at boot by the process layer.
 */
extern bool (*user_fault_hook)(struct trap_frame *tf, uint64_t addr, bool user_mode);

/**
 * enter_user - leave for ring 3 with the registers in @tf (a frame on
 * the current thread's kernel stack, built by exec or fork).  Never
 * returns; the thread comes back through the system-call entry or an
 * interrupt.
 */
__noreturn void enter_user(struct trap_frame *tf);

/*
 * The raw user-copy primitives (uaccess.S).  Each returns the number of
 * bytes NOT copied (0 on success): a fault on the user side is caught by
 * the exception table and ends the copy there.  Callers check the range
 * is below USER_TOP first (kernel/uaccess.c).
 */
size_t arch_copy_user(void *dst, const void *src, size_t n);
/* Copy up to @n bytes, stopping after a NUL: returns the length copied
 * without the NUL, @n when no NUL came, or -1 on a fault. */
long arch_strncpy_user(char *dst, const char *src, size_t n);

/* An exception-table entry: a faulting instruction and where to go. */
struct ex_entry {
	uint64_t insn, fixup;
};
/* The fixup address for a fault at @rip, or 0. */
uint64_t ex_table_find(uint64_t rip);

static inline bool user_range_ok(uint64_t addr, size_t len)
{
	return addr < USER_TOP && len <= USER_TOP - addr;
}
#endif
#endif
