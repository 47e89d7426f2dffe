/*
 * builtins.c - the shell's system commands: uptime, date, mem, threads,
 * reboot, poweroff.  (help lives in cmd.c with the framework.)
 */
#include <kernel/prof.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/kmalloc.h>
#include <kernel/sched.h>
#include <kernel/uvm.h>
#include <kernel/proc.h>
#include <arch/x86_64/paging.h>
#include <kernel/timer.h>
#include <bench/bench.h>
#include <arch/x86_64/percpu.h>
#include <lib/string.h>
#include <lib/date.h>
#include <shell/shell.h>
#include "lineedit.h"

#define NS_PER_SEC	1000000000ULL

static int cmd_uptime(int argc, char **argv)
{
	uint64_t ns = time_ns(), s = ns / NS_PER_SEC;

	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
	shell_printf("up %lu.%03lu s (%lu:%02lu:%02lu), boot to prompt %lu.%03lu ms, %u thread%s\n",
		     s, (ns / 1000000) % 1000, s / 3600, (s / 60) % 60, s % 60,
		     boot_to_prompt_ns / 1000000, (boot_to_prompt_ns / 1000) % 1000,
		     sched_thread_count(), sched_thread_count() == 1 ? "" : "s");
	return 0;
}
SHELL_CMD("uptime", "uptime", "time since boot and the boot time", cmd_uptime);

static int cmd_date(int argc, char **argv)
{
	char date[DATE_FULL_SIZE];

	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments (the clock is set from the "
					 "RTC at boot)");
	date_format_full(date, sizeof(date), time_wall_ns());
	shell_printf("%s\n(%s)\n", date, time_wall_source());
	return 0;
}
SHELL_CMD("date", "date", "the date and time, UTC, and where the clock came from", cmd_date);

static int cmd_mem(int argc, char **argv)
{
	size_t total, free;

	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
	sched_reap_dead();	/* exited threads' stacks count as free */
	total = pmm_total_count();
	free = pmm_free_count();
	shell_printf("physical memory: %lu KiB total, %lu KiB free, %lu KiB used\n",
		     total * 4, free * 4, (total - free) * 4);
	shell_printf("kernel heap: %lu objects, %lu KiB in size classes\n",
		     kmalloc_in_use(), kmalloc_slab_frames() * 4);
	shell_printf("user memory: %lu KiB in %u processes, %lu KiB of page tables\n",
		     uvm_frames() * 4, proc_count(), pt_table_frames * 4);
	return 0;
}
SHELL_CMD("mem", "mem", "physical memory and kernel heap usage", cmd_mem);

static void print_thread(const struct thread *t, void *ctx)
{
	char cpu[8] = "-";

	if (t->cpu >= 0)
		cpu[0] = (char)('0' + t->cpu % 10), cpu[1] = 0;
	shell_printf("%4u  %-20s %-9s %3s %8lu %10lu\n", t->id, t->name,
		     thread_state_name(t->state), cpu, t->switches, t->runtime_ns / 1000);
}

static int cmd_threads(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
	shell_printf("  id  name                 state     cpu switches    run(us)\n");
	sched_for_each_thread(print_thread, NULL);
	return 0;
}
SHELL_CMD("threads", "threads", "list kernel threads", cmd_threads);

static int cmd_poweroff(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
	shell_printf("powering off\n");
	machine_poweroff();
	return 0;
}
SHELL_CMD("poweroff", "poweroff", "turn the machine off (ACPI S5)", cmd_poweroff);

static int cmd_reboot(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
	shell_printf("rebooting\n");
	machine_reboot();
	return 0;
}
SHELL_CMD("reboot", "reboot", "restart the machine", cmd_reboot);

static int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = { 0 };
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-q"))
			o.quick = true;
		else if (!strcmp(argv[i], "-w"))
			o.write_pmem = true;
		else
			return shell_usage_error(argv[0], "unknown option '%s'", argv[i]);
	}
	return bench_run(&o, argc - i, argv + i);
}
/* sleep MS: wait (scripts and demos pace themselves with it); Ctrl-C
 * ends it early. */
static int cmd_sleep(int argc, char **argv)
{
	uint64_t ms;
	int err;

	if (argc != 2)
		return shell_usage_error(argv[0], "needs a number of milliseconds");
	if ((err = shell_parse_u64(argv[1], "milliseconds", &ms)))
		return err;
	if (ms > 60000)
		return shell_usage_error(argv[0], "at most 60000 ms");
	if ((err = msleep_interruptible(ms)))
		shell_printf("%s: %s\n", argv[0], strerror(err));	/* Ctrl-C */
	return err;
}
SHELL_CMD("sleep", "sleep MS", "wait MS milliseconds (at most a minute)", cmd_sleep);

/*
 * prof [-c] COMMAND...: run one shell command with the sampling profiler
 * on (-c: name each busy function's callers too).
 */
static int cmd_prof(int argc, char **argv)
{
	char line[LE_LINE_MAX];
	size_t len = 0;
	bool callers = false;
	int ret;

	if (argc >= 2 && !strcmp(argv[1], "-c")) {
		callers = true;
		argv++;
		argc--;
	}
	if (argc < 2)
		return shell_usage_error(argv[0], "which command should it profile?");
	if (!strcmp(argv[1], "prof"))
		return shell_usage_error(argv[0], "prof cannot profile itself");
	line[0] = 0;
	for (int i = 1; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (len + n + 2 > sizeof(line))
			return shell_usage_error(argv[0], "command too long");
		if (i > 1)
			line[len++] = ' ';
		memcpy(line + len, argv[i], n + 1);
		len += n;
	}
	prof_start();
	ret = shell_exec(line);
	prof_stop();
	prof_report(callers ? 12 : 20, callers);
	return ret;
}
SHELL_CMD("prof", "prof [-c] COMMAND [ARG...]",
	  "run a command with the sampling profiler on, then show where the time went "
	  "(-c: and which callers brought it there)",
	  cmd_prof);

SHELL_CMD("bench", "bench [-q] [-w] [NAME...]",
	  "run benchmarks (-q quick smoke run, -w allow overwriting pmem0)", cmd_bench);

static int cmd_cpus(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
	shell_printf("cpu  apic  online  thread               switches      ticks\n");
	for (unsigned i = 0; i < ncpus; i++) {
		struct cpu *c = &cpus[i];
		struct thread *t = READ_ONCE(c->current);
		shell_printf("%3u  %4u  %-6s  %-20s %8lu %10lu\n", c->id, c->apic_id,
			     c->online ? "yes" : "no", t ? t->name : "-",
			     c->context_switches, c->ticks);
	}
	return 0;
}
SHELL_CMD("cpus", "cpus", "list CPUs: APIC id, current thread, context switches", cmd_cpus);
