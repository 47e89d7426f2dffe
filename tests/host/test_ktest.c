/*
 * test_ktest.c - tests of the test framework itself, so a green run can be
 * trusted.
 *
 * Checks run on a private struct ktest whose output goes to a capture
 * buffer: a failing inner check must be recorded and print exactly the
 * expected diagnostic; an inner ASSERT must return.  The runner is tested by
 * running it recursively on the "ktest_fixture" cases below (harmless in the
 * normal run: they fail or skip only when armed) and comparing the KTAP it
 * prints.
 */
#include <setjmp.h>
#include <lib/ktest.h>
#include <lib/errno.h>
#include <lib/printf.h>
#include <lib/string.h>

#define CAPTURE_MAX 8192
#define LINE_MAX_   256

static char capture[CAPTURE_MAX];
static size_t capture_len;

static void capture_write(const char *s, size_t n)
{
	if (n > CAPTURE_MAX - 1 - capture_len)
		n = CAPTURE_MAX - 1 - capture_len;
	memcpy(capture + capture_len, s, n);
	capture_len += n;
	capture[capture_len] = '\0';
}

static const struct ktest_env capture_env = { .write = capture_write };
static const struct ktest_case inner_case = {
	.suite = "inner", .name = "case", .file = __FILE__, .line = 1,
};

static void inner_begin(struct ktest *in)
{
	capture_len = 0;
	capture[0] = '\0';
	ktest_init(in, &inner_case, &capture_env);
}

/* Expected "# FAIL file:line: ..." text for a check on @line. */
static const char *fail_text(char *buf, size_t size, int line, const char *rest)
{
	snprintf(buf, size, "# FAIL %s:%d: %s\n", __FILE__, line, rest);
	return buf;
}

KTEST(ktest, passing_checks_record_nothing)
{
	struct ktest in;
	int x = 3;
	const char *s = "abc";

	inner_begin(&in);
	EXPECT_EQ(&in, x, 3);
	EXPECT_NE(&in, x, 4);
	EXPECT_LE(&in, x, 3);
	EXPECT_GE(&in, x, 3);
	EXPECT_TRUE(&in, x == 3);
	EXPECT_FALSE(&in, x == 4);
	EXPECT_STREQ(&in, s, "abc");
	EXPECT_STRNE(&in, s, "abd");
	EXPECT_MEMEQ(&in, s, "abc", 4);
	EXPECT_NULL(&in, NULL);
	EXPECT_NOT_NULL(&in, s);
	EXPECT_OK(&in, 0);
	EXPECT_ERR(&in, -EIO, -EIO);
	EXPECT_FALSE(t, ktest_failed(&in));
	EXPECT_EQ(t, in.failures, 0);
	EXPECT_EQ(t, capture_len, 0);
}

KTEST(ktest, failing_expect_is_recorded_and_printed)
{
	struct ktest in;
	char want[LINE_MAX_];
	int x = 4, line;

	inner_begin(&in);
	EXPECT_EQ(&in, x, 3); line = __LINE__;
	EXPECT_TRUE(t, ktest_failed(&in));
	EXPECT_EQ(t, in.failures, 1);
	EXPECT_STREQ(t, capture, fail_text(want, sizeof(want), line,
		"EXPECT_EQ(x, 3): x = 4 (0x4), 3 = 3 (0x3)"));
	/* EXPECT carries on: a second failure is counted too. */
	EXPECT_GT(&in, x, 10);
	EXPECT_EQ(t, in.failures, 2);
}

KTEST(ktest, negative_values_print_signed)
{
	struct ktest in;
	char want[LINE_MAX_];
	int x = -1, line;

	inner_begin(&in);
	EXPECT_GE(&in, x, 0); line = __LINE__;
	EXPECT_STREQ(t, capture, fail_text(want, sizeof(want), line,
		"EXPECT_GE(x, 0): x = -1 (0xffffffff), 0 = 0 (0x0)"));
}

static bool assert_helper_continued;

static void assert_helper(struct ktest *in)
{
	ASSERT_EQ(in, 1, 2);
	assert_helper_continued = true;
}

static void assert_null_helper(struct ktest *in, const int *p)
{
	ASSERT_NOT_NULL(in, p);
	assert_helper_continued = (*p == 0);
}

