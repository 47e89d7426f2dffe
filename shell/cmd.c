/*
 * cmd.c - the shell's command framework (interface in shell.h).
 *
 * Owns: the output indirection (shell_set_output/shell_printf), the
 * tokenizer (shell_split), command lookup over the "shell_cmds" linker
 * section with did-you-mean suggestions, shell_exec, the usage and number
 * helpers, the "help" command, and shell_input, which glues the line
 * editor to shell_exec.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>

#include "lineedit.h"
#include <shell/shell.h>

extern const struct shell_cmd __start_shell_cmds[];
extern const struct shell_cmd __stop_shell_cmds[];

#define for_each_cmd(c) \
	for ((c) = __start_shell_cmds; (c) < __stop_shell_cmds; (c)++)

/* ------------------------------------------------------------ output -- */

#define OUT_CHUNK	128	/* shell_printf buffers this much per write */

static void write_nothing(const char *s, size_t n)
{
}

static void (*shell_write)(const char *s, size_t n) = write_nothing;

void shell_set_output(void (*write)(const char *s, size_t n))
{
	shell_write = write ? write : write_nothing;
}

struct outbuf {
	char buf[OUT_CHUNK];
	size_t n;
};

static void out_char(void *ctx, char c)
{
	struct outbuf *o = ctx;

	o->buf[o->n++] = c;
	if (o->n == sizeof(o->buf)) {
		shell_write(o->buf, o->n);
		o->n = 0;
	}
}

static __printf(1, 0) int shell_vprintf(const char *fmt, va_list ap)
{
	struct outbuf o = { .n = 0 };
	int ret;

	ret = vcbprintf(out_char, &o, fmt, ap);
	if (o.n)
		shell_write(o.buf, o.n);
	return ret;
}

int shell_printf(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = shell_vprintf(fmt, ap);
	va_end(ap);
	return ret;
}

static void print_spaces(size_t n)
{
	static const char spaces[] = "                                ";

	while (n) {
		size_t k = MIN(n, sizeof(spaces) - 1);

		shell_write(spaces, k);
		n -= k;
	}
}

void shell_prompt(void)
{
	shell_printf("%s", SHELL_PROMPT);
}

/* --------------------------------------------------------- tokenizer -- */

#define QUOTE_SINGLE	'\''
#define QUOTE_DOUBLE	'"'
#define ESCAPE		'\\'

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Copy one word starting at *rp to *wp (wp <= rp, so in place), removing
 * quotes and escapes; stop at unquoted space or at the end of the line.
 * Returns 0 or a shell_split_err.
 */
static int split_word(char **rp, char **wp)
{
	char *r = *rp, *w = *wp;
	char quote = 0;

	for (; *r; r++) {
		if (quote == QUOTE_SINGLE) {
			if (*r == QUOTE_SINGLE)
				quote = 0;
			else
				*w++ = *r;
		} else if (quote == QUOTE_DOUBLE) {
			if (*r == QUOTE_DOUBLE)
				quote = 0;
			else if (*r == ESCAPE && (r[1] == QUOTE_DOUBLE ||
						  r[1] == ESCAPE))
				*w++ = *++r;
			else
				*w++ = *r;
		} else if (is_space(*r)) {
			break;
		} else if (*r == QUOTE_SINGLE || *r == QUOTE_DOUBLE) {
			quote = *r;
		} else if (*r == ESCAPE) {
			if (!r[1])
				return SHELL_SPLIT_ESCAPE;
			*w++ = *++r;
		} else {
			*w++ = *r;
		}
	}
	if (quote)
		return quote == QUOTE_SINGLE ? SHELL_SPLIT_SQUOTE
					     : SHELL_SPLIT_DQUOTE;
	*rp = r;
	*wp = w;
	return 0;
}

int shell_split(char *line, char **argv, int max_args)
{
	char *r = line;
	int argc = 0;
	int err;

	for (;;) {
		char *w;

		while (is_space(*r))
			r++;
		if (!*r)
			break;
		if (argc == max_args)
			return SHELL_SPLIT_TOO_MANY;
		w = r;
		argv[argc++] = w;
		err = split_word(&r, &w);
		if (err)
			return err;
		if (*r)
			r++;	/* step over the space that ended the word */
		*w = '\0';	/* w < r here, or both at the old NUL */
	}
	argv[argc] = NULL;
	return argc;
}

