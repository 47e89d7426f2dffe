/*
 * sys_int.h - what the files of the system-call layer share: the handler
 * type, the per-process fd helpers, and the Linux constants they use.
 * Not for other modules.
 */
#ifndef SYSCALL_SYS_INT_H
#define SYSCALL_SYS_INT_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <kernel/proc.h>
#include <arch/x86_64/irq.h>

typedef int64_t (*sys_fn)(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
			  uint64_t a4, uint64_t a5);
#define SYSARGS uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5
#define SYS(name) int64_t name(SYSARGS)

#define PATH_MAX_LINUX	4096
#define SYS_PATH_MAX	1024		/* what we accept: -ENAMETOOLONG past it */
#define AT_FDCWD	(-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR	0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_EMPTY_PATH	0x1000
#define O_DIRECTORY	0200000
#define O_CLOEXEC	02000000
#define O_NONBLOCK	04000
#define FD_CLOEXEC	1

struct file;
struct fdtable;

/* The current process's fd table / the file at @fd with a reference. */
struct fdtable *cur_fdt(void);
struct file *fd_file(int fd);

/* A user path made absolute against @dirfd (AT_FDCWD: the cwd) into a
 * kmalloc'ed buffer of SYS_PATH_MAX (kfree it): 0 or -errno. */
int user_path_at(int dirfd, uint64_t upath, char **out, bool empty_ok);

/* syscall/tty.c: a new console file (fds 0-2 of a spawned program). */
struct file *tty_open(void);
/* syscall/pipe.c: a pipe's two ends (0, -ENOMEM). */
int pipe_create(struct file **rd, struct file **wr);

/* syscall/poll.c: what a file_ops poll op calls (include/fs/vfs.h). */
struct wait_queue;
struct poll_table;
void poll_wait(struct poll_table *pt, struct wait_queue *wq);
#define POLLIN		0x001
#define POLLPRI		0x002
#define POLLOUT		0x004
#define POLLERR		0x008
#define POLLHUP		0x010
#define POLLNVAL	0x020
#define POLLRDNORM	0x040
#define POLLRDBAND	0x080
#define POLLWRNORM	0x100
#define POLLWRBAND	0x200

/* syscall/exec.c */
struct mm;
int exec_load(const char *path, char *const argv[], char *const envp[],
	      struct mm **mm_out, struct trap_frame *tf);
void sys_start_user(void *arg);		/* a struct user_start, kfree'd */
struct user_start {
	struct trap_frame tf;
	uint64_t fs_base;
};

/* syscall/names.c: Linux's name of each number (NULL: none). */
#define SYSCALL_NAMES	447
extern const char *const syscall_names[SYSCALL_NAMES];
/* syscall/mman.c: mmap of a file descriptor (not MAP_ANONYMOUS). */
int64_t sys_mmap_file(uint64_t addr, uint64_t len, unsigned prot, unsigned flags, int fd,
		      uint64_t off);
/* syscall/blkdirect.c: read/write (@off < 0: at the file offset) of a
 * block device opened with O_DIRECT: pinned user pages, zero copy. */
#define O_DIRECT	040000
bool blk_direct_can(struct file *f);
int64_t blk_direct_io(struct file *f, uint64_t ubuf, uint64_t len, int64_t off, bool write);

/* syscall/dmadev.c: /dev/dma0.  dmadev_open: a new open file of it, or
 * NULL (no memory); dmadev_ioctl serves ioctl(2) on such a file. */
struct file *dmadev_open(void);
bool dmadev_is(struct file *f);
int64_t dmadev_ioctl(struct file *f, uint64_t cmd, uint64_t arg);
#define DMADEV_PATH	"/dev/dma0"

/* The handlers, by file. */
SYS(sys_read); SYS(sys_write); SYS(sys_open); SYS(sys_openat); SYS(sys_close);
SYS(sys_lseek); SYS(sys_pread64); SYS(sys_pwrite64); SYS(sys_readv); SYS(sys_writev);
SYS(sys_fstat); SYS(sys_stat); SYS(sys_lstat); SYS(sys_newfstatat); SYS(sys_getdents64);
SYS(sys_mkdir); SYS(sys_mkdirat); SYS(sys_rmdir); SYS(sys_unlink); SYS(sys_unlinkat);
SYS(sys_rename); SYS(sys_renameat); SYS(sys_renameat2); SYS(sys_link); SYS(sys_linkat);
SYS(sys_symlink); SYS(sys_symlinkat); SYS(sys_readlink); SYS(sys_readlinkat);
SYS(sys_ftruncate); SYS(sys_truncate); SYS(sys_fallocate); SYS(sys_fsync);
SYS(sys_dup); SYS(sys_dup2); SYS(sys_dup3); SYS(sys_pipe); SYS(sys_pipe2); SYS(sys_fcntl);
SYS(sys_getcwd); SYS(sys_chdir); SYS(sys_fchdir); SYS(sys_ioctl); SYS(sys_access);
SYS(sys_faccessat); SYS(sys_chmod); SYS(sys_fchmod); SYS(sys_fchmodat); SYS(sys_chown);
SYS(sys_fchown); SYS(sys_lchown); SYS(sys_fchownat); SYS(sys_utimensat);
SYS(sys_poll); SYS(sys_ppoll); SYS(sys_select); SYS(sys_pselect6);

SYS(sys_exit); SYS(sys_exit_group); SYS(sys_fork); SYS(sys_vfork); SYS(sys_clone);
SYS(sys_execve); SYS(sys_wait4); SYS(sys_kill); SYS(sys_getpid); SYS(sys_getppid);
SYS(sys_gettid); SYS(sys_getuid); SYS(sys_set_tid_address); SYS(sys_arch_prctl);
SYS(sys_rt_sigaction); SYS(sys_rt_sigprocmask); SYS(sys_set_robust_list);
SYS(sys_prlimit64); SYS(sys_getrlimit); SYS(sys_sched_yield); SYS(sys_uname);
SYS(sys_clock_gettime); SYS(sys_gettimeofday); SYS(sys_nanosleep); SYS(sys_clock_nanosleep);
SYS(sys_brk); SYS(sys_mmap); SYS(sys_munmap); SYS(sys_mprotect); SYS(sys_madvise);
SYS(sys_getrandom); SYS(sys_time); SYS(sys_pause); SYS(sys_umask); SYS(sys_msync);

/* syscall/signal.c */
SYS(sys_rt_sigreturn); SYS(sys_sigaltstack); SYS(sys_tkill); SYS(sys_tgkill);
SYS(sys_rt_sigsuspend); SYS(sys_rt_sigpending);

/* syscall/thread.c: clone(CLONE_THREAD...) and futex */
int64_t clone_thread(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls);
SYS(sys_futex); SYS(sys_getcpu);

#endif
