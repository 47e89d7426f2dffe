/*
 * persist.c - making stores to persistent memory durable.
 *
 * Cache-line write-back: CLWB (keeps the line cached), else CLFLUSHOPT,
 * else CLFLUSH (Intel SDM Vol. 2A; CPUID.07H:EBX bits 24 and 23, CPUID.01H:
 * EDX bit 19), chosen once at boot.  CLWB and CLFLUSHOPT are weakly ordered
 * and need an SFENCE before the data counts as durable; CLFLUSH is ordered
 * with stores, but the same SFENCE keeps one rule for every path.
 * Non-temporal stores (MOVNTI, on general registers: no SSE state) bypass
 * the cache and also need SFENCE.  On a platform with flush hint addresses
 * pmem_drain() is per region (drivers/nvdimm/pmem.c); this file is the CPU
 * side.
 */
#include <drivers/pmem.h>
#include <arch/x86_64/cpu.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <lib/compiler.h>

#define CACHE_LINE		64
#define NT_THRESHOLD		256	/* shorter copies: cached stores + flush */
#define CPUID_1_EDX_CLFSH	(1u << 19)

static enum pmem_flush_kind flush_kind = PMEM_FLUSH_CLFLUSH;
uint64_t pmem_lines_flushed;

void pmem_persist_init(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	if (cpu_features.clwb)
		flush_kind = PMEM_FLUSH_CLWB;
	else if (cpu_features.clflushopt)
		flush_kind = PMEM_FLUSH_CLFLUSHOPT;
	else
		flush_kind = PMEM_FLUSH_CLFLUSH;
	if (flush_kind == PMEM_FLUSH_CLFLUSH && !(d & CPUID_1_EDX_CLFSH))
		kprintf("pmem: CPUID says this CPU has no CLFLUSH; using it anyway (every x86-64 CPU has it)\n");
	kprintf("pmem: cache flush with %s\n", pmem_flush_name());
}

enum pmem_flush_kind pmem_flush_kind(void)
{
	return flush_kind;
}

const char *pmem_flush_name(void)
{
	static const char *const names[] = { "clwb", "clflushopt", "clflush" };
	return names[flush_kind];
}

void pmem_flush(const void *addr, size_t len)
{
	uintptr_t p = ALIGN_DOWN((uintptr_t)addr, CACHE_LINE);
	uintptr_t end = (uintptr_t)addr + len;
	uint64_t n = 0;

	if (len == 0)
		return;
	switch (flush_kind) {
	case PMEM_FLUSH_CLWB:
		for (; p < end; p += CACHE_LINE, n++)
			__asm__ __volatile__("clwb (%0)" :: "r"(p) : "memory");
		break;
	case PMEM_FLUSH_CLFLUSHOPT:
		for (; p < end; p += CACHE_LINE, n++)
			__asm__ __volatile__("clflushopt (%0)" :: "r"(p) : "memory");
		break;
	default:
		for (; p < end; p += CACHE_LINE, n++)
			__asm__ __volatile__("clflush (%0)" :: "r"(p) : "memory");
	}
	__atomic_fetch_add(&pmem_lines_flushed, n, __ATOMIC_RELAXED);
}

void pmem_drain(void)
{
	__asm__ __volatile__("sfence" ::: "memory");
}

/* 8-byte non-temporal stores, four per iteration.  dst 8-byte aligned. */
static void copy_nt(uint64_t *dst, const uint64_t *src, size_t words)
{
	size_t i = 0;

	for (; i + 4 <= words; i += 4) {
		uint64_t a = src[i], b = src[i + 1], c = src[i + 2], d = src[i + 3];
		__asm__ __volatile__("movnti %0, (%1)" :: "r"(a), "r"(dst + i) : "memory");
		__asm__ __volatile__("movnti %0, (%1)" :: "r"(b), "r"(dst + i + 1) : "memory");
		__asm__ __volatile__("movnti %0, (%1)" :: "r"(c), "r"(dst + i + 2) : "memory");
		__asm__ __volatile__("movnti %0, (%1)" :: "r"(d), "r"(dst + i + 3) : "memory");
	}
	for (; i < words; i++)
		__asm__ __volatile__("movnti %0, (%1)" :: "r"(src[i]), "r"(dst + i) : "memory");
}

void memcpy_to_pmem(void *dst, const void *src, size_t len)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	size_t head;

	if (len < NT_THRESHOLD) {
		memcpy(d, s, len);
		pmem_flush(d, len);
		return;
	}
	head = (8 - ((uintptr_t)d & 7)) & 7;
	if (head) {
		memcpy(d, s, head);
		pmem_flush(d, head);
		d += head;
		s += head;
		len -= head;
	}
	copy_nt((uint64_t *)d, (const uint64_t *)s, len / 8);
	if (len & 7) {
		memcpy(d + (len & ~7UL), s + (len & ~7UL), len & 7);
		pmem_flush(d + (len & ~7UL), len & 7);
	}
}
