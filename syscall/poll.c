/*
 * poll.c - waiting on several descriptors: poll(2), ppoll(2), select(2),
 * pselect6(2), and poll_wait() for the files that can say when they
 * become ready (include/fs/vfs.h, struct file_ops.poll).
 *
 * One loop serves all four (do_poll): mark the thread BLOCKED, ask every
 * file for its readiness with the thread queued (poll_wait) on the queues
 * that announce a change, and sleep only if nothing is ready, no signal
 * is pending and the deadline has not passed; any wake-up scans again.
 * Queueing before looking is what makes a wake-up between the look and
 * the sleep impossible to lose, as in wait_event().  A file without a
 * poll op (a holdfs file, a directory, a block device, /dev/dma0) is
 * always ready to read and write, as regular files are on Linux.
 *
 * A signal ends the wait with -ERESTARTNOHAND: the program sees EINTR
 * after its handler, never a restart (poll and select are not restarted
 * on Linux either).  ppoll and pselect6 install their signal mask for the
 * wait (signal_mask_temporarily), so a signal unblocked only during the
 * wait is not lost.  select writes back the time left, as Linux does.
 *
 * Locking: the poll table is the calling thread's own; each file's poll op
 * takes its own spinlock.
 */
#include "sys_int.h"
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/sync.h>
#include <kernel/timer.h>
#include <kernel/uaccess.h>
#include <fs/vfs.h>
#include <lib/errno.h>
#include <lib/string.h>

#define POLL_MAX_FDS	VFS_MAX_FILES	/* RLIMIT_NOFILE: more is -EINVAL */
#define FD_SETSIZE	1024
#define NO_DEADLINE	UINT64_MAX

/* Linux's fs/select.c sets: what counts as readable/writable/exceptional. */
#define POLLIN_SET	(POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET	(POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET	POLLPRI
#define DEFAULT_MASK	(POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

struct pollfd_user {		/* struct pollfd */
	int32_t fd;
	int16_t events, revents;
};

struct timespec_user {
	int64_t tv_sec, tv_nsec;
};

/* The queues the calling thread is on while it polls: one entry per file
 * at most per scan (pipes and the console announce on one queue). */
struct poll_table {
	unsigned n, max;
	struct { struct wait_queue *wq; struct waiter w; } *e;
};

void poll_wait(struct poll_table *pt, struct wait_queue *wq)
{
	if (!pt || pt->n >= pt->max)
		return;		/* a scan that only looks, or full: woken by another */
	pt->e[pt->n].wq = wq;
	memset(&pt->e[pt->n].w, 0, sizeof(pt->e[pt->n].w));
	prepare_to_wait(wq, &pt->e[pt->n].w);
	pt->n++;
}

static void poll_unqueue(struct poll_table *pt)
{
	for (unsigned i = 0; i < pt->n; i++)
		finish_wait(pt->e[i].wq, &pt->e[i].w);
	pt->n = 0;
}

/* One descriptor's readiness, or POLLNVAL for a closed one. */
static unsigned file_mask(int fd, struct poll_table *pt)
{
	struct file *f;
	const struct file_ops *ops;
	unsigned mask;

	if (fd < 0)
		return 0;
	f = fd_file(fd);
	if (!f)
		return POLLNVAL;
	ops = file_fops(f);
	mask = ops && ops->poll ? ops->poll(f, pt) : DEFAULT_MASK;
	file_put(f);
	return mask;
}

/*
 * The request as both calls see it: @nfd descriptors, what each wants
 * (@want, POLL* bits; POLLERR/POLLHUP/POLLNVAL are always reported), and
 * the answer in @got.  Returns how many have an answer, 0 at the
 * deadline, -ERESTARTNOHAND for a signal.
 */
static int do_poll(unsigned nfd, const int *fds, const unsigned *want, unsigned *got,
		   uint64_t deadline)
{
	struct poll_table pt = { .max = nfd };
	int ready = 0;

	pt.e = nfd ? kzalloc(nfd * sizeof(*pt.e)) : NULL;
	if (nfd && !pt.e)
		return -ENOMEM;
	for (;;) {
		preempt_disable();
		sched_set_blocked();
		preempt_enable();
		ready = 0;
		for (unsigned i = 0; i < nfd; i++) {
			unsigned m = file_mask(fds[i], &pt);

			got[i] = m & (want[i] | POLLERR | POLLHUP | POLLNVAL);
			if (got[i])
				ready++;
		}
		if (ready || deadline == 0 || time_ns() >= deadline)
			break;
		if (thread_interrupted() || signal_unblocked_pending()) {
			ready = -ERESTARTNOHAND;
			break;
		}
		if (deadline == NO_DEADLINE)
			schedule();
		else
			sched_sleep_until(deadline);
		poll_unqueue(&pt);
	}
	poll_unqueue(&pt);
	sched_set_running();
	if (ready == -ERESTARTNOHAND)
		thread_interrupt_clear();
	kfree(pt.e);
	return ready;
}

