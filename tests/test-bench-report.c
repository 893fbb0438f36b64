// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dio-bench's measurement and output modules: the histogram
 * (bench/dio-stats.c), crc32c and the verify blocks (bench/dio-verify.c)
 * and the three report formats (bench/dio-report.c), the JSON one read
 * back by Python's json module as the tools that read fio's would.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "helpers.h"
#include "dio-options.h"
#include "dio-report.h"
#include "dio-stats.h"
#include "dio-verify.h"

static uint64_t rnd_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dULL;
}

/* Within 1% of @want (and exact for small values, where 1% is < 1). */
#define ASSERT_NEAR_1PCT(got, want, what) do {				\
	double g_ = (double)(got), w_ = (double)(want);			\
	ck_assert_msg(fabs(g_ - w_) <= 0.01 * w_,			\
		      "%s: got %.0f, want %.0f (more than 1%% off)",	\
		      (what), g_, w_);					\
} while (0)

/* ---- histogram ---------------------------------------------------------- */

static struct hist *hist_new(void)
{
	struct hist *h = malloc(sizeof(*h));

	ck_assert_ptr_nonnull(h);
	hist_init(h);
	return h;
}

START_TEST(test_hist_empty)
{
	struct hist *h = hist_new(), *g = hist_new();

	ck_assert_uint_eq(h->min, UINT64_MAX);
	ck_assert(hist_mean(h) == 0);
	ck_assert(hist_stddev(h) == 0);
	ck_assert_uint_eq(hist_percentile(h, 50), 0);
	ck_assert_uint_eq(hist_percentile(h, 100), 0);
	hist_merge(g, h);
	ck_assert_uint_eq(g->count, 0);
	ck_assert_uint_eq(g->min, UINT64_MAX);
	ck_assert_uint_eq(hist_percentile(g, 99), 0);
	free(h);
	free(g);
}
END_TEST

START_TEST(test_hist_uniform)
{
	static const double pcts[] = { 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100 };
	const uint64_t n = 1000000;
	struct hist *h = hist_new();
	char what[64];
	uint64_t v;
	unsigned int i;

	for (v = 1; v <= n; v++)
		hist_add_n(h, v, 1);
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		/* Values 1..n: the value of rank k is k. */
		uint64_t want = (uint64_t)ceil(pcts[i] * (double)n / 100 - 1e-6);

		snprintf(what, sizeof(what), "p%g", pcts[i]);
		ASSERT_NEAR_1PCT(hist_percentile(h, pcts[i]), want, what);
	}
	ck_assert_uint_eq(hist_percentile(h, 100), n);
	ck_assert(fabs(hist_mean(h) - 500000.5) < 1e-6);
	free(h);
}
END_TEST

START_TEST(test_hist_constant)
{
	struct hist *h = hist_new();
	unsigned int i;

	for (i = 0; i < 1000; i++)
		hist_add_n(h, 12345, 1);
	/* Clamped to [min, max]: exact, not a bucket's midpoint. */
	for (i = 0; i < NR_PERCENTILES; i++)
		ck_assert_uint_eq(hist_percentile(h, report_percentiles[i]), 12345);
	ck_assert(hist_mean(h) == 12345);
	ck_assert(hist_stddev(h) == 0);
	free(h);
}
END_TEST

START_TEST(test_hist_two_point)
{
	struct hist *h = hist_new();
	unsigned int i;

	for (i = 0; i < 900; i++)
		hist_add_n(h, 100, 1);
	for (i = 0; i < 100; i++)
		hist_add_n(h, 1000000, 1);
	ck_assert_uint_eq(hist_percentile(h, 50), 100);
	/* Rank 900 exactly: still the low value (99.9% must not round up). */
	ck_assert_uint_eq(hist_percentile(h, 90), 100);
	ASSERT_NEAR_1PCT(hist_percentile(h, 90.1), 1000000, "p90.1");
	ASSERT_NEAR_1PCT(hist_percentile(h, 99), 1000000, "p99");
	ASSERT_NEAR_1PCT(hist_percentile(h, 99.99), 1000000, "p99.99");
	ck_assert(fabs(hist_mean(h) - 100090.0) < 1e-6);
	free(h);
}
END_TEST