const char *shell_split_error(int err)
{
	switch (err) {
	case SHELL_SPLIT_SQUOTE:	return "unterminated single quote";
	case SHELL_SPLIT_DQUOTE:	return "unterminated double quote";
	case SHELL_SPLIT_ESCAPE:	return "backslash at end of line";
	case SHELL_SPLIT_TOO_MANY:
		return "too many arguments (max " STRINGIFY(SHELL_MAX_ARGS) ")";
	}
	return "bad command line";
}

/* ------------------------------------------------- lookup, suggestion -- */

#define SUGGEST_LEN_MAX	32	/* longer names get prefix suggestions only */
#define SUGGEST_DIST	2u	/* farthest typo we offer to correct */
#define DIST_FAR	(SUGGEST_LEN_MAX + 1)

const struct shell_cmd *shell_find(const char *name)
{
	const struct shell_cmd *c;

	for_each_cmd(c)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/*
 * Edit distance counting insertions, deletions, substitutions and swaps of
 * two neighbours (optimal string alignment), on three rolling rows.
 */
static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int rows[3][SUGGEST_LEN_MAX + 1];
	size_t la = strlen(a), lb = strlen(b);
	size_t i, j;

	if (la > SUGGEST_LEN_MAX || lb > SUGGEST_LEN_MAX)
		return DIST_FAR;
	for (j = 0; j <= lb; j++)
		rows[0][j] = j;
	for (i = 1; i <= la; i++) {
		unsigned int *cur = rows[i % 3];
		unsigned int *prev = rows[(i + 2) % 3];
		unsigned int *prev2 = rows[(i + 1) % 3];

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned int cost = a[i - 1] != b[j - 1];
			unsigned int d = MIN(prev[j] + 1, cur[j - 1] + 1);

			d = MIN(d, prev[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1])
				d = MIN(d, prev2[j - 2] + 1);
			cur[j] = d;
		}
	}
	return rows[la % 3][lb];
}

/* The better of two candidates: smaller distance, then smaller name. */
static bool better(const struct shell_cmd *c, unsigned int d,
		   const struct shell_cmd *best, unsigned int best_d)
{
	if (!best || d < best_d)
		return true;
	return d == best_d && strcmp(c->name, best->name) < 0;
}

/*
 * A command the user may have meant by @word: the nearest by edit
 * distance, allowing 1 typo in words of 2-3 letters and 2 from 4 letters
 * on (so that "x" does not suggest "ls"); failing that, the first command
 * that @word is a prefix of.  NULL when nothing is close.
 */
static const struct shell_cmd *suggest(const char *word)
{
	const struct shell_cmd *c, *best = NULL;
	size_t len = strlen(word);
	unsigned int limit = MIN((unsigned int)(len / 2), SUGGEST_DIST);
	unsigned int best_d = DIST_FAR;

	if (len == 0)
		return NULL;
	for_each_cmd(c) {
		unsigned int d = edit_distance(word, c->name);

		if (d <= limit && better(c, d, best, best_d)) {
			best = c;
			best_d = d;
		}
	}
	if (best)
		return best;
	for_each_cmd(c)
		if (strncmp(c->name, word, len) == 0 && better(c, 0, best, 0))
			best = c;
	return best;
}

/**
 * shell_suggest_word - the word of @choices (NULL-terminated) that @word
 * is most likely a typo of, by the same rules as for command names, or
 * NULL.  For subcommands ("dma stauts" -> "status").
 */
const char *shell_suggest_word(const char *word, const char *const *choices)
{
	size_t len = strlen(word);
	unsigned int limit = MIN((unsigned int)(len / 2), SUGGEST_DIST);
	unsigned int best_d = DIST_FAR;
	const char *best = NULL;

	if (len == 0)
		return NULL;
	for (; *choices; choices++) {
		unsigned int d = edit_distance(word, *choices);

		if (d <= limit && (d < best_d || (d == best_d && strcmp(*choices, best) < 0))) {
			best = *choices;
			best_d = d;
		}
	}
	return best;
}