/* A deadline @ns from now; NO_DEADLINE stays. */
static uint64_t deadline_in(uint64_t ns)
{
	uint64_t now = time_ns();

	return ns >= NO_DEADLINE - now ? NO_DEADLINE - 1 : now + ns;
}

static int poll_common(uint64_t ufds, uint64_t nfds, uint64_t deadline)
{
	struct pollfd_user *pfd;
	int *fds;
	unsigned *want, *got;
	int r;

	if (nfds > POLL_MAX_FDS)
		return -EINVAL;
	pfd = kmalloc(nfds * sizeof(*pfd) + 1);
	fds = kmalloc(nfds * sizeof(int) + 1);
	want = kmalloc(nfds * sizeof(unsigned) + 1);
	got = kmalloc(nfds * sizeof(unsigned) + 1);
	r = -ENOMEM;
	if (!pfd || !fds || !want || !got)
		goto out;
	r = -EFAULT;
	if (nfds && copy_from_user(pfd, ufds, nfds * sizeof(*pfd)))
		goto out;
	for (unsigned i = 0; i < nfds; i++) {
		fds[i] = pfd[i].fd;
		want[i] = (uint16_t)pfd[i].events;
	}
	r = do_poll((unsigned)nfds, fds, want, got, deadline);
	if (r >= 0) {
		for (unsigned i = 0; i < nfds; i++)
			pfd[i].revents = (int16_t)got[i];
		if (nfds && copy_to_user(ufds, pfd, nfds * sizeof(*pfd)))
			r = -EFAULT;
	}
out:
	kfree(pfd);
	kfree(fds);
	kfree(want);
	kfree(got);
	return r;
}

