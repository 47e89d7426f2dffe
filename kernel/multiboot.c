/*
 * multiboot.c - parse the multiboot1 / multiboot2 boot information.
 *
 * Layouts (named below, each with its section): Multiboot Specification
 * 0.6.96, sec. 3.3 (boot information format) and Multiboot2 Specification
 * 2.0, sec. 3.6 (boot information, tags).  Every read is bounds-checked
 * against the structure's own size, which is checked against a sane
 * maximum first; loader memory is reached only through the caller's
 * boot_phys_fn.  Problems are reported and the parse goes on with what is
 * usable.
 *
 * Portable C: built into the kernel and into the host tests
 * (tests/host/test_multiboot.c), which feed it crafted structures.
 */
#include <stddef.h>
#include <kernel/bootinfo.h>
#include <kernel/printk.h>
#include <arch/x86_64/boot.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <lib/compiler.h>

/* ------------------------------------------------------------- layouts */

/*
 * Multiboot 1, sec. 3.3 "Boot information format": the information
 * structure, with the flags saying which fields are valid.  Byte offsets
 * in the comments.  The APM, VBE and framebuffer fields after
 * boot_loader_name are not read, so the structure stops there; the whole
 * structure (MB1_INFO_SIZE) is what the kernel reserves.
 */
struct mb1_info {
	uint32_t flags;			/*  0 MB1_INFO_* */
	uint32_t mem_lower;		/*  4 KiB from 0 (MB1_INFO_MEM) */
	uint32_t mem_upper;		/*  8 KiB from 1 MiB (MB1_INFO_MEM) */
	uint32_t boot_device;		/* 12 */
	uint32_t cmdline;		/* 16 address of a C string (MB1_INFO_CMDLINE) */
	uint32_t mods_count;		/* 20 (MB1_INFO_MODS) */
	uint32_t mods_addr;		/* 24 array of struct mb1_module */
	uint32_t syms[4];		/* 28 a.out or ELF symbols */
	uint32_t mmap_length;		/* 44 bytes (MB1_INFO_MMAP) */
	uint32_t mmap_addr;		/* 48 struct mb1_mmap_entry, each after its size */
	uint32_t drives_length;		/* 52 */
	uint32_t drives_addr;		/* 56 */
	uint32_t config_table;		/* 60 */
	uint32_t boot_loader_name;	/* 64 address of a C string (MB1_INFO_LOADER) */
} __packed;

#define MB1_INFO_MEM		(1u << 0)
#define MB1_INFO_CMDLINE	(1u << 2)
#define MB1_INFO_MODS		(1u << 3)
#define MB1_INFO_MMAP		(1u << 6)
#define MB1_INFO_LOADER		(1u << 9)
#define MB1_INFO_SIZE		116	/* up to and including the VBE/FB fields */

/* Multiboot 1, sec. 3.3: one boot module. */
struct mb1_module {
	uint32_t mod_start;		/*  0 physical address */
	uint32_t mod_end;		/*  4 end address */
	uint32_t string;		/*  8 address of a C string */
	uint32_t reserved;		/* 12 */
} __packed;

/* Multiboot 1, sec. 3.3: one memory map entry.  `size` does not count
 * itself, and the next entry starts `size` bytes after it, so an entry may
 * be longer than the fields here (never shorter: MB1_MMAP_MIN_ENTRY). */
struct mb1_mmap_entry {
	uint32_t size;			/* -4 */
	uint64_t base_addr;		/*  0 */
	uint64_t length;		/*  8 */
	uint32_t type;			/* 16 MEM_* */
} __packed;

#define MB1_MMAP_MIN_ENTRY	(sizeof(struct mb1_mmap_entry) - \
				 offsetof(struct mb1_mmap_entry, base_addr))

/*
 * Multiboot2, sec. 3.6 "Boot information": a fixed part, then tags, each
 * starting at an 8-byte boundary and beginning with its type and its size
 * (header included, padding not).  An end tag (type 0, size 8) closes the
 * list.
 */
