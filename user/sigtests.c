/*
 * sigtests.c - signals with handlers, in KTAP like usertests: handlers
 * that run and return (rt_sigreturn gives back every register and the FP
 * state), faults caught by SIGSEGV/SIGBUS/SIGILL handlers, masks,
 * SA_RESETHAND, SA_NODEFER, SA_RESTART, sigaltstack, kill between
 * processes, and bad arguments; then waiting on several things: poll,
 * select, ppoll/pselect6 with a mask for the wait, sigsuspend, sigpending.  "sigtests ctrlc" waits for two Ctrl-C
 * at the console and goes on after each (tests/boots.py: user-sigint).
 *
 * Run: /bin/sigtests at the prompt (tests/boots.py: "user-sigtests").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "ktap.h"

static volatile sig_atomic_t hits, last_sig, last_code;
static volatile uintptr_t last_addr;
static volatile int last_pid;

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_sig = sig;
	last_code = si->si_code;
	last_addr = (uintptr_t)si->si_addr;
	last_pid = si->si_pid;
}

static void on_plain(int sig)
{
	hits++;
	last_sig = sig;
}

static int set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = flags | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static void reset(int sig)
{
	signal(sig, SIG_DFL);
	hits = last_sig = last_code = 0;
	last_addr = 0;
}

static void t_handler_runs(void)
{
	reset(SIGUSR1);
	CHECK(set_handler(SIGUSR1, on_info, 0) == 0);
	CHECK(raise(SIGUSR1) == 0);
	CHECK(hits == 1 && last_sig == SIGUSR1);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK(hits == 2 && last_pid == getpid() && last_code == SI_USER);
	reset(SIGUSR1);
}

/* A fault's handler returns after fixing the cause: the access is retried. */
static char *fix_page;
static void on_segv_fix(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_sig = sig;
	last_addr = (uintptr_t)si->si_addr;
	mprotect(fix_page, 4096, PROT_READ | PROT_WRITE);
}

static void t_segv_handler_fixes(void)
{
	reset(SIGSEGV);
	fix_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(fix_page != MAP_FAILED);
	CHECK(set_handler(SIGSEGV, on_segv_fix, 0) == 0);
	((volatile char *)fix_page)[100] = 42;
	CHECK(hits == 1 && last_sig == SIGSEGV);
	CHECK(last_addr == (uintptr_t)fix_page + 100);
	CHECK(fix_page[100] == 42);
	munmap(fix_page, 4096);
	reset(SIGSEGV);
}

static sigjmp_buf jb;

/* A store to @a, which the compiler may not prove bad. */
static void poke(uintptr_t a)
{
	volatile int *volatile ptr = (volatile int *)a;

	*ptr = 1;
}

static void on_jump(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_sig = sig;
	last_addr = (uintptr_t)si->si_addr;
	last_code = si->si_code;
	siglongjmp(jb, 1);
}

static void t_segv_null_longjmp(void)
{
	sigset_t cur;

	reset(SIGSEGV);
	CHECK(set_handler(SIGSEGV, on_jump, 0) == 0);
	if (!sigsetjmp(jb, 1)) {
		poke(16);
		CHECK(0);		/* not reached */
	}
	CHECK(hits == 1 && last_sig == SIGSEGV && last_addr == 16);
	CHECK(last_code == SEGV_MAPERR);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK(!sigismember(&cur, SIGSEGV));	/* siglongjmp put the mask back */
	/* And again: the handler stays (no SA_RESETHAND). */
	if (!sigsetjmp(jb, 1))
		poke(0x20);
	CHECK(hits == 2 && last_addr == 0x20);
	reset(SIGSEGV);
}

static void t_sigbus_raise(void)
{
	reset(SIGBUS);
	CHECK(set_handler(SIGBUS, on_info, 0) == 0);
	CHECK(raise(SIGBUS) == 0);
	CHECK(hits == 1 && last_sig == SIGBUS);
	reset(SIGBUS);
}

static void t_sigint_raise(void)
{
	reset(SIGINT);
	CHECK(signal(SIGINT, on_plain) != SIG_ERR);
	CHECK(raise(SIGINT) == 0);
	CHECK(hits == 1 && last_sig == SIGINT);
	reset(SIGINT);
}

/*
 * A SIGILL handler steps over a UD2 (2 bytes) by editing the saved RIP;
 * every other register, including RCX and R11 that SYSRET would clobber
 * and XMM0, must come back as they were.
 */
