/*
 * blkdev.c - the block device registry (include/drivers/blkdev.h): a
 * table of pointers to devices the drivers own, kept in registration
 * order, and the pmemN devices that cover each whole pmem region.
 *
 * Locking: blk_lock guards devs[], ndevs and every device's registered
 * and holder fields.  Nothing here sleeps.
 */
#include <drivers/blkdev.h>
#include <drivers/pmem.h>
#include <kernel/sync.h>
#include <kernel/printk.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <lib/printf.h>

#define DEV_PREFIX	"/dev/"

static spinlock_t blk_lock = SPINLOCK_INIT("blkdev");
static struct blkdev *devs[BLKDEV_MAX];		/* blk_lock */
static unsigned ndevs;				/* blk_lock */
static unsigned next_id;			/* blk_lock */
static struct blkdev pmem_devs[PMEM_MAX_REGIONS];

static bool valid(const struct blkdev *bd)
{
	size_t n = strnlen(bd->name, BLKDEV_NAME_MAX);

	if (n == 0 || n == BLKDEV_NAME_MAX || strchr(bd->name, '/') || bd->size == 0)
		return false;
	if (bd->pmem)
		return bd->pmem_off <= bd->pmem->size &&
		       bd->size <= bd->pmem->size - bd->pmem_off;
	return bd->ops && bd->ops->read && bd->ops->write;
}

/* Index of the device named @name in devs[], or -1.  blk_lock held. */
static int find_locked(const char *name)
{
	for (unsigned i = 0; i < ndevs; i++)
		if (!strcmp(devs[i]->name, name))
			return (int)i;
	return -1;
}

int blkdev_register(struct blkdev *bd)
{
	int err = 0;

	if (!bd || !valid(bd))
		return -EINVAL;
	spin_lock(&blk_lock);
	if (find_locked(bd->name) >= 0)
		err = -EEXIST;
	else if (ndevs == BLKDEV_MAX)
		err = -ENOSPC;
	else {
		bd->registered = true;
		bd->holder = NULL;
		bd->id = next_id++;
		devs[ndevs++] = bd;
	}
	spin_unlock(&blk_lock);
	return err;
}

int blkdev_unregister(struct blkdev *bd)
{
	int err = -ENOENT;

	spin_lock(&blk_lock);
	for (unsigned i = 0; i < ndevs; i++) {
		if (devs[i] != bd)
			continue;
		if (bd->holder) {
			err = -EBUSY;
			break;
		}
		memmove(&devs[i], &devs[i + 1], (ndevs - i - 1) * sizeof(devs[0]));
		ndevs--;
		bd->registered = false;
		err = 0;
		break;
	}
	spin_unlock(&blk_lock);
	return err;
}

struct blkdev *blkdev_lookup(const char *name)
{
	struct blkdev *bd = NULL;
	int i;

	if (!name)
		return NULL;
	if (!strncmp(name, DEV_PREFIX, strlen(DEV_PREFIX)))
		name += strlen(DEV_PREFIX);
	spin_lock(&blk_lock);
	i = find_locked(name);
	if (i >= 0)
		bd = devs[i];
	spin_unlock(&blk_lock);
	return bd;
}

struct blkdev *blkdev_at(unsigned i)
{
	struct blkdev *bd;

	spin_lock(&blk_lock);
	bd = i < ndevs ? devs[i] : NULL;
	spin_unlock(&blk_lock);
	return bd;
}

int blkdev_claim(struct blkdev *bd, const void *holder)
{
	int err = 0;

	spin_lock(&blk_lock);
	if (!bd->registered)
		err = -ENODEV;
	else if (bd->holder && bd->holder != holder)
		err = -EBUSY;
	else
		bd->holder = holder;
	spin_unlock(&blk_lock);
	return err;
}

void blkdev_release(struct blkdev *bd)
{
	spin_lock(&blk_lock);
	bd->holder = NULL;
	spin_unlock(&blk_lock);
}

void blkdev_register_pmem(void)
{
	for (unsigned i = 0; i < pmem_region_count() && i < PMEM_MAX_REGIONS; i++) {
		struct blkdev *bd = &pmem_devs[i];
		struct pmem_region *r = pmem_region(i);
		int err;

		snprintf(bd->name, sizeof(bd->name), "pmem%u", r->index);
		bd->size = r->size;
		bd->pmem = r;
		bd->pmem_off = 0;
		err = blkdev_register(bd);
		if (err)
			kprintf("blkdev: %s not registered (%s)\n", bd->name, strerror(err));
	}
}
