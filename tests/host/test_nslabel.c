/*
 * test_nslabel.c - host tests of the namespace label library
 * (drivers/nvdimm/nslabel.c) against hand-built 128 KiB label areas: the
 * good case, one index checksum broken, both broken, the 2-bit sequence
 * wrap, bad versions and slot counts, labels pointing past the region,
 * overlapping, misplaced, foreign-cookie and corrupt labels (each refused
 * with its message, the rest kept), create/destroy round trips, and a
 * power cut after every store (and inside every store) of a create and a
 * destroy: re-reading gives exactly the old set or the new one.  Also
 * v1.1 areas (128-byte labels, as ndctl init-labels writes by default):
 * read, refused foreign cookies, raw creates and destroys in v1.1 format.
 */
#include <lib/ktest.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <lib/errno.h>
#include <drivers/nslabel.h>
#include "kprintf_host.h"

#define AREA		(128u * 1024)
#define MIB		(1ull << 20)
#define DPA_BASE	0x100000000ull		/* not QEMU's (0): offsets must not assume 0 */
#define DIMM_SIZE	(256 * MIB - 128 * 1024)
#define COOKIE		0xba90120012b4dcull	/* computed apart, see cookie test */
#define COOKIE_V11	0x2468ac00123456ull	/* Linux 6.1's iset_id with v1.1 labels */
#define INDEX_SIZE	256
#define LABEL_OFF	512
#define NSLOT		510

static uint8_t area[AREA];
static const struct nsl_dimm dimm = { DPA_BASE, DIMM_SIZE, COOKIE, COOKIE_V11 };
static struct nsl_set set;

static const uint8_t pmem_guid[16] = {
	0x79, 0xd3, 0xf0, 0x66, 0xf3, 0xb4, 0x74, 0x40,
	0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb,
};

/* ---------------------------------------------------- hand-built areas */

static void w16(size_t o, uint16_t v) { memcpy(area + o, &v, 2); }
static void w32(size_t o, uint32_t v) { memcpy(area + o, &v, 4); }
static void w64(size_t o, uint64_t v) { memcpy(area + o, &v, 8); }

static void seal(size_t off, size_t len, size_t sum_at)
{
	w64(off + sum_at, 0);
	w64(off + sum_at, nsl_fletcher64(area + off, len));
}

/* Index block @i with @seq, whose in-use slots are @used[0..n). */
static void put_index(unsigned i, uint32_t seq, const uint32_t *used, unsigned n)
{
	size_t o = i * INDEX_SIZE;

	memset(area + o, 0, INDEX_SIZE);
	memcpy(area + o, "NAMESPACE_INDEX", 16);
	area[o + 19] = 1;
	w32(o + 20, seq);
	w64(o + 24, o);
	w64(o + 32, INDEX_SIZE);
	w64(o + 40, (size_t)(!i) * INDEX_SIZE);
	w64(o + 48, LABEL_OFF);
	w32(o + 56, NSLOT);
	w16(o + 60, 1);
	w16(o + 62, 2);
	for (unsigned s = 0; s < NSLOT; s++)
		area[o + 72 + s / 8] |= (uint8_t)(1u << (s % 8));
	for (unsigned k = 0; k < n; k++)
		area[o + 72 + used[k] / 8] &= (uint8_t)~(1u << (used[k] % 8));
	seal(o, INDEX_SIZE, 64);
}

/* A label in @slot for uuid byte @u at @off (from DPA_BASE), @size bytes. */
static void put_label(uint32_t slot, uint8_t u, uint64_t off, uint64_t size, const char *name)
{
	size_t o = LABEL_OFF + (size_t)slot * 256;

	memset(area + o, 0, 256);
	memset(area + o, u, 16);
	memcpy(area + o + 16, name, strlen(name));
	w16(o + 84, 1);			/* nlabel */
	w64(o + 88, COOKIE);
	w64(o + 104, DPA_BASE + off);
	w64(o + 112, size);
	w32(o + 120, slot);
	memcpy(area + o + 128, pmem_guid, 16);
	seal(o, 256, 248);
}

static void good_area(void)
{
	static const uint32_t used[] = { 0, 1 };

	memset(area, 0, sizeof(area));
	put_label(0, 0x11, 0, 16 * MIB, "first");
	put_label(1, 0x22, 16 * MIB, 32 * MIB, "second");
	put_index(0, 1, used, 1);		/* older: only slot 0 */
	put_index(1, 2, used, 2);		/* live: both */
	host_log_clear();
}

