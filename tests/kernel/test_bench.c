/*
 * test_bench.c - the parts of the benchmark suite that must be exact for
 * the figures to compare with the peer's (speed itself is never asserted).
 */
#include <tests/ktest_kernel.h>
#include <bench/bench.h>
#include <lib/printf.h>
#include <lib/string.h>

/* fs_create_4k's names are the peer's snprintf("%s/f%06ld") names. */
KTEST(bench, file_names_match_the_peer)
{
	static const long idx[] = { 0, 7, 42, 9999, 123456, 999999, 1000000, 12345678, -3 };
	char got[64], want[64];

	for (unsigned k = 0; k < sizeof(idx) / sizeof(idx[0]); k++) {
		bench_file_name(got, sizeof(got), "/.bench-cdir", idx[k]);
		snprintf(want, sizeof(want), "%s/f%06ld", "/.bench-cdir", idx[k]);
		EXPECT_STREQ(t, got, want);
	}
	/* Too small a buffer: truncated as snprintf would, never overrun. */
	memset(got, 'x', sizeof(got));
	bench_file_name(got, 8, "/d", 5);
	EXPECT_STREQ(t, got, "/d/f000");
	EXPECT_EQ(t, got[8], 'x');
}
