/*
 * uvm.c - user address spaces (include/kernel/uvm.h): regions, faults,
 * brk, anonymous mmap, munmap, mprotect, fork's copy, teardown.
 *
 * An mm is a page table (arch/x86_64/paging.c, pt_init_user) plus a
 * sorted array of regions.  Pages are mapped on first touch (mm_fault),
 * never before, except what exec copies in (mm_write).  fork copies
 * every private page at once (an eager copy, not copy-on-write: simpler,
 * and a static musl program is small; docs/11-user-space.md has the
 * figure).
 *
 * Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS) keeps its frames in
 * a struct shm, one per mmap call, with a reference per region that uses
 * it (fork adds one, munmap of the whole region drops one); its last
 * reference frees the frames.  A private page's frame belongs to the one
 * page table entry that maps it.
 *
 * File-backed regions (VMA_FILE: a DAX mmap of a file) carry an object
 * and the operations of whoever made them (struct uvm_backing_ops, the
 * DAX layer's fs/dax_user.c); uvm tells the object every change of the
 * region's range, always after clearing the entries of a range it drops.
 * Their private copies (MAP_PRIVATE, first write) are uvm's own frames.
 *
 * DRAM frames pinned for DMA (uvm_pin_frame) sit in pin_table; freeing a
 * pinned frame is deferred to its last unpin.
 *
 * Locking: mm->lock (mutex) over the region array, brk and page-table
 * changes; shm->lock (spinlock) over its frame array; the page table's
 * spinlock inside.  Order: mm->lock, then shm->lock, then the page table's.
 * A file's layout change clears entries of VMA_FILE regions without
 * mm->lock (the page table's own lock serialises it; see uvm.h).
 * pin_lock (irqsave spinlock, innermost) over pin_table.
 */
#include <kernel/uvm.h>
#include <kernel/mm.h>
#include <kernel/sync.h>
#include <kernel/printk.h>
#include <kernel/panic.h>
#include <arch/x86_64/paging.h>
#include <lib/string.h>
#include <lib/errno.h>

#define VMA_MAX		64
#define VMA_SHARED	0x1		/* frames live in vma->shm */
#define VMA_STACK	0x2
#define VMA_HEAP	0x4
#define VMA_FILE	0x8		/* backed: bops/bobj (a file mapping) */
#define VMA_FPRIV	0x10		/* VMA_FILE, MAP_PRIVATE: copy on write */

struct shm {
	spinlock_t lock;
	unsigned refs;			/* lock */
	size_t npages;
	uint64_t frame[];		/* lock; 0 = not yet touched */
};

struct vma {
	uint64_t start, end;
	unsigned prot;			/* UVM_PROT_* */
	unsigned flags;			/* VMA_* */
	struct shm *shm;		/* VMA_SHARED */
	uint64_t shm_off;		/* page index of start in shm */
	const struct uvm_backing_ops *bops;	/* VMA_FILE */
	void *bobj;			/* VMA_FILE: one per region */
	uint64_t foff;			/* VMA_FILE: file offset of start */
};

struct mm {
	struct pgtable pt;
	struct mutex lock;
	/* lock: */
	struct vma vma[VMA_MAX];	/* sorted by start, not overlapping */
	unsigned nvma;
	uint64_t brk_start, brk;
	size_t pages;			/* private frames mapped */
};

static size_t user_frames;		/* atomic: all mms and shms */

size_t uvm_frames(void) { return __atomic_load_n(&user_frames, __ATOMIC_RELAXED); }
size_t mm_pages(struct mm *mm) { return READ_ONCE(mm->pages); }
uint64_t mm_cr3(struct mm *mm) { return mm->pt.pml4_phys; }

static uint64_t frame_alloc(void)
{
	uint64_t pa = pmm_alloc_page();

	if (pa) {
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		__atomic_add_fetch(&user_frames, 1, __ATOMIC_RELAXED);
	}
	return pa;
}

/* ------------------------------------------------------------- pins */

#define PIN_SLOTS	1024		/* pinned DRAM frames at once */
#define PIN_TOMB	1		/* a slot whose frame was unpinned */

