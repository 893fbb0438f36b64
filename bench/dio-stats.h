/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dio-bench's measurements: a latency histogram and what one engine's run
 * of one workload produced.  The histogram is log-linear: 2^HIST_SUB_BITS
 * linear buckets per power of two, so a percentile read back from it is
 * within 1% of the true value (the bucket's width is under 1/128 of its
 * start, and the midpoint is reported).
 */
#ifndef DIO_STATS_H
#define DIO_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "dio-options.h"

#define HIST_SUB_BITS	7
#define HIST_SUB	(1U << HIST_SUB_BITS)
/* Values below HIST_SUB have a bucket each; then 57 groups of HIST_SUB. */
#define HIST_BUCKETS	((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t sum;			/* ns */
	double sum_sq;			/* ns^2, for the standard deviation */
	uint64_t min;			/* UINT64_MAX while empty */
	uint64_t max;
	uint64_t buckets[HIST_BUCKETS];
};

static inline unsigned int hist_bucket(uint64_t v)
{
	unsigned int msb, shift;

	if (v < HIST_SUB)
		return (unsigned int)v;
	msb = 63U - (unsigned int)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	return (shift + 1) * HIST_SUB + (unsigned int)((v >> shift) & (HIST_SUB - 1));
}

/*
 * The hot path: @n samples of @ns nanoseconds each.  dio-bench adds the
 * requests of one reap that share a latency at once (dio-job.c).
 */
static inline void hist_add_n(struct hist *h, uint64_t ns, uint64_t n)
{
	h->count += n;
	h->sum += ns * n;
	h->sum_sq += (double)ns * (double)ns * (double)n;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->buckets[hist_bucket(ns)] += n;
}

void hist_init(struct hist *h);
void hist_merge(struct hist *dst, const struct hist *src);
/* 0 for an empty histogram. */
double hist_mean(const struct hist *h);
double hist_stddev(const struct hist *h);
/*
 * The value below which @pct percent (0 < pct <= 100) of the samples lie:
 * the midpoint of the bucket holding that rank, clamped to [min, max].
 * 0 for an empty histogram.
 */
uint64_t hist_percentile(const struct hist *h, double pct);

/* The percentiles every report prints, fio's subset. */
#define NR_PERCENTILES	5
extern const double report_percentiles[NR_PERCENTILES];	/* 50 90 99 99.9 99.99 */

enum { DIR_READ, DIR_WRITE, NR_DIRS };

struct dir_stats {
	uint64_t ios;
	uint64_t bytes;
	struct hist clat;		/* submission to completion, ns */
};

/*
 * One engine's run of one workload, its numjobs threads summed (fio's
 * group_reporting): what every output format prints.
 */
struct job_result {
	enum engine_id engine;
	enum rw_mode rw;
	uint64_t bs;
	unsigned int iodepth;		/* as run: psync runs at 1 */
	unsigned int numjobs;
	struct dir_stats dir[NR_DIRS];
	uint64_t elapsed_ns;		/* measured wall time, after ramp */
	uint64_t usr_ns;		/* process CPU over the measured time */
	uint64_t sys_ns;
	uint64_t verify_blocks;		/* blocks checked */
	uint64_t verify_errors;
	int error;			/* 0, or the first negative errno */
	/* The pin figures: registered buffers of this run (uring-fixed). */
	uint64_t pinned_bytes;		/* peak bytes in the pin account */
	unsigned int pin_regions;	/* registered buffers, all jobs */
	uint64_t register_ns;		/* registering them, all jobs */
	bool vmpin_checked;		/* the account was compared with VmPin */
	bool vmpin_agrees;
	int64_t vmpin_diff;		/* bytes, kernel minus account */
};

/* Allocate a zeroed result with empty histograms; NULL on ENOMEM. */
struct job_result *job_result_new(void);
/* Add @src's counts, histograms and CPU into @dst (another thread's share). */
void job_result_merge(struct job_result *dst, const struct job_result *src);

/* Derived figures the formats share; 0 when there is nothing to divide by. */
double result_iops(const struct job_result *r, int dir);	/* dir -1: both */
double result_bw_bytes(const struct job_result *r, int dir);	/* bytes/s */
double result_cpu_per_io_ns(const struct job_result *r);

#endif
