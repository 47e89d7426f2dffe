/*
 * ktest.h - the unit-test framework shared by in-kernel suites and host tests.
 *
 * Writing a test:
 *
 *	#include <lib/ktest.h>
 *
 *	KTEST(string, memmove_overlap)
 *	{
 *		char buf[8] = "abcdef";
 *
 *		memmove(buf + 1, buf, 4);
 *		EXPECT_STREQ(t, buf, "aabcdf");
 *		ASSERT_NOT_NULL(t, strchr(buf, 'd'));
 *	}
 *
 * KTEST(suite, name) defines the function and registers it in the linker
 * section "ktest_cases"; nothing else is needed.  Every check takes the
 * running test `t` first.  EXPECT_* records a failure and carries on;
 * ASSERT_* records it and returns from the enclosing function, which must
 * return void (the test itself or a void helper that got `t`).
 *
 *	EXPECT_TRUE(t, c)            EXPECT_FALSE(t, c)
 *	EXPECT_EQ(t, a, b)           EXPECT_NE, EXPECT_LT, EXPECT_LE, EXPECT_GT, EXPECT_GE
 *	EXPECT_STREQ(t, a, b)        EXPECT_STRNE(t, a, b)
 *	EXPECT_MEMEQ(t, a, b, len)
 *	EXPECT_NULL(t, p)            EXPECT_NOT_NULL(t, p)
 *	EXPECT_OK(t, expr)           expr == 0; a failure names the error
 *	EXPECT_ERR(t, expr, -EXXX)   expr == -EXXX
 * and the same with ASSERT_.  The integer comparisons take integers or
 * pointers, evaluate each operand once and compare like C does, but without
 * truncating to int: signed unless an unsigned operand is at least as wide
 * as the other (so EXPECT_LT(t, -1, 1) passes and EXPECT_LT(t, -1, 1u)
 * fails, just as the C expressions say).
 *
 * A failure prints a KTAP diagnostic such as
 *	# FAIL lib/foo.c:42: EXPECT_EQ(x, 3): x = 4 (0x4), 3 = 3 (0x3)
 * Also: ktest_log() for "# " lines, ktest_skip() to end a case as skipped
 * (call it, then return), ktest_failed() to ask whether a check failed.
 *
 * Running: ktest_run() runs the cases that match a filter ("all", suite
 * names separated by commas, or "suite.case"), ordered by suite, file and
 * line, and prints flat KTAP through env->write.  A filter word that matches
 * nothing counts as one failed test.  The hooks in struct ktest_env let the
 * kernel check for leaks around each case (case_end may call
 * ktest_fail_msg()).  tests/host/main.c is the host driver.
 *
 * Context: a case runs in the thread that called ktest_run() (the kernel's
 * test thread, or the host's main thread), and so do its checks; they take
 * no lock and only write through env->write, which must be callable from
 * that thread.  Nothing here fails but the cases.
 *
 * Output (the checks and ktest_run) uses lib/printf only; the error names in
 * EXPECT_OK/EXPECT_ERR come from lib/errno.c when it is linked (weak
 * reference), otherwise only the number is printed.
 */
#ifndef LIB_KTEST_H
#define LIB_KTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/compiler.h>

struct ktest;

struct ktest_case {
	const char *suite, *name, *file;
	int line;
	void (*fn)(struct ktest *t);
};

/* Output sink and optional hooks for ktest_run(). */
struct ktest_env {
	void (*write)(const char *s, size_t n);
	void (*case_begin)(const struct ktest_case *c);             /* may be NULL */
	void (*case_end)(const struct ktest_case *c, struct ktest *t); /* may be NULL */
};

struct ktest_counts {
	unsigned passed, failed, skipped;
};

#define KTEST_REASON_MAX 80

/*
 * State of one running case.  Only ktest.c touches the fields; it is in the
 * header so that a test can run checks on a private instance (ktest_init)
 * to test the framework itself.
 */
