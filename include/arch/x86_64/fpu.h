/*
 * fpu.h - the user FP/SSE state as a signal frame carries it: the
 * 512-byte FXSAVE image (Intel SDM Vol. 1, 10.5.1, table 10-2), which is
 * what Linux's struct _fpstate_64 is for a CPU without XSAVE.
 * arch/x86_64/fpu.c.
 */
#ifndef ARCH_X86_64_FPU_H
#define ARCH_X86_64_FPU_H

#define FXSAVE_SIZE		512
#define FXSAVE_ALIGN		16
#define FXSAVE_MXCSR_OFF	24	/* MXCSR in the image */
#define FXSAVE_MXCSR_MASK_OFF	28	/* which MXCSR bits the CPU accepts */
#define MXCSR_MASK_DEFAULT	0xffbfu	/* when the CPU stores 0 there (SDM 11.6.6) */

/* Save the calling thread's live user FP state into @buf (16-aligned).
 * Any context of a process thread; no errors. */
void arch_fpu_save(void *buf);
/* Load @buf (16-aligned, from user space) as the calling thread's FP
 * state, after clearing the MXCSR bits the CPU refuses (FXRSTOR would
 * raise #GP in the kernel).  No errors. */
void arch_fpu_load_user(void *buf);

#endif
