/*
 * ktest.c - the test runner and the checks behind the EXPECT_/ASSERT_ macros
 * (usage in include/lib/ktest.h).
 *
 * Output goes through struct line_out: it assembles a line in a small buffer
 * (so a diagnostic reaches the sink in one or a few writes), puts "# " in
 * front of every diagnostic line, and flushes at each newline.
 *
 * Cases live in the "ktest_cases" section in link order.  The runner does
 * not sort them in place (the section is read-only) nor copy them (no
 * allocator at this layer): it walks them in (suite, file, line) order by
 * repeatedly picking the smallest case after the previous one.  That is
 * quadratic, which is nothing for a few hundred cases, and it keeps
 * ktest_run() reentrant, so a test may run the runner.
 *
 * Uses only lib/printf (vcbprintf); the few string helpers it needs are
 * local, so any binary that links ktest.c and printf.c is complete.
 */
#include <lib/ktest.h>
#include <lib/printf.h>
#include <lib/errno.h>

/*
 * Error names are printed when lib/errno.c is linked in (always in the
 * kernel); a host test that does not link it prints numbers only.
 */
extern __typeof__(strerror) strerror __attribute__((weak));
extern __typeof__(errno_name) errno_name __attribute__((weak));

extern const struct ktest_case __start_ktest_cases[] __attribute__((weak));
extern const struct ktest_case __stop_ktest_cases[] __attribute__((weak));

#define LINE_BUF        160     /* bytes assembled before a write */
#define QUOTE_MAX       200     /* characters of a string shown in a failure */
#define MEM_SHOW        8       /* bytes shown from the first difference */
#define FILTER_ALL      "all"
#define BYTE_HEX_MASK   0xffu
#define U32_MASK        0xffffffffull
#define PRINTABLE_FIRST ' '
#define PRINTABLE_LAST  '~'

/* --------------------------------------------------------- helpers ------ */

static size_t kt_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static int kt_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

/* Does the NUL-terminated @s equal the @len bytes at @w? */
static bool kt_streq_n(const char *s, const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] != w[i])
			return false;
	}
	return s[len] == '\0';
}

/* ------------------------------------------------------------ output ---- */

struct line_out {
	const struct ktest_env *env;
	bool diag;              /* prefix each line with "# " */
	bool line_start;
	size_t len;
	char buf[LINE_BUF];
};

static void lo_flush(struct line_out *lo)
{
	if (lo->len && lo->env && lo->env->write)
		lo->env->write(lo->buf, lo->len);
	lo->len = 0;
}

static void lo_raw(struct line_out *lo, char c)
{
	if (lo->len == LINE_BUF)
		lo_flush(lo);
	lo->buf[lo->len++] = c;
}

static void lo_putc(void *ctx, char c)
{
	struct line_out *lo = ctx;

	if (lo->line_start && lo->diag) {
		lo_raw(lo, '#');
		lo_raw(lo, ' ');
	}
	lo->line_start = false;
	lo_raw(lo, c);
	if (c == '\n') {
		lo_flush(lo);
		lo->line_start = true;
	}
}

static void lo_init(struct line_out *lo, const struct ktest_env *env, bool diag)
{
	lo->env = env;
	lo->diag = diag;
	lo->line_start = true;
	lo->len = 0;
}

static void lo_vprintf(struct line_out *lo, const char *fmt, va_list ap)
	__printf(2, 0);
static void lo_vprintf(struct line_out *lo, const char *fmt, va_list ap)
{
	vcbprintf(lo_putc, lo, fmt, ap);
}

static void lo_printf(struct line_out *lo, const char *fmt, ...) __printf(2, 3);
static void lo_printf(struct line_out *lo, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lo_vprintf(lo, fmt, ap);
	va_end(ap);
}

/* End the current line (if any text is pending) and flush. */
static void lo_end(struct line_out *lo)
{
	if (!lo->line_start)
		lo_putc(lo, '\n');
	lo_flush(lo);
}

