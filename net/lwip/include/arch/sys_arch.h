/*
 * arch/sys_arch.h - the types of lwIP's operating-system layer
 * (lwIP's doc/sys_arch.txt), implemented in net/lwip/sys_arch.c over the
 * kernel's threads, mutexes and wait queues.
 *
 * Each object is a pointer to a kernel object allocated by its _new call
 * and freed by its _free call; NULL is "invalid".  The structs are
 * private to sys_arch.c, so lwIP's sources never see a kernel header.
 */
#ifndef HOLDFAST_LWIP_ARCH_SYS_ARCH_H
#define HOLDFAST_LWIP_ARCH_SYS_ARCH_H

struct lwip_port_sem;
struct lwip_port_mutex;
struct lwip_port_mbox;
struct thread;

typedef struct lwip_port_sem *sys_sem_t;
typedef struct lwip_port_mutex *sys_mutex_t;
typedef struct lwip_port_mbox *sys_mbox_t;
typedef struct thread *sys_thread_t;
typedef unsigned long sys_prot_t;

#define sys_sem_valid(s)		((s) != NULL && *(s) != NULL)
#define sys_sem_set_invalid(s)		do { if (s) *(s) = NULL; } while (0)
#define sys_mutex_valid(m)		((m) != NULL && *(m) != NULL)
#define sys_mutex_set_invalid(m)	do { if (m) *(m) = NULL; } while (0)
#define sys_mbox_valid(m)		((m) != NULL && *(m) != NULL)
#define sys_mbox_set_invalid(m)		do { if (m) *(m) = NULL; } while (0)

#define SYS_MBOX_NULL	NULL
#define SYS_SEM_NULL	NULL

#endif
