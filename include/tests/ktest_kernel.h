/*
 * ktest_kernel.h - running the in-kernel test suites (test= on the kernel
 * command line; tests/kernel/ktest_kernel.c) and helpers the kernel
 * suites share.
 */
#ifndef TESTS_KTEST_KERNEL_H
#define TESTS_KTEST_KERNEL_H

#include <lib/ktest.h>
#include <kernel/kjmp.h>
#include <stdbool.h>
#include <stdint.h>

/* Run the suites in `filter`, print KTAP, exit QEMU with pass/fail.  The
 * boot thread, once, instead of the shell. */
void ktest_kernel_main(const char *filter) __attribute__((noreturn));

/* Whether ktest_kernel_main() runs (the boot had test=). */
bool kernel_test_mode(void);

/**
 * fs_test_ready - make sure a holdfs root is mounted for a case that
 * needs one, formatting pmem0 (a scratch image on test boots) when
 * nothing is mounted.  Returns false after marking @t skipped (no pmem)
 * or failed (format or mount failed).  Thread context.
 */
bool fs_test_ready(struct ktest *t);

/*
 * Test files with a known pattern: byte @pos of pattern @seed.  It
 * depends only on where the byte is, and neighbouring pages differ, so a
 * page that lands at the wrong offset shows.
 */
static inline uint8_t ktest_pattern_byte(uint8_t seed, uint64_t pos)
{
	return (uint8_t)(seed + pos + pos / 4096);
}

/**
 * ktest_write_pattern - create (or truncate) @path with @len bytes of
 * pattern @seed, fsync'd.  Returns 0 or -errno (the open's, the first
 * short write's, or the fsync's).  Thread context, a root mounted.
 */
int ktest_write_pattern(const char *path, uint64_t len, uint8_t seed);

/**
 * ktest_has_pattern - whether the first @len bytes of @path read back as
 * pattern @seed.  Thread context, a root mounted.
 */
bool ktest_has_pattern(const char *path, uint64_t len, uint8_t seed);

/* What a caught fault looked like. */
struct probe_fault {
	uint64_t addr;		/* CR2 for a page fault, else RIP */
	uint64_t error;		/* the error code (PF_* bits for a page fault) */
};

/*
 * Touch memory expecting a fault: returns the exception vector (EXC_PF...)
 * if the access faulted, or -1 if it did not; *f (may be NULL) gets the
 * details.  Safe against migration: the details are copied before
 * preemption is allowed again.  Thread context (a test), no spinlock held.
 */
int probe_read(const volatile void *p, struct probe_fault *f);
int probe_write(volatile void *p, struct probe_fault *f);
/* Call code at va the same way (for no-execute tests). */
int probe_exec(uint64_t va, struct probe_fault *f);

#endif
