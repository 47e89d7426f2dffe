/*
 * ktest_kernel.c - run in-kernel test suites and report through KTAP.
 *
 * test=all | test=SUITE[,SUITE] | test=probe on the command line.  The run
 * happens in its own thread; afterwards QEMU is left through isa-debug-exit
 * with QEMU_EXIT_PASS or QEMU_EXIT_FAIL.  Around every case the free frame
 * count and the number of live kmalloc objects are compared, so a leak
 * fails the case that caused it.  A panic during the run exits QEMU with
 * QEMU_EXIT_FAIL too (the runner's panic hook).
 *
 * It sits beside the suites it runs: it is the top of the stack (init
 * calls it instead of the shell) and may call anything; nothing below
 * calls it.
 */
#include <tests/ktest_kernel.h>
#include <kernel/kernel.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/mm.h>
#include <kernel/kmalloc.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/paging.h>
#include <drivers/pmem.h>
#include <fs/holdfs.h>
#include <fs/vfs.h>
#include <lib/errno.h>
#include <lib/string.h>

static bool test_mode;
static size_t frames_before;
static uint64_t objects_before;
static uint64_t case_start_ns;
static unsigned threads_before;

/* How long a case's own threads may take to exit after it returned (a
 * DMA job that has signalled completion is still on its way out). */
#define EXIT_WAIT_MS	2000

/* A case that runs longer than this says how long it took, so a slow
 * machine's test log shows where the time went. */
#define SLOW_CASE_NS (2ull * 1000 * 1000 * 1000)

bool kernel_test_mode(void)
{
	return test_mode;
}

static void settle(void)
{
	/* Let exited threads be reaped before counting. */
	struct thread *t = thread_create("reaper", (void (*)(void *))yield, NULL);
	if (t)
		thread_join(t);
}

static void case_begin(const struct ktest_case *c)
{
	settle();
	threads_before = sched_thread_count();
	frames_before = pmm_free_count() + kmalloc_slab_frames() + READ_ONCE(pt_table_frames);
	objects_before = kmalloc_in_use();
	case_start_ns = time_ns();
}

static void case_end(const struct ktest_case *c, struct ktest *t)
{
	uint64_t took = time_ns() - case_start_ns;

	if (took >= SLOW_CASE_NS)
		ktest_log(t, "%s.%s took %lu ms", c->suite, c->name,
			  (unsigned long)(took / 1000000));
	/* Threads the case started and did not join (detached jobs) hold a
	 * stack and a thread structure until they are gone: wait for them,
	 * or the check would count them as leaks on a slow machine. */
	for (int ms = 0; ms < EXIT_WAIT_MS && sched_thread_count() > threads_before; ms++)
		msleep(1);
	settle();
	size_t frames = pmm_free_count() + kmalloc_slab_frames() + READ_ONCE(pt_table_frames);
	uint64_t objects = kmalloc_in_use();

	if (objects != objects_before)
		ktest_fail_msg(t, "leak check: %ld kmalloc objects not freed",
			       (long)(objects - objects_before));
	if (frames != frames_before)
		ktest_fail_msg(t, "leak check: %ld page frames not freed",
			       (long)(frames_before - frames));
}

static const struct ktest_env kernel_env = {
	.write = console_write,
	.case_begin = case_begin,
	.case_end = case_end,
};

/* The root directory's in-DRAM index is built by the first lookup and kept
 * for the life of the mount: build it now, not inside the first case. */
static void warm_caches(void)
{
	struct hfs_stat st;

	vfs_stat("/.ktest-warm-up", &st);
}

/* Format pmem0 (test boots use scratch images) and mount it as the root. */
static int format_scratch_root(void)
{
	static struct hfs_pm *pm;
	int err;

	if (!pm)
		pm = hfs_kernel_pm(pmem_region(0));
	if (!pm)
		return -ENOMEM;
	err = hfs_mkfs(pm, NULL);
	return err ? err : vfs_mount_root();
}

/* Give the suites a mounted root before the first case, so its
 * allocations are not counted as a leak. */
static void prepare_root(void)
{
	if (vfs_mounted()) {
		warm_caches();
		return;
	}
	if (!pmem_region(0))
		return;
	if (format_scratch_root() == 0)
		kprintf("ktest: formatted and mounted the scratch pmem0 for the tests\n");
	warm_caches();
}