struct pin_slot {
	uint64_t pa;			/* 0 empty, PIN_TOMB, or a frame */
	uint32_t count;
	bool dead;			/* freed while pinned: the last unpin frees */
};
static spinlock_t pin_lock = SPINLOCK_INIT("uvm_pins");
static struct pin_slot pin_table[PIN_SLOTS];	/* pin_lock */
static size_t pinned;				/* pin_lock (read racily) */

/* The slot of @pa, or NULL.  Caller holds pin_lock. */
static struct pin_slot *pin_find(uint64_t pa)
{
	unsigned h = (unsigned)(pa >> PAGE_SHIFT) % PIN_SLOTS;

	for (unsigned i = 0; i < PIN_SLOTS; i++) {
		struct pin_slot *sl = &pin_table[(h + i) % PIN_SLOTS];
		if (sl->pa == pa)
			return sl;
		if (!sl->pa)
			return NULL;
	}
	return NULL;
}

int uvm_pin_frame(uint64_t pa)
{
	unsigned h = (unsigned)(pa >> PAGE_SHIFT) % PIN_SLOTS;
	unsigned long f = spin_lock_irqsave(&pin_lock);
	struct pin_slot *sl = pin_find(pa);
	int err = 0;

	if (!sl) {
		for (unsigned i = 0; i < PIN_SLOTS && !sl; i++) {
			struct pin_slot *c = &pin_table[(h + i) % PIN_SLOTS];
			if (c->pa <= PIN_TOMB)
				sl = c;
		}
		if (sl) {
			sl->pa = pa;
			sl->count = 0;
			sl->dead = false;
			pinned++;
		}
	}
	if (sl)
		sl->count++;
	else
		err = -ENOMEM;
	spin_unlock_irqrestore(&pin_lock, f);
	return err;
}

void uvm_unpin_frame(uint64_t pa)
{
	unsigned long f = spin_lock_irqsave(&pin_lock);
	struct pin_slot *sl = pin_find(pa);
	bool free_it = false;

	if (!sl || !sl->count)
		panic("uvm: unpin of frame %#lx that is not pinned", pa);
	if (--sl->count == 0) {
		free_it = sl->dead;
		sl->pa = PIN_TOMB;
		pinned--;
	}
	spin_unlock_irqrestore(&pin_lock, f);
	if (free_it) {				/* munmap/exit left it to us */
		pmm_free_page(pa);
		__atomic_sub_fetch(&user_frames, 1, __ATOMIC_RELAXED);
	}
}

size_t uvm_pinned_frames(void) { return READ_ONCE(pinned); }

/* A pinned frame is not freed now: true when the last unpin will do it. */
static bool pin_defer_free(uint64_t pa)
{
	struct pin_slot *sl;
	unsigned long f;

	if (!READ_ONCE(pinned))
		return false;
	f = spin_lock_irqsave(&pin_lock);
	sl = pin_find(pa);
	if (sl)
		sl->dead = true;
	spin_unlock_irqrestore(&pin_lock, f);
	return sl != NULL;
}

static void frame_free(uint64_t pa)
{
	if (pin_defer_free(pa))
		return;
	pmm_free_page(pa);
	__atomic_sub_fetch(&user_frames, 1, __ATOMIC_RELAXED);
}

static unsigned pt_prot(unsigned prot)
{
	unsigned p = PROT_USER;

	if (prot & UVM_PROT_WRITE)
		p |= PROT_WRITE;
	if (prot & UVM_PROT_EXEC)
		p |= PROT_EXEC;
	return p;
}

/* ------------------------------------------------------------- shm */

static struct shm *shm_new(size_t npages)
{
	struct shm *s = kzalloc(sizeof(*s) + npages * sizeof(uint64_t));

	if (!s)
		return NULL;
	spin_lock_init(&s->lock, "shm");
	s->refs = 1;
	s->npages = npages;
	return s;
}

static struct shm *shm_get(struct shm *s)
{
	unsigned long f = spin_lock_irqsave(&s->lock);
	s->refs++;
	spin_unlock_irqrestore(&s->lock, f);
	return s;
}

