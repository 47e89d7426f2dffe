/*
 * ksyms.h - the kernel's built-in symbol table (generated at link time by
 * scripts/ksyms.py) and stack backtraces.
 *
 * Any context, panics and exception handlers included: the table is
 * read-only and nothing here takes a lock or allocates.  A backtrace stops
 * at the first frame pointer outside the direct map.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stdint.h>
#include <stddef.h>

/* Name of the function containing addr and the offset into it, or NULL. */
const char *ksyms_lookup(uint64_t addr, uint64_t *offset);
/* Print "name+0xoff" (or "?") for addr, no newline. */
void ksyms_print_addr(uint64_t addr);
/* Walk the frame-pointer chain from rbp and print one line per frame. */
void backtrace_print(uint64_t rbp, uint64_t rip);
/* Print the current call chain. */
void backtrace_here(void);

#endif
