# The holdfs test oracles on their own (model, recording device):
# build/host/test_hfs_harness.  Needs no holdfs core.
HOST_TESTS += hfs_harness
HOST_TEST_hfs_harness_SRCS := tests/host/test_hfs_harness.c tests/host/hfs_model.c \
	tests/host/hfs_diff.c tests/host/hfs_fake_core.c \
	tests/host/hfs_memdev.c tools/hfs_services.c \
	lib/string.c lib/errno.c