static int parse(void)
{
	return nsl_parse("pmem0", area, AREA, &dimm, &set);
}

static bool logged(const char *what)
{
	return strstr(host_log, what) != NULL;
}

/* ------------------------------------------------------------ basics */

KTEST(nslabel, geometry_of_128k_matches_linux)
{
	struct nsl_geom g;

	ASSERT_OK(t, nsl_geometry(AREA, NSL_LABEL_SIZE, &g));
	EXPECT_EQ(t, g.nslot, NSLOT);
	EXPECT_EQ(t, g.index_size, INDEX_SIZE);
	EXPECT_EQ(t, g.label_off, LABEL_OFF);
	EXPECT_ERR(t, nsl_geometry(512, NSL_LABEL_SIZE, &g), -EINVAL);
}

KTEST(nslabel, fletcher64_and_cookie)
{
	uint32_t w[2] = { 1, 2 };

	/* lo: 1, 3; hi: 1, 4 */
	EXPECT_EQ(t, nsl_fletcher64(w, sizeof(w)), (4ull << 32) | 3);
	/* QEMU's first NVDIMM: region offset 0, serial 0x123456, vendor 0x8086 */
	EXPECT_EQ(t, nsl_isetcookie(0, 0x123456, 0x8086, 0, 0), COOKIE);
}

KTEST(nslabel, uuid_text_round_trip)
{
	uint8_t u[16], back[16];
	char s[NSL_UUID_STR];

	for (unsigned i = 0; i < 16; i++)
		u[i] = (uint8_t)(i * 17);
	nsl_uuid_str(u, s);
	EXPECT_STREQ(t, s, "00112233-4455-6677-8899-aabbccddeeff");
	ASSERT_OK(t, nsl_uuid_parse(s, back));
	EXPECT_MEMEQ(t, u, back, 16);
	EXPECT_ERR(t, nsl_uuid_parse("00112233-4455-6677-8899-aabbccddeef", back), -EINVAL);
	EXPECT_ERR(t, nsl_uuid_parse("00112233x4455-6677-8899-aabbccddeeff", back), -EINVAL);
}

/* ------------------------------------------------------------ parsing */

KTEST(nslabel, blank_area_is_blank_not_damaged)
{
	memset(area, 0, sizeof(area));
	host_log_clear();
	ASSERT_OK(t, parse());
	EXPECT_TRUE(t, set.blank);
	EXPECT_FALSE(t, set.damaged);
	EXPECT_EQ(t, set.nns, 0u);
	EXPECT_STREQ(t, host_log, "");
}

KTEST(nslabel, good_area_gives_both_namespaces)
{
	good_area();
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.current, 1);
	EXPECT_EQ(t, set.seq, 2u);
	ASSERT_EQ(t, set.nns, 2u);
	EXPECT_STREQ(t, set.ns[0].name, "first");
	EXPECT_EQ(t, set.ns[0].dpa, DPA_BASE);
	EXPECT_EQ(t, set.ns[0].size, 16 * MIB);
	EXPECT_EQ(t, set.ns[0].mode, NSL_MODE_RAW);
	EXPECT_STREQ(t, set.ns[1].name, "second");
	EXPECT_EQ(t, set.ns[1].uuid[0], 0x22);
	EXPECT_EQ(t, set.ns[1].size, 32 * MIB);
	EXPECT_EQ(t, set.refused, 0u);
	EXPECT_STREQ(t, host_log, "");
}

KTEST(nslabel, one_index_checksum_broken_uses_the_other)
{
	good_area();
	area[1 * INDEX_SIZE + 72] ^= 0x4;	/* a bit of index 1's bitmap */
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.current, 0);
	EXPECT_EQ(t, set.nns, 1u);		/* index 0 knew only slot 0 */
	EXPECT_TRUE(t, logged("index block 1 is bad (checksum"));
	EXPECT_TRUE(t, logged("using index block 0"));
}

KTEST(nslabel, both_index_checksums_broken_is_damaged)
{
	good_area();
	area[0 * INDEX_SIZE + 100] ^= 1;
	area[1 * INDEX_SIZE + 100] ^= 1;
	EXPECT_ERR(t, parse(), -EINVAL);
	EXPECT_TRUE(t, set.damaged);
	EXPECT_FALSE(t, set.blank);
	EXPECT_EQ(t, set.nns, 0u);
	EXPECT_TRUE(t, logged("both index blocks are bad (index 0: checksum"));
}

