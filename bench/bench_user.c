/*
 * bench_user.c - benchmarks of the DAX layer for processes:
 *   pin_user_fast   ns per page for pin_user_pages() + unpin_user_page() on
 *                   512 pages of a process's DAX mapping whose entries are
 *                   all present (the lock-free path), as a DMA request
 *                   through /dev/dma0 pins them; the process is an address
 *                   space made here (mm_create), not loaded on this CPU, as
 *                   for a request served on behalf of another process.
 * user_mmap_write (MB/s) is measured by a user program, /bin/daxbench,
 * which scripts/bench.py runs after `bench`.
 */
#include <bench/bench.h>
#include <kernel/timer.h>
#include <kernel/mm.h>
#include <kernel/uvm.h>
#include <fs/dax.h>
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <fs/holdfs_platform.h>
#include <lib/errno.h>

#define UPIN_PAGES	512			/* 2 MiB */
#define UPIN_ROUNDS	200
#define QUICK_DIV	16

static int bench_pin_user(const struct bench_opts *o, uint64_t *v, const char **why)
{
	static uint64_t pages[UPIN_PAGES];
	unsigned rounds = o->quick ? UPIN_ROUNDS / QUICK_DIV : UPIN_ROUNDS;
	const char *path = "/.bench-upin";
	uint64_t len = UPIN_PAGES * PAGE_SIZE, va = 0, ns = 0;
	struct hfs_inode *ip;
	struct mm *mm;
	int err;

	if (!vfs_mounted()) {
		*why = "no filesystem mounted";
		return -ENOENT;
	}
	if ((err = hfs_open(vfs_root(), path, HFS_O_RDWR | HFS_O_CREAT | HFS_O_TRUNC, 0644, &ip))) {
		*why = "cannot create the file";
		return err;
	}
	if ((err = hfs_fallocate(ip, 0, 0, len, NULL))) {
		*why = "no room on the filesystem";
		goto out_file;
	}
	if (!(mm = mm_create())) {
		err = -ENOMEM;
		goto out_file;
	}
	err = dax_mmap_user(mm, hfs_dax_file(ip), 0, len, UVM_PROT_READ | UVM_PROT_WRITE,
			    UVM_MAP_SHARED, 0, &va);
	for (uint64_t a = va; !err && a < va + len; a += PAGE_SIZE)
		err = mm_fault(mm, a, true, false);		/* every entry present */
	for (unsigned r = 0; r < rounds && !err; r++) {
		uint64_t t0 = time_ns();
		err = pin_user_pages(mm, va, UPIN_PAGES, DAX_PIN_WRITE, pages);
		for (unsigned i = 0; !err && i < UPIN_PAGES; i++)
			unpin_user_page(pages[i]);
		ns += time_ns() - t0;
	}
	if (err)
		*why = "mapping or pinning failed";
	mm_destroy(mm);
out_file:
	hfs_iput(ip);
	vfs_unlink(path);
	if (err)
		return err;
	*v = ns / ((uint64_t)rounds * UPIN_PAGES);
	return 0;
}
BENCH(46, "pin_user_fast", "ns", false, bench_pin_user);
