/*
 * test_shell.c - host tests of shell/: the line editor fed byte by
 * byte (lines returned and exactly what is echoed), the tokenizer, and
 * shell_exec with a few test commands registered here.
 */
#include <stdint.h>
#include <lib/ktest.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>

/* The shell's private headers, on purpose: these tests drive its insides. */
#include "../../shell/lineedit.h"
#include <shell/shell.h>

/* VT100 sequences the editor is expected to send */
#define LEFT1		"\x1b[1D"
#define ERASE_EOL	"\x1b[K"
#define NL		"\r\n"

/* Keys as a terminal sends them */
#define K_UP		"\x1b[A"
#define K_DOWN		"\x1b[B"
#define K_RIGHT		"\x1b[C"
#define K_LEFT		"\x1b[D"
#define K_HOME		"\x1b[H"
#define K_END		"\x1b[F"
#define K_HOME_VT	"\x1b[1~"
#define K_END_VT	"\x1b[4~"
#define K_HOME_SS3	"\x1bOH"
#define K_DELETE	"\x1b[3~"
#define K_CTRL_A	"\x01"
#define K_CTRL_C	"\x03"
#define K_CTRL_E	"\x05"
#define K_CTRL_U	"\x15"

/* ------------------------------------------------- line editor rig -- */

#define ECHO_MAX	8192
#define LINES_MAX	32

static struct lineedit le;

static struct {
	char buf[ECHO_MAX];
	size_t len;
} echo;

/* What le_feed returned, for each call that returned non-zero. */
static struct {
	int n;
	int ret[LINES_MAX];
	char line[LINES_MAX][LE_LINE_MAX];
} got;

static void echo_capture(void *ctx, const char *s, size_t n)
{
	if (echo.len + n >= ECHO_MAX)
		n = ECHO_MAX - 1 - echo.len;
	memcpy(echo.buf + echo.len, s, n);
	echo.len += n;
	echo.buf[echo.len] = '\0';
}

static void rig_reset(void)
{
	le_init(&le, echo_capture, NULL);
	echo.len = 0;
	echo.buf[0] = '\0';
	got.n = 0;
}

static void echo_clear(void)
{
	echo.len = 0;
	echo.buf[0] = '\0';
}

/* Feed every byte of s; returns the result of the last byte. */
static int feed(const char *s)
{
	char out[LE_LINE_MAX];
	int ret = 0;

	for (; *s; s++) {
		ret = le_feed(&le, *s, out, sizeof(out));
		if (ret != 0 && got.n < LINES_MAX) {
			got.ret[got.n] = ret;
			memcpy(got.line[got.n], out, strlen(out) + 1);
			got.n++;
		}
	}
	return ret;
}

static void feed_repeat(char c, size_t n)
{
	char out[LE_LINE_MAX];

	while (n--)
		le_feed(&le, c, out, sizeof(out));
}

/* ------------------------------------------------- line editor tests -- */

KTEST(lineedit, cr_ends_line_and_echoes)
{
	rig_reset();
	EXPECT_EQ(t, feed("ls"), 0);
	EXPECT_EQ(t, feed("\r"), 1);
	EXPECT_EQ(t, got.n, 1);
	EXPECT_STREQ(t, got.line[0], "ls");
	EXPECT_STREQ(t, echo.buf, "ls" NL);
}

KTEST(lineedit, crlf_is_one_line)
{
	rig_reset();
	feed("a\r\nb\r\n\r\n");
	ASSERT_EQ(t, got.n, 3);
	EXPECT_STREQ(t, got.line[0], "a");
	EXPECT_STREQ(t, got.line[1], "b");
	EXPECT_STREQ(t, got.line[2], "");
}

KTEST(lineedit, lf_and_cr_alone_end_lines)
{
	rig_reset();
	feed("a\nb\n\nc\rd\r");
	ASSERT_EQ(t, got.n, 5);
	EXPECT_STREQ(t, got.line[0], "a");
	EXPECT_STREQ(t, got.line[1], "b");
	EXPECT_STREQ(t, got.line[2], "");
	EXPECT_STREQ(t, got.line[3], "c");
	EXPECT_STREQ(t, got.line[4], "d");
}