struct ktest {
	const struct ktest_case *tcase;
	const struct ktest_env *env;
	unsigned failures;                      /* failed checks so far */
	bool skipped;
	char skip_reason[KTEST_REASON_MAX];
};

/*
 * The names are pasted here, not in helper macros, so that a suite named
 * like a macro (errno, on the host) is not expanded.
 */
#define KTEST(s, n)                                                          \
	static void ktest_fn_##s##__##n(struct ktest *t);                    \
	static const struct ktest_case ktest_case_##s##__##n                 \
		__section("ktest_cases") __used __aligned(8) = {             \
		.suite = #s, .name = #n, .file = __FILE__,                   \
		.line = __LINE__, .fn = ktest_fn_##s##__##n,                 \
	};                                                                   \
	static void ktest_fn_##s##__##n(struct ktest *t)

/**
 * ktest_run() - run the registered cases that match @filter.
 * @env: output sink and hooks.
 * @filter: "all" (or NULL/""), "suite1,suite2", "suite.case", or a mix.
 * @out: if not NULL, receives the counts.
 *
 * Prints KTAP to env->write.  Returns the number of failed tests (including
 * unmatched filter words), so 0 means success.  Reentrant: it keeps no
 * state outside its stack.
 */
int ktest_run(const struct ktest_env *env, const char *filter,
	      struct ktest_counts *out);

/* ktest_list() - print "suite.case" of every case matching @filter, one a line. */
void ktest_list(const struct ktest_env *env, const char *filter);

/* ktest_init() - set up @t to run checks of case @c, printing to @env. */
void ktest_init(struct ktest *t, const struct ktest_case *c,
		const struct ktest_env *env);

/* ktest_log() - print a "# ..." diagnostic line for the running case. */
void ktest_log(struct ktest *t, const char *fmt, ...) __printf(2, 3);

/* ktest_fail_msg() - fail the case with a "# ..." message (hooks use it too). */
void ktest_fail_msg(struct ktest *t, const char *fmt, ...) __printf(2, 3);

/* ktest_skip() - mark the case skipped with @reason; the caller then returns. */
void ktest_skip(struct ktest *t, const char *reason);

/* ktest_failed() - has any check of this case failed? */
int ktest_failed(struct ktest *t);

/* ------------------------------------------------ check implementation -- */

enum ktest_op { KTEST_OP_EQ, KTEST_OP_NE, KTEST_OP_LT, KTEST_OP_LE,
		KTEST_OP_GT, KTEST_OP_GE };

/* Where a check is and what it said: "EXPECT_EQ", "x", "3". */
struct ktest_site {
	const char *file;
	int line;
	const char *macro;
	const char *expr_a, *expr_b, *expr_c;
};

/* An integer or pointer operand, widened to 64 bits. */
struct ktest_val {
	uint64_t bits;
	uint8_t is_signed;      /* after integer promotion */
	uint8_t is_pointer;
	uint8_t size;           /* bytes, after integer promotion */
};

/* A pointer to a static description of the check's call site. */
#define KTEST_SITE_(macro, a, b, c) ({                                  \
	static const struct ktest_site ktest_site_ = {                  \
		__FILE__, __LINE__, macro, a, b, c };                   \
	&ktest_site_;                                                   \
})

/* 1 if the promoted type of @x is a signed integer type. */
#define KTEST_SIGNED_(x) _Generic((x),                                  \
	_Bool: 1, char: 1, signed char: 1, unsigned char: 1,            \
	short: 1, unsigned short: 1, int: 1, long: 1, long long: 1,     \
	unsigned int: 0, unsigned long: 0, unsigned long long: 0,       \
	default: 0)
#define KTEST_INTEGER_(x) _Generic((x),                                 \
	_Bool: 1, char: 1, signed char: 1, unsigned char: 1,            \
	short: 1, unsigned short: 1, int: 1, long: 1, long long: 1,     \
	unsigned int: 1, unsigned long: 1, unsigned long long: 1,       \
	default: 0)

