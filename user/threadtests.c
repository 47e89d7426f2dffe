/*
 * threadtests.c - threads (musl's pthreads on clone(CLONE_THREAD) and
 * futex), in KTAP: create and join, a mutex-protected sum over threads
 * that run on every CPU, condition variables, thread-local storage, one
 * thread exiting while the others run, exit_group and a fault from a
 * thread ending the whole process, tgkill to one thread, futex's
 * answers (EAGAIN, ETIMEDOUT, EFAULT, EINVAL), and threads seen on
 * CPUS different CPUs (getcpu), a thread's fault caught by a handler
 * that siglongjmps, and execve from a thread ending the others.
 *
 * Run: /bin/threadtests [CPUS] at the prompt (tests/boots.py: "user-threadtests").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

/* include/uapi/linux/futex.h (musl-gcc has no kernel headers) */
#define FUTEX_WAIT		0
#define FUTEX_WAKE		1
#define FUTEX_PRIVATE_FLAG	128
#define FUTEX_WAIT_PRIVATE	(FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE	(FUTEX_WAKE | FUTEX_PRIVATE_FLAG)

#define NTHREADS	4
#define ROUNDS		20000

static void *ret_arg(void *arg)
{
	return (void *)((uintptr_t)arg * 3);
}

static void t_create_join(void)
{
	pthread_t t[NTHREADS];
	void *r;

	for (uintptr_t i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&t[i], NULL, ret_arg, (void *)(i + 1)) == 0);
	for (uintptr_t i = 0; i < NTHREADS; i++) {
		CHECK(pthread_join(t[i], &r) == 0);
		CHECK((uintptr_t)r == (i + 1) * 3);
	}
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *add_locked(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static void t_mutex_sum(void)
{
	pthread_t t[NTHREADS];

	counter = 0;
	for (int i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&t[i], NULL, add_locked, NULL) == 0);
	add_locked(NULL);
	for (int i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	CHECK(counter == (long)(NTHREADS + 1) * ROUNDS);
}

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int queue_items, consumed;
static bool done_producing;

static void *consumer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (!queue_items && !done_producing)
			pthread_cond_wait(&cv, &mu);
		if (!queue_items && done_producing)
			break;
		queue_items--;
		consumed++;
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void t_cond(void)
{
	pthread_t t[2];

	queue_items = consumed = 0;
	done_producing = false;
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, consumer, NULL) == 0);
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&mu);
		queue_items++;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
		if (i % 50 == 0)
			usleep(1000);
	}
	pthread_mutex_lock(&mu);
	done_producing = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	CHECK(consumed == 500 && queue_items == 0);
}

static __thread int tls_value;
static void *tls_check(void *arg)
{
	tls_value = (int)(uintptr_t)arg;
	usleep(5000);
	return (void *)(uintptr_t)(tls_value == (int)(uintptr_t)arg && gettid() != getpid());
}

static void t_tls_tids(void)
{
	pthread_t t[NTHREADS];
	void *r;

	tls_value = 99;
	for (uintptr_t i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&t[i], NULL, tls_check, (void *)(i + 10)) == 0);
	for (int i = 0; i < NTHREADS; i++) {
		CHECK(pthread_join(t[i], &r) == 0);
		CHECK(r == (void *)1);
	}
	CHECK(tls_value == 99 && gettid() == getpid());
}

