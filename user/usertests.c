/*
 * usertests.c - the user-space test suite, in KTAP (as the in-kernel
 * suites print it): one "ok N name" or "not ok N name" per test, a plan
 * first.  Each test checks values and results against Linux semantics;
 * a kernel fault ends the boot and fails the run.
 *
 * Run: /bin/usertests at the prompt (tests/boots.py: "user-usertests").
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

/* A raw system call: the kernel's answer, -errno included, no libc. */
static long sc(long nr, long a, long b, long c, long d, long e, long f)
{
	return syscall(nr, a, b, c, d, e, f) < 0 ? -errno : syscall(nr, a, b, c, d, e, f);
}

static long rsc(long nr, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return r;
}

static void t_fork_exec_wait(void)
{
	int st = 0;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		char *argv[] = { "/bin/exit3", NULL };
		execv("/bin/exit3", argv);
		_exit(99);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
}

/* posix_spawn: musl's uses clone(CLONE_VM|CLONE_VFORK) on a new stack. */
static void t_posix_spawn(void)
{
	char *argv[] = { "/bin/exit3", NULL }, *envp[] = { NULL };
	pid_t pid;
	int st;

	CHECK(posix_spawn(&pid, "/bin/exit3", NULL, NULL, argv, envp) == 0);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 3);
	CHECK(posix_spawn(&pid, "/bin/nonexistent", NULL, NULL, argv, envp) == ENOENT);
}

static void t_exit_codes(void)
{
	for (int code = 0; code < 256; code += 85) {
		int st = 0;
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(code);
		CHECK(wait(&st) == pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == code);
	}
	CHECK(wait(NULL) == -1 && errno == ECHILD);
}

static void t_getpid_ppid(void)
{
	int p[2], st;
	pid_t me = getpid(), child, seen = 0;

	CHECK(pipe(p) == 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		pid_t pp = getppid();
		write(p[1], &pp, sizeof(pp));
		_exit(0);
	}
	CHECK(read(p[0], &seen, sizeof(seen)) == sizeof(seen));
	CHECK(seen == me);
	CHECK(waitpid(child, &st, 0) == child);
	close(p[0]);
	close(p[1]);
}

static void t_files(void)
{
	char buf[64];
	struct stat st;
	int fd, found = 0;
	DIR *d;
	struct dirent *e;

	mkdir("/ut", 0755);
	fd = open("/ut/a", O_CREAT | O_TRUNC | O_RDWR, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, "hello, file\n", 12) == 12);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(read(fd, buf, sizeof(buf)) == 12 && !memcmp(buf, "hello, file\n", 12));
	CHECK(pread(fd, buf, 4, 7) == 4 && !memcmp(buf, "file", 4));
	CHECK(pwrite(fd, "FILE", 4, 7) == 4);
	CHECK(fstat(fd, &st) == 0 && st.st_size == 12 && S_ISREG(st.st_mode));
	CHECK(ftruncate(fd, 5) == 0);
	CHECK(fstat(fd, &st) == 0 && st.st_size == 5);
	CHECK(close(fd) == 0);
	CHECK(close(fd) == -1 && errno == EBADF);
	CHECK(rename("/ut/a", "/ut/b") == 0);
	CHECK(stat("/ut/a", &st) == -1 && errno == ENOENT);
	CHECK(stat("/ut/b", &st) == 0 && st.st_size == 5);
	CHECK(symlink("b", "/ut/l") == 0);
	CHECK(readlink("/ut/l", buf, sizeof(buf)) == 1 && buf[0] == 'b');
	CHECK(lstat("/ut/l", &st) == 0 && S_ISLNK(st.st_mode));
	d = opendir("/ut");
	CHECK(d);
	while ((e = readdir(d)))
		found += !strcmp(e->d_name, "b") || !strcmp(e->d_name, "l");
	closedir(d);
	CHECK(found == 2);
	CHECK(open("/ut/none", O_RDONLY) == -1 && errno == ENOENT);
	CHECK(open("/ut/b", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 && errno == EEXIST);
	CHECK(unlink("/ut/l") == 0 && unlink("/ut/b") == 0);
	CHECK(rmdir("/ut") == 0);
}

