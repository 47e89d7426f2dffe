/*
 * switch.h - the register switch between two kernel threads (switch.S).
 * The scheduler (kernel/sched.c) is its only caller.
 */
#ifndef ARCH_X86_64_SWITCH_H
#define ARCH_X86_64_SWITCH_H

#include <stdint.h>

/**
 * context_switch - save the callee-saved registers on the current stack,
 * store the stack pointer in *@prev_rsp, load @next_rsp and return on the
 * next thread's stack.  Interrupts off; the caller holds the run-queue
 * lock, which the thread switched to releases.
 */
void context_switch(uint64_t *prev_rsp, uint64_t next_rsp);

struct thread;
/**
 * arch_thread_switch - what a switch from @prev to @next changes besides
 * the registers: the kernel stack ring-3 entries land on (TSS rsp0 and the
 * SYSCALL entry's cpu->kstack_top), the address space (CR3: @next's, or
 * the kernel's for a kernel thread) and the FS base of user threads.
 * Called by the scheduler with rq_lock held and interrupts off.
 */
void arch_thread_switch(struct thread *prev, struct thread *next);
/* A user thread's x87/SSE state: the initial one, loaded now (exec, a new
 * process), or a copy of the running thread's into @to (fork).  Preemption off. */
void arch_fpu_init(struct thread *t);
void arch_fpu_copy(struct thread *to);

#endif
