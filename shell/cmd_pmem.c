/*
 * cmd_pmem.c - shell commands for persistent memory and firmware tables:
 *   nvdimm                         list the pmem regions
 *   pmem write [-w] R OFF TEXT     store TEXT at byte OFF of region R, durably
 *   pmem fill [-w] R OFF LEN BYTE  fill LEN bytes with BYTE, durably
 *   pmem read R OFF LEN            hex dump
 *   pmem crc R OFF LEN             CRC-32 (zlib) of a range
 *   acpi                           list the ACPI tables
 * R is a region's name as `nvdimm` prints it (pmem0) or its number (0).
 * write and fill store behind the filesystem's back: on the region that
 * holds the mounted root filesystem they need -w (as `bench -w` does).
 */
#include <drivers/pmem.h>
#include <lib/printf.h>
#include <drivers/blkdev.h>
#include <drivers/nfit.h>
#include <drivers/acpi.h>
#include <fs/vfs.h>
#include <kernel/mm.h>
#include <lib/size.h>
#include <lib/string.h>
#include <lib/crc.h>
#include <lib/errno.h>
#include <shell/shell.h>
#include "region.h"

#define CHUNK		4096
#define DUMP_MAX	4096
#define DUMP_COLS	16

static int cmd_nvdimm(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
	if (pmem_region_count() == 0) {
		shell_printf("no persistent memory found\n");
		return 0;
	}
	shell_printf("region  phys base                   size  NFIT handle  mapped at           pinned\n");
	for (unsigned i = 0; i < pmem_region_count(); i++) {
		struct pmem_region *r = pmem_region(i);
		uint64_t pinned = 0;
		for (uint64_t p = 0; p < r->npages; p++)
			pinned += pmem_page_pins(&r->pages[p]) != 0;
		char size[SIZE_STR_MAX];

		shell_printf("pmem%-3u %#018lx  %12s  %#-11x  %#018lx  %lu%s\n", r->index, r->phys,
			     size_str(size, sizeof(size), r->size), r->handle, (uint64_t)r->virt, pinned,
			     r->memdev_flags & NFIT_MEM_NOT_ARMED ? "  (not armed)" : "");
	}
	shell_printf("cache flush: %s\n", pmem_flush_name());
	return 0;
}
SHELL_CMD("nvdimm", "nvdimm", "list persistent-memory regions", cmd_nvdimm);

#define REGION_PREFIX	"pmem"

/**
 * shell_parse_region - "pmem0" .. "pmemN", or the bare number: the region
 * in *@r, or an error said, prefixed by @cmd.  Shell thread.
 * Returns 0, -EINVAL (not a region's name) or -ENODEV (no such region).
 */
#define DEV_PREFIX	"/dev/"

int shell_parse_region(const char *cmd, const char *arg, struct pmem_region **r)
{
	const char *num = arg;
	unsigned n = pmem_region_count();
	uint64_t idx;

	if (!strncmp(num, DEV_PREFIX, strlen(DEV_PREFIX)))
		num += strlen(DEV_PREFIX);	/* the device node: /dev/pmem1 */
	if (!strncmp(num, REGION_PREFIX, strlen(REGION_PREFIX)))
		num += strlen(REGION_PREFIX);
	if (!num[0] || parse_u64(num, 10, &idx)) {
		shell_printf("%s: '%s' is not a region: expected a name as nvdimm lists them "
			     "(pmem0), or its number (0)\n", cmd, arg);
		return -EINVAL;
	}
	if (idx >= n || !(*r = pmem_region((unsigned)idx))) {
		if (n == 0)
			shell_printf("%s: no region %s: there is no persistent memory\n", cmd, arg);
		else if (n == 1)
			shell_printf("%s: no region %s (there is 1: pmem0)\n", cmd, arg);
		else
			shell_printf("%s: no region %s (there are %u: pmem0 to pmem%u)\n", cmd,
				     arg, n, n - 1);
		return -ENODEV;
	}
	return 0;
}

/**
 * shell_parse_pmem_dev - a pmem block device as ls /dev lists it
 * ("/dev/pmem1.1", "pmem1.1"), or a region's number (1: its device
 * pmem1): the device in *@bd, or an error said, prefixed by @cmd.  Shell
 * thread.  Returns 0, -ENODEV (no such device) or -EOPNOTSUPP (not pmem).
 */
