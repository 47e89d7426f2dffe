/*
 * uaccess.h - copying to and from user memory.
 *
 * Every pointer a system call gets from a program goes through these.  A
 * bad pointer -- NULL, a kernel address, an unmapped page, a buffer that
 * runs into an unmapped page or past the user half -- gives -EFAULT,
 * never a kernel fault: the range is checked against the user half first,
 * and a fault inside the copy is resolved (a demand-zero page) or caught
 * by the exception table (arch/x86_64/uaccess.S).
 *
 * Context: thread context of a process, no spinlock held (a copy may
 * fault a page in, which takes the mm's mutex).  A copy that fails part
 * way may have written some bytes.
 */
#ifndef KERNEL_UACCESS_H
#define KERNEL_UACCESS_H

#include <stdint.h>
#include <stddef.h>

/* 0 or -EFAULT. */
int copy_from_user(void *dst, uint64_t usrc, size_t n);
int copy_to_user(uint64_t udst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most @size - 1 bytes: its length,
 * -EFAULT, or -ENAMETOOLONG when no NUL comes within @size bytes. */
long strncpy_from_user(char *dst, uint64_t usrc, size_t size);

#endif