/*
 * Describe @x, evaluating it exactly once: _Generic and sizeof do not
 * evaluate their operand, and sizeof(1 ? (x) : (x)) is the size after
 * integer promotion and array decay.  No local variables, so the checks are
 * safe in functions that use setjmp.
 */
#define KTEST_VAL_(x) ((struct ktest_val){                              \
	.bits = (uint64_t)(uintptr_t)(x),                               \
	.is_signed = KTEST_SIGNED_(x),                                  \
	.is_pointer = !KTEST_INTEGER_(x),                               \
	.size = sizeof(1 ? (x) : (x)),                                  \
})

bool ktest_check_cmp(struct ktest *t, const struct ktest_site *site,
		     enum ktest_op op, struct ktest_val a, struct ktest_val b);
bool ktest_check_bool(struct ktest *t, const struct ktest_site *site,
		      bool value, bool expected);
bool ktest_check_str(struct ktest *t, const struct ktest_site *site,
		     const char *a, const char *b, bool expect_equal);
bool ktest_check_mem(struct ktest *t, const struct ktest_site *site,
		     const void *a, const void *b, size_t len);
bool ktest_check_null(struct ktest *t, const struct ktest_site *site,
		      const void *p, bool expect_null);
bool ktest_check_err(struct ktest *t, const struct ktest_site *site,
		     long long value, long long expected);

/* Run @check; if it failed and @fatal, return from the caller. */
#define KTEST_DO_(fatal, check) do {                                    \
	if (!(check) && (fatal))                                        \
		return;                                                 \
} while (0)

/*
 * The public macros stringify their arguments themselves: one level down
 * the arguments would already be macro-expanded (-EINVAL would read -22).
 */
#define KTEST_CMP_(t, fatal, macro, op, a, b, sa, sb)                   \
	KTEST_DO_(fatal, ktest_check_cmp(t, KTEST_SITE_(macro, sa, sb, NULL), \
		op, KTEST_VAL_(a), KTEST_VAL_(b)))

#define KTEST_BOOL_(t, fatal, macro, c, sc, expected)                   \
	KTEST_DO_(fatal, ktest_check_bool(t, KTEST_SITE_(macro, sc, NULL, NULL), \
		!!(c), expected))
#define KTEST_STR_(t, fatal, macro, a, b, sa, sb, eq)                   \
	KTEST_DO_(fatal, ktest_check_str(t, KTEST_SITE_(macro, sa, sb, NULL), \
		a, b, eq))
#define KTEST_MEM_(t, fatal, macro, a, b, len, sa, sb, slen)            \
	KTEST_DO_(fatal, ktest_check_mem(t, KTEST_SITE_(macro, sa, sb, slen), \
		a, b, len))
#define KTEST_NULL_(t, fatal, macro, p, sp, expect_null)                \
	KTEST_DO_(fatal, ktest_check_null(t, KTEST_SITE_(macro, sp, NULL, NULL), \
		(const void *)(p), expect_null))
#define KTEST_ERR_(t, fatal, macro, expr, sexpr, err, serr)             \
	KTEST_DO_(fatal, ktest_check_err(t, KTEST_SITE_(macro, sexpr, serr, NULL), \
		(long long)(expr), (long long)(err)))

/* ------------------------------------------------------------ checks ---- */

#define EXPECT_TRUE(t, c)   KTEST_BOOL_(t, 0, "EXPECT_TRUE", c, #c, true)
#define ASSERT_TRUE(t, c)   KTEST_BOOL_(t, 1, "ASSERT_TRUE", c, #c, true)
#define EXPECT_FALSE(t, c)  KTEST_BOOL_(t, 0, "EXPECT_FALSE", c, #c, false)
#define ASSERT_FALSE(t, c)  KTEST_BOOL_(t, 1, "ASSERT_FALSE", c, #c, false)

