# Host unit tests of the holdfs core (fs/holdfs) through its public API,
# on an in-memory device (tools/hfs_host.c):
#   build/host/test_holdfs       the core as it ships
#   build/host/test_holdfs_tiny  the core with HFS_TINY_NODES (2 inline
#                                extents, 4 records per tree node, tiny
#                                journal), so splits and full-journal
#                                paths run; built from one wrapper file
#                                that includes the core sources.
HOLDFS_CORE := $(filter-out fs/holdfs/kernel_platform.c,$(sort $(wildcard fs/holdfs/*.c)))
HOLDFS_HOST_LIB := tools/hfs_host.c tools/hfs_services.c lib/string.c lib/crc.c lib/bitmap.c lib/errno.c
HOLDFS_TESTS := tests/host/test_holdfs_tiny.c tests/host/test_holdfs_ops.c tests/host/test_holdfs_files.c \
	tests/host/test_holdfs_mount.c tests/host/test_holdfs_fsck.c \
	tests/host/test_holdfs_fsck_corpus.c tests/host/test_holdfs_locks.c \
	tests/host/test_holdfs_attrs.c tests/host/test_holdfs_writev.c \
	tests/host/holdfs_test_util.c

HOST_TESTS += holdfs
HOST_TEST_holdfs_SRCS := $(HOLDFS_TESTS) $(HOLDFS_CORE) $(HOLDFS_HOST_LIB)
HOST_TEST_holdfs_LIBS := -lpthread

HOST_TESTS += holdfs_tiny
HOST_TEST_holdfs_tiny_SRCS := $(HOLDFS_TESTS) tests/host/holdfs_tiny_core.c \
	$(HOLDFS_HOST_LIB)
HOST_TEST_holdfs_tiny_LIBS := -lpthread
