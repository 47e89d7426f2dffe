/*
 * ksyms.c - symbol lookup and frame-pointer backtraces.
 *
 * The table (build/ksyms.S, from scripts/ksyms.py) is sorted by address,
 * so a lookup is a binary search for the last symbol at or below addr.
 * The kernel is built with -fno-omit-frame-pointer, so each frame starts
 * with [saved rbp][return address]; the walk stops at a null, misaligned
 * or non-kernel frame pointer, or after BACKTRACE_MAX frames.
 */
#include <kernel/ksyms.h>
#include <kernel/printk.h>
#include <kernel/mm.h>

#define BACKTRACE_MAX	32

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addrs[];
extern const uint32_t ksyms_names[];
extern const char ksyms_strtab[];
extern const char __text_start[], __text_end[];

const char *ksyms_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksyms_count;

	if (addr < (uint64_t)__text_start || addr >= (uint64_t)__text_end || hi == 0)
		return NULL;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (ksyms_addrs[lo] > addr)
		return NULL;
	*offset = addr - ksyms_addrs[lo];
	return ksyms_strtab + ksyms_names[lo];
}

void ksyms_print_addr(uint64_t addr)
{
	uint64_t off;
	const char *name = ksyms_lookup(addr, &off);

	if (name)
		kprintf("%s+%#lx", name, off);
	else
		kprintf("?");
}

/* A frame pointer we may dereference: aligned and in kernel memory. */
static int frame_ok(uint64_t rbp)
{
	return rbp && !(rbp & 7) && rbp >= DIRECT_MAP_BASE && rbp < UINT64_MAX - 16;
}

void backtrace_print(uint64_t rbp, uint64_t rip)
{
	kprintf("  backtrace:\n    %016lx ", rip);
	ksyms_print_addr(rip);
	kprintf("\n");
	for (int i = 0; i < BACKTRACE_MAX && frame_ok(rbp); i++) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t ret = frame[1];
		if (ret < (uint64_t)__text_start || ret >= (uint64_t)__text_end)
			break;
		kprintf("    %016lx ", ret);
		/* ret points after the call; ret-1 is inside the caller's call */
		ksyms_print_addr(ret - 1);
		kprintf("\n");
		if (frame[0] <= rbp)	/* stacks grow down: frames go up */
			break;
		rbp = frame[0];
	}
}

void backtrace_here(void)
{
	backtrace_print((uint64_t)__builtin_frame_address(0), (uint64_t)&&here);
here:
	return;
}