static void t_pipe_fork(void)
{
	int p[2], st;
	char buf[32] = { 0 };
	pid_t pid;

	CHECK(pipe(p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		write(p[1], "through the pipe", 16);
		_exit(0);
	}
	close(p[1]);
	CHECK(read(p[0], buf, sizeof(buf)) == 16 && !strcmp(buf, "through the pipe"));
	CHECK(read(p[0], buf, sizeof(buf)) == 0);	/* the writer is gone: EOF */
	close(p[0]);
	CHECK(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 0);
}

static void t_dup2(void)
{
	int p[2], fd;
	char buf[8] = { 0 };

	CHECK(pipe(p) == 0);
	CHECK(dup2(p[1], 10) == 10);
	CHECK(write(10, "dup", 3) == 3);
	CHECK(read(p[0], buf, 3) == 3 && !strcmp(buf, "dup"));
	fd = dup(p[0]);
	CHECK(fd > p[1]);
	CHECK(fcntl(10, F_SETFD, FD_CLOEXEC) == 0 && fcntl(10, F_GETFD) == FD_CLOEXEC);
	CHECK(dup2(99, 11) == -1 && errno == EBADF);
	close(10);
	close(fd);
	close(p[0]);
	close(p[1]);
}

/* musl's sbrk() only answers sbrk(0): the break moves with raw brk(2). */
static void t_brk(void)
{
	char *a = (char *)rsc(SYS_brk, 0, 0, 0, 0), *b;

	CHECK(a && (long)a > 0);
	b = (char *)rsc(SYS_brk, (long)(a + (1 << 20)), 0, 0, 0);
	CHECK(b == a + (1 << 20));
	memset(a, 0x5a, 1 << 20);
	CHECK(a[0] == 0x5a && a[(1 << 20) - 1] == 0x5a);
	CHECK((char *)rsc(SYS_brk, (long)a, 0, 0, 0) == a);
	CHECK((char *)rsc(SYS_brk, 0x1000, 0, 0, 0) == a);	/* below the start: refused */
}

static void t_mmap(void)
{
	size_t len = 64 * 4096;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int *shared, st;
	pid_t pid;

	CHECK(p != MAP_FAILED);
	CHECK(p[100] == 0);
	memset(p, 7, len);
	CHECK(munmap(p + 4096, 4096) == 0);
	CHECK(p[0] == 7 && p[2 * 4096] == 7);
	CHECK(munmap(p, len) == 0);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED);
	*shared = 1;
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		*shared = 42;
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(*shared == 42);
	CHECK(munmap(shared, 4096) == 0);
	CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED && mprotect(p, 4096, PROT_READ | PROT_WRITE) == 0);
	p[0] = 1;
	CHECK(munmap(p, 4096) == 0);
}

static void t_cwd(void)
{
	char buf[256];
	struct stat st;

	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"));
	CHECK(mkdir("/cwdtest", 0755) == 0);
	CHECK(chdir("/cwdtest") == 0);
	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/cwdtest"));
	CHECK(close(open("rel", O_CREAT | O_WRONLY, 0644)) == 0);
	CHECK(stat("/cwdtest/rel", &st) == 0);
	CHECK(unlink("rel") == 0);
	CHECK(chdir("..") == 0);
	CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"));
	CHECK(chdir("/nonexistent") == -1 && errno == ENOENT);
	CHECK(getcwd(buf, 1) == NULL && errno == ERANGE);
	CHECK(rmdir("/cwdtest") == 0);
}

static void t_misc(void)
{
	struct utsname u;
	struct timespec a, b = { 0, 1000000 };

	CHECK(uname(&u) == 0 && !strcmp(u.sysname, "Holdfast"));
	CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
	CHECK(nanosleep(&b, NULL) == 0);
	CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
	CHECK(b.tv_sec > a.tv_sec || b.tv_nsec - a.tv_nsec >= 1000000);
	CHECK(rsc(999, 0, 0, 0, 0) == -ENOSYS);
	CHECK(rsc(SYS_acct, 0, 0, 0, 0) == -ENOSYS);	/* not implemented: named on the console */
	CHECK(rsc(SYS_acct, 0, 0, 0, 0) == -ENOSYS);	/* ...once */
	CHECK(getuid() == 0 && geteuid() == 0);
	CHECK(isatty(1) == 1);
}

