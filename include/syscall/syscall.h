/*
 * syscall.h - the system-call layer (the top of the tree, beside the
 * shell): the Linux x86-64 system-call table, program loading (execve),
 * the per-process file descriptors, pipes and the console as a file.
 *
 * syscall_init() registers the table with the SYSCALL entry
 * (arch/x86_64/syscall.c) and the file hooks with the process layer
 * (kernel/proc.c): neither names this layer.
 */
#ifndef SYSCALL_SYSCALL_H
#define SYSCALL_SYSCALL_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

/* Boot, once, after the VFS. */
void syscall_init(void);

/**
 * sys_spawn - start the program at @path with @argv (NULL-terminated,
 * argv[0] included) and an empty environment but PATH, as a process with
 * no parent (the shell's), the console as fds 0, 1 and 2, in the job
 * (process group) of its own pid.  Returns the pid, or -errno:
 * -ENOENT, -EACCES, -ENOEXEC (not an ELF64 x86-64 executable we load: the
 * console says why), -ENOMEM, -E2BIG.  Thread context.
 */
int sys_spawn(const char *path, char *const argv[]);

/* Linux system-call numbers' names, for the "unimplemented" line. */
const char *syscall_name(unsigned nr);

/* Statistics for `ps`: system calls served, all processes. */
uint64_t syscall_count(void);

#endif