KTEST(lineedit, backspace_at_start_does_nothing)
{
	rig_reset();
	feed("\x7f\x08");
	EXPECT_STREQ(t, echo.buf, "");
	feed("ab\x7f\r");
	ASSERT_EQ(t, got.n, 1);
	EXPECT_STREQ(t, got.line[0], "a");
	EXPECT_STREQ(t, echo.buf, "ab" LEFT1 ERASE_EOL NL);
}

KTEST(lineedit, backspace_mid_line_redraws_tail)
{
	rig_reset();
	feed("abc" K_LEFT);
	echo_clear();
	feed("\x08");
	EXPECT_STREQ(t, echo.buf, LEFT1 "c" ERASE_EOL LEFT1);
	feed("\r");
	EXPECT_STREQ(t, got.line[0], "ac");
}

KTEST(lineedit, insert_after_left_arrows)
{
	rig_reset();
	feed("ad" K_LEFT);
	echo_clear();
	feed("b");
	EXPECT_STREQ(t, echo.buf, "b" "d" ERASE_EOL LEFT1);
	feed("c" K_LEFT K_LEFT K_LEFT K_LEFT K_LEFT "_" K_RIGHT "!\r");
	ASSERT_EQ(t, got.n, 1);
	EXPECT_STREQ(t, got.line[0], "_a!bcd");
}

KTEST(lineedit, home_end_and_delete)
{
	rig_reset();
	feed("bc" K_HOME "a" K_END "d" K_HOME_VT "<" K_END_VT ">\r");
	feed("23" K_CTRL_A "1" K_CTRL_E "4" K_HOME_SS3 "0\r");
	feed("xabc" K_HOME K_DELETE K_END K_DELETE "\r");
	ASSERT_EQ(t, got.n, 3);
	EXPECT_STREQ(t, got.line[0], "<abcd>");
	EXPECT_STREQ(t, got.line[1], "01234");
	EXPECT_STREQ(t, got.line[2], "abc");
}

KTEST(lineedit, home_moves_cursor_by_line_length)
{
	rig_reset();
	feed("hello");
	echo_clear();
	feed(K_HOME);
	EXPECT_STREQ(t, echo.buf, "\x1b[5D");
	echo_clear();
	feed(K_END);
	EXPECT_STREQ(t, echo.buf, "\x1b[5C");
}

KTEST(lineedit, history_up_down)
{
	rig_reset();
	feed("one\rtwo\r");
	feed(K_UP);
	EXPECT_STREQ(t, le.buf, "two");
	feed(K_UP);
	EXPECT_STREQ(t, le.buf, "one");
	feed(K_UP);			/* no older entry: stays */
	EXPECT_STREQ(t, le.buf, "one");
	feed(K_DOWN);
	EXPECT_STREQ(t, le.buf, "two");
	feed(K_DOWN);
	EXPECT_STREQ(t, le.buf, "");
	feed(K_DOWN);
	EXPECT_STREQ(t, le.buf, "");
	feed(K_UP "\r");
	ASSERT_EQ(t, got.n, 3);
	EXPECT_STREQ(t, got.line[2], "two");
}

KTEST(lineedit, history_recall_echo_replaces_line)
{
	rig_reset();
	feed("one\r" "ab");
	echo_clear();
	feed(K_UP);
	/* back over "ab", write "one", erase the rest */
	EXPECT_STREQ(t, echo.buf, "\x1b[2D" "one" ERASE_EOL);
}

KTEST(lineedit, history_edit_recalled_line)
{
	rig_reset();
	feed("one\rtwo\r");
	feed(K_UP K_UP K_HOME "x" K_END "!\r");
	ASSERT_EQ(t, got.n, 3);
	EXPECT_STREQ(t, got.line[2], "xone!");
	/* the edited line is the newest entry; the originals are intact */
	feed(K_UP);
	EXPECT_STREQ(t, le.buf, "xone!");
	feed(K_UP);
	EXPECT_STREQ(t, le.buf, "two");
	feed(K_UP);
	EXPECT_STREQ(t, le.buf, "one");
}

