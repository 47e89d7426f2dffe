/*
 * fpu.c - saving and loading a process thread's FP/SSE state for signal
 * frames (include/arch/x86_64/fpu.h).  The live state is the running
 * thread's (the kernel itself is built without SSE and never touches it);
 * a switch saves and restores it (arch_thread_switch), so no lock is
 * needed here.
 */
#include <arch/x86_64/fpu.h>
#include <stdint.h>
#include <lib/string.h>

void arch_fpu_save(void *buf)
{
	__asm__ __volatile__("fxsave (%0)" :: "r"(buf) : "memory");
}

void arch_fpu_load_user(void *buf)
{
	uint8_t *b = buf;
	uint32_t mxcsr, mask;

	uint8_t cur[FXSAVE_SIZE] __attribute__((aligned(FXSAVE_ALIGN)));

	arch_fpu_save(cur);		/* the CPU's own MXCSR_MASK */
	memcpy(&mask, cur + FXSAVE_MXCSR_MASK_OFF, sizeof(mask));
	if (!mask)
		mask = MXCSR_MASK_DEFAULT;
	memcpy(&mxcsr, b + FXSAVE_MXCSR_OFF, sizeof(mxcsr));
	mxcsr &= mask;
	memcpy(b + FXSAVE_MXCSR_OFF, &mxcsr, sizeof(mxcsr));
	memcpy(b + FXSAVE_MXCSR_MASK_OFF, &mask, sizeof(mask));
	__asm__ __volatile__("fxrstor (%0)" :: "r"(buf) : "memory");
}