static void on_ill(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)si;
	hits++;
	last_sig = sig;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
	/* Dirty the caller-saved registers and the FPU here. */
	__asm__ volatile("mov $-1, %%rcx; mov $-1, %%r11; mov $-1, %%r8; pxor %%xmm0, %%xmm0"
			 ::: "rcx", "r11", "r8", "xmm0");
}

static void t_sigreturn_registers(void)
{
	uint64_t out[8];
	double x = 1.5, y;

	reset(SIGILL);
	CHECK(set_handler(SIGILL, on_ill, 0) == 0);
	__asm__ volatile(
		"movsd %[x], %%xmm0\n\t"
		"mov $0x1111, %%rcx\n\t"
		"mov $0x2222, %%r11\n\t"
		"mov $0x3333, %%r8\n\t"
		"mov $0x4444, %%r9\n\t"
		"mov $0x5555, %%r10\n\t"
		"mov $0x6666, %%rdx\n\t"
		"mov $0x7777, %%rsi\n\t"
		"ud2\n\t"
		"mov %%rcx, 0(%[o])\n\t"
		"mov %%r11, 8(%[o])\n\t"
		"mov %%r8, 16(%[o])\n\t"
		"mov %%r9, 24(%[o])\n\t"
		"mov %%r10, 32(%[o])\n\t"
		"mov %%rdx, 40(%[o])\n\t"
		"mov %%rsi, 48(%[o])\n\t"
		"movsd %%xmm0, %[y]\n\t"
		: [y] "=m"(y)
		: [o] "D"(out), [x] "m"(x)
		: "rcx", "r11", "r8", "r9", "r10", "rdx", "rsi", "xmm0", "memory");
	CHECK(hits == 1 && last_sig == SIGILL);
	CHECK(out[0] == 0x1111 && out[1] == 0x2222 && out[2] == 0x3333);
	CHECK(out[3] == 0x4444 && out[4] == 0x5555 && out[5] == 0x6666 && out[6] == 0x7777);
	CHECK(y == 1.5);
	reset(SIGILL);
}

/* Raw kill(2) by SYSCALL: the registers the ABI keeps survive a handler
 * that ran on the way out of it. */
static void t_syscall_registers(void)
{
	uint64_t out[4];
	long r;

	reset(SIGUSR2);
	CHECK(set_handler(SIGUSR2, on_info, 0) == 0);
	__asm__ volatile(
		"mov $0xaaaa, %%r8\n\t"
		"mov $0xbbbb, %%r9\n\t"
		"mov $0xcccc, %%r10\n\t"
		"mov $0xdddd, %%rdx\n\t"
		"syscall\n\t"
		"mov %%r8, 0(%[o])\n\t"
		"mov %%r9, 8(%[o])\n\t"
		"mov %%r10, 16(%[o])\n\t"
		"mov %%rdx, 24(%[o])\n\t"
		: "=a"(r)
		: "0"((long)SYS_kill), "D"((long)getpid()), "S"((long)SIGUSR2), [o] "b"(out)
		: "rcx", "r11", "r8", "r9", "r10", "rdx", "memory");
	CHECK(r == 0);
	CHECK(hits == 1 && last_sig == SIGUSR2);
	CHECK(out[0] == 0xaaaa && out[1] == 0xbbbb && out[2] == 0xcccc && out[3] == 0xdddd);
	reset(SIGUSR2);
}

