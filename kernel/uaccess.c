/*
 * uaccess.c - copy_from_user, copy_to_user, strncpy_from_user
 * (include/kernel/uaccess.h) on top of the arch primitives whose faults
 * the exception table catches.
 */
#include <kernel/uaccess.h>
#include <arch/x86_64/syscall.h>
#include <lib/errno.h>

int copy_from_user(void *dst, uint64_t usrc, size_t n)
{
	if (!n)
		return 0;
	if (!user_range_ok(usrc, n))
		return -EFAULT;
	return arch_copy_user(dst, (const void *)usrc, n) ? -EFAULT : 0;
}

int copy_to_user(uint64_t udst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (!user_range_ok(udst, n))
		return -EFAULT;
	return arch_copy_user((void *)udst, src, n) ? -EFAULT : 0;
}

long strncpy_from_user(char *dst, uint64_t usrc, size_t size)
{
	size_t n = size;
	long len;

	if (!size || usrc >= USER_TOP)
		return -EFAULT;
	if (n > USER_TOP - usrc)
		n = USER_TOP - usrc;
	len = arch_strncpy_user(dst, (const char *)usrc, n);
	if (len < 0)
		return -EFAULT;
	if ((size_t)len == n) {
		dst[size - 1] = '\0';
		return n < size ? -EFAULT : -ENAMETOOLONG;
	}
	return len;
}
