/*
 * blkdev.c - the block device registry (include/drivers/blkdev.h): a
 * table of pointers to devices the drivers own, kept in registration
 * order, and the pmem devices: one per namespace of each region
 * (include/drivers/namespace.h), named as Linux names them: pmemN for a
 * region without labels (all of it) or for its first namespace, pmemN.M
 * for the others.
 *
 * Locking: blk_lock guards devs[], ndevs and every device's registered
 * and holder fields; nothing under it sleeps.  pmem_blk_lock (a mutex)
 * serialises blkdev_sync_pmem(), which owns pmem_devs[].
 */
#include <drivers/blkdev.h>
#include <drivers/pmem.h>
#include <drivers/namespace.h>
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
static struct blkdev pmem_devs[BLKDEV_MAX];	/* pmem_blk_lock */
static struct mutex pmem_blk_lock = {
	.name = "pmem_blk",
	.wq = WAIT_QUEUE_INIT(pmem_blk_lock.wq, "pmem_blk"),
};

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

/* Does @bd (registered) still stand for namespace @ns under name @name? */
static bool same_ns(const struct blkdev *bd, const struct pmem_namespace *ns, const char *name)
{
	return bd->pmem && bd->pmem->index == ns->region && bd->pmem_off == ns->offset &&
	       bd->size == ns->size && !strcmp(bd->name, name);
}

/* Register namespace @ns as @name in a free slot of pmem_devs[]. */
static void add_ns(const struct pmem_namespace *ns, const char *name)
{
	struct blkdev *bd = NULL;
	int err;

	for (unsigned i = 0; i < BLKDEV_MAX && !bd; i++)
		if (!pmem_devs[i].registered)
			bd = &pmem_devs[i];
	if (!bd) {
		kprintf("blkdev: %s not registered (%s)\n", name, strerror(ENOSPC));
		return;
	}
	memset(bd, 0, sizeof(*bd));
	strlcpy(bd->name, name, sizeof(bd->name));
	bd->size = ns->size;
	bd->pmem = pmem_region(ns->region);
	bd->pmem_off = ns->offset;
	err = blkdev_register(bd);
	if (err == -EEXIST)
		kprintf("blkdev: %s not registered: a mounted device still has that name "
			"(unmount it and run namespace list)\n", name);
	else if (err)
		kprintf("blkdev: %s not registered (%s)\n", name, strerror(err));
}

/**
 * blkdev_sync_pmem - make the pmem devices match the namespaces: a device
 * whose namespace is gone (or renamed) is unregistered unless a mount
 * holds it, and each namespace without a device gets one.  Boot (from
 * blkdev_register_pmem) and after every namespace create or destroy.
 * Thread context, may sleep; takes pmem_blk_lock, then the namespace
 * module's lock (through pmem_namespace_list) and blk_lock.
 */
void blkdev_sync_pmem(void)
{
	static struct pmem_namespace all[BLKDEV_MAX];	/* pmem_blk_lock */
	static char names[BLKDEV_MAX][NS_NAME_MAX];	/* pmem_blk_lock */
	unsigned n;

	mutex_lock(&pmem_blk_lock);
	n = pmem_namespace_list(all, BLKDEV_MAX);
	if (n > BLKDEV_MAX) {
		kprintf("blkdev: %u namespaces, only the first %u get a device\n", n, BLKDEV_MAX);
		n = BLKDEV_MAX;
	}
	for (unsigned j = 0; j < n; j++)
		pmem_namespace_dev_name(&all[j], names[j], sizeof(names[j]));
	for (unsigned i = 0; i < BLKDEV_MAX; i++) {
		struct blkdev *bd = &pmem_devs[i];
		bool keep = false;

		if (!bd->registered)
			continue;
		for (unsigned j = 0; j < n && !keep; j++)
			keep = same_ns(bd, &all[j], names[j]);
		if (!keep && blkdev_unregister(bd) == -EBUSY)
			kprintf("blkdev: %s stays until it is unmounted: its namespace changed\n",
				bd->name);
	}
	for (unsigned j = 0; j < n; j++) {
		bool have = false;

		for (unsigned i = 0; i < BLKDEV_MAX && !have; i++)
			have = pmem_devs[i].registered && same_ns(&pmem_devs[i], &all[j], names[j]);
		if (!have)
			add_ns(&all[j], names[j]);
	}
	mutex_unlock(&pmem_blk_lock);
}

void blkdev_register_pmem(void)
{
	blkdev_sync_pmem();
}

void blk_dma_window_init(struct blk_dma_window *w, uint64_t pa)
{
	w->pa = pa;
	spin_lock_init(&w->lock, "blk_dma_window");
	w->users = 1;			/* the owner's */
	w->mapped = false;
	w->failed = false;
	w->iova = 0;
	w->unmap = NULL;
	w->dev = NULL;
}

void blk_dma_window_put(struct blk_dma_window *w)
{
	unsigned long f = spin_lock_irqsave(&w->lock);

	if (--w->users == 0 && w->mapped) {
		w->unmap(w);
		w->mapped = false;
	}
	spin_unlock_irqrestore(&w->lock, f);
}
