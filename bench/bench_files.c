/*
 * bench_files.c - the filesystem workloads of `make bench`, one for one
 * with the Linux peer harness's file workloads ("bench fs DIR"), so
 * that the figures compare directly.  Everything goes through the kernel's
 * file API (fs/vfs.c), as the shell's commands do:
 *
 *   fs_seq_write_4k / _2m  create a 256 MiB file with 4 KiB / 2 MiB writes,
 *                          then fsync (the file is unlinked first, untimed)
 *   fs_seq_read_4k / _2m   read it back with 4 KiB / 2 MiB reads
 *   fs_rand_write_4k       65536 pwrites of 4 KiB at xorshift offsets of
 *                          the file, then fsync (ops/s)
 *   fs_mmap_write          map the file (DAX), store 0x5a over all of it,
 *                          flush and fence (msync MS_SYNC)
 *   fs_create_4k           create 10,000 files of 4 KiB in one directory
 *   fs_unlink              unlink them (ops/s)
 *   fs_truncate_cycle      10,000 x (pwrite 2 MiB at 0, truncate to 0)
 *   mount_100k             ms to mount a filesystem holding 100,000 files
 *   dram_per_pmem_gib      KiB of DRAM the kernel spends per GiB of pmem:
 *                          page descriptors, the direct map's page tables
 *                          and holdfs's in-DRAM state after mounting
 *
 * MB/s are 10^6 bytes per second.  The quick mode (bench -q, run by make
 * test) uses small sizes and only proves the code paths work.
 */
#include <bench/bench.h>
#include <kernel/timer.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <arch/x86_64/paging.h>
#include <fs/dax.h>
#include <fs/vfs.h>
#include <drivers/pmem.h>
#include <lib/string.h>
#include <lib/printf.h>
#include <lib/errno.h>
#include <fs/holdfs.h>

#define KIB		1024ULL
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)

/* The peer's defaults, and the quick mode's. */
#define FILE_BYTES	(256 * MIB)
#define RAND_OPS	65536
#define NFILES		10000
#define TRUNC_N		10000
#define MOUNT_FILES	100000
#define Q_FILE_BYTES	(8 * MIB)
#define Q_RAND_OPS	1024
#define Q_NFILES	200
#define Q_TRUNC_N	50
#define Q_MOUNT_FILES	2000

#define BIG		"/.bench-big"
#define CDIR		"/.bench-cdir"
#define MDIR		"/.bench-100k"
#define TRUNC_FILE	"/.bench-trunc"
#define BUF_BYTES	(2 * MIB)

static uint64_t file_bytes(const struct bench_opts *o)
{
	return o->quick ? Q_FILE_BYTES : FILE_BYTES;
}

static uint64_t mb_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? bytes * 1000 / ns : 0;
}

static uint64_t per_s(uint64_t n, uint64_t ns)
{
	return ns ? n * 1000000000ULL / ns : 0;
}

/* The peer's source buffer: 2 MiB of (i * 131 + 7). */
static uint8_t *pattern_buf(void)
{
	uint64_t pa = pmm_alloc_pages(BUF_BYTES / PAGE_SIZE);
	uint8_t *p;

	if (!pa)
		return NULL;
	p = phys_to_virt(pa);
	for (uint64_t i = 0; i < BUF_BYTES; i++)
		p[i] = (uint8_t)(i * 131 + 7);
	return p;
}

static void buf_free(uint8_t *p)
{
	pmm_free_pages(virt_to_phys(p), BUF_BYTES / PAGE_SIZE);
}

static int need_fs(const char **why)
{
	if (!vfs_mounted()) {
		*why = "no filesystem mounted (make bench formats pmem0)";
		return -ENODEV;
	}
	return 0;
}

/* Write @bytes to a fresh @path in @bs pieces, fsync; ns taken, or < 0. */
static int64_t write_file(const char *path, uint64_t bytes, uint64_t bs,
			  const uint8_t *buf, const char **why)
{
	uint64_t t0, ns;
	int fd;

	vfs_unlink(path);
	vfs_sync();
	fd = vfs_open(path, HFS_O_CREAT | HFS_O_WRONLY | HFS_O_TRUNC, 0644);
	if (fd < 0) {
		*why = "cannot create the file";
		return fd;
	}
	t0 = time_ns();
	for (uint64_t off = 0; off < bytes; off += bs) {
		int64_t r = vfs_write(fd, buf, bs);

		if (r != (int64_t)bs) {
			vfs_close(fd);
			vfs_unlink(path);
			*why = r == -ENOSPC ? "filesystem full" : "write failed";
			return r < 0 ? r : -EIO;
		}
	}
	if (vfs_fsync(fd)) {
		vfs_close(fd);
		*why = "fsync failed";
		return -EIO;
	}
	ns = time_ns() - t0;
	vfs_close(fd);
	return (int64_t)ns;
}

