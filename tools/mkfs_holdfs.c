/*
 * mkfs_holdfs.c - mkfs.holdfs: put an empty holdfs on an image file.
 *
 *	mkfs.holdfs [-P] [-L LABEL] [-i INODES] [-j JOURNAL_BLOCKS] IMAGE
 *
 * The image file must exist and already have its final size (the whole
 * file becomes the device, as QEMU's NVDIMM without a label area sees
 * it).  Prints one line describing the result.  Exit 0 on success, 1 on
 * bad usage or failure.  On a terminal (or with -P) stderr shows the
 * progress of the metadata writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <lib/errno.h>
#include <lib/string.h>
#include "hfs_host.h"
#include "progress.h"

static int usage(void)
{
	fprintf(stderr, "usage: mkfs.holdfs [-P] [-L LABEL] [-i INODES] [-j JOURNAL_BLOCKS] IMAGE\n");
	return 1;
}

int main(int argc, char **argv)
{
	struct hfs_mkfs_opts o = { 0 };
	struct hfs_host_pm h;
	struct hfs_statfs st;
	struct hfs_fs *fs;
	struct progress prog;
	enum progress_mode pmode = PROGRESS_AUTO;
	int c, err;

	while ((c = getopt(argc, argv, "PL:i:j:h")) != -1) {
		switch (c) {
		case 'P':
			pmode = PROGRESS_ON;
			break;
		case 'L':
			if (strlen(optarg) >= sizeof(st.label)) {
				fprintf(stderr, "mkfs.holdfs: label longer than %zu bytes\n",
					sizeof(st.label) - 1);
				return 1;
			}
			o.label = optarg;
			break;
		case 'i':
			if (parse_u64(optarg, 0, &o.inodes) || o.inodes < 16) {
				fprintf(stderr, "mkfs.holdfs: bad inode count '%s'\n", optarg);
				return 1;
			}
			break;
		case 'j':
			if (parse_u64(optarg, 0, &o.journal_blocks) || o.journal_blocks < 8) {
				fprintf(stderr, "mkfs.holdfs: bad journal size '%s' (blocks, >= 8)\n",
					optarg);
				return 1;
			}
			break;
		default:
			return usage();
		}
	}
	if (optind != argc - 1)
		return usage();
	if (hfs_host_open(argv[optind], 0, &h))
		return 1;
	progress_init(&prog, "mkfs.holdfs", argv[optind], pmode);
	o.progress = progress_cb;
	o.progress_arg = &prog;
	err = hfs_mkfs(&h.pm, &o);
	progress_end(&prog);
	if (!err)
		err = hfs_mount(&h.pm, 0, &fs);
	if (err) {
		fprintf(stderr, "mkfs.holdfs: %s: %s\n", argv[optind], strerror(err));
		hfs_host_close(&h);
		return 1;
	}
	hfs_statfs(fs, &st);
	err = hfs_unmount(fs);
	if (!err)
		err = hfs_host_close(&h);
	if (err) {
		fprintf(stderr, "mkfs.holdfs: %s: %s\n", argv[optind], strerror(err));
		return 1;
	}
	printf("mkfs.holdfs: %s: holdfs v%d, %llu MiB, %llu data blocks of %llu bytes, %llu inodes\n",
	       argv[optind], HFS_VERSION, (unsigned long long)(h.size >> 20),
	       (unsigned long long)st.blocks, (unsigned long long)st.block_size,
	       (unsigned long long)st.inodes);
	return 0;
}