/* Rank 999 of 1000 at p99.9: the doubles give 999.0000000000001. */
START_TEST(test_hist_rank_rounding)
{
	struct hist *h = hist_new();
	unsigned int i;

	for (i = 1; i <= 1000; i++)
		hist_add_n(h, i < 1000 ? 10 : 1000000, 1);
	ck_assert_uint_eq(hist_percentile(h, 99.9), 10);
	ASSERT_NEAR_1PCT(hist_percentile(h, 99.99), 1000000, "p99.99");
	free(h);
}
END_TEST

START_TEST(test_hist_bucket_edges)
{
	char what[64];
	unsigned int k;
	int d;

	for (k = 6; k < 63; k++) {
		for (d = -1; d <= 1; d++) {
			uint64_t v = (1ULL << k) + (uint64_t)(int64_t)d;
			struct hist *h = hist_new();

			/* A second, larger value so that no clamp hides the error. */
			hist_add_n(h, v, 1);
			hist_add_n(h, v < UINT64_MAX / 4 ? v * 4 : UINT64_MAX, 1);
			snprintf(what, sizeof(what), "p50 of {%" PRIu64 ", 4x}", v);
			ASSERT_NEAR_1PCT(hist_percentile(h, 50), v, what);
			ck_assert_uint_lt(hist_bucket(v), HIST_BUCKETS);
			free(h);
		}
	}
	/* The bucket index is monotonic in the value. */
	for (k = 1; k < 64; k++)
		ck_assert_uint_lt(hist_bucket((1ULL << k) - 1), hist_bucket(1ULL << k));
	ck_assert_uint_lt(hist_bucket(UINT64_MAX), HIST_BUCKETS);
}
END_TEST

START_TEST(test_hist_huge)
{
	struct hist *h = hist_new();
	uint64_t base = 1000000000000ULL;
	unsigned int i;

	for (i = 0; i < 1000; i++)
		hist_add_n(h, base + (uint64_t)i * 1000000000ULL, 1);
	ASSERT_NEAR_1PCT(hist_percentile(h, 50), base + 499ULL * 1000000000ULL, "p50");
	ASSERT_NEAR_1PCT(hist_percentile(h, 99), base + 989ULL * 1000000000ULL, "p99");
	ck_assert_uint_eq(hist_percentile(h, 100), base + 999ULL * 1000000000ULL);
	free(h);
}
END_TEST

START_TEST(test_hist_mean_stddev)
{
	struct hist *h = hist_new();
	enum { N = 10000 };
	static uint64_t v[N];
	double sum = 0, mean, sq = 0, sd;
	unsigned int i;

	for (i = 0; i < N; i++) {
		v[i] = rnd() % 10000000 + 1;
		hist_add_n(h, v[i], 1);
		sum += (double)v[i];
	}
	mean = sum / N;
	for (i = 0; i < N; i++)
		sq += ((double)v[i] - mean) * ((double)v[i] - mean);
	sd = sqrt(sq / N);
	ck_assert_msg(fabs(hist_mean(h) - mean) <= 1e-9 * mean, "mean %f vs %f",
		      hist_mean(h), mean);
	ck_assert_msg(fabs(hist_stddev(h) - sd) <= 1e-6 * sd, "stddev %f vs %f",
		      hist_stddev(h), sd);
	free(h);
}
END_TEST

/* n samples at once: the same histogram as n added one by one. */
START_TEST(test_hist_add_n)
{
	static const uint64_t v[] = { 7, 128, 12345, 12345, 999999, 3 };
	static const uint64_t n[] = { 1, 32, 8, 1, 1000, 5 };
	struct hist *one = hist_new(), *runs = hist_new();
	unsigned int i, b;
	uint64_t k;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (k = 0; k < n[i]; k++)
			hist_add_n(one, v[i], 1);
		hist_add_n(runs, v[i], n[i]);
	}
	ck_assert_uint_eq(runs->count, one->count);
	ck_assert_uint_eq(runs->sum, one->sum);
	ck_assert_uint_eq(runs->min, 3);
	ck_assert_uint_eq(runs->max, 999999);
	ck_assert(fabs(runs->sum_sq - one->sum_sq) <= 1e-9 * one->sum_sq);
	for (b = 0; b < HIST_BUCKETS; b++)
		ck_assert_uint_eq(runs->buckets[b], one->buckets[b]);
	ck_assert_uint_eq(hist_percentile(runs, 50), hist_percentile(one, 50));
	ck_assert(fabs(hist_stddev(runs) - hist_stddev(one)) <=
		  1e-9 * hist_stddev(one));
	free(one);
	free(runs);
}
END_TEST

