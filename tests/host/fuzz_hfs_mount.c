/*
 * fuzz_hfs_mount.c - fuzz target for holdfs's mount and fsck: a damaged
 * image must be refused or handled, never trusted (docs/design.md "Bad input").
 *
 * Input, two formats:
 *   "HFSP" + patches   each patch is off (u32 LE, taken modulo the device
 *                      size), n (u8; n + 1 bytes follow), bytes; applied to
 *                      a small populated image (256 KiB, made once by
 *                      hfs_mkfs + a few files, directories, links and
 *                      symlinks, with a fake clock so it is the same on
 *                      every run).  Small inputs, aimed at structures.
 *   anything else      a raw image (zero-padded or cut to 256 KiB).
 *
 * One input: mount; walk the whole tree (readdir, stat, read every file,
 * readlink); create, write, truncate and remove a file; unmount.  Then
 * fsck with repair on the original image; unless it reports errors left,
 * a second fsck must be clean and the image must mount and walk.  Any
 * violation aborts (a finding), as does anything the sanitizers catch.
 *
 * hfs_fuzz_one() is the body; the libFuzzer entry point wraps it, and
 * test_hfs_regress.c replays tests/host/fuzz_corpus/ through it.
 * Build and run: make -f tests/host/fuzz.mk fuzz (see that file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <fs/holdfs.h>
#include "hfs_memdev.h"
#include "../../tools/hfs_host.h"	/* the host tools' holdfs platform */
#include "fuzz_hfs_mount.h"

#define DEV_SIZE	(256 * 1024)
#define MAX_ENTRIES	4096
#define MAX_READ	(4ull * 1024 * 1024)
#define MAX_DEPTH	16

static struct hfs_memdev *dev;
static uint8_t *base, *img;
static uint8_t *iobuf;

static void finding(const char *what, const char *path, int r)
{
	fprintf(stderr, "fuzz_hfs_mount: FINDING: %s (%s): %d %s\n", what, path ? path : "-",
		r, r < 0 ? errno_name(-r) : "");
	abort();
}

/* A small populated filesystem: the base of the patch format. */
static void make_base(void)
{
	static const uint8_t uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct hfs_mkfs_opts o = { .inodes = 64, .label = "fuzz", .uuid = uuid };
	struct hfs_pm *pm = hfs_memdev_pm(dev);
	struct hfs_inode *ip;
	struct hfs_fs *fs;
	char target[200];
	int r;

	memset(iobuf, 0, DEV_SIZE);
	hfs_memdev_load(dev, iobuf, DEV_SIZE);
	hfs_host_fake_clock(true);
	if ((r = hfs_mkfs(pm, &o)) || (r = hfs_mount(pm, 0, &fs)))
		finding("cannot make the base image", NULL, r);
	memset(iobuf, 'a', 9000);
	if (hfs_open(fs, "/a", HFS_O_CREAT | HFS_O_RDWR, 0644, &ip) == 0) {
		hfs_write(ip, 0, iobuf, 5000);
		hfs_write(ip, 20000, iobuf, 9000);
		hfs_iput(ip);
	}
	hfs_mkdir(fs, "/d", 0755);
	hfs_mkdir(fs, "/d/e", 0700);
	if (hfs_open(fs, "/d/f", HFS_O_CREAT | HFS_O_RDWR, 0600, &ip) == 0) {
		hfs_write(ip, 0, iobuf, 100);
		hfs_fallocate(ip, HFS_FALLOC_KEEP_SIZE, 0, 16384, NULL);
		hfs_iput(ip);
	}
	hfs_symlink(fs, "/d", "/s");
	memset(target, 't', sizeof(target) - 1);
	target[0] = '/';
	target[sizeof(target) - 1] = 0;
	hfs_symlink(fs, target, "/d/long");
	hfs_link(fs, "/a", "/d/g");
	if ((r = hfs_unmount(fs)))
		finding("cannot unmount the base image", NULL, r);
	memcpy(base, hfs_memdev_data(dev), DEV_SIZE);
	hfs_host_fake_clock(true);
}

static void setup(void)
{
	if (dev)
		return;
	dev = hfs_memdev_new(DEV_SIZE, false);
	base = malloc(DEV_SIZE);
	img = malloc(DEV_SIZE);
	iobuf = malloc(DEV_SIZE);
	if (!dev || !base || !img || !iobuf)
		abort();
	hfs_host_quiet = !getenv("HFS_FUZZ_VERBOSE");
	make_base();
}