struct mb2_info {			/* 3.6.2 fixed part */
	uint32_t total_size;		/* 0 everything, end tag included */
	uint32_t reserved;		/* 4 */
} __packed;

struct mb2_tag {			/* 3.6.2 */
	uint32_t type;			/* 0 MB2_TAG_* */
	uint32_t size;			/* 4 */
} __packed;

#define MB2_TAG_END		0	/* 3.6.2 */
#define MB2_TAG_CMDLINE		1	/* 3.6.5 */
#define MB2_TAG_LOADER		2	/* 3.6.9 */
#define MB2_TAG_MODULE		3	/* 3.6.6 */
#define MB2_TAG_BASIC_MEM	4	/* 3.6.3 */
#define MB2_TAG_MMAP		6	/* 3.6.8 */
#define MB2_TAG_ACPI_OLD	14	/* 3.6.16 RSDP of ACPI 1.0 */
#define MB2_TAG_ACPI_NEW	15	/* 3.6.17 RSDP of ACPI 2.0 and later */
#define MB2_TAG_ALIGN		8
#define MB2_INFO_MIN		(sizeof(struct mb2_info) + sizeof(struct mb2_tag))
#define MB2_INFO_MAX		(1u << 20)	/* refuse larger structures */

struct mb2_tag_string {			/* 3.6.5 command line, 3.6.9 loader name */
	struct mb2_tag h;
	char string[];			/* 8 UTF-8, NUL-terminated */
} __packed;

struct mb2_tag_module {			/* 3.6.6 */
	struct mb2_tag h;
	uint32_t mod_start;		/*  8 */
	uint32_t mod_end;		/* 12 */
	char string[];			/* 16 */
} __packed;

struct mb2_tag_basic_mem {		/* 3.6.3 */
	struct mb2_tag h;
	uint32_t mem_lower;		/*  8 KiB */
	uint32_t mem_upper;		/* 12 KiB */
} __packed;

struct mb2_tag_mmap {			/* 3.6.8 */
	struct mb2_tag h;
	uint32_t entry_size;		/*  8 a multiple of 8 */
	uint32_t entry_version;		/* 12 0 */
	/* 16: entries of entry_size bytes */
} __packed;

struct mb2_mmap_entry {			/* 3.6.8 */
	uint64_t base_addr;		/*  0 */
	uint64_t length;		/*  8 */
	uint32_t type;			/* 16 MEM_* */
	uint32_t reserved;		/* 20 */
} __packed;

/* The fields read; entry_size, a multiple of 8, must cover them. */
#define MB2_MMAP_MIN_ENTRY	offsetof(struct mb2_mmap_entry, reserved)

struct mb2_tag_rsdp {			/* 3.6.16, 3.6.17 */
	struct mb2_tag h;
	uint8_t rsdp[];			/* 8 a copy of the RSDP */
} __packed;

_Static_assert(offsetof(struct mb1_info, mmap_length) == 44, "mb1 mmap_length");
_Static_assert(sizeof(struct mb1_info) == 68, "mb1 info up to boot_loader_name");
_Static_assert(sizeof(struct mb1_module) == 16, "mb1 module");
_Static_assert(MB1_MMAP_MIN_ENTRY == 20, "mb1 mmap entry");
_Static_assert(MB2_INFO_MIN == 16, "mb2 fixed part and end tag");
_Static_assert(sizeof(struct mb2_tag_module) == 16, "mb2 module tag");
_Static_assert(sizeof(struct mb2_tag_basic_mem) == 16, "mb2 basic memory tag");
_Static_assert(sizeof(struct mb2_tag_mmap) == 16, "mb2 memory map tag");
_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "mb2 memory map entry");
_Static_assert(MB2_MMAP_MIN_ENTRY == 20, "mb2 memory map entry fields");

/* ---------------------------------------------------------------- parse */

#define KIB			1024ULL
#define MIB			(1024 * KIB)
#define FALLBACK_RAM_BASE	(1 * MIB)
#define FALLBACK_RAM_SIZE	(32 * MIB)
#define LOW_MEM_LIMIT		(640 * KIB)