static void shm_put(struct shm *s)
{
	unsigned long f = spin_lock_irqsave(&s->lock);
	bool last = --s->refs == 0;

	spin_unlock_irqrestore(&s->lock, f);
	if (!last)
		return;
	for (size_t i = 0; i < s->npages; i++)
		if (s->frame[i])
			frame_free(s->frame[i]);
	kfree(s);
}

/* The frame of page @idx, allocated on first use; 0 when out of memory. */
static uint64_t shm_frame(struct shm *s, size_t idx)
{
	uint64_t fresh = 0, pa;
	unsigned long f = spin_lock_irqsave(&s->lock);

	pa = s->frame[idx];
	spin_unlock_irqrestore(&s->lock, f);
	if (pa)
		return pa;
	fresh = frame_alloc();
	if (!fresh)
		return 0;
	f = spin_lock_irqsave(&s->lock);
	if (!s->frame[idx])
		s->frame[idx] = fresh, fresh = 0;
	pa = s->frame[idx];
	spin_unlock_irqrestore(&s->lock, f);
	if (fresh)
		frame_free(fresh);
	return pa;
}

/* ------------------------------------------------------------- regions */

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));

	if (!mm)
		return NULL;
	if (pt_init_user(&mm->pt)) {
		kfree(mm);
		return NULL;
	}
	mutex_init(&mm->lock, "mm");
	return mm;
}

/* The region holding @addr, or NULL.  Caller holds mm->lock. */
static struct vma *find_vma(struct mm *mm, uint64_t addr)
{
	assert_held(&mm->lock);
	for (unsigned i = 0; i < mm->nvma; i++)
		if (addr >= mm->vma[i].start && addr < mm->vma[i].end)
			return &mm->vma[i];
	return NULL;
}

static int insert_vma(struct mm *mm, const struct vma *v)
{
	unsigned i = 0;

	assert_held(&mm->lock);
	if (mm->nvma == VMA_MAX)
		return -ENOMEM;
	while (i < mm->nvma && mm->vma[i].start < v->start)
		i++;
	memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nvma - i) * sizeof(*v));
	mm->vma[i] = *v;
	mm->nvma++;
	return 0;
}

static void remove_vma(struct mm *mm, unsigned i)
{
	memmove(&mm->vma[i], &mm->vma[i + 1], (mm->nvma - i - 1) * sizeof(mm->vma[0]));
	mm->nvma--;
}

/* Is @pa (mapped in region @v) the file's page rather than a frame of ours? */
static bool file_page(const struct vma *v, uint64_t pa)
{
	return (v->flags & VMA_FILE) && v->bops->file_page(v->bobj, ALIGN_DOWN(pa, PAGE_SIZE));
}

/* Tell a file region's object its range (after any change of it). */
static void tell_range(struct vma *v)
{
	if (v->flags & VMA_FILE)
		v->bops->set_range(v->bobj, v->start, v->end, v->foff);
}

/* Give @part (a copy of a region's fields) its own reference to what backs
 * the region: shm_get, or a new object for a file region.  0 or -ENOMEM. */
static int share_backing(struct mm *mm, struct vma *part)
{
	if (part->shm)
		shm_get(part->shm);
	if (part->flags & VMA_FILE) {
		part->bobj = part->bops->clone(part->bobj, mm);
		if (!part->bobj)
			return -ENOMEM;
	}
	return 0;
}

static void drop_backing(struct vma *v)
{
	if (v->shm)
		shm_put(v->shm);
	if (v->flags & VMA_FILE)
		v->bops->release(v->bobj);
}

struct unmap_ctx {
	struct mm *mm;
	const struct vma *v;
};

/* Private frames go back to the pmm; shared ones stay with their shm. */
static void drop_leaf(uint64_t va, uint64_t pa, unsigned prot, void *arg)
{
	struct unmap_ctx *c = arg;

	if (!(c->v->flags & VMA_SHARED) && !file_page(c->v, pa)) {
		frame_free(pa);
		c->mm->pages--;
	}
}

