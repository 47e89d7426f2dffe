/*
 * region.h - the shell's way of naming a pmem region on a command line
 * (shell_parse_region, in cmd_pmem.c) and a pmem block device
 * (shell_parse_pmem_dev: /dev/pmem1.1, pmem1, or a region's number): pmem, mkfs and fsck share it.
 */
#ifndef SHELL_REGION_H
#define SHELL_REGION_H

struct pmem_region;
struct blkdev;

int shell_parse_region(const char *cmd, const char *arg, struct pmem_region **r);
int shell_parse_pmem_dev(const char *cmd, const char *arg, struct blkdev **bd);

#endif
