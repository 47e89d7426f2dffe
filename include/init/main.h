/*
 * main.h - the kernel's C entry point (init/main.c).
 */
#ifndef INIT_MAIN_H
#define INIT_MAIN_H

#include <stdint.h>

/**
 * kmain - the boot CPU's path from the 64-bit entry to the shell or the
 * test run: the init order.  boot.S jumps here with the multiboot magic
 * and the physical address of the boot information; it does not return.
 */
void kmain(uint32_t magic, uint32_t info_pa);

#endif
