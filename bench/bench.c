/*
 * bench.c - the benchmark runner and the memory ceilings: how fast the CPU
 * copies DRAM to DRAM, writes pmem with non-temporal stores, and reads
 * pmem.  These are the ceilings the filesystem is measured against.
 *
 * Sizes follow the Linux peer harness's memory workloads: a 2 MiB DRAM
 * buffer copied to or from a 256 MiB range (the whole region if smaller).
 * MB/s are 10^6 bytes per second.
 */
#include <bench/bench.h>
#include <kernel/mm.h>
#include <kernel/timer.h>
#include <kernel/printk.h>
#include <drivers/pmem.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <fs/vfs.h>
#include <fs/holdfs.h>

#define MIB		(1024ULL * 1024)
#define RANGE		(256 * MIB)
#define QUICK_RANGE	(8 * MIB)
#define CHUNK		(2 * MIB)
#define DRAM_DST	(64 * MIB)
#define DRAM_PASSES	4

extern const struct bench __start_benches[], __stop_benches[];

static uint64_t mb_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? bytes * 1000 / ns : 0;
}

/* A contiguous DRAM buffer through the direct map, or NULL. */
static uint8_t *dram_alloc(uint64_t bytes)
{
	uint64_t pa = pmm_alloc_pages(bytes / PAGE_SIZE);

	return pa ? phys_to_virt(pa) : NULL;
}

static void dram_free(uint8_t *p, uint64_t bytes)
{
	pmm_free_pages(virt_to_phys(p), bytes / PAGE_SIZE);
}

static uint64_t pmem_range(const struct bench_opts *o, struct pmem_region *r)
{
	uint64_t want = o->quick ? QUICK_RANGE : RANGE;

	return ALIGN_DOWN(MIN(want, r->size), CHUNK);
}

static int bench_dram_memcpy(const struct bench_opts *o, uint64_t *v, const char **why)
{
	uint64_t dst_bytes = o->quick ? QUICK_RANGE : DRAM_DST, t0, ns, done = 0;
	uint8_t *src = dram_alloc(CHUNK), *dst = dram_alloc(dst_bytes);

	if (!src || !dst) {
		if (src)
			dram_free(src, CHUNK);
		if (dst)
			dram_free(dst, dst_bytes);
		*why = "not enough contiguous DRAM";
		return -ENOMEM;
	}
	memset(src, 0x5a, CHUNK);
	memset(dst, 0, dst_bytes);		/* prefault, as the peer does */
	t0 = time_ns();
	for (int pass = 0; pass < DRAM_PASSES; pass++)
		for (uint64_t off = 0; off < dst_bytes; off += CHUNK, done += CHUNK)
			memcpy(dst + off, src, CHUNK);
	ns = time_ns() - t0;
	*v = mb_per_s(done, ns);
	dram_free(src, CHUNK);
	dram_free(dst, dst_bytes);
	return 0;
}
BENCH(10, "dram_memcpy", "MB/s", false, bench_dram_memcpy);

static int bench_pmem_write_nt(const struct bench_opts *o, uint64_t *v, const char **why)
{
	struct pmem_region *r = pmem_region(0);
	uint8_t *src;
	uint64_t len, t0, inodes = 0;
	struct hfs_statfs st;
	bool mounted;

	if (!r) {
		*why = "no persistent memory";
		return -ENODEV;
	}
	if (!(src = dram_alloc(CHUNK))) {
		*why = "not enough DRAM";
		return -ENOMEM;
	}
	memset(src, 0xa5, CHUNK);
	/* The filesystem lives there: put it away, format it again after. */
	mounted = vfs_mounted();
	if (mounted && vfs_statfs(&st) == 0)
		inodes = st.inodes;
	if (mounted && vfs_unmount_root()) {
		dram_free(src, CHUNK);
		*why = "cannot unmount pmem0 (files open or inodes still held)";
		return -EBUSY;
	}
	len = pmem_range(o, r);
	/*
	 * Two passes, the second timed: the first store to each page of a fresh
	 * image costs the host a page fault (QEMU maps the file lazily), a
	 * cost the filesystem avoids by reusing freed blocks.  The ceiling is
	 * what the memory does once mapped.
	 */
	for (int pass = 0; pass < 2; pass++) {
		t0 = time_ns();
		for (uint64_t off = 0; off < len; off += CHUNK)
			memcpy_to_pmem(r->virt + off, src, CHUNK);
		pmem_drain();
	}
	*v = mb_per_s(len, time_ns() - t0);
	dram_free(src, CHUNK);
	if (mounted && vfs_format_root(inodes))
		kprintf("bench: could not format pmem0 again after pmem_write_nt\n");
	return 0;
}
BENCH(11, "pmem_write_nt", "MB/s", true, bench_pmem_write_nt);