START_TEST(test_hist_merge)
{
	struct hist *all = hist_new(), *a = hist_new(), *b = hist_new();
	unsigned int i;

	for (i = 0; i < 50000; i++) {
		uint64_t v = rnd() >> (rnd() % 64);

		hist_add_n(all, v, 1);
		hist_add_n(i % 3 ? a : b, v, 1);
	}
	hist_merge(a, b);
	ck_assert_uint_eq(a->count, all->count);
	ck_assert_uint_eq(a->sum, all->sum);
	ck_assert_uint_eq(a->min, all->min);
	ck_assert_uint_eq(a->max, all->max);
	ck_assert(memcmp(a->buckets, all->buckets, sizeof(a->buckets)) == 0);
	/* Doubles summed in another order: equal to rounding. */
	ck_assert(fabs(a->sum_sq - all->sum_sq) <= 1e-9 * all->sum_sq);
	for (i = 0; i < NR_PERCENTILES; i++)
		ck_assert_uint_eq(hist_percentile(a, report_percentiles[i]),
				  hist_percentile(all, report_percentiles[i]));
	free(all);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_job_result_merge)
{
	struct job_result *a = job_result_new(), *b = job_result_new();

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(a->dir[DIR_READ].clat.min, UINT64_MAX);
	ck_assert_uint_eq(a->dir[DIR_WRITE].clat.min, UINT64_MAX);
	a->dir[DIR_READ].ios = 10;
	a->dir[DIR_READ].bytes = 40960;
	hist_add_n(&a->dir[DIR_READ].clat, 1000, 1);
	a->elapsed_ns = 2000000000;
	a->usr_ns = 100;
	a->sys_ns = 200;
	a->pinned_bytes = 4096;
	a->pin_regions = 1;
	a->verify_blocks = 10;
	b->dir[DIR_READ].ios = 30;
	b->dir[DIR_READ].bytes = 122880;
	hist_add_n(&b->dir[DIR_READ].clat, 3000, 1);
	b->dir[DIR_WRITE].ios = 5;
	b->elapsed_ns = 3000000000;
	b->usr_ns = 1000;
	b->sys_ns = 2000;
	b->pinned_bytes = 8192;
	b->pin_regions = 2;
	b->verify_blocks = 30;
	b->verify_errors = 1;
	b->error = -EIO;
	job_result_merge(a, b);
	ck_assert_uint_eq(a->dir[DIR_READ].ios, 40);
	ck_assert_uint_eq(a->dir[DIR_READ].bytes, 163840);
	ck_assert_uint_eq(a->dir[DIR_WRITE].ios, 5);
	ck_assert_uint_eq(a->dir[DIR_READ].clat.count, 2);
	ck_assert_uint_eq(a->elapsed_ns, 3000000000);
	ck_assert_uint_eq(a->usr_ns, 1100);
	ck_assert_uint_eq(a->sys_ns, 2200);
	ck_assert_uint_eq(a->pinned_bytes, 12288);
	ck_assert_uint_eq(a->pin_regions, 3);
	ck_assert_uint_eq(a->verify_blocks, 40);
	ck_assert_uint_eq(a->verify_errors, 1);
	ck_assert_int_eq(a->error, -EIO);
	b->error = -ENOMEM;
	job_result_merge(a, b);
	ck_assert_int_eq(a->error, -EIO);	/* the first one stays */
	/* VmPin: agrees only if every thread's check did; largest difference. */
	ck_assert(!a->vmpin_checked);
	b->vmpin_checked = true;
	b->vmpin_agrees = true;
	job_result_merge(a, b);
	ck_assert(a->vmpin_checked && a->vmpin_agrees);
	b->vmpin_agrees = false;
	b->vmpin_diff = -8192;
	job_result_merge(a, b);
	b->vmpin_agrees = true;
	b->vmpin_diff = 4096;
	job_result_merge(a, b);
	ck_assert(!a->vmpin_agrees);
	ck_assert_int_eq(a->vmpin_diff, -8192);
	/* b merged 5 times: 160 reads and 25 writes in 3 s, 15300 ns of CPU. */
	ck_assert(fabs(result_iops(a, -1) - 185.0 / 3) < 1e-9);
	ck_assert(fabs(result_iops(a, DIR_READ) - 160.0 / 3) < 1e-9);
	ck_assert(fabs(result_cpu_per_io_ns(a) - 15300.0 / 185) < 1e-9);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_result_zero)
{
	struct job_result *r = job_result_new();

	ck_assert_ptr_nonnull(r);
	ck_assert(result_iops(r, -1) == 0);
	ck_assert(result_bw_bytes(r, DIR_READ) == 0);
	ck_assert(result_cpu_per_io_ns(r) == 0);
	free(r);
}
END_TEST

