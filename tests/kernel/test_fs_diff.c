/*
 * test_fs_diff.c - the randomized differential test of holdfs against the
 * in-memory model, run inside the kernel (the same driver and model as the
 * host's build/host/test_hfs_model, compiled freestanding here), on a RAM
 * device backed by contiguous frames.  Fewer steps than on the host: TCG
 * runs the kernel slower than the host runs its tests.
 */
#include <tests/ktest_kernel.h>
#include <kernel/mm.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <fs/holdfs_platform.h>

/* The driver and the model are freestanding C shared with the host test.
 * gcc's kernel-flag inlining sees "maybe uninitialized" paths that the
 * host build does not (a lookup result checked by its caller). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "../host/hfs_model.c"
#include "../host/hfs_diff.c"
#pragma GCC diagnostic pop

#define RAMDEV_SIZE	(16ULL << 20)
#define DIFF_STEPS	4000

struct ramdev {
	struct hfs_pm pm;
	uint8_t *mem;
	uint64_t size;
};

static struct ramdev *rd(struct hfs_pm *pm) { return pm->priv; }
static const uint8_t *r_base(struct hfs_pm *pm) { return rd(pm)->mem; }
static uint64_t r_size(struct hfs_pm *pm) { return rd(pm)->size; }
static void r_write(struct hfs_pm *pm, uint64_t off, const void *s, size_t n) { memcpy(rd(pm)->mem + off, s, n); }
static void r_zero(struct hfs_pm *pm, uint64_t off, size_t n) { memset(rd(pm)->mem + off, 0, n); }
static void r_flush(struct hfs_pm *pm, uint64_t off, size_t n) { }
static void r_fence(struct hfs_pm *pm) { }
static uint64_t r_phys(struct hfs_pm *pm, uint64_t off) { return virt_to_phys(rd(pm)->mem + off); }

static const struct hfs_pm_ops ram_ops = {
	.base = r_base, .size = r_size, .write = r_write, .zero = r_zero,
	.write_nt = r_write, .flush = r_flush, .fence = r_fence, .phys = r_phys,
};

static void print_line(void *ctx, const char *line)
{
	ktest_log(ctx, "%s", line);
}

static void diff_run(struct ktest *t, uint64_t seed)
{
	static struct ramdev dev;
	struct hfsd_env env = { .print = print_line, .ctx = t };
	struct hfsd_config cfg;
	struct hfsd *d = kzalloc(sizeof(*d));
	uint64_t pa = pmm_alloc_pages(RAMDEV_SIZE / PAGE_SIZE);
	int r;

	if (!d || !pa) {
		kfree(d);
		if (pa)
			pmm_free_pages(pa, RAMDEV_SIZE / PAGE_SIZE);
		ktest_skip(t, "not enough memory for a 16 MiB RAM device");
		return;
	}
	dev.mem = phys_to_virt(pa);
	dev.size = RAMDEV_SIZE;
	dev.pm.ops = &ram_ops;
	dev.pm.priv = &dev;
	memset(dev.mem, 0, RAMDEV_SIZE);
	hfsd_default_config(&cfg);
	cfg.seed = seed;
	cfg.ops = DIFF_STEPS;
	r = hfsd_init(d, &cfg, &env, &dev.pm);
	if (r == 0)
		r = hfsd_run(d);
	ktest_log(t, "seed %lu: %lu steps, %lu remounts, %lu fscks", seed,
		  d->st.steps, d->st.remounts, d->st.fscks);
	EXPECT_OK(t, r);
	hfsd_fini(d);
	kfree(d);
	pmm_free_pages(pa, RAMDEV_SIZE / PAGE_SIZE);
}

KTEST(fs_diff, seed1) { diff_run(t, 1); }
KTEST(fs_diff, seed2) { diff_run(t, 2); }
KTEST(fs_diff, seed3) { diff_run(t, 3); }
KTEST(fs_diff, seed4) { diff_run(t, 4); }
