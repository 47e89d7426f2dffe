/*
 * uaccess.S - the only kernel instructions allowed to fault on a user
 * address.  Each such instruction has an entry in the exception table
 * (section ex_table: the instruction's address and a fixup address).  A
 * page fault in ring 0 on a user address first goes to the process layer
 * (a demand-zero page may be due: user_fault_hook); when that cannot
 * resolve it, trap.c looks the faulting RIP up in this table and resumes
 * at the fixup, which returns the error to the C caller
 * (kernel/uaccess.c turns it into -EFAULT).  A fault anywhere else in
 * the kernel stays a kernel bug.
 */
	.text

/* size_t arch_copy_user(void *dst, const void *src, size_t n):
 * bytes not copied (0: all). */
	.globl	arch_copy_user
arch_copy_user:
	movq	%rdx, %rcx
1:	rep movsb
	movq	%rcx, %rax
	ret
2:	movq	%rcx, %rax		/* the fault left RCX = bytes to go */
	ret
	.section ex_table, "a"
	.balign	8
	.quad	1b, 2b
	.text

/* long arch_strncpy_user(char *dst, const char *src, size_t n):
 * length without the NUL, n when no NUL in n bytes, -1 on a fault. */
	.globl	arch_strncpy_user
arch_strncpy_user:
	xorl	%eax, %eax
3:	cmpq	%rdx, %rax
	je	5f
4:	movb	(%rsi,%rax), %cl
	movb	%cl, (%rdi,%rax)
	testb	%cl, %cl
	jz	5f
	incq	%rax
	jmp	3b
5:	ret
6:	movq	$-1, %rax
	ret
	.section ex_table, "a"
	.balign	8
	.quad	4b, 6b
	.text