/* ---- crc32c ---------------------------------------------------------------- */

START_TEST(test_crc32c_check_value)
{
	static const char check[] = "123456789";

	ck_assert_uint_eq(crc32c(0, check, 9), 0xe3069283U);
	ck_assert_uint_eq(crc32c_sw(0, check, 9), 0xe3069283U);
	/* Chained over two calls: the same crc. */
	ck_assert_uint_eq(crc32c(crc32c(0, check, 4), check + 4, 5), 0xe3069283U);
	ck_assert_uint_eq(crc32c_sw(crc32c_sw(0, check, 4), check + 4, 5), 0xe3069283U);
	ck_assert_uint_eq(crc32c(0, check, 0), 0);
}
END_TEST

START_TEST(test_crc32c_hw_equals_sw)
{
	enum { SIZE = 16384 + 64 };
	static unsigned char buf[SIZE];
	static const size_t big[] = { 511, 512, 4048, 4096, 8191, 16384 };
	unsigned int align, i;
	size_t len;

	fill_pattern(buf, sizeof(buf), 7);
	for (align = 0; align < 16; align++) {
		for (len = 0; len <= 300; len++)
			ck_assert_msg(crc32c(0, buf + align, len) ==
				      crc32c_sw(0, buf + align, len),
				      "align %u len %zu", align, len);
		for (i = 0; i < sizeof(big) / sizeof(big[0]); i++)
			ck_assert_msg(crc32c(0x12345678, buf + align, big[i]) ==
				      crc32c_sw(0x12345678, buf + align, big[i]),
				      "align %u len %zu", align, big[i]);
	}
	if (!__builtin_cpu_supports("sse4.2"))
		printf("test_crc32c_hw_equals_sw: no SSE4.2 here, both paths are software\n");
}
END_TEST

/* ---- verify ---------------------------------------------------------------- */

#define VBS	4096

static unsigned char *filled_block(void)
{
	unsigned char *b = aligned_alloc(4096, VBS);

	ck_assert_ptr_nonnull(b);
	verify_fill(b, VBS, 4096, 42, 1, 17);
	return b;
}

START_TEST(test_verify_good)
{
	unsigned char *b = filled_block(), *c = aligned_alloc(4096, VBS);
	struct verify_error err;

	ck_assert_int_eq(verify_check(b, VBS, 4096, &err), 0);
	/* Another sequence number: another payload. */
	ck_assert_ptr_nonnull(c);
	verify_fill(c, VBS, 4096, 42, 1, 18);
	ck_assert_int_eq(verify_check(c, VBS, 4096, &err), 0);
	ck_assert(memcmp(b + sizeof(struct verify_hdr), c + sizeof(struct verify_hdr),
			 VBS - sizeof(struct verify_hdr)) != 0);
	/* Smallest block, and an unaligned one. */
	verify_fill(c + 8, VERIFY_MIN_BS, 0, 1, 0, 0);
	ck_assert_int_eq(verify_check(c + 8, VERIFY_MIN_BS, 0, &err), 0);
	free(b);
	free(c);
}
END_TEST