struct boot_info boot_info;

static __printf(2, 3) void warn(struct boot_info *bi, const char *fmt, ...)
{
	va_list ap;

	bi->warnings++;
	kprintf("multiboot: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
}

static void add_region(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
	if (bi->nmmap >= BOOT_MMAP_MAX) {
		warn(bi, "memory map has more than %d entries; ignoring %#lx+%#lx",
		     BOOT_MMAP_MAX, (unsigned long)base, (unsigned long)len);
		return;
	}
	bi->mmap[bi->nmmap++] = (struct boot_mem_region){ base, len, type };
}

/* Copy a NUL-terminated string from loader memory, bounded. */
static void copy_string(struct boot_info *bi, const char *what, uint64_t pa,
			char *dst, size_t dstsz, boot_phys_fn phys)
{
	const char *s = phys(pa, 1);
	size_t n = 0;

	dst[0] = 0;
	if (!s) {
		warn(bi, "%s at %#lx is not in accessible memory", what, (unsigned long)pa);
		return;
	}
	/* Read byte by byte through phys() so a string at the end of memory
	 * cannot make us read past it. */
	while (n + 1 < dstsz) {
		const char *c = phys(pa + n, 1);
		if (!c || !*c)
			break;
		dst[n++] = *c;
	}
	dst[n] = 0;
	if (n + 1 == dstsz) {
		const char *c = phys(pa + n, 1);
		if (c && *c)
			warn(bi, "%s longer than %zu bytes; truncated", what, dstsz - 1);
	}
}

/* Rank of a memory type when two entries overlap: higher wins. */
static int type_rank(uint32_t type)
{
	switch (type) {
	case MEM_AVAILABLE:		return 0;
	case MEM_ACPI_RECLAIMABLE:	return 1;
	case MEM_ACPI_NVS:		return 2;
	case MEM_BAD:			return 4;
	default:			return 3;	/* reserved and unknown */
	}
}

static void sort_regions(struct boot_mem_region *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct boot_mem_region x = r[i];
		unsigned j = i;
		while (j > 0 && r[j - 1].base > x.base) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = x;
	}
}

/**
 * bootinfo_sanitize_mmap - drop empty and wrapping entries, sort, and
 * split overlapping entries so that every byte has exactly one type (the
 * more restrictive one).  Adjacent entries of one type are merged.
 */
void bootinfo_sanitize_mmap(struct boot_info *bi)
{
	struct boot_mem_region in[BOOT_MMAP_MAX], out[BOOT_MMAP_MAX];
	uint64_t points[2 * BOOT_MMAP_MAX];
	unsigned n = 0, np = 0, nout = 0;

	for (unsigned i = 0; i < bi->nmmap; i++) {
		struct boot_mem_region r = bi->mmap[i];
		if (r.len == 0) {
			warn(bi, "memory map entry %u (base %#lx) has length 0; ignored",
			     i, (unsigned long)r.base);
			continue;
		}
		if (r.base + r.len < r.base) {
			warn(bi, "memory map entry %u (base %#lx, length %#lx) wraps around; clamped",
			     i, (unsigned long)r.base, (unsigned long)r.len);
			r.len = UINT64_MAX - r.base;
		}
		in[n++] = r;
	}
	sort_regions(in, n);
	for (unsigned i = 0; i + 1 < n; i++) {
		if (in[i].base + in[i].len > in[i + 1].base)
			warn(bi, "memory map entries %#lx+%#lx (type %u) and %#lx+%#lx (type %u) overlap; the overlap gets the more restrictive type",
			     (unsigned long)in[i].base, (unsigned long)in[i].len, in[i].type,
			     (unsigned long)in[i + 1].base, (unsigned long)in[i + 1].len, in[i + 1].type);
	}
	for (unsigned i = 0; i < n; i++) {
		points[np++] = in[i].base;
		points[np++] = in[i].base + in[i].len;
	}
	/* sort the boundary points (insertion sort; n is small) */
	for (unsigned i = 1; i < np; i++) {
		uint64_t x = points[i];
		unsigned j = i;
		while (j > 0 && points[j - 1] > x) {
			points[j] = points[j - 1];
			j--;
		}
		points[j] = x;
	}
	for (unsigned i = 0; i + 1 < np; i++) {
		uint64_t lo = points[i], hi = points[i + 1];
		int best = -1;
		uint32_t type = 0;

		if (lo == hi)
			continue;
		for (unsigned k = 0; k < n; k++) {
			if (in[k].base <= lo && in[k].base + in[k].len >= hi &&
			    type_rank(in[k].type) > best) {
				best = type_rank(in[k].type);
				type = in[k].type;
			}
		}
		if (best < 0)
			continue;	/* a hole between entries */
		if (nout > 0 && out[nout - 1].type == type &&
		    out[nout - 1].base + out[nout - 1].len == lo) {
			out[nout - 1].len += hi - lo;
		} else if (nout < BOOT_MMAP_MAX) {
			out[nout++] = (struct boot_mem_region){ lo, hi - lo, type };
		}
	}
	memcpy(bi->mmap, out, nout * sizeof(out[0]));
	bi->nmmap = nout;
}

