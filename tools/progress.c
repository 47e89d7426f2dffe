/*
 * progress.c - the host tools' progress line (interface in progress.h).
 */
#include <time.h>
#include <unistd.h>
#include "progress.h"

#define PROGRESS_PERIOD_S	0.1
#define PERCENT			100

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, const char *tool, const char *image,
		   enum progress_mode mode)
{
	p->out = stderr;
	p->tool = tool;
	p->image = image;
	p->on = mode == PROGRESS_ON || isatty(fileno(stderr));
	p->drawn = false;
	p->width = 0;
	p->start = now_s();
	p->last = 0;
}

void progress_cb(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	double t = now_s(), secs;
	unsigned pct;
	int n;

	if (!p->on || total == 0 || done > total)
		return;
	if (done < total && p->drawn && t - p->last < PROGRESS_PERIOD_S)
		return;
	p->last = t;
	secs = t - p->start;
	pct = (unsigned)(done * PERCENT / total);
	n = fprintf(p->out, "\r%s: %s: %3u%% (%llu of %llu %s, %llu %s/s)", p->tool, p->image, pct,
		    (unsigned long long)done, (unsigned long long)total, phase,
		    (unsigned long long)(secs > 0 ? (double)done / secs : 0), phase);
	if (n > 0 && n < p->width)
		fprintf(p->out, "%*s", p->width - n, "");	/* wipe the longer old line */
	p->width = n > 0 ? n : 0;
	p->drawn = true;
	fflush(p->out);
}

void progress_end(struct progress *p)
{
	if (p->drawn)
		fputc('\n', p->out);
	p->drawn = false;
	p->width = 0;
}
