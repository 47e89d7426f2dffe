# Host tests of the shell's portable core: line editor and command framework.
HOST_TESTS += shell
HOST_TEST_shell_SRCS := tests/host/test_shell.c kernel/shell/lineedit.c kernel/shell/term.c \
	kernel/shell/cmd.c lib/string.c lib/errno.c
