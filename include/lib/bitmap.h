/*
 * bitmap.h - bitmaps stored as arrays of uint64_t words.
 *
 * Bit i lives in word i / 64 at position i % 64.  A bitmap of nbits bits
 * takes BITMAP_WORDS(nbits) words; bits past nbits in the last word are
 * ignored by every search and count (they may hold anything).  Searches work
 * a word at a time.  No locking: callers serialize changes to one bitmap.
 * Any context; nothing here fails (a search that finds nothing returns
 * nbits).
 */
#ifndef LIB_BITMAP_H
#define LIB_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BITS_PER_WORD       64u
#define BITMAP_WORDS(nbits) (((nbits) + BITS_PER_WORD - 1) / BITS_PER_WORD)

static inline uint64_t bitmap_bit_mask(size_t bit)
{
	return (uint64_t)1 << (bit % BITS_PER_WORD);
}

static inline void bitmap_set(uint64_t *map, size_t bit)
{
	map[bit / BITS_PER_WORD] |= bitmap_bit_mask(bit);
}

static inline void bitmap_clear(uint64_t *map, size_t bit)
{
	map[bit / BITS_PER_WORD] &= ~bitmap_bit_mask(bit);
}

static inline bool bitmap_test(const uint64_t *map, size_t bit)
{
	return (map[bit / BITS_PER_WORD] & bitmap_bit_mask(bit)) != 0;
}

/* Set / clear bits [start, start + len). */
void bitmap_set_range(uint64_t *map, size_t start, size_t len);
void bitmap_clear_range(uint64_t *map, size_t start, size_t len);

/**
 * bitmap_find_next_zero() - first clear bit at or after @start.
 * Returns its index, or @nbits when there is none below @nbits.
 */
size_t bitmap_find_next_zero(const uint64_t *map, size_t nbits, size_t start);

/**
 * bitmap_find_next_set() - first set bit at or after @start.
 * Returns its index, or @nbits when there is none below @nbits.
 */
size_t bitmap_find_next_set(const uint64_t *map, size_t nbits, size_t start);

/**
 * bitmap_find_zero_run() - first run of @run_len clear bits at or after
 * @start that ends at or before @nbits.
 * Returns the index of its first bit, or @nbits when there is none.  A
 * @run_len of 0 finds @start itself (when @start <= @nbits).
 */
size_t bitmap_find_zero_run(const uint64_t *map, size_t nbits, size_t start,
			    size_t run_len);

/* bitmap_count_set() - number of set bits among the first @nbits. */
size_t bitmap_count_set(const uint64_t *map, size_t nbits);

#endif /* LIB_BITMAP_H */
