/*
 * futex.h - fast user-space mutexes (kernel/futex.c): a thread sleeps on
 * a 32-bit word of its address space while the word holds an expected
 * value, and another wakes it (Linux's futex(2) FUTEX_WAIT/FUTEX_WAKE,
 * what musl's mutexes, condition variables and pthread_join use).
 * Futexes are private to an address space: the key is (mm, address).
 */
#ifndef KERNEL_FUTEX_H
#define KERNEL_FUTEX_H

#include <stdint.h>

struct mm;

/**
 * futex_wait - sleep while the u32 at user address @uaddr of @mm (the
 * caller's) holds @val, until futex_wake, @timeout_ns (0: no limit) or an
 * interrupt.  Returns 0 (woken), -EAGAIN (the value differs), -ETIMEDOUT,
 * -EINTR, -EINVAL (@uaddr not 4-byte aligned) or -EFAULT.  Thread context
 * of a process, no lock held.
 */
int futex_wait(struct mm *mm, uint64_t uaddr, uint32_t val, uint64_t timeout_ns);

/**
 * futex_wake - wake at most @n threads waiting on @uaddr of @mm.  Returns
 * how many it woke.  Any thread context; takes only the bucket lock.
 */
int futex_wake(struct mm *mm, uint64_t uaddr, int n);

#endif
