/*
 * hfs_host.c - "pmem" for holdfs on a POSIX host (see hfs_host.h): an
 * image file mapped with mmap (the tools) or a buffer in memory (tests).
 * The other platform services are in hfs_services.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hfs_host.h"

static struct hfs_host_pm *host(struct hfs_pm *pm)
{
	return (struct hfs_host_pm *)pm;
}

static const uint8_t *op_base(struct hfs_pm *pm)
{
	return host(pm)->base;
}

static uint64_t op_size(struct hfs_pm *pm)
{
	return host(pm)->size;
}

static void op_write(struct hfs_pm *pm, uint64_t off, const void *src, size_t len)
{
	memcpy(host(pm)->base + off, src, len);
}

static void op_zero(struct hfs_pm *pm, uint64_t off, size_t len)
{
	memset(host(pm)->base + off, 0, len);
}

static void op_flush(struct hfs_pm *pm, uint64_t off, size_t len)
{
	(void)off;
	(void)len;
	host(pm)->flushes++;
}

static void op_fence(struct hfs_pm *pm)
{
	host(pm)->fences++;
}

static uint64_t op_phys(struct hfs_pm *pm, uint64_t off)
{
	(void)pm;
	(void)off;
	return 0;
}

static const struct hfs_pm_ops host_ops = {
	.base = op_base, .size = op_size, .write = op_write, .zero = op_zero,
	.write_nt = op_write, .flush = op_flush, .fence = op_fence,
	.unpinned_blocks = NULL, .phys = op_phys,
};

int hfs_host_open(const char *path, unsigned flags, struct hfs_host_pm *h)
{
	struct stat st;
	bool ro = flags & HFS_HOST_RDONLY;
	void *p;

	memset(h, 0, sizeof(*h));
	h->fd = open(path, ro ? O_RDONLY : O_RDWR);
	if (h->fd < 0) {
		int e = errno;

		fprintf(stderr, "%s: %s\n", path, strerror(e));
		return -e;
	}
	if (fstat(h->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: not a regular file\n", path);
		close(h->fd);
		return -EINVAL;
	}
	if (st.st_size == 0) {
		fprintf(stderr, "%s: empty file\n", path);
		close(h->fd);
		return -EINVAL;
	}
	/*
	 * Read-only: a private writable mapping (journal replay and orphan
	 * recovery may change the copy, never the file).  MAP_NORESERVE: the
	 * kernel must not reserve memory for the whole image up front, which
	 * fails for images larger than memory; only pages actually changed
	 * cost memory.
	 */
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		 ro ? MAP_PRIVATE | MAP_NORESERVE : MAP_SHARED, h->fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		fprintf(stderr, "%s: mmap: %s\n", path, strerror(e));
		close(h->fd);
		return -e;
	}
	h->base = p;
	h->size = (uint64_t)st.st_size;
	h->private_map = ro;
	h->pm.ops = &host_ops;
	h->pm.priv = h;
	return 0;
}

int hfs_host_mem(uint64_t size, struct hfs_host_pm *h)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	h->base = calloc(1, (size_t)size);
	if (!h->base)
		return -ENOMEM;
	h->size = size;
	h->pm.ops = &host_ops;
	h->pm.priv = h;
	return 0;
}

int hfs_host_close(struct hfs_host_pm *h)
{
	int err = 0;

	if (h->fd < 0) {
		free(h->base);
	} else {
		if (!h->private_map && msync(h->base, (size_t)h->size, MS_SYNC) < 0)
			err = -errno;
		munmap(h->base, (size_t)h->size);
		close(h->fd);
	}
	h->base = NULL;
	return err;
}
