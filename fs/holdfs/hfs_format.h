/*
 * hfs_format.h - the holdfs on-media format (version 2; FORMAT.md says what
 * version 1 lacked and how it is upgraded).
 *
 * FORMAT.md is the prose description; this header is its C form.  Every
 * structure here is little-endian, naturally aligned and fixed-size (the
 * static asserts at the bottom pin the sizes).  Nothing in this file knows
 * about in-core state: see hfs_int.h for that.
 *
 * Block map of a device of N blocks (block = HFS_BLOCK_SIZE bytes):
 *
 *	0                      primary superblock
 *	1 .. J                 journal (one transaction at a time)
 *	block bitmap           480 bits per 64-byte checksummed line
 *	inode bitmap           same line format
 *	inode table            HFS_INODE_SIZE-byte inodes, ino 0 unused
 *	data                   file data, directory blocks, extent-tree nodes
 *	N - 1                  backup superblock
 *
 * Checksums are crc32c (lib/crc.h).  The unit of checksumming is the unit
 * of update, so that a small metadata change costs a small checksum: the
 * superblock, one inode, one bitmap line, one directory entry, one extent
 * node, one journal transaction.
 */
#ifndef HOLDFS_HFS_FORMAT_H
#define HOLDFS_HFS_FORMAT_H

#include <stdint.h>
#include <fs/holdfs.h>

#define HFS_BLOCK_SHIFT		12
#define HFS_SB_MAGIC		0x3153464444484c48ULL	/* "HLHDDFS1" */
#define HFS_MIN_BLOCKS		64	/* smallest device mkfs accepts */
#define HFS_ROOT_INO		1
#define HFS_MAX_FILE_BLOCKS	0xffffffffULL	/* extents use 32-bit block numbers */
#define HFS_MAX_FILE_BYTES	(HFS_MAX_FILE_BLOCKS << HFS_BLOCK_SHIFT)
#define HFS_LARGE_ALIGN		512	/* blocks in 2 MiB: DAX huge-page extents */

/* ------------------------------------------------------------ superblock */

#define HFS_STATE_CLEAN		1
#define HFS_STATE_DIRTY		2

/* No feature bits are defined in version 1; any set bit is refused. */
#define HFS_FEATURE_COMPAT_SUPP		0u
#define HFS_FEATURE_INCOMPAT_SUPP	0u
#define HFS_FEATURE_RO_COMPAT_SUPP	0u

struct hfs_dsuper {
	uint64_t magic;
	uint32_t version;
	uint32_t crc;			/* crc32c of this struct, crc = 0 */
	uint32_t feature_compat, feature_incompat, feature_ro_compat;
	uint32_t block_size;
	uint64_t nblocks;		/* device blocks the filesystem uses */
	uint64_t ninodes;		/* inode numbers 0 .. ninodes - 1 */
	uint64_t journal_start, journal_blocks;
	uint64_t bbitmap_start, bbitmap_blocks;
	uint64_t ibitmap_start, ibitmap_blocks;
	uint64_t itable_start, itable_blocks;
	uint64_t data_start;		/* first block files may own */
	uint64_t root_ino;
	uint64_t orphan_head;		/* first inode of the orphan list, 0 none */
	uint32_t state;			/* HFS_STATE_* */
	uint16_t inline_extents;	/* extent records in the inode (1..8) */
	uint16_t node_entries;		/* records per tree node (3..254) */
	uint64_t mount_count;
	uint64_t mkfs_time_ns;
	uint8_t uuid[16];
	char label[32];
	uint8_t reserved[48];
};

/* ------------------------------------------------------------ journal */

#define HFS_JNL_MAGIC		0x4b534648u	/* "HFSK": crc is hfs_journal_sum */
#define HFS_JNL_MAGIC_CRC32	0x4a534648u	/* "HFSJ": crc is a CRC-32
						   (written before 2026-11;
						   still replayed) */
#define HFS_JNL_ALIGN		8

/* A header that may hold a transaction to replay (checksum unchecked). */
#define HFS_JNL_MAGIC_KNOWN(m)	((m) == HFS_JNL_MAGIC || (m) == HFS_JNL_MAGIC_CRC32)

/*
 * One committed transaction sits at the start of the journal.  The header's
 * crc covers the header (crc = 0) and every record after it, so a torn
 * write never verifies: the checksummed header is the commit record.
 * (magic, crc) form one 8-byte word, cleared in one store once the
 * transaction is applied in place.
 */
struct hfs_djtx {
	uint32_t magic;
	uint32_t crc;
	uint64_t seq;
	uint32_t nrec;
	uint32_t bytes;			/* records, after this header */
};

/* A redo record: len bytes follow, padded to HFS_JNL_ALIGN. */
struct hfs_djrec {
	uint64_t off;			/* device byte offset */
	uint32_t len;
	uint32_t reserved;
};

/* ------------------------------------------------------------ bitmaps */

#define HFS_BM_LINE_BYTES	60
#define HFS_BM_LINE_BITS	(HFS_BM_LINE_BYTES * 8)		/* 480 */
#define HFS_BM_LINES_PER_BLOCK	(HFS_BLOCK_SIZE / 64)		/* 64 */

/* One cache line of a bitmap; crc32c over (line number, bits). */
struct hfs_dbmline {
	uint8_t bits[HFS_BM_LINE_BYTES];
	uint32_t crc;
};

/* ------------------------------------------------------------ extents */

/*
 * A leaf record maps file blocks [lblk, lblk + len) to device blocks
 * [pblk, pblk + len).  An index record has len = 0 and pblk = the child
 * node; its lblk is the smallest lblk in that child.
 */
struct hfs_dext {
	uint32_t lblk;
	uint32_t len;
	uint64_t pblk;
};

