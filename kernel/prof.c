/*
 * prof.c - a sampling profiler: where the CPUs spend their time.
 *
 * While profiling is on, every timer interrupt (SCHED_HZ per CPU) records
 * the instruction pointer it interrupted.  The report folds the samples
 * into functions through the kernel's symbol table (ksyms.c) and prints
 * the busiest ones.  Samples taken in the idle loop are counted apart, so
 * the report is about work.  Under TCG the timer runs on the host's clock,
 * so the samples are proportional to where emulated time goes.
 *
 * The shell's `prof COMMAND...` runs one command with the profiler on.
 *
 * Locking: samples[] is filled lock-free (one atomic index); start, stop
 * and report are called by one thread at a time (the shell).
 */
#include <kernel/prof.h>
#include <kernel/printk.h>
#include <kernel/ksyms.h>
#include <lib/string.h>

#define MAX_SAMPLES	65536
#define MAX_FUNCS	1024

static uint64_t samples[MAX_SAMPLES];
static uint64_t nsamples;		/* may run past MAX_SAMPLES: dropped */
static bool prof_on;

/* Called from the timer interrupt: @rip interrupted, @idle if the CPU
 * was running its idle thread (recorded as 0). */
void prof_sample(uint64_t rip, bool idle)
{
	uint64_t i;

	if (!__atomic_load_n(&prof_on, __ATOMIC_RELAXED))
		return;
	i = __atomic_fetch_add(&nsamples, 1, __ATOMIC_RELAXED);
	if (i < MAX_SAMPLES)
		samples[i] = idle ? 0 : rip;
}

void prof_start(void)
{
	__atomic_store_n(&nsamples, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&prof_on, true, __ATOMIC_RELEASE);
}

void prof_stop(void)
{
	__atomic_store_n(&prof_on, false, __ATOMIC_RELEASE);
}

struct func {
	const char *name;		/* from the symbol table (NULL: unknown) */
	uint64_t count;
};

static int by_count(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* Insertion sort: MAX_FUNCS entries at most, and only once per report. */
static void sort_funcs(struct func *f, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct func k = f[i];
		unsigned j = i;

		while (j > 0 && by_count(&f[j - 1], &k) > 0) {
			f[j] = f[j - 1];
			j--;
		}
		f[j] = k;
	}
}

/**
 * prof_report - print the @top functions with the most samples.  Returns
 * the number of samples folded (0: nothing was recorded).
 */
uint64_t prof_report(unsigned top)
{
	static struct func funcs[MAX_FUNCS];
	uint64_t n = MIN(__atomic_load_n(&nsamples, __ATOMIC_ACQUIRE), (uint64_t)MAX_SAMPLES);
	uint64_t idle = 0, other = 0, off;
	unsigned nf = 0;

	for (uint64_t i = 0; i < n; i++) {
		const char *name;
		unsigned k;

		if (samples[i] == 0) {
			idle++;
			continue;
		}
		name = ksyms_lookup(samples[i], &off);
		for (k = 0; k < nf && funcs[k].name != name; k++)
			;
		if (k == nf) {
			if (nf == MAX_FUNCS) {
				other++;
				continue;
			}
			funcs[nf++] = (struct func){ name, 0 };
		}
		funcs[k].count++;
	}
	sort_funcs(funcs, nf);
	kprintf("prof: %lu samples (%lu in the idle loop, not shown)%s\n", (unsigned long)n,
		(unsigned long)idle, nsamples > MAX_SAMPLES ? "; buffer full, later ones dropped" : "");
	if (n > idle) {
		uint64_t busy = n - idle;

		kprintf("  %%busy  samples  function\n");
		for (unsigned k = 0; k < nf && k < top; k++)
			kprintf("  %5lu.%lu %8lu  %s\n",
				(unsigned long)(funcs[k].count * 100 / busy),
				(unsigned long)(funcs[k].count * 1000 / busy % 10),
				(unsigned long)funcs[k].count,
				funcs[k].name ? funcs[k].name : "(outside the kernel text)");
		if (other)
			kprintf("  (and %lu samples in more functions than the report keeps)\n",
				(unsigned long)other);
	}
	return n;
}