KTEST(lineedit, history_keeps_the_line_being_typed)
{
	rig_reset();
	feed("old\r" "new");
	feed(K_UP);
	EXPECT_STREQ(t, le.buf, "old");
	feed(K_DOWN);
	EXPECT_STREQ(t, le.buf, "new");
	EXPECT_EQ(t, le.cur, (size_t)3);
}

KTEST(lineedit, history_skips_duplicates_and_blank_lines)
{
	rig_reset();
	feed("a\ra\r\r   \rb\rb\ra\r");
	feed(K_UP);
	EXPECT_STREQ(t, le.buf, "a");
	feed(K_UP);
	EXPECT_STREQ(t, le.buf, "b");
	feed(K_UP);
	EXPECT_STREQ(t, le.buf, "a");
	feed(K_UP);
	EXPECT_STREQ(t, le.buf, "a");	/* oldest: nothing before it */
	EXPECT_EQ(t, le.hist_count, 3u);
}

KTEST(lineedit, history_ring_keeps_newest_16)
{
	char line[16];
	int i;

	rig_reset();
	for (i = 0; i < 20; i++) {
		snprintf(line, sizeof(line), "c%d\r", i);
		feed(line);
	}
	EXPECT_EQ(t, le.hist_count, (unsigned int)LE_HISTORY);
	for (i = 0; i < 20; i++)
		feed(K_UP);
	EXPECT_STREQ(t, le.buf, "c4");
	feed(K_DOWN);
	EXPECT_STREQ(t, le.buf, "c5");
}

KTEST(lineedit, overlong_line_then_normal_line)
{
	rig_reset();
	feed_repeat('x', LE_LINE_MAX + 100);
	EXPECT_EQ(t, echo.len, (size_t)(LE_LINE_MAX - 1));
	feed(K_LEFT "\x7f" "yy");	/* swallowed too */
	EXPECT_EQ(t, feed("\r"), LE_TOO_LONG);
	EXPECT_STREQ(t, got.line[0], "");
	EXPECT_EQ(t, feed("ok\r"), 1);
	EXPECT_STREQ(t, got.line[1], "ok");
	EXPECT_EQ(t, le.hist_count, 1u);
}

KTEST(lineedit, line_of_exactly_max_length_fits)
{
	rig_reset();
	feed_repeat('y', LE_LINE_MAX - 1);
	EXPECT_EQ(t, feed("\n"), 1);
	EXPECT_EQ(t, strlen(got.line[0]), (size_t)(LE_LINE_MAX - 1));
	feed_repeat('y', LE_LINE_MAX);
	EXPECT_EQ(t, feed("\n"), LE_TOO_LONG);
}

KTEST(lineedit, small_out_buffer_is_too_long)
{
	char out[4];
	const char *s = "abcd\r";

	rig_reset();
	for (; s[1]; s++)
		EXPECT_EQ(t, le_feed(&le, *s, out, sizeof(out)), 0);
	EXPECT_EQ(t, le_feed(&le, *s, out, sizeof(out)), LE_TOO_LONG);
	EXPECT_STREQ(t, out, "");
}

KTEST(lineedit, ctrl_u_kills_line)
{
	rig_reset();
	feed("abc");
	echo_clear();
	feed(K_CTRL_U);
	EXPECT_STREQ(t, echo.buf, "\x1b[3D" ERASE_EOL);
	feed("d\r");
	ASSERT_EQ(t, got.n, 1);
	EXPECT_STREQ(t, got.line[0], "d");
}

KTEST(lineedit, ctrl_c_abandons_line)
{
	rig_reset();
	feed("abc" K_LEFT K_LEFT);
	echo_clear();
	EXPECT_EQ(t, feed(K_CTRL_C), 1);
	ASSERT_EQ(t, got.n, 1);
	EXPECT_STREQ(t, got.line[0], "");
	EXPECT_STREQ(t, echo.buf, "\x1b[2C" "^C" NL);
	EXPECT_EQ(t, le.hist_count, 0u);
	feed("x\r");
	EXPECT_STREQ(t, got.line[1], "x");
}