static void t_segv_child(void)
{
	int st;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		volatile int *np = 0;
		_exit(*np);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

static void t_kill(void)
{
	int st;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	CHECK(kill(pid, SIGTERM) == 0);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	CHECK(kill(pid, 0) == -1 && errno == ESRCH);
}

/* Every pointer-taking call, with each bad pointer: -EFAULT. */
static void t_efault(void)
{
	char *page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *unmapped, *cross;
	long bad[3];
	int p[2], fd;

	CHECK(page != MAP_FAILED);
	CHECK(munmap(page + 4096, 4096) == 0);
	unmapped = page + 4096;
	cross = page + 4096 - 8;		/* 8 good bytes, then a hole */
	memset(page, 'a', 4096);
	bad[0] = 0;
	bad[1] = (long)0xffff800000000000UL;
	bad[2] = (long)unmapped;
	CHECK(pipe(p) == 0);
	fd = open("/efault", O_CREAT | O_RDWR | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, "0123456789abcdef0123456789", 26) == 26);
	for (int i = 0; i < 3; i++) {
		long b = bad[i];
		CHECK(rsc(SYS_write, fd, b, 16, 0) == -EFAULT);
		CHECK(rsc(SYS_read, fd, b, 16, 0) == -EFAULT || lseek(fd, 0, SEEK_SET) >= 0);
		CHECK(rsc(SYS_pread64, fd, b, 16, 0) == -EFAULT);
		CHECK(rsc(SYS_pwrite64, fd, b, 16, 0) == -EFAULT);
		CHECK(rsc(SYS_open, b, O_RDONLY, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_openat, AT_FDCWD, b, O_RDONLY, 0) == -EFAULT);
		CHECK(rsc(SYS_stat, b, (long)page, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_stat, (long)"/efault", b, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_fstat, fd, b, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_lstat, (long)"/efault", b, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_newfstatat, AT_FDCWD, (long)"/efault", b, 0) == -EFAULT);
		CHECK(rsc(SYS_pipe, b, 0, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_pipe2, b, 0, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_getcwd, b, 100, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_chdir, b, 0, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_mkdir, b, 0755, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_rmdir, b, 0, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_unlink, b, 0, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_rename, b, (long)"/x", 0, 0) == -EFAULT);
		CHECK(rsc(SYS_rename, (long)"/efault", b, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_link, (long)"/efault", b, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_symlink, b, (long)"/x", 0, 0) == -EFAULT);
		CHECK(rsc(SYS_readlink, b, (long)page, 10, 0) == -EFAULT);
		CHECK(rsc(SYS_truncate, b, 0, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_chmod, b, 0644, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_getdents64, open("/", O_RDONLY | O_DIRECTORY), b, 4096, 0) == -EFAULT);
		CHECK(rsc(SYS_readv, fd, b, 1, 0) == -EFAULT);
		CHECK(rsc(SYS_writev, fd, b, 1, 0) == -EFAULT);
		CHECK(rsc(SYS_clock_gettime, CLOCK_MONOTONIC, b, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_gettimeofday, b, 0, 0, 0) == (b ? -EFAULT : 0));
		CHECK(rsc(SYS_nanosleep, b, 0, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_uname, b, 0, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_wait4, -1, b, 0, 0) == -EFAULT || errno);
		CHECK(rsc(SYS_execve, b, 0, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_rt_sigaction, SIGUSR1, b, 0, 8) == (b ? -EFAULT : 0));
		CHECK(rsc(SYS_rt_sigaction, SIGUSR1, 0, b, 8) == (b ? -EFAULT : 0));
		CHECK(rsc(SYS_rt_sigprocmask, SIG_BLOCK, b, 0, 8) == (b ? -EFAULT : 0));
		CHECK(rsc(SYS_ioctl, 1, 0x5413, b, 0) == -EFAULT);
		CHECK(rsc(SYS_utimensat, AT_FDCWD, b, 0, 0) == -EFAULT);
		CHECK(rsc(SYS_getrlimit, 7, b, 0, 0) == -EFAULT);
	}
	for (int i = 3; i < 64; i++)
		if (i != p[0] && i != p[1] && i != fd)
			close(i);
	/* a buffer running into the hole: nothing past it is touched */
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(rsc(SYS_write, fd, (long)cross, 16, 0) == -EFAULT);
	CHECK(rsc(SYS_stat, (long)"/efault", (long)cross, 0, 0) == -EFAULT);
	CHECK(rsc(SYS_read, fd, (long)cross, 16, 0) == -EFAULT ||
	      lseek(fd, 0, SEEK_CUR) >= 0);
	memcpy(cross, "/efaultx", 8);	/* 8 bytes, no NUL before the hole */
	CHECK(rsc(SYS_open, (long)cross, O_RDONLY, 0, 0) == -EFAULT);
	CHECK(rsc(SYS_write, fd, (long)page, 4096, 0) == 4096);	/* the good page works */
	/* the kernel must not write where the program may not: its own code */
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(rsc(SYS_read, fd, (long)t_misc, 8, 0) == -EFAULT);
	CHECK(rsc(SYS_clock_gettime, CLOCK_MONOTONIC, (long)t_misc, 0, 0) == -EFAULT);
	close(fd);
	close(p[0]);
	close(p[1]);
	unlink("/efault");
	munmap(page, 4096);
}

