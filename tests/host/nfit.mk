HOST_TESTS += nfit
HOST_TEST_nfit_SRCS := tests/host/test_nfit.c drivers/nvdimm/nfit.c \
	tests/host/kprintf_host.c lib/string.c lib/errno.c
