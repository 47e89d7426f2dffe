# Host tests of the DMAR parser: build/host/test_dmar
HOST_TESTS += dmar
HOST_TEST_dmar_SRCS := tests/host/test_dmar.c drivers/iommu/dmar.c \
	drivers/acpi/tables.c lib/string.c lib/errno.c
