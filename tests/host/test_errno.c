/*
 * test_errno.c - host tests of lib/errno.c: Linux numbering, names and
 * messages of either sign, aliases, and unknown numbers.
 */
#include <lib/ktest.h>
#include <lib/errno.h>
#include <lib/string.h>

KTEST(errno, linux_numbers)
{
	EXPECT_EQ(t, EPERM, 1);
	EXPECT_EQ(t, EINVAL, 22);
	EXPECT_EQ(t, ENOSPC, 28);
	EXPECT_EQ(t, ENOSYS, 38);
	EXPECT_EQ(t, ENODATA, 61);
	EXPECT_EQ(t, EOVERFLOW, 75);
	EXPECT_EQ(t, EOPNOTSUPP, 95);
	EXPECT_EQ(t, ENOTSUP, EOPNOTSUPP);
	EXPECT_EQ(t, ETIMEDOUT, 110);
	EXPECT_EQ(t, EUCLEAN, 117);
	EXPECT_EQ(t, ECANCELED, 125);
}

KTEST(errno, strerror_either_sign)
{
	EXPECT_STREQ(t, strerror(EINVAL), "Invalid argument");
	EXPECT_STREQ(t, strerror(-EINVAL), "Invalid argument");
	EXPECT_STREQ(t, strerror(-ENOENT), "No such file or directory");
	EXPECT_STREQ(t, strerror(-EBUSY), "Device or resource busy");
	EXPECT_STREQ(t, strerror(-ETIMEDOUT), "Timed out");
	EXPECT_STREQ(t, strerror(0), "Success");
}

KTEST(errno, unknown_numbers)
{
	EXPECT_STREQ(t, strerror(41), "Unknown error");     /* a gap */
	EXPECT_STREQ(t, strerror(-4000), "Unknown error");
	EXPECT_STREQ(t, strerror(-2147483647 - 1), "Unknown error");
	EXPECT_STREQ(t, strerror(ERRNO_MAX + 1), "Unknown error");
	EXPECT_NULL(t, errno_name(41));
	EXPECT_NULL(t, errno_name(0));
	EXPECT_NULL(t, errno_name(-2147483647 - 1));
}

KTEST(errno, names)
{
	EXPECT_STREQ(t, errno_name(-EIO), "EIO");
	EXPECT_STREQ(t, errno_name(EUCLEAN), "EUCLEAN");
	EXPECT_STREQ(t, errno_name(ENOTSUP), "EOPNOTSUPP");
	EXPECT_STREQ(t, errno_name(EWOULDBLOCK), "EAGAIN");
	EXPECT_STREQ(t, errno_name(-ECANCELED), "ECANCELED");
}

KTEST(errno, every_name_has_a_message)
{
	int e, named = 0;

	for (e = 1; e <= ERRNO_MAX; e++) {
		if (!errno_name(e))
			continue;
		named++;
		EXPECT_STRNE(t, strerror(e), "Unknown error");
		EXPECT_EQ(t, errno_name(e)[0], 'E');
	}
	EXPECT_GE(t, named, 50);
}