KTEST(nslabel, damaged_set_refuses_updates)
{
	struct nsl_ns ns = { .dpa = DPA_BASE, .size = 4096 };
	struct nsl_store none = { NULL, NULL };

	good_area();
	area[0 * INDEX_SIZE + 100] ^= 1;
	area[1 * INDEX_SIZE + 100] ^= 1;
	parse();
	memset(ns.uuid, 0x33, 16);
	EXPECT_ERR(t, nsl_add(&set, &dimm, &ns, &none), -EINVAL);
	EXPECT_ERR(t, nsl_remove(&set, 0, &none), -EINVAL);
}

KTEST(nslabel, sequence_numbers_wrap)
{
	static const uint32_t used[] = { 0, 1 };

	good_area();
	put_index(0, 1, used, 2);		/* 1 follows 3: index 0 is newer */
	put_index(1, 3, used, 1);
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.current, 0);
	EXPECT_EQ(t, set.nns, 2u);
	put_index(0, 3, used, 2);		/* 3 follows 2 */
	put_index(1, 2, used, 1);
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.current, 0);
	put_index(0, 2, used, 2);		/* 3 follows 2, the other way */
	put_index(1, 3, used, 1);
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.current, 1);
	EXPECT_EQ(t, set.nns, 1u);
}

KTEST(nslabel, sequence_zero_and_bad_version_refused)
{
	static const uint32_t used[] = { 0, 1 };

	good_area();
	put_index(1, 4, used, 2);		/* 4 & 3 == 0: invalid */
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.current, 0);
	EXPECT_TRUE(t, logged("index block 1 is bad (sequence number 4"));
	host_log_clear();
	put_index(1, 2, used, 2);
	w16(INDEX_SIZE + 62, 1);		/* version 1.1 */
	seal(INDEX_SIZE, INDEX_SIZE, 64);
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.current, 0);
	EXPECT_TRUE(t, logged("index block 1 is bad (version 1.1"));
}

KTEST(nslabel, slot_count_past_the_area_refused)
{
	static const uint32_t used[] = { 0, 1 };

	good_area();
	put_index(1, 2, used, 2);
	w32(INDEX_SIZE + 56, NSLOT + 1);
	seal(INDEX_SIZE, INDEX_SIZE, 64);
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.current, 0);
	EXPECT_TRUE(t, logged("index block 1 is bad (511 slots (the area has room for 510))"));
}

KTEST(nslabel, label_past_the_region_refused_rest_kept)
{
	good_area();
	put_label(1, 0x22, DIMM_SIZE - 16 * MIB, 32 * MIB, "second");
	ASSERT_OK(t, parse());
	ASSERT_EQ(t, set.nns, 1u);
	EXPECT_STREQ(t, set.ns[0].name, "first");
	EXPECT_EQ(t, set.refused, 1u);
	EXPECT_TRUE(t, logged("slot 1: range 0x10efe0000+0x2000000 points past the region"));
}

KTEST(nslabel, label_below_the_dimm_refused)
{
	good_area();
	put_label(1, 0x22, 0, 16 * MIB, "second");
	w64(LABEL_OFF + 256 + 104, DPA_BASE - 4096);
	seal(LABEL_OFF + 256, 256, 248);
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.nns, 1u);
	EXPECT_TRUE(t, logged("points past the region"));
}

KTEST(nslabel, overlapping_labels_second_refused)
{
	good_area();
	put_label(1, 0x22, 8 * MIB, 32 * MIB, "second");
	ASSERT_OK(t, parse());
	ASSERT_EQ(t, set.nns, 1u);
	EXPECT_STREQ(t, set.ns[0].name, "first");
	EXPECT_TRUE(t, logged("slot 1: range 0x100800000+0x2000000 overlaps namespace 11111111-"));
}

KTEST(nslabel, same_uuid_twice_refused)
{
	good_area();
	put_label(1, 0x11, 16 * MIB, 32 * MIB, "second");
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.nns, 1u);
	EXPECT_TRUE(t, logged("is already slot 0's"));
}