/* Print @s in double quotes with C escapes, or NULL. */
static void lo_quoted(struct line_out *lo, const char *s)
{
	size_t i;

	if (!s) {
		lo_printf(lo, "NULL");
		return;
	}
	lo_putc(lo, '"');
	for (i = 0; s[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			lo_printf(lo, "\\%c", c);
		else if (c == '\n')
			lo_printf(lo, "\\n");
		else if (c == '\t')
			lo_printf(lo, "\\t");
		else if (c < PRINTABLE_FIRST || c > PRINTABLE_LAST)
			lo_printf(lo, "\\x%02x", c);
		else
			lo_putc(lo, (char)c);
	}
	lo_putc(lo, '"');
	if (s[i])
		lo_printf(lo, "...");
}

/* ------------------------------------------------------ case state ------ */

void ktest_init(struct ktest *t, const struct ktest_case *c,
		const struct ktest_env *env)
{
	t->tcase = c;
	t->env = env;
	t->failures = 0;
	t->skipped = false;
	t->skip_reason[0] = '\0';
}

void ktest_log(struct ktest *t, const char *fmt, ...)
{
	struct line_out lo;
	va_list ap;

	lo_init(&lo, t->env, true);
	va_start(ap, fmt);
	lo_vprintf(&lo, fmt, ap);
	va_end(ap);
	lo_end(&lo);
}

void ktest_fail_msg(struct ktest *t, const char *fmt, ...)
{
	struct line_out lo;
	va_list ap;

	t->failures++;
	lo_init(&lo, t->env, true);
	va_start(ap, fmt);
	lo_vprintf(&lo, fmt, ap);
	va_end(ap);
	lo_end(&lo);
}

void ktest_skip(struct ktest *t, const char *reason)
{
	size_t i;

	t->skipped = true;
	if (!reason)
		reason = "";
	for (i = 0; reason[i] && i + 1 < KTEST_REASON_MAX; i++)
		t->skip_reason[i] = reason[i] == '\n' ? ' ' : reason[i];
	t->skip_reason[i] = '\0';
}

int ktest_failed(struct ktest *t)
{
	return t->failures != 0;
}

/* --------------------------------------------------------- checks ------- */

/* Count a failure and start its diagnostic: "FAIL file:line: MACRO(args): " */
static void fail_begin(struct ktest *t, struct line_out *lo,
		       const struct ktest_site *site)
{
	t->failures++;
	lo_init(lo, t->env, true);
	lo_printf(lo, "FAIL %s:%d: %s(%s", site->file, site->line, site->macro,
		  site->expr_a);
	if (site->expr_b)
		lo_printf(lo, ", %s", site->expr_b);
	if (site->expr_c)
		lo_printf(lo, ", %s", site->expr_c);
	lo_printf(lo, "): ");
}

static bool val_is_unsigned(const struct ktest_val *v)
{
	return !v->is_signed;
}

/* Print "expr = value (0xhex)". */
static void print_val(struct line_out *lo, const char *expr,
		      const struct ktest_val *v)
{
	uint64_t hex = v->size < sizeof(uint64_t) ? v->bits & U32_MASK : v->bits;

	if (v->is_pointer)
		lo_printf(lo, "%s = %p", expr, (void *)(uintptr_t)v->bits);
	else if (v->is_signed)
		lo_printf(lo, "%s = %lld (0x%llx)", expr, (long long)v->bits,
			  (unsigned long long)hex);
	else
		lo_printf(lo, "%s = %llu (0x%llx)", expr,
			  (unsigned long long)v->bits, (unsigned long long)hex);
}

/*
 * Compare like C: unsigned when an unsigned operand is at least as wide as
 * the other, and then at the common width (int vs unsigned int compares
 * 32-bit values); signed otherwise.  Returns <0, 0, >0.
 */
static int compare_vals(const struct ktest_val *a, const struct ktest_val *b)
{
	bool as_unsigned = (val_is_unsigned(a) && a->size >= b->size) ||
			   (val_is_unsigned(b) && b->size >= a->size);
	uint64_t x = a->bits, y = b->bits;

	if (!as_unsigned) {
		int64_t sx = (int64_t)x, sy = (int64_t)y;

		return sx < sy ? -1 : sx > sy;
	}
	if (a->size < sizeof(uint64_t) && b->size < sizeof(uint64_t)) {
		x &= U32_MASK;
		y &= U32_MASK;
	}
	return x < y ? -1 : x > y;
}

static bool op_holds(enum ktest_op op, int cmp)
{
	switch (op) {
	case KTEST_OP_EQ: return cmp == 0;
	case KTEST_OP_NE: return cmp != 0;
	case KTEST_OP_LT: return cmp < 0;
	case KTEST_OP_LE: return cmp <= 0;
	case KTEST_OP_GT: return cmp > 0;
	case KTEST_OP_GE: return cmp >= 0;
	}
	return false;
}

bool ktest_check_cmp(struct ktest *t, const struct ktest_site *site,
		     enum ktest_op op, struct ktest_val a, struct ktest_val b)
{
	struct line_out lo;

	if (op_holds(op, compare_vals(&a, &b)))
		return true;
	fail_begin(t, &lo, site);
	print_val(&lo, site->expr_a, &a);
	lo_printf(&lo, ", ");
	print_val(&lo, site->expr_b, &b);
	lo_end(&lo);
	return false;
}

bool ktest_check_bool(struct ktest *t, const struct ktest_site *site,
		      bool value, bool expected)
{
	struct line_out lo;

	if (value == expected)
		return true;
	fail_begin(t, &lo, site);
	lo_printf(&lo, "%s is %s", site->expr_a, value ? "true" : "false");
	lo_end(&lo);
	return false;
}

static bool strings_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return kt_strcmp(a, b) == 0;
}

