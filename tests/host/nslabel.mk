# Host unit tests of the namespace label library: build/host/test_nslabel
HOST_TESTS += nslabel
HOST_TEST_nslabel_SRCS := tests/host/test_nslabel.c drivers/nvdimm/nslabel.c \
	tests/host/kprintf_host.c lib/string.c lib/errno.c
