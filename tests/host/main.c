/*
 * main.c - driver of every host test binary.
 *
 *	build/host/test_NAME [FILTER]    run the cases FILTER selects (default
 *	                                 "all"), print KTAP on stdout; exit 0
 *	                                 iff nothing failed
 *	build/host/test_NAME --list [FILTER]   print the selected case names
 *
 * FILTER is as for ktest_run(): "all", "suite1,suite2" or "suite.case".
 */
#include <stdio.h>
#include <string.h>
#include <lib/ktest.h>

#define EXIT_PASS 0
#define EXIT_FAIL 1

/* Flush at once: if a case crashes, the KTAP so far is already out. */
static void host_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
	fflush(stdout);
}

static const struct ktest_env host_env = { .write = host_write };

/* Binaries with the holdfs services (tools/hfs_services.c) log holdfs's
 * messages as KTAP diagnostics; the others do not have the variable. */
extern const char *hfs_host_log_prefix __attribute__((weak));

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : "all";

	if (&hfs_host_log_prefix)
		hfs_host_log_prefix = "# holdfs: ";

	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		ktest_list(&host_env, argc > 2 ? argv[2] : "all");
		return EXIT_PASS;
	}
	return ktest_run(&host_env, filter, NULL) ? EXIT_FAIL : EXIT_PASS;
}
