/* ls.c - list directories with opendir/readdir (getdents64) and lstat. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

static int list(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];

	if (!d) {
		fprintf(stderr, "ls: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name);
		if (lstat(path, &st) == 0)
			printf("%c%04o %8lld  %s\n", S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : '-',
			       st.st_mode & 07777, (long long)st.st_size, e->d_name);
		else
			printf("?      ?  %s\n", e->d_name);
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2)
		return list(".");
	for (int i = 1; i < argc; i++)
		rc |= list(argv[i]);
	return rc;
}
