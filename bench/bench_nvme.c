/*
 * bench_nvme.c - NVMe workloads of `make bench` (scripts/bench.py attaches
 * a 256 MiB NVMe disk; without one they are skipped):
 *
 *   nvme_to_file      dma cp /dev/nvme0n1 -> a 256 MiB holdfs file, zero
 *                     copy (the controller DMAs into the file's pmem pages,
 *                     32 commands of 512 KiB in flight), with the fsync;
 *                     over the file's blocks (a first, untimed copy made
 *                     them: allocating zeroes them, which costs more than
 *                     the copy under TCG; docs/performance.md)
 *   file_to_nvme      the reverse, with the Flush
 *   nvme_bounce       the same 256 MiB device -> the same file's blocks
 *                     through a 2 MiB DRAM bounce buffer: 32 commands of
 *                     64 KiB in flight into DRAM, then a CPU copy (write())
 *                     into the file, fsync
 *   nvme_qd1_read_lat µs per 4 KiB read, one command in flight at a time
 *                     (mean of 2000), into DRAM
 *
 * MB/s are 10^6 bytes per second.  Quick mode (bench -q) uses 8 MiB.
 */
#include <bench/bench.h>
#include <drivers/blkdev.h>
#include <fs/dmafile.h>
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <kernel/mm.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <lib/errno.h>
#include <lib/string.h>

#define MIB		(1024ULL * 1024)
#define BYTES		(256 * MIB)
#define Q_BYTES		(8 * MIB)
#define CMD_BYTES	(64 * 1024ULL)
#define WINDOW		32			/* commands in flight */
#define BOUNCE		(WINDOW * CMD_BYTES)	/* 2 MiB */
#define LAT_READS	2000
#define Q_LAT_READS	200
#define DEV		"/dev/nvme0n1"
#define FILE		"/.bench-nvme"

static uint64_t bytes(const struct bench_opts *o, struct blkdev *bd)
{
	return MIN(o->quick ? Q_BYTES : BYTES, bd->size & ~(BOUNCE - 1));
}

static struct blkdev *nvme_dev(const char **why)
{
	struct blkdev *bd = blkdev_lookup(DEV);

	if (!bd || !bd->ops || !bd->ops->submit) {
		*why = "no NVMe disk (" DEV ")";
		return NULL;
	}
	return bd;
}

static uint64_t mb_per_s(uint64_t n, uint64_t ns)
{
	return ns ? n * 1000 / ns : 0;
}

/* @keep: device -> file over the blocks the file has (no O_TRUNC). */
static int copy(const char *src, const char *dst, uint64_t n, bool keep, uint64_t *v,
		const char **why)
{
	struct dma_blk_range r = { .len = n, .len_set = true, .file_off_set = keep };
	uint64_t t0 = time_ns();
	int result = 0, id = dma_blk_copy(src, dst, &r, true, &result);

	if (id < 0 || result) {
		*why = "the copy failed";
		return id < 0 ? id : result;
	}
	*v = mb_per_s(n, time_ns() - t0);
	return 0;
}

static int bench_nvme_to_file(const struct bench_opts *o, uint64_t *v, const char **why)
{
	struct blkdev *bd = nvme_dev(why);

	uint64_t untimed;
	int err;

	if (!bd)
		return -ENODEV;
	/* Untimed: the file and its blocks, allocated (and zeroed: a block a
	 * device write is to fill is zeroed first, so a failed command never
	 * shows another file's old bytes).  Then timed: the DMA into them. */
	if ((err = copy(DEV, FILE, bytes(o, bd), false, &untimed, why)))
		return err;
	return copy(DEV, FILE, bytes(o, bd), true, v, why);
}
BENCH(60, "nvme_to_file", "MB/s", false, bench_nvme_to_file);

static int bench_file_to_nvme(const struct bench_opts *o, uint64_t *v, const char **why)
{
	struct blkdev *bd = nvme_dev(why);

	return bd ? copy(FILE, DEV, bytes(o, bd), false, v, why) : -ENODEV;
}
BENCH(61, "file_to_nvme", "MB/s", false, bench_file_to_nvme);

struct sync_cmd {
	struct blk_req rq;
	uint64_t pages[CMD_BYTES / PAGE_SIZE];
	struct completion *all;
	int status;
};

static void cmd_done(struct blk_req *rq, int status)
{
	struct sync_cmd *c = rq->cookie;

	c->status = status;
	complete(c->all);
}

