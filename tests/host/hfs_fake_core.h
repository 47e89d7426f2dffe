/*
 * hfs_fake_core.h - planted faults of the model-backed fake holdfs
 * (hfs_fake_core.c), used to show the differential driver catches bugs.
 */
#ifndef TESTS_HFS_FAKE_CORE_H
#define TESTS_HFS_FAKE_CORE_H

enum {
	HFS_FAKE_NONE,
	HFS_FAKE_WRITE_TAIL,		/* flips the last byte of most writes */
	HFS_FAKE_RENAME_EISDIR,		/* file over directory: -ENOTDIR */
	HFS_FAKE_COLLAPSE_EOF,		/* collapse reaching EOF truncates */
};
extern int hfs_fake_fault;

#endif