KTEST(lineedit, ctrl_c_ends_overlong_line)
{
	rig_reset();
	feed_repeat('z', LE_LINE_MAX + 5);
	EXPECT_EQ(t, feed(K_CTRL_C), 1);
	EXPECT_EQ(t, feed("q\r"), 1);
	EXPECT_STREQ(t, got.line[1], "q");
}

KTEST(lineedit, escape_split_across_feeds)
{
	rig_reset();
	feed("ab");
	EXPECT_EQ(t, feed("\x1b"), 0);
	EXPECT_EQ(t, feed("["), 0);
	EXPECT_EQ(t, le.cur, (size_t)2);
	EXPECT_EQ(t, feed("D"), 0);
	EXPECT_EQ(t, le.cur, (size_t)1);
	feed("\x1b[");
	feed("3");
	feed("~");
	feed("\x1bO");
	feed("H" "X\r");
	ASSERT_EQ(t, got.n, 1);
	EXPECT_STREQ(t, got.line[0], "Xa");
}

KTEST(lineedit, unknown_escapes_ignored)
{
	rig_reset();
	feed("a\x1b[5~b\x1b[2Jc\x1bxd\x1b[?25le\x1b[1;5D\x1b[1;5C");
	EXPECT_STREQ(t, le.buf, "abcde");
	EXPECT_EQ(t, le.cur, (size_t)5);
	feed("\x1b\r");			/* sequence cut by Enter */
	ASSERT_EQ(t, got.n, 1);
	EXPECT_STREQ(t, got.line[0], "abcde");
}

KTEST(lineedit, control_and_non_ascii_bytes_ignored)
{
	rig_reset();
	feed("a\t\x0c\x02\x7f" "b\xc3\xa9" "c\x80\xff\r");
	ASSERT_EQ(t, got.n, 1);
	EXPECT_STREQ(t, got.line[0], "bc");
	EXPECT_STREQ(t, echo.buf, "a" LEFT1 ERASE_EOL "bc" NL);
}

KTEST(lineedit, no_echo_callback)
{
	char out[LE_LINE_MAX];

	le_init(&le, NULL, NULL);
	le_feed(&le, 'a', out, sizeof(out));
	le_feed(&le, '\x08', out, sizeof(out));
	le_feed(&le, 'b', out, sizeof(out));
	EXPECT_EQ(t, le_feed(&le, '\r', out, sizeof(out)), 1);
	EXPECT_STREQ(t, out, "b");
}

/* --------------------------------------------------------- tokenizer -- */

static char argbuf[LE_LINE_MAX];
static char *av[SHELL_MAX_ARGS + 1];

static int split(const char *s)
{
	memcpy(argbuf, s, strlen(s) + 1);
	return shell_split(argbuf, av, SHELL_MAX_ARGS);
}

KTEST(shell_split, words_and_blanks)
{
	EXPECT_EQ(t, split(""), 0);
	EXPECT_EQ(t, split(" \t "), 0);
	EXPECT_NULL(t, av[0]);
	ASSERT_EQ(t, split("  ls \t -l   /a  "), 3);
	EXPECT_STREQ(t, av[0], "ls");
	EXPECT_STREQ(t, av[1], "-l");
	EXPECT_STREQ(t, av[2], "/a");
	EXPECT_NULL(t, av[3]);
}

KTEST(shell_split, quotes_group_and_join)
{
	ASSERT_EQ(t, split("echo \"a b\" 'c  d' e\"f g\"h \"it's\" '\"'"), 6);
	EXPECT_STREQ(t, av[1], "a b");
	EXPECT_STREQ(t, av[2], "c  d");
	EXPECT_STREQ(t, av[3], "ef gh");
	EXPECT_STREQ(t, av[4], "it's");
	EXPECT_STREQ(t, av[5], "\"");
}

KTEST(shell_split, empty_quotes_are_a_word)
{
	ASSERT_EQ(t, split("a \"\" '' b"), 4);
	EXPECT_STREQ(t, av[1], "");
	EXPECT_STREQ(t, av[2], "");
	EXPECT_STREQ(t, av[3], "b");
}