KTEST(nslabel, label_in_the_wrong_slot_refused)
{
	good_area();
	w32(LABEL_OFF + 256 + 120, 7);
	seal(LABEL_OFF + 256, 256, 248);
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.nns, 1u);
	EXPECT_TRUE(t, logged("slot 1 holds a label that says it is slot 7"));
}

KTEST(nslabel, corrupt_label_checksum_refused)
{
	good_area();
	area[LABEL_OFF + 256 + 20] ^= 0x20;	/* a letter of the name */
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.nns, 1u);
	EXPECT_TRUE(t, logged("slot 1: checksum"));
}

KTEST(nslabel, foreign_cookie_and_interleave_refused)
{
	good_area();
	w64(LABEL_OFF + 256 + 88, COOKIE + 1);
	seal(LABEL_OFF + 256, 256, 248);
	w16(LABEL_OFF + 84, 2);			/* slot 0: 1 of 2 DIMMs */
	seal(LABEL_OFF, 256, 248);
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.nns, 0u);
	EXPECT_EQ(t, set.refused, 2u);
	EXPECT_TRUE(t, logged("slot 1: interleave-set cookie 0xba90120012b4dd is not this region's"));
	EXPECT_TRUE(t, logged("slot 0: label 0 of 2 of an interleaved namespace"));
}

KTEST(nslabel, names_are_made_printable)
{
	good_area();
	put_label(1, 0x22, 16 * MIB, 32 * MIB, "bad\x1b[2Jname");
	ASSERT_OK(t, parse());
	ASSERT_EQ(t, set.nns, 2u);
	EXPECT_STREQ(t, set.ns[1].name, "bad?[2Jname");
}

/* ------------------------------------------------------------ updates */

#define MAX_STORES	8

struct rec {
	unsigned n;
	uint32_t off[MAX_STORES], len[MAX_STORES];
	uint8_t data[MAX_STORES][1024];
};

static int mem_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
	uint8_t *a = ctx;

	if (off > AREA || len > AREA - off)
		return -ERANGE;
	memcpy(a + off, buf, len);
	return 0;
}

static int rec_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
	struct rec *r = ctx;

	if (r->n == MAX_STORES || len > sizeof(r->data[0]))
		return -ENOSPC;
	r->off[r->n] = off;
	r->len[r->n] = len;
	memcpy(r->data[r->n++], buf, len);
	return mem_write(area, off, buf, len);
}

static int fail_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
	return -EIO;
}

static struct nsl_ns make_ns(uint8_t u, uint64_t off, uint64_t size, enum nsl_mode mode)
{
	struct nsl_ns ns;

	memset(&ns, 0, sizeof(ns));
	memset(ns.uuid, u, 16);
	snprintf(ns.name, sizeof(ns.name), "ns-%02x", u);
	ns.dpa = DPA_BASE + off;
	ns.size = size;
	ns.mode = mode;
	return ns;
}

static const struct nsl_ns *find(const struct nsl_set *s, const uint8_t *uuid)
{
	for (unsigned i = 0; i < s->nns; i++)
		if (!memcmp(s->ns[i].uuid, uuid, 16))
			return &s->ns[i];
	return NULL;
}

/* The same namespaces (uuid, name, range, mode), in any order? */
static bool same_set(const struct nsl_set *a, const struct nsl_set *b)
{
	if (a->nns != b->nns)
		return false;
	for (unsigned i = 0; i < a->nns; i++) {
		const struct nsl_ns *x = &a->ns[i], *y = find(b, x->uuid);
		if (!y || strcmp(x->name, y->name) || x->dpa != y->dpa || x->size != y->size ||
		    x->mode != y->mode || x->slot != y->slot)
			return false;
	}
	return true;
}

KTEST(nslabel, create_on_blank_then_reparse)
{
	struct nsl_store st = { mem_write, area };
	struct nsl_ns ns = make_ns(0x44, 0, 16 * MIB, NSL_MODE_FSDAX);
	struct nsl_set mem;

	memset(area, 0, sizeof(area));
	ASSERT_OK(t, parse());
	ASSERT_OK(t, nsl_add(&set, &dimm, &ns, &st));
	mem = set;
	host_log_clear();
	ASSERT_OK(t, parse());
	EXPECT_STREQ(t, host_log, "");
	EXPECT_FALSE(t, set.blank);
	ASSERT_EQ(t, set.nns, 1u);
	EXPECT_STREQ(t, set.ns[0].name, "ns-44");
	EXPECT_EQ(t, set.ns[0].mode, NSL_MODE_FSDAX);
	EXPECT_EQ(t, set.ns[0].dpa, DPA_BASE);
	EXPECT_TRUE(t, same_set(&set, &mem));
	/* the label Linux would read: v1.2 index, flags 0, cookie, pfn GUID */
	EXPECT_EQ(t, area[19], 1);
	EXPECT_EQ(t, area[LABEL_OFF + 84], 1);
	EXPECT_EQ(t, area[LABEL_OFF + 144], 0xba);
	EXPECT_EQ(t, set.current, 0);
}

