/*
 * test_user.c - in-kernel tests of the ring-3 boundary that a user
 * program cannot reach on purpose: a return to ring 3 whose RIP is not
 * canonical (the IRETQ fault that the SYSRET guard falls back on), a
 * process that faults on its first instruction, and the user-copy
 * primitives' exception table from a kernel thread (no process, no
 * region: every bad pointer is -EFAULT, the kernel survives).  Frames
 * are counted around each process: its address space is freed.
 */
#include <tests/ktest_kernel.h>
#include <kernel/proc.h>
#include <kernel/uvm.h>
#include <kernel/mm.h>
#include <kernel/uaccess.h>
#include <arch/x86_64/syscall.h>
#include <arch/x86_64/desc.h>
#include <arch/x86_64/irq.h>
#include <arch/x86_64/paging.h>
#include <kernel/vmap.h>
#include <lib/string.h>
#include <lib/errno.h>

static uint64_t start_rip;

static void start(void *arg)
{
	struct trap_frame tf;

	memset(&tf, 0, sizeof(tf));
	tf.rip = start_rip;
	tf.rsp = UVM_STACK_TOP;
	tf.cs = USER_CS;
	tf.ss = USER_SS;
	tf.rflags = 0x202;
	enter_user(&tf);
}

/* Run a process with no memory at @rip; its wait status. */
static int run_at(uint64_t rip)
{
	struct mm *mm = mm_create();
	struct proc *p;
	int pid, status = -1;

	if (!mm)
		return -ENOMEM;
	p = proc_alloc(mm, NULL, "ktest-user");
	if (!p) {
		mm_destroy(mm);
		return -EAGAIN;
	}
	start_rip = rip;
	pid = p->pid;
	if (proc_start(p, start, NULL))
		return -ENOMEM;
	if (proc_wait(NULL, pid, &status, false) != pid)
		return -ECHILD;
	return status;
}

KTEST(user, noncanonical_rip_is_sigsegv)
{
	size_t before = uvm_frames();

	/* the IRETQ faults in ring 0 at user_iretq: bad_iret() makes it the
	 * process's SIGSEGV, not a kernel fault */
	EXPECT_EQ(t, run_at(USER_TOP), WSTATUS_SIGNALED(SIGSEGV));
	EXPECT_EQ(t, run_at(0xdead000000000000UL), WSTATUS_SIGNALED(SIGSEGV));
	EXPECT_EQ(t, uvm_frames(), before);
}

KTEST(user, fetch_from_nothing_is_sigsegv)
{
	EXPECT_EQ(t, run_at(0x400000), WSTATUS_SIGNALED(SIGSEGV));
	EXPECT_EQ(t, run_at(0), WSTATUS_SIGNALED(SIGSEGV));
}

KTEST(user, copy_bad_pointers_from_kernel_thread)
{
	char buf[32];

	EXPECT_EQ(t, copy_from_user(buf, 0, 8), -EFAULT);
	EXPECT_EQ(t, copy_to_user(0x1000, buf, 8), -EFAULT);
	EXPECT_EQ(t, copy_from_user(buf, 0xffff800000000000UL, 8), -EFAULT);
	EXPECT_EQ(t, copy_from_user(buf, USER_TOP - 4, 8), -EFAULT);
	EXPECT_EQ(t, copy_to_user(UINT64_MAX - 3, buf, 8), -EFAULT);
	EXPECT_EQ(t, strncpy_from_user(buf, 0x2000, sizeof(buf)), -EFAULT);
	EXPECT_EQ(t, strncpy_from_user(buf, (uint64_t)"kernel", sizeof(buf)), -EFAULT);
	EXPECT_EQ(t, copy_from_user(buf, 0, 0), 0);	/* nothing to copy */
}

/* A kernel mapping made after a process's page table: seen through it
 * too (the kernel half's PML4 entries are fixed at boot and copied). */
KTEST(user, later_kernel_mappings_are_shared)
{
	struct pgtable pt;
	size_t tables;
	void *stack;
	uint64_t pa_user, pa_kernel;

	ASSERT_EQ(t, pt_init_user(&pt), 0);
	stack = vmap_alloc_stack(4 * PAGE_SIZE);
	ASSERT_NE(t, stack, NULL);
	tables = pt_table_frames;	/* the vmap's own tables stay: count after it */
	EXPECT_TRUE(t, pt_lookup(&pt, (uint64_t)stack, &pa_user, NULL, NULL));
	EXPECT_TRUE(t, pt_lookup(&kernel_pgtable, (uint64_t)stack, &pa_kernel, NULL, NULL));
	EXPECT_EQ(t, pa_user, pa_kernel);
	vmap_free_stack(stack, 4 * PAGE_SIZE);
	EXPECT_FALSE(t, pt_lookup(&pt, (uint64_t)stack, NULL, NULL, NULL));
	pt_destroy_user(&pt, NULL, NULL);
	EXPECT_EQ(t, pt_table_frames, tables - 1);	/* the process's PML4 went back */
}