/* Unmap and free the pages of [start, end) inside region @v. */
static void drop_pages(struct mm *mm, const struct vma *v, uint64_t start, uint64_t end)
{
	struct unmap_ctx c = { mm, v };

	pt_walk_user(&mm->pt, start, end, drop_leaf, &c);
	pt_unmap(&mm->pt, start, end - start);
}

/*
 * Cut [start, end) out of every region: pages freed, regions trimmed or
 * split.  -ENOMEM only when a split finds the array full (nothing
 * changed for that region).  Caller holds mm->lock.
 */
static int carve(struct mm *mm, uint64_t start, uint64_t end)
{
	assert_held(&mm->lock);
	for (unsigned i = 0; i < mm->nvma;) {
		struct vma *v = &mm->vma[i];
		uint64_t s = MAX(v->start, start), e = MIN(v->end, end);

		if (s >= e) {
			i++;
			continue;
		}
		if (s > v->start && e < v->end) {	/* a hole in the middle */
			struct vma tail = *v;
			if (mm->nvma == VMA_MAX)
				return -ENOMEM;
			tail.start = e;
			tail.shm_off += (e - v->start) / PAGE_SIZE;
			tail.foff += e - v->start;
			if (share_backing(mm, &tail))
				return -ENOMEM;
			tell_range(&tail);	/* covered before the entries go */
			drop_pages(mm, v, s, e);
			v->end = s;
			tell_range(v);
			insert_vma(mm, &tail);
			return 0;
		}
		drop_pages(mm, v, s, e);	/* entries first, then the object */
		if (s == v->start && e == v->end) {
			drop_backing(v);
			remove_vma(mm, i);
			continue;
		}
		if (s == v->start) {
			v->shm_off += (e - v->start) / PAGE_SIZE;
			v->foff += e - v->start;
			v->start = e;
		} else {
			v->end = s;
		}
		tell_range(v);
		i++;
	}
	return 0;
}

/* Is [start, end) free of regions?  Caller holds mm->lock. */
static bool range_free(struct mm *mm, uint64_t start, uint64_t end)
{
	assert_held(&mm->lock);
	for (unsigned i = 0; i < mm->nvma; i++)
		if (mm->vma[i].start < end && start < mm->vma[i].end)
			return false;
	return true;
}

/* The highest free gap of @len below UVM_MMAP_BASE.  Caller holds mm->lock. */
static uint64_t find_gap(struct mm *mm, uint64_t len)
{
	uint64_t top = UVM_MMAP_BASE;

	for (int i = (int)mm->nvma - 1; i >= -1; i--) {
		uint64_t lo = i >= 0 ? mm->vma[i].end : UVM_MIN_ADDR;
		if (i >= 0 && mm->vma[i].start >= top)
			continue;
		if (lo <= top && top - lo >= len && top - len >= MAX(mm->brk, UVM_MIN_ADDR))
			return top - len;
		if (i >= 0)
			top = MIN(top, mm->vma[i].start);
	}
	return 0;
}

/*
 * Where a new region of @len goes: the highest free gap; for a file region
 * of 2 MiB or more, at an address congruent to the file offset @off
 * modulo 2 MiB, so that 2 MiB extents can get 2 MiB entries (Linux's
 * thp_get_unmapped_area does this for DAX).  0: no room.  Caller holds
 * mm->lock.
 */
static uint64_t place(struct mm *mm, uint64_t len, uint64_t off, bool file)
{
	uint64_t a, skew = off & (PAGE_SIZE_2M - 1);

	if (!file || len < PAGE_SIZE_2M || !(a = find_gap(mm, len + PAGE_SIZE_2M)) ||
	    a < PAGE_SIZE_2M)
		return find_gap(mm, len);
	return ALIGN_UP(a - skew, PAGE_SIZE_2M) + skew;
}

int mm_map(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags,
	   uint64_t *out)
{
	return mm_map_backed(mm, addr, len, prot, flags, 0, NULL, NULL, out);
}

