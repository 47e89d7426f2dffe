/*
 * crc.c - table-driven CRC-32C and CRC-32 (interface in include/lib/crc.h).
 *
 * Slicing-by-8: table[0] is the classic byte table; table[k][b] is the CRC
 * contribution of byte b followed by k zero bytes, so eight table lookups
 * consume one 64-bit word.  Both polynomials are bit-reflected, so bytes
 * enter at the low end and a little-endian load lines them up.
 *
 * The tables (8 KiB per polynomial) are computed on first use.  The first
 * caller claims them with a compare-and-swap and builds them; anyone who
 * arrives meanwhile (another CPU, or an interrupt on the builder's CPU)
 * computes bit by bit instead of waiting, so there is no lock and no
 * deadlock.  Readers see the tables only after a release store of READY.
 */
#include <lib/crc.h>
#include <stdbool.h>
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "crc.c loads words little-endian"
#endif

#define CRC_SLICES   8           /* bytes consumed per step */
#define BYTE_VALUES  256
#define BYTE_BITS    8
#define BYTE_MASK    0xffu
#define CRC_INVERT   0xffffffffu /* pre- and post-conditioning */

typedef uint64_t __attribute__((may_alias, aligned(1))) unaligned_u64;

enum table_state { TABLES_EMPTY, TABLES_BUILDING, TABLES_READY };

struct crc_kind {
	uint32_t poly;
	int state;                                  /* enum table_state */
	uint32_t table[CRC_SLICES][BYTE_VALUES];
};

static struct crc_kind crc32c_kind = { .poly = CRC32C_POLY };
static struct crc_kind ieee_kind = { .poly = CRC32_IEEE_POLY };

/* Advance @crc over one byte's worth of bits, one bit at a time. */
static uint32_t crc_byte_bitwise(uint32_t poly, uint32_t crc, uint8_t b)
{
	int i;

	crc ^= b;
	for (i = 0; i < BYTE_BITS; i++)
		crc = (crc >> 1) ^ (poly & (0u - (crc & 1)));
	return crc;
}

static void build_tables(struct crc_kind *k)
{
	unsigned b, s;

	for (b = 0; b < BYTE_VALUES; b++)
		k->table[0][b] = crc_byte_bitwise(k->poly, 0, (uint8_t)b);
	for (s = 1; s < CRC_SLICES; s++) {
		for (b = 0; b < BYTE_VALUES; b++) {
			uint32_t prev = k->table[s - 1][b];

			k->table[s][b] = (prev >> BYTE_BITS) ^
					 k->table[0][prev & BYTE_MASK];
		}
	}
}

/* The tables of @k, or NULL while another caller is still building them. */
static const uint32_t (*get_tables(struct crc_kind *k))[BYTE_VALUES]
{
	int expected = TABLES_EMPTY;

	if (__atomic_load_n(&k->state, __ATOMIC_ACQUIRE) == TABLES_READY)
		return k->table;
	if (!__atomic_compare_exchange_n(&k->state, &expected, TABLES_BUILDING,
					 false, __ATOMIC_ACQUIRE,
					 __ATOMIC_ACQUIRE))
		return NULL;
	build_tables(k);
	__atomic_store_n(&k->state, TABLES_READY, __ATOMIC_RELEASE);
	return k->table;
}

static uint32_t crc_sliced(const uint32_t (*t)[BYTE_VALUES], uint32_t crc,
			   const uint8_t *p, size_t len)
{
	for (; len >= CRC_SLICES; p += CRC_SLICES, len -= CRC_SLICES) {
		uint64_t w = *(const unaligned_u64 *)p ^ crc;
		uint32_t lo = (uint32_t)w, hi = (uint32_t)(w >> 32);

		/* Byte i of the word is followed by 7 - i more bytes. */
		crc = t[7][lo & BYTE_MASK] ^ t[6][(lo >> 8) & BYTE_MASK] ^
		      t[5][(lo >> 16) & BYTE_MASK] ^ t[4][lo >> 24];
		/*
		 * Every table maps byte 0 to 0, so a zero high half adds
		 * nothing.  Checksummed metadata is mostly zeros and small
		 * numbers, and under TCG each lookup is a checked load: an
		 * inode's CRC skips about half of them.
		 */
		if (hi)
			crc ^= t[3][hi & BYTE_MASK] ^ t[2][(hi >> 8) & BYTE_MASK] ^
			       t[1][(hi >> 16) & BYTE_MASK] ^ t[0][hi >> 24];
	}
	for (; len; p++, len--)
		crc = t[0][(crc ^ *p) & BYTE_MASK] ^ (crc >> BYTE_BITS);
	return crc;
}