/* ------------------------------------------------------------ multiboot 1 */

static void mb1_mmap(struct boot_info *bi, const struct mb1_info *mi, boot_phys_fn phys)
{
	const uint8_t *buf = phys(mi->mmap_addr, mi->mmap_length);
	struct mb1_mmap_entry e;
	uint64_t off = 0;

	if (!buf) {
		warn(bi, "memory map at %#x (length %u) is not in accessible memory",
		     mi->mmap_addr, mi->mmap_length);
		return;
	}
	while (off + sizeof(e.size) <= mi->mmap_length) {
		memcpy(&e.size, buf + off, sizeof(e.size));
		if (e.size < MB1_MMAP_MIN_ENTRY || off + sizeof(e.size) + e.size > mi->mmap_length) {
			warn(bi, "memory map entry at offset %lu has size %u (needs %zu..%lu); rest of the map ignored",
			     (unsigned long)off, e.size, MB1_MMAP_MIN_ENTRY,
			     (unsigned long)(mi->mmap_length - off - sizeof(e.size)));
			return;
		}
		memcpy(&e, buf + off, sizeof(e));	/* e.size >= MB1_MMAP_MIN_ENTRY */
		add_region(bi, e.base_addr, e.length, e.type);
		off += sizeof(e.size) + e.size;
	}
}

static void mb1_basic_mem(struct boot_info *bi, uint32_t lower_kb, uint32_t upper_kb)
{
	add_region(bi, 0, MIN((uint64_t)lower_kb * KIB, LOW_MEM_LIMIT), MEM_AVAILABLE);
	add_region(bi, 1 * MIB, (uint64_t)upper_kb * KIB, MEM_AVAILABLE);
}

static int parse_mb1(uint64_t info_pa, boot_phys_fn phys, struct boot_info *bi)
{
	const struct mb1_info *mi = phys(info_pa, sizeof(*mi));

	if (!mi) {
		warn(bi, "multiboot1 information at %#lx is not in accessible memory",
		     (unsigned long)info_pa);
		return -EINVAL;
	}
	bi->protocol = 1;
	bi->info_phys = info_pa;
	bi->info_len = MB1_INFO_SIZE;
	if (mi->flags & MB1_INFO_CMDLINE)
		copy_string(bi, "command line", mi->cmdline, bi->cmdline, sizeof(bi->cmdline), phys);
	if (mi->flags & MB1_INFO_LOADER)
		copy_string(bi, "boot loader name", mi->boot_loader_name, bi->loader,
			    sizeof(bi->loader), phys);
	if (mi->flags & MB1_INFO_MODS) {
		const struct mb1_module *m = phys(mi->mods_addr,
						  (uint64_t)mi->mods_count * sizeof(*m));
		if (!m && mi->mods_count)
			warn(bi, "module list at %#x is not in accessible memory", mi->mods_addr);
		for (uint32_t i = 0; m && i < mi->mods_count && i < BOOT_MODULES_MAX; i++) {
			bi->modules[i].start = m[i].mod_start;
			bi->modules[i].end = m[i].mod_end;
			bi->nmodules++;
		}
	}
	if (mi->flags & MB1_INFO_MMAP)
		mb1_mmap(bi, mi, phys);
	if (bi->nmmap == 0 && (mi->flags & MB1_INFO_MEM)) {
		warn(bi, "no memory map; using mem_lower=%u KiB, mem_upper=%u KiB",
		     mi->mem_lower, mi->mem_upper);
		mb1_basic_mem(bi, mi->mem_lower, mi->mem_upper);
	}
	return 0;
}

