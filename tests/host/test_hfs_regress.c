/*
 * test_hfs_regress.c - replays the kept fuzz inputs of holdfs's mount and
 * fsck (tests/host/fuzz_corpus/, formats in fuzz_hfs_mount.c) and a fixed
 * sweep of single-byte corruptions, without libFuzzer, in `make test`.
 *
 * Each input runs in a child process: a finding aborts the child, and the
 * case fails naming the file (the child's diagnostics are on stderr).
 *
 *	build/host/test_hfs_regress            HFS_CORPUS=dir overrides the folder
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <lib/ktest.h>
#include <lib/string.h>
#include "fuzz_hfs_mount.h"

#ifndef HFS_CORPUS_DIR
#define HFS_CORPUS_DIR "tests/host/fuzz_corpus"
#endif

#define HFS_MAX_INPUT	(1024 * 1024)

/* Run fn(arg) in a child; true when it exited with status 0. */
static bool in_child(void (*fn)(void *), void *arg, int *status)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, status, 0) != pid)
		return false;
	return WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

struct input {
	uint8_t *data;
	size_t size;
};

static void run_input(void *arg)
{
	struct input *in = arg;

	hfs_fuzz_one(in->data, in->size);
}

KTEST(hfs_regress, corpus)
{
	const char *dir = getenv("HFS_CORPUS") ? getenv("HFS_CORPUS") : HFS_CORPUS_DIR;
	DIR *dp = opendir(dir);
	struct dirent *e;
	struct input in = { .data = malloc(HFS_MAX_INPUT) };
	unsigned n = 0, bad = 0;
	char path[1024];

	ASSERT_NOT_NULL(t, dp);
	ASSERT_NOT_NULL(t, in.data);
	while ((e = readdir(dp))) {
		FILE *f;
		int status = 0;

		if (e->d_name[0] == '.' || strstr(e->d_name, "README"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		in.size = fread(in.data, 1, HFS_MAX_INPUT, f);
		fclose(f);
		n++;
		if (!in_child(run_input, &in, &status)) {
			ktest_fail_msg(t, "%s: the child ended with status 0x%x", path, status);
			bad++;
		}
	}
	closedir(dp);
	free(in.data);
	ktest_log(t, "%u inputs replayed from %s, %u failed", n, dir, bad);
	EXPECT_GT(t, n, 0u);
}

/* Every byte of the first KiB (superblock) and of scattered metadata, set to 0xff. */
static void byte_sweep(void *arg)
{
	uint8_t in[4 + 5 + 1];
	size_t size;
	uint32_t off;

	hfs_fuzz_base_image(&size);
	memcpy(in, "HFSP", 4);
	for (off = 0; off < size; off += off < 1024 ? 1 : 509) {
		in[4] = (uint8_t)off;
		in[5] = (uint8_t)(off >> 8);
		in[6] = (uint8_t)(off >> 16);
		in[7] = (uint8_t)(off >> 24);
		in[8] = 0;
		in[9] = 0xff;
		hfs_fuzz_one(in, sizeof(in));
	}
}

KTEST(hfs_regress, single_byte_sweep)
{
	int status = 0;

	EXPECT_TRUE(t, in_child(byte_sweep, NULL, &status));
}
