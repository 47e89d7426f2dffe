/*
 * string.c - memory and string functions, and checked number parsing
 * (interface in include/lib/string.h).
 *
 * memcpy/memset must never turn into calls to themselves: gcc recognizes a
 * copy or fill loop and replaces it with a call to memcpy/memset, which here
 * would recurse.  The kernel build copies 64-byte blocks through registers
 * (see below for why not `rep movsb`).  The plain C loops (host build, and
 * the overlapping memmove in both builds) pass the pointer through an empty
 * asm each iteration,
 * which hides the pattern from the optimizer without compiler-specific
 * optimize attributes.  memmove calls memcpy only for disjoint ranges:
 * memcpy's restrict lets the compiler reorder a block's loads and stores.
 */
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/compiler.h>

/* Makes @p opaque to the optimizer, so a loop using it is not an idiom. */
#define OPAQUE(p) __asm__("" : "+r"(p))

/* A 64-bit word at any alignment, allowed to alias anything. */
typedef uint64_t __attribute__((may_alias, aligned(1))) unaligned_u64;

#define WORD_BYTES sizeof(uint64_t)

#if defined(KERNEL) && defined(__x86_64__)

/*
 * The kernel copies 64 bytes per iteration through general registers.
 * `rep movsb` would be shorter, but QEMU's TCG (where Holdfast mostly runs)
 * emulates string instructions one element at a time: measured 44 MB/s
 * against ~1.5 GB/s for this loop.  Small and unaligned tails go byte-wise.
 */
#define BLOCK_BYTES 64

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	for (; n >= BLOCK_BYTES; n -= BLOCK_BYTES, d += BLOCK_BYTES, s += BLOCK_BYTES) {
		const unaligned_u64 *sw = (const unaligned_u64 *)s;
		unaligned_u64 *dw = (unaligned_u64 *)d;
		uint64_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];
		uint64_t f = sw[4], g = sw[5], h = sw[6], i = sw[7];
		OPAQUE(d);
		dw[0] = a; dw[1] = b; dw[2] = c; dw[3] = e;
		dw[4] = f; dw[5] = g; dw[6] = h; dw[7] = i;
	}
	for (; n >= WORD_BYTES; n -= WORD_BYTES, d += WORD_BYTES, s += WORD_BYTES) {
		OPAQUE(d);
		*(unaligned_u64 *)d = *(const unaligned_u64 *)s;
	}
	while (n--) {
		OPAQUE(d);
		*d++ = *s++;
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t w = 0x0101010101010101ULL * (unsigned char)c;

	for (; n >= BLOCK_BYTES; n -= BLOCK_BYTES, d += BLOCK_BYTES) {
		unaligned_u64 *dw = (unaligned_u64 *)d;
		OPAQUE(d);
		dw[0] = w; dw[1] = w; dw[2] = w; dw[3] = w;
		dw[4] = w; dw[5] = w; dw[6] = w; dw[7] = w;
	}
	for (; n >= WORD_BYTES; n -= WORD_BYTES, d += WORD_BYTES) {
		OPAQUE(d);
		*(unaligned_u64 *)d = w;
	}
	while (n--) {
		OPAQUE(d);
		*d++ = (unsigned char)c;
	}
	return dst;
}

#else /* portable C, used by host builds */

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--) {
		OPAQUE(d);
		*d++ = *s++;
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--) {
		OPAQUE(d);
		*d++ = (unsigned char)c;
	}
	return dst;
}

#endif

/*
 * Copy from the start up, for a destination overlapping below the source.
 * Not memcpy: its restrict parameters promise no overlap, so the compiler
 * may (and in the kernel build does, -mgeneral-regs-only) schedule a
 * block's stores before the block's later loads, which clobbers source
 * bytes not yet read when the two ranges are less than 64 bytes apart.
 * Here the pointers may alias, so each word is read before the
 * overlapping store that follows it.
 */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
	for (; n >= WORD_BYTES; n -= WORD_BYTES, d += WORD_BYTES, s += WORD_BYTES) {
		OPAQUE(d);
		*(unaligned_u64 *)d = *(const unaligned_u64 *)s;
	}
	while (n--) {
		OPAQUE(d);
		*d++ = *s++;
	}
}

