/* exit3.c - exit with status 3: the shell reports it. */
int main(void) { return 3; }
