/*
 * hfs_services_test.h - test-only controls of the host platform services
 * (tests/host/hfs_services_test.c).
 */
#ifndef TESTS_HFS_SERVICES_TEST_H
#define TESTS_HFS_SERVICES_TEST_H

#include <stdbool.h>
#include <stdint.h>

/* Drop holdfs log lines (expected complaints about corrupted images). */
void hfs_test_log_quiet(bool quiet);
/* Log lines emitted so far, quiet or not. */
uint64_t hfs_test_log_count(void);

/* hfs_now_ns() becomes a deterministic counter (restarted by each call). */
void hfs_test_fake_clock(bool on);

#endif
