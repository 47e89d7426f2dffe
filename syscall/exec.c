/*
 * exec.c - loading a static ELF64 program (execve, and the shell's
 * sys_spawn): check every header field, map the PT_LOAD segments into a
 * new address space, copy their file bytes through the VFS, leave the
 * rest (bss) to demand-zero pages, and build the initial stack as Linux
 * does (fs/binfmt_elf.c create_elf_tables: argc, argv[], NULL, envp[],
 * NULL, auxv pairs ending in AT_NULL, then the strings and AT_RANDOM's
 * 16 bytes above), so that musl's _start finds what it expects.
 *
 * Loaded: ET_EXEC, and ET_DYN without PT_INTERP (static PIE, placed at
 * PIE_BASE).  Refused with -ENOEXEC and a console line saying why: a bad
 * magic, class, byte order, version, machine or type, program headers
 * out of the file, a segment out of the file or out of the user half, a
 * PT_INTERP (a dynamically linked program).
 */
#include "sys_int.h"
#include <syscall/syscall.h>
#include <kernel/proc.h>
#include <kernel/uvm.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/uaccess.h>
#include <kernel/timer.h>
#include <arch/x86_64/syscall.h>
#include <arch/x86_64/desc.h>
#include <arch/x86_64/cpu.h>
#include <fs/vfs.h>
#include <fs/holdfs.h>
#include <lib/string.h>
#include <lib/errno.h>

/* ELF64 (System V gABI; the x86-64 psABI) */
#define EI_NIDENT	16
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1
#define ET_EXEC		2
#define ET_DYN		3
#define EM_X86_64	62
#define PT_LOAD		1
#define PT_INTERP	3
#define PT_PHDR		6
#define PF_X		1
#define PF_W		2
#define PF_R		4
#define PHNUM_MAX	64
#define PIE_BASE	0x400000UL

/* auxv types (include/uapi/linux/auxvec.h) */
#define AT_NULL		0
#define AT_PHDR		3
#define AT_PHENT	4
#define AT_PHNUM	5
#define AT_PAGESZ	6
#define AT_BASE		7
#define AT_FLAGS	8
#define AT_ENTRY	9
#define AT_UID		11
#define AT_EUID		12
#define AT_GID		13
#define AT_EGID		14
#define AT_HWCAP	16
#define AT_CLKTCK	17
#define AT_SECURE	23
#define AT_RANDOM	25
#define AT_EXECFN	31
#define NAUXV		17

#define ARG_MAX_BYTES	(64 * 1024)	/* argv + envp strings */
#define ARG_COUNT_MAX	1024
#define RFLAGS_USER_START 0x202		/* IF and the always-one bit */

