/*
 * fuzz_hfs_mount.h - the body of the mount/fsck fuzz target, shared by the
 * libFuzzer binary and the corpus replay test (test_hfs_regress.c).
 */
#ifndef TESTS_FUZZ_HFS_MOUNT_H
#define TESTS_FUZZ_HFS_MOUNT_H

#include <stddef.h>
#include <stdint.h>

/* Run one input (see fuzz_hfs_mount.c); aborts on a finding. */
int hfs_fuzz_one(const uint8_t *data, size_t size);
/* The populated 256 KiB image the "HFSP" patch format applies to. */
const uint8_t *hfs_fuzz_base_image(size_t *size);

#endif
