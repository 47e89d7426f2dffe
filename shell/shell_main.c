/*
 * shell_main.c - the shell loop on the serial console: prompt, line
 * editing (lineedit.c), command dispatch (cmd.c), and Ctrl-C.
 *
 * Runs in the "main" thread after boot; reads bytes with shell_getc()
 * (progress.c: bytes a terminal query read ahead, then uart_getc(), which
 * sleeps until the receive interrupt brings input).
 *
 * Ctrl-C: the shell thread is the console's foreground thread, so a Ctrl-C
 * interrupts it the moment the serial driver receives it (console.c): the
 * interruptible wait the running command is in, or enters next, returns
 * -EINTR, and the command says so ("truncate: /f: Interrupted system
 * call") and gives up, leaving what it worked on as it was.  Commands
 * started from `&` run in threads of their own and go on.  The Ctrl-C
 * byte stays in the input, after what was typed before it; when the shell
 * reads it, the interrupt has been dealt with and is cleared.  Reading it
 * then is what a Ctrl-C at the prompt always does: the line editor drops
 * the line being typed and shows "^C" -- except right after a command
 * that reported the interruption, when the line is still empty: that
 * Ctrl-C has done its job and goes silently.  A command typed ahead of the
 * Ctrl-C, before the shell reads it, is interrupted as well: Ctrl-C
 * cancels what was asked before it.
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <drivers/uart16550.h>
#include <lib/errno.h>
#include <shell/shell.h>
#include "lineedit.h"
#include "progress.h"

uint64_t boot_to_prompt_ns;

static struct lineedit editor;
static char line[LE_LINE_MAX];

static void echo(void *ctx, const char *s, size_t n)
{
	console_write(s, n);
}

/*
 * The shell read a Ctrl-C: its interrupt is over.  True if the byte is
 * dropped (the command before it already reported the interruption and
 * nothing has been typed since), false if the line editor gets it.
 */
static bool ctrl_c_read(bool *reported)
{
	bool drop = *reported && editor.len == 0;

	thread_interrupt_clear();
	*reported = false;
	return drop;
}

void shell_main(void)
{
	bool reported = false;	/* the last command returned -EINTR */

	shell_set_output(console_write);
	le_init(&editor, echo, NULL);
	console_set_foreground(current_thread());
	boot_to_prompt_ns = time_ns();
	kprintf("boot: %lu.%03lu ms from the first instruction to the prompt\n",
		boot_to_prompt_ns / 1000000, (boot_to_prompt_ns / 1000) % 1000);
	kprintf("Type 'help' for the list of commands.\n");
	for (;;) {
		console_write(SHELL_PROMPT, sizeof(SHELL_PROMPT) - 1);
		for (;;) {
			char c = shell_getc();

			if (c == CONSOLE_INTR_CHAR && ctrl_c_read(&reported))
				continue;
			int r = le_feed(&editor, c, line, sizeof(line));
			if (r == LE_TOO_LONG) {
				kprintf("error: line too long (max %d characters)\n", LE_LINE_MAX - 1);
				break;
			}
			if (r > 0) {
				reported = shell_exec(line) == -EINTR;
				break;
			}
		}
	}
}
