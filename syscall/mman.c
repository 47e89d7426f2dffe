/*
 * mman.c - mmap(2) of files and msync(2): the system-call side of DAX
 * mappings in processes (the mechanism is the DAX layer's,
 * fs/dax_user.c; the regions are kernel/uvm.c's).
 *
 * mmap of a holdfs file maps its blocks into the process (MAP_SHARED) or
 * copies them at the first write (MAP_PRIVATE).  Linux's checks, in
 * Linux's order (mm/mmap.c do_mmap): the offset must be page aligned and
 * the length non-zero (-EINVAL); the fd must be open (-EBADF) and a
 * a regular holdfs file (-ENODEV: pipes, the console, /dev/dma0 and
 * directories have no mmap);
 * reading needs the fd readable, a shared writable map needs it open for
 * writing (-EACCES).  msync writes back the cache lines of the shared
 * file pages of a range (clwb/clflushopt + sfence, as every pmem store).
 */
#include "sys_int.h"
#include <fs/vfs.h>
#include <fs/dax.h>
#include <fs/holdfs.h>
#include <fs/holdfs_platform.h>
#include <drivers/pmem.h>
#include <kernel/uvm.h>
#include <kernel/mm.h>
#include <lib/errno.h>

#define MAP_SHARED_VALIDATE	0x03
#define MAP_TYPE		0x0f
#define MS_ASYNC		1
#define MS_INVALIDATE		2
#define MS_SYNC			4

int64_t sys_mmap_file(uint64_t addr, uint64_t len, unsigned prot, unsigned flags, int fd,
		      uint64_t off)
{
	unsigned type = flags & MAP_TYPE, share;
	struct hfs_inode *ip;
	struct file *f;
	uint64_t out;
	int err, acc;

	if (type == UVM_MAP_SHARED || type == MAP_SHARED_VALIDATE)
		share = UVM_MAP_SHARED;
	else if (type == UVM_MAP_PRIVATE)
		share = UVM_MAP_PRIVATE;
	else
		return -EINVAL;
	if ((off & (PAGE_SIZE - 1)) || !len || len > UVM_STACK_TOP || off + len < off)
		return -EINVAL;
	if (!(f = fd_file(fd)))
		return -EBADF;
	if (!(ip = file_inode(f))) {
		file_put(f);
		return -ENODEV;
	}
	acc = file_flags(f) & HFS_O_ACCMODE;
	err = file_is_dir(f) ? -ENODEV : 0;
	file_put(f);
	if (!err && acc == HFS_O_WRONLY)
		err = -EACCES;		/* every mapping reads the file */
	if (!err && share == UVM_MAP_SHARED && (prot & UVM_PROT_WRITE) && acc != HFS_O_RDWR)
		err = -EACCES;
	if (!err)
		err = dax_mmap_user(proc_current()->mm, hfs_dax_file(ip), addr, len, prot,
				    share | (flags & UVM_MAP_FIXED), off, &out);
	hfs_iput(ip);		/* the mapping holds its own reference */
	return err ? err : (int64_t)out;
}

static void flush_page(uint64_t pa, uint64_t len, void *ctx)
{
	pmem_flush(phys_to_virt(pa), len);
}

SYS(sys_msync)
{
	int err;

	if ((a2 & ~(uint64_t)(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
	    ((a2 & MS_ASYNC) && (a2 & MS_SYNC)))
		return -EINVAL;
	err = mm_msync(proc_current()->mm, a0, a1, flush_page, NULL);
	pmem_drain();
	return err;
}