KTEST(shell_split, backslash_escapes)
{
	ASSERT_EQ(t, split("a\\ b \\\"q \"x\\\"y\" \"p\\\\q\" \"r\\s\" 'n\\t' \\\\"), 7);
	EXPECT_STREQ(t, av[0], "a b");
	EXPECT_STREQ(t, av[1], "\"q");
	EXPECT_STREQ(t, av[2], "x\"y");
	EXPECT_STREQ(t, av[3], "p\\q");
	EXPECT_STREQ(t, av[4], "r\\s");
	EXPECT_STREQ(t, av[5], "n\\t");
	EXPECT_STREQ(t, av[6], "\\");
}

KTEST(shell_split, unbalanced_quotes_and_trailing_backslash)
{
	EXPECT_EQ(t, split("echo \"abc"), SHELL_SPLIT_DQUOTE);
	EXPECT_EQ(t, split("echo 'abc"), SHELL_SPLIT_SQUOTE);
	EXPECT_EQ(t, split("echo \"it's"), SHELL_SPLIT_DQUOTE);
	EXPECT_EQ(t, split("echo \"a\\\""), SHELL_SPLIT_DQUOTE);
	EXPECT_EQ(t, split("echo abc\\"), SHELL_SPLIT_ESCAPE);
	EXPECT_STREQ(t, shell_split_error(SHELL_SPLIT_SQUOTE),
		     "unterminated single quote");
	EXPECT_STREQ(t, shell_split_error(SHELL_SPLIT_TOO_MANY),
		     "too many arguments (max 32)");
}

KTEST(shell_split, argument_limit)
{
	char line[256] = "";
	int i;

	for (i = 0; i < SHELL_MAX_ARGS; i++)
		strlcat(line, "w ", sizeof(line));
	EXPECT_EQ(t, split(line), SHELL_MAX_ARGS);
	EXPECT_NULL(t, av[SHELL_MAX_ARGS]);
	strlcat(line, "w", sizeof(line));
	EXPECT_EQ(t, split(line), SHELL_SPLIT_TOO_MANY);
}

/* ------------------------------------------------ commands and exec -- */

#define OUT_MAX	8192

static struct {
	char buf[OUT_MAX];
	size_t len;
} out;

static void out_capture(const char *s, size_t n)
{
	if (out.len + n >= OUT_MAX)
		n = OUT_MAX - 1 - out.len;
	memcpy(out.buf + out.len, s, n);
	out.len += n;
	out.buf[out.len] = '\0';
}

static void out_reset(void)
{
	shell_set_output(out_capture);
	out.len = 0;
	out.buf[0] = '\0';
}

static int exec(const char *s)
{
	memcpy(argbuf, s, strlen(s) + 1);
	return shell_exec(argbuf);
}

static int cmd_greet(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		shell_printf("[%s]", argv[i]);
	shell_printf("\n");
	return 0;
}
SHELL_CMD("greet", "greet [WORD...]", "print each word in brackets", cmd_greet);

static int cmd_retval(int argc, char **argv)
{
	uint64_t v;
	int err;

	if (argc != 2)
		return shell_usage_error(argv[0], "expected one value, got %d",
					 argc - 1);
	err = shell_parse_u64(argv[1], "value", &v);
	if (err)
		return err;
	return -(int)v;
}
SHELL_CMD("retval", "retval N", "return -N", cmd_retval);

static int cmd_addnum(int argc, char **argv)
{
	uint64_t a, b;

	if (argc != 3)
		return shell_usage_error(argv[0], "need two numbers");
	if (shell_parse_u64(argv[1], "a", &a) || shell_parse_size(argv[2], "b", &b))
		return -EINVAL;
	shell_printf("%llu\n", (unsigned long long)(a + b));
	return 0;
}
SHELL_CMD("addnum", "addnum A B", "print A + B", cmd_addnum);

KTEST(shell_exec, runs_command_with_arguments)
{
	out_reset();
	EXPECT_OK(t, exec("greet \"a b\" c"));
	EXPECT_STREQ(t, out.buf, "[a b][c]\n");
}

KTEST(shell_exec, blank_line_does_nothing)
{
	out_reset();
	EXPECT_OK(t, exec(""));
	EXPECT_OK(t, exec("   \t"));
	EXPECT_STREQ(t, out.buf, "");
}

