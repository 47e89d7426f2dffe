/*
 * region.h - the shell's way of naming a pmem region on a command line
 * (shell_parse_region, in cmd_pmem.c): pmem, mkfs and fsck share it.
 */
#ifndef SHELL_REGION_H
#define SHELL_REGION_H

struct pmem_region;

int shell_parse_region(const char *cmd, const char *arg, struct pmem_region **r);

#endif
