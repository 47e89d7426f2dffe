/*
 * cpufeatures.c - detect the CPU features the kernel uses (CPUID).
 *
 * Leaves and bits: Intel SDM Vol. 2A, CPUID, tables 3-8 to 3-10, and the
 * AMD64 APM Vol. 3, appendix E.  Filled once on the boot CPU; read-only after.
 */
#include <arch/x86_64/cpu.h>
#include <lib/string.h>

#define CPUID_VENDOR		0x0
#define CPUID_FEATURES		0x1
#define CPUID_EXT_FEATURES_7	0x7
#define CPUID_EXT_MAX		0x80000000
#define CPUID_EXT_FEATURES	0x80000001
#define CPUID_BRAND_FIRST	0x80000002
#define CPUID_BRAND_LAST	0x80000004
#define CPUID_POWER		0x80000007

#define CPUID_1_ECX_X2APIC	(1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_7_EBX_CLFLUSHOPT	(1u << 23)
#define CPUID_7_EBX_CLWB	(1u << 24)
#define CPUID_81_EDX_NX		(1u << 20)
#define CPUID_81_EDX_PDPE1GB	(1u << 26)
#define CPUID_87_EDX_INVTSC	(1u << 8)

struct cpu_features cpu_features;

void cpu_detect_features(void)
{
	struct cpu_features *f = &cpu_features;
	uint32_t a, b, c, d;

	cpuid(CPUID_VENDOR, 0, &a, &b, &c, &d);
	f->max_leaf = a;
	memcpy(f->vendor + 0, &b, 4);
	memcpy(f->vendor + 4, &d, 4);
	memcpy(f->vendor + 8, &c, 4);
	f->vendor[12] = 0;

	cpuid(CPUID_FEATURES, 0, &a, &b, &c, &d);
	f->x2apic = c & CPUID_1_ECX_X2APIC;
	f->tsc_deadline = c & CPUID_1_ECX_TSC_DEADLINE;
	if (f->max_leaf >= CPUID_EXT_FEATURES_7) {
		cpuid(CPUID_EXT_FEATURES_7, 0, &a, &b, &c, &d);
		f->clflushopt = b & CPUID_7_EBX_CLFLUSHOPT;
		f->clwb = b & CPUID_7_EBX_CLWB;
	}

	cpuid(CPUID_EXT_MAX, 0, &a, &b, &c, &d);
	f->max_ext_leaf = a;
	if (a >= CPUID_EXT_FEATURES) {
		cpuid(CPUID_EXT_FEATURES, 0, &a, &b, &c, &d);
		f->nx = d & CPUID_81_EDX_NX;
		f->pdpe1gb = d & CPUID_81_EDX_PDPE1GB;
	}
	if (f->max_ext_leaf >= CPUID_BRAND_LAST) {
		uint32_t *out = (uint32_t *)f->brand;
		for (uint32_t leaf = CPUID_BRAND_FIRST; leaf <= CPUID_BRAND_LAST; leaf++, out += 4)
			cpuid(leaf, 0, &out[0], &out[1], &out[2], &out[3]);
		f->brand[48] = 0;
	}
	if (f->max_ext_leaf >= CPUID_POWER) {
		cpuid(CPUID_POWER, 0, &a, &b, &c, &d);
		f->invariant_tsc = d & CPUID_87_EDX_INVTSC;
	}
}
