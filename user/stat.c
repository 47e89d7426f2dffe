/* stat.c - print stat(2) of each argument, the fields of struct stat. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (lstat(argv[i], &st)) {
			fprintf(stderr, "stat: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		printf("%s: inode %llu, mode %o, links %lu, uid %u, gid %u, size %lld, blocks %lld, mtime %lld\n",
		       argv[i], (unsigned long long)st.st_ino, st.st_mode, (unsigned long)st.st_nlink,
		       st.st_uid, st.st_gid, (long long)st.st_size, (long long)st.st_blocks,
		       (long long)st.st_mtime);
	}
	return rc;
}