static int bench_pmem_read(const struct bench_opts *o, uint64_t *v, const char **why)
{
	struct pmem_region *r = pmem_region(0);
	uint8_t *dst;
	uint64_t len, t0;

	if (!r) {
		*why = "no persistent memory";
		return -ENODEV;
	}
	if (!(dst = dram_alloc(CHUNK))) {
		*why = "not enough DRAM";
		return -ENOMEM;
	}
	len = pmem_range(o, r);
	t0 = time_ns();
	for (uint64_t off = 0; off < len; off += CHUNK)
		memcpy(dst, r->virt + off, CHUNK);
	*v = mb_per_s(len, time_ns() - t0);
	dram_free(dst, CHUNK);
	return 0;
}
BENCH(12, "pmem_read", "MB/s", false, bench_pmem_read);

static bool selected(const struct bench *b, int nnames, char **names)
{
	if (nnames == 0)
		return true;
	for (int i = 0; i < nnames; i++)
		if (!strcmp(names[i], b->name))
			return true;
	return false;
}

/**
 * bench_run - run the selected benchmarks and print one line each.
 * Returns 0, -ENOENT when a listed name matches no benchmark, or -EINTR
 * when the thread was interrupted (Ctrl-C) before the last one ran.
 */
int bench_run(const struct bench_opts *o, int nnames, char **names)
{
	int err = 0;

	for (int i = 0; i < nnames; i++) {
		bool known = false;
		for (const struct bench *b = __start_benches; b < __stop_benches; b++)
			known |= !strcmp(b->name, names[i]);
		if (!known) {
			kprintf("bench: no benchmark named '%s'\n", names[i]);
			err = -ENOENT;
		}
	}
	/* The linker keeps no particular order: walk by ascending order. */
	for (int last = -1;;) {
		const struct bench *b = NULL;
		uint64_t value = 0;
		const char *why = "";

		for (const struct bench *c = __start_benches; c < __stop_benches; c++)
			if (c->order > last && (!b || c->order < b->order))
				b = c;
		if (!b)
			break;
		last = b->order;

		if (!selected(b, nnames, names))
			continue;
		/* Ctrl-C: stop between benchmarks (each one cleans up after
		 * itself, so the machine is as the last one left it). */
		if (thread_interrupted()) {
			kprintf("bench: interrupted before %s\n", b->name);
			return -EINTR;
		}
		if (b->writes_pmem && !o->write_pmem) {
			kprintf("bench %s skipped (overwrites pmem0: run 'bench -w')\n", b->name);
			continue;
		}
		if (b->run(o, &value, &why))
			kprintf("bench %s skipped (%s)\n", b->name, why);
		else
			kprintf("bench %s %lu %s\n", b->name, value, b->unit);
	}
	return err;
}

/* ------------------------------------------------------------- SMP */

#include <arch/x86_64/smp.h>
#include <arch/x86_64/paging.h>

#define IPI_ROUNDS		2000
#define SHOOTDOWN_ROUNDS	500
#define SHOOTDOWN_VA		(VMAP_BASE + VMAP_SIZE - 2 * PAGE_1G)

static int bench_ipi(const struct bench_opts *o, uint64_t *v, const char **why)
{
	if (smp_online_count() < 2) {
		*why = "one CPU";
		return -ENODEV;
	}
	/* to the highest-numbered CPU, from wherever this thread runs */
	*v = smp_measure_ipi_ns(smp_online_count() - 1, o->quick ? 100 : IPI_ROUNDS);
	return *v ? 0 : -EIO;
}
BENCH(20, "ipi_roundtrip", "ns", false, bench_ipi);

static int bench_shootdown(const struct bench_opts *o, uint64_t *v, const char **why)
{
	unsigned rounds = o->quick ? 50 : SHOOTDOWN_ROUNDS;
	uint64_t pa = pmm_alloc_page(), t0;

	if (!pa) {
		*why = "no memory";
		return -ENOMEM;
	}
	t0 = time_ns();
	for (unsigned i = 0; i < rounds; i++) {
		pt_map(&kernel_pgtable, SHOOTDOWN_VA, pa, PAGE_SIZE, PROT_WRITE);
		pt_unmap(&kernel_pgtable, SHOOTDOWN_VA, PAGE_SIZE);	/* flush on every CPU */
	}
	*v = (time_ns() - t0) / rounds;
	pmm_free_page(pa);
	return 0;
}
BENCH(21, "tlb_shootdown", "ns", false, bench_shootdown);
