/*
 * bootinfo.h - what the boot loader told us, checked and copied.
 *
 * kernel/multiboot.c parses the multiboot1 or multiboot2 information into
 * one struct boot_info, validating every field, so nothing after it reads
 * loader memory.  The memory map is sanitised: sorted, zero-length entries
 * dropped, overlaps resolved in favour of the more restrictive type.
 */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define BOOT_MMAP_MAX		128
#define BOOT_CMDLINE_MAX	512
#define BOOT_MODULES_MAX	8
#define BOOT_RSDP_MAX		64

/* Memory types, as both multiboot specs number them. */
enum {
	MEM_AVAILABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIMABLE = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
};

struct boot_mem_region {
	uint64_t base, len;
	uint32_t type;
};

struct boot_info {
	int protocol;				/* 1 or 2 */
	char cmdline[BOOT_CMDLINE_MAX];
	char loader[64];
	unsigned nmmap;
	struct boot_mem_region mmap[BOOT_MMAP_MAX];
	unsigned nmodules;
	struct { uint64_t start, end; } modules[BOOT_MODULES_MAX];
	uint8_t rsdp[BOOT_RSDP_MAX];		/* copy from an ACPI tag, mb2 only */
	size_t rsdp_len;			/* 0: none, scan the BIOS area */
	uint64_t info_phys, info_len;		/* the loader's structure, to reserve */
	unsigned warnings;			/* how many problems were reported */
};

/* Access to loader memory by physical address; the kernel passes its
 * direct map, host tests a buffer.  Returns NULL if [pa, pa+len) is not
 * accessible. */
typedef const void *(*boot_phys_fn)(uint64_t pa, uint64_t len);

/*
 * multiboot_parse - fill *bi from the loader's magic and information
 * address.  Problems are reported with kprintf and counted in
 * bi->warnings; returns 0, or -EINVAL when the magic is unknown or the
 * structure unusable (bi then holds a fallback memory map).  Boot CPU,
 * once, before anything else runs; no lock.
 */
int multiboot_parse(uint32_t magic, uint64_t info_pa, boot_phys_fn phys, struct boot_info *bi);

/* Sanitise a raw memory map in place (exposed for tests).  Boot, one CPU,
 * like multiboot_parse; no lock, no errors. */
void bootinfo_sanitize_mmap(struct boot_info *bi);

extern struct boot_info boot_info;

#endif
