/* kprintf_host.h - the captured kprintf output of host tests. */
#ifndef TESTS_HOST_KPRINTF_HOST_H
#define TESTS_HOST_KPRINTF_HOST_H

#define HOST_LOG_SIZE (64 * 1024)
extern char host_log[HOST_LOG_SIZE];
void host_log_clear(void);

#endif