static uint32_t crc_update(struct crc_kind *k, uint32_t crc, const void *buf,
			   size_t len)
{
	const uint32_t (*t)[BYTE_VALUES] = get_tables(k);
	const uint8_t *p = buf;

	crc ^= CRC_INVERT;
	if (t) {
		crc = crc_sliced(t, crc, p, len);
	} else {
		for (; len; p++, len--)
			crc = crc_byte_bitwise(k->poly, crc, *p);
	}
	return crc ^ CRC_INVERT;
}

#if defined(__x86_64__)
/*
 * SSE4.2's crc32 instruction computes exactly this CRC-32C (reflected,
 * without the inversions), 8 bytes per instruction in general registers:
 * no vector state to save.  CPUID.1:ECX bit 20.
 *
 * Having the instruction does not make it the faster way.  On hardware it
 * is an order of magnitude faster than the tables; under QEMU's TCG each
 * crc32 is a call into a helper that shifts the 64 bits through one at a
 * time, and the table walk, translated into plain host loads and xors, is
 * about three times faster (1.5 us against 0.5 us for a 256-byte inode,
 * measured with -cpu max).  So the first crc32c() times both over the
 * same bytes and keeps the faster; both give the same CRC, so a race
 * between two first callers only costs a second measurement.
 */
enum crc_impl { IMPL_UNKNOWN, IMPL_TABLES, IMPL_INSTRUCTION };

static int chosen_impl = IMPL_UNKNOWN;

bool crc32c_hw_available(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ __volatile__("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (c >> 20) & 1;
}

uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t c = crc ^ CRC_INVERT;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w = *(const unaligned_u64 *)p;

		__asm__("crc32q %1, %0" : "+r"(c) : "r"(w));
	}
	for (; len; p++, len--)
		__asm__("crc32b %1, %k0" : "+r"(c) : "r"(*p));
	return (uint32_t)c ^ CRC_INVERT;
}

#define TRIAL_BYTES	256	/* an inode: the typical metadata checksum */
#define TRIALS		3	/* best of: an interrupt spoils one, not all */

/* Fewest TSC cycles @fn took over @buf in TRIALS runs. */
static uint64_t best_cycles(uint32_t (*fn)(uint32_t, const void *, size_t),
			    const uint8_t *buf)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < TRIALS; i++) {
		uint64_t t0 = __builtin_ia32_rdtsc();
		volatile uint32_t sink = fn(0, buf, TRIAL_BYTES);
		uint64_t t = __builtin_ia32_rdtsc() - t0;

		(void)sink;
		if (t < best)
			best = t;
	}
	return best;
}

static int choose_impl(void)
{
	uint8_t buf[TRIAL_BYTES];
	int impl = IMPL_TABLES;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 31 + 7);
	if (crc32c_hw_available()) {
		(void)crc32c_sw(0, buf, sizeof(buf));	/* tables built, warm */
		if (best_cycles(crc32c_hw, buf) < best_cycles(crc32c_sw, buf))
			impl = IMPL_INSTRUCTION;
	}
	__atomic_store_n(&chosen_impl, impl, __ATOMIC_RELAXED);
	return impl;
}

#endif

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
#if defined(__x86_64__)
	int impl = __atomic_load_n(&chosen_impl, __ATOMIC_RELAXED);

	if (impl == IMPL_UNKNOWN)
		impl = choose_impl();
	if (impl == IMPL_INSTRUCTION)
		return crc32c_hw(crc, buf, len);
#endif
	return crc_update(&crc32c_kind, crc, buf, len);
}

/* The table version, whatever the CPU offers (tests compare the two). */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	return crc_update(&crc32c_kind, crc, buf, len);
}

uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len)
{
	return crc_update(&ieee_kind, crc, buf, len);
}
