/*
 * prof.h - the sampling profiler (kernel/prof.c): the timer interrupt
 * records where each CPU was; prof_report() folds that into functions.
 */
#ifndef KERNEL_PROF_H
#define KERNEL_PROF_H

#include <stdint.h>
#include <stdbool.h>

struct thread;

/* timer interrupt: @rip, @rbp interrupted in @t.  Lock-free; drops samples
 * when the buffer is full or the profiler is off. */
void prof_sample(const struct thread *t, uint64_t rip, uint64_t rbp, bool idle);
/*
 * prof_start (empties the buffer and starts sampling), prof_stop, and
 * prof_report (prints the @top functions, with their callers if @callers;
 * returns the number of samples folded, 0 when none was recorded): one
 * thread at a time (the shell), thread context; no errors.
 */
void prof_start(void);
void prof_stop(void);
uint64_t prof_report(unsigned top, bool callers);

#endif
