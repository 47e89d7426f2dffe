# Randomized differential test of holdfs against the model:
# build/host/test_hfs_model (HFS_SEED, HFS_OPS, HFS_TRACE; see the .c).
include tests/host/hfs_core.inc
ifneq ($(HFS_CORE_READY),)
HOST_TESTS += hfs_model
HOST_TEST_hfs_model_SRCS := tests/host/test_hfs_model.c tests/host/hfs_diff.c \
	tests/host/hfs_model.c $(HFS_TEST_PLATFORM) $(HFS_CORE_SRCS)
endif