/* Copy from the end down, for a destination overlapping above the source. */
static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
	while (n >= WORD_BYTES) {
		n -= WORD_BYTES;
		OPAQUE(d);
		*(unaligned_u64 *)(d + n) = *(const unaligned_u64 *)(s + n);
	}
	while (n--) {
		OPAQUE(d);
		d[n] = s[n];
	}
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* memcpy only for disjoint ranges (its arguments are restrict). */
	if (d + n <= s || d >= s + n)
		return memcpy(dst, src, n);
	if (d < s)
		copy_forward(d, s, n);
	else if (d > s)
		copy_backward(d, s, n);
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++) {
		if (*x != *y)
			return *x - *y;
	}
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return *x - *y;
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (; n; n--, x++, y++) {
		if (*x != *y || !*x)
			return *x - *y;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

char *strstr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++) {
		if (!strncmp(hay, needle, n))
			return (char *)hay;
	}
	return n ? NULL : (char *)hay;
}

size_t strlcpy(char *restrict dst, const char *restrict src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

size_t strlcat(char *restrict dst, const char *restrict src, size_t size)
{
	size_t used = strnlen(dst, size);

	if (used == size)
		return size + strlen(src);
	return used + strlcpy(dst + used, src, size - used);
}

/* ------------------------------------------------------------ parsing ---- */

#define BASE_MIN      2
#define BASE_MAX      36
#define DIGIT_INVALID 255u
#define KIB_SHIFT     10

/* Value of the digit @c in bases up to 36, or DIGIT_INVALID. */
static unsigned digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'z')
		return (unsigned)(c - 'a') + 10;
	if (c >= 'A' && c <= 'Z')
		return (unsigned)(c - 'A') + 10;
	return DIGIT_INVALID;
}

static int has_hex_prefix(const char *s)
{
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

/*
 * Parse the digits at *@sp in @base (resolving base 0 and the hex prefix),
 * leaving *@sp after the last digit.  At least one digit is required.
 * Returns 0, -EINVAL (no digits, bad base) or -ERANGE; on -ERANGE the digits
 * are still consumed so the caller can check what follows.
 */
static int parse_digits(const char **sp, unsigned base, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;
	int err = 0;
	unsigned d;

	if (base == 0)
		base = has_hex_prefix(s) ? 16 : 10;
	if (base < BASE_MIN || base > BASE_MAX)
		return -EINVAL;
	if (base == 16 && has_hex_prefix(s))
		s += 2;
	if (digit_value(*s) >= base)
		return -EINVAL;
	for (; (d = digit_value(*s)) < base; s++) {
		if (v > (UINT64_MAX - d) / base)
			err = -ERANGE;
		v = v * base + d;
	}
	*sp = s;
	*out = v;
	return err;
}

int parse_u64(const char *s, unsigned base, uint64_t *out)
{
	uint64_t v;
	int err;

	if (!s)
		return -EINVAL;
	err = parse_digits(&s, base, &v);
	if (err == -EINVAL || *s)
		return -EINVAL;
	if (err)
		return err;
	*out = v;
	return 0;
}

/* log2 of the multiplier for a size suffix, or -1 if @c is not one. */
static int suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return KIB_SHIFT;
	case 'm': case 'M': return 2 * KIB_SHIFT;
	case 'g': case 'G': return 3 * KIB_SHIFT;
	case 't': case 'T': return 4 * KIB_SHIFT;
	default:            return -1;
	}
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v;
	int shift = 0;
	int err;

	if (!s)
		return -EINVAL;
	err = parse_digits(&s, 0, &v);
	if (err == -EINVAL)
		return err;
	if (*s) {
		shift = suffix_shift(*s++);
		if (shift < 0 || *s)
			return -EINVAL;
	}
	if (err)
		return err;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}
