/*
 * table.c - the system-call table: Linux x86-64 numbers
 * (arch/x86/entry/syscalls/syscall_64.tbl) to handlers, the dispatch the
 * SYSCALL entry calls, and the per-process fd table hooks.
 *
 * A number with no handler returns -ENOSYS and is reported once per
 * program (execve starts the count again):
 *     [pid 3 /bin/x: unimplemented system call 999 (?)]
 *
 * The arguments arrive in RDI, RSI, RDX, R10, R8, R9 (the frame the entry
 * saved); the result goes back in RAX.  Handlers run in the process's
 * thread with interrupts on and may sleep.
 */
#include <syscall/syscall.h>
#include "sys_int.h"
#include <kernel/proc.h>
#include <kernel/printk.h>
#include <arch/x86_64/syscall.h>
#include <fs/vfs.h>
#include <lib/errno.h>
#include <lib/compiler.h>

#define NR_MAX	450

/* The handlers by number (the names, for the log, are in names.c).
 * E(number, name, handler): the name is there for the reader. */
#define E(nr, name, fn) [nr] = fn
static const sys_fn table[NR_MAX] = {
	E(0, "read", sys_read),
	E(1, "write", sys_write),
	E(2, "open", sys_open),
	E(3, "close", sys_close),
	E(4, "stat", sys_stat),
	E(5, "fstat", sys_fstat),
	E(6, "lstat", sys_lstat),
	E(7, "poll", sys_poll),
	E(8, "lseek", sys_lseek),
	E(9, "mmap", sys_mmap),
	E(10, "mprotect", sys_mprotect),
	E(11, "munmap", sys_munmap),
	E(12, "brk", sys_brk),
	E(13, "rt_sigaction", sys_rt_sigaction),
	E(14, "rt_sigprocmask", sys_rt_sigprocmask),
	E(15, "rt_sigreturn", sys_rt_sigreturn),
	E(16, "ioctl", sys_ioctl),
	E(17, "pread64", sys_pread64),
	E(18, "pwrite64", sys_pwrite64),
	E(19, "readv", sys_readv),
	E(20, "writev", sys_writev),
	E(21, "access", sys_access),
	E(22, "pipe", sys_pipe),
	E(23, "select", sys_select),
	E(24, "sched_yield", sys_sched_yield),
	E(26, "msync", sys_msync),
	E(28, "madvise", sys_madvise),
	E(32, "dup", sys_dup),
	E(33, "dup2", sys_dup2),
	E(34, "pause", sys_pause),
	E(35, "nanosleep", sys_nanosleep),
	E(39, "getpid", sys_getpid),
	E(56, "clone", sys_clone),
	E(57, "fork", sys_fork),
	E(58, "vfork", sys_vfork),
	E(59, "execve", sys_execve),
	E(60, "exit", sys_exit),
	E(61, "wait4", sys_wait4),
	E(62, "kill", sys_kill),
	E(63, "uname", sys_uname),
	E(72, "fcntl", sys_fcntl),
	E(74, "fsync", sys_fsync),
	E(75, "fdatasync", sys_fsync),
	E(76, "truncate", sys_truncate),
	E(77, "ftruncate", sys_ftruncate),
	E(79, "getcwd", sys_getcwd),
	E(80, "chdir", sys_chdir),
	E(81, "fchdir", sys_fchdir),
	E(82, "rename", sys_rename),
	E(83, "mkdir", sys_mkdir),
	E(84, "rmdir", sys_rmdir),
	E(86, "link", sys_link),
	E(87, "unlink", sys_unlink),
	E(88, "symlink", sys_symlink),
	E(89, "readlink", sys_readlink),
	E(90, "chmod", sys_chmod),
	E(91, "fchmod", sys_fchmod),
	E(92, "chown", sys_chown),
	E(93, "fchown", sys_fchown),
	E(94, "lchown", sys_lchown),
	E(95, "umask", sys_umask),
	E(96, "gettimeofday", sys_gettimeofday),
	E(97, "getrlimit", sys_getrlimit),
	E(102, "getuid", sys_getuid),
	E(104, "getgid", sys_getuid),
	E(107, "geteuid", sys_getuid),
	E(108, "getegid", sys_getuid),
	E(110, "getppid", sys_getppid),
	E(127, "rt_sigpending", sys_rt_sigpending),
	E(130, "rt_sigsuspend", sys_rt_sigsuspend),
	E(131, "sigaltstack", sys_sigaltstack),
	E(158, "arch_prctl", sys_arch_prctl),
	E(186, "gettid", sys_gettid),
	E(200, "tkill", sys_tkill),
	E(201, "time", sys_time),
	E(202, "futex", sys_futex),
	E(217, "getdents64", sys_getdents64),
	E(218, "set_tid_address", sys_set_tid_address),
	E(228, "clock_gettime", sys_clock_gettime),
	E(230, "clock_nanosleep", sys_clock_nanosleep),
	E(231, "exit_group", sys_exit_group),
	E(234, "tgkill", sys_tgkill),
	E(257, "openat", sys_openat),
	E(258, "mkdirat", sys_mkdirat),
	E(260, "fchownat", sys_fchownat),
	E(262, "newfstatat", sys_newfstatat),
	E(263, "unlinkat", sys_unlinkat),
	E(264, "renameat", sys_renameat),
	E(265, "linkat", sys_linkat),
	E(266, "symlinkat", sys_symlinkat),
	E(267, "readlinkat", sys_readlinkat),
	E(268, "fchmodat", sys_fchmodat),
	E(269, "faccessat", sys_faccessat),
	E(270, "pselect6", sys_pselect6),
	E(271, "ppoll", sys_ppoll),
	E(273, "set_robust_list", sys_set_robust_list),
	E(280, "utimensat", sys_utimensat),
	E(285, "fallocate", sys_fallocate),
	E(292, "dup3", sys_dup3),
	E(293, "pipe2", sys_pipe2),
	E(302, "prlimit64", sys_prlimit64),
	E(309, "getcpu", sys_getcpu),
	E(316, "renameat2", sys_renameat2),
	E(318, "getrandom", sys_getrandom),
	E(439, "faccessat2", sys_faccessat),
};

