/*
 * sys_arch.c - lwIP's operating-system layer (lwIP doc/sys_arch.txt) over
 * Holdfast's kernel: semaphores and mailboxes are a spinlock, a count or
 * a ring, and wait queues; lwIP's mutex is a kernel mutex; its threads
 * are kernel threads (detached: lwIP never joins); sys_now() is the
 * monotonic clock in milliseconds; the lightweight critical section
 * (SYS_ARCH_PROTECT) is one recursive kernel mutex.
 *
 * Context: every call here is for thread context (lwIP runs only in
 * threads: the tcpip thread, the rx thread of net/netif.c and the NBD
 * threads); none is called from an interrupt handler, so a sleeping lock
 * may serve as lwIP's critical section.  The waits are not interruptible:
 * lwIP has no way to back out of them.
 *
 * Locking: each semaphore's and mailbox's own spinlock (irqsave not
 * needed, thread context only, but taken irqsave to be safe from any
 * future caller) guards its count or ring; wait queues do the sleeping.
 * protect_lock (a mutex) with protect_owner/protect_depth makes the
 * critical section recursive, as lwIP allows nesting.
 */
#include <kernel/mm.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <arch/x86_64/cpu.h>
#include <lib/string.h>
#include <stdarg.h>

#include "lwip/opt.h"
#include "lwip/sys.h"
#include "lwip/err.h"
#include "lwip/tcpip.h"

#define NS_PER_MS	1000000ull

/* ------------------------------------------------------------ misc ---- */

void lwip_port_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void lwip_port_assert(const char *msg, const char *file, int line)
{
	panic("lwIP assertion \"%s\" failed at %s:%d", msg, file, line);
}

/* xorshift64 seeded from the TSC: DHCP transaction ids, TCP ports and
 * initial sequence numbers.  Not cryptographic. */
uint32_t lwip_port_rand(void)
{
	static uint64_t state;
	uint64_t x = __atomic_load_n(&state, __ATOMIC_RELAXED);

	if (!x)
		x = rdtsc() | 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	__atomic_store_n(&state, x, __ATOMIC_RELAXED);
	return (uint32_t)(x >> 16);
}

void *lwip_port_malloc(size_t size) { return kmalloc(size ? size : 1); }
void *lwip_port_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return kzalloc(n && size ? n * size : 1);
}
void lwip_port_free(void *p) { kfree(p); }

static struct mutex protect_lock;	/* set up by sys_init() */
static struct thread *protect_owner;	/* protect_lock */
static unsigned protect_depth;		/* protect_lock */

/* Called by lwip_init() before anything else of lwIP runs (and by the
 * net test suite, which may run without a network card): once. */
void sys_init(void)
{
	static bool done;

	if (!__atomic_exchange_n(&done, true, __ATOMIC_ACQ_REL))
		mutex_init(&protect_lock, "lwip_protect");
}

u32_t sys_now(void)
{
	return (u32_t)(time_ns() / NS_PER_MS);
}

/* ---------------------------------------------- critical section ---- */

sys_prot_t sys_arch_protect(void)
{
	if (READ_ONCE(protect_owner) == current_thread()) {
		protect_depth++;
		return 0;
	}
	mutex_lock(&protect_lock);
	protect_owner = current_thread();
	protect_depth = 1;
	return 0;
}

void sys_arch_unprotect(sys_prot_t pval)
{
	(void)pval;
	if (--protect_depth == 0) {
		WRITE_ONCE(protect_owner, NULL);
		mutex_unlock(&protect_lock);
	}
}

/* ------------------------------------------------------ semaphores ---- */

struct lwip_port_sem {
	spinlock_t lock;
	unsigned count;			/* lock */
	struct wait_queue wq;
};

err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
	struct lwip_port_sem *s = kzalloc(sizeof(*s));

	if (!s)
		return ERR_MEM;
	spin_lock_init(&s->lock, "lwip_sem");
	wait_queue_init(&s->wq);
	s->count = count;
	*sem = s;
	return ERR_OK;
}

void sys_sem_free(sys_sem_t *sem)
{
	kfree(*sem);
	*sem = NULL;
}

void sys_sem_signal(sys_sem_t *sem)
{
	struct lwip_port_sem *s = *sem;
	unsigned long f = spin_lock_irqsave(&s->lock);

	s->count++;
	spin_unlock_irqrestore(&s->lock, f);
	wake_up_one(&s->wq);
}

static bool sem_take(struct lwip_port_sem *s)
{
	unsigned long f = spin_lock_irqsave(&s->lock);
	bool got = s->count > 0;

	if (got)
		s->count--;
	spin_unlock_irqrestore(&s->lock, f);
	return got;
}