static int seq_write(const struct bench_opts *o, uint64_t *v, const char **why, uint64_t bs)
{
	uint8_t *buf;
	int64_t ns;

	if (need_fs(why))
		return -ENODEV;
	if (!(buf = pattern_buf())) {
		*why = "not enough DRAM";
		return -ENOMEM;
	}
	ns = write_file(BIG, file_bytes(o), bs, buf, why);
	buf_free(buf);
	if (ns < 0)
		return (int)ns;
	*v = mb_per_s(file_bytes(o), (uint64_t)ns);
	return 0;
}

static int bench_seq_write_4k(const struct bench_opts *o, uint64_t *v, const char **why)
{
	return seq_write(o, v, why, 4 * KIB);
}
BENCH(30, "fs_seq_write_4k", "MB/s", false, bench_seq_write_4k);

static int bench_seq_write_2m(const struct bench_opts *o, uint64_t *v, const char **why)
{
	return seq_write(o, v, why, 2 * MIB);
}
BENCH(31, "fs_seq_write_2m", "MB/s", false, bench_seq_write_2m);

/* The big file, written (untimed) when an earlier benchmark did not. */
static int big_file_ready(const struct bench_opts *o, uint8_t *buf, const char **why)
{
	struct hfs_stat st;
	int64_t ns;

	if (vfs_stat(BIG, &st) == 0 && st.size == file_bytes(o))
		return 0;
	ns = write_file(BIG, file_bytes(o), 2 * MIB, buf, why);
	return ns < 0 ? (int)ns : 0;
}

/*
 * The start of every benchmark on the big file: the pattern buffer in
 * *@buf and @flags' descriptor of the file (written first if missing).
 * Returns the descriptor, or a negative errno with *@why set and nothing
 * left to free.
 */
static int open_big(const struct bench_opts *o, int flags, uint8_t **buf, const char **why)
{
	int fd, err;

	if (need_fs(why))
		return -ENODEV;
	if (!(*buf = pattern_buf())) {
		*why = "not enough DRAM";
		return -ENOMEM;
	}
	err = big_file_ready(o, *buf, why);
	fd = err ? err : vfs_open(BIG, flags, 0);
	if (fd < 0) {
		if (!err)
			*why = "cannot open the file";
		buf_free(*buf);
	}
	return fd;
}

static int seq_read(const struct bench_opts *o, uint64_t *v, const char **why, uint64_t bs)
{
	uint8_t *buf;
	uint64_t t0, ns, total = 0;
	int64_t r;
	int fd = open_big(o, HFS_O_RDONLY, &buf, why), err = 0;

	if (fd < 0)
		return fd;
	t0 = time_ns();
	while ((r = vfs_read(fd, buf, bs)) > 0)
		total += (uint64_t)r;
	ns = time_ns() - t0;
	vfs_close(fd);
	if (r < 0 || total != file_bytes(o)) {
		*why = r < 0 ? "read failed" : "short read";
		err = -EIO;
	} else {
		*v = mb_per_s(total, ns);
	}
	buf_free(buf);
	return err;
}

static int bench_seq_read_4k(const struct bench_opts *o, uint64_t *v, const char **why)
{
	return seq_read(o, v, why, 4 * KIB);
}
BENCH(32, "fs_seq_read_4k", "MB/s", false, bench_seq_read_4k);

static int bench_seq_read_2m(const struct bench_opts *o, uint64_t *v, const char **why)
{
	return seq_read(o, v, why, 2 * MIB);
}
BENCH(33, "fs_seq_read_2m", "MB/s", false, bench_seq_read_2m);

static int bench_rand_write(const struct bench_opts *o, uint64_t *v, const char **why)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL, nblk = file_bytes(o) / (4 * KIB), t0, ns;
	long ops = o->quick ? Q_RAND_OPS : RAND_OPS;
	uint8_t *buf;
	int fd = open_big(o, HFS_O_WRONLY, &buf, why), err = 0;

	if (fd < 0)
		return fd;
	t0 = time_ns();
	for (long i = 0; i < ops; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (vfs_pwrite(fd, buf, 4 * KIB, (x % nblk) * 4 * KIB) != (int64_t)(4 * KIB)) {
			*why = "pwrite failed";
			err = -EIO;
			break;
		}
	}
	if (!err && vfs_fsync(fd)) {
		*why = "fsync failed";
		err = -EIO;
	}
	ns = time_ns() - t0;
	vfs_close(fd);
	if (!err)
		*v = per_s((uint64_t)ops, ns);
	buf_free(buf);
	return err;
}
BENCH(34, "fs_rand_write_4k", "ops/s", false, bench_rand_write);

