# Replay of the kept fuzz inputs (tests/host/fuzz_corpus/) through mount
# and fsck, without libFuzzer: build/host/test_hfs_regress.
include tests/host/hfs_core.inc
ifneq ($(HFS_CORE_READY),)
HOST_TESTS += hfs_regress
HOST_TEST_hfs_regress_SRCS := tests/host/test_hfs_regress.c tests/host/fuzz_hfs_mount.c \
	$(HFS_TEST_PLATFORM) $(HFS_CORE_SRCS)
HOST_CFLAGS_tests_host_test_hfs_regress := -DHFS_CORPUS_DIR='"$(CURDIR)/tests/host/fuzz_corpus"'
endif
