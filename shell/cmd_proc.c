/*
 * cmd_proc.c - running programs from the prompt, and `ps` / `kill`.
 *
 *   /bin/hello a b      (the command "/": shell_exec() sends every line
 *                       that starts with a path here) run a program in the foreground: the shell waits;
 *                       Ctrl-C sends SIGINT to its job (the process and
 *                       the children it forked)
 *   /bin/hello a b &    run it in the background: the shell prints its pid
 *                       and goes on; the kernel reports its end if it was
 *                       not a clean exit
 *   ps                  the processes: pid, parent, state, CPU, pages, the
 *                       pages their DMA holds pinned (/dev/dma0, O_DIRECT:
 *                       dax_pinned_pages_of()), command
 *   kill [-SIG] PID     send a signal (default SIGTERM)
 *
 * A program's end is reported as the kernel does: "[pid N /bin/x: exit 3]"
 * for a non-zero exit, "[pid N /bin/x: SIGINT]" for a signal (a SIGSEGV
 * was reported at the fault, with its address).
 */
#include <shell/shell.h>
#include <syscall/syscall.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/uvm.h>
#include <fs/dax.h>
#include <lib/errno.h>
#include <lib/string.h>


static void report(int pid, const char *path, int status)
{
	int sig = status & 0x7f;

	if (sig && sig != SIGSEGV)
		shell_printf("[pid %d %s: %s]\n", pid, path, proc_signal_name(sig));
	else if (!sig && (status >> 8) & 0xff)
		shell_printf("[pid %d %s: exit %d]\n", pid, path, (status >> 8) & 0xff);
}

/* "/PATH ARGS [&]": shell_exec() hands every line that starts with a path here. */
static int cmd_run(int argc, char **argv)
{
	bool bg = argc > 1 && !strcmp(argv[argc - 1], "&");
	bool interrupted = false;
	int pid, status = 0, r;

	if (bg)
		argv[--argc] = NULL;
	pid = sys_spawn(argv[0], argv);
	if (pid < 0) {
		shell_printf("%s: %s\n", argv[0], strerror(-pid));
		return pid;
	}
	if (bg) {
		shell_printf("[pid %d] %s running in the background\n", pid, argv[0]);
		proc_detach(pid);
		return 0;
	}
	for (;;) {
		r = proc_wait(NULL, pid, &status, false);
		if (r != -EINTR)
			break;
		/* Ctrl-C (the shell is the console's foreground thread) */
		proc_kill_group(pid, SIGINT);
		thread_interrupt_clear();
		interrupted = true;
	}
	if (r < 0) {
		shell_printf("%s: wait: %s\n", argv[0], strerror(-r));
		return r;
	}
	report(pid, argv[0], status);
	return interrupted && (status & 0x7f) == SIGINT ? -EINTR : 0;
}

SHELL_CMD("/", "/PATH [ARGS] [&]",
	  "run the program at PATH (with &: in the background)", cmd_run);

static void print_proc(const struct proc_info *pi, void *ctx)
{
	char cpu[8] = "-";

	if (pi->cpu >= 0)
		cpu[0] = (char)('0' + pi->cpu % 10), cpu[1] = 0;
	shell_printf("%5d %5d %-9s %3s %7lu %6u  %s\n", pi->pid, pi->ppid, pi->state, cpu,
		     pi->pages, dax_pinned_pages_of(pi->pid), pi->name);
}

static int cmd_ps(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
	shell_printf("  PID  PPID STATE     CPU   PAGES   PINS  COMMAND\n");
	proc_for_each(print_proc, NULL);
	return 0;
}
SHELL_CMD("ps", "ps", "list processes (pid, parent, state, CPU, pages, pins held, command)", cmd_ps);

static int cmd_kill(int argc, char **argv)
{
	uint64_t sig = SIGTERM, pid;
	int i = 1, err;

	if (argc == 3 && argv[1][0] == '-') {
		if (parse_u64(argv[1] + 1, 10, &sig) || sig >= PROC_NSIG)
			return shell_usage_error(argv[0], "bad signal '%s'", argv[1]);
		i = 2;
	}
	if (argc != i + 1 || shell_parse_u64(argv[i], "pid", &pid))
		return shell_usage_error(argv[0], "expected [-SIG] PID");
	err = proc_kill((int)pid, (int)sig);
	if (err)
		shell_printf("kill: %lu: %s\n", pid, strerror(-err));
	return err;
}
SHELL_CMD("kill", "kill [-SIG] PID", "send a signal to a process (default 15, SIGTERM)", cmd_kill);