/* ------------------------------------------------------------ multiboot 2 */

static void mb2_mmap(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
	const struct mb2_tag_mmap *t = (const void *)tag;
	uint32_t entry_size;

	if (size < sizeof(*t)) {
		warn(bi, "memory map tag has size %u (minimum %zu)", size, sizeof(*t));
		return;
	}
	entry_size = t->entry_size;
	if (entry_size < MB2_MMAP_MIN_ENTRY || entry_size % MB2_TAG_ALIGN) {
		warn(bi, "memory map entry size %u is invalid (multiple of 8, at least 24)", entry_size);
		return;
	}
	for (uint32_t off = sizeof(*t); off + entry_size <= size; off += entry_size) {
		const struct mb2_mmap_entry *e = (const void *)(tag + off);

		add_region(bi, e->base_addr, e->length, e->type);
	}
}

/* Command line or boot loader name: the string after the tag header. */
static void mb2_string(struct boot_info *bi, const uint8_t *tag, uint32_t type, uint32_t size)
{
	const struct mb2_tag_string *t = (const void *)tag;
	char *dst = type == MB2_TAG_CMDLINE ? bi->cmdline : bi->loader;
	size_t dstsz = type == MB2_TAG_CMDLINE ? sizeof(bi->cmdline) : sizeof(bi->loader);
	size_t n = strnlen(t->string, size - sizeof(t->h));

	if (n >= dstsz) {
		warn(bi, "%s longer than %zu bytes; truncated",
		     type == MB2_TAG_CMDLINE ? "command line" : "boot loader name", dstsz - 1);
		n = dstsz - 1;
	}
	memcpy(dst, t->string, n);
	dst[n] = 0;
}

static void mb2_module(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
	const struct mb2_tag_module *t = (const void *)tag;

	if (size < sizeof(*t)) {
		warn(bi, "module tag has size %u (minimum %zu)", size, sizeof(*t));
		return;
	}
	if (bi->nmodules < BOOT_MODULES_MAX) {
		bi->modules[bi->nmodules].start = t->mod_start;
		bi->modules[bi->nmodules++].end = t->mod_end;
	}
}

/* The RSDP copy; the new (ACPI 2.0+) one wins when both tags are there. */
static void mb2_rsdp(struct boot_info *bi, const uint8_t *tag, uint32_t type, uint32_t size)
{
	const struct mb2_tag_rsdp *t = (const void *)tag;

	if (type == MB2_TAG_ACPI_OLD && bi->rsdp_len)
		return;
	bi->rsdp_len = MIN((size_t)(size - sizeof(t->h)), sizeof(bi->rsdp));
	memcpy(bi->rsdp, t->rsdp, bi->rsdp_len);
}