START_TEST(test_verify_payload_flip)
{
	unsigned char *b = filled_block();
	struct verify_error err;
	char msg[256], hex[32];

	b[1000] ^= 0x01;
	ck_assert_int_eq(verify_check(b, VBS, 4096, &err), -1);
	ck_assert_str_eq(err.what, "crc32c");
	ck_assert_uint_ne(err.expected, err.actual);
	ck_assert(err.hdr_ok);
	ck_assert_uint_eq(err.job, 1);
	ck_assert_uint_eq(err.sequence, 17);
	ck_assert_uint_eq(err.actual, crc32c(0, b + sizeof(struct verify_hdr),
					     VBS - sizeof(struct verify_hdr)));
	verify_describe(&err, 4096, msg, sizeof(msg));
	ck_assert_msg(strstr(msg, "offset 4096"), "%s", msg);
	snprintf(hex, sizeof(hex), "0x%08" PRIx64, err.expected);
	ck_assert_msg(strstr(msg, hex), "%s lacks %s", msg, hex);
	snprintf(hex, sizeof(hex), "0x%08" PRIx64, err.actual);
	ck_assert_msg(strstr(msg, hex), "%s lacks %s", msg, hex);
	ck_assert_msg(strstr(msg, "job 1 as its block 17"), "%s", msg);
	free(b);
}
END_TEST

START_TEST(test_verify_wrong_offset)
{
	unsigned char *b = filled_block();
	struct verify_error err;
	char msg[256];

	ck_assert_int_eq(verify_check(b, VBS, 8192, &err), -1);
	ck_assert_str_eq(err.what, "offset");
	ck_assert_uint_eq(err.expected, 8192);
	ck_assert_uint_eq(err.actual, 4096);
	verify_describe(&err, 8192, msg, sizeof(msg));
	ck_assert_msg(strstr(msg, "offset 8192") && strstr(msg, "4096"), "%s", msg);
	free(b);
}
END_TEST

START_TEST(test_verify_wrong_len)
{
	unsigned char *b = filled_block();
	struct verify_error err;

	ck_assert_int_eq(verify_check(b, VBS / 2, 4096, &err), -1);
	ck_assert_str_eq(err.what, "len");
	ck_assert_uint_eq(err.expected, VBS / 2);
	ck_assert_uint_eq(err.actual, VBS);
	free(b);
}
END_TEST

START_TEST(test_verify_zeroed)
{
	unsigned char *b = filled_block();
	struct verify_error err;
	char msg[256];

	memset(b, 0, VBS);
	ck_assert_int_eq(verify_check(b, VBS, 4096, &err), -1);
	ck_assert_str_eq(err.what, "magic");
	ck_assert(!err.hdr_ok);
	verify_describe(&err, 4096, msg, sizeof(msg));
	ck_assert_msg(strstr(msg, "offset 4096") &&
		      strstr(msg, "no dio-bench verify header"), "%s", msg);
	free(b);
}
END_TEST

START_TEST(test_verify_header_corrupt)
{
	unsigned char *b = filled_block();
	struct verify_error err;
	char msg[256];

	b[offsetof(struct verify_hdr, seed)] ^= 0x80;
	ck_assert_int_eq(verify_check(b, VBS, 4096, &err), -1);
	ck_assert_str_eq(err.what, "header crc32c");
	ck_assert(!err.hdr_ok);
	verify_describe(&err, 4096, msg, sizeof(msg));
	ck_assert_msg(strstr(msg, "header crc32c expected 0x"), "%s", msg);
	/* An untrusted header names no writer. */
	ck_assert_msg(!strstr(msg, "job"), "%s", msg);
	free(b);
}
END_TEST

/* ---- report ---------------------------------------------------------------- */

