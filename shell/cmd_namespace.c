/*
 * cmd_namespace.c - the shell's view of NVDIMM namespaces (drivers/
 * namespace.h):
 *
 *	namespace list
 *	namespace create [-s SIZE] [-n NAME] [-m fsdax|raw] REGION
 *	namespace destroy NAMESPACE|UUID
 *
 * REGION is named as `pmem` takes it (pmem0 or 0); NAMESPACE as `list`
 * shows it (namespace0.1).  Sizes are shown exactly (lib/size.c).
 *
 * Until the VFS answers the namespace layer's busy check, the shell
 * refuses label changes on pmem0 while the root filesystem is mounted:
 * the root is all of pmem0, whatever its labels say.
 */
#include <drivers/blkdev.h>
#include <drivers/namespace.h>
#include <drivers/pmem.h>
#include <fs/vfs.h>
#include <lib/size.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <shell/shell.h>
#include "region.h"

#define LIST_MAX	NS_MAX

static void list_one(const struct pmem_namespace *ns)
{
	char name[NS_NAME_MAX], dev[NS_NAME_MAX], size[SIZE_STR_MAX], uuid[NSL_UUID_STR];

	pmem_namespace_name(ns, name, sizeof(name));
	pmem_namespace_dev_name(ns, dev, sizeof(dev));
	size_str(size, sizeof(size), ns->size);
	if (ns->labelled)
		nsl_uuid_str(ns->uuid, uuid);
	else
		strlcpy(uuid, "-", sizeof(uuid));
	shell_printf("%-13s %-8s pmem%-3u %#-12lx %-14s %-6s %-36s %s\n", name, dev, ns->region,
		     ns->offset, size, nsl_mode_name(ns->mode), uuid,
		     ns->labelled ? (ns->name[0] ? ns->name : "-") : "(whole region, no labels)");
}

static int ns_list(void)
{
	static struct pmem_namespace all[LIST_MAX];
	unsigned n = pmem_namespace_list(all, LIST_MAX);
	uint32_t area;

	if (pmem_region_count() == 0) {
		shell_printf("no persistent memory found\n");
		return 0;
	}
	shell_printf("namespace     device   region  offset       size           mode   "
		     "uuid                                 name\n");
	for (unsigned i = 0; i < n && i < LIST_MAX; i++)
		list_one(&all[i]);
	for (unsigned r = 0; r < pmem_region_count(); r++)
		if (pmem_namespace_area(r, &area) == NS_AREA_DAMAGED)
			shell_printf("pmem%u: label area damaged: no namespace (see the boot "
				     "messages)\n", r);
	return 0;
}

static int parse_mode(const char *cmd, const char *arg, enum nsl_mode *mode)
{
	if (!strcmp(arg, "fsdax"))
		*mode = NSL_MODE_FSDAX;
	else if (!strcmp(arg, "raw"))
		*mode = NSL_MODE_RAW;
	else
		return shell_usage_error(cmd, "mode '%s': expected fsdax or raw", arg);
	return 0;
}

struct create_args {
	uint64_t size;
	const char *name;
	enum nsl_mode mode;
	struct pmem_region *r;
};

/* Options (each with its value), then exactly one region. */
static int parse_create(int argc, char **argv, struct create_args *a)
{
	int i, err;

	*a = (struct create_args){ .name = "", .mode = NSL_MODE_FSDAX };
	for (i = 2; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc || argv[i][1] == '\0' || argv[i][2] != '\0')
			return shell_usage_error("namespace", "option '%s' needs a value", argv[i]);
		if (argv[i][1] == 's')
			err = shell_parse_size(argv[i + 1], "size", &a->size);
		else if (argv[i][1] == 'n')
			a->name = argv[i + 1], err = 0;
		else if (argv[i][1] == 'm')
			err = parse_mode("namespace", argv[i + 1], &a->mode);
		else
			return shell_usage_error("namespace", "unknown option '%s'", argv[i]);
		if (err)
			return err;
	}
	if (i != argc - 1)
		return shell_usage_error("namespace", "create takes one REGION after its options");
	if (a->size == 0 && i > 2 && !strcmp(argv[2], "-s"))
		return shell_usage_error("namespace", "size 0: leave -s out for the largest free extent");
	return shell_parse_region("namespace create", argv[i], &a->r);
}

static int ns_create(int argc, char **argv)
{
	struct pmem_namespace made;
	struct create_args a;
	char name[NS_NAME_MAX], dev[NS_NAME_MAX], size[SIZE_STR_MAX], uuid[NSL_UUID_STR];
	int err;

	if ((err = parse_create(argc, argv, &a)))
		return err;
	if ((err = pmem_namespace_create(a.r->index, a.size, a.name, a.mode, &made)))
		return err;
	blkdev_sync_pmem();
	pmem_namespace_name(&made, name, sizeof(name));
	pmem_namespace_dev_name(&made, dev, sizeof(dev));
	nsl_uuid_str(made.uuid, uuid);
	shell_printf("created %s (%s): %s at offset %#lx of pmem%u, %s, uuid %s\n", name, dev,
		     size_str(size, sizeof(size), made.size), made.offset, made.region,
		     nsl_mode_name(made.mode), uuid);
	return 0;
}

static int ns_destroy(const char *what)
{
	struct pmem_namespace gone;
	char name[NS_NAME_MAX], size[SIZE_STR_MAX], uuid[NSL_UUID_STR];
	int err;

	if ((err = pmem_namespace_destroy(what, &gone)))
		return err;
	blkdev_sync_pmem();
	pmem_namespace_name(&gone, name, sizeof(name));
	nsl_uuid_str(gone.uuid, uuid);
	shell_printf("destroyed %s (%s at offset %#lx of pmem%u, uuid %s)\n", name,
		     size_str(size, sizeof(size), gone.size), gone.offset, gone.region, uuid);
	return 0;
}

static int cmd_namespace(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";

	if (!strcmp(op, "list") && argc == 2)
		return ns_list();
	if (!strcmp(op, "create"))
		return ns_create(argc, argv);
	if (!strcmp(op, "destroy") && argc == 3)
		return ns_destroy(argv[2]);
	return shell_usage_error(argv[0], "expected list, create [-s SIZE] [-n NAME] "
				 "[-m fsdax|raw] REGION, or destroy NAMESPACE|UUID");
}
SHELL_CMD("namespace", "namespace list | create [-s SIZE] [-n NAME] [-m fsdax|raw] REGION | "
	  "destroy NAMESPACE|UUID",
	  "NVDIMM namespaces, kept on the DIMM's namespace labels", cmd_namespace);
