/*
 * errno.c - names and descriptions of error numbers (see lib/errno.h).
 *
 * One list, ERRNO_LIST, feeds two tables indexed by error number: the
 * symbolic names and the messages.  Aliases are not listed, so each slot is
 * initialized once.
 */
#include <lib/errno.h>
#include <lib/compiler.h>

#define ERRNO_LIST(X)                                           \
	X(EPERM,        "Operation not permitted")              \
	X(ENOENT,       "No such file or directory")            \
	X(ESRCH,        "No such process")                      \
	X(EINTR,        "Interrupted system call")              \
	X(EIO,          "I/O error")                            \
	X(ENXIO,        "No such device or address")            \
	X(E2BIG,        "Argument list too long")               \
	X(ENOEXEC,      "Exec format error")                    \
	X(EBADF,        "Bad file number")                      \
	X(ECHILD,       "No child processes")                   \
	X(EAGAIN,       "Try again")                            \
	X(ENOMEM,       "Out of memory")                        \
	X(EACCES,       "Permission denied")                    \
	X(EFAULT,       "Bad address")                          \
	X(ENOTBLK,      "Block device required")                \
	X(EBUSY,        "Device or resource busy")              \
	X(EEXIST,       "File exists")                          \
	X(EXDEV,        "Cross-device link")                    \
	X(ENODEV,       "No such device")                       \
	X(ENOTDIR,      "Not a directory")                      \
	X(EISDIR,       "Is a directory")                       \
	X(EINVAL,       "Invalid argument")                     \
	X(ENFILE,       "File table overflow")                  \
	X(EMFILE,       "Too many open files")                  \
	X(ENOTTY,       "Not a typewriter")                     \
	X(ETXTBSY,      "Text file busy")                       \
	X(EFBIG,        "File too large")                       \
	X(ENOSPC,       "No space left on device")              \
	X(ESPIPE,       "Illegal seek")                         \
	X(EROFS,        "Read-only file system")                \
	X(EMLINK,       "Too many links")                       \
	X(EPIPE,        "Broken pipe")                          \
	X(EDOM,         "Math argument out of domain")          \
	X(ERANGE,       "Math result not representable")        \
	X(EDEADLK,      "Resource deadlock would occur")        \
	X(ENAMETOOLONG, "File name too long")                   \
	X(ENOLCK,       "No record locks available")            \
	X(ENOSYS,       "Function not implemented")             \
	X(ENOTEMPTY,    "Directory not empty")                  \
	X(ELOOP,        "Too many symbolic links")              \
	X(ENOMSG,       "No message of desired type")           \
	X(ENODATA,      "No data available")                    \
	X(ETIME,        "Timer expired")                        \
	X(EPROTO,       "Protocol error")                       \
	X(EBADMSG,      "Not a data message")                   \
	X(EOVERFLOW,    "Value too large for defined data type") \
	X(EILSEQ,       "Illegal byte sequence")                \
	X(EOPNOTSUPP,   "Operation not supported")              \
	X(ENOBUFS,      "No buffer space available")            \
	X(ETIMEDOUT,    "Timed out")                            \
	X(EALREADY,     "Operation already in progress")        \
	X(EINPROGRESS,  "Operation now in progress")            \
	X(ESTALE,       "Stale file handle")                    \
	X(EUCLEAN,      "Structure needs cleaning")             \
	X(EDQUOT,       "Quota exceeded")                       \
	X(ECANCELED,    "Operation canceled")

#define ERRNO_NAME(num, msg) [num] = #num,
#define ERRNO_MSG(num, msg)  [num] = msg,

static const char *const errno_names[ERRNO_MAX + 1] = { ERRNO_LIST(ERRNO_NAME) };
static const char *const errno_msgs[ERRNO_MAX + 1] = { ERRNO_LIST(ERRNO_MSG) };

/* Table index for @err of either sign, or -1 when out of the table. */
static int errno_index(int err)
{
	/* Widen before negating: -INT_MIN does not fit in an int. */
	long long n = err < 0 ? -(long long)err : err;

	if (n > ERRNO_MAX)
		return -1;
	return (int)n;
}

const char *strerror(int err)
{
	int i = errno_index(err);

	if (i == 0)
		return "Success";
	if (i < 0 || !errno_msgs[i])
		return "Unknown error";
	return errno_msgs[i];
}

const char *errno_name(int err)
{
	int i = errno_index(err);

	if (i <= 0)
		return NULL;
	return errno_names[i];
}