static int timespec_deadline(uint64_t uts, uint64_t *deadline)
{
	struct timespec_user ts;

	if (!uts) {
		*deadline = NO_DEADLINE;
		return 0;
	}
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	if (ts.tv_sec == 0 && ts.tv_nsec == 0)
		*deadline = 0;
	else if ((uint64_t)ts.tv_sec > (NO_DEADLINE / 1000000000ULL) - 1)
		*deadline = NO_DEADLINE;
	else
		*deadline = deadline_in((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
	return 0;
}

/* The sigmask argument of ppoll/pselect6: installed for the wait. */
static int temp_sigmask(uint64_t uset, uint64_t size)
{
	uint64_t set;

	if (!uset)
		return 0;
	if (size != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	signal_mask_temporarily(set);
	return 0;
}

/* poll(fds, nfds, timeout_ms): a negative timeout waits for ever. */
SYS(sys_poll)
{
	int timeout = (int)a2;
	uint64_t deadline = timeout < 0 ? NO_DEADLINE :
			    timeout == 0 ? 0 : deadline_in((uint64_t)timeout * 1000000ULL);

	return poll_common(a0, a1, deadline);
}

/* ppoll(fds, nfds, tsp, sigmask, sigsetsize) */
SYS(sys_ppoll)
{
	uint64_t deadline;
	int r = timespec_deadline(a2, &deadline);

	if (!r)
		r = temp_sigmask(a3, a4);
	if (r)
		return r;
	r = poll_common(a0, a1, deadline);
	if (r != -ERESTARTNOHAND)
		signal_mask_restore();
	return r;
}

/* ---------------------------------------------------------------- select */

static bool bit(const uint64_t *set, unsigned fd)
{
	return set && (set[fd / 64] >> (fd % 64)) & 1;
}

/* select's three sets in, the answer out: fd_sets of @nfds bits. */
static int select_common(uint64_t nfds_arg, uint64_t ur, uint64_t uw, uint64_t ue,
			 uint64_t deadline)
{
	uint64_t in[3][FD_SETSIZE / 64], out[3][FD_SETSIZE / 64];
	const uint64_t uset[3] = { ur, uw, ue };
	unsigned nfds, words, n = 0;
	int fds[POLL_MAX_FDS] = { 0 };
	unsigned want[POLL_MAX_FDS] = { 0 }, got[POLL_MAX_FDS];
	size_t bytes;
	int r;

	if ((int64_t)nfds_arg < 0 || (int)nfds_arg < 0)
		return -EINVAL;
	nfds = (unsigned)nfds_arg;
	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;	/* Linux clamps to the table's size too */
	words = (nfds + 63) / 64;
	bytes = words * sizeof(uint64_t);
	memset(in, 0, sizeof(in));
	for (int s = 0; s < 3; s++)
		if (uset[s] && bytes && copy_from_user(in[s], uset[s], bytes))
			return -EFAULT;
	for (unsigned fd = 0; fd < nfds; fd++) {
		unsigned w = (bit(in[0], fd) ? POLLIN_SET : 0) |
			     (bit(in[1], fd) ? POLLOUT_SET : 0) |
			     (bit(in[2], fd) ? POLLEX_SET : 0);
		if (!w)
			continue;
		if (n >= POLL_MAX_FDS)
			return -EINVAL;
		fds[n] = (int)fd;
		want[n++] = w;
	}
	r = do_poll(n, fds, want, got, deadline);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < n; i++)
		if (got[i] & POLLNVAL)
			return -EBADF;	/* select names a closed descriptor */
	memset(out, 0, sizeof(out));
	r = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned fd = (unsigned)fds[i];
		unsigned g = got[i];

		if ((g & POLLIN_SET) && bit(in[0], fd)) {
			out[0][fd / 64] |= 1ULL << (fd % 64);
			r++;
		}
		if ((g & POLLOUT_SET) && bit(in[1], fd)) {
			out[1][fd / 64] |= 1ULL << (fd % 64);
			r++;
		}
		if ((g & POLLEX_SET) && bit(in[2], fd)) {
			out[2][fd / 64] |= 1ULL << (fd % 64);
			r++;
		}
	}
	for (int s = 0; s < 3; s++)
		if (uset[s] && bytes && copy_to_user(uset[s], out[s], bytes))
			return -EFAULT;
	return r;
}

struct timeval_user {
	int64_t tv_sec, tv_usec;
};

/* select(nfds, readfds, writefds, exceptfds, timeout) */
SYS(sys_select)
{
	struct timeval_user tv;
	uint64_t deadline = NO_DEADLINE;
	int r;

	if (a4) {
		if (copy_from_user(&tv, a4, sizeof(tv)))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		/* Whole seconds in tv_usec carry over, as Linux's kern_select(). */
		if (tv.tv_sec > INT64_MAX - tv.tv_usec / 1000000)
			tv.tv_sec = INT64_MAX;
		else
			tv.tv_sec += tv.tv_usec / 1000000;
		tv.tv_usec %= 1000000;
		if (tv.tv_sec == 0 && tv.tv_usec == 0)
			deadline = 0;
		else if ((uint64_t)tv.tv_sec < NO_DEADLINE / 1000000000ULL - 1)
			deadline = deadline_in((uint64_t)tv.tv_sec * 1000000000ULL +
					       (uint64_t)tv.tv_usec * 1000ULL);
	}
	r = select_common(a0, a1, a2, a3, deadline);
	if (a4 && deadline != NO_DEADLINE && r != -EFAULT) {
		/* The time left, as Linux writes it back. */
		uint64_t now = time_ns(), left = deadline > now ? deadline - now : 0;

		tv.tv_sec = (int64_t)(left / 1000000000ULL);
		tv.tv_usec = (int64_t)(left % 1000000000ULL / 1000ULL);
		if (copy_to_user(a4, &tv, sizeof(tv)) && r >= 0)
			r = -EFAULT;
	}
	return r;
}

/* pselect6(nfds, r, w, e, timespec, {const sigset_t *ss; size_t ss_len}) */
SYS(sys_pselect6)
{
	uint64_t deadline, sig[2] = { 0, 0 };
	int r = timespec_deadline(a4, &deadline);

	if (r)
		return r;
	if (a5 && copy_from_user(sig, a5, sizeof(sig)))
		return -EFAULT;
	r = temp_sigmask(sig[0], sig[1]);
	if (r)
		return r;
	r = select_common(a0, a1, a2, a3, deadline);
	if (r != -ERESTARTNOHAND)
		signal_mask_restore();
	return r;
}
