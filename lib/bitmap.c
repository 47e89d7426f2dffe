/*
 * bitmap.c - range updates, searches and counts on word bitmaps
 * (interface in include/lib/bitmap.h).
 *
 * Every operation handles a partial first word, whole middle words and a
 * partial last word; searches turn "find a zero" into "find a one" by
 * inverting each word, then use count-trailing-zeros (an inline bsf/tzcnt).
 */
#include <lib/bitmap.h>

#define ALL_ONES  (~(uint64_t)0)
#define INVERT    ALL_ONES      /* xor mask that turns zeros into ones */
#define NO_INVERT ((uint64_t)0)

/* SWAR population count constants (bit pairs, nibbles, bytes). */
#define POP_M1   0x5555555555555555ull
#define POP_M2   0x3333333333333333ull
#define POP_M4   0x0f0f0f0f0f0f0f0full
#define POP_H01  0x0101010101010101ull
#define POP_TOP_BYTE_SHIFT 56

/*
 * Bits set in @x.  Not __builtin_popcountll: without -mpopcnt gcc turns that
 * into a call to libgcc's __popcountdi2, which the kernel does not link.
 */
static unsigned popcount64(uint64_t x)
{
	x -= (x >> 1) & POP_M1;
	x = (x & POP_M2) + ((x >> 2) & POP_M2);
	x = (x + (x >> 4)) & POP_M4;
	return (unsigned)((x * POP_H01) >> POP_TOP_BYTE_SHIFT);
}

/* Mask of bits [lo, hi) within one word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(unsigned lo, unsigned hi)
{
	uint64_t upper = hi == BITS_PER_WORD ? ALL_ONES : ((uint64_t)1 << hi) - 1;

	return upper & (ALL_ONES << lo);
}

/* Apply @set (1) or clear (0) to bits [start, start + len). */
static void update_range(uint64_t *map, size_t start, size_t len, bool set)
{
	size_t w = start / BITS_PER_WORD;
	unsigned lo = start % BITS_PER_WORD;

	while (len) {
		unsigned hi = len < BITS_PER_WORD - lo ? lo + (unsigned)len
						       : BITS_PER_WORD;
		uint64_t mask = word_mask(lo, hi);

		if (set)
			map[w] |= mask;
		else
			map[w] &= ~mask;
		len -= hi - lo;
		lo = 0;
		w++;
	}
}

void bitmap_set_range(uint64_t *map, size_t start, size_t len)
{
	update_range(map, start, len, true);
}

void bitmap_clear_range(uint64_t *map, size_t start, size_t len)
{
	update_range(map, start, len, false);
}

/*
 * First bit at or after @start, below @nbits, that is set in (word ^ @invert).
 * Returns @nbits when there is none.
 */
static size_t find_next(const uint64_t *map, size_t nbits, size_t start,
			uint64_t invert)
{
	size_t nwords = BITMAP_WORDS(nbits);
	size_t w = start / BITS_PER_WORD;
	uint64_t word;
	size_t bit;

	if (start >= nbits)
		return nbits;
	word = (map[w] ^ invert) & (ALL_ONES << (start % BITS_PER_WORD));
	while (!word) {
		if (++w >= nwords)
			return nbits;
		word = map[w] ^ invert;
	}
	bit = w * BITS_PER_WORD + (size_t)__builtin_ctzll(word);
	return bit < nbits ? bit : nbits;
}

size_t bitmap_find_next_zero(const uint64_t *map, size_t nbits, size_t start)
{
	return find_next(map, nbits, start, INVERT);
}

size_t bitmap_find_next_set(const uint64_t *map, size_t nbits, size_t start)
{
	return find_next(map, nbits, start, NO_INVERT);
}

size_t bitmap_find_zero_run(const uint64_t *map, size_t nbits, size_t start,
			    size_t run_len)
{
	size_t pos, end;

	if (run_len == 0)
		return start <= nbits ? start : nbits;
	pos = bitmap_find_next_zero(map, nbits, start);
	while (pos < nbits && run_len <= nbits - pos) {
		/* Is any bit of [pos, pos + run_len) set? */
		end = find_next(map, pos + run_len, pos, NO_INVERT);
		if (end == pos + run_len)
			return pos;
		pos = bitmap_find_next_zero(map, nbits, end + 1);
	}
	return nbits;
}

size_t bitmap_count_set(const uint64_t *map, size_t nbits)
{
	size_t full = nbits / BITS_PER_WORD;
	unsigned tail = nbits % BITS_PER_WORD;
	size_t count = 0;
	size_t w;

	for (w = 0; w < full; w++)
		count += popcount64(map[w]);
	if (tail)
		count += popcount64(map[full] & word_mask(0, tail));
	return count;
}
