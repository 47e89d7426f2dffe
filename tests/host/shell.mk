# Host tests of the shell's portable core: line editor and command framework.
HOST_TESTS += shell
HOST_TEST_shell_SRCS := tests/host/test_shell.c shell/lineedit.c shell/term.c \
	shell/cmd.c lib/string.c lib/errno.c
