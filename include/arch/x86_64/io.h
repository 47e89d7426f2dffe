/*
 * io.h - x86 port I/O (IN/OUT instructions).
 *
 * Port numbers are 16 bits (Intel SDM Vol. 2, IN/OUT).  Drivers name their
 * ports and registers; nothing should call these with a bare number.
 * Any context; no lock: a driver whose ports form an index/data pair
 * serialises them itself.
 */
#ifndef ARCH_X86_64_IO_H
#define ARCH_X86_64_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)  { __asm__ __volatile__("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ __volatile__("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ __volatile__("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t  inb(uint16_t port) { uint8_t v;  __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* A write to an unused port: about a microsecond on a PC, used between PIC/PIT accesses. */
static inline void io_wait(void) { outb(0x80, 0); }

#endif
