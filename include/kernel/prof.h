/*
 * prof.h - the sampling profiler (kernel/prof.c): the timer interrupt
 * records where each CPU was; prof_report() folds that into functions.
 */
#ifndef KERNEL_PROF_H
#define KERNEL_PROF_H

#include <stdint.h>
#include <stdbool.h>

void prof_sample(uint64_t rip, bool idle);	/* timer interrupt */
void prof_start(void);
void prof_stop(void);
uint64_t prof_report(unsigned top);

#endif
