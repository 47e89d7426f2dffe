/*
 * shell.h - the serial shell's command framework.
 *
 * Commands register themselves with SHELL_CMD() anywhere in the kernel: the
 * macro puts a const struct shell_cmd in the linker section "shell_cmds",
 * which linker.ld (and GNU ld on the host, by itself) brackets with
 * __start_shell_cmds/__stop_shell_cmds.  shell_exec() splits a line into
 * words, finds the command named by the first one and calls it.
 *
 * A command returns 0 or a negative errno, and prints its own messages
 * through shell_printf(); for bad arguments it returns
 * shell_usage_error(argv[0], "what was wrong").
 *
 * All output goes through the writer given to shell_set_output() (none by
 * default).  The framework writes "\n" line ends: a writer that feeds a
 * serial terminal turns them into "\r\n".
 *
 * No locking: one shell thread runs the framework.
 */
#ifndef SHELL_SHELL_H
#define SHELL_SHELL_H

#include <stddef.h>
#include <stdint.h>
#include <lib/compiler.h>

#define SHELL_PROMPT	"holdfast> "
#define SHELL_MAX_ARGS	32	/* words in a line, the command included */

struct shell_cmd {
	const char *name;	/* what the user types */
	const char *usage;	/* "name ARGS", shown after "usage: " */
	const char *help;	/* one line: what the command does */
	int (*fn)(int argc, char **argv);
};

/*
 * SHELL_CMD("name", "name ARGS", "what it does", fn) - register a command.
 * One registration per function: the entry is named after @fn.
 */
#define SHELL_CMD(name_, usage_, help_, fn_)				\
	static const struct shell_cmd shell_cmd_##fn_			\
	__used __aligned(8) __section("shell_cmds") = {			\
		.name = (name_), .usage = (usage_),			\
		.help = (help_), .fn = (fn_),				\
	}

/* shell_split() errors, each with its own message (shell_split_error()). */
enum shell_split_err {
	SHELL_SPLIT_SQUOTE = -1,	/* a ' was never closed */
	SHELL_SPLIT_DQUOTE = -2,	/* a " was never closed */
	SHELL_SPLIT_ESCAPE = -3,	/* the line ends in a lone backslash */
	SHELL_SPLIT_TOO_MANY = -4,	/* more than max_args words */
};

/**
 * shell_split - cut a line into words, in place.
 * @line:     modified: words are NUL-terminated, quotes and escapes removed.
 * @argv:     room for @max_args + 1 pointers; argv[argc] is set to NULL.
 * @max_args: most words accepted.
 *
 * Words are separated by spaces or tabs.  '...' keeps everything inside
 * literally; "..." keeps spaces and single quotes, and inside it a
 * backslash escapes only " and \ (other backslashes stay, as in sh).
 * Outside quotes a backslash makes the next character literal.  Quoted
 * parts join the text around them ("a"'b'c is one word, abc); "" is an
 * empty word.
 *
 * Returns the number of words, or a negative enum shell_split_err.
 */
int shell_split(char *line, char **argv, int max_args);

/* shell_split_error - the message for a shell_split() error, no newline. */
const char *shell_split_error(int err);

/**
 * shell_exec - run one command line.  A first word that is a path
 * (/bin/hello) goes to the command registered under the name "/"
 * (shell/cmd_proc.c: run that program).
 * @line: modified by shell_split().
 *
 * A blank line does nothing and returns 0.  A split error prints
 * "error: <why>" and returns -EINVAL (-E2BIG for too many words).  An
 * unknown command prints "unknown command 'X'", maybe a suggestion, and a
 * hint to type help, and returns -ENOENT.  Otherwise returns what the
 * command returned.
 */
int shell_exec(char *line);

/* shell_find - the command called @name, or NULL. */
const struct shell_cmd *shell_find(const char *name);

/* shell_usage - print "usage: <c->usage>". */
void shell_usage(const struct shell_cmd *c);

/**
 * shell_usage_error - report bad arguments to a command.
 * @name: the command (argv[0]).
 * @fmt:  what was wrong, printf-style, without a newline.
 *
 * Prints "<name>: <what>" and the command's usage line.
 * Returns -EINVAL, for the command to return.
 */
int shell_usage_error(const char *name, const char *fmt, ...) __printf(2, 3);

/**
 * shell_parse_u64 - parse a number argument, complaining if it is not one.
 * @arg:  the text: decimal, or hex with 0x.
 * @what: what the number is, for the message ("size", "offset").
 * @out:  written only on success.
 *
 * On failure prints "error: <what>: '<arg>' is not a number" (or "is too
 * large") and returns -EINVAL (or -ERANGE).  Returns 0 on success.
 */
int shell_parse_u64(const char *arg, const char *what, uint64_t *out);

/* shell_parse_size - as shell_parse_u64, also taking K/M/G/T suffixes. */
int shell_parse_size(const char *arg, const char *what, uint64_t *out);

/* The one of @choices (NULL-terminated) @word is likely a typo of, or NULL. */
const char *shell_suggest_word(const char *word, const char *const *choices);

/* shell_set_output - where shell_printf() writes; NULL discards output. */
void shell_set_output(void (*write)(const char *s, size_t n));

/* shell_printf - formatted output (lib/printf conversions); returns the
 * number of characters written. */
int shell_printf(const char *fmt, ...) __printf(1, 2);

/* shell_prompt - print SHELL_PROMPT. */
void shell_prompt(void);

/**
 * shell_main - the shell on the serial console, until poweroff: prints
 * the first prompt, then reads and runs lines.  kmain's last step, in the
 * boot thread; does not return.
 */
void shell_main(void) __noreturn;

/* Boot time: TSC at the first instruction to the first prompt, in ns
 * (set by shell_main, shown by uptime). */
extern uint64_t boot_to_prompt_ns;

struct lineedit;

/**
 * shell_input - the whole shell loop body: feed one input byte.
 * @le: the line editor (le_init() done; its echo goes to the terminal).
 *
 * When the byte completes a line, runs it (or prints "error: line too long
 * (max 1023 characters)") and prints a new prompt.  Returns 1 when it
 * printed a prompt, 0 otherwise.  Uses about LE_LINE_MAX bytes of stack.
 */
int shell_input(struct lineedit *le, char c);

#endif /* SHELL_SHELL_H */