struct elf64_ehdr {
	uint8_t ident[EI_NIDENT];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static int refuse(const char *path, const char *why)
{
	kprintf("exec: %s: %s\n", path, why);
	return -ENOEXEC;
}

static int check_ehdr(const char *path, const struct elf64_ehdr *eh, uint64_t size)
{
	if (memcmp(eh->ident, "\177ELF", 4))
		return refuse(path, "not an ELF file (bad magic)");
	if (eh->ident[4] != ELFCLASS64)
		return refuse(path, "not a 64-bit ELF file");
	if (eh->ident[5] != ELFDATA2LSB)
		return refuse(path, "not little-endian");
	if (eh->ident[6] != EV_CURRENT || eh->version != EV_CURRENT)
		return refuse(path, "unknown ELF version");
	if (eh->machine != EM_X86_64)
		return refuse(path, "not an x86-64 program (wrong machine)");
	if (eh->type != ET_EXEC && eh->type != ET_DYN)
		return refuse(path, "not an executable (ELF type)");
	if (eh->phentsize != sizeof(struct elf64_phdr))
		return refuse(path, "bad program header size");
	if (!eh->phnum || eh->phnum > PHNUM_MAX)
		return refuse(path, "bad program header count");
	if (eh->phoff > size || size - eh->phoff < (uint64_t)eh->phnum * sizeof(struct elf64_phdr))
		return refuse(path, "program headers past the end of the file (truncated?)");
	return 0;
}

static unsigned seg_prot(uint32_t flags)
{
	return (flags & PF_R ? UVM_PROT_READ : 0) | (flags & PF_W ? UVM_PROT_WRITE : 0) |
	       (flags & PF_X ? UVM_PROT_EXEC : 0);
}

/* Map and fill one PT_LOAD segment; *@top grows to its end. */
static int load_segment(const char *path, struct file *f, struct mm *mm,
			const struct elf64_phdr *ph, uint64_t bias, uint64_t size,
			uint64_t *top, unsigned *top_prot, char *buf)
{
	uint64_t va = ph->vaddr + bias, start, end, mapped;
	int err;

	if (ph->filesz > ph->memsz)
		return refuse(path, "a segment's file size exceeds its memory size");
	if (ph->offset > size || size - ph->offset < ph->filesz)
		return refuse(path, "a segment lies past the end of the file (truncated?)");
	if (va < UVM_MIN_ADDR || va >= UVM_MMAP_BASE || ph->memsz > UVM_MMAP_BASE - va)
		return refuse(path, "a segment lies outside the user address space");
	if ((va & (PAGE_SIZE - 1)) != (ph->offset & (PAGE_SIZE - 1)))
		return refuse(path, "a segment's address and offset disagree modulo the page size");
	start = ALIGN_DOWN(va, PAGE_SIZE);
	end = ALIGN_UP(va + ph->memsz, PAGE_SIZE);
	/* a page shared with the previous segment stays in its region, with
	 * the access both segments need */
	if (start < *top) {
		uint64_t shared = ALIGN_DOWN(*top - 1, PAGE_SIZE);
		if (start <= shared && seg_prot(ph->flags) != *top_prot) {
			*top_prot |= seg_prot(ph->flags);
			err = mm_protect(mm, shared, PAGE_SIZE, *top_prot);
			if (err)
				return err;
		}
		start = MIN(*top, end);
	}
	if (start < end) {
		err = mm_map(mm, start, end - start, seg_prot(ph->flags),
			     UVM_MAP_PRIVATE | UVM_MAP_FIXED, &mapped);
		if (err)
			return err;
	}
	for (uint64_t off = 0; off < ph->filesz;) {
		size_t n = MIN(ph->filesz - off, (uint64_t)PAGE_SIZE * 4);
		int64_t got = file_pread(f, buf, n, ph->offset + off);
		if (got < 0)
			return (int)got;
		if ((size_t)got != n)
			return refuse(path, "short read of a segment");
		err = mm_write(mm, va + off, buf, n);
		if (err)
			return err;
		off += n;
	}
	if (end > *top) {
		*top = end;
		*top_prot = seg_prot(ph->flags);
	}
	return 0;
}

static uint64_t rand_state;

static uint64_t rand64(void)
{
	uint64_t x = rand_state ? rand_state : rdtsc() | 1;

	x ^= rdtsc();
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rand_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static size_t count_strings(char *const v[], size_t *bytes)
{
	size_t n = 0;

	for (; v && v[n]; n++)
		*bytes += strlen(v[n]) + 1;
	return n;
}

/* The initial stack (see the top of the file); *@sp_out: the new RSP. */
static int build_stack(struct mm *mm, const char *path, char *const argv[],
		       char *const envp[], const uint64_t auxv_in[][2], uint64_t *sp_out)
{
	size_t strbytes = strlen(path) + 1 + 16, argc, envc, ptrs, total;
	uint64_t top = UVM_STACK_TOP, strtop, sp, *vec, p;
	char *img;
	unsigned i, k = 0;
	int err;

	argc = count_strings(argv, &strbytes);
	envc = count_strings(envp, &strbytes);
	if (strbytes > ARG_MAX_BYTES || argc + envc > ARG_COUNT_MAX)
		return -E2BIG;
	ptrs = 1 + argc + 1 + envc + 1 + 2 * NAUXV;
	strtop = top - ALIGN_UP(strbytes, 16);
	sp = ALIGN_DOWN(strtop - ptrs * 8, 16);
	total = top - sp;
	img = kzalloc(total);
	if (!img)
		return -ENOMEM;
	vec = (uint64_t *)img;
	p = strtop;
	/* strings: AT_RANDOM bytes, argv, envp, the file name */
	uint64_t rnd[2] = { rand64(), rand64() }, at_random = p, at_execfn;
	memcpy(img + (p - sp), rnd, 16);
	p += 16;
	vec[k++] = argc;
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(img + (p - sp), argv[i], n);
		vec[k++] = p;
		p += n;
	}
	vec[k++] = 0;
	for (i = 0; i < envc; i++) {
		size_t n = strlen(envp[i]) + 1;
		memcpy(img + (p - sp), envp[i], n);
		vec[k++] = p;
		p += n;
	}
	vec[k++] = 0;
	at_execfn = p;
	memcpy(img + (p - sp), path, strlen(path) + 1);
	for (i = 0; auxv_in[i][0] != AT_NULL; i++) {
		vec[k++] = auxv_in[i][0];
		vec[k++] = auxv_in[i][0] == AT_RANDOM ? at_random :
			   auxv_in[i][0] == AT_EXECFN ? at_execfn : auxv_in[i][1];
	}
	vec[k++] = AT_NULL;
	vec[k++] = 0;
	err = mm_write(mm, sp, img, total);
	kfree(img);
	*sp_out = sp;
	return err;
}

int exec_load(const char *path, char *const argv[], char *const envp[],
	      struct mm **mm_out, struct trap_frame *tf)
{
	struct elf64_ehdr eh;
	struct elf64_phdr *ph = NULL;
	struct hfs_stat st;
	struct file *f;
	struct mm *mm = NULL;
	uint64_t bias = 0, top = 0, phdr_va = 0, sp;
	unsigned top_prot = 0;
	char *buf = NULL;
	int err;