static void build_image(const uint8_t *data, size_t size)
{
	size_t i;

	if (size >= 4 && memcmp(data, "HFSP", 4) == 0) {
		memcpy(img, base, DEV_SIZE);
		for (i = 4; i + 5 <= size;) {
			uint32_t off = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
				       (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;
			size_t n = (size_t)data[i + 4] + 1, j;

			i += 5;
			off %= DEV_SIZE;
			for (j = 0; j < n && i < size; j++, i++)
				img[(off + j) % DEV_SIZE] = data[i];
		}
		return;
	}
	memset(img, 0, DEV_SIZE);
	memcpy(img, data, size < DEV_SIZE ? size : DEV_SIZE);
}

struct walk {
	struct hfs_fs *fs;
	unsigned entries;
	uint64_t read;
};

static void walk_file(struct walk *w, const char *path)
{
	struct hfs_inode *ip;
	struct hfs_stat st;
	uint64_t off = 0;
	int64_t n;

	if (hfs_lookup(w->fs, path, false, &ip))
		return;
	if (hfs_getattr(ip, &st) == 0) {
		while (w->read < MAX_READ && off < st.size) {
			n = hfs_read(ip, off, iobuf, 65536);
			if (n <= 0)
				break;
			if (n > 65536)
				finding("read returned more than asked", path, (int)n);
			off += (uint64_t)n;
			w->read += (uint64_t)n;
		}
	}
	hfs_iput(ip);
}

static void walk_dir(struct walk *w, const char *path, int depth)
{
	struct hfs_inode *ip;
	struct hfs_dirent *de = malloc(sizeof(*de));
	uint64_t cookie = 0;
	char *child = malloc(HFS_PATH_MAX + 300);
	char lnk[64];
	int r;

	if (!de || !child)
		abort();
	if (depth > MAX_DEPTH || hfs_lookup(w->fs, path, false, &ip))
		goto out;
	while (w->entries < MAX_ENTRIES && (r = hfs_readdir(ip, &cookie, de)) > 0) {
		struct hfs_stat st;
		size_t len = strnlen(de->name, sizeof(de->name));

		w->entries++;
		if (len == sizeof(de->name))
			finding("readdir name not terminated", path, 0);
		if (!strcmp(de->name, ".") || !strcmp(de->name, ".."))
			continue;
		if (len == 0 || strchr(de->name, '/'))
			finding("readdir returned an impossible name", path, (int)len);
		if (strlen(path) + len + 2 > HFS_PATH_MAX)
			continue;
		snprintf(child, HFS_PATH_MAX + 300, "%s/%s", strcmp(path, "/") ? path : "", de->name);
		if (hfs_stat(w->fs, child, false, &st))
			continue;
		switch (st.mode & HFS_S_IFMT) {
		case HFS_S_IFDIR:
			walk_dir(w, child, depth + 1);
			break;
		case HFS_S_IFREG:
			walk_file(w, child);
			break;
		case HFS_S_IFLNK:
			r = hfs_readlink(w->fs, child, lnk, sizeof(lnk));
			if (r > HFS_PATH_MAX)
				finding("symlink longer than a path", child, r);
			break;
		}
	}
	hfs_iput(ip);
out:
	free(de);
	free(child);
}

/* Changes on a possibly damaged image: allocation must not trust bad bitmaps. */
static void poke(struct hfs_fs *fs)
{
	struct hfs_inode *ip;
	struct hfs_statfs sf;

	hfs_statfs(fs, &sf);
	if (hfs_open(fs, "/fuzz-new", HFS_O_CREAT | HFS_O_RDWR, 0644, &ip) == 0) {
		memset(iobuf, 'z', 20000);
		hfs_write(ip, 0, iobuf, 20000);
		hfs_truncate(ip, 5000, NULL);
		hfs_fsync(ip);
		hfs_iput(ip);
		hfs_unlink(fs, "/fuzz-new", NULL);
	}
	hfs_mkdir(fs, "/fuzz-dir", 0755);
	hfs_rename(fs, "/fuzz-dir", "/d/fuzz-dir", NULL);
	hfs_rmdir(fs, "/d/fuzz-dir");
}

static void mount_and_walk(bool must_mount, const char *when)
{
	struct hfs_pm *pm = hfs_memdev_pm(dev);
	struct walk w = { 0 };
	int r = hfs_mount(pm, 0, &w.fs);

	if (r) {
		if (must_mount)
			finding(when, "mount", r);
		return;
	}
	walk_dir(&w, "/", 0);
	poke(w.fs);
	r = hfs_unmount(w.fs);
	if (r && must_mount)
		finding(when, "unmount", r);
}

int hfs_fuzz_one(const uint8_t *data, size_t size)
{
	struct hfs_pm *pm = hfs_memdev_pm(dev ? dev : (setup(), dev));
	struct hfs_fsck_opts fix = { .repair = true }, check = { .repair = false };
	int r;

	hfs_host_fake_clock(true);
	build_image(data, size);

	/* 1. the image as given */
	hfs_memdev_load(dev, img, DEV_SIZE);
	mount_and_walk(false, "");

	/* 2. fsck with repair on the original, then it must be clean and usable */
	hfs_memdev_load(dev, img, DEV_SIZE);
	r = hfs_fsck(pm, &fix);
	if (r != HFS_FSCK_CLEAN && r != HFS_FSCK_REPAIRED && r != HFS_FSCK_ERRORS &&
	    r != HFS_FSCK_NOT_HOLDFS)
		finding("fsck returned an unknown code", NULL, r);
	if (r == HFS_FSCK_ERRORS || r == HFS_FSCK_NOT_HOLDFS)
		return 0;
	r = hfs_fsck(pm, &check);
	if (r != HFS_FSCK_CLEAN)
		finding("fsck not clean right after a successful repair", NULL, r);
	mount_and_walk(true, "mount after a clean or repaired fsck failed");
	r = hfs_fsck(pm, &check);
	if (r != HFS_FSCK_CLEAN)
		finding("fsck not clean after mount, changes and unmount of a repaired image",
			NULL, r);
	return 0;
}

/* Write the base image (for a seed corpus or a look with a hex editor). */
const uint8_t *hfs_fuzz_base_image(size_t *size)
{
	setup();
	*size = DEV_SIZE;
	return base;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return hfs_fuzz_one(data, size);
}