static struct job_result *make_result(enum engine_id e, enum rw_mode rw,
				      uint64_t ios_r, uint64_t ios_w,
				      uint64_t cpu_ns)
{
	struct job_result *r = job_result_new();
	uint64_t i;

	ck_assert_ptr_nonnull(r);
	r->engine = e;
	r->rw = rw;
	r->bs = 4096;
	r->iodepth = 32;
	r->numjobs = 1;
	r->elapsed_ns = 1000000000;
	r->usr_ns = cpu_ns / 3;
	r->sys_ns = cpu_ns - cpu_ns / 3;
	r->dir[DIR_READ].ios = ios_r;
	r->dir[DIR_READ].bytes = ios_r * 4096;
	for (i = 0; i < ios_r; i++)
		hist_add_n(&r->dir[DIR_READ].clat, 10000 + i * 10, 1);
	r->dir[DIR_WRITE].ios = ios_w;
	r->dir[DIR_WRITE].bytes = ios_w * 4096;
	for (i = 0; i < ios_w; i++)
		hist_add_n(&r->dir[DIR_WRITE].clat, 20000 + i * 10, 1);
	return r;
}

struct report_fixture {
	struct options opt;
	struct report_target tgt;
	struct job_result *res[4];
	unsigned int nr;
};

static const char weird_path[] = "/tmp/we\"ird\\pa\nth\x01.dat";

static void fixture_init(struct report_fixture *fx, enum output_format fmt)
{
	memset(fx, 0, sizeof(*fx));
	options_init(&fx->opt);
	fx->opt.format = fmt;
	fx->opt.verify = VERIFY_CRC32C;
	fx->opt.filenames[0] = weird_path;
	fx->opt.nr_files = 1;
	fx->tgt.path = weird_path;
	fx->tgt.nr_files = 1;
	fx->tgt.kind = "file";
	fx->tgt.size = GIB;
	fx->tgt.mem_align = 512;
	fx->tgt.offset_align = 512;
	fx->res[0] = make_result(ENGINE_FIXED, RW_RANDREAD, 1000, 0, 4000000);
	fx->res[0]->pinned_bytes = 131072;
	fx->res[0]->pin_regions = 32;
	fx->res[0]->register_ns = 45000;
	fx->res[0]->vmpin_checked = true;
	fx->res[0]->vmpin_agrees = true;
	fx->res[0]->verify_blocks = 1000;
	fx->res[1] = make_result(ENGINE_PLAIN, RW_RANDREAD, 800, 0, 4000000);
	/* A second workload: both directions, its own first engine. */
	fx->res[2] = make_result(ENGINE_FIXED, RW_RANDWRITE, 0, 500, 1000000);
	fx->res[2]->bs = 65536;
	fx->res[3] = make_result(ENGINE_PLAIN, RW_RANDWRITE, 100, 400, 1000000);
	fx->res[3]->bs = 65536;
	fx->res[3]->elapsed_ns = 0;	/* nothing to divide by */
	fx->nr = 4;
}

static void fixture_free(struct report_fixture *fx)
{
	unsigned int i;

	for (i = 0; i < fx->nr; i++)
		free(fx->res[i]);
}

/* The report in @fmt as a malloc'd string. */
static char *report_string(struct report_fixture *fx)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(report_write(f, &fx->opt, &fx->tgt, fx->res, fx->nr), 0);
	fclose(f);
	ck_assert_ptr_nonnull(buf);
	return buf;
}

static bool have_python3(void)
{
	return system("command -v python3 >/dev/null 2>&1") == 0;
}

