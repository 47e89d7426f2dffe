/*
 * crc.h - 32-bit cyclic redundancy checks.
 *
 * crc32c():     CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 *               checksum holdfs uses for its metadata.
 * crc32_ieee(): the CRC-32 of zlib, gzip, PNG and Ethernet (reflected
 *               polynomial 0xEDB88320), for interchange with host tools.
 *
 * Both are chainable like zlib's crc32(): start with 0 and feed the result
 * of one call into the next; the pre- and post-inversion happen inside.
 *   crc32c(crc32c(0, a, n), b, m) == crc32c(0, a followed by b, n + m)
 * Check values: crc32c(0, "123456789", 9) == 0xE3069283,
 *               crc32_ieee(0, "123456789", 9) == 0xCBF43926.
 * Safe from any context and any CPU; the lookup tables are built on first
 * use without locks (see lib/crc.c).
 */
#ifndef LIB_CRC_H
#define LIB_CRC_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define CRC32C_POLY      0x82F63B78u   /* Castagnoli, bit-reflected */
#define CRC32_IEEE_POLY  0xEDB88320u   /* IEEE 802.3, bit-reflected */

/* crc32c() - continue CRC-32C @crc (0 to start) over @len bytes at @buf. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* crc32c_sw() - the same from the tables, never the CPU's instruction. */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

#if defined(__x86_64__)
/*
 * crc32c() takes whichever of the tables and SSE4.2's crc32 instruction is
 * faster on this machine (timed on first use: under emulation the
 * instruction can be the slower).  crc32c_hw() is the instruction, to be
 * called only when crc32c_hw_available().
 */
bool crc32c_hw_available(void);
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len);
#endif

/* crc32_ieee() - continue zlib's CRC-32 @crc (0 to start) over @buf. */
uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len);

#endif /* LIB_CRC_H */