KTEST(shell_exec, return_value_propagates)
{
	out_reset();
	EXPECT_OK(t, exec("retval 0"));
	EXPECT_EQ(t, exec("retval 5"), -5);
	EXPECT_EQ(t, exec("retval 0x10"), -16);
	EXPECT_STREQ(t, out.buf, "");
}

KTEST(shell_exec, usage_error)
{
	out_reset();
	EXPECT_ERR(t, exec("retval"), -EINVAL);
	EXPECT_STREQ(t, out.buf,
		     "retval: expected one value, got 0\nusage: retval N\n");
}

KTEST(shell_exec, number_errors)
{
	out_reset();
	EXPECT_ERR(t, exec("retval 12abc"), -EINVAL);
	EXPECT_STREQ(t, out.buf, "error: value: '12abc' is not a number\n");
	out_reset();
	EXPECT_ERR(t, exec("addnum 99999999999999999999 1"), -EINVAL);
	EXPECT_STREQ(t, out.buf, "error: a: '99999999999999999999' is too large\n");
	out_reset();
	EXPECT_OK(t, exec("addnum 0x10 4K"));
	EXPECT_STREQ(t, out.buf, "4112\n");
	out_reset();
	EXPECT_ERR(t, exec("addnum 1 4Q"), -EINVAL);
	EXPECT_STREQ(t, out.buf, "error: b: '4Q' is not a size\n");
}

KTEST(shell_exec, unknown_command_with_suggestion)
{
	out_reset();
	EXPECT_ERR(t, exec("hlep"), -ENOENT);
	EXPECT_STREQ(t, out.buf,
		     "unknown command 'hlep' (did you mean 'help'?)\n"
		     "type 'help' for the list of commands\n");
	out_reset();
	exec("gret x");
	EXPECT_NOT_NULL(t, strstr(out.buf, "(did you mean 'greet'?)"));
	out_reset();
	exec("retvl");
	EXPECT_NOT_NULL(t, strstr(out.buf, "(did you mean 'retval'?)"));
}

KTEST(shell_exec, unknown_command_prefix_suggestion)
{
	out_reset();
	EXPECT_ERR(t, exec("gr"), -ENOENT);
	EXPECT_STREQ(t, out.buf,
		     "unknown command 'gr' (did you mean 'greet'?)\n"
		     "type 'help' for the list of commands\n");
}

KTEST(shell_exec, unknown_command_without_suggestion)
{
	out_reset();
	EXPECT_ERR(t, exec("zzzzzz"), -ENOENT);
	EXPECT_STREQ(t, out.buf, "unknown command 'zzzzzz'\n"
		     "type 'help' for the list of commands\n");
	out_reset();
	exec("x");			/* too short to guess from */
	EXPECT_NULL(t, strstr(out.buf, "did you mean"));
	out_reset();
	exec("''");
	EXPECT_STREQ(t, out.buf, "unknown command ''\n"
		     "type 'help' for the list of commands\n");
}

KTEST(shell_exec, split_errors_reported)
{
	char line[256] = "greet";
	int i;

	out_reset();
	EXPECT_ERR(t, exec("greet \"abc"), -EINVAL);
	EXPECT_STREQ(t, out.buf, "error: unterminated double quote\n");
	for (i = 0; i < SHELL_MAX_ARGS; i++)
		strlcat(line, " w", sizeof(line));
	out_reset();
	EXPECT_ERR(t, exec(line), -E2BIG);
	EXPECT_STREQ(t, out.buf, "error: too many arguments (max 32)\n");
}

KTEST(shell_help, lists_commands_sorted)
{
	const char *a, *g, *h, *r;

	out_reset();
	EXPECT_OK(t, exec("help"));
	a = strstr(out.buf, "  addnum A B ");
	g = strstr(out.buf, "  greet [WORD...]  print each word in brackets\n");
	h = strstr(out.buf, "  help [CMD] ");
	r = strstr(out.buf, "  retval N ");
	ASSERT_TRUE(t, a && g && h && r);
	EXPECT_TRUE(t, a < g && g < h && h < r);
	EXPECT_NOT_NULL(t, strstr(out.buf, "return -N\n"));
}

