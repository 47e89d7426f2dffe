/*
 * edu_internal.h - test hooks of the edu DMA driver (drivers/dma/edu.c),
 * for tests/kernel/test_dma.c only.  Nothing else may call these.
 */
#ifndef DRIVERS_DMA_EDU_INTERNAL_H
#define DRIVERS_DMA_EDU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

struct dma_engine;

/*
 * The most one device step moves.  edu's buffer is 4 KiB (hw/misc/edu.c
 * DMA_SIZE), but QEMU up to 7.2 checks a step with "end < buffer end"
 * (edu_check_range) and stops the whole VM with hw_error() when a step
 * reaches the buffer's last byte; so a window is one byte short of it.
 */
#define EDU_BUF_SIZE		4096
#define EDU_WINDOW		(EDU_BUF_SIZE - 1)

/* Default per-step watchdog: one step takes 100 ms of virtual time. */
#define EDU_WATCHDOG_NS		2000000000ull

/**
 * edu_test_drop_irqs() - make the driver ignore the next @n DMA completion
 * interrupts of @e (acknowledged at the device, not acted on), so that its
 * watchdog has to report -ETIMEDOUT.  Any context.
 */
void edu_test_drop_irqs(struct dma_engine *e, unsigned n);

/**
 * edu_test_set_watchdog() - set @e's per-step watchdog to @ns (0: the
 * default) and return the previous value.  Takes effect at the next step.
 */
uint64_t edu_test_set_watchdog(struct dma_engine *e, uint64_t ns);

/**
 * edu_test_selftest() - run the probe-time reach-above-4-GiB self-test on
 * @e's device again.  Thread context; sleeps ~200 ms.  Returns 0 when the
 * device passes, -ENODEV when it would be refused, -ETIMEDOUT or -EIO
 * when the test DMA failed.
 */
int edu_test_selftest(struct dma_engine *e);

/**
 * edu_test_force_polling() - turn MSI off and poll for completions (@on),
 * or go back to MSI.  The channel must be idle: it is waited for up to
 * EDU_TEST_IDLE_WAIT_MS (a done() may still be finishing on another
 * CPU), -EBUSY after that.  Thread context; may sleep.
 */
#define EDU_TEST_IDLE_WAIT_MS	1000
int edu_test_force_polling(struct dma_engine *e, bool on);

/**
 * edu_test_raw_to_ram() - make the device write @len bytes of its buffer to
 * the I/O address @iova, mapping nothing (a stray DMA, to prove the IOMMU
 * blocks it), and wait until the device is idle again.  The channel must
 * be idle: -EBUSY otherwise.  Thread context; sleeps ~100 ms.  Returns 0,
 * -ETIMEDOUT (the device stayed busy).
 */
int edu_test_raw_to_ram(struct dma_engine *e, uint64_t iova, uint64_t len);

/* edu_test_is_edu() - is @e an edu engine (these hooks apply)? */
int edu_test_is_edu(const struct dma_engine *e);

#endif /* DRIVERS_DMA_EDU_INTERNAL_H */
