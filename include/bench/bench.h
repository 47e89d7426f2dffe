/*
 * bench.h - in-kernel benchmarks, printed one figure per line as
 * "bench NAME VALUE UNIT" (the format make bench and CI parse).
 *
 * Benchmarks measure; tests assert.  The quick mode (bench -q) runs every
 * benchmark on small sizes so make test can prove they still work without
 * asserting anything about speed.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct bench_opts {
	bool quick;		/* small sizes: a smoke test */
	bool write_pmem;	/* allowed to overwrite pmem region 0 */
};

struct bench {
	int order;		/* runs in ascending order (the peer's order) */
	const char *name;
	const char *unit;
	bool writes_pmem;	/* destroys the contents of pmem region 0 */
	/* Returns 0 and sets *value, or a negative errno (printed as skipped). */
	int (*run)(const struct bench_opts *o, uint64_t *value, const char **why);
};

#define BENCH(order_, name_, unit_, writes_, fn_)				\
	static const struct bench bench_##fn_ __attribute__((used, aligned(8),	\
		section("benches"))) = { order_, name_, unit_, writes_, fn_ }

/* The name of file @i of fs_create_4k in @dir: the peer's "DIR/f%06ld".
 * Any context, no lock. */
void bench_file_name(char *out, size_t size, const char *dir, long i);

struct pci_dev;
/* A PCI device some driver took (edu or NVMe), so its IOMMU domain exists;
 * NULL if none.  Thread context (bench_iommu.c). */
struct pci_dev *bench_dma_device(void);

/*
 * Run the benchmarks whose names are listed (all if none); prints lines.
 * Thread context, may sleep, one caller at a time (the shell), no lock
 * held.  Returns 0, -ENOENT (a name matches no benchmark) or -EINTR
 * (interrupted between benchmarks).
 */
int bench_run(const struct bench_opts *o, int nnames, char **names);

#endif
