/*
 * hfs_memdev.c - in-memory and recording pmem devices (see hfs_memdev.h).
 *
 * Host only (memfd, mmap, malloc).  Per line the recorder keeps a state
 * byte; the lines that are not durable sit in an unordered list, so a fence
 * and a capture cost the number of unsure lines, not the device size.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "hfs_memdev.h"
#include <lib/string.h>

#define LINE		HFS_CACHE_LINE
#define WORD		8

enum {
	L_DIRTY = 1,		/* newest content is only in the cache */
	L_PENDING = 2,		/* snapshot written back, durable at the next fence */
	L_LISTED = 4,		/* in the unsure list */
	L_DCHG = 8,		/* durable content changed since the mark */
};

struct vec {
	uint64_t *v;
	size_t n, cap;
};

struct hfs_memdev {
	struct hfs_pm pm;
	uint64_t size;
	int fd;
	const uint8_t *view;	/* read-only mapping handed to the core */
	uint8_t *wr;		/* writable alias */
	struct hfs_memdev_stats st;

	bool recording;
	uint8_t *dur;		/* durable image */
	uint8_t *snap;		/* per-line flushed content (valid when L_PENDING) */
	uint8_t *base;		/* durable image at the last mark */
	uint8_t *state;		/* per line, L_* */
	struct vec unsure;	/* lines with L_DIRTY or L_PENDING */
	struct vec dchg;	/* lines with L_DCHG */
	void (*hook)(void *ctx, struct hfs_memdev *d);
	void *hook_ctx;
};

struct hfs_crashpt {
	uint64_t n_dur, n_unsure;
	uint64_t *dur_idx;
	uint8_t *dur_data;	/* n_dur lines */
	uint64_t *idx;
	uint8_t *nver;		/* 2 or 3 candidates per unsure line */
	uint8_t *ver;		/* n_unsure * 3 lines: durable, snapshot, newest */
};

static void die(const char *what, uint64_t a, uint64_t b)
{
	fprintf(stderr, "hfs_memdev: %s (0x%llx, 0x%llx)\n", what,
		(unsigned long long)a, (unsigned long long)b);
	abort();
}

static void vec_push(struct vec *v, uint64_t x)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 256;
		v->v = realloc(v->v, v->cap * sizeof(*v->v));
		if (!v->v)
			die("out of memory", v->cap, 0);
	}
	v->v[v->n++] = x;
}

static struct hfs_memdev *dev(struct hfs_pm *pm)
{
	return pm->priv;
}

static void check_range(struct hfs_memdev *d, uint64_t off, size_t len)
{
	if (off > d->size || len > d->size - off)
		die("access beyond the device", off, len);
}

/* ------------------------------------------------------------ recording */

static void mark_lines(struct hfs_memdev *d, uint64_t off, size_t len, bool nt)
{
	uint64_t l, first = off / LINE, last = (off + len - 1) / LINE;

	for (l = first; l <= last; l++) {
		uint8_t *s = &d->state[l];

		if (nt) {
			memcpy(d->snap + l * LINE, d->wr + l * LINE, LINE);
			*s = (uint8_t)((*s & ~L_DIRTY) | L_PENDING);
		} else {
			*s |= L_DIRTY;
		}
		if (!(*s & L_LISTED)) {
			*s |= L_LISTED;
			vec_push(&d->unsure, l);
		}
	}
}

static void rec_flush(struct hfs_memdev *d, uint64_t off, size_t len)
{
	uint64_t l, first = off / LINE, last = (off + len - 1) / LINE;

	for (l = first; l <= last; l++) {
		uint8_t *s = &d->state[l];

		if (*s & L_DIRTY) {
			memcpy(d->snap + l * LINE, d->wr + l * LINE, LINE);
			*s = (uint8_t)((*s & ~L_DIRTY) | L_PENDING);
		}
	}
}

static void rec_fence(struct hfs_memdev *d)
{
	size_t i, keep = 0;

	for (i = 0; i < d->unsure.n; i++) {
		uint64_t l = d->unsure.v[i];
		uint8_t *s = &d->state[l];

		if (*s & L_PENDING) {
			memcpy(d->dur + l * LINE, d->snap + l * LINE, LINE);
			*s &= (uint8_t)~L_PENDING;
			if (!(*s & L_DCHG)) {
				*s |= L_DCHG;
				vec_push(&d->dchg, l);
			}
		}
		if (*s & L_DIRTY)
			d->unsure.v[keep++] = l;
		else
			*s &= (uint8_t)~L_LISTED;
	}
	d->unsure.n = keep;
}

/* ------------------------------------------------------------ pm ops */

static const uint8_t *md_base(struct hfs_pm *pm)
{
	return dev(pm)->view;
}