bool fs_test_ready(struct ktest *t)
{
	if (vfs_mounted())
		return true;
	if (!pmem_region(0)) {
		ktest_skip(t, "no persistent memory on this machine");
		return false;
	}
	if (format_scratch_root()) {
		ktest_fail_msg(t, "cannot format and mount pmem0");
		return false;
	}
	return true;
}

int ktest_write_pattern(const char *path, uint64_t len, uint8_t seed)
{
	static uint8_t buf[4096];	/* the test thread's alone */
	int fd = vfs_open(path, HFS_O_WRONLY | HFS_O_CREAT | HFS_O_TRUNC, 0644);
	int err = 0;

	if (fd < 0)
		return fd;
	for (uint64_t off = 0; !err && off < len; off += sizeof(buf)) {
		uint64_t n = MIN((uint64_t)sizeof(buf), len - off);
		int64_t got;

		for (uint64_t i = 0; i < n; i++)
			buf[i] = ktest_pattern_byte(seed, off + i);
		got = vfs_pwrite(fd, buf, n, off);
		err = got < 0 ? (int)got : got != (int64_t)n ? -EIO : 0;
	}
	if (!err)
		err = vfs_fsync(fd);
	vfs_close(fd);
	return err;
}

bool ktest_has_pattern(const char *path, uint64_t len, uint8_t seed)
{
	static uint8_t buf[4096];
	int fd = vfs_open(path, HFS_O_RDONLY, 0);
	bool ok = fd >= 0;

	for (uint64_t off = 0; ok && off < len; off += sizeof(buf)) {
		uint64_t n = MIN((uint64_t)sizeof(buf), len - off);

		ok = vfs_pread(fd, buf, n, off) == (int64_t)n;
		for (uint64_t i = 0; ok && i < n; i++)
			ok = buf[i] == ktest_pattern_byte(seed, off + i);
	}
	if (fd >= 0)
		vfs_close(fd);
	return ok;
}

/* A panic during the run: the harness must not wait for a timeout. */
static void test_panic(void)
{
	qemu_exit(QEMU_EXIT_FAIL);
}

static void test_thread(void *arg)
{
	struct ktest_counts counts = { 0 };

	prepare_root();
	ktest_run(&kernel_env, arg, &counts);
	qemu_exit(counts.failed ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
}

void ktest_kernel_main(const char *filter)
{
	test_mode = true;
	panic_set_hook(test_panic);
	if (!strcmp(filter, "probe")) {
		kprintf("holdfast: probe ok\n");
		qemu_exit(QEMU_EXIT_PASS);
	}
	struct thread *t = thread_create("ktest", test_thread, (void *)filter);
	if (!t) {
		kprintf("ktest: cannot create the test thread\n");
		qemu_exit(QEMU_EXIT_FAIL);
	}
	thread_join(t);
	qemu_exit(QEMU_EXIT_FAIL);
}

enum probe_kind { PROBE_READ, PROBE_WRITE, PROBE_EXEC };

static int probe(volatile void *p, enum probe_kind kind, struct probe_fault *f)
{
	struct kjmp_buf jb;
	struct cpu *c;
	volatile int vec = -1;

	preempt_disable();		/* the fault must land on this CPU's fault_jmp */
	c = this_cpu();
	if (ksetjmp(&jb) == 0) {
		c->fault_jmp = &jb;
		if (kind == PROBE_READ)
			(void)*(const volatile uint8_t *)p;
		else if (kind == PROBE_WRITE)
			*(volatile uint8_t *)p = *(volatile uint8_t *)p;
		else
			((void (*)(void))p)();
		c->fault_jmp = NULL;
	} else {
		c = this_cpu();
		vec = (int)c->fault_vector;
		if (f) {
			f->addr = c->fault_addr;
			f->error = c->fault_error;
		}
	}
	preempt_enable();
	return vec;
}

int probe_read(const volatile void *p, struct probe_fault *f)
{
	return probe((volatile void *)p, PROBE_READ, f);
}

int probe_write(volatile void *p, struct probe_fault *f)
{
	return probe(p, PROBE_WRITE, f);
}

int probe_exec(uint64_t va, struct probe_fault *f)
{
	return probe((volatile void *)va, PROBE_EXEC, f);
}
