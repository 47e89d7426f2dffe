# Host tests of the CMOS real-time clock's decoding
# (arch/x86_64/rtc_decode.c): build/host/test_rtc
HOST_TESTS += rtc
HOST_TEST_rtc_SRCS := tests/host/test_rtc.c arch/x86_64/rtc_decode.c lib/date.c \
	lib/string.c lib/errno.c