static uint64_t md_size(struct hfs_pm *pm)
{
	return dev(pm)->size;
}

static void md_write(struct hfs_pm *pm, uint64_t off, const void *src, size_t len)
{
	struct hfs_memdev *d = dev(pm);

	check_range(d, off, len);
	d->st.writes++;
	d->st.bytes_written += len;
	if (!len)
		return;
	memcpy(d->wr + off, src, len);
	if (d->recording)
		mark_lines(d, off, len, false);
}

static void md_zero(struct hfs_pm *pm, uint64_t off, size_t len)
{
	struct hfs_memdev *d = dev(pm);

	check_range(d, off, len);
	d->st.zeros++;
	d->st.bytes_written += len;
	if (!len)
		return;
	memset(d->wr + off, 0, len);
	if (d->recording)
		mark_lines(d, off, len, false);
}

static void md_write_nt(struct hfs_pm *pm, uint64_t off, const void *src, size_t len)
{
	struct hfs_memdev *d = dev(pm);

	check_range(d, off, len);
	d->st.nt_writes++;
	d->st.bytes_written += len;
	if (!len)
		return;
	memcpy(d->wr + off, src, len);
	if (d->recording)
		mark_lines(d, off, len, true);
}

static void md_flush(struct hfs_pm *pm, uint64_t off, size_t len)
{
	struct hfs_memdev *d = dev(pm);

	check_range(d, off, len);
	d->st.flushes++;
	if (d->recording && len)
		rec_flush(d, off, len);
}

static void md_fence(struct hfs_pm *pm)
{
	struct hfs_memdev *d = dev(pm);

	d->st.fences++;
	if (!d->recording)
		return;
	if (d->hook)
		d->hook(d->hook_ctx, d);
	rec_fence(d);
}

static uint64_t md_phys(struct hfs_pm *pm, uint64_t off)
{
	return 0;
}

static const struct hfs_pm_ops memdev_ops = {
	.base = md_base,
	.size = md_size,
	.write = md_write,
	.zero = md_zero,
	.write_nt = md_write_nt,
	.flush = md_flush,
	.fence = md_fence,
	.unpinned_blocks = NULL,
	.phys = md_phys,
};

/* ------------------------------------------------------------ devices */

struct hfs_memdev *hfs_memdev_new(uint64_t size, bool recording)
{
	struct hfs_memdev *d = calloc(1, sizeof(*d));
	void *ro, *rw;

	if (!d || size == 0 || size % 4096)
		goto out_free;
	d->fd = memfd_create("hfs_memdev", MFD_CLOEXEC);
	if (d->fd < 0 || ftruncate(d->fd, (off_t)size) != 0)
		goto out_close;
	ro = mmap(NULL, size, PROT_READ, MAP_SHARED, d->fd, 0);
	rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0);
	if (ro == MAP_FAILED || rw == MAP_FAILED)
		goto out_close;
	d->view = ro;
	d->wr = rw;
	d->size = size;
	d->pm.ops = &memdev_ops;
	d->pm.priv = d;
	d->recording = recording;
	if (recording) {
		d->dur = calloc(1, size);
		d->snap = calloc(1, size);
		d->base = calloc(1, size);
		d->state = calloc(1, size / LINE);
		if (!d->dur || !d->snap || !d->base || !d->state) {
			hfs_memdev_free(d);
			return NULL;
		}
	}
	return d;
out_close:
	if (d->fd >= 0)
		close(d->fd);
out_free:
	free(d);
	return NULL;
}

void hfs_memdev_free(struct hfs_memdev *d)
{
	if (!d)
		return;
	munmap((void *)d->view, d->size);
	munmap(d->wr, d->size);
	close(d->fd);
	free(d->dur);
	free(d->snap);
	free(d->base);
	free(d->state);
	free(d->unsure.v);
	free(d->dchg.v);
	free(d);
}

struct hfs_pm *hfs_memdev_pm(struct hfs_memdev *d)
{
	return &d->pm;
}

uint64_t hfs_memdev_size(struct hfs_memdev *d)
{
	return d->size;
}

const uint8_t *hfs_memdev_data(struct hfs_memdev *d)
{
	return d->view;
}

void hfs_memdev_stats(struct hfs_memdev *d, struct hfs_memdev_stats *st)
{
	*st = d->st;
}

void hfs_memdev_persist_all(struct hfs_memdev *d)
{
	size_t i;

	if (!d->recording)
		return;
	for (i = 0; i < d->unsure.n; i++)
		d->state[d->unsure.v[i]] &= (uint8_t)~(L_DIRTY | L_PENDING | L_LISTED);
	d->unsure.n = 0;
	memcpy(d->dur, d->wr, d->size);
}