static int bench_mmap_write(const struct bench_opts *o, uint64_t *v, const char **why)
{
	uint64_t len = file_bytes(o), t0, ns;
	struct hfs_inode *ip;
	uint8_t *buf;
	void *va;
	int fd = open_big(o, HFS_O_RDWR, &buf, why), err;

	if (fd < 0)
		return fd;
	buf_free(buf);
	ip = vfs_inode(fd);		/* a reference of our own */
	err = ip ? dax_mmap(hfs_dax_file(ip), 0, len, true, "bench", &va) : -EBADF;
	if (ip)
		hfs_iput(ip);		/* the mapping holds its own */
	if (err) {
		vfs_close(fd);
		*why = "dax_mmap failed";
		return err;
	}
	t0 = time_ns();
	memset(va, 0x5a, len);
	pmem_flush(va, len);		/* msync(MS_SYNC) */
	pmem_drain();
	ns = time_ns() - t0;
	dax_munmap(va);
	vfs_close(fd);
	*v = mb_per_s(len, ns);
	return 0;
}
BENCH(35, "fs_mmap_write", "MB/s", false, bench_mmap_write);

/*
 * "DIR/f%06ld", the peer's names, without printf: under TCG the kernel's
 * snprintf cost ~1,000 cycles a name, 3-4 % of an unlink, and the
 * figures are about the filesystem.
 */
void bench_file_name(char *out, size_t size, const char *dir, long i)
{
	size_t d = strlen(dir);

	if (i < 0 || i > 999999 || d + 9 > size) {
		snprintf(out, size, "%s/f%06ld", dir, i);
		return;
	}
	memcpy(out, dir, d);
	out[d] = '/';
	out[d + 1] = 'f';
	for (int k = 7; k >= 2; k--, i /= 10)
		out[d + k] = (char)('0' + i % 10);
	out[d + 8] = '\0';
}

/* create and unlink share the directory: unlink times what create left. */
static long created;

static int bench_create(const struct bench_opts *o, uint64_t *v, const char **why)
{
	long n = o->quick ? Q_NFILES : NFILES;
	uint64_t t0, ns;
	uint8_t *buf;
	char path[64];
	int err = 0;

	if (need_fs(why))
		return -ENODEV;
	if (!(buf = pattern_buf())) {
		*why = "not enough DRAM";
		return -ENOMEM;
	}
	vfs_unlink(BIG);		/* the peer unlinks its big file here */
	if (vfs_mkdir(CDIR, 0755) && vfs_stat(CDIR, &(struct hfs_stat){ 0 })) {
		buf_free(buf);
		*why = "cannot make the directory";
		return -EIO;
	}
	vfs_sync();
	created = 0;
	t0 = time_ns();
	for (long i = 0; i < n; i++) {
		int fd;

		bench_file_name(path, sizeof(path), CDIR, i);
		fd = vfs_open(path, HFS_O_CREAT | HFS_O_WRONLY | HFS_O_EXCL, 0644);
		if (fd < 0) {
			*why = "create failed";
			err = fd;
			break;
		}
		if (vfs_write(fd, buf, 4 * KIB) != (int64_t)(4 * KIB)) {
			*why = "write failed";
			err = -EIO;
		}
		vfs_close(fd);
		created = i + 1;
		if (err)
			break;
	}
	ns = time_ns() - t0;
	buf_free(buf);
	if (!err)
		*v = per_s((uint64_t)n, ns);
	return err;
}
BENCH(36, "fs_create_4k", "ops/s", false, bench_create);

static int bench_unlink(const struct bench_opts *o, uint64_t *v, const char **why)
{
	long n = o->quick ? Q_NFILES : NFILES;
	uint64_t t0, ns;
	char path[64];
	int err = 0;

	if (need_fs(why))
		return -ENODEV;
	if (created != n) {
		*why = "needs fs_create_4k first";
		return -ENOENT;
	}
	vfs_sync();
	t0 = time_ns();
	for (long i = 0; i < n; i++) {
		bench_file_name(path, sizeof(path), CDIR, i);
		if ((err = vfs_unlink(path)) != 0) {
			*why = "unlink failed";
			break;
		}
	}
	ns = time_ns() - t0;
	created = 0;
	vfs_rmdir(CDIR);
	if (!err)
		*v = per_s((uint64_t)n, ns);
	return err;
}
BENCH(37, "fs_unlink", "ops/s", false, bench_unlink);

