# Host tests of the portable PCI decoding (drivers/pci/decode.c) over fake
# config spaces: build/host/test_pci
HOST_TESTS += pci
HOST_TEST_pci_SRCS := tests/host/test_pci.c drivers/pci/decode.c drivers/pci/names.c \
	tests/host/kprintf_host.c lib/string.c lib/errno.c
