/*
 * size.h - sizes for people, exactly: "255.875 MiB", never a rounded
 * "255 MiB".  Any context; no locks; lib/size.c.
 */
#ifndef LIB_SIZE_H
#define LIB_SIZE_H

#include <stddef.h>
#include <stdint.h>

#define SIZE_STR_MAX	64	/* room for any uint64_t, every decimal shown */

/**
 * size_str - @bytes in the largest binary unit (B, KiB, MiB, GiB, TiB)
 * that is not larger than it, with as many decimals as it takes to be
 * exact (a binary fraction always ends): 268304384 -> "255.875 MiB",
 * 4096 -> "4 KiB", 1000 -> "1000 B".  Writes at most @size bytes
 * (NUL-terminated) into @buf and returns @buf.  If the exact decimals do
 * not fit, they are cut and the string ends in "..." (never rounded).
 */
char *size_str(char *buf, size_t size, uint64_t bytes);

#endif
