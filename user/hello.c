/* hello.c - the first program: prints its arguments.  Run it at the
 * prompt as /bin/hello a b (README, docs/11-user-space.md). */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello from user space!\n");
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	return 0;
}
