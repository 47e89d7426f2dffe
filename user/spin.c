/* spin.c - run until stopped: "spin busy" loops in user mode, "spin
 * sleep" sleeps in nanosleep.  For Ctrl-C, &, ps and kill at the prompt. */
#include <stdio.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	int busy = argc > 1 && !strcmp(argv[1], "busy");
	volatile unsigned long n = 0;

	printf("spin: %s\n", busy ? "busy" : "sleeping");
	fflush(stdout);
	for (;;) {
		if (busy) {
			n++;
		} else {
			struct timespec ts = { 1, 0 };
			nanosleep(&ts, NULL);
		}
	}
}