int mm_map_backed(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags,
		  uint64_t off, const struct uvm_backing_ops *ops, void *obj, uint64_t *out)
{
	struct vma v = { 0 };
	unsigned share = flags & (UVM_MAP_SHARED | UVM_MAP_PRIVATE);
	int err = 0;

	if (!len || len > UVM_STACK_TOP || !IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	if (share != UVM_MAP_SHARED && share != UVM_MAP_PRIVATE)
		return -EINVAL;
	if (prot & ~(UVM_PROT_READ | UVM_PROT_WRITE | UVM_PROT_EXEC))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	mutex_lock(&mm->lock);
	if (flags & UVM_MAP_FIXED) {
		if (addr < UVM_MIN_ADDR || addr + len > UVM_STACK_TOP) {
			err = -EINVAL;
			goto out;
		}
		err = carve(mm, addr, addr + len);
	} else if (!addr || addr < UVM_MIN_ADDR || addr + len > UVM_STACK_TOP ||
		   !range_free(mm, addr, addr + len)) {
		addr = place(mm, len, ops ? off : 0, ops != NULL);
		if (!addr)
			err = -ENOMEM;
	}
	if (err)
		goto out;
	v.start = addr;
	v.end = addr + len;
	v.prot = prot;
	if (ops) {
		v.flags = VMA_FILE | (share == UVM_MAP_PRIVATE ? VMA_FPRIV : 0);
		v.bops = ops;
		v.bobj = obj;
		v.foff = off;
	} else if (share == UVM_MAP_SHARED) {
		v.flags = VMA_SHARED;
		v.shm = shm_new(len / PAGE_SIZE);
		if (!v.shm) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = insert_vma(mm, &v);
	if (err && v.shm)
		shm_put(v.shm);
	if (!err) {
		tell_range(&v);
		*out = addr;
	}
out:
	mutex_unlock(&mm->lock);
	return err;
}

int mm_unmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	int err;

	if (!len || !IS_ALIGNED(addr, PAGE_SIZE) || addr >= UVM_STACK_TOP + PAGE_SIZE ||
	    len > UVM_STACK_TOP)
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	mutex_lock(&mm->lock);
	err = carve(mm, addr, addr + len);
	mutex_unlock(&mm->lock);
	return err;
}

int mm_protect(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot)
{
	uint64_t end;
	int err = 0;

	if (!IS_ALIGNED(addr, PAGE_SIZE) || (prot & ~7u) || len > UVM_STACK_TOP)
		return -EINVAL;
	end = addr + ALIGN_UP(len, PAGE_SIZE);
	if (end > UVM_STACK_TOP)
		return -ENOMEM;
	mutex_lock(&mm->lock);
	/* Every page of the range must be in some region (Linux: -ENOMEM). */
	for (uint64_t a = addr; a < end;) {
		struct vma *v = find_vma(mm, a);
		if (!v) {
			err = -ENOMEM;
			goto out;
		}
		a = v->end;
	}
	for (unsigned i = 0; i < mm->nvma; i++) {
		struct vma *v = &mm->vma[i];
		uint64_t s = MAX(v->start, addr), e = MIN(v->end, end);
		if (s >= e || v->prot == prot)
			continue;
		/* split off the parts outside the range */
		if (s > v->start || e < v->end) {
			if (mm->nvma + 2 > VMA_MAX) {
				err = -ENOMEM;
				goto out;
			}
			struct vma mid = *v, tail = *v;
			mid.start = s;
			mid.end = e;
			mid.shm_off += (s - v->start) / PAGE_SIZE;
			mid.foff += s - v->start;
			tail.start = e;
			tail.shm_off += (e - v->start) / PAGE_SIZE;
			tail.foff += e - v->start;
			mid.prot = prot;
			if (e < v->end) {
				if (share_backing(mm, &tail)) {
					err = -ENOMEM;
					goto out;
				}
				tell_range(&tail);
				insert_vma(mm, &tail);
				v = &mm->vma[i];
			}
			if (s > v->start) {
				if (share_backing(mm, &mid)) {
					v->end = e;	/* the tail is its own now */
					tell_range(v);
					err = -ENOMEM;
					goto out;
				}
				tell_range(&mid);
				v->end = s;
				tell_range(v);
				insert_vma(mm, &mid);
			} else {
				v->end = e;
				v->prot = prot;
				tell_range(v);
			}
		} else {
			v->prot = prot;
		}
		/* Pages already there: keep them, with the new access.  With
		 * no access at all they stay mapped for the kernel only. */
		/* A file region's entries go read-only: a write faults, and
		 * the fault decides (a file page, a hole, a private copy). */
		if (v->flags & VMA_FILE || !(prot & UVM_PROT_WRITE))
			pt_protect(&mm->pt, s, e - s, prot ? pt_prot(prot & ~UVM_PROT_WRITE) : PROT_READ);
		else
			pt_protect(&mm->pt, s, e - s, pt_prot(prot));
	}
out:
	mutex_unlock(&mm->lock);
	return err;
}

void mm_set_brk(struct mm *mm, uint64_t start)
{
	mutex_lock(&mm->lock);
	mm->brk_start = mm->brk = ALIGN_UP(start, PAGE_SIZE);
	mutex_unlock(&mm->lock);
}

uint64_t mm_brk(struct mm *mm, uint64_t want)
{
	uint64_t cur, want_end;

	mutex_lock(&mm->lock);
	cur = mm->brk;
	want_end = ALIGN_UP(want, PAGE_SIZE);
	if (want < mm->brk_start || want_end > UVM_MMAP_BASE || want_end < want)
		goto out;
	if (want_end > cur) {
		struct vma *v = mm->nvma ? find_vma(mm, cur - 1) : NULL;
		if (!range_free(mm, cur, want_end))
			goto out;
		if (v && (v->flags & VMA_HEAP) && v->end == cur) {
			v->end = want_end;
		} else {
			struct vma nv = { .start = cur, .end = want_end,
					  .prot = UVM_PROT_READ | UVM_PROT_WRITE, .flags = VMA_HEAP };
			if (insert_vma(mm, &nv))
				goto out;
		}
	} else if (want_end < cur) {
		carve(mm, want_end, cur);
	}
	mm->brk = want_end;
	cur = want;
out:
	mutex_unlock(&mm->lock);
	return cur;
}

int mm_add_stack(struct mm *mm)
{
	struct vma v = { .start = UVM_STACK_TOP - UVM_STACK_SIZE, .end = UVM_STACK_TOP,
			 .prot = UVM_PROT_READ | UVM_PROT_WRITE, .flags = VMA_STACK };
	int err;

	mutex_lock(&mm->lock);
	err = insert_vma(mm, &v);
	mutex_unlock(&mm->lock);
	return err;
}

/* ------------------------------------------------------------- faults */

/* Map the page at @va of region @v.  Caller holds mm->lock. */
static int fault_in(struct mm *mm, struct vma *v, uint64_t va)
{
	uint64_t pa;
	int err;

	assert_held(&mm->lock);
	if (pt_lookup(&mm->pt, va, NULL, NULL, NULL))
		return 0;		/* another path mapped it */
	if (v->flags & VMA_SHARED) {
		pa = shm_frame(v->shm, v->shm_off + (va - v->start) / PAGE_SIZE);
		if (!pa)
			return -ENOMEM;
	} else {
		pa = frame_alloc();
		if (!pa)
			return -ENOMEM;
	}
	err = pt_map(&mm->pt, va, pa, PAGE_SIZE, v->prot ? pt_prot(v->prot) : PROT_READ);
	if (err) {
		if (!(v->flags & VMA_SHARED))
			frame_free(pa);
		return err == -EEXIST ? 0 : -ENOMEM;
	}
	if (!(v->flags & VMA_SHARED))
		mm->pages++;
	return 0;
}

/*
 * A fault in file region @v: a file page through the backing object, or
 * for a write to a private region a private copy.  Caller holds mm->lock.
 */
static int file_fault(struct mm *mm, struct vma *v, uint64_t addr, bool write)
{
	uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE), pa, npa;
	unsigned prot;
	bool present;
	int err;

	assert_held(&mm->lock);
	present = pt_lookup(&mm->pt, va, &pa, NULL, &prot);
	if (present && (!write || (prot & PROT_WRITE)))
		return (prot & PROT_USER) ? 0 : -EFAULT;	/* a stale TLB entry */
	if (!(v->flags & VMA_FPRIV) || !write)
		return v->bops->fault(v->bobj, &mm->pt, va, write, pt_prot(v->prot));
	if (present && !file_page(v, pa))		/* our copy, read-only after mprotect */
		return pt_protect(&mm->pt, va, PAGE_SIZE, pt_prot(v->prot));
	if (!(npa = frame_alloc()))
		return -ENOMEM;
	err = v->bops->cow(v->bobj, &mm->pt, va, npa, pt_prot(v->prot));
	if (err) {
		frame_free(npa);
		return err == -EIO ? err : -ENOMEM;
	}
	mm->pages++;
	return 0;
}

