/*
 * prof.h - the sampling profiler (kernel/prof.c): the timer interrupt
 * records where each CPU was; prof_report() folds that into functions.
 */
#ifndef KERNEL_PROF_H
#define KERNEL_PROF_H

#include <stdint.h>
#include <stdbool.h>

struct thread;

/* timer interrupt: @rip, @rbp interrupted in @t */
void prof_sample(const struct thread *t, uint64_t rip, uint64_t rbp, bool idle);
void prof_start(void);
void prof_stop(void);
uint64_t prof_report(unsigned top, bool callers);

#endif