KTEST(nslabel, create_refuses_overlap_duplicate_and_outside)
{
	struct nsl_store st = { mem_write, area };
	struct nsl_ns a = make_ns(0x11, 4 * MIB, 16 * MIB, NSL_MODE_RAW);
	struct nsl_ns b;

	good_area();
	ASSERT_OK(t, parse());
	EXPECT_ERR(t, nsl_add(&set, &dimm, &a, &st), -EEXIST);
	b = make_ns(0x55, 4 * MIB, 16 * MIB, NSL_MODE_RAW);
	EXPECT_ERR(t, nsl_add(&set, &dimm, &b, &st), -EBUSY);
	b = make_ns(0x55, DIMM_SIZE - 4096, 8192, NSL_MODE_RAW);
	EXPECT_ERR(t, nsl_add(&set, &dimm, &b, &st), -EINVAL);
	b = make_ns(0x55, 48 * MIB, 100, NSL_MODE_RAW);
	EXPECT_ERR(t, nsl_add(&set, &dimm, &b, &st), -EINVAL);
	EXPECT_EQ(t, set.nns, 2u);
}

KTEST(nslabel, failed_store_changes_nothing)
{
	struct nsl_store bad = { fail_write, NULL };
	struct nsl_ns b = make_ns(0x55, 64 * MIB, 16 * MIB, NSL_MODE_RAW);
	struct nsl_set before;

	good_area();
	ASSERT_OK(t, parse());
	before = set;
	EXPECT_ERR(t, nsl_add(&set, &dimm, &b, &bad), -EIO);
	EXPECT_ERR(t, nsl_remove(&set, 0, &bad), -EIO);
	EXPECT_TRUE(t, same_set(&set, &before));
	EXPECT_EQ(t, set.seq, before.seq);
	EXPECT_EQ(t, set.current, before.current);
}

KTEST(nslabel, many_updates_wrap_and_round_trip)
{
	struct nsl_store st = { mem_write, area };
	struct nsl_set mem;

	good_area();
	ASSERT_OK(t, parse());
	for (unsigned i = 0; i < 12; i++) {
		struct nsl_ns ns = make_ns((uint8_t)(0x60 + i), 64 * MIB + i * 8 * MIB, 8 * MIB,
					   i % 2 ? NSL_MODE_RAW : NSL_MODE_FSDAX);
		ASSERT_OK(t, nsl_add(&set, &dimm, &ns, &st));
		if (i % 3 == 2)
			ASSERT_OK(t, nsl_remove(&set, 0, &st));
		mem = set;
		host_log_clear();
		ASSERT_OK(t, parse());
		EXPECT_STREQ(t, host_log, "");
		EXPECT_TRUE(t, same_set(&set, &mem));
		EXPECT_EQ(t, set.seq, mem.seq);
	}
	EXPECT_EQ(t, set.nns, 2u + 12 - 4);
}

/*
 * Run @op (create or destroy) on @area, recording each store; then for
 * every cut point (after k whole stores, and inside each store at every
 * 8 bytes) rebuild the area from the old one and re-read it: the result
 * must be the old set or the new one, never anything else; the old one
 * until the commit's header and checksum are down, the new one once the
 * last store is complete.  (A commit torn inside its free bitmap may
 * already read as new: the bytes still to come can equal the old ones.)
 */