/* "<what> 'X' (did you mean 'Y'?)" and the hint, newline-terminated. */
static void report_unknown(const char *what, const char *word)
{
	const struct shell_cmd *s = suggest(word);

	shell_printf("%s '%s'", what, word);
	if (s)
		shell_printf(" (did you mean '%s'?)", s->name);
	shell_printf("\ntype 'help' for the list of commands\n");
}

/* -------------------------------------------------------------- exec -- */

int shell_exec(char *line)
{
	char *argv[SHELL_MAX_ARGS + 1];
	const struct shell_cmd *c;
	int argc;

	argc = shell_split(line, argv, SHELL_MAX_ARGS);
	if (argc < 0) {
		shell_printf("error: %s\n", shell_split_error(argc));
		return argc == SHELL_SPLIT_TOO_MANY ? -E2BIG : -EINVAL;
	}
	if (argc == 0)
		return 0;
	/* A path runs a program: the command registered as "/" (cmd_proc.c). */
	c = shell_find(argv[0][0] == '/' ? "/" : argv[0]);
	if (!c) {
		report_unknown("unknown command", argv[0]);
		return -ENOENT;
	}
	return c->fn(argc, argv);
}

int shell_input(struct lineedit *le, char ch)
{
	char line[LE_LINE_MAX];
	int ret;

	ret = le_feed(le, ch, line, sizeof(line));
	if (ret == 0)
		return 0;
	if (ret == LE_TOO_LONG)
		shell_printf("error: line too long (max %d characters)\n",
			     LE_LINE_MAX - 1);
	else
		shell_exec(line);
	shell_prompt();
	return 1;
}

/* ----------------------------------------------------------- helpers -- */

void shell_usage(const struct shell_cmd *c)
{
	shell_printf("usage: %s\n", c->usage);
}

int shell_usage_error(const char *name, const char *fmt, ...)
{
	const struct shell_cmd *c = shell_find(name);
	va_list ap;

	shell_printf("%s: ", name);
	va_start(ap, fmt);
	shell_vprintf(fmt, ap);
	va_end(ap);
	shell_printf("\n");
	if (c)
		shell_usage(c);
	return -EINVAL;
}

static int report_number(int err, const char *arg, const char *what,
			 const char *kind)
{
	if (err == -ERANGE)
		shell_printf("error: %s: '%s' is too large\n", what, arg);
	else if (err)
		shell_printf("error: %s: '%s' is not a %s\n", what, arg, kind);
	return err;
}

int shell_parse_u64(const char *arg, const char *what, uint64_t *out)
{
	return report_number(parse_u64(arg, 0, out), arg, what, "number");
}

int shell_parse_size(const char *arg, const char *what, uint64_t *out)
{
	return report_number(parse_size(arg, out), arg, what, "size");
}

/* ------------------------------------------------------ help command -- */

#define HELP_COL_MAX	28	/* usage column width cap in the listing */

/* The command whose name follows @prev in sort order (first if NULL). */
static const struct shell_cmd *next_by_name(const struct shell_cmd *prev)
{
	const struct shell_cmd *c, *best = NULL;

	for_each_cmd(c) {
		if (prev && strcmp(c->name, prev->name) <= 0)
			continue;
		if (!best || strcmp(c->name, best->name) < 0)
			best = c;
	}
	return best;
}

static size_t usage_column(void)
{
	const struct shell_cmd *c;
	size_t width = 0;

	for_each_cmd(c)
		width = MAX(width, strlen(c->usage));
	return MIN(width, (size_t)HELP_COL_MAX);
}

static void help_list(void)
{
	const struct shell_cmd *c = NULL;
	size_t col = usage_column();

	while ((c = next_by_name(c))) {
		size_t len = strlen(c->usage);

		shell_printf("  %s", c->usage);
		if (len > col) {
			shell_printf("\n");
			len = 0;
			print_spaces(2);
		}
		print_spaces(col - len + 2);
		shell_printf("%s\n", c->help);
	}
}

static int help_one(const char *name)
{
	const struct shell_cmd *c = shell_find(name);

	if (!c) {
		report_unknown("help: unknown command", name);
		return -ENOENT;
	}
	shell_usage(c);
	shell_printf("%s\n", c->help);
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return shell_usage_error(argv[0], "too many arguments");
	if (argc == 2)
		return help_one(argv[1]);
	help_list();
	return 0;
}

SHELL_CMD("help", "help [CMD]",
	  "list the commands, or show how to use one", cmd_help);