static const char json_checks[] =
	"import json, sys\n"
	"d = json.load(open(sys.argv[1]))\n"
	"j = d['jobs']\n"
	"assert d['fio version'].startswith('dio-bench-'), d['fio version']\n"
	"assert isinstance(d['timestamp'], int)\n"
	"assert d['global options']['filename'] == sys.argv[2], repr(d['global options']['filename'])\n"
	"assert len(j) == 4, len(j)\n"
	"assert j[0]['jobname'] == 'uring-fixed', j[0]['jobname']\n"
	"assert j[1]['jobname'] == 'uring', j[1]['jobname']\n"
	"assert [x['groupid'] for x in j] == [0, 0, 1, 1]\n"
	"r = j[0]['read']\n"
	"assert r['total_ios'] == 1000, r['total_ios']\n"
	"assert r['io_bytes'] == 4096000 and r['io_kbytes'] == 4000\n"
	"assert abs(r['iops'] - 1000.0) < 1e-6, r['iops']\n"
	"assert r['bw'] == 4000 and r['bw_bytes'] == 4096000, (r['bw'], r['bw_bytes'])\n"
	"p = r['clat_ns']['percentile']\n"
	"assert sorted(p) == ['50.000000', '90.000000', '99.000000', '99.900000', '99.990000'], sorted(p)\n"
	"assert abs(p['99.000000'] - 19900) <= 199, p['99.000000']\n"
	"assert r['clat_ns']['N'] == 1000 and r['clat_ns']['min'] == 10000\n"
	"assert r['lat_ns'] == r['clat_ns']\n"
	"assert j[0]['write']['total_ios'] == 0 and j[0]['write']['clat_ns']['min'] == 0\n"
	"assert j[0]['job options']['ioengine'] == 'uring-fixed'\n"
	"assert j[0]['job options']['bs'] == '4k'\n"
	"assert j[2]['job options']['bs'] == '64k'\n"
	"assert j[0]['elapsed'] == 1 and j[0]['job_runtime'] == 1000\n"
	"assert abs(j[0]['usr_cpu'] + j[0]['sys_cpu'] - 0.4) < 1e-3\n"
	"q = j[0]['pindio']\n"
	"assert q['pinned_bytes'] == 131072 and q['pin_regions'] == 32, q\n"
	"assert q['register_ns'] == 45000 and q['vmpin_checked'] is True\n"
	"assert q['verify_blocks'] == 1000 and q['verify_errors'] == 0\n"
	"assert abs(q['cpu_per_io_ns'] - 4000.0) < 1e-3, q['cpu_per_io_ns']\n"
	"assert q['ratio_iops'] == 1.0\n"
	"assert abs(j[1]['pindio']['ratio_iops'] - 0.8) < 1e-6, j[1]['pindio']\n"
	"assert abs(j[1]['pindio']['ratio_cpu_per_io'] - 1.25) < 1e-6\n"
	"assert j[3]['read']['iops'] == 0 and j[3]['pindio']['ratio_iops'] == 0\n"
	"assert j[3]['error'] == 0\n";

START_TEST(test_report_json)
{
	char path[] = "/tmp/pindio-report-XXXXXX";
	char *argv[] = { "python3", "-c", (char *)json_checks, path,
			 (char *)weird_path, NULL };
	struct report_fixture fx;
	int fd, status;
	pid_t pid;
	FILE *f;

	if (!have_python3())
		SKIP_TEST("python3 is not installed: the JSON cannot be read back");
	fixture_init(&fx, OUTPUT_JSON);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(report_write(f, &fx.opt, &fx.tgt, fx.res, fx.nr), 0);
	ck_assert_int_eq(fclose(f), 0);
	/* Not system(): the path holds a quote and a newline. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execvp("python3", argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	unlink(path);
	fixture_free(&fx);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "python3 rejected the JSON (status 0x%x, see above)", status);
}
END_TEST

/*
 * Check messages are limited in size: on failure the whole report goes to
 * stderr and the message names what was looked for.
 */
#define ASSERT_HAS(text, needle) do {					\
	if (!strstr((text), (needle)))					\
		fprintf(stderr, "report:\n%s\n", (text));		\
	ck_assert_msg(strstr((text), (needle)), "report lacks \"%s\"", (needle)); \
} while (0)
#define ASSERT_HASNT(text, needle) do {					\
	if (strstr((text), (needle)))					\
		fprintf(stderr, "report:\n%s\n", (text));		\
	ck_assert_msg(!strstr((text), (needle)), "report has \"%s\"", (needle)); \
} while (0)

/* Whatever python says: no NaN or infinity, escaped control characters. */
START_TEST(test_report_json_text)
{
	struct report_fixture fx;
	char *s;

	fixture_init(&fx, OUTPUT_JSON);
	s = report_string(&fx);
	/* Values only: fio's "minf" key has an "inf" in it. */
	ASSERT_HASNT(s, " : nan");
	ASSERT_HASNT(s, " : inf");
	ASSERT_HASNT(s, " : -");
	ASSERT_HAS(s, "\"/tmp/we\\\"ird\\\\pa\\nth\\u0001.dat\"");
	ASSERT_HAS(s, "\"99.990000\" : ");
	free(s);
	fixture_free(&fx);
}
END_TEST