static void power_cut_every_store(struct ktest *t, bool create)
{
	static uint8_t before[AREA];
	struct rec r = { 0 };
	struct nsl_store st = { rec_write, &r };
	struct nsl_set old, new;
	unsigned cuts = 0;

	ASSERT_OK(t, parse());
	old = set;
	memcpy(before, area, AREA);
	if (create) {
		struct nsl_ns ns = make_ns(0x77, 96 * MIB, 32 * MIB, NSL_MODE_FSDAX);
		ASSERT_OK(t, nsl_add(&set, &dimm, &ns, &st));
	} else {
		ASSERT_OK(t, nsl_remove(&set, 0, &st));
	}
	new = set;
	ASSERT_FALSE(t, same_set(&old, &new));
	EXPECT_EQ(t, r.n, create ? 2u : 1u);
	for (unsigned k = 0; k < r.n; k++) {
		for (uint32_t part = 0; part <= r.len[k]; part += 8) {
			memcpy(area, before, AREA);
			for (unsigned j = 0; j < k; j++)
				memcpy(area + r.off[j], r.data[j], r.len[j]);
			memcpy(area + r.off[k], r.data[k], part);
			host_log_clear();
			parse();
			cuts++;
			EXPECT_EQ(t, set.refused, 0u);	/* no half-written label in use */
			if (k == r.n - 1 && part == r.len[k])
				EXPECT_TRUE(t, same_set(&set, &new));
			else if (k < r.n - 1 || part < offsetof(struct nsl_index, free))
				EXPECT_TRUE(t, same_set(&set, &old));
			else	/* the rest of the block may already match */
				EXPECT_TRUE(t, same_set(&set, &old) || same_set(&set, &new));
		}
	}
	EXPECT_GT(t, cuts, 32u);
}

KTEST(nslabel, power_cut_during_create)
{
	good_area();
	power_cut_every_store(t, true);
}

KTEST(nslabel, power_cut_during_create_on_blank_area)
{
	memset(area, 0, sizeof(area));
	host_log_clear();
	power_cut_every_store(t, true);
}

KTEST(nslabel, power_cut_during_destroy)
{
	good_area();
	power_cut_every_store(t, false);
}

KTEST(nslabel, power_cut_with_one_index_bad)
{
	good_area();
	area[0 * INDEX_SIZE + 100] ^= 1;	/* the inactive block is garbage */
	power_cut_every_store(t, true);
}

/* ------------------------------------------------------------ v1.1 */

#define NSLOT_V11	1020		/* Linux 6.1 / ndctl 76 on 128 KiB */
#define LABEL_V11	128

/* A v1.1 index block (labelsize code 0, version 1.1) with @used in use. */
static void put_index_v11(unsigned i, uint32_t seq, const uint32_t *used, unsigned n)
{
	size_t o = i * INDEX_SIZE;

	memset(area + o, 0, INDEX_SIZE);
	memcpy(area + o, "NAMESPACE_INDEX", 16);
	w32(o + 20, seq);
	w64(o + 24, o);
	w64(o + 32, INDEX_SIZE);
	w64(o + 40, (size_t)(!i) * INDEX_SIZE);
	w64(o + 48, LABEL_OFF);
	w32(o + 56, NSLOT_V11);
	w16(o + 60, 1);
	w16(o + 62, 1);
	for (unsigned s = 0; s < NSLOT_V11; s++)
		area[o + 72 + s / 8] |= (uint8_t)(1u << (s % 8));
	for (unsigned k = 0; k < n; k++)
		area[o + 72 + used[k] / 8] &= (uint8_t)~(1u << (used[k] % 8));
	seal(o, INDEX_SIZE, 64);
}

/* A 128-byte v1.1 label: no GUIDs, no checksum, the v1.1 cookie. */
static void put_label_v11(uint32_t slot, uint8_t u, uint64_t off, uint64_t size,
			  const char *name, uint64_t cookie)
{
	size_t o = LABEL_OFF + (size_t)slot * LABEL_V11;

	memset(area + o, 0, LABEL_V11);
	memset(area + o, u, 16);
	memcpy(area + o + 16, name, strlen(name));
	w16(o + 84, 1);
	w64(o + 88, cookie);
	w64(o + 96, 512);
	w64(o + 104, DPA_BASE + off);
	w64(o + 112, size);
	w32(o + 120, slot);
}

static void v11_area(void)
{
	static const uint32_t used[] = { 2, NSLOT_V11 - 1 };

	memset(area, 0, sizeof(area));
	put_label_v11(2, 0x31, 0, 16 * MIB, "v11-a", COOKIE_V11);
	put_label_v11(NSLOT_V11 - 1, 0x32, 32 * MIB, 32 * MIB, "v11-last", COOKIE_V11);
	put_index_v11(0, 1, used, 0);
	put_index_v11(1, 2, used, 2);
	host_log_clear();
}