static int bench_truncate_cycle(const struct bench_opts *o, uint64_t *v, const char **why)
{
	long n = o->quick ? Q_TRUNC_N : TRUNC_N;
	uint64_t t0, ns;
	uint8_t *buf;
	int fd, err = 0;

	if (need_fs(why))
		return -ENODEV;
	if (!(buf = pattern_buf())) {
		*why = "not enough DRAM";
		return -ENOMEM;
	}
	fd = vfs_open(TRUNC_FILE, HFS_O_CREAT | HFS_O_RDWR | HFS_O_TRUNC, 0644);
	if (fd < 0) {
		buf_free(buf);
		*why = "cannot create the file";
		return fd;
	}
	t0 = time_ns();
	for (long i = 0; i < n && !err; i++) {
		if (vfs_pwrite(fd, buf, 2 * MIB, 0) != (int64_t)(2 * MIB)) {
			*why = "pwrite failed";
			err = -EIO;
		} else if (vfs_ftruncate(fd, 0, NULL)) {
			*why = "truncate failed";
			err = -EIO;
		}
	}
	ns = time_ns() - t0;
	vfs_close(fd);
	vfs_unlink(TRUNC_FILE);
	buf_free(buf);
	if (!err)
		*v = per_s((uint64_t)n, ns);
	return err;
}
BENCH(38, "fs_truncate_cycle", "ops/s", false, bench_truncate_cycle);

/*
 * mount_100k: fill a directory with empty files (untimed), unmount, time
 * the mount, then format the filesystem again to leave it as it was.
 */
static int bench_mount_100k(const struct bench_opts *o, uint64_t *v, const char **why)
{
	long n = o->quick ? Q_MOUNT_FILES : MOUNT_FILES;
	uint64_t t0, ns;
	char path[64];
	int err = 0;

	if (need_fs(why))
		return -ENODEV;
	if (vfs_mkdir(MDIR, 0755)) {
		*why = "cannot make the directory";
		return -EIO;
	}
	for (long i = 0; i < n; i++) {
		int fd;

		bench_file_name(path, sizeof(path), MDIR, i);
		fd = vfs_open(path, HFS_O_CREAT | HFS_O_WRONLY | HFS_O_EXCL, 0644);
		if (fd < 0) {
			kprintf("bench: mount_100k: creating file %ld: %s\n", i, strerror(fd));
			*why = "create failed";
			err = fd;
			break;
		}
		vfs_close(fd);
	}
	if (!err && (err = vfs_unmount_root()) != 0) {
		kprintf("bench: mount_100k: unmount failed: %s\n", strerror(err));
		*why = "cannot unmount pmem0";
	}
	if (!err) {
		t0 = time_ns();
		err = vfs_mount_root();
		ns = time_ns() - t0;
		if (err)
			*why = "mount failed";
		else
			*v = ns / 1000000;
	}
	if (vfs_format_root(0))
		kprintf("bench: could not format pmem0 again after mount_100k\n");
	return err;
}
BENCH(50, "mount_100k", "ms", false, bench_mount_100k);

/* Bytes of page tables the direct map spends on [va, va+len). */
static uint64_t map_table_bytes(uint8_t *va, uint64_t len)
{
	uint64_t bytes = 0, last_pd = ~0ULL, last_pt = ~0ULL, pa, ps;
	unsigned prot;

	for (uint64_t off = 0; off < len; off += ps) {
		uint64_t a = (uint64_t)va + off;

		if (!pt_lookup(&kernel_pgtable, a, &pa, &ps, &prot))
			ps = PAGE_SIZE;
		if (ps < GIB && a / GIB != last_pd) {	/* a page directory */
			last_pd = a / GIB;
			bytes += PAGE_SIZE;
		}
		if (ps < 2 * MIB && a / (2 * MIB) != last_pt) {	/* a page table */
			last_pt = a / (2 * MIB);
			bytes += PAGE_SIZE;
		}
	}
	return bytes;
}

static int bench_dram_per_gib(const struct bench_opts *o, uint64_t *v, const char **why)
{
	struct pmem_region *r = pmem_region(0);
	struct hfs_stat st;
	uint64_t bytes;

	(void)o;
	if (!r || r->size < MIB) {
		*why = "no persistent memory";
		return -ENODEV;
	}
	if (need_fs(why))
		return -ENODEV;
	vfs_stat("/", &st);		/* the root directory's index is built */
	bytes = r->npages * sizeof(struct pmem_page) + map_table_bytes(r->virt, r->size) +
		hfs_dram_bytes;
	*v = bytes * GIB / r->size / KIB;
	return 0;
}
BENCH(51, "dram_per_pmem_gib", "KiB", false, bench_dram_per_gib);