static unsigned int count_char(const char *s, char c)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

START_TEST(test_report_csv)
{
	struct report_fixture fx;
	char *s, *line, *save = NULL;
	unsigned int rows = 0;

	fixture_init(&fx, OUTPUT_CSV);
	s = report_string(&fx);
	ck_assert_msg(!strncmp(s, "engine,rw,bs,iodepth,numjobs,dir,iops,", 38), "%s", s);
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* 23 columns; no field needs quotes here. */
		ck_assert_msg(count_char(line, ',') == 22, "row %u: %s", rows, line);
		ck_assert_msg(!strstr(line, "nan") && !strstr(line, "inf"), "%s", line);
		rows++;
	}
	/* Header, 2 read rows, 1 write row, then read and write of the last. */
	ck_assert_uint_eq(rows, 1 + 1 + 1 + 1 + 2);
	free(s);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_report_normal)
{
	struct report_fixture fx;
	char *s, *line, *save = NULL;

	fixture_init(&fx, OUTPUT_NORMAL);
	s = report_string(&fx);
	ASSERT_HAS(s, "uring-fixed ");
	ASSERT_HAS(s, "uring ");
	ASSERT_HAS(s, "target: /tmp/we\"ird\\pa\\x0ath\\x01.dat, file, 1 GiB,");
	ASSERT_HAS(s, "O_DIRECT alignment: memory 512");
	ASSERT_HAS(s, "uring vs uring-fixed: IOPS x0.80, CPU per I/O x1.25");
	ASSERT_HAS(s, "128 KiB pinned in 32 regions");
	ASSERT_HAS(s, "VmPin agrees");
	ASSERT_HAS(s, "1000 blocks checked, 0 errors");
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		ck_assert_msg(strlen(line) <= 120, "%zu columns: %s", strlen(line), line);
	free(s);
	fixture_free(&fx);
}
END_TEST

START_TEST(test_report_write_error)
{
	struct report_fixture fx;
	FILE *f = fopen("/dev/full", "we");

	if (!f)
		SKIP_TEST("/dev/full: %s", strerror(errno));
	fixture_init(&fx, OUTPUT_JSON);
	ck_assert_int_eq(report_write(f, &fx.opt, &fx.tgt, fx.res, fx.nr), -ENOSPC);
	fclose(f);
	fixture_free(&fx);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("bench-report");
	TCase *hist = tcase_create("hist");
	TCase *crc = tcase_create("crc32c");
	TCase *verify = tcase_create("verify");
	TCase *report = tcase_create("report");

	tcase_add_test(hist, test_hist_empty);
	tcase_add_test(hist, test_hist_uniform);
	tcase_add_test(hist, test_hist_constant);
	tcase_add_test(hist, test_hist_two_point);
	tcase_add_test(hist, test_hist_rank_rounding);
	tcase_add_test(hist, test_hist_bucket_edges);
	tcase_add_test(hist, test_hist_huge);
	tcase_add_test(hist, test_hist_mean_stddev);
	tcase_add_test(hist, test_hist_add_n);
	tcase_add_test(hist, test_hist_merge);
	tcase_add_test(hist, test_job_result_merge);
	tcase_add_test(hist, test_result_zero);
	suite_add_tcase(s, hist);

	tcase_add_test(crc, test_crc32c_check_value);
	tcase_add_test(crc, test_crc32c_hw_equals_sw);
	suite_add_tcase(s, crc);

	tcase_add_test(verify, test_verify_good);
	tcase_add_test(verify, test_verify_payload_flip);
	tcase_add_test(verify, test_verify_wrong_offset);
	tcase_add_test(verify, test_verify_wrong_len);
	tcase_add_test(verify, test_verify_zeroed);
	tcase_add_test(verify, test_verify_header_corrupt);
	suite_add_tcase(s, verify);

	tcase_add_test(report, test_report_json);
	tcase_add_test(report, test_report_json_text);
	tcase_add_test(report, test_report_csv);
	tcase_add_test(report, test_report_normal);
	tcase_add_test(report, test_report_write_error);
	suite_add_tcase(s, report);
	return s;
}