KTEST(nslabel, v11_geometry_and_cookie)
{
	struct nsl_geom g;

	ASSERT_OK(t, nsl_geometry(AREA, NSL_LABEL_SIZE_V11, &g));
	EXPECT_EQ(t, g.nslot, NSLOT_V11);
	EXPECT_EQ(t, g.index_size, INDEX_SIZE);
	EXPECT_EQ(t, g.label_off, LABEL_OFF);
	EXPECT_ERR(t, nsl_geometry(AREA, 64, &g), -EINVAL);
	EXPECT_EQ(t, nsl_isetcookie_v11(0, 0x123456), COOKIE_V11);
}

KTEST(nslabel, v11_area_read_including_the_last_slot)
{
	v11_area();
	ASSERT_OK(t, parse());
	EXPECT_STREQ(t, host_log, "");
	EXPECT_EQ(t, set.geom.label_size, (uint32_t)NSL_LABEL_SIZE_V11);
	EXPECT_EQ(t, set.current, 1);
	ASSERT_EQ(t, set.nns, 2u);
	EXPECT_STREQ(t, set.ns[0].name, "v11-a");
	EXPECT_EQ(t, set.ns[0].mode, NSL_MODE_RAW);	/* v1.1 records no mode */
	EXPECT_STREQ(t, set.ns[1].name, "v11-last");
	EXPECT_EQ(t, set.ns[1].dpa, DPA_BASE + 32 * MIB);
}

KTEST(nslabel, v11_label_with_the_v12_cookie_refused)
{
	v11_area();
	put_label_v11(2, 0x31, 0, 16 * MIB, "v11-a", COOKIE);
	ASSERT_OK(t, parse());
	EXPECT_EQ(t, set.nns, 1u);
	EXPECT_TRUE(t, logged("slot 2: interleave-set cookie 0xba90120012b4dc is not this region's (0x2468ac00123456)"));
}

KTEST(nslabel, v11_bad_index_reported_in_its_own_version)
{
	v11_area();
	area[100] ^= 1;
	area[INDEX_SIZE + 100] ^= 1;
	EXPECT_ERR(t, parse(), -EINVAL);
	EXPECT_TRUE(t, set.damaged);
	EXPECT_TRUE(t, logged("index 0: checksum"));
	EXPECT_FALSE(t, logged("read as"));
}

KTEST(nslabel, v11_create_raw_and_destroy_in_v11_format)
{
	struct nsl_store st = { mem_write, area };
	struct nsl_ns fsdax = make_ns(0x55, 64 * MIB, 16 * MIB, NSL_MODE_FSDAX);
	struct nsl_ns raw = make_ns(0x56, 64 * MIB, 16 * MIB, NSL_MODE_RAW);
	struct nsl_set mem;
	size_t o;

	v11_area();
	ASSERT_OK(t, parse());
	EXPECT_ERR(t, nsl_add(&set, &dimm, &fsdax, &st), -EOPNOTSUPP);
	ASSERT_OK(t, nsl_add(&set, &dimm, &raw, &st));
	EXPECT_EQ(t, raw.slot, 0u);
	o = LABEL_OFF + raw.slot * LABEL_V11;
	EXPECT_EQ(t, area[o], 0x56);
	EXPECT_EQ(t, area[o + 88], 0x56);		/* COOKIE_V11, little-endian */
	EXPECT_EQ(t, area[o + LABEL_V11], 0);		/* slot 1 untouched */
	EXPECT_EQ(t, area[19], 0);			/* index: 128-byte labels, 1.1 */
	EXPECT_EQ(t, area[62], 1);
	mem = set;
	host_log_clear();
	ASSERT_OK(t, parse());
	EXPECT_STREQ(t, host_log, "");
	EXPECT_TRUE(t, same_set(&set, &mem));
	ASSERT_OK(t, nsl_remove(&set, 0, &st));
	mem = set;
	ASSERT_OK(t, parse());
	EXPECT_TRUE(t, same_set(&set, &mem));
	EXPECT_EQ(t, set.nns, 2u);
	EXPECT_EQ(t, set.geom.label_size, (uint32_t)NSL_LABEL_SIZE_V11);
}
