HOST_TESTS += multiboot
HOST_TEST_multiboot_SRCS := tests/host/test_multiboot.c kernel/multiboot.c \
	tests/host/kprintf_host.c lib/string.c lib/errno.c
