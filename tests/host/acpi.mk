# Host tests of the ACPI table parsers: build/host/test_acpi
HOST_TESTS += acpi
HOST_TEST_acpi_SRCS := tests/host/test_acpi.c drivers/acpi/tables.c \
	lib/string.c lib/errno.c