bool ktest_check_str(struct ktest *t, const struct ktest_site *site,
		     const char *a, const char *b, bool expect_equal)
{
	struct line_out lo;

	if (strings_equal(a, b) == expect_equal)
		return true;
	fail_begin(t, &lo, site);
	lo_printf(&lo, "%s = ", site->expr_a);
	lo_quoted(&lo, a);
	lo_printf(&lo, ", %s = ", site->expr_b);
	lo_quoted(&lo, b);
	lo_end(&lo);
	return false;
}

/* Print up to MEM_SHOW bytes of @p from @off: "expr[off..] = 12 34 ..." */
static void print_bytes(struct line_out *lo, const char *expr,
			const unsigned char *p, size_t off, size_t len)
{
	size_t i;

	lo_printf(lo, "%s[%zu..] =", expr, off);
	for (i = off; i < len && i < off + MEM_SHOW; i++)
		lo_printf(lo, " %02x", p[i] & BYTE_HEX_MASK);
}

bool ktest_check_mem(struct ktest *t, const struct ktest_site *site,
		     const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	struct line_out lo;
	size_t off = 0;

	if (len && (!x || !y)) {
		fail_begin(t, &lo, site);
		lo_printf(&lo, "NULL buffer (%s = %p, %s = %p)",
			  site->expr_a, a, site->expr_b, b);
		lo_end(&lo);
		return false;
	}
	while (off < len && x[off] == y[off])
		off++;
	if (off == len)
		return true;
	fail_begin(t, &lo, site);
	lo_printf(&lo, "first difference at offset %zu of %zu: ", off, len);
	print_bytes(&lo, site->expr_a, x, off, len);
	lo_printf(&lo, ", ");
	print_bytes(&lo, site->expr_b, y, off, len);
	lo_end(&lo);
	return false;
}

