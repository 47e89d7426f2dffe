# Host unit tests of lib/: build/host/test_lib
HOST_TESTS += lib
HOST_TEST_lib_SRCS := tests/host/test_string.c tests/host/test_printf.c \
	tests/host/test_list.c tests/host/test_bitmap.c tests/host/test_crc.c \
	tests/host/test_errno.c tests/host/test_ktest.c tests/host/test_date.c \
	tests/host/test_size.c lib/size.c \
	lib/string.c lib/bitmap.c lib/crc.c lib/errno.c lib/date.c
