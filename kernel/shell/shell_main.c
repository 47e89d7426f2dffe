/*
 * shell_main.c - the shell loop on the serial console: prompt, line
 * editing (lineedit.c), command dispatch (cmd.c).
 *
 * Runs in the "main" thread after boot; reads bytes with shell_getc()
 * (progress.c: bytes a terminal query read ahead, then uart_getc(), which
 * sleeps until the receive interrupt brings input).
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/timer.h>
#include <drivers/uart16550.h>
#include "shell.h"
#include "lineedit.h"
#include "progress.h"

static struct lineedit editor;
static char line[LE_LINE_MAX];

static void echo(void *ctx, const char *s, size_t n)
{
	console_write(s, n);
}

void shell_main(void)
{
	shell_set_output(console_write);
	le_init(&editor, echo, NULL);
	boot_to_prompt_ns = time_ns();
	kprintf("boot: %lu.%03lu ms from the first instruction to the prompt\n",
		boot_to_prompt_ns / 1000000, (boot_to_prompt_ns / 1000) % 1000);
	kprintf("Type 'help' for the list of commands.\n");
	for (;;) {
		console_write(SHELL_PROMPT, sizeof(SHELL_PROMPT) - 1);
		for (;;) {
			int r = le_feed(&editor, shell_getc(), line, sizeof(line));
			if (r == LE_TOO_LONG) {
				kprintf("error: line too long (max %d characters)\n", LE_LINE_MAX - 1);
				break;
			}
			if (r > 0) {
				shell_exec(line);
				break;
			}
		}
	}
}
