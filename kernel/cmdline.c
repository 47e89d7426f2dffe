/*
 * cmdline.c - the kernel command line.
 *
 *   test=all | test=SUITE[,SUITE...] | test=probe   run in-kernel tests, exit QEMU
 *   maxcpus=N                                      start at most N CPUs (1..64)
 *   root=DEV                                       the root device (/dev/pmem1,
 *                                                  pmem1; default pmem0): the
 *                                                  VFS checks the name at mount
 *
 * A first word with a '/' before any '=' is the kernel's path (QEMU and GRUB put
 * it there) and is skipped. *
 * Unknown options and malformed values are reported and ignored.
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <lib/string.h>

#define OPT_MAX	256

struct kernel_options kopts;

static void set_option(const char *name, const char *value)
{
	if (!strcmp(name, "test")) {
		if (!value || !*value) {
			kprintf("cmdline: 'test' needs a value (test=all or test=SUITE[,SUITE])\n");
			return;
		}
		if (strlcpy(kopts.test, value, sizeof(kopts.test)) >= sizeof(kopts.test)) {
			kprintf("cmdline: test= value longer than %zu characters; ignored\n",
				sizeof(kopts.test) - 1);
			kopts.test[0] = 0;
		}
	} else if (!strcmp(name, "maxcpus")) {
		uint64_t n;
		if (!value || parse_u64(value, 10, &n) || n < 1 || n > 64)
			kprintf("cmdline: maxcpus needs a number from 1 to 64, not '%s'; ignored\n",
				value ? value : "");
		else
			kopts.maxcpus = (unsigned)n;
	} else if (!strcmp(name, "root")) {
		if (!value || !*value)
			kprintf("cmdline: 'root' needs a device (root=/dev/pmem1); ignored\n");
		else if (strlcpy(kopts.root, value, sizeof(kopts.root)) >= sizeof(kopts.root)) {
			/* Kept cut short: no device has such a name, so
			 * the VFS mounts no root and says so. */
			kprintf("cmdline: root= value longer than %zu characters\n",
				sizeof(kopts.root) - 1);
		}
	} else {
		kprintf("cmdline: unknown option '%s'; ignored\n", name);
	}
}

void cmdline_parse(const char *cmdline)
{
	const char *p = cmdline;

	/* Boot loaders may put the kernel's own path first: skip it. */
	while (*p == ' ')
		p++;
	const char *end = p;
	while (*end && *end != ' ')
		end++;
	for (const char *c = p; c < end; c++) {
		if (*c == '=')
			break;
		if (*c == '/') {
			p = end;
			break;
		}
	}

	while (*p) {
		char word[OPT_MAX];
		size_t n = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		while (*p && *p != ' ' && *p != '\t') {
			if (n + 1 < sizeof(word))
				word[n++] = *p;
			p++;
		}
		word[n] = 0;
		if (n + 1 == sizeof(word)) {
			kprintf("cmdline: option '%.32s...' too long; ignored\n", word);
			continue;
		}
		char *eq = strchr(word, '=');
		if (eq)
			*eq = 0;
		set_option(word, eq ? eq + 1 : NULL);
	}
}
