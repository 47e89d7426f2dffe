/*
 * string.h - memory and string functions, and checked number parsing.
 *
 * The usual C names with the C semantics, plus strlcpy/strlcat (BSD) and
 * parse_u64/parse_size, which refuse anything but a whole, in-range number.
 *
 * Kernel build: the functions carry their standard names, because gcc emits
 * calls to memcpy/memset/memmove/memcmp on its own (struct copies, zeroing).
 *
 * Host build (HOST_BUILD): libc's <string.h> is included first, then every
 * name here is mapped to a lib_ prefixed one by a macro (memcpy ->
 * lib_memcpy), so host tests and tools run our code, not libc's, without a
 * clash at link time or with the sanitizers' interceptors.  Include this
 * header after any libc header that uses these names in inline code.
 *
 * Any context: no lock, no allocation, no state.  Only the parsers fail,
 * with the error their comment names.
 */
#ifndef LIB_STRING_H
#define LIB_STRING_H

#include <stddef.h>
#include <stdint.h>

#ifdef HOST_BUILD
#include <string.h>
#define memcpy  lib_memcpy
#define memmove lib_memmove
#define memset  lib_memset
#define memcmp  lib_memcmp
#define strlen  lib_strlen
#define strnlen lib_strnlen
#define strcmp  lib_strcmp
#define strncmp lib_strncmp
#define strchr  lib_strchr
#define strrchr lib_strrchr
#define strlcpy lib_strlcpy
#define strlcat lib_strlcat
#define strstr  lib_strstr
#endif

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
/* memmove() - copy @n bytes; the ranges may overlap. */
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

size_t strlen(const char *s);
/* strnlen() - length of @s, looking at no more than @max bytes. */
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* strchr()/strrchr() - first/last @c in @s; c == '\0' finds the terminator. */
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
/* strstr() - first occurrence of @needle in @hay; "" matches at @hay. */
char *strstr(const char *hay, const char *needle);

/**
 * strlcpy() - copy a string into a buffer of @size bytes, truncating.
 * @dst: destination; NUL-terminated whenever @size > 0.
 * @src: NUL-terminated source.
 * @size: size of @dst in bytes.
 *
 * Returns strlen(@src): the copy was truncated iff the result is >= @size.
 */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);

/**
 * strlcat() - append @src to the string in @dst, a buffer of @size bytes.
 *
 * Returns the length of the string it tried to make: strnlen(@dst, @size) +
 * strlen(@src); truncated iff the result is >= @size.  When @dst holds no NUL
 * within @size bytes, nothing is written.
 */
size_t strlcat(char *restrict dst, const char *restrict src, size_t size);

/**
 * parse_u64() - parse a whole string as an unsigned 64-bit number.
 * @s: the text; no sign, no spaces, nothing after the digits.
 * @base: 2..36, or 0 for "0x"/"0X" prefix = hex, otherwise decimal.
 *        Base 16 also accepts the prefix.
 * @out: written only on success.
 *
 * Returns 0, -EINVAL for a NULL/empty string, a bad base, a non-digit or
 * trailing characters, -ERANGE when the value does not fit in 64 bits.
 */
int parse_u64(const char *s, unsigned base, uint64_t *out);

/**
 * parse_size() - parse a size such as "4096", "0x1000", "64K", "2g".
 * @s: a number as parse_u64(s, 0, ...) takes it, optionally followed by one
 *     of K, M, G, T (either case), meaning 2^10, 2^20, 2^30, 2^40.
 * @out: written only on success.
 *
 * Returns 0, -EINVAL for malformed text, -ERANGE when the result does not fit
 * in 64 bits.
 */
int parse_size(const char *s, uint64_t *out);

#endif /* LIB_STRING_H */
