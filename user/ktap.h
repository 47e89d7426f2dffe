/*
 * ktap.h - the KTAP frame the user test programs share (usertests,
 * sigtests, threadtests, mmaptests): CHECK() inside a test records the
 * first failed condition and returns; ktap_run() prints the plan, one
 * "ok N name" or "# why / not ok N name" per test, and a totals comment,
 * as the in-kernel suites do (tests/run.py reads both the same way).
 * Header-only: each program is one static binary from one .c file.
 */
#ifndef USER_KTAP_H
#define USER_KTAP_H

#include <stdio.h>

struct ktap_test {
	const char *name;
	void (*fn)(void);
};

static int failed_checks;
static char why[256];

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		snprintf(why, sizeof(why), "%s:%d: %s", __FILE__, __LINE__, #cond); \
		failed_checks++;					\
		return;							\
	}								\
} while (0)

/* Run @n @tests of suite @suite in order; the exit status: 0 or 1. */
static inline int ktap_run(const char *suite, const struct ktap_test *tests, int n)
{
	int fails = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("KTAP version 1\n1..%d\n", n);
	for (int i = 0; i < n; i++) {
		int before = failed_checks;

		tests[i].fn();
		if (failed_checks != before) {
			printf("# %s\nnot ok %d %s\n", why, i + 1, tests[i].name);
			fails++;
		} else {
			printf("ok %d %s\n", i + 1, tests[i].name);
		}
	}
	printf("# %s: %d passed, %d failed\n", suite, n - fails, fails);
	return fails ? 1 : 0;
}

#define KTAP_COUNT(tests)	((int)(sizeof(tests) / sizeof((tests)[0])))

#endif