bool ktest_check_null(struct ktest *t, const struct ktest_site *site,
		      const void *p, bool expect_null)
{
	struct line_out lo;

	if ((p == NULL) == expect_null)
		return true;
	fail_begin(t, &lo, site);
	if (p)
		lo_printf(&lo, "%s = %p, expected NULL", site->expr_a, p);
	else
		lo_printf(&lo, "%s is NULL", site->expr_a);
	lo_end(&lo);
	return false;
}

/* Print an error-style value: "-22 (-EINVAL: Invalid argument)". */
static void print_err(struct line_out *lo, long long v)
{
	const char *name = NULL;
	bool in_range = v >= -ERRNO_MAX && v <= ERRNO_MAX;

	if (in_range && v && errno_name)
		name = errno_name((int)v);
	if (!name) {
		lo_printf(lo, "%lld", v);
		return;
	}
	lo_printf(lo, "%lld (%s%s", v, v < 0 ? "-" : "", name);
	if (strerror)
		lo_printf(lo, ": %s", strerror((int)v));
	lo_printf(lo, ")");
}

bool ktest_check_err(struct ktest *t, const struct ktest_site *site,
		     long long value, long long expected)
{
	struct line_out lo;

	if (value == expected)
		return true;
	fail_begin(t, &lo, site);
	lo_printf(&lo, "%s = ", site->expr_a);
	print_err(&lo, value);
	if (site->expr_b) {
		lo_printf(&lo, ", expected ");
		print_err(&lo, expected);
	}
	lo_end(&lo);
	return false;
}

/* ------------------------------------------------------- selection ------ */

/* Order of the run: suite, then file, then line (then address, for ties). */
static bool case_before(const struct ktest_case *a, const struct ktest_case *b)
{
	int d = kt_strcmp(a->suite, b->suite);

	if (!d)
		d = kt_strcmp(a->file, b->file);
	if (!d)
		d = a->line - b->line;
	if (!d)
		return a < b;
	return d < 0;
}

/* The first case after @prev in run order (the first of all if NULL). */
static const struct ktest_case *next_case(const struct ktest_case *prev)
{
	const struct ktest_case *c, *best = NULL;

	if (!__start_ktest_cases)
		return NULL;
	for (c = __start_ktest_cases; c < __stop_ktest_cases; c++) {
		if (prev && !case_before(prev, c))
			continue;
		if (!best || case_before(c, best))
			best = c;
	}
	return best;
}

/* Every case in run order. */
#define for_each_case(c) \
	for ((c) = next_case(NULL); (c); (c) = next_case(c))

/* Every case in link order (when order does not matter). */
#define for_each_case_unordered(c) \
	for ((c) = __start_ktest_cases; (c) && (c) < __stop_ktest_cases; (c)++)

/*
 * Next word of a comma-separated filter at @s: sets *@len and returns its
 * start, or NULL when no word is left.  Empty words are skipped.
 */
static const char *filter_word(const char *s, size_t *len)
{
	size_t n = 0;

	while (*s == ',')
		s++;
	if (!*s)
		return NULL;
	while (s[n] && s[n] != ',')
		n++;
	*len = n;
	return s;
}

/* Does the filter word @w (@len bytes) select case @c? */
static bool word_selects(const char *w, size_t len, const struct ktest_case *c)
{
	size_t slen = kt_strlen(c->suite);

	if (kt_streq_n(FILTER_ALL, w, len) || kt_streq_n(c->suite, w, len))
		return true;
	/* "suite.case" */
	return len > slen && w[slen] == '.' && kt_streq_n(c->suite, w, slen) &&
	       kt_streq_n(c->name, w + slen + 1, len - slen - 1);
}

static bool case_selected(const char *filter, const struct ktest_case *c)
{
	const char *w = filter;
	size_t len;

	if (!filter)
		return true;
	while ((w = filter_word(w, &len))) {
		if (word_selects(w, len, c))
			return true;
		w += len;
	}
	return false;
}

