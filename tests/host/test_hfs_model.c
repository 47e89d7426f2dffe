/*
 * test_hfs_model.c - the randomized differential test of holdfs against
 * the reference model (driver: hfs_diff.c), on in-memory devices.
 *
 *	build/host/test_hfs_model [hfs_diff | hfs_diff.CASE]
 *
 * Environment:
 *	HFS_SEED=N    run every selected case with seed N (default: per case)
 *	HFS_OPS=N     steps per case (default: per case; 100,000 in all)
 *	HFS_TRACE=1   print every step
 *	HFS_AVOID=N   leave out steps that hit known bugs (HFSD_AVOID_* bits)
 * A mismatch prints the seed, the step number and the last steps; rerun
 * with the printed HFS_SEED/HFS_OPS and HFS_TRACE=1 to see it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <lib/ktest.h>
#include <lib/errno.h>
#include "hfs_diff.h"
#include "hfs_memdev.h"
#include "../../tools/hfs_host.h"	/* the host tools' holdfs platform */

#define MiB (1024ull * 1024)

static void print_line(void *ctx, const char *line)
{
	ktest_log(ctx, "%s", line);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static void run(struct ktest *t, uint64_t seed, uint64_t ops, uint64_t dev_size,
		void (*tweak)(struct hfsd_config *cfg))
{
	struct hfs_memdev *dev = hfs_memdev_new(env_u64("HFS_DEV_MB", 0) ?
						env_u64("HFS_DEV_MB", 0) * MiB : dev_size, false);
	struct hfsd_env env = { .print = print_line, .ctx = t };
	struct hfsd_config cfg;
	struct hfsd *d = calloc(1, sizeof(*d));
	int r;

	ASSERT_NOT_NULL(t, dev);
	ASSERT_NOT_NULL(t, d);
	hfsd_default_config(&cfg);
	cfg.seed = env_u64("HFS_SEED", seed);
	cfg.ops = env_u64("HFS_OPS", ops);
	cfg.trace = env_u64("HFS_TRACE", 0) != 0;
	cfg.avoid = (unsigned)env_u64("HFS_AVOID", 0);
	if (tweak)
		tweak(&cfg);
	r = hfsd_init(d, &cfg, &env, hfs_memdev_pm(dev));
	if (r == 0)
		r = hfsd_run(d);
	ktest_log(t, "seed %llu: %llu steps, %llu failed as expected (%llu ENOSPC, %llu short "
		  "writes), %llu remounts, %llu fscks, %llu whole-tree checks",
		  (unsigned long long)cfg.seed, (unsigned long long)d->st.steps,
		  (unsigned long long)d->st.errors, (unsigned long long)d->st.enospc,
		  (unsigned long long)d->st.short_writes, (unsigned long long)d->st.remounts,
		  (unsigned long long)d->st.fscks, (unsigned long long)d->st.fullchecks);
	EXPECT_OK(t, r);
	hfsd_fini(d);
	free(d);
	hfs_memdev_free(dev);
}

/* 100,000 steps in all on a 64 MiB device, in four seeds. */
KTEST(hfs_diff, seed1) { run(t, 1, 25000, 64 * MiB, NULL); }
KTEST(hfs_diff, seed2) { run(t, 2, 25000, 64 * MiB, NULL); }
KTEST(hfs_diff, seed3) { run(t, 3, 25000, 64 * MiB, NULL); }
KTEST(hfs_diff, seed4) { run(t, 4, 25000, 64 * MiB, NULL); }

static void rename_flags_cfg(struct hfsd_config *cfg)
{
	cfg->rename_flags = true;
}

/* renameat2's NOREPLACE and EXCHANGE among the random steps. */
KTEST(hfs_diff, rename_flags) { run(t, 21, 25000, 64 * MiB, rename_flags_cfg); }

static void enospc_cfg(struct hfsd_config *cfg)
{
	cfg->max_file = 768 * 1024;
	cfg->max_write = 96 * 1024;
	cfg->remount_every = 301;
	cfg->fullcheck_every = 53;
}

/* Small devices: writes and fallocate run out of space, inodes run out. */
KTEST(hfs_diff, enospc_2m) { run(t, 11, 4000, 2 * MiB, enospc_cfg); }

static void tiny_cfg(struct hfsd_config *cfg)
{
	enospc_cfg(cfg);
	cfg->mkfs.inodes = 64;
	cfg->max_nodes = 200;
}

KTEST(hfs_diff, enospc_512k_few_inodes) { run(t, 12, 4000, 512 * 1024, tiny_cfg); }

/* Hand-written sequence: the behaviours the issue names, checked one by one. */
KTEST(hfs_diff, scripted_basics)
{
	struct hfs_memdev *dev = hfs_memdev_new(8 * MiB, false);
	struct hfs_fs *fs;
	struct hfs_inode *ip, *ip2;
	struct hfs_stat st;
	char name[HFS_NAME_MAX + 3];
	uint8_t buf[8192];

	ASSERT_NOT_NULL(t, dev);
	ASSERT_OK(t, hfs_mkfs(hfs_memdev_pm(dev), NULL));
	ASSERT_OK(t, hfs_mount(hfs_memdev_pm(dev), 0, &fs));
	ASSERT_OK(t, hfs_open(fs, "/f", HFS_O_CREAT | HFS_O_RDWR, 0644, &ip));
	EXPECT_EQ(t, hfs_write(ip, 100000, "z", 1), 1);
	EXPECT_EQ(t, hfs_read(ip, 4096, buf, 10), 10);
	EXPECT_EQ(t, buf[0] | buf[9], 0);				/* sparse: zeros */
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_PUNCH_HOLE, 0, 4096, NULL), -EOPNOTSUPP);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_COLLAPSE, 0, 100 * 4096, NULL), -EINVAL);
	EXPECT_ERR(t, hfs_fallocate(ip, HFS_FALLOC_INSERT, 25 * 4096, 4096, NULL), -EINVAL);
	EXPECT_OK(t, hfs_fallocate(ip, HFS_FALLOC_INSERT, 0, 4096, NULL));
	EXPECT_OK(t, hfs_getattr(ip, &st));
	EXPECT_EQ(t, st.size, 100001u + 4096);
	EXPECT_OK(t, hfs_unlink(fs, "/f", NULL));
	EXPECT_EQ(t, hfs_write(ip, 0, "alive", 5), 5);		/* unlinked, still open */
	EXPECT_EQ(t, hfs_read(ip, 0, buf, 5), 5);
	EXPECT_MEMEQ(t, buf, "alive", 5);
	hfs_iput(ip);
	memset(name, 'n', sizeof(name));
	name[0] = '/';
	name[HFS_NAME_MAX + 1] = 0;
	ASSERT_OK(t, hfs_open(fs, name, HFS_O_CREAT | HFS_O_RDWR, 0644, &ip2));
	hfs_iput(ip2);
	name[HFS_NAME_MAX + 1] = 'n';
	name[HFS_NAME_MAX + 2] = 0;
	EXPECT_ERR(t, hfs_open(fs, name, HFS_O_CREAT | HFS_O_RDWR, 0644, &ip2), -ENAMETOOLONG);
	EXPECT_OK(t, hfs_mkdir(fs, "/d", 0755));
	EXPECT_OK(t, hfs_mkdir(fs, "/d/e", 0755));
	EXPECT_ERR(t, hfs_rmdir(fs, "/d"), -ENOTEMPTY);
	EXPECT_ERR(t, hfs_rename(fs, "/d", "/d/e/x", NULL), -EINVAL);
	EXPECT_ERR(t, hfs_link(fs, "/d", "/d2"), -EPERM);
	EXPECT_OK(t, hfs_symlink(fs, "/d/e", "/s"));
	EXPECT_EQ(t, hfs_readlink(fs, "/s", (char *)buf, sizeof(buf)), 4);
	EXPECT_OK(t, hfs_stat(fs, "/s", true, &st));
	EXPECT_EQ(t, st.mode & HFS_S_IFMT, (uint32_t)HFS_S_IFDIR);
	EXPECT_OK(t, hfs_unmount(fs));
	EXPECT_EQ(t, hfs_fsck(hfs_memdev_pm(dev), &(struct hfs_fsck_opts){ 0 }), HFS_FSCK_CLEAN);
	hfs_memdev_free(dev);
}
