/*
 * kmalloc.c - the kernel heap: size classes carved from 4 KiB frames, and
 * whole frames for large requests.
 *
 * Every object carries a 16-byte header (magic, class, requested size) and
 * an 8-byte red zone right after the bytes the caller asked for:
 *
 *   [ header 16 ][ payload: size bytes ][ red zone 8 ][ slack ]
 *
 * kfree checks the header magic (a freed object has FREE_MAGIC: freeing it
 * again is a double free) and the red zone (a write past the end).  Both
 * are reported with the object's address and size and panic; the
 * kfree_checked() variant returns the error instead, for tests.  In debug
 * builds (DEBUG=1) freed payloads are poisoned so use-after-free reads show
 * up as 0x6b bytes.
 *
 * Locking: one spinlock per size class guards its free list; large
 * allocations go straight to the frame allocator.
 */
#include <kernel/mm.h>
#include <kernel/sync.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/kmalloc.h>
#include <lib/string.h>
#include <lib/errno.h>

#define ALLOC_MAGIC	0xA110CA7Eu
#define FREE_MAGIC	0xF4EEF4EEu
#define REDZONE_BYTE	0xBD
#define REDZONE_SIZE	8
#define POISON_BYTE	0x6b
#define HEADER_SIZE	16
#define CLASS_LARGE	0xff
#define NCLASSES	8		/* 32 .. 4096 bytes per slot */
#define MIN_SLOT_SHIFT	5

struct kmhdr {
	uint32_t magic;
	uint32_t cls;			/* size class, or CLASS_LARGE */
	uint64_t size;			/* requested bytes */
};

struct free_obj {
	struct free_obj *next;
};

static struct kclass {
	spinlock_t lock;
	struct free_obj *free;		/* lock */
	size_t slot;
	uint64_t in_use;		/* lock: objects handed out */
} classes[NCLASSES];

static size_t slab_frames;		/* frames kept by the size classes */

_Static_assert(sizeof(struct kmhdr) == HEADER_SIZE, "kmalloc header size");
_Static_assert(KMALLOC_OVERHEAD == HEADER_SIZE + REDZONE_SIZE, "kmalloc.h's overhead");

void kmalloc_init(void)
{
	for (int i = 0; i < NCLASSES; i++) {
		spin_lock_init(&classes[i].lock, "kmalloc");
		classes[i].slot = 1UL << (MIN_SLOT_SHIFT + i);
	}
}

static int class_for(size_t total)
{
	for (int i = 0; i < NCLASSES; i++)
		if (total <= classes[i].slot)
			return i;
	return -1;
}

/* Carve a fresh frame into slots.  Caller holds the class lock. */
static bool refill(struct kclass *k)
{
	uint64_t pa;
	char *page;

	assert_held(&k->lock);
	pa = pmm_alloc_page();
	if (!pa)
		return false;
	page = phys_to_virt(pa);
	__atomic_fetch_add(&slab_frames, 1, __ATOMIC_RELAXED);
	for (size_t off = 0; off + k->slot <= PAGE_SIZE; off += k->slot) {
		struct free_obj *o = (struct free_obj *)(page + off);
		((struct kmhdr *)o)->magic = FREE_MAGIC;
		o = (struct free_obj *)((char *)o + HEADER_SIZE);
		o->next = k->free;
		k->free = o;
	}
	return true;
}

static void *finish(struct kmhdr *h, uint32_t cls, size_t size)
{
	h->magic = ALLOC_MAGIC;
	h->cls = cls;
	h->size = size;
	memset((char *)(h + 1) + size, REDZONE_BYTE, REDZONE_SIZE);
	return h + 1;
}

void *kmalloc(size_t size)
{
	size_t total = HEADER_SIZE + size + REDZONE_SIZE;
	int c;

	if (size == 0 || total < size)
		return NULL;
	c = class_for(total);
	if (c < 0) {
		size_t pages = DIV_ROUND_UP(total, PAGE_SIZE);
		uint64_t pa = pmm_alloc_pages(pages);
		if (!pa)
			return NULL;
		return finish(phys_to_virt(pa), CLASS_LARGE, size);
	}
	struct kclass *k = &classes[c];
	unsigned long f = spin_lock_irqsave(&k->lock);
	if (!k->free && !refill(k)) {
		spin_unlock_irqrestore(&k->lock, f);
		return NULL;
	}
	struct free_obj *o = k->free;
	k->free = o->next;
	k->in_use++;
	spin_unlock_irqrestore(&k->lock, f);
	return finish((struct kmhdr *)o - 1, (uint32_t)c, size);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

static bool redzone_intact(const struct kmhdr *h)
{
	const uint8_t *rz = (const uint8_t *)(h + 1) + h->size;

	for (int i = 0; i < REDZONE_SIZE; i++)
		if (rz[i] != REDZONE_BYTE)
			return false;
	return true;
}

/**
 * kfree_checked - free p, or report what is wrong with it.
 * Returns 0, -EALREADY for a double free, -EFAULT for a pointer kmalloc
 * never returned, -EOVERFLOW when the red zone past the object was written
 * (the object is not freed then).
 */
int kfree_checked(void *p)
{
	struct kmhdr *h;

	if (!p)
		return 0;
	h = (struct kmhdr *)p - 1;
	if (h->magic == FREE_MAGIC)
		return -EALREADY;
	if (h->magic != ALLOC_MAGIC || (h->cls >= NCLASSES && h->cls != CLASS_LARGE))
		return -EFAULT;
	if (!redzone_intact(h))
		return -EOVERFLOW;
	h->magic = FREE_MAGIC;
#ifdef KDEBUG
	memset(p, POISON_BYTE, h->size);
#endif
	if (h->cls == CLASS_LARGE) {
		size_t pages = DIV_ROUND_UP(HEADER_SIZE + h->size + REDZONE_SIZE, PAGE_SIZE);
		pmm_free_pages(virt_to_phys(h), pages);
		return 0;
	}
	struct kclass *k = &classes[h->cls];
	struct free_obj *o = p;
	unsigned long f = spin_lock_irqsave(&k->lock);
	o->next = k->free;
	k->free = o;
	k->in_use--;
	spin_unlock_irqrestore(&k->lock, f);
	return 0;
}

void kfree(void *p)
{
	int err = kfree_checked(p);

	if (err == -EALREADY)
		panic("kfree: double free of %p (%lu bytes)", p, ((struct kmhdr *)p - 1)->size);
	if (err == -EFAULT)
		panic("kfree: %p was not allocated by kmalloc", p);
	if (err == -EOVERFLOW)
		panic("kfree: write past the end of %p (%lu bytes): red zone damaged",
		      p, ((struct kmhdr *)p - 1)->size);
}

size_t ksize(const void *p)
{
	return ((const struct kmhdr *)p - 1)->size;
}

uint64_t kmalloc_in_use(void)
{
	uint64_t n = 0;

	for (int i = 0; i < NCLASSES; i++)
		n += READ_ONCE(classes[i].in_use);
	return n;
}

size_t kmalloc_slab_frames(void)
{
	return READ_ONCE(slab_frames);
}