#define EXPECT_EQ(t, a, b)  KTEST_CMP_(t, 0, "EXPECT_EQ", KTEST_OP_EQ, a, b, #a, #b)
#define ASSERT_EQ(t, a, b)  KTEST_CMP_(t, 1, "ASSERT_EQ", KTEST_OP_EQ, a, b, #a, #b)
#define EXPECT_NE(t, a, b)  KTEST_CMP_(t, 0, "EXPECT_NE", KTEST_OP_NE, a, b, #a, #b)
#define ASSERT_NE(t, a, b)  KTEST_CMP_(t, 1, "ASSERT_NE", KTEST_OP_NE, a, b, #a, #b)
#define EXPECT_LT(t, a, b)  KTEST_CMP_(t, 0, "EXPECT_LT", KTEST_OP_LT, a, b, #a, #b)
#define ASSERT_LT(t, a, b)  KTEST_CMP_(t, 1, "ASSERT_LT", KTEST_OP_LT, a, b, #a, #b)
#define EXPECT_LE(t, a, b)  KTEST_CMP_(t, 0, "EXPECT_LE", KTEST_OP_LE, a, b, #a, #b)
#define ASSERT_LE(t, a, b)  KTEST_CMP_(t, 1, "ASSERT_LE", KTEST_OP_LE, a, b, #a, #b)
#define EXPECT_GT(t, a, b)  KTEST_CMP_(t, 0, "EXPECT_GT", KTEST_OP_GT, a, b, #a, #b)
#define ASSERT_GT(t, a, b)  KTEST_CMP_(t, 1, "ASSERT_GT", KTEST_OP_GT, a, b, #a, #b)
#define EXPECT_GE(t, a, b)  KTEST_CMP_(t, 0, "EXPECT_GE", KTEST_OP_GE, a, b, #a, #b)
#define ASSERT_GE(t, a, b)  KTEST_CMP_(t, 1, "ASSERT_GE", KTEST_OP_GE, a, b, #a, #b)

#define EXPECT_STREQ(t, a, b) KTEST_STR_(t, 0, "EXPECT_STREQ", a, b, #a, #b, true)
#define ASSERT_STREQ(t, a, b) KTEST_STR_(t, 1, "ASSERT_STREQ", a, b, #a, #b, true)
#define EXPECT_STRNE(t, a, b) KTEST_STR_(t, 0, "EXPECT_STRNE", a, b, #a, #b, false)
#define ASSERT_STRNE(t, a, b) KTEST_STR_(t, 1, "ASSERT_STRNE", a, b, #a, #b, false)

#define EXPECT_MEMEQ(t, a, b, len) \
	KTEST_MEM_(t, 0, "EXPECT_MEMEQ", a, b, len, #a, #b, #len)
#define ASSERT_MEMEQ(t, a, b, len) \
	KTEST_MEM_(t, 1, "ASSERT_MEMEQ", a, b, len, #a, #b, #len)

#define EXPECT_NULL(t, p)     KTEST_NULL_(t, 0, "EXPECT_NULL", p, #p, true)
#define ASSERT_NULL(t, p)     KTEST_NULL_(t, 1, "ASSERT_NULL", p, #p, true)
#define EXPECT_NOT_NULL(t, p) KTEST_NULL_(t, 0, "EXPECT_NOT_NULL", p, #p, false)
#define ASSERT_NOT_NULL(t, p) KTEST_NULL_(t, 1, "ASSERT_NOT_NULL", p, #p, false)

#define EXPECT_OK(t, expr) KTEST_ERR_(t, 0, "EXPECT_OK", expr, #expr, 0, NULL)
#define ASSERT_OK(t, expr) KTEST_ERR_(t, 1, "ASSERT_OK", expr, #expr, 0, NULL)
#define EXPECT_ERR(t, expr, err) \
	KTEST_ERR_(t, 0, "EXPECT_ERR", expr, #expr, err, #err)
#define ASSERT_ERR(t, expr, err) \
	KTEST_ERR_(t, 1, "ASSERT_ERR", expr, #expr, err, #err)

#endif /* LIB_KTEST_H */
