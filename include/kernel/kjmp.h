/*
 * kjmp.h - a kernel setjmp/longjmp, used to recover from faults that a test
 * provokes on purpose (see struct cpu's fault_jmp and tests/kernel/).
 *
 * kjmp saves the callee-saved registers, the stack pointer, the return
 * address and RFLAGS (so the interrupt flag comes back as it was).
 */
#ifndef KERNEL_KJMP_H
#define KERNEL_KJMP_H

#include <stdint.h>
#include <lib/compiler.h>

struct kjmp_buf {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip, rflags;
};

/*
 * ksetjmp returns 0, then @val again when klongjmp(jb, val) jumps back.
 * Any context; the jump must stay on the same stack and thread, to a frame
 * still live, and undoes no lock, preemption or interrupt count taken in
 * between (RFLAGS comes back; the caller restores the rest).
 */
int ksetjmp(struct kjmp_buf *jb) __attribute__((returns_twice));
void klongjmp(struct kjmp_buf *jb, int val) __noreturn;

#endif
