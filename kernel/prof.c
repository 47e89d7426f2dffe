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
 * Each sample also keeps the function's caller: the return address in
 * the interrupted frame (the kernel keeps frame pointers), read only when
 * the frame pointer lies on the interrupted thread's own stack.  The
 * report names, under each busy function, the callers that brought the
 * most samples to it ("crc32c, 60% from hfs_iget"): a flat profile says
 * where the time goes, the callers say why.
 *
 * The shell's `prof COMMAND...` runs one command with the profiler on.
 *
 * Locking: samples[] is filled lock-free (one atomic index); start, stop
 * and report are called by one thread at a time (the shell).
 */
#include <kernel/prof.h>
#include <kernel/printk.h>
#include <kernel/ksyms.h>
#include <kernel/sched.h>
#include <lib/string.h>

#define MAX_SAMPLES	65536
#define MAX_FUNCS	1024
#define TOP_CALLERS	3		/* callers shown under each function */

struct sample {
	uint64_t rip;			/* 0: the idle loop */
	uint64_t caller;		/* return address, 0 when unknown */
};

static struct sample samples[MAX_SAMPLES];
static uint64_t nsamples;		/* may run past MAX_SAMPLES: dropped */
static bool prof_on;

/*
 * The return address of the frame @rbp, if @rbp is a frame on @t's stack
 * (anything else, such as assembly using rbp as a plain register, or an
 * interrupt on the boot stack, gives 0: unknown).
 */
static uint64_t caller_of(const struct thread *t, uint64_t rbp)
{
	uint64_t lo, hi;

	if (!t || !t->stack_base)
		return 0;
	lo = (uint64_t)t->stack_base;
	hi = lo + t->stack_size;
	if ((rbp & 7) || rbp < lo || rbp + 16 > hi)
		return 0;
	return ((const uint64_t *)rbp)[1];
}

/* Called from the timer interrupt: @rip and @rbp interrupted in thread
 * @t, @idle if the CPU was running its idle thread (recorded as 0). */
void prof_sample(const struct thread *t, uint64_t rip, uint64_t rbp, bool idle)
{
	uint64_t i;

	if (!__atomic_load_n(&prof_on, __ATOMIC_RELAXED))
		return;
	i = __atomic_fetch_add(&nsamples, 1, __ATOMIC_RELAXED);
	if (i >= MAX_SAMPLES)
		return;
	samples[i].rip = idle ? 0 : rip;
	samples[i].caller = idle ? 0 : caller_of(t, rbp);
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

/* Fold @f[*nf] (at most @max) by name: count one more for @name. */
static bool fold(struct func *f, unsigned *nf, unsigned max, const char *name)
{
	unsigned k;

	for (k = 0; k < *nf && f[k].name != name; k++)
		;
	if (k == *nf) {
		if (*nf == max)
			return false;
		f[(*nf)++] = (struct func){ name, 0 };
	}
	f[k].count++;
	return true;
}

static const char *func_name(uint64_t addr)
{
	uint64_t off;

	return ksyms_lookup(addr, &off);
}

static void print_pct(uint64_t part, uint64_t whole)
{
	kprintf("%5lu.%lu", (unsigned long)(part * 100 / whole),
		(unsigned long)(part * 1000 / whole % 10));
}

/* Under function @name (@count samples): the callers that brought most. */
static void report_callers(const char *name, uint64_t count, uint64_t n)
{
	static struct func callers[MAX_FUNCS];
	unsigned nc = 0;

	for (uint64_t i = 0; i < n; i++)
		if (samples[i].rip && func_name(samples[i].rip) == name)
			/* caller - 1: inside the call instruction, not after it */
			fold(callers, &nc, MAX_FUNCS,
			     samples[i].caller ? func_name(samples[i].caller - 1) : NULL);
	sort_funcs(callers, nc);
	for (unsigned k = 0; k < nc && k < TOP_CALLERS; k++) {
		kprintf("                  ");
		print_pct(callers[k].count, count);
		kprintf("%% from %s\n", callers[k].name ? callers[k].name : "(unknown)");
	}
}

/**
 * prof_report - print the @top functions with the most samples, each with
 * the callers it was reached from most (@callers).  Returns the number of
 * samples folded (0: nothing was recorded).
 */
uint64_t prof_report(unsigned top, bool callers)
{
	static struct func funcs[MAX_FUNCS];
	uint64_t n = MIN(__atomic_load_n(&nsamples, __ATOMIC_ACQUIRE), (uint64_t)MAX_SAMPLES);
	uint64_t idle = 0, other = 0;
	unsigned nf = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (samples[i].rip == 0)
			idle++;
		else if (!fold(funcs, &nf, MAX_FUNCS, func_name(samples[i].rip)))
			other++;
	}
	sort_funcs(funcs, nf);
	kprintf("prof: %lu samples (%lu in the idle loop, not shown)%s\n", (unsigned long)n,
		(unsigned long)idle, nsamples > MAX_SAMPLES ? "; buffer full, later ones dropped" : "");
	if (n > idle) {
		uint64_t busy = n - idle;

		kprintf("  %%busy  samples  function\n");
		for (unsigned k = 0; k < nf && k < top; k++) {
			kprintf("  ");
			print_pct(funcs[k].count, busy);
			kprintf(" %8lu  %s\n", (unsigned long)funcs[k].count,
				funcs[k].name ? funcs[k].name : "(outside the kernel text)");
			if (callers && funcs[k].name)
				report_callers(funcs[k].name, funcs[k].count, n);
		}
		if (other)
			kprintf("  (and %lu samples in more functions than the report keeps)\n",
				(unsigned long)other);
	}
	return n;
}