static void t_mask(void)
{
	sigset_t set, old;

	reset(SIGUSR1);
	CHECK(set_handler(SIGUSR1, on_info, 0) == 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
	CHECK(raise(SIGUSR1) == 0);
	CHECK(raise(SIGUSR1) == 0);	/* merges with the first */
	CHECK(hits == 0);
	CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
	CHECK(hits == 1);		/* delivered on the way out of sigprocmask */
	/* SIGKILL and SIGSTOP cannot be blocked. */
	sigfillset(&set);
	CHECK(sigprocmask(SIG_SETMASK, &set, &old) == 0);
	CHECK(sigprocmask(SIG_SETMASK, &old, &set) == 0);
	CHECK(!sigismember(&set, SIGKILL) && !sigismember(&set, SIGSTOP));
	CHECK(sigismember(&set, SIGUSR1));
	reset(SIGUSR1);
}

static volatile int in_handler_blocked, in_handler_usr2_blocked;
static void on_look(int sig)
{
	sigset_t cur;

	hits++;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	in_handler_blocked = sigismember(&cur, sig);
	in_handler_usr2_blocked = sigismember(&cur, SIGUSR2);
}

static void t_handler_mask_nodefer(void)
{
	struct sigaction sa;
	sigset_t cur;

	reset(SIGUSR1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_look;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(raise(SIGUSR1) == 0);
	CHECK(hits == 1 && in_handler_blocked == 1 && in_handler_usr2_blocked == 1);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK(!sigismember(&cur, SIGUSR1) && !sigismember(&cur, SIGUSR2));
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(raise(SIGUSR1) == 0);
	CHECK(hits == 2 && in_handler_blocked == 0 && in_handler_usr2_blocked == 0);
	reset(SIGUSR1);
}

static void t_resethand(void)
{
	struct sigaction sa, now;
	int st;
	pid_t pid;

	reset(SIGUSR1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_plain;
	sa.sa_flags = SA_RESETHAND;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(raise(SIGUSR1) == 0);
	CHECK(hits == 1);
	CHECK(sigaction(SIGUSR1, NULL, &now) == 0);
	CHECK(now.sa_handler == SIG_DFL);
	/* The second one takes the default action: the process ends. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		sigaction(SIGUSR1, &sa, NULL);
		raise(SIGUSR1);
		raise(SIGUSR1);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1);
	reset(SIGUSR1);
}

static void t_ignore(void)
{
	reset(SIGUSR1);
	CHECK(signal(SIGUSR1, SIG_IGN) != SIG_ERR);
	CHECK(raise(SIGUSR1) == 0);
	CHECK(hits == 0);
	CHECK(raise(SIGCHLD) == 0);	/* default: ignore */
	reset(SIGUSR1);
}

static void t_kill_child_handler(void)
{
	int p[2], st;
	char c;
	pid_t pid;

	CHECK(pipe(p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		signal(SIGUSR1, on_plain);
		write(p[1], "r", 1);
		while (!hits)
			usleep(1000);
		_exit(last_sig == SIGUSR1 ? 7 : 1);
	}
	close(p[1]);
	CHECK(read(p[0], &c, 1) == 1);
	close(p[0]);
	CHECK(kill(pid, SIGUSR1) == 0);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

/* A read blocked on a pipe: SA_RESTART continues it after the handler,
 * without it the read fails with EINTR. */
static void t_restart(void)
{
	for (int restart = 0; restart < 2; restart++) {
		int p[2], q[2], st;
		char c;
		pid_t pid;

		CHECK(pipe(p) == 0 && pipe(q) == 0);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			struct sigaction sa;
			ssize_t n;

			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_plain;
			sa.sa_flags = restart ? SA_RESTART : 0;
			sigaction(SIGUSR1, &sa, NULL);
			close(p[1]);
			write(q[1], "r", 1);
			n = read(p[0], &c, 1);
			if (restart)
				_exit(n == 1 && c == 'x' && hits == 1 ? 0 : 1);
			_exit(n == -1 && errno == EINTR && hits == 1 ? 0 : 2);
		}
		close(p[0]);
		CHECK(read(q[0], &c, 1) == 1);
		usleep(20000);		/* let the child block in read */
		CHECK(kill(pid, SIGUSR1) == 0);
		usleep(20000);
		write(p[1], "x", 1);
		CHECK(waitpid(pid, &st, 0) == pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		close(p[1]);
		close(q[0]);
		close(q[1]);
	}
}

static char altstack[16384];
static volatile uintptr_t handler_sp;
static void on_alt(int sig)
{
	volatile int here;

	hits++;
	last_sig = sig;
	handler_sp = (uintptr_t)&here;
}

static void t_sigaltstack(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) }, old;
	struct sigaction sa;

	reset(SIGUSR1);
	CHECK(sigaltstack(&ss, &old) == 0);
	CHECK(old.ss_flags == SS_DISABLE);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alt;
	sa.sa_flags = SA_ONSTACK;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(raise(SIGUSR1) == 0);
	CHECK(hits == 1);
	CHECK(handler_sp > (uintptr_t)altstack && handler_sp < (uintptr_t)altstack + sizeof(altstack));
	ss.ss_size = 100;
	CHECK(sigaltstack(&ss, NULL) == -1 && errno == ENOMEM);
	ss.ss_flags = SS_DISABLE;
	CHECK(sigaltstack(&ss, NULL) == 0);
	CHECK(sigaltstack(NULL, &old) == 0 && old.ss_flags == SS_DISABLE);
	reset(SIGUSR1);
}

/* Raw: the kernel's answers to bad arguments. */
static long rsc(long nr, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return r;
}

static void t_bad_args(void)
{
	uint64_t act[4] = { (uint64_t)on_plain, 0x04000000, 0, 0 }, set = 0;
	int st;
	pid_t pid;

	CHECK(rsc(SYS_rt_sigaction, 0, (long)act, 0, 8) == -EINVAL);
	CHECK(rsc(SYS_rt_sigaction, 65, (long)act, 0, 8) == -EINVAL);
	CHECK(rsc(SYS_rt_sigaction, SIGKILL, (long)act, 0, 8) == -EINVAL);
	CHECK(rsc(SYS_rt_sigaction, SIGSTOP, (long)act, 0, 8) == -EINVAL);
	CHECK(rsc(SYS_rt_sigaction, SIGKILL, 0, (long)act, 8) == 0);
	CHECK(rsc(SYS_rt_sigaction, SIGUSR1, (long)act, 0, 4) == -EINVAL);
	CHECK(rsc(SYS_rt_sigaction, SIGUSR1, 1, 0, 8) == -EFAULT);
	CHECK(rsc(SYS_rt_sigaction, SIGUSR1, (long)0xffff800000000000UL, 0, 8) == -EFAULT);
	CHECK(rsc(SYS_rt_sigaction, SIGUSR1, 0, (long)0xffffffff80000000UL, 8) == -EFAULT);
	CHECK(rsc(SYS_rt_sigprocmask, 7, (long)&set, 0, 8) == -EINVAL);
	CHECK(rsc(SYS_rt_sigprocmask, SIG_BLOCK, 16, 0, 8) == -EFAULT);
	CHECK(rsc(SYS_rt_sigprocmask, SIG_BLOCK, 0, 0, 9) == -EINVAL);
	CHECK(rsc(SYS_kill, getpid(), 65, 0, 0) == -EINVAL);
	CHECK(rsc(SYS_tgkill, getpid(), getpid() + 1000, SIGUSR1, 0) == -ESRCH);
	CHECK(rsc(SYS_tkill, 0, SIGUSR1, 0, 0) == -EINVAL);
	CHECK(rsc(SYS_sigaltstack, 1, 0, 0, 0) == -EFAULT);
	/* A handler without a restorer cannot return: the process dies of
	 * SIGSEGV at delivery, as on Linux x86-64. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		uint64_t a[4] = { (uint64_t)on_plain, 0, 0, 0 };
		rsc(SYS_rt_sigaction, SIGUSR1, (long)a, 0, 8);
		rsc(SYS_kill, getpid(), SIGUSR1, 0, 0);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	/* rt_sigreturn with a garbage stack: SIGSEGV, not a kernel fault. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		__asm__ volatile("mov $1, %%rsp; mov $15, %%eax; syscall" ::: "memory");
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	/* A SIGSEGV while SIGSEGV is blocked kills. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		sigset_t s;
		set_handler(SIGSEGV, on_info, 0);
		sigemptyset(&s);
		sigaddset(&s, SIGSEGV);
		sigprocmask(SIG_BLOCK, &s, NULL);
		poke(8);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

static void t_exec_resets(void)
{
	int st;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGUSR1, on_plain);
		signal(SIGUSR2, SIG_IGN);
		execl("/bin/sigtests", "sigtests", "exec-child", (char *)NULL);
		_exit(99);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static int exec_child(void)
{
	struct sigaction a, b;

	sigaction(SIGUSR1, NULL, &a);
	sigaction(SIGUSR2, NULL, &b);
	return a.sa_handler == SIG_DFL && b.sa_handler == SIG_IGN ? 0 : 1;
}

static volatile sig_atomic_t ints;
static void on_int(int sig)
{
	(void)sig;
	ints++;
}

static int ctrlc(void)
{
	signal(SIGINT, on_int);
	printf("sigtests: waiting for Ctrl-C\n");
	fflush(stdout);
	for (int seen = 0; seen < 2;) {
		usleep(10000);
		if (ints != seen) {
			seen = ints;
			printf("sigtests: caught SIGINT %d, going on\n", seen);
			fflush(stdout);
		}
	}
	printf("sigtests: done\n");
	return 0;
}

/* ------------------------------------------ waiting for several things */

static volatile sig_atomic_t usr1_hits;
static void on_usr1(int sig) { (void)sig; usr1_hits++; }

/* A child that sends @sig to the parent after @us microseconds. */
static pid_t signal_later(int sig, unsigned us)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		usleep(us);
		kill(parent, sig);
		_exit(0);
	}
	return pid;
}

static sigset_t blocked_now(void)
{
	sigset_t cur;

	sigprocmask(SIG_SETMASK, NULL, &cur);
	return cur;
}

/* poll on a pipe: each end's readiness as it changes. */
static void t_poll_pipe(void)
{
	int p[2];
	struct pollfd f[3];

	CHECK(pipe(p) == 0);
	f[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	f[1] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
	f[2] = (struct pollfd){ .fd = -1, .events = POLLIN };	/* ignored */
	CHECK(poll(f, 3, 0) == 1);
	CHECK(f[0].revents == 0 && f[1].revents == POLLOUT && f[2].revents == 0);
	CHECK(write(p[1], "x", 1) == 1);
	CHECK(poll(f, 2, 0) == 2);
	CHECK(f[0].revents == POLLIN);
	CHECK(close(p[1]) == 0);
	CHECK(poll(f, 1, 0) == 1);
	CHECK(f[0].revents == (POLLIN | POLLHUP));	/* data, and no writer */
	f[1].fd = p[1];					/* closed now */
	CHECK(poll(&f[1], 1, 0) == 1 && f[1].revents == POLLNVAL);
	CHECK(close(p[0]) == 0);
	CHECK(pipe(p) == 0);
	CHECK(close(p[0]) == 0);
	f[0] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
	CHECK(poll(f, 1, 0) == 1 && (f[0].revents & POLLERR));	/* no reader */
	CHECK(close(p[1]) == 0);
}

/* poll sleeps until another process writes, and times out when nobody does. */
static void t_poll_waits(void)
{
	int p[2], st;
	struct pollfd f;
	struct timespec a, b;
	pid_t pid;

	CHECK(pipe(p) == 0);
	f = (struct pollfd){ .fd = p[0], .events = POLLIN };
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(poll(&f, 1, 50) == 0 && f.revents == 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 40);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(30000);
		_exit(write(p[1], "y", 1) == 1 ? 0 : 1);
	}
	CHECK(poll(&f, 1, 10000) == 1 && f.revents == POLLIN);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
	close(p[1]);
}

static void t_poll_bad_args(void)
{
	struct pollfd f = { .fd = 0, .events = POLLIN };

	errno = 0;
	CHECK(poll((struct pollfd *)8, 1, 0) == -1 && errno == EFAULT);
	CHECK(poll(&f, 100000, 0) == -1 && errno == EINVAL);
	CHECK(syscall(SYS_ppoll, &f, 1, &(struct timespec){ 0, 2000000000 }, NULL, 8) == -1 &&
	      errno == EINVAL);
	CHECK(syscall(SYS_ppoll, &f, 1, NULL, &(sigset_t){ 0 }, 4) == -1 && errno == EINVAL);
}

/* select: the sets answered, EBADF for a closed descriptor, the time left
 * written back. */
static void t_select(void)
{
	int p[2];
	fd_set r, w;
	struct timeval tv = { 0, 30000 };

	CHECK(pipe(p) == 0);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	CHECK(select(p[1] + 1, &r, &w, NULL, &tv) == 1);
	CHECK(!FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	/* The system call itself: musl's select() passes a copy of tv. */
	tv = (struct timeval){ 0, 30000 };
	CHECK(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv) == 0);	/* times out */
	CHECK(tv.tv_sec == 0 && tv.tv_usec == 0);		/* nothing left */
	CHECK(write(p[1], "z", 1) == 1);
	FD_SET(p[0], &r);
	tv = (struct timeval){ 5, 0 };
	CHECK(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(p[0], &r));
	CHECK(tv.tv_sec <= 5 && tv.tv_sec >= 4);		/* most of it left */
	CHECK(close(p[0]) == 0);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	errno = 0;
	CHECK(select(p[0] + 1, &r, NULL, NULL, &(struct timeval){ 0, 0 }) == -1 && errno == EBADF);
	tv = (struct timeval){ 0, -1 };
	CHECK(syscall(SYS_select, 0, NULL, NULL, NULL, &tv) == -1 && errno == EINVAL);
	tv = (struct timeval){ 0, 1000000 + 20000 };	/* Linux carries whole seconds */
	CHECK(syscall(SYS_select, 0, NULL, NULL, NULL, &tv) == 0);
	close(p[1]);
}

/* sigsuspend: waits with the given mask, the handler runs, the old mask
 * (SIGUSR1 blocked) is back afterwards. */
static void t_sigsuspend(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	sigset_t block, none, after;
	int st;
	pid_t pid;

	usr1_hits = 0;
	CHECK(sigaction(SIGUSR1, &sa, &old) == 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
	pid = signal_later(SIGUSR1, 20000);
	CHECK(pid > 0);
	sigemptyset(&none);
	errno = 0;
	CHECK(sigsuspend(&none) == -1 && errno == EINTR);
	CHECK(usr1_hits == 1);
	after = blocked_now();
	CHECK(sigismember(&after, SIGUSR1));
	CHECK(waitpid(pid, &st, 0) == pid);
	/* A signal already pending and unblocked by the mask: at once. */
	raise(SIGUSR1);
	CHECK(usr1_hits == 1);			/* blocked: pending */
	{
		sigset_t pend;

		CHECK(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1));
	}
	CHECK(sigsuspend(&none) == -1 && errno == EINTR && usr1_hits == 2);
	CHECK(sigprocmask(SIG_UNBLOCK, &block, NULL) == 0);
	CHECK(sigaction(SIGUSR1, &old, NULL) == 0);
}

/* ppoll and pselect with a mask that lets SIGUSR1 in only while waiting. */
static void t_ppoll_pselect_mask(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	sigset_t block, none, after;
	int p[2], st;
	struct pollfd f;
	fd_set r;
	pid_t pid;

	usr1_hits = 0;
	CHECK(pipe(p) == 0);
	CHECK(sigaction(SIGUSR1, &sa, &old) == 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
	sigemptyset(&none);
	f = (struct pollfd){ .fd = p[0], .events = POLLIN };
	pid = signal_later(SIGUSR1, 20000);
	errno = 0;
	CHECK(ppoll(&f, 1, &(struct timespec){ 10, 0 }, &none) == -1 && errno == EINTR);
	CHECK(usr1_hits == 1);
	after = blocked_now();
	CHECK(sigismember(&after, SIGUSR1));
	CHECK(waitpid(pid, &st, 0) == pid);
	pid = signal_later(SIGUSR1, 20000);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK(pselect(p[0] + 1, &r, NULL, NULL, &(struct timespec){ 10, 0 }, &none) == -1 &&
	      errno == EINTR);
	CHECK(usr1_hits == 2);
	after = blocked_now();
	CHECK(sigismember(&after, SIGUSR1));
	CHECK(waitpid(pid, &st, 0) == pid);
	/* Not interrupted: the mask is back at once, the signal still blocked. */
	CHECK(write(p[1], "q", 1) == 1);
	CHECK(ppoll(&f, 1, NULL, &none) == 1 && f.revents == POLLIN);
	after = blocked_now();
	CHECK(sigismember(&after, SIGUSR1));
	CHECK(sigprocmask(SIG_UNBLOCK, &block, NULL) == 0);
	CHECK(sigaction(SIGUSR1, &old, NULL) == 0);
	close(p[0]);
	close(p[1]);
}

static const struct ktap_test tests[] = {
	{ "handler_runs", t_handler_runs },
	{ "segv_handler_fixes", t_segv_handler_fixes },
	{ "segv_null_longjmp", t_segv_null_longjmp },
	{ "sigbus_raise", t_sigbus_raise },
	{ "sigint_raise", t_sigint_raise },
	{ "sigreturn_registers", t_sigreturn_registers },
	{ "syscall_registers", t_syscall_registers },
	{ "mask", t_mask },
	{ "handler_mask_nodefer", t_handler_mask_nodefer },
	{ "resethand", t_resethand },
	{ "ignore", t_ignore },
	{ "kill_child_handler", t_kill_child_handler },
	{ "restart", t_restart },
	{ "sigaltstack", t_sigaltstack },
	{ "bad_args", t_bad_args },
	{ "exec_resets", t_exec_resets },
	{ "poll_pipe", t_poll_pipe },
	{ "poll_waits", t_poll_waits },
	{ "poll_bad_args", t_poll_bad_args },
	{ "select", t_select },
	{ "sigsuspend", t_sigsuspend },
	{ "ppoll_pselect_mask", t_ppoll_pselect_mask },
};

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "ctrlc"))
		return ctrlc();
	if (argc > 1 && !strcmp(argv[1], "exec-child"))
		return exec_child();
	return ktap_run("sigtests", tests, KTAP_COUNT(tests));
}