/* Read [off, off + n) of @bd into the DRAM at @pa, @n / CMD_BYTES commands
 * in flight at once (at most WINDOW), and wait for them. */
static int read_window(struct blkdev *bd, struct sync_cmd *cmds, uint64_t pa, uint64_t off,
		       uint64_t n, struct completion *all)
{
	unsigned k, cnt = (unsigned)((n + CMD_BYTES - 1) / CMD_BYTES);
	int err = 0;

	for (k = 0; k < cnt; k++) {
		struct sync_cmd *c = &cmds[k];
		uint64_t len = MIN(CMD_BYTES, n - k * CMD_BYTES);

		memset(&c->rq, 0, sizeof(c->rq));
		for (unsigned p = 0; p < CMD_BYTES / PAGE_SIZE; p++)
			c->pages[p] = pa + k * CMD_BYTES + p * PAGE_SIZE;
		c->rq.pages = c->pages;
		c->rq.npages = (unsigned)(CMD_BYTES / PAGE_SIZE);
		c->rq.off = off + k * CMD_BYTES;
		c->rq.len = len;
		c->rq.done = cmd_done;
		c->rq.cookie = c;
		c->all = all;
		if ((err = bd->ops->submit(bd, &c->rq)))
			break;
	}
	for (unsigned i = 0; i < k; i++)
		wait_for_completion(all);
	for (unsigned i = 0; i < k && !err; i++)
		err = cmds[i].status;
	return err;
}

static int bench_nvme_bounce(const struct bench_opts *o, uint64_t *v, const char **why)
{
	struct blkdev *bd = nvme_dev(why);
	struct sync_cmd *cmds;
	struct completion all;
	uint64_t pa, n, t0;
	int fd, err = 0;

	if (!bd)
		return -ENODEV;
	n = bytes(o, bd);
	cmds = kzalloc(sizeof(*cmds) * WINDOW);
	pa = pmm_alloc_pages(BOUNCE / PAGE_SIZE);
	if (!cmds || !pa) {
		kfree(cmds);
		if (pa)
			pmm_free_pages(pa, BOUNCE / PAGE_SIZE);
		*why = "not enough DRAM for the bounce buffer";
		return -ENOMEM;
	}
	completion_init(&all);
	t0 = time_ns();
	fd = vfs_open(FILE, HFS_O_WRONLY | HFS_O_CREAT, 0644);	/* over its blocks, as nvme_to_file */
	if (fd < 0)
		err = fd;
	for (uint64_t off = 0; !err && off < n; off += BOUNCE) {
		uint64_t len = MIN(BOUNCE, n - off);

		err = read_window(bd, cmds, pa, off, len, &all);
		if (!err && vfs_write(fd, phys_to_virt(pa), len) != (int64_t)len)
			err = -EIO;
	}
	if (fd >= 0) {
		if (!err)
			err = vfs_fsync(fd);
		vfs_close(fd);
	}
	*v = mb_per_s(n, time_ns() - t0);
	pmm_free_pages(pa, BOUNCE / PAGE_SIZE);
	kfree(cmds);
	vfs_unlink(FILE);
	if (err)
		*why = "the bounce copy failed";
	return err;
}
BENCH(62, "nvme_bounce", "MB/s", false, bench_nvme_bounce);

static int bench_nvme_qd1_read_lat(const struct bench_opts *o, uint64_t *v, const char **why)
{
	struct blkdev *bd = nvme_dev(why);
	unsigned reads = o->quick ? Q_LAT_READS : LAT_READS;
	struct sync_cmd *c;
	struct completion all;
	uint64_t pa, t0, span;
	int err = 0;

	if (!bd)
		return -ENODEV;
	c = kzalloc(sizeof(*c));
	pa = pmm_alloc_page();
	if (!c || !pa) {
		kfree(c);
		if (pa)
			pmm_free_page(pa);
		return -ENOMEM;
	}
	completion_init(&all);
	span = bd->size / PAGE_SIZE;
	t0 = time_ns();
	for (unsigned i = 0; i < reads && !err; i++)
		err = read_window(bd, c, pa, (i * 7919ULL % span) * PAGE_SIZE, PAGE_SIZE, &all);
	*v = (time_ns() - t0) / reads / 1000;
	pmm_free_page(pa);
	kfree(c);
	if (err)
		*why = "a read failed";
	return err;
}
BENCH(63, "nvme_qd1_read_lat", "us", false, bench_nvme_qd1_read_lat);
