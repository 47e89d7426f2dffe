# Crash-state tests of holdfs on the recording device:
# build/host/test_hfs_crash (HFS_SEED, HFS_CRASH_OPS, HFS_CRASH_K,
# HFS_CRASH_EVERY, HFS_CRASH_WORDS, HFS_CRASH_SAVE; see the .c).
include tests/host/hfs_core.inc
ifneq ($(HFS_CORE_READY),)
HOST_TESTS += hfs_crash
HOST_TEST_hfs_crash_SRCS := tests/host/test_hfs_crash.c tests/host/hfs_diff.c \
	tests/host/hfs_model.c $(HFS_TEST_PLATFORM) $(HFS_CORE_SRCS)
endif
# The same harness over the tiny-node core (HFS_TINY_NODES: 4 records per
# tree node, the smallest journal), so that the operations split into
# several transactions (collapse intents, orphans) are crash-tested too.
ifneq ($(HFS_CORE_READY),)
HOST_TESTS += hfs_crash_tiny
HOST_TEST_hfs_crash_tiny_SRCS := tests/host/test_hfs_crash.c tests/host/hfs_diff.c \
	tests/host/hfs_model.c $(HFS_TEST_PLATFORM) tests/host/holdfs_tiny_core.c
endif
