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

#endif