	err = vfs_file_open(path, HFS_O_RDONLY, 0, &f);
	if (err)
		return err;
	err = file_fstat(f, &st);
	if (err)
		goto out;
	/* execve(2): a regular file with an execute bit (root needs one
	 * of the three) */
	if ((st.mode & HFS_S_IFMT) != HFS_S_IFREG || !(st.mode & 0111)) {
		err = -EACCES;
		goto out;
	}
	if (file_pread(f, &eh, sizeof(eh), 0) != sizeof(eh)) {
		err = refuse(path, "shorter than an ELF header (truncated?)");
		goto out;
	}
	err = check_ehdr(path, &eh, st.size);
	if (err)
		goto out;
	ph = kmalloc(eh.phnum * sizeof(*ph));
	buf = kmalloc(PAGE_SIZE * 4);
	mm = mm_create();
	if (!ph || !buf || !mm) {
		err = -ENOMEM;
		goto out;
	}
	if (file_pread(f, ph, eh.phnum * sizeof(*ph), eh.phoff) !=
	    (int64_t)(eh.phnum * sizeof(*ph))) {
		err = refuse(path, "cannot read the program headers");
		goto out;
	}
	if (eh.type == ET_DYN)
		bias = PIE_BASE;
	for (unsigned i = 0; i < eh.phnum; i++) {
		if (ph[i].type == PT_INTERP) {
			err = refuse(path, "dynamically linked (has an interpreter): build it with -static");
			goto out;
		}
		if (ph[i].type == PT_PHDR)
			phdr_va = ph[i].vaddr + bias;
	}
	for (unsigned i = 0; i < eh.phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		if (!phdr_va && eh.phoff >= ph[i].offset && eh.phoff < ph[i].offset + ph[i].filesz)
			phdr_va = ph[i].vaddr + bias + (eh.phoff - ph[i].offset);
		err = load_segment(path, f, mm, &ph[i], bias, st.size, &top, &top_prot, buf);
		if (err)
			goto out;
	}
	if (!top) {
		err = refuse(path, "no loadable segment");
		goto out;
	}
	if (eh.entry + bias < UVM_MIN_ADDR || eh.entry + bias >= top) {
		err = refuse(path, "the entry point is outside the program");
		goto out;
	}
	mm_set_brk(mm, top);
	err = mm_add_stack(mm);
	if (err)
		goto out;
	{
		const uint64_t auxv[][2] = {
			{ AT_PHDR, phdr_va }, { AT_PHENT, sizeof(struct elf64_phdr) },
			{ AT_PHNUM, eh.phnum }, { AT_PAGESZ, PAGE_SIZE }, { AT_BASE, 0 },
			{ AT_FLAGS, 0 }, { AT_ENTRY, eh.entry + bias }, { AT_UID, 0 },
			{ AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 }, { AT_HWCAP, 0 },
			{ AT_CLKTCK, 100 }, { AT_SECURE, 0 }, { AT_RANDOM, 0 },
			{ AT_EXECFN, 0 }, { AT_NULL, 0 },
		};
		err = build_stack(mm, path, argv, envp, auxv, &sp);
	}
	if (err)
		goto out;
	memset(tf, 0, sizeof(*tf));
	tf->rip = eh.entry + bias;
	tf->rsp = sp;
	tf->cs = USER_CS;
	tf->ss = USER_SS;
	tf->rflags = RFLAGS_USER_START;
	*mm_out = mm;
	mm = NULL;
out:
	if (mm)
		mm_destroy(mm);
	kfree(buf);
	kfree(ph);
	file_put(f);
	return err;
}

void sys_start_user(void *arg)
{
	struct user_start *us = arg;
	struct trap_frame tf = us->tf;
	struct thread *t = current_thread();

	tf.rflags = (tf.rflags & RFLAGS_USER) | RFLAGS_IF;
	tf.cs = USER_CS;
	tf.ss = USER_SS;
	preempt_disable();
	t->fs_base = us->fs_base;
	wrmsr(MSR_FS_BASE, us->fs_base);
	preempt_enable();
	kfree(us);
	enter_user(&tf);
}

static char *const spawn_env[] = { "PATH=/bin", "HOME=/", "TERM=vt100", NULL };

int sys_spawn(const char *path, char *const argv[])
{
	struct user_start *us = kzalloc(sizeof(*us));
	struct fdtable *fdt = fdt_new();
	struct file *tty = tty_open();
	struct mm *mm;
	struct proc *p;
	int err;

	if (!us || !fdt || !tty) {
		err = -ENOMEM;
		goto fail;
	}
	err = exec_load(path, argv, spawn_env, &mm, &us->tf);
	if (err)
		goto fail;
	p = proc_alloc(mm, NULL, path);
	if (!p) {
		mm_destroy(mm);
		err = -EAGAIN;
		goto fail;
	}
	for (int fd = 0; fd < 3; fd++)
		fdt_install_at(fdt, fd, file_get(tty), false);
	file_put(tty);
	p->files = fdt;
	err = proc_start(p, sys_start_user, us);
	if (err) {
		kfree(us);
		return err;
	}
	return p->pid;
fail:
	if (tty)
		file_put(tty);
	if (fdt)
		fdt_destroy(fdt);
	kfree(us);
	return err;
}