#define HFS_NODE_MAGIC		0x4e534648u	/* "HFSN" */
#define HFS_MAX_INLINE		8
#define HFS_MAX_DEPTH		8

struct hfs_dnode_hdr {
	uint32_t magic;
	uint32_t crc;			/* header (crc = 0) + count records */
	uint16_t depth;			/* 0 = leaf */
	uint16_t count;
	uint32_t reserved;
	uint64_t owner;			/* inode number */
	uint64_t reserved2;
};
#define HFS_NODE_MAX_ENTRIES \
	((HFS_BLOCK_SIZE - sizeof(struct hfs_dnode_hdr)) / sizeof(struct hfs_dext))

/* ------------------------------------------------------------ inodes */

#define HFS_INODE_SIZE		256
#define HFS_INODES_PER_BLOCK	(HFS_BLOCK_SIZE / HFS_INODE_SIZE)

/* dinode flags */
#define HFS_DI_INTENT		0x0001	/* free [intent_lo, intent_hi) pending */
#define HFS_DI_ORPHAN		0x0002	/* on the orphan list */
#define HFS_DI_COLLAPSE		0x0004	/* collapse of [intent_lo, intent_hi) pending */
#define HFS_DI_FLAGS_KNOWN	(HFS_DI_INTENT | HFS_DI_ORPHAN | HFS_DI_COLLAPSE)

#define HFS_INLINE_LINK_MAX	(HFS_MAX_INLINE * sizeof(struct hfs_dext))

/*
 * size, mtime and atime are outside the checksum: they are updated in
 * place by single 8-byte stores (power-fail atomic), and checked by range.
 * Everything from crc on is covered by crc (with crc = 0).
 */
struct hfs_dinode {
	uint64_t size;
	uint64_t mtime_ns;
	uint64_t atime_ns;
	uint32_t crc;
	uint16_t mode;			/* 0: free inode */
	uint16_t flags;			/* HFS_DI_* */
	uint32_t nlink;
	uint32_t generation;
	uint64_t ctime_ns;
	uint64_t blocks;		/* data and tree blocks owned */
	uint64_t parent;		/* directories: the parent's inode */
	uint64_t orphan_next;		/* next inode on the orphan list */
	uint64_t intent_lo, intent_hi;	/* file blocks; with INTENT or COLLAPSE */
	uint16_t depth;			/* extent tree depth (0: root holds extents) */
	uint16_t nroot;			/* records used in root[] */
	uint32_t reserved;		/* zero */
	uint64_t ino;			/* this inode's number, a cross-check */
	uint32_t uid, gid;		/* owner (v2; zero in every v1 record):
					 * never HFS_ID_INVALID */
	uint8_t reserved2[16];		/* zero */
	union {
		struct hfs_dext root[HFS_MAX_INLINE];
		char link[HFS_INLINE_LINK_MAX];	/* short symlink target */
	};
};
#define HFS_DINODE_CRC_START	offsetof(struct hfs_dinode, crc)

/* (uint32_t)-1: chown(2)'s "leave unchanged", never an owner on media. */
#define HFS_ID_INVALID		0xffffffffu
/* Times are ns since 1970 and at most this (a signed 64-bit count). */
#define HFS_TIME_MAX		0x7fffffffffffffffULL
/* The permission bits a mode may carry besides its type. */
#define HFS_MODE_PERM		07777u

/* ------------------------------------------------------------ directories */

#define HFS_DIR_MAGIC		0x44534648u	/* "HFSD" */
#define HFS_DSLOT_SIZE		32
#define HFS_DSLOTS		(HFS_BLOCK_SIZE / HFS_DSLOT_SIZE)	/* 128 */

/* File types in directory entries. */
#define HFS_FT_REG		1
#define HFS_FT_DIR		2
#define HFS_FT_LNK		3

/* Slot 0 of every directory block. */
struct hfs_ddirblk {
	uint32_t magic;
	uint32_t crc;			/* this header, crc = 0 */
	uint64_t owner;			/* directory inode */
	uint64_t index;			/* logical block in the directory */
	uint64_t reserved;
};

/*
 * An entry starts at a slot boundary and takes nslots slots; the name
 * continues from name[] into the following slots.  A slot whose ino is 0
 * is free.  crc covers the header (crc = 0) and the name.
 */
struct hfs_ddirent {
	uint64_t ino;
	uint32_t crc;
	uint32_t hash;			/* hfs_name_hash(name) */
	uint8_t name_len;
	uint8_t type;			/* HFS_FT_* */
	uint8_t nslots;
	uint8_t reserved;
	char name[12];
};
#define HFS_DIRENT_HDR		offsetof(struct hfs_ddirent, name)
#define HFS_DIRENT_SLOTS(namelen) \
	((HFS_DIRENT_HDR + (namelen) + HFS_DSLOT_SIZE - 1) / HFS_DSLOT_SIZE)

_Static_assert(sizeof(struct hfs_dsuper) == 256, "superblock size");
_Static_assert(sizeof(struct hfs_djtx) == 24, "journal header size");
_Static_assert(sizeof(struct hfs_djrec) == 16, "journal record size");
_Static_assert(sizeof(struct hfs_dbmline) == 64, "bitmap line size");
_Static_assert(sizeof(struct hfs_dext) == 16, "extent size");
_Static_assert(sizeof(struct hfs_dnode_hdr) == 32, "node header size");
_Static_assert(sizeof(struct hfs_dinode) == HFS_INODE_SIZE, "inode size");
_Static_assert(sizeof(struct hfs_ddirblk) == HFS_DSLOT_SIZE, "dir block header size");
_Static_assert(sizeof(struct hfs_ddirent) == HFS_DSLOT_SIZE, "dir entry size");

#endif