static void mb2_tag(struct boot_info *bi, const uint8_t *tag, uint32_t type, uint32_t size,
		    uint32_t *basic_lower, uint32_t *basic_upper)
{
	const struct mb2_tag_basic_mem *mem = (const void *)tag;

	switch (type) {
	case MB2_TAG_CMDLINE:
	case MB2_TAG_LOADER:
		mb2_string(bi, tag, type, size);
		break;
	case MB2_TAG_MODULE:
		mb2_module(bi, tag, size);
		break;
	case MB2_TAG_BASIC_MEM:
		if (size >= sizeof(*mem)) {
			*basic_lower = mem->mem_lower;
			*basic_upper = mem->mem_upper;
		}
		break;
	case MB2_TAG_MMAP:
		mb2_mmap(bi, tag, size);
		break;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		mb2_rsdp(bi, tag, type, size);
		break;
	default:
		break;	/* framebuffer, ELF sections, ...: not used */
	}
}

static int parse_mb2(uint64_t info_pa, boot_phys_fn phys, struct boot_info *bi)
{
	const struct mb2_info *hdr = phys(info_pa, sizeof(*hdr));
	const uint8_t *buf;
	uint32_t total, off = sizeof(*hdr), basic_lower = 0, basic_upper = 0;
	bool saw_end = false;

	if (!hdr) {
		warn(bi, "multiboot2 information at %#lx is not in accessible memory",
		     (unsigned long)info_pa);
		return -EINVAL;
	}
	total = hdr->total_size;
	if (total < MB2_INFO_MIN || total > MB2_INFO_MAX) {
		warn(bi, "multiboot2 information total_size %u is out of range (%zu..%u)",
		     total, MB2_INFO_MIN, MB2_INFO_MAX);
		return -EINVAL;
	}
	buf = phys(info_pa, total);
	if (!buf) {
		warn(bi, "multiboot2 information %#lx+%u is not in accessible memory",
		     (unsigned long)info_pa, total);
		return -EINVAL;
	}
	bi->protocol = 2;
	bi->info_phys = info_pa;
	bi->info_len = total;
	while (off + sizeof(struct mb2_tag) <= total) {
		struct mb2_tag t;
		memcpy(&t, buf + off, sizeof(t));
		if (t.type == MB2_TAG_END) {
			saw_end = true;
			break;
		}
		if (t.size < sizeof(t) || t.size > total - off) {
			warn(bi, "tag type %u at offset %u has size %u (must be 8..%u); rest ignored",
			     t.type, off, t.size, total - off);
			break;
		}
		mb2_tag(bi, buf + off, t.type, t.size, &basic_lower, &basic_upper);
		off += ALIGN_UP(t.size, MB2_TAG_ALIGN);
	}
	if (!saw_end)
		warn(bi, "no end tag within total_size %u", total);
	if (bi->nmmap == 0 && basic_upper) {
		warn(bi, "no memory map; using basic memory information");
		mb1_basic_mem(bi, basic_lower, basic_upper);
	}
	return 0;
}

int multiboot_parse(uint32_t magic, uint64_t info_pa, boot_phys_fn phys, struct boot_info *bi)
{
	int err;

	memset(bi, 0, sizeof(*bi));
	if (magic == MB1_BOOTLOADER_MAGIC) {
		err = parse_mb1(info_pa, phys, bi);
	} else if (magic == MB2_BOOTLOADER_MAGIC) {
		err = parse_mb2(info_pa, phys, bi);
	} else {
		warn(bi, "unknown boot loader magic %#x (expected %#x or %#x)",
		     magic, MB1_BOOTLOADER_MAGIC, MB2_BOOTLOADER_MAGIC);
		err = -EINVAL;
	}
	bootinfo_sanitize_mmap(bi);
	bool any_ram = false;
	for (unsigned i = 0; i < bi->nmmap; i++)
		any_ram |= bi->mmap[i].type == MEM_AVAILABLE;
	if (!any_ram) {
		warn(bi, "no usable RAM in the boot information; assuming %llu MiB at %llu MiB",
		     FALLBACK_RAM_SIZE / MIB, FALLBACK_RAM_BASE / MIB);
		bi->nmmap = 0;
		add_region(bi, FALLBACK_RAM_BASE, FALLBACK_RAM_SIZE, MEM_AVAILABLE);
	}
	return err;
}