int mm_fault(struct mm *mm, uint64_t addr, bool write, bool exec)
{
	struct vma *v;
	unsigned prot;
	int err = -EFAULT;

	mutex_lock(&mm->lock);
	v = find_vma(mm, addr);
	if (!v || !v->prot || (write && !(v->prot & UVM_PROT_WRITE)) ||
	    (exec && !(v->prot & UVM_PROT_EXEC)))
		goto out;
	if (v->flags & VMA_FILE) {
		err = file_fault(mm, v, addr, write);
		goto out;
	}
	if (pt_lookup(&mm->pt, addr, NULL, NULL, &prot)) {
		/* present: the access is allowed, so the entry is just new
		 * to this CPU's TLB (a stale entry); retry */
		err = (prot & PROT_USER) ? 0 : -EFAULT;
		goto out;
	}
	err = fault_in(mm, v, ALIGN_DOWN(addr, PAGE_SIZE));
out:
	mutex_unlock(&mm->lock);
	return err;
}

int mm_write(struct mm *mm, uint64_t va, const void *src, size_t len)
{
	const char *s = src;
	int err = 0;

	mutex_lock(&mm->lock);
	while (len && !err) {
		uint64_t page = ALIGN_DOWN(va, PAGE_SIZE), pa;
		size_t n = MIN(len, page + PAGE_SIZE - va);
		struct vma *v = find_vma(mm, va);

		if (!v) {
			err = -EFAULT;
			break;
		}
		err = fault_in(mm, v, page);
		if (err)
			break;
		if (!pt_lookup(&mm->pt, va, &pa, NULL, NULL)) {
			err = -EFAULT;
			break;
		}
		memcpy(phys_to_virt(pa), s, n);
		s += n;
		va += n;
		len -= n;
	}
	mutex_unlock(&mm->lock);
	return err;
}