static bool word_matches_any(const char *w, size_t len)
{
	const struct ktest_case *c;

	for_each_case_unordered(c) {
		if (word_selects(w, len, c))
			return true;
	}
	return false;
}

/* An empty or NULL filter means "all". */
static const char *normalize_filter(const char *filter)
{
	return filter && filter_word(filter, &(size_t){ 0 }) ? filter : FILTER_ALL;
}

/* ---------------------------------------------------------- running ----- */

struct run_state {
	const struct ktest_env *env;
	struct line_out lo;             /* plain (non-diagnostic) lines */
	unsigned num;                   /* number of the last result line */
	struct ktest_counts counts;
};

static void result_line(struct run_state *rs, bool ok,
			const struct ktest_case *c, const char *skip_reason)
{
	rs->num++;
	lo_printf(&rs->lo, "%sok %u %s.%s", ok ? "" : "not ", rs->num,
		  c->suite, c->name);
	if (skip_reason)
		lo_printf(&rs->lo, " # SKIP %s", skip_reason);
	lo_end(&rs->lo);
}

/* Report each filter word that selects nothing as one failed test. */
static void report_unmatched(struct run_state *rs, const char *filter)
{
	const char *w = filter;
	struct line_out diag;
	size_t len;

	for (; (w = filter_word(w, &len)); w += len) {
		if (word_matches_any(w, len))
			continue;
		lo_init(&diag, rs->env, true);
		lo_printf(&diag, "error: no test suite or case named '%.*s'",
			  (int)len, w);
		lo_end(&diag);
		rs->counts.failed++;
		lo_printf(&rs->lo, "not ok %u %.*s", ++rs->num, (int)len, w);
		lo_end(&rs->lo);
	}
}

/* Number of result lines the run will print. */
static unsigned count_tests(const char *filter)
{
	const struct ktest_case *c;
	const char *w = filter;
	unsigned n = 0;
	size_t len;

	for (; (w = filter_word(w, &len)); w += len)
		n += !word_matches_any(w, len);
	for_each_case_unordered(c)
		n += case_selected(filter, c);
	return n;
}

static void run_case(struct run_state *rs, const struct ktest_case *c)
{
	const struct ktest_env *env = rs->env;
	struct ktest t;

	ktest_init(&t, c, env);
	if (env->case_begin)
		env->case_begin(c);
	c->fn(&t);
	if (env->case_end)
		env->case_end(c, &t);

	if (t.failures) {
		rs->counts.failed++;
		result_line(rs, false, c, NULL);
	} else if (t.skipped) {
		rs->counts.skipped++;
		result_line(rs, true, c, t.skip_reason);
	} else {
		rs->counts.passed++;
		result_line(rs, true, c, NULL);
	}
}

int ktest_run(const struct ktest_env *env, const char *filter,
	      struct ktest_counts *out)
{
	struct run_state rs = { .env = env };
	const struct ktest_case *c;
	struct line_out diag;

	filter = normalize_filter(filter);
	lo_init(&rs.lo, env, false);
	lo_printf(&rs.lo, "KTAP version 1\n1..%u\n", count_tests(filter));
	report_unmatched(&rs, filter);
	for_each_case(c) {
		if (case_selected(filter, c))
			run_case(&rs, c);
	}
	lo_init(&diag, env, true);
	lo_printf(&diag, "totals: %u passed, %u failed, %u skipped",
		  rs.counts.passed, rs.counts.failed, rs.counts.skipped);
	lo_end(&diag);
	if (out)
		*out = rs.counts;
	return (int)rs.counts.failed;
}

void ktest_list(const struct ktest_env *env, const char *filter)
{
	const struct ktest_case *c;
	struct line_out lo;

	filter = normalize_filter(filter);
	lo_init(&lo, env, false);
	for_each_case(c) {
		if (case_selected(filter, c))
			lo_printf(&lo, "%s.%s\n", c->suite, c->name);
	}
	lo_end(&lo);
}