int shell_parse_pmem_dev(const char *cmd, const char *arg, struct blkdev **bd)
{
	char name[BLKDEV_NAME_MAX + sizeof(DEV_PREFIX)];
	uint64_t idx;

	if (arg[0] && !parse_u64(arg, 10, &idx) && idx < 1000)
		snprintf(name, sizeof(name), REGION_PREFIX "%lu", idx);
	else
		strlcpy(name, arg, sizeof(name));
	*bd = strlen(arg) < sizeof(name) ? blkdev_lookup(name) : NULL;
	if (!*bd) {
		shell_printf("%s: no device '%s' (ls /dev lists them)\n", cmd, arg);
		return -ENODEV;
	}
	if (!(*bd)->pmem) {
		shell_printf("%s: %s is not persistent memory\n", cmd, (*bd)->name);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Parse "R OFF" and, if want_len, "LEN"; check the range is in the region. */
static int parse_range(char **argv, bool want_len, struct pmem_region **r,
		       uint64_t *off, uint64_t *len)
{
	int err;

	if ((err = shell_parse_region("pmem", argv[2], r)))
		return err;
	if (shell_parse_size(argv[3], "offset", off) ||
	    (want_len && shell_parse_size(argv[4], "length", len)))
		return -EINVAL;
	uint64_t l = want_len ? *len : 0;
	if (*off > (*r)->size || l > (*r)->size - *off) {
		shell_printf("pmem: %#lx+%#lx is outside pmem%u (size %#lx)\n", *off, l,
			     (*r)->index, (*r)->size);
		return -ERANGE;
	}
	return 0;
}

static void dump(const uint8_t *p, uint64_t off, uint64_t len)
{
	for (uint64_t i = 0; i < len; i += DUMP_COLS) {
		shell_printf("%08lx ", off + i);
		for (uint64_t j = 0; j < DUMP_COLS; j++) {
			if (i + j < len)
				shell_printf(" %02x", p[i + j]);
			else
				shell_printf("   ");
		}
		shell_printf("  |");
		for (uint64_t j = 0; j < DUMP_COLS && i + j < len; j++)
			shell_printf("%c", p[i + j] >= 0x20 && p[i + j] < 0x7f ? p[i + j] : '.');
		shell_printf("|\n");
	}
}

static int pmem_cmd_read(struct pmem_region *r, uint64_t off, uint64_t len)
{
	static uint8_t buf[DUMP_MAX];

	if (len > DUMP_MAX) {
		shell_printf("pmem read: at most %d bytes at a time\n", DUMP_MAX);
		return -EINVAL;
	}
	pmem_read(r, off, buf, len);
	dump(buf, off, len);
	return 0;
}

static int pmem_cmd_fill(struct pmem_region *r, uint64_t off, uint64_t len, const char *b)
{
	static uint8_t chunk[CHUNK];
	uint64_t v;

	if (shell_parse_u64(b, "byte", &v))
		return -EINVAL;
	if (v > 0xff) {
		shell_printf("pmem fill: byte %#lx is larger than 0xff\n", v);
		return -EINVAL;
	}
	memset(chunk, (int)v, sizeof(chunk));
	for (uint64_t done = 0; done < len; done += CHUNK)
		pmem_write(r, off + done, chunk, MIN((uint64_t)CHUNK, len - done));
	shell_printf("filled %lu bytes of pmem%u at %#lx with %#lx\n", len, r->index, off, v);
	return 0;
}

static int pmem_cmd_crc(struct pmem_region *r, uint64_t off, uint64_t len)
{
	uint32_t crc = crc32_ieee(0, r->virt + off, len);

	shell_printf("crc32 %08x size %lu\n", crc, len);
	return 0;
}

/*
 * The mounted root filesystem is holdfs on region 0, all of it (vfs.h):
 * a store there goes behind its back, and may destroy it.  Refuse unless
 * the user said -w, and say why and how.
 */
static int guard_mounted(const char *op, bool force, struct pmem_region *r, uint64_t off,
			 uint64_t len)
{
	if (force || len == 0 || r->index != 0 || !vfs_mounted())
		return 0;
	shell_printf("pmem %s: %s%u+%#lx holds the mounted root filesystem; storing there "
		     "bypasses holdfs and may destroy it: pass -w to do it anyway "
		     "(pmem %s -w ...)\n", op, REGION_PREFIX, r->index, off, op);
	return -EBUSY;
}

static int cmd_pmem(int argc, char **argv)
{
	struct pmem_region *r;
	uint64_t off, len = 0;
	const char *op = argc > 1 ? argv[1] : "";
	bool force = argc > 2 && !strcmp(argv[2], "-w");
	int err;

	if (force) {		/* drop -w: the arguments follow as without it */
		for (int i = 2; i < argc; i++)
			argv[i] = argv[i + 1];
		argc--;
		if (strcmp(op, "write") && strcmp(op, "fill"))
			return shell_usage_error(argv[0], "-w is for write and fill only");
	}
	if (!strcmp(op, "write") && argc == 5) {
		if ((err = parse_range(argv, false, &r, &off, NULL)))
			return err;
		len = strlen(argv[4]);
		if ((err = guard_mounted(op, force, r, off, len)))
			return err;
		if (pmem_write(r, off, argv[4], len)) {
			shell_printf("pmem write: %lu bytes at %#lx do not fit in pmem%u\n", len, off, r->index);
			return -ERANGE;
		}
		shell_printf("wrote %lu bytes to pmem%u at %#lx (persisted)\n", len, r->index, off);
		return 0;
	}
	if ((!strcmp(op, "read") || !strcmp(op, "crc")) && argc == 5) {
		if ((err = parse_range(argv, true, &r, &off, &len)))
			return err;
		return op[0] == 'r' ? pmem_cmd_read(r, off, len) : pmem_cmd_crc(r, off, len);
	}
	if (!strcmp(op, "fill") && argc == 6) {
		if ((err = parse_range(argv, true, &r, &off, &len)))
			return err;
		if ((err = guard_mounted(op, force, r, off, len)))
			return err;
		return pmem_cmd_fill(r, off, len, argv[5]);
	}
	return shell_usage_error(argv[0], "expected write, read, fill or crc with their arguments");
}
SHELL_CMD("pmem", "pmem write [-w] R OFF TEXT | read R OFF LEN | fill [-w] R OFF LEN BYTE | "
	  "crc R OFF LEN",
	  "read and write persistent memory directly (R: pmem0 or 0; -w: store even where the "
	  "mounted filesystem lives)", cmd_pmem);

static void acpi_line(const char *line)
{
	shell_printf("%s\n", line);
}

static int cmd_acpi(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage_error(argv[0], "takes no arguments");
	acpi_list(acpi_line);
	return 0;
}
SHELL_CMD("acpi", "acpi", "list the ACPI tables (signature, address, length, OEM)", cmd_acpi);