/* ------------------------------------------------------------- fork, exit */

struct copy_ctx {
	struct mm *child;
	const struct vma *v;
	int err;
};

static void copy_leaf(uint64_t va, uint64_t pa, unsigned prot, void *arg)
{
	struct copy_ctx *c = arg;
	uint64_t npa = pa;

	if (c->err)
		return;
	if (file_page(c->v, pa))
		return;		/* the child faults file pages in itself */
	if (!(c->v->flags & VMA_SHARED)) {
		npa = pmm_alloc_page();
		if (!npa) {
			c->err = -ENOMEM;
			return;
		}
		__atomic_add_fetch(&user_frames, 1, __ATOMIC_RELAXED);
		memcpy(phys_to_virt(npa), phys_to_virt(pa), PAGE_SIZE);
	}
	c->err = pt_map(&c->child->pt, va, npa, PAGE_SIZE, prot);
	if (c->err && !(c->v->flags & VMA_SHARED))
		frame_free(npa);
	else if (!(c->v->flags & VMA_SHARED))
		c->child->pages++;
}

struct mm *mm_fork(struct mm *mm)
{
	struct mm *child = mm_create();
	struct copy_ctx c = { child, NULL, 0 };

	if (!child)
		return NULL;
	mutex_lock(&mm->lock);
	child->brk_start = mm->brk_start;
	child->brk = mm->brk;
	for (unsigned i = 0; i < mm->nvma && !c.err; i++) {
		struct vma *v = &mm->vma[i];
		child->vma[i] = *v;
		if (share_backing(child, &child->vma[i])) {
			c.err = -ENOMEM;
			break;
		}
		child->nvma++;
		tell_range(&child->vma[i]);
		c.v = v;
		pt_walk_user(&mm->pt, v->start, v->end, copy_leaf, &c);
	}
	mutex_unlock(&mm->lock);
	if (c.err) {
		mm_destroy(child);
		return NULL;
	}
	return child;
}