/* Fill the process table: fork fails with EAGAIN, not a crash; then
 * every child is killed and reaped. */
static void t_fork_until_full(void)
{
	pid_t kids[128];
	int n = 0, st;

	for (; n < 128; n++) {
		pid_t pid = fork();
		if (pid == 0) {
			for (;;)
				pause();
		}
		if (pid < 0)
			break;
		kids[n] = pid;
	}
	CHECK(n < 128 && errno == EAGAIN);
	CHECK(n >= 8);
	for (int i = 0; i < n; i++)
		CHECK(kill(kids[i], SIGKILL) == 0);
	for (int i = 0; i < n; i++)
		CHECK(waitpid(kids[i], &st, 0) == kids[i] && WTERMSIG(st) == SIGKILL);
}

/* 64 MiB through malloc (mmap for big blocks, brk for small), touched and
 * given back. */
static void t_malloc_big(void)
{
	size_t len = 64 << 20;
	char *p = malloc(len), *small[256];

	CHECK(p);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)i;
	CHECK(p[len - 4096] == (char)(len - 4096));
	free(p);
	for (int i = 0; i < 256; i++) {
		small[i] = malloc(1000);
		CHECK(small[i]);
		memset(small[i], i, 1000);
	}
	for (int i = 0; i < 256; i++) {
		CHECK((unsigned char)small[i][999] == i);
		free(small[i]);
	}
}

/* fstat on a pipe and the console, fstatat with an empty path. */
static void t_fstat_special(void)
{
	struct stat st;
	int p[2];

	CHECK(pipe(p) == 0);
	CHECK(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK(fstatat(p[1], "", &st, AT_EMPTY_PATH) == 0 && S_ISFIFO(st.st_mode));
	CHECK(fstat(1, &st) == 0 && S_ISCHR(st.st_mode));
	CHECK(fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH) == 0 && S_ISDIR(st.st_mode));
	CHECK(fstatat(p[0], "x", &st, 0) == -1 && errno == ENOTDIR);
	CHECK(fstat(99, &st) == -1 && errno == EBADF);
	close(p[0]);
	close(p[1]);
}

static void t_dir_read(void)
{
	char buf[16];
	int fd = open("/", O_RDONLY | O_DIRECTORY);

	CHECK(fd >= 0);
	CHECK(read(fd, buf, sizeof(buf)) == -1 && errno == EISDIR);
	CHECK(open("/", O_WRONLY) == -1 && errno == EISDIR);
	CHECK(lseek(0, 0, SEEK_CUR) == -1 && errno == ESPIPE);
	close(fd);
}

static const struct ktap_test tests[] = {
	{ "fork_exec_wait", t_fork_exec_wait },
	{ "posix_spawn", t_posix_spawn },
	{ "exit_codes", t_exit_codes },
	{ "getpid_getppid", t_getpid_ppid },
	{ "files_round_trip", t_files },
	{ "pipe_across_fork", t_pipe_fork },
	{ "dup2_fcntl", t_dup2 },
	{ "brk_growth", t_brk },
	{ "mmap_munmap_shared", t_mmap },
	{ "getcwd_chdir", t_cwd },
	{ "uname_clock_nanosleep_enosys", t_misc },
	{ "segv_child_killed", t_segv_child },
	{ "kill_sigterm", t_kill },
	{ "bad_pointers_efault", t_efault },
	{ "fork_until_table_full", t_fork_until_full },
	{ "malloc_64mib", t_malloc_big },
	{ "directory_read_eisdir", t_dir_read },
	{ "fstat_pipe_console", t_fstat_special },
};

int main(void)
{
	(void)sc;
	return ktap_run("usertests", tests, KTAP_COUNT(tests));
}
