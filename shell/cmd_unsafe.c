/*
 * cmd_unsafe.c - the `unsafe-demo` shell command: the clearly labelled
 * switch that turns the protection of docs/design.md's invariant off, so that
 * `make demo` can show the corruption it prevents.
 *
 *   unsafe-demo          say whether the protection is on (it is by default)
 *   unsafe-demo on       turn it OFF: layout changes (truncate, punch...) no
 *                        longer wait for DMA into their range, and the block
 *                        allocator hands out blocks that are still pinned
 *   unsafe-demo off      turn it back on
 *
 * It sets dax_unsafe_no_wait (fs/dax.h), the test-only switch that the
 * in-kernel suites use to reproduce the seed's corruption.  Nothing else in
 * the kernel sets it, and every boot starts with it off.
 */
#include <fs/dax.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <shell/shell.h>

static void say_state(void)
{
	if (dax_unsafe_no_wait)
		shell_printf("unsafe-demo: ON: the protection is OFF: truncate does not wait for DMA "
			     "and pinned blocks are handed out; files will be corrupted\n");
	else
		shell_printf("unsafe-demo: off (the default): layout changes wait for DMA into "
			     "their range; pinned blocks are never handed out\n");
}

static int cmd_unsafe_demo(int argc, char **argv)
{
	if (argc == 1) {
		say_state();
		return 0;
	}
	if (argc != 2)
		return shell_usage_error(argv[0], "takes at most one argument, on or off");
	if (!strcmp(argv[1], "on")) {
		shell_printf("**********************************************************************\n"
			     "* WARNING: UNSAFE DEMO MODE.  The protection against DMA into freed  *\n"
			     "* blocks is now OFF: truncate and the other layout changes return at *\n"
			     "* once while DMA is in flight, and the allocator gives the pinned    *\n"
			     "* blocks to other files.  Files WILL be silently corrupted.  For     *\n"
			     "* demonstrating the seed's bug only; `unsafe-demo off` restores it.  *\n"
			     "**********************************************************************\n");
		dax_unsafe_no_wait = true;
	} else if (!strcmp(argv[1], "off")) {
		dax_unsafe_no_wait = false;
	} else {
		return shell_usage_error(argv[0], "expected on or off, not '%s'", argv[1]);
	}
	say_state();
	return 0;
}
SHELL_CMD("unsafe-demo", "unsafe-demo [on|off]",
	  "DEMO ONLY: turn off (on) or restore (off) the wait for DMA before layout changes", cmd_unsafe_demo);
