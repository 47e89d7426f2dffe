/*
 * futex.c - futex wait and wake (include/kernel/futex.h), after Linux's
 * kernel/futex/waitwake.c: a hash of buckets keyed by (mm, address), each
 * with a spinlock, a list of waiters and a wait queue they sleep on.
 *
 * No lost wake-up: the waiter reads the word and queues itself under the
 * bucket lock; a waker that changed the word before calling futex_wake
 * takes the same lock, so it either sees the waiter queued or the waiter
 * sees the new value (-EAGAIN).  The word is read with the lock held and
 * preemption off, so a fault cannot sleep there: a page not yet present
 * makes the read fail, and the wait faults it in without the lock and
 * tries again (Linux's get_futex_value_locked / fault_in_user_writeable).
 *
 * Locking: bucket->lock guards its waiter list and every waiter's woken
 * flag; it is a leaf lock (wake_up_all takes the wait queue's own lock
 * after it is dropped).
 */
#include <kernel/futex.h>
#include <kernel/sync.h>
#include <kernel/uaccess.h>
#include <lib/list.h>
#include <lib/errno.h>
#include <lib/compiler.h>

#define FUTEX_BUCKETS	64		/* a power of two */

struct futex_bucket {
	spinlock_t lock;
	struct list_node waiters;	/* lock: struct futex_waiter */
	struct wait_queue wq;
};

struct futex_waiter {
	struct mm *mm;
	uint64_t uaddr;
	bool woken;			/* bucket lock */
	struct list_node node;		/* bucket lock */
};

static struct futex_bucket buckets[FUTEX_BUCKETS];
static bool buckets_ready;		/* set once, under init_lock */
static spinlock_t init_lock = SPINLOCK_INIT("futex_init");

static struct futex_bucket *bucket_of(struct mm *mm, uint64_t uaddr)
{
	uint64_t h = ((uint64_t)mm >> 6) ^ (uaddr >> 2);

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	if (!__atomic_load_n(&buckets_ready, __ATOMIC_ACQUIRE)) {
		spin_lock(&init_lock);
		if (!buckets_ready) {
			for (int i = 0; i < FUTEX_BUCKETS; i++) {
				spin_lock_init(&buckets[i].lock, "futex_bucket");
				list_init(&buckets[i].waiters);
				wait_queue_init(&buckets[i].wq);
			}
			__atomic_store_n(&buckets_ready, true, __ATOMIC_RELEASE);
		}
		spin_unlock(&init_lock);
	}
	return &buckets[(h >> 58) & (FUTEX_BUCKETS - 1)];
}

static bool is_woken(struct futex_bucket *b, struct futex_waiter *w)
{
	bool r;

	spin_lock(&b->lock);
	r = w->woken;
	spin_unlock(&b->lock);
	return r;
}

int futex_wait(struct mm *mm, uint64_t uaddr, uint32_t val, uint64_t timeout_ns)
{
	struct futex_bucket *b;
	struct futex_waiter w = { .mm = mm, .uaddr = uaddr };
	uint32_t cur;
	int r, faults = 0;

	if (uaddr & 3)
		return -EINVAL;
	b = bucket_of(mm, uaddr);
	for (;;) {
		spin_lock(&b->lock);
		if (!copy_from_user(&cur, uaddr, sizeof(cur)))
			break;
		spin_unlock(&b->lock);
		/* Not present (or bad): fault it in without the lock. */
		if (faults++ || copy_from_user(&cur, uaddr, sizeof(cur)))
			return -EFAULT;
	}
	if (cur != val) {
		spin_unlock(&b->lock);
		return -EAGAIN;
	}
	list_add_tail(&b->waiters, &w.node);
	spin_unlock(&b->lock);

	if (timeout_ns)
		r = wait_event_interruptible_timeout(&b->wq, is_woken(b, &w), timeout_ns);
	else
		r = wait_event_interruptible(&b->wq, is_woken(b, &w));

	spin_lock(&b->lock);
	if (w.woken)
		r = 0;			/* a wake that came with the interrupt counts */
	else
		list_del(&w.node);
	spin_unlock(&b->lock);
	return r;
}

int futex_wake(struct mm *mm, uint64_t uaddr, int n)
{
	struct futex_bucket *b = bucket_of(mm, uaddr);
	struct futex_waiter *w, *tmp;
	int woken = 0;

	spin_lock(&b->lock);
	list_for_each_entry_safe(w, tmp, &b->waiters, node) {
		if (woken >= n)
			break;
		if (w->mm != mm || w->uaddr != uaddr)
			continue;
		list_del(&w->node);
		w->woken = true;
		woken++;
	}
	spin_unlock(&b->lock);
	if (woken)
		wake_up_all(&b->wq);
	return woken;
}
