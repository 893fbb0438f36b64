// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dio-bench's measurements (dio-stats.h): the log-linear latency
 * histogram read back, and the sums of the threads of one run.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dio-stats.h"

const double report_percentiles[NR_PERCENTILES] = {
	50.0, 90.0, 99.0, 99.9, 99.99,
};

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned int i;

	if (!src->count)
		return;
	dst->count += src->count;
	dst->sum += src->sum;
	dst->sum_sq += src->sum_sq;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	for (i = 0; i < HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
}

double hist_mean(const struct hist *h)
{
	if (!h->count)
		return 0;
	return (double)h->sum / (double)h->count;
}

/*
 * The population deviation from the sums: E[x^2] - E[x]^2 can come out
 * slightly negative by rounding when every sample is equal, hence the
 * clamp before the square root.
 */
double hist_stddev(const struct hist *h)
{
	double mean, var;

	if (!h->count)
		return 0;
	mean = hist_mean(h);
	var = h->sum_sq / (double)h->count - mean * mean;
	if (!(var > 0))
		return 0;
	return sqrt(var);
}

/* The inverse of hist_bucket(): the first value of bucket @b and its width. */
static void bucket_range(unsigned int b, uint64_t *start, uint64_t *width)
{
	unsigned int shift;

	if (b < HIST_SUB) {
		*start = b;
		*width = 1;
		return;
	}
	shift = b / HIST_SUB - 1;
	*start = ((uint64_t)HIST_SUB + b % HIST_SUB) << shift;
	*width = 1ULL << shift;
}

uint64_t hist_percentile(const struct hist *h, double pct)
{
	uint64_t rank, seen = 0, start, width, v;
	double want;
	unsigned int b;

	if (!h->count)
		return 0;
	if (!(pct > 0))
		return h->min;
	if (pct >= 100)
		return h->max;
	/*
	 * The smallest rank (1-based) with at least pct% of the samples at or
	 * below it.  99.9% of 1000 is 999.0000000000001 in doubles: shave a
	 * relative hair off before rounding up, or it becomes rank 1000.
	 */
	want = pct * (double)h->count / 100.0;
	want = ceil(want - want * 1e-12);
	rank = want < 1 ? 1 : (uint64_t)want;
	if (rank > h->count)
		rank = h->count;
	for (b = 0; b < HIST_BUCKETS; b++) {
		seen += h->buckets[b];
		if (seen >= rank)
			break;
	}
	if (b == HIST_BUCKETS)
		return h->max;	/* buckets disagree with count: a bad merge */
	bucket_range(b, &start, &width);
	/* start + (width - 1) / 2 cannot overflow where start + width would. */
	v = start + (width - 1) / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

struct job_result *job_result_new(void)
{
	struct job_result *r;
	int d;

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	for (d = 0; d < NR_DIRS; d++)
		hist_init(&r->dir[d].clat);
	return r;
}

/* |v| without llabs()'s undefined INT64_MIN. */
static uint64_t magnitude(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

void job_result_merge(struct job_result *dst, const struct job_result *src)
{
	int d;

	for (d = 0; d < NR_DIRS; d++) {
		dst->dir[d].ios += src->dir[d].ios;
		dst->dir[d].bytes += src->dir[d].bytes;
		hist_merge(&dst->dir[d].clat, &src->dir[d].clat);
	}
	/* The threads ran side by side: the run took as long as the slowest. */
	if (src->elapsed_ns > dst->elapsed_ns)
		dst->elapsed_ns = src->elapsed_ns;
	dst->usr_ns += src->usr_ns;
	dst->sys_ns += src->sys_ns;
	dst->verify_blocks += src->verify_blocks;
	dst->verify_errors += src->verify_errors;
	if (!dst->error)
		dst->error = src->error;
	dst->pinned_bytes += src->pinned_bytes;
	dst->pin_regions += src->pin_regions;
	dst->register_ns += src->register_ns;
	/*
	 * VmPin is one figure for the whole process: the merged check agrees
	 * only if every thread's did, and keeps the largest difference seen.
	 */
	if (src->vmpin_checked) {
		dst->vmpin_agrees = (dst->vmpin_checked ? dst->vmpin_agrees : true) &&
				    src->vmpin_agrees;
		if (!dst->vmpin_checked ||
		    magnitude(src->vmpin_diff) > magnitude(dst->vmpin_diff))
			dst->vmpin_diff = src->vmpin_diff;
		dst->vmpin_checked = true;
	}
}

static uint64_t result_ios(const struct job_result *r, int dir)
{
	if (dir >= 0 && dir < NR_DIRS)
		return r->dir[dir].ios;
	return r->dir[DIR_READ].ios + r->dir[DIR_WRITE].ios;
}

double result_iops(const struct job_result *r, int dir)
{
	if (!r->elapsed_ns)
		return 0;
	return (double)result_ios(r, dir) * 1e9 / (double)r->elapsed_ns;
}

double result_bw_bytes(const struct job_result *r, int dir)
{
	uint64_t bytes;

	if (!r->elapsed_ns)
		return 0;
	if (dir >= 0 && dir < NR_DIRS)
		bytes = r->dir[dir].bytes;
	else
		bytes = r->dir[DIR_READ].bytes + r->dir[DIR_WRITE].bytes;
	return (double)bytes * 1e9 / (double)r->elapsed_ns;
}

double result_cpu_per_io_ns(const struct job_result *r)
{
	uint64_t ios = result_ios(r, -1);

	if (!ios)
		return 0;
	return (double)(r->usr_ns + r->sys_ns) / (double)ios;
}