static void destroy_leaf(uint64_t va, uint64_t pa, unsigned prot, void *arg)
{
	struct mm *mm = arg;
	struct vma *v = find_vma(mm, va);

	if (!v)
		panic("uvm: page %#lx mapped outside every region", va);
	if (!(v->flags & VMA_SHARED) && !file_page(v, pa)) {
		frame_free(pa);
		mm->pages--;
	}
}

void mm_destroy(struct mm *mm)
{
	/* nobody else can reach @mm now; the lock is for the assertions */
	mutex_lock(&mm->lock);
	/* File regions first: their entries, then their objects, so no
	 * layout change touches this page table once it goes. */
	for (unsigned i = 0; i < mm->nvma; i++) {
		struct vma *v = &mm->vma[i];
		if (v->flags & VMA_FILE) {
			drop_pages(mm, v, v->start, v->end);
			v->bops->release(v->bobj);
			v->flags &= ~VMA_FILE;
		}
	}
	pt_destroy_user(&mm->pt, destroy_leaf, mm);
	for (unsigned i = 0; i < mm->nvma; i++)
		if (mm->vma[i].shm)
			shm_put(mm->vma[i].shm);
	mm->nvma = 0;
	mutex_unlock(&mm->lock);
	kfree(mm);
}

/* ------------------------------------------------------------- msync */

struct pgtable *mm_pgtable(struct mm *mm) { return &mm->pt; }

#define SYNC_CHUNK	(512 * PAGE_SIZE)	/* pages looked up per page-table walk */

struct sync_ctx {
	const struct vma *v;
	uint64_t *pa;			/* SYNC_CHUNK / PAGE_SIZE entries */
	unsigned n;
};

static void sync_leaf(uint64_t va, uint64_t pa, unsigned prot, void *arg)
{
	struct sync_ctx *c = arg;

	if (file_page(c->v, pa) && (prot & PROT_WRITE))
		c->pa[c->n++] = ALIGN_DOWN(pa, PAGE_SIZE);
}

/*
 * The pages are collected under the page table's lock (interrupts off) a
 * chunk at a time and flushed outside it: a 256 MiB msync would otherwise
 * keep this CPU deaf for the whole flush.  mm->lock keeps the regions; a
 * layout change may clear an entry meanwhile, and flushing the lines of a
 * page that just left the file is harmless.
 */
int mm_msync(struct mm *mm, uint64_t addr, uint64_t len,
	     void (*fn)(uint64_t pa, uint64_t len, void *ctx), void *ctx)
{
	uint64_t end = addr + ALIGN_UP(len, PAGE_SIZE);
	struct sync_ctx c = { 0 };
	int err = 0;

	if (!IS_ALIGNED(addr, PAGE_SIZE) || len > UVM_STACK_TOP || end > UVM_STACK_TOP)
		return -EINVAL;
	if (!(c.pa = kmalloc(SYNC_CHUNK / PAGE_SIZE * sizeof(uint64_t))))
		return -ENOMEM;
	mutex_lock(&mm->lock);
	for (uint64_t a = addr; a < end;) {
		struct vma *v = find_vma(mm, a);
		if (!v) {
			err = -ENOMEM;
			break;
		}
		uint64_t vend = MIN(end, v->end);
		if ((v->flags & VMA_FILE) && !(v->flags & VMA_FPRIV)) {
			for (uint64_t s = a; s < vend; s += SYNC_CHUNK) {
				c.v = v;
				c.n = 0;
				pt_walk_user(&mm->pt, s, MIN(vend, s + SYNC_CHUNK), sync_leaf, &c);
				for (unsigned i = 0; i < c.n; i++)
					fn(c.pa[i], PAGE_SIZE, ctx);
			}
		}
		a = v->end;
	}
	mutex_unlock(&mm->lock);
	kfree(c.pa);
	return err;
}