KTEST(ktest, failing_assert_returns)
{
	struct ktest in;

	inner_begin(&in);
	assert_helper_continued = false;
	assert_helper(&in);
	EXPECT_FALSE(t, assert_helper_continued);
	EXPECT_EQ(t, in.failures, 1);
	assert_null_helper(&in, NULL);
	EXPECT_FALSE(t, assert_helper_continued);
	EXPECT_EQ(t, in.failures, 2);
}

/* Run one comparison on a fresh inner test; true if it passed. */
#define PASSES(check) ({                                                \
	struct ktest in_;                                               \
	inner_begin(&in_);                                              \
	check;                                                          \
	!ktest_failed(&in_);                                            \
})

KTEST(ktest, comparisons_follow_c_signedness)
{
	EXPECT_TRUE(t, PASSES(EXPECT_LT(&in_, -1, 1)));
	EXPECT_FALSE(t, PASSES(EXPECT_LT(&in_, -1, 1u)));       /* C: -1 -> UINT_MAX */
	EXPECT_TRUE(t, PASSES(EXPECT_LT(&in_, -1L, 1u)));       /* long holds all uint */
	EXPECT_TRUE(t, PASSES(EXPECT_GT(&in_, (unsigned char)0, -1))); /* promotes to int */
	EXPECT_TRUE(t, PASSES(EXPECT_LT(&in_, (uint64_t)1, (uint64_t)-1)));
	EXPECT_TRUE(t, PASSES(EXPECT_GT(&in_, UINT64_MAX, (uint64_t)INT64_MAX)));
	EXPECT_TRUE(t, PASSES(EXPECT_LT(&in_, INT64_MIN, INT64_MAX)));
	EXPECT_TRUE(t, PASSES(EXPECT_LT(&in_, INT64_MIN, 0)));
	EXPECT_FALSE(t, PASSES(EXPECT_LT(&in_, INT64_MIN, 0ull)));
	EXPECT_TRUE(t, PASSES(EXPECT_EQ(&in_, -1, 0xffffffffu)));  /* as C says */
	EXPECT_FALSE(t, PASSES(EXPECT_EQ(&in_, -1L, 0xffffffffu)));
	EXPECT_TRUE(t, PASSES(EXPECT_EQ(&in_, (int8_t)-1, -1)));
	EXPECT_FALSE(t, PASSES(EXPECT_EQ(&in_, (uint8_t)255, -1)));
	EXPECT_TRUE(t, PASSES(EXPECT_GE(&in_, 5, 5)));
	EXPECT_FALSE(t, PASSES(EXPECT_GT(&in_, 5, 5)));
}

KTEST(ktest, pointers_compare_and_print)
{
	int arr[4];
	char want[LINE_MAX_];
	int line;

	EXPECT_TRUE(t, PASSES(EXPECT_LT(&in_, &arr[0], &arr[3])));
	EXPECT_TRUE(t, PASSES(EXPECT_EQ(&in_, arr, &arr[0])));     /* array decays */
	EXPECT_FALSE(t, PASSES(EXPECT_NE(&in_, &arr[1], arr + 1)));
	{
		struct ktest in;
		void *p = (void *)0x1000;

		inner_begin(&in);
		EXPECT_NULL(&in, p); line = __LINE__;
		EXPECT_STREQ(t, capture, fail_text(want, sizeof(want), line,
			"EXPECT_NULL(p): p = 0x0000000000001000, expected NULL"));
	}
}

struct opaque;

KTEST(ktest, operands_evaluated_once)
{
	int i = 0;
	struct opaque *op = NULL;
	const unsigned char small = 200;

	EXPECT_EQ(t, i++, 0);
	EXPECT_EQ(t, i, 1);
	EXPECT_EQ(t, op, NULL);                 /* pointer to incomplete type */
	EXPECT_NULL(t, op);
	EXPECT_GT(t, small, 100);
}

static jmp_buf jump;

static void jump_back(void)
{
	longjmp(jump, 1);
}

/* Checks add no locals, so they stay warning-free next to setjmp. */
KTEST(ktest, checks_beside_setjmp)
{
	volatile int rounds = 0;

	if (setjmp(jump) == 0) {
		rounds++;
		EXPECT_EQ(t, rounds, 1);
		jump_back();
	}
	EXPECT_EQ(t, rounds, 1);
	EXPECT_OK(t, 0);
}