void hfs_memdev_load(struct hfs_memdev *d, const void *img, uint64_t len)
{
	if (len > d->size)
		len = d->size;
	memcpy(d->wr, img, len);
	memset(d->wr + len, 0, d->size - len);
	hfs_memdev_persist_all(d);
}

const uint8_t *hfs_memdev_durable(struct hfs_memdev *d)
{
	return d->recording ? d->dur : d->view;
}

uint64_t hfs_memdev_nondurable(struct hfs_memdev *d)
{
	return d->recording ? d->unsure.n : 0;
}

void hfs_memdev_set_fence_hook(struct hfs_memdev *d,
			       void (*fn)(void *ctx, struct hfs_memdev *d), void *ctx)
{
	d->hook = fn;
	d->hook_ctx = ctx;
}

void hfs_memdev_rec_mark(struct hfs_memdev *d)
{
	size_t i;

	for (i = 0; i < d->dchg.n; i++)
		d->state[d->dchg.v[i]] &= (uint8_t)~L_DCHG;
	d->dchg.n = 0;
	memcpy(d->base, d->dur, d->size);
}

/* ------------------------------------------------------------ crash points */

struct hfs_crashpt *hfs_memdev_capture(struct hfs_memdev *d)
{
	struct hfs_crashpt *cp = calloc(1, sizeof(*cp));
	uint64_t i;

	if (!cp)
		die("out of memory", 0, 0);
	cp->n_dur = d->dchg.n;
	cp->n_unsure = d->unsure.n;
	cp->dur_idx = malloc((cp->n_dur + 1) * sizeof(uint64_t));
	cp->dur_data = malloc((cp->n_dur + 1) * LINE);
	cp->idx = malloc((cp->n_unsure + 1) * sizeof(uint64_t));
	cp->nver = malloc(cp->n_unsure + 1);
	cp->ver = malloc((cp->n_unsure + 1) * 3 * LINE);
	if (!cp->dur_idx || !cp->dur_data || !cp->idx || !cp->nver || !cp->ver)
		die("out of memory", cp->n_unsure, cp->n_dur);
	for (i = 0; i < cp->n_dur; i++) {
		uint64_t l = d->dchg.v[i];

		cp->dur_idx[i] = l;
		memcpy(cp->dur_data + i * LINE, d->dur + l * LINE, LINE);
	}
	for (i = 0; i < cp->n_unsure; i++) {
		uint64_t l = d->unsure.v[i];
		uint8_t s = d->state[l], n = 0;
		uint8_t *v = cp->ver + i * 3 * LINE;

		cp->idx[i] = l;
		memcpy(v + LINE * n++, d->dur + l * LINE, LINE);
		if (s & L_PENDING)
			memcpy(v + LINE * n++, d->snap + l * LINE, LINE);
		if (s & L_DIRTY)
			memcpy(v + LINE * n++, d->wr + l * LINE, LINE);
		cp->nver[i] = n;
	}
	return cp;
}

void hfs_crashpt_free(struct hfs_crashpt *cp)
{
	if (!cp)
		return;
	free(cp->dur_idx);
	free(cp->dur_data);
	free(cp->idx);
	free(cp->nver);
	free(cp->ver);
	free(cp);
}

uint64_t hfs_crashpt_unsure(const struct hfs_crashpt *cp)
{
	return cp->n_unsure;
}

void hfs_crashpt_build(struct hfs_memdev *d, const struct hfs_crashpt *cp,
		       enum hfs_crash_mode mode, uint64_t *rng, uint8_t *out)
{
	uint64_t i, w;

	memcpy(out, d->base, d->size);
	for (i = 0; i < cp->n_dur; i++)
		memcpy(out + cp->dur_idx[i] * LINE, cp->dur_data + i * LINE, LINE);
	for (i = 0; i < cp->n_unsure; i++) {
		const uint8_t *v = cp->ver + i * 3 * LINE;
		uint8_t *dst = out + cp->idx[i] * LINE;
		unsigned n = cp->nver[i];

		switch (mode) {
		case HFS_CRASH_ALL_OLD:
			memcpy(dst, v, LINE);
			break;
		case HFS_CRASH_ALL_NEW:
			memcpy(dst, v + (n - 1) * LINE, LINE);
			break;
		case HFS_CRASH_RANDOM:
			memcpy(dst, v + (hfst_rand(rng) % n) * LINE, LINE);
			break;
		case HFS_CRASH_RANDOM_WORDS:
			for (w = 0; w < LINE; w += WORD)
				memcpy(dst + w, v + (hfst_rand(rng) % n) * LINE + w, WORD);
			break;
		}
	}
}
