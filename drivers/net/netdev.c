/*
 * netdev.c - the registry of Ethernet devices (include/drivers/netdev.h).
 *
 * Drivers register at probe; the network stack looks them up and attaches
 * its wake-up.  Entries are never removed.  netdev_lock (a spinlock)
 * guards the table while it grows and each device's wake fields while
 * they are set; readers take a snapshot of the count.
 */
#include <drivers/netdev.h>
#include <kernel/printk.h>
#include <kernel/sync.h>
#include <lib/compiler.h>
#include <lib/errno.h>
#include <lib/printf.h>

static spinlock_t netdev_lock = SPINLOCK_INIT("netdev");
static struct netdev *netdevs[NETDEV_MAX];	/* netdev_lock */
static unsigned nnetdevs;			/* netdev_lock; read: READ_ONCE */

int netdev_register(struct netdev *nd)
{
	unsigned long f = spin_lock_irqsave(&netdev_lock);
	unsigned i = nnetdevs;

	if (i == NETDEV_MAX) {
		spin_unlock_irqrestore(&netdev_lock, f);
		kprintf("net: %s: only %u network devices are supported\n", nd->device, NETDEV_MAX);
		return -ENOSPC;
	}
	snprintf(nd->name, sizeof(nd->name), "eth%u", i);
	nd->rx_loan_limit = nd->rx_loan_max;
	netdevs[i] = nd;
	__atomic_store_n(&nnetdevs, i + 1, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&netdev_lock, f);
	return 0;
}

struct netdev *netdev_get(unsigned i)
{
	return i < __atomic_load_n(&nnetdevs, __ATOMIC_ACQUIRE) ? netdevs[i] : NULL;
}

int netdev_attach(struct netdev *nd, void (*wake)(void *arg),
		  void (*tx_done)(void *arg, void *ref, size_t len, bool by_ref), void *arg)
{
	unsigned long f = spin_lock_irqsave(&netdev_lock);
	int err = -EBUSY;

	if (!nd->wake) {
		nd->wake_arg = arg;
		nd->tx_done = tx_done;
		__atomic_store_n(&nd->wake, wake, __ATOMIC_RELEASE);
		err = 0;
	}
	spin_unlock_irqrestore(&netdev_lock, f);
	return err;
}

void netdev_wake(struct netdev *nd)
{
	void (*wake)(void *) = __atomic_load_n(&nd->wake, __ATOMIC_ACQUIRE);

	if (wake)
		wake(nd->wake_arg);
}