/* Milliseconds waited, or SYS_ARCH_TIMEOUT; @timeout 0 waits for ever. */
u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout)
{
	struct lwip_port_sem *s = *sem;
	uint64_t start = time_ns();

	if (timeout == 0)
		wait_event(&s->wq, sem_take(s));
	else if (wait_event_timeout(&s->wq, sem_take(s), (uint64_t)timeout * NS_PER_MS))
		return SYS_ARCH_TIMEOUT;
	return (u32_t)((time_ns() - start) / NS_PER_MS);
}

/* --------------------------------------------------------- mutexes ---- */

struct lwip_port_mutex {
	struct mutex m;
};

err_t sys_mutex_new(sys_mutex_t *mutex)
{
	struct lwip_port_mutex *m = kzalloc(sizeof(*m));

	if (!m)
		return ERR_MEM;
	mutex_init(&m->m, "lwip_mutex");
	*mutex = m;
	return ERR_OK;
}

void sys_mutex_free(sys_mutex_t *mutex)
{
	kfree(*mutex);
	*mutex = NULL;
}

void sys_mutex_lock(sys_mutex_t *mutex) { mutex_lock(&(*mutex)->m); }
void sys_mutex_unlock(sys_mutex_t *mutex) { mutex_unlock(&(*mutex)->m); }

#ifdef KDEBUG
/* LWIP_ASSERT_CORE_LOCKED() (lwipopts.h): the calling thread holds the
 * TCPIP core lock, once tcpip_init() has made it (lwip_init() runs
 * before, alone). */
void lwip_port_assert_core_locked(void)
{
	if (sys_mutex_valid(&lock_tcpip_core))
		assert_held(&lock_tcpip_core->m);
}
#endif

/* -------------------------------------------------------- mailboxes ---- */

struct lwip_port_mbox {
	spinlock_t lock;
	unsigned size;
	unsigned head, count;		/* lock */
	struct wait_queue not_empty, not_full;
	void *msg[];			/* lock */
};

err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
	struct lwip_port_mbox *m;

	if (size <= 0)
		size = 16;
	m = kzalloc(sizeof(*m) + (size_t)size * sizeof(void *));
	if (!m)
		return ERR_MEM;
	spin_lock_init(&m->lock, "lwip_mbox");
	wait_queue_init(&m->not_empty);
	wait_queue_init(&m->not_full);
	m->size = (unsigned)size;
	*mbox = m;
	return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *mbox)
{
	struct lwip_port_mbox *m = *mbox;

	if (m && m->count)
		kprintf("lwip: a mailbox was freed with %u messages in it\n", m->count);
	kfree(m);
	*mbox = NULL;
}

static bool mbox_put(struct lwip_port_mbox *m, void *msg)
{
	unsigned long f = spin_lock_irqsave(&m->lock);
	bool ok = m->count < m->size;

	if (ok) {
		m->msg[(m->head + m->count) % m->size] = msg;
		m->count++;
	}
	spin_unlock_irqrestore(&m->lock, f);
	if (ok)
		wake_up_one(&m->not_empty);
	return ok;
}

static bool mbox_get(struct lwip_port_mbox *m, void **msg)
{
	unsigned long f = spin_lock_irqsave(&m->lock);
	bool ok = m->count > 0;
	void *x = NULL;

	if (ok) {
		x = m->msg[m->head];
		m->head = (m->head + 1) % m->size;
		m->count--;
	}
	spin_unlock_irqrestore(&m->lock, f);
	if (ok) {
		if (msg)
			*msg = x;
		wake_up_one(&m->not_full);
	}
	return ok;
}

void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
	wait_event(&(*mbox)->not_full, mbox_put(*mbox, msg));
}

err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
	return mbox_put(*mbox, msg) ? ERR_OK : ERR_MEM;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
	return sys_mbox_trypost(mbox, msg);
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout)
{
	struct lwip_port_mbox *m = *mbox;
	uint64_t start = time_ns();

	if (timeout == 0)
		wait_event(&m->not_empty, mbox_get(m, msg));
	else if (wait_event_timeout(&m->not_empty, mbox_get(m, msg),
				    (uint64_t)timeout * NS_PER_MS))
		return SYS_ARCH_TIMEOUT;
	return (u32_t)((time_ns() - start) / NS_PER_MS);
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
	return mbox_get(*mbox, msg) ? 0 : SYS_MBOX_EMPTY;
}

/* ---------------------------------------------------------- threads ---- */

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn thread, void *arg,
			    int stacksize, int prio)
{
	struct thread *t = thread_create(name, thread, arg);

	(void)stacksize;
	(void)prio;
	if (!t)
		panic("lwip: cannot create thread %s (no memory)", name);
	thread_detach(t);
	return t;
}