static uint64_t calls;			/* atomic */

const char *syscall_name(unsigned nr)
{
	return nr < SYSCALL_NAMES && syscall_names[nr] ? syscall_names[nr] : "?";
}

uint64_t syscall_count(void) { return __atomic_load_n(&calls, __ATOMIC_RELAXED); }

static int64_t unimplemented(struct proc *p, uint64_t nr)
{
	unsigned slot = nr < PROC_NR_MAX ? (unsigned)nr : PROC_NR_MAX - 1;
	uint64_t bit = 1ULL << (slot % 64);

	if (!(p->nosys_logged[slot / 64] & bit)) {
		p->nosys_logged[slot / 64] |= bit;
		kprintf("[pid %d %s: unimplemented system call %lu (%s)]\n", p->pid, p->name,
			nr, nr < SYSCALL_NAMES ? syscall_name((unsigned)nr) : "?");
	}
	return -ENOSYS;
}

static void dispatch(struct trap_frame *tf)
{
	struct proc *p = proc_current();
	uint64_t nr = tf->rax;
	int64_t r;

	__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	if (!p) {
		tf->rax = (uint64_t)-ENOSYS;
		return;
	}
	p->syscalls++;
	p->frame = tf;
	if (nr < NR_MAX && table[nr])
		r = table[nr](tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9);
	else
		r = unimplemented(p, nr);
	tf->rax = (uint64_t)r;
}

/* ------------------------------------------------------------ fd tables */

struct fdtable *cur_fdt(void)
{
	return proc_current()->files;
}

struct file *fd_file(int fd)
{
	struct fdtable *t = cur_fdt();

	return t ? fdt_get(t, fd) : NULL;
}

static void release_files(struct proc *p)
{
	if (p->files)
		fdt_destroy(p->files);
	p->files = NULL;
}

static const struct proc_ops sys_proc_ops = {
	.release_files = release_files,
};

void syscall_init(void)
{
	proc_init();
	proc_set_ops(&sys_proc_ops);
	syscall_set_handler(dispatch);
}