KTEST(ktest, string_failure_is_quoted)
{
	struct ktest in;
	char want[LINE_MAX_];
	const char *a = "say \"hi\"\n", *b = NULL;
	int line;

	inner_begin(&in);
	EXPECT_STREQ(&in, a, b); line = __LINE__;
	EXPECT_STREQ(t, capture, fail_text(want, sizeof(want), line,
		"EXPECT_STREQ(a, b): a = \"say \\\"hi\\\"\\n\", b = NULL"));
	EXPECT_TRUE(t, PASSES(EXPECT_STREQ(&in_, (char *)NULL, (char *)NULL)));
	EXPECT_FALSE(t, PASSES(EXPECT_STRNE(&in_, "x", "x")));
}

KTEST(ktest, memory_failure_shows_offset)
{
	struct ktest in;
	char want[LINE_MAX_];
	unsigned char a[12] = { 0 }, b[12] = { 0 };
	int line;

	b[9] = 0x7f;
	inner_begin(&in);
	EXPECT_MEMEQ(&in, a, b, sizeof(a)); line = __LINE__;
	EXPECT_STREQ(t, capture, fail_text(want, sizeof(want), line,
		"EXPECT_MEMEQ(a, b, sizeof(a)): first difference at offset 9 of 12: "
		"a[9..] = 00 00 00, b[9..] = 7f 00 00"));
	EXPECT_TRUE(t, PASSES(EXPECT_MEMEQ(&in_, a, b, 9)));
}

static int fails_with(int err)
{
	return err;
}

KTEST(ktest, errors_are_named)
{
	struct ktest in;
	char want[LINE_MAX_];
	int line;

	inner_begin(&in);
	EXPECT_OK(&in, fails_with(-EINVAL)); line = __LINE__;
	EXPECT_STREQ(t, capture, fail_text(want, sizeof(want), line,
		"EXPECT_OK(fails_with(-EINVAL)): fails_with(-EINVAL) = -22 (-EINVAL: Invalid argument)"));

	inner_begin(&in);
	EXPECT_ERR(&in, fails_with(0), -ENOENT); line = __LINE__;
	EXPECT_STREQ(t, capture, fail_text(want, sizeof(want), line,
		"EXPECT_ERR(fails_with(0), -ENOENT): fails_with(0) = 0, "
		"expected -2 (-ENOENT: No such file or directory)"));
}

KTEST(ktest, log_and_fail_msg)
{
	struct ktest in;

	inner_begin(&in);
	ktest_log(&in, "value %d\nsecond line", 7);
	EXPECT_STREQ(t, capture, "# value 7\n# second line\n");
	EXPECT_FALSE(t, ktest_failed(&in));
	inner_begin(&in);
	ktest_fail_msg(&in, "leaked %u pages", 3u);
	EXPECT_STREQ(t, capture, "# leaked 3 pages\n");
	EXPECT_TRUE(t, ktest_failed(&in));
}

/* --------------------------------------------------- runner tests ------ */

static bool fixture_armed;
static unsigned begins, ends;
static bool end_hook_fails;

KTEST(ktest_fixture, passes)
{
	EXPECT_EQ(t, 1, 1);
}

KTEST(ktest_fixture, fails_when_armed)
{
	if (fixture_armed)
		EXPECT_EQ(t, 1, 2);
}

KTEST(ktest_fixture, skips)
{
	if (fixture_armed)
		ktest_skip(t, "shows how a skip looks");
}

static void count_begin(const struct ktest_case *c)
{
	begins++;
}

static void check_end(const struct ktest_case *c, struct ktest *t)
{
	ends++;
	if (end_hook_fails)
		ktest_fail_msg(t, "hook says %s leaked", c->name);
}

static const struct ktest_env hook_env = {
	.write = capture_write,
	.case_begin = count_begin,
	.case_end = check_end,
};

/* Run the runner on @filter into the capture buffer. */
static int run_inner(const struct ktest_env *env, const char *filter,
		     struct ktest_counts *counts)
{
	capture_len = 0;
	capture[0] = '\0';
	return ktest_run(env, filter, counts);
}