static volatile int keep_running;
static volatile long spins;
static void *spinner(void *arg)
{
	(void)arg;
	while (keep_running)
		__atomic_add_fetch(&spins, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *quitter(void *arg)
{
	(void)arg;
	pthread_exit((void *)42);
}

static void t_exit_while_others_run(void)
{
	pthread_t s, q;
	void *r;
	long before;

	keep_running = 1;
	spins = 0;
	CHECK(pthread_create(&s, NULL, spinner, NULL) == 0);
	CHECK(pthread_create(&q, NULL, quitter, NULL) == 0);
	CHECK(pthread_join(q, &r) == 0 && r == (void *)42);
	before = spins;
	usleep(20000);
	CHECK(spins > before);		/* still running */
	keep_running = 0;
	CHECK(pthread_join(s, NULL) == 0);
}

static void *exiter(void *arg)
{
	(void)arg;
	usleep(10000);
	exit(5);			/* exit_group: the whole process */
}

static void *faulter(void *arg)
{
	volatile int *volatile p = (volatile int *)arg;

	usleep(10000);
	*p = 1;
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		usleep(100000);
	return NULL;
}

static void t_exit_group_from_thread(void)
{
	int st;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		pthread_t a, b;
		pthread_create(&b, NULL, sleeper, NULL);
		pthread_create(&a, NULL, exiter, NULL);
		pthread_join(b, NULL);		/* never returns */
		_exit(1);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5);
}

static void t_fault_kills_group(void)
{
	int st;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		pthread_t a, b;
		keep_running = 1;
		pthread_create(&b, NULL, spinner, NULL);
		pthread_create(&a, NULL, faulter, (void *)8);
		pthread_join(b, NULL);
		_exit(1);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

static volatile pid_t handled_by;
static void on_usr1(int sig)
{
	(void)sig;
	handled_by = gettid();
}

static volatile pid_t target_tid;
static void *waiter(void *arg)
{
	(void)arg;
	target_tid = gettid();
	while (!handled_by)
		usleep(1000);
	return NULL;
}

static void t_tgkill_thread(void)
{
	pthread_t t;

	handled_by = 0;
	target_tid = 0;
	signal(SIGUSR1, on_usr1);
	CHECK(pthread_create(&t, NULL, waiter, NULL) == 0);
	while (!target_tid)
		usleep(1000);
	CHECK(pthread_kill(t, SIGUSR1) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(handled_by == target_tid && handled_by != getpid());
	CHECK(syscall(SYS_tgkill, getpid(), 999999, SIGUSR1) == -1 && errno == ESRCH);
	signal(SIGUSR1, SIG_DFL);
}

static long futex(void *addr, int op, int val, const struct timespec *ts)
{
	long r = syscall(SYS_futex, addr, op, val, ts, 0, 0);
	return r < 0 ? -errno : r;
}

static void t_futex_errors(void)
{
	static int word = 7;
	struct timespec ts = { 0, 20 * 1000 * 1000 }, bad = { 0, 2000000000 };
	struct timespec t0, t1;

	CHECK(futex(&word, FUTEX_WAIT_PRIVATE, 8, NULL) == -EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(futex(&word, FUTEX_WAIT_PRIVATE, 7, &ts) == -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) >= 15000000L);
	CHECK(futex(&word, FUTEX_WAIT_PRIVATE, 7, &bad) == -EINVAL);
	CHECK(futex((char *)&word + 1, FUTEX_WAIT_PRIVATE, 7, NULL) == -EINVAL);
	CHECK(futex(NULL, FUTEX_WAIT, 0, NULL) == -EFAULT);
	CHECK(futex((void *)0xffff800000000000UL, FUTEX_WAKE, 1, NULL) == -EFAULT);
	CHECK(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL) == 0);	/* nobody waits */
	CHECK(futex(&word, 99, 1, NULL) == -ENOSYS);
	CHECK(syscall(SYS_clone, CLONE_THREAD, 0, 0, 0, 0) == -1 && errno == EINVAL);
}

/* Many short-lived threads: nothing leaks, tids keep coming. */
static void t_many_threads(void)
{
	for (int round = 0; round < 50; round++) {
		pthread_t t[3];
		void *r;
		for (uintptr_t i = 0; i < 3; i++)
			CHECK(pthread_create(&t[i], NULL, ret_arg, (void *)i) == 0);
		for (uintptr_t i = 0; i < 3; i++)
			CHECK(pthread_join(t[i], &r) == 0 && (uintptr_t)r == i * 3);
	}
}

/* With CPUS > 1 (the argument), threads must be seen on that many CPUs. */
static int expect_cpus = 1;
static volatile unsigned cpus_seen;
static void *where(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200000 && keep_running; i++) {
		unsigned c;
		if (syscall(SYS_getcpu, &c, NULL, NULL) == 0 && c < 32)
			__atomic_or_fetch(&cpus_seen, 1u << c, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void t_several_cpus(void)
{
	pthread_t t[NTHREADS];
	unsigned c;

	CHECK(syscall(SYS_getcpu, &c, NULL, NULL) == 0);
	CHECK(syscall(SYS_getcpu, (void *)8, NULL, NULL) == -1 && errno == EFAULT);
	cpus_seen = 0;
	keep_running = 1;
	for (int i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&t[i], NULL, where, NULL) == 0);
	for (int i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	CHECK(__builtin_popcount(cpus_seen) >= expect_cpus);
}

/*
 * munmap by one thread reaches the TLB of another thread's CPU: the
 * reader keeps the page's translation warm on its CPU; once the main
 * thread (on another CPU) has unmapped it, the reader's next load must
 * fault, which (no handler) ends the process with SIGSEGV.  A flush of
 * only the unmapping CPU lets it read the freed frame and exit 0.  Run in
 * a child so the death is the answer.  With one CPU there is no other TLB
 * to reach: the case says so.
 */
static volatile char *um_page;
static volatile int um_cpu = -1, um_unmapped;

static void *um_reader(void *arg)
{
	static volatile char sink;
	unsigned c;

	(void)arg;
	while (!um_unmapped) {
		sink += um_page[0];
		if (syscall(SYS_getcpu, &c, NULL, NULL) == 0)
			um_cpu = (int)c;
	}
	sink += um_page[0];	/* must fault */
	return NULL;
}

static int um_child(void)
{
	pthread_t t;
	unsigned me;
	long tries = 0;

	um_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (um_page == MAP_FAILED)
		return 2;
	um_page[0] = 'x';
	if (pthread_create(&t, NULL, um_reader, NULL))
		return 3;
	/* Wait until the reader runs on another CPU than this thread. */
	while (syscall(SYS_getcpu, &me, NULL, NULL) == 0 &&
	       (um_cpu < 0 || (unsigned)um_cpu == me))
		if (++tries > 20000000)
			return 4;
	if (munmap((void *)um_page, 4096))
		return 5;
	um_unmapped = 1;
	pthread_join(t, NULL);
	return 0;		/* the reader read an unmapped page */
}

static void t_munmap_reaches_other_cpu(void)
{
	int st;
	pid_t pid;

	if (expect_cpus < 2) {
		printf("# munmap_reaches_other_cpu: one CPU, no other TLB to reach\n");
		return;
	}
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(um_child());
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

/* A thread's own fault caught by a handler that siglongjmps back into the
 * thread, on the thread's stack and then on its own sigaltstack. */
static __thread sigjmp_buf ht_jb;
static __thread volatile int ht_caught;

static void ht_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGSEGV && si->si_addr == NULL)
		ht_caught++;
	siglongjmp(ht_jb, 1);
}

static void *ht_thread(void *arg)
{
	static char altstack[2][16384];
	stack_t ss = { .ss_sp = altstack[(uintptr_t)arg], .ss_size = sizeof(altstack[0]) };

	if ((uintptr_t)arg && sigaltstack(&ss, NULL))
		return (void *)1;
	for (int i = 0; i < 3; i++)
		if (!sigsetjmp(ht_jb, 1))
			*(volatile int *)0 = i;
	return (void *)(uintptr_t)(ht_caught == 3 ? 42 : 2);
}

static void t_handler_in_thread(void)
{
	struct sigaction sa = { .sa_sigaction = ht_handler, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	struct sigaction old;
	pthread_t t;
	void *r;

	CHECK(sigaction(SIGSEGV, &sa, &old) == 0);
	for (uintptr_t alt = 0; alt < 2; alt++) {
		r = NULL;
		CHECK(pthread_create(&t, NULL, ht_thread, (void *)alt) == 0);
		CHECK(pthread_join(t, &r) == 0);
		if ((uintptr_t)r != 42) {
			snprintf(why, sizeof(why), "thread %s sigaltstack returned %lu (42: three faults caught)",
				 alt ? "with" : "without", (unsigned long)(uintptr_t)r);
			failed_checks++;
			break;
		}
	}
	CHECK(sigaction(SIGSEGV, &old, NULL) == 0);
}

/* execve from a thread that is not the first, while the others sleep in
 * the kernel (the main thread in pthread_join, one in nanosleep) or spin
 * in user mode: they end, the exec'd program runs alone with its pid as
 * its thread id, in the same process (the parent's waitpid sees its exit). */
#define EXEC_PROBE_CODE	42
static volatile int ex_spin = 1;

static void *ex_sleeper(void *arg)
{
	(void)arg;
	for (;;)
		sleep(10);
	return NULL;
}

static void *ex_spinner(void *arg)
{
	(void)arg;
	while (ex_spin)
		;
	return NULL;
}

static void *ex_execer(void *arg)
{
	char *argv[] = { (char *)arg, "--exec-probe", NULL };
	char *envp[] = { NULL };

	usleep(20000);		/* let the others settle where they wait */
	execve(argv[0], argv, envp);
	_exit(3);		/* execve failed */
}

static int ex_child(const char *self)
{
	pthread_t s1, s2, e;

	if (pthread_create(&s1, NULL, ex_sleeper, NULL) ||
	    pthread_create(&s2, NULL, ex_spinner, NULL) ||
	    pthread_create(&e, NULL, ex_execer, (void *)self))
		return 2;
	pthread_join(e, NULL);	/* never returns: the execve ends us */
	return 4;
}

static const char *self_path = "/bin/threadtests";

static void t_execve_from_thread(void)
{
	int st;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0)
		_exit(ex_child(self_path));
	CHECK(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != EXEC_PROBE_CODE) {
		snprintf(why, sizeof(why), "execve from a thread: wait status 0x%x (want exit %d)",
			 st, EXEC_PROBE_CODE);
		failed_checks++;
	}
}

static const struct ktap_test tests[] = {
	{ "create_join", t_create_join },
	{ "mutex_sum", t_mutex_sum },
	{ "cond", t_cond },
	{ "tls_tids", t_tls_tids },
	{ "exit_while_others_run", t_exit_while_others_run },
	{ "exit_group_from_thread", t_exit_group_from_thread },
	{ "fault_kills_group", t_fault_kills_group },
	{ "tgkill_thread", t_tgkill_thread },
	{ "futex_errors", t_futex_errors },
	{ "many_threads", t_many_threads },
	{ "several_cpus", t_several_cpus },
	{ "munmap_reaches_other_cpu", t_munmap_reaches_other_cpu },
	{ "handler_in_thread", t_handler_in_thread },
	{ "execve_from_thread", t_execve_from_thread },
};

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--exec-probe"))
		/* the image execve_from_thread starts: alone, tid == pid */
		return syscall(SYS_gettid) == getpid() ? EXEC_PROBE_CODE : 5;
	self_path = argv[0];
	if (argc > 1)
		expect_cpus = atoi(argv[1]);
	return ktap_run("threadtests", tests, KTAP_COUNT(tests));
}
