/*
 * pmm.c - the physical frame allocator.
 *
 * One bit per 4 KiB frame of the physical address space up to the end of
 * the highest usable RAM (set = in use or not RAM).  The bitmap itself is
 * carved out of the first usable range large enough.  Allocation is
 * next-fit from a rotating hint, one 64-bit word at a time, so a single
 * frame costs O(1) amortised; a run of n frames searches for n clear bits.
 *
 * At boot, frames below 1 MiB (BIOS data, the SMP trampoline later), the
 * kernel image, the boot information and modules are reserved.
 *
 * Locking: pmm_lock (interrupt-safe) guards the bitmap and the counters.
 */
#include <kernel/mm.h>
#include <kernel/bootinfo.h>
#include <kernel/printk.h>
#include <kernel/panic.h>
#include <kernel/sync.h>
#include <lib/bitmap.h>
#include <lib/string.h>

#define LOW_RESERVED	0x100000	/* keep the first MiB */
#define EARLY_MAP_LIMIT	0x100000000ULL	/* boot.S maps the first 4 GiB */

static spinlock_t pmm_lock = SPINLOCK_INIT("pmm");
static uint64_t *frame_map;		/* pmm_lock */
static size_t nframes;			/* bits in frame_map */
static size_t free_frames;		/* pmm_lock */
static size_t total_frames;		/* usable RAM frames at boot */
static size_t hint;			/* pmm_lock: where the next search starts */

extern char __image_phys_start[], __bss_end_phys[];

static void reserve(uint64_t start, uint64_t end)
{
	size_t s = start / PAGE_SIZE, e = DIV_ROUND_UP(end, PAGE_SIZE);

	if (e > nframes)
		e = nframes;
	for (size_t f = s; f < e; f++) {
		if (!bitmap_test(frame_map, f)) {
			bitmap_set(frame_map, f);
			free_frames--;
		}
	}
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Find room for the bitmap: usable, below the early map's limit, clear of
 * the kernel image and the boot information. */
static uint64_t place_bitmap(const struct boot_info *bi, uint64_t bytes)
{
	uint64_t img = (uint64_t)__image_phys_start, img_end = (uint64_t)__bss_end_phys;

	for (unsigned i = 0; i < bi->nmmap; i++) {
		const struct boot_mem_region *r = &bi->mmap[i];
		if (r->type != MEM_AVAILABLE)
			continue;
		uint64_t a = ALIGN_UP(MAX(r->base, (uint64_t)LOW_RESERVED), PAGE_SIZE);
		while (a + bytes <= r->base + r->len && a + bytes <= EARLY_MAP_LIMIT) {
			if (overlaps(a, bytes, img, img_end - img)) {
				a = ALIGN_UP(img_end, PAGE_SIZE);
				continue;
			}
			if (overlaps(a, bytes, bi->info_phys, bi->info_len)) {
				a = ALIGN_UP(bi->info_phys + bi->info_len, PAGE_SIZE);
				continue;
			}
			bool clash = false;
			for (unsigned m = 0; m < bi->nmodules && !clash; m++) {
				if (overlaps(a, bytes, bi->modules[m].start,
					     bi->modules[m].end - bi->modules[m].start)) {
					a = ALIGN_UP(bi->modules[m].end, PAGE_SIZE);
					clash = true;
				}
			}
			if (!clash)
				return a;
		}
	}
	panic("pmm: no room for the frame bitmap (%lu bytes)", bytes);
}

void pmm_init(const struct boot_info *bi)
{
	uint64_t top = 0, bytes;

	for (unsigned i = 0; i < bi->nmmap; i++)
		if (bi->mmap[i].type == MEM_AVAILABLE)
			top = MAX(top, bi->mmap[i].base + bi->mmap[i].len);
	nframes = ALIGN_UP(top / PAGE_SIZE, 64);
	bytes = ALIGN_UP(nframes / 8, PAGE_SIZE);
	uint64_t at = place_bitmap(bi, bytes);
	frame_map = phys_to_virt(at);
	memset(frame_map, 0xff, bytes);

	for (unsigned i = 0; i < bi->nmmap; i++) {
		const struct boot_mem_region *r = &bi->mmap[i];
		if (r->type != MEM_AVAILABLE)
			continue;
		size_t s = DIV_ROUND_UP(r->base, PAGE_SIZE);
		size_t e = (r->base + r->len) / PAGE_SIZE;
		for (size_t f = s; f < e; f++)
			bitmap_clear(frame_map, f);
		if (e > s)
			free_frames += e - s;
	}
	total_frames = free_frames;
	reserve(0, LOW_RESERVED);
	reserve((uint64_t)__image_phys_start, (uint64_t)__bss_end_phys);
	reserve(bi->info_phys, bi->info_phys + bi->info_len);
	for (unsigned m = 0; m < bi->nmodules; m++)
		reserve(bi->modules[m].start, bi->modules[m].end);
	reserve(at, at + bytes);
	hint = LOW_RESERVED / PAGE_SIZE;
	kprintf("pmm: %lu MiB usable, %lu MiB free, bitmap %lu KiB at %#lx\n",
		total_frames * PAGE_SIZE >> 20, free_frames * PAGE_SIZE >> 20, bytes >> 10, at);
}

/**
 * pmm_alloc_pages - allocate n physically contiguous frames.
 * Returns the physical address of the first, or 0 when none is free.
 * Any context.  The frames are not zeroed.
 */
uint64_t pmm_alloc_pages(size_t n)
{
	uint64_t pa = 0;
	size_t f;

	if (n == 0)
		return 0;
	unsigned long flags = spin_lock_irqsave(&pmm_lock);
	if (free_frames >= n) {
		f = bitmap_find_zero_run(frame_map, nframes, hint, n);
		if (f >= nframes)
			f = bitmap_find_zero_run(frame_map, nframes, 0, n);
		if (f < nframes) {
			bitmap_set_range(frame_map, f, n);
			free_frames -= n;
			hint = f + n < nframes ? f + n : 0;
			pa = (uint64_t)f * PAGE_SIZE;
		}
	}
	spin_unlock_irqrestore(&pmm_lock, flags);
	return pa;
}

uint64_t pmm_alloc_page(void)
{
	return pmm_alloc_pages(1);
}

/** pmm_free_pages - give back n frames; freeing a free frame panics. */
void pmm_free_pages(uint64_t pa, size_t n)
{
	size_t f = pa / PAGE_SIZE;

	if (!IS_ALIGNED(pa, PAGE_SIZE) || f + n > nframes)
		panic("pmm: free of bad frame range %#lx (+%zu)", pa, n);
	unsigned long flags = spin_lock_irqsave(&pmm_lock);
	for (size_t i = 0; i < n; i++) {
		if (!bitmap_test(frame_map, f + i))
			panic("pmm: double free of frame %#lx", (f + i) * PAGE_SIZE);
	}
	bitmap_clear_range(frame_map, f, n);
	free_frames += n;
	spin_unlock_irqrestore(&pmm_lock, flags);
}

void pmm_free_page(uint64_t pa)
{
	pmm_free_pages(pa, 1);
}

size_t pmm_free_count(void)
{
	return READ_ONCE(free_frames);
}

size_t pmm_total_count(void)
{
	return total_frames;
}
