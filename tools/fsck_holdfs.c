/*
 * fsck_holdfs.c - fsck.holdfs: check (and repair) a holdfs image.
 *
 *	fsck.holdfs [-n|-y] [-v] [-P] IMAGE
 *
 * -n (the default) only reports; -y repairs what is safe to repair.
 * On a terminal (or with -P) stderr shows the progress of the inode scan.
 * Exit status (e2fsck's): 0 clean, 1 errors found and all repaired,
 * 4 errors remain, 8 usage or I/O error, or nothing to check (the image
 * is too small, not holdfs, or of a format version this build does not
 * read: the message above the last line says which).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "hfs_host.h"
#include "progress.h"

#define EXIT_USAGE 8

int main(int argc, char **argv)
{
	struct hfs_fsck_opts o = { .repair = false };
	struct hfs_host_pm h;
	struct progress prog;
	enum progress_mode pmode = PROGRESS_AUTO;
	int c, ret;
	bool n = false, y = false;

	while ((c = getopt(argc, argv, "nyvPh")) != -1) {
		switch (c) {
		case 'P': pmode = PROGRESS_ON; break;
		case 'n': n = true; break;
		case 'y': y = true; break;
		case 'v': o.verbose = true; break;
		default:
			fprintf(stderr, "usage: fsck.holdfs [-n|-y] [-v] [-P] IMAGE\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (n && y)) {
		fprintf(stderr, "usage: fsck.holdfs [-n|-y] [-v] [-P] IMAGE\n");
		return EXIT_USAGE;
	}
	o.repair = y;
	if (hfs_host_open(argv[optind], y ? 0 : HFS_HOST_RDONLY, &h))
		return EXIT_USAGE;
	progress_init(&prog, "fsck.holdfs", argv[optind], pmode);
	o.progress = progress_cb;
	o.progress_arg = &prog;
	ret = hfs_fsck(&h.pm, &o);
	progress_end(&prog);
	if (hfs_host_close(&h))
		return EXIT_USAGE;
	printf("fsck.holdfs: %s: %s\n", argv[optind],
	       ret == HFS_FSCK_CLEAN ? "clean" :
	       ret == HFS_FSCK_REPAIRED ? "errors repaired" :
	       ret == HFS_FSCK_NOT_HOLDFS ? "not checked" : "errors remain");
	return ret;
}