KTEST(shell_help, one_command)
{
	out_reset();
	EXPECT_OK(t, exec("help greet"));
	EXPECT_STREQ(t, out.buf,
		     "usage: greet [WORD...]\nprint each word in brackets\n");
}

KTEST(shell_help, unknown_command)
{
	out_reset();
	EXPECT_ERR(t, exec("help gret"), -ENOENT);
	EXPECT_STREQ(t, out.buf,
		     "help: unknown command 'gret' (did you mean 'greet'?)\n"
		     "type 'help' for the list of commands\n");
	out_reset();
	EXPECT_ERR(t, exec("help a b"), -EINVAL);
	EXPECT_STREQ(t, out.buf,
		     "help: too many arguments\nusage: help [CMD]\n");
}

KTEST(shell_input, runs_lines_and_prompts)
{
	const char *s;

	rig_reset();
	out_reset();
	for (s = "greet hi"; *s; s++)
		EXPECT_EQ(t, shell_input(&le, *s), 0);
	EXPECT_EQ(t, shell_input(&le, '\r'), 1);
	EXPECT_EQ(t, shell_input(&le, '\n'), 0);
	EXPECT_STREQ(t, out.buf, "[hi]\n" SHELL_PROMPT);
	EXPECT_STREQ(t, echo.buf, "greet hi" NL);
}

KTEST(shell_input, overlong_line_reported)
{
	size_t i;

	rig_reset();
	out_reset();
	for (i = 0; i < LE_LINE_MAX + 10; i++)
		shell_input(&le, 'g');
	EXPECT_EQ(t, shell_input(&le, '\n'), 1);
	EXPECT_STREQ(t, out.buf,
		     "error: line too long (max 1023 characters)\n" SHELL_PROMPT);
	out_reset();
	for (i = 0; i < 9; i++)
		shell_input(&le, "greet ok\n"[i]);
	EXPECT_STREQ(t, out.buf, "[ok]\n" SHELL_PROMPT);
}

/* ------------------------------------------------ terminal detection */

#include "../../shell/term.h"	/* private to the shell, on purpose */

KTEST(term, finds_the_cursor_report_and_keeps_the_rest)
{
	static const char in[] = "ls\n\x1b[24;80Rcat /a\n";
	char rest[sizeof(in)];
	size_t n;

	EXPECT_TRUE(t, term_scan(in, sizeof(in) - 1, rest, &n));
	EXPECT_EQ(t, n, strlen("ls\ncat /a\n"));
	EXPECT_TRUE(t, memcmp(rest, "ls\ncat /a\n", n) == 0);
}

KTEST(term, no_report_no_terminal)
{
	/* Script input, an arrow key, a half report, a report without digits. */
	static const char *cases[] = { "cp /a /b\n", "\x1b[A", "\x1b[24;80", "\x1b[;R", "\x1b[12R" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rest[32];
		size_t n, len = strlen(cases[i]);

		EXPECT_FALSE(t, term_scan(cases[i], len, rest, &n));
		EXPECT_EQ(t, n, len);
		EXPECT_TRUE(t, memcmp(rest, cases[i], len) == 0);
	}
}

KTEST(term, only_the_first_report_is_taken)
{
	static const char in[] = "\x1b[1;1R\x1b[2;2R";
	char rest[sizeof(in)];
	size_t n;

	EXPECT_TRUE(t, term_scan(in, sizeof(in) - 1, rest, &n));
	EXPECT_EQ(t, n, strlen("\x1b[2;2R"));
}

/* ------------------------------------------------ subcommand suggestions */

KTEST(suggest, subcommand_typos)
{
	static const char *const ops[] = { "status", "jobs", "copy", "cp", NULL };

	EXPECT_STREQ(t, shell_suggest_word("stauts", ops), "status");	/* swap */
	EXPECT_STREQ(t, shell_suggest_word("job", ops), "jobs");		/* missing letter */
	EXPECT_STREQ(t, shell_suggest_word("cpy", ops), "copy");
	EXPECT_NULL(t, shell_suggest_word("x", ops));			/* too short to guess */
	EXPECT_NULL(t, shell_suggest_word("frobnicate", ops));
	EXPECT_NULL(t, shell_suggest_word("", ops));
}
