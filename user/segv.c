/* segv.c - dereference NULL: the kernel must kill only this program,
 * with "[pid N /bin/segv: SIGSEGV at 0x0, rip 0x...]". */
#include <stdio.h>

int main(void)
{
	volatile int *p = 0;

	printf("segv: about to read address 0\n");
	fflush(stdout);
	return *p;
}