KTEST(ktest, runner_ktap_output)
{
	struct ktest_counts c;
	char want[CAPTURE_MAX / 4];
	int line;

	fixture_armed = true;
	EXPECT_EQ(t, run_inner(&capture_env, "ktest_fixture", &c), 1);
	fixture_armed = false;
	line = ktest_case_ktest_fixture__fails_when_armed.line + 3;
	snprintf(want, sizeof(want),
		 "KTAP version 1\n"
		 "1..3\n"
		 "ok 1 ktest_fixture.passes\n"
		 "# FAIL %s:%d: EXPECT_EQ(1, 2): 1 = 1 (0x1), 2 = 2 (0x2)\n"
		 "not ok 2 ktest_fixture.fails_when_armed\n"
		 "ok 3 ktest_fixture.skips # SKIP shows how a skip looks\n"
		 "# totals: 1 passed, 1 failed, 1 skipped\n", __FILE__, line);
	EXPECT_STREQ(t, capture, want);
	EXPECT_EQ(t, c.passed, 1);
	EXPECT_EQ(t, c.failed, 1);
	EXPECT_EQ(t, c.skipped, 1);
}

KTEST(ktest, runner_unknown_filter_word_fails)
{
	struct ktest_counts c;

	EXPECT_EQ(t, run_inner(&capture_env, "ktest_fixture.passes,nosuch", &c), 1);
	EXPECT_STREQ(t, capture,
		     "KTAP version 1\n"
		     "1..2\n"
		     "# error: no test suite or case named 'nosuch'\n"
		     "not ok 1 nosuch\n"
		     "ok 2 ktest_fixture.passes\n"
		     "# totals: 1 passed, 1 failed, 0 skipped\n");
	EXPECT_EQ(t, c.passed, 1);
	EXPECT_EQ(t, c.failed, 1);
	/* A case name needs its suite; a suite name with a bad case fails. */
	EXPECT_EQ(t, run_inner(&capture_env, "passes", &c), 1);
	EXPECT_EQ(t, run_inner(&capture_env, "ktest_fixture.nope", &c), 1);
	EXPECT_EQ(t, c.passed, 0);
}

KTEST(ktest, runner_orders_by_suite_file_line)
{
	struct ktest_counts c;
	const char *errno_pos, *fixture_pos, *passes_pos, *skips_pos;

	/* Filter order does not matter: "errno" sorts before "ktest_fixture". */
	EXPECT_EQ(t, run_inner(&capture_env, "ktest_fixture,,errno", &c), 0);
	errno_pos = strstr(capture, "errno.linux_numbers");
	fixture_pos = strstr(capture, "ktest_fixture.");
	passes_pos = strstr(capture, "ktest_fixture.passes");
	skips_pos = strstr(capture, "ktest_fixture.skips");
	ASSERT_NOT_NULL(t, errno_pos);
	ASSERT_NOT_NULL(t, fixture_pos);
	EXPECT_LT(t, errno_pos, fixture_pos);
	EXPECT_LT(t, passes_pos, skips_pos);
	EXPECT_EQ(t, c.skipped, 0);
	EXPECT_GE(t, c.passed, 6);
}

KTEST(ktest, runner_hooks)
{
	struct ktest_counts c;

	begins = ends = 0;
	end_hook_fails = true;
	EXPECT_EQ(t, run_inner(&hook_env, "ktest_fixture.passes", &c), 1);
	end_hook_fails = false;
	EXPECT_EQ(t, begins, 1);
	EXPECT_EQ(t, ends, 1);
	EXPECT_NOT_NULL(t, strstr(capture, "# hook says passes leaked\nnot ok 1 ktest_fixture.passes\n"));
}

KTEST(ktest, list_prints_names)
{
	capture_len = 0;
	capture[0] = '\0';
	ktest_list(&capture_env, "ktest_fixture");
	EXPECT_STREQ(t, capture, "ktest_fixture.passes\nktest_fixture.fails_when_armed\n"
		     "ktest_fixture.skips\n");
}

KTEST(ktest, skip_reason_is_kept)
{
	struct ktest in;

	inner_begin(&in);
	ktest_skip(&in, "no NVDIMM");
	EXPECT_TRUE(t, in.skipped);
	EXPECT_STREQ(t, in.skip_reason, "no NVDIMM");
	EXPECT_FALSE(t, ktest_failed(&in));
}
