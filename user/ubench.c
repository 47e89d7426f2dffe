/*
 * ubench.c - user-space benchmarks: the cost of a system call round trip
 * (getpid) and of starting a program (fork + execve of a static binary +
 * wait).  Prints one line per figure:
 *     ubench syscall_getpid: 95 ns per call
 *     ubench fork_exec_wait: 210 per second (/bin/exit3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int b = argc > 1 && !strcmp(argv[1], "-b");
	int calls = argc > 1 + b ? atoi(argv[1 + b]) : 200000;
	int runs = argc > 2 + b ? atoi(argv[2 + b]) : 100;
	double t0, t;

	if (calls <= 0 || runs <= 0) {
		fprintf(stderr, "usage: ubench [-b] [CALLS [RUNS]] (both > 0)\n");
		return 2;
	}
	t0 = now();

	for (int i = 0; i < calls; i++)
		syscall(SYS_getpid);
	t = now() - t0;
	if (b)
		printf("bench syscall_getpid %.0f ns\n", t * 1e9 / calls);
	else
		printf("ubench syscall_getpid: %.0f ns per call\n", t * 1e9 / calls);

	t0 = now();
	for (int i = 0; i < runs; i++) {
		int st;
		pid_t pid = fork();
		if (pid == 0) {
			char *av[] = { "/bin/exit3", NULL };
			execv(av[0], av);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || WEXITSTATUS(st) != 3) {
			printf("ubench fork_exec_wait: failed at run %d\n", i);
			return 1;
		}
	}
	t = now() - t0;
	if (b)
		printf("bench fork_exec_wait %.0f ops/s\n", runs / t);
	else
		printf("ubench fork_exec_wait: %.0f per second (/bin/exit3)\n", runs / t);
	return 0;
}
