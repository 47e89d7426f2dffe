/*
 * errno.h - error numbers and their names.
 *
 * Holdfast uses Linux's numbering, so a value read from a Linux man page,
 * a log or a host tool's errno means the same thing here.  Kernel functions
 * return 0 or a negative error (-EINVAL); strerror() and errno_name() accept
 * either sign.
 *
 * Host builds (HOST_BUILD): libc's <errno.h> and <string.h> are included
 * first.  The numbers below are token-for-token identical to Linux's, so the
 * repeated #defines are harmless (and -Werror catches any mismatch).
 * libc's strerror() has a different type (char *, positive numbers only), so
 * on the host our strerror is renamed lib_strerror by a macro; code calls
 * strerror() in both builds and gets ours.
 *
 * strerror() and errno_name() return constant strings: any context, no
 * lock, no state.
 */
#ifndef LIB_ERRNO_H
#define LIB_ERRNO_H

#ifdef HOST_BUILD
#include <errno.h>
#include <string.h>
#define strerror lib_strerror
#endif

#define EPERM            1  /* Operation not permitted */
#define ENOENT           2  /* No such file or directory */
#define ESRCH            3  /* No such process */
#define EINTR            4  /* Interrupted system call */
#define EIO              5  /* I/O error */
#define ENXIO            6  /* No such device or address */
#define E2BIG            7  /* Argument list too long */
#define ENOEXEC          8  /* Exec format error */
#define EBADF            9  /* Bad file number */
#define ECHILD          10  /* No child processes */
#define EAGAIN          11  /* Try again */
#define ENOMEM          12  /* Out of memory */
#define EACCES          13  /* Permission denied */
#define EFAULT          14  /* Bad address */
#define ENOTBLK         15  /* Block device required */
#define EBUSY           16  /* Device or resource busy */
#define EEXIST          17  /* File exists */
#define EXDEV           18  /* Cross-device link */
#define ENODEV          19  /* No such device */
#define ENOTDIR         20  /* Not a directory */
#define EISDIR          21  /* Is a directory */
#define EINVAL          22  /* Invalid argument */
#define ENFILE          23  /* File table overflow */
#define EMFILE          24  /* Too many open files */
#define ENOTTY          25  /* Not a typewriter */
#define ETXTBSY         26  /* Text file busy */
#define EFBIG           27  /* File too large */
#define ENOSPC          28  /* No space left on device */
#define ESPIPE          29  /* Illegal seek */
#define EROFS           30  /* Read-only file system */
#define EMLINK          31  /* Too many links */
#define EPIPE           32  /* Broken pipe */
#define EDOM            33  /* Math argument out of domain */
#define ERANGE          34  /* Math result not representable */
#define EDEADLK         35  /* Resource deadlock would occur */
#define ENAMETOOLONG    36  /* File name too long */
#define ENOLCK          37  /* No record locks available */
#define ENOSYS          38  /* Function not implemented */
#define ENOTEMPTY       39  /* Directory not empty */
#define ELOOP           40  /* Too many symbolic links */
#define ENOMSG          42  /* No message of desired type */
#define ENODATA         61  /* No data available */
#define ETIME           62  /* Timer expired */
#define EPROTO          71  /* Protocol error */
#define EBADMSG         74  /* Not a data message */
#define EOVERFLOW       75  /* Value too large for defined data type */
#define EILSEQ          84  /* Illegal byte sequence */
#define EOPNOTSUPP      95  /* Operation not supported */
#define ENOBUFS        105  /* No buffer space available */
#define ETIMEDOUT      110  /* Connection timed out */
#define EALREADY       114  /* Operation already in progress */
#define EINPROGRESS    115  /* Operation now in progress */
#define ESTALE         116  /* Stale file handle */
#define EUCLEAN        117  /* Structure needs cleaning */
#define EDQUOT         122  /* Quota exceeded */
#define ECANCELED      125  /* Operation Canceled */

/* Aliases, as in Linux. */
#define EWOULDBLOCK EAGAIN
#define EDEADLOCK EDEADLK
#define ENOTSUP EOPNOTSUPP

/* The largest error number strerror() knows; larger ones are "unknown". */
#define ERRNO_MAX ECANCELED

/**
 * strerror() - describe an error number.
 * @err: error number, positive (EINVAL) or negative (-EINVAL); 0 is success.
 *
 * Returns a constant string such as "Invalid argument", "Success" for 0, or
 * "Unknown error" for a number this table does not name.  Reentrant: never
 * formats into a shared buffer.
 */
const char *strerror(int err);

/**
 * errno_name() - symbolic name of an error number.
 * @err: error number of either sign.
 *
 * Returns "EINVAL" for 22 or -22, NULL when the number has no name here.
 * Aliases (ENOTSUP, EWOULDBLOCK, EDEADLOCK) give the primary name.
 */
const char *errno_name(int err);

#endif /* LIB_ERRNO_H */
