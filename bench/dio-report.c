// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dio-bench's output (dio-report.h): a table for people, fio-shaped JSON
 * for the tools that already read fio's, and CSV for spreadsheets.  The
 * three print the same figures, from dio-stats.h's derived values.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dio-report.h"

/* Names from dio-options.c; a hole in its tables prints as "?". */
static const char *engine_str(enum engine_id e)
{
	if ((unsigned int)e >= NR_ENGINES || !engine_names[e])
		return "?";
	return engine_names[e];
}

static const char *rw_str(enum rw_mode rw)
{
	if ((unsigned int)rw >= NR_RW_MODES || !rw_names[rw])
		return "?";
	return rw_names[rw];
}

static const char *const dir_names[NR_DIRS] = {
	[DIR_READ]	= "read",
	[DIR_WRITE]	= "write",
};

/* JSON has no NaN or infinity, and a table should not show them either. */
static double finite_or_0(double v)
{
	return isfinite(v) ? v : 0;
}

static double ratio(double a, double b)
{
	if (!(b > 0))
		return 0;
	return finite_or_0(a / b);
}

/*
 * The directions a result's rows show: those that did I/O, else (a run
 * that failed before any) those its rw mode asks for.
 */
static unsigned int dir_mask(const struct job_result *r)
{
	unsigned int mask = 0;

	if (r->dir[DIR_READ].ios)
		mask |= 1U << DIR_READ;
	if (r->dir[DIR_WRITE].ios)
		mask |= 1U << DIR_WRITE;
	if (mask)
		return mask;
	switch (r->rw) {
	case RW_WRITE:
	case RW_RANDWRITE:
		return 1U << DIR_WRITE;
	case RW_RW:
	case RW_RANDRW:
		return (1U << DIR_READ) | (1U << DIR_WRITE);
	default:
		return 1U << DIR_READ;
	}
}

/*
 * Workloads: a new one starts where rw or bs changes (iodepth is not
 * compared: psync runs the same workload at depth 1).  Ratios compare
 * each result with its workload's first.
 */
struct workload_walk {
	unsigned int group;		/* index of the current workload */
	const struct job_result *base;	/* its first result */
};

static void workload_next(struct workload_walk *w, const struct job_result *r,
			  bool first)
{
	if (first) {
		w->group = 0;
		w->base = r;
	} else if (r->rw != w->base->rw || r->bs != w->base->bs) {
		w->group++;
		w->base = r;
	}
}

static double ratio_iops(const struct job_result *r, const struct job_result *base)
{
	return ratio(result_iops(r, -1), result_iops(base, -1));
}

static double ratio_cpu(const struct job_result *r, const struct job_result *base)
{
	return ratio(result_cpu_per_io_ns(r), result_cpu_per_io_ns(base));
}

static int positive_errno(int err)
{
	return err < 0 ? -err : err;
}

/* "4k", "1m": block sizes as they are given on the command line. */
static const char *bs_str(uint64_t v, char *buf, size_t len)
{
	if (v && v % GIB == 0)
		snprintf(buf, len, "%" PRIu64 "g", (uint64_t)(v / GIB));
	else if (v && v % MIB == 0)
		snprintf(buf, len, "%" PRIu64 "m", (uint64_t)(v / MIB));
	else if (v && v % KIB == 0)
		snprintf(buf, len, "%" PRIu64 "k", (uint64_t)(v / KIB));
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* "1.50 MiB": amounts of memory, for reading rather than for parsing. */
static const char *bytes_str(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	unsigned int u = 0;

	if (v < KIB) {
		snprintf(buf, len, "%" PRIu64 " B", v);
		return buf;
	}
	d /= 1024;
	while (d >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		d /= 1024;
		u++;
	}
	if (d == floor(d))
		snprintf(buf, len, "%.0f %s", d, units[u]);
	else
		snprintf(buf, len, "%.2f %s", d, units[u]);
	return buf;
}

/* ---- normal: the table ------------------------------------------------ */

/*
 * A path on the terminal: a name can hold newlines and escape sequences,
 * which would break the table or the terminal; they are shown as \xNN.
 */
static void normal_path(FILE *f, const char *path)
{
	const unsigned char *p = (const unsigned char *)path;

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

static void normal_target(FILE *f, const struct report_target *tgt)
{
	char size[32];

	fputs("target: ", f);
	normal_path(f, tgt->path ? tgt->path : "(none)");
	if (tgt->nr_files > 1)
		fprintf(f, " +%u more file%s", tgt->nr_files - 1,
			tgt->nr_files > 2 ? "s" : "");
	fprintf(f, ", %s, %s%s, ",
		tgt->kind ? tgt->kind : "file", bytes_str(tgt->size, size, sizeof(size)),
		tgt->nr_files > 1 ? " per file" : "");
	if (tgt->buffered)
		fputs("buffered I/O (--direct=0)\n", f);
	else
		fprintf(f, "O_DIRECT alignment: memory %" PRIu32 ", offset %" PRIu32 "\n",
			tgt->mem_align, tgt->offset_align);
}

/*
 * Two lines per row to stay within 100 columns: the throughput and CPU,
 * then the completion latency in microseconds.
 */
static void normal_table_header(FILE *f)
{
	fprintf(f, "%-12s %-9s %5s %5s %4s %-5s %11s %9s %10s\n",
		"engine", "rw", "bs", "qd", "jobs", "dir", "IOPS", "MiB/s",
		"CPU/IO ns");
	fprintf(f, "%-12s %-9s %9s %9s %9s %9s %9s %9s %9s\n",
		"", "clat us:", "mean", "stddev", "p50", "p90", "p99", "p99.9",
		"p99.99");
}

static void normal_row(FILE *f, const struct job_result *r, int d, bool first_dir)
{
	const struct hist *h = &r->dir[d].clat;
	char bs[32];
	unsigned int i;

	fprintf(f, "%-12s %-9s %5s %5u %4u %-5s %11.1f %9.1f",
		first_dir ? engine_str(r->engine) : "",
		first_dir ? rw_str(r->rw) : "",
		first_dir ? bs_str(r->bs, bs, sizeof(bs)) : "",
		r->iodepth, r->numjobs, dir_names[d],
		finite_or_0(result_iops(r, d)),
		finite_or_0(result_bw_bytes(r, d) / (double)MIB));
	/* The CPU is the process's, not a direction's: printed once. */
	if (first_dir)
		fprintf(f, " %10.0f", finite_or_0(result_cpu_per_io_ns(r)));
	fputc('\n', f);
	fprintf(f, "%-12s %-9s %9.1f %9.1f", "", "",
		finite_or_0(hist_mean(h) / 1000), finite_or_0(hist_stddev(h) / 1000));
	for (i = 0; i < NR_PERCENTILES; i++)
		fprintf(f, " %9.1f",
			(double)hist_percentile(h, report_percentiles[i]) / 1000);
	fputc('\n', f);
}

/* One line naming a result in the sections below the table. */
static void normal_label(FILE *f, const struct job_result *r)
{
	char bs[32];

	fprintf(f, "  %-12s %-9s %-5s", engine_str(r->engine), rw_str(r->rw),
		bs_str(r->bs, bs, sizeof(bs)));
}

static void normal_pins(FILE *f, struct job_result *const *results, unsigned int nr)
{
	char pinned[32];
	bool any = false;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const struct job_result *r = results[i];

		if (!r->pin_regions)
			continue;
		if (!any)
			fprintf(f, "\npins (registered buffers):\n");
		any = true;
		normal_label(f, r);
		fprintf(f, " %s pinned in %u region%s, registered in %.1f us; ",
			bytes_str(r->pinned_bytes, pinned, sizeof(pinned)),
			r->pin_regions, r->pin_regions == 1 ? "" : "s",
			(double)r->register_ns / 1000);
		if (!r->vmpin_checked)
			fprintf(f, "VmPin not checked\n");
		else if (r->vmpin_agrees)
			fprintf(f, "VmPin agrees\n");
		else
			fprintf(f, "VmPin differs by %+" PRId64 " bytes (kernel minus account)\n",
				r->vmpin_diff);
	}
}

static void normal_verify(FILE *f, struct job_result *const *results, unsigned int nr)
{
	unsigned int i;

	fprintf(f, "\nverify (crc32c):\n");
	for (i = 0; i < nr; i++) {
		const struct job_result *r = results[i];

		normal_label(f, r);
		fprintf(f, " %" PRIu64 " block%s checked, %" PRIu64 " error%s\n",
			r->verify_blocks, r->verify_blocks == 1 ? "" : "s",
			r->verify_errors, r->verify_errors == 1 ? "" : "s");
	}
}

static void normal_ratios(FILE *f, struct job_result *const *results, unsigned int nr)
{
	struct workload_walk w = { 0 };
	bool any = false;
	unsigned int i;
	char bs[32];

	for (i = 0; i < nr; i++) {
		const struct job_result *r = results[i];

		workload_next(&w, r, i == 0);
		if (w.base == r)
			continue;
		if (!any)
			fprintf(f, "\nratios (vs the workload's first engine):\n");
		any = true;
		fprintf(f, "  %s %s: %s vs %s: IOPS x%.2f, CPU per I/O x%.2f\n",
			rw_str(r->rw), bs_str(r->bs, bs, sizeof(bs)),
			engine_str(r->engine), engine_str(w.base->engine),
			ratio_iops(r, w.base), ratio_cpu(r, w.base));
	}
}

static void report_normal(FILE *f, const struct options *opt,
			  const struct report_target *tgt,
			  struct job_result *const *results, unsigned int nr)
{
	unsigned int i;
	int d;

	normal_target(f, tgt);
	fputc('\n', f);
	normal_table_header(f);
	for (i = 0; i < nr; i++) {
		unsigned int mask = dir_mask(results[i]);
		bool first = true;

		for (d = 0; d < NR_DIRS; d++) {
			if (!(mask & (1U << d)))
				continue;
			normal_row(f, results[i], d, first);
			first = false;
		}
		if (results[i]->error)
			fprintf(f, "%-12s error: %s\n", "",
				strerror(positive_errno(results[i]->error)));
	}
	normal_pins(f, results, nr);
	if (opt->verify != VERIFY_NONE)
		normal_verify(f, results, nr);
	normal_ratios(f, results, nr);
}

/* ---- json: fio's --output-format=json shape ---------------------------- */

#define JSON_MAX_DEPTH	16

/*
 * A streaming writer: each value knows whether a comma goes before it.
 * Indentation is fio's (tabs), so that a diff against fio output lines up.
 */
struct json {
	FILE *f;
	unsigned int depth;
	bool has_items[JSON_MAX_DEPTH];
};

/*
 * A JSON string: quotes, backslashes and control characters escaped, and
 * bytes that are not UTF-8 (a path can hold any) written as the code point
 * of the same value, so that the output always parses.
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void json_chars(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t n;

	while (*s) {
		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(f, "\\u%04x", *s);
				break;
			}
			n = utf8_len(s);
			if (!n) {
				fprintf(f, "\\u%04x", *s);
				break;
			}
			fwrite(s, 1, n, f);
			s += n - 1;
			break;
		}
		s++;
	}
}

static void json_string(FILE *f, const char *str)
{
	fputc('"', f);
	json_chars(f, str);
	fputc('"', f);
}

static void json_indent(struct json *j)
{
	unsigned int i;

	for (i = 0; i < j->depth; i++)
		fputc('\t', j->f);
}

/* The comma, newline, indentation and key before any value. */
static void json_prefix(struct json *j, const char *key)
{
	if (j->depth) {
		if (j->has_items[j->depth - 1])
			fputc(',', j->f);
		j->has_items[j->depth - 1] = true;
		fputc('\n', j->f);
	}
	json_indent(j);
	if (key) {
		json_string(j->f, key);
		fputs(" : ", j->f);
	}
}

static void json_open(struct json *j, const char *key, char c)
{
	json_prefix(j, key);
	fputc(c, j->f);
	/* Deeper than we ever nest: keep writing, commas may be off. */
	if (j->depth < JSON_MAX_DEPTH) {
		j->has_items[j->depth] = false;
		j->depth++;
	}
}

static void json_close(struct json *j, char c)
{
	bool items = false;

	if (j->depth) {
		j->depth--;
		items = j->has_items[j->depth];
	}
	if (items) {
		fputc('\n', j->f);
		json_indent(j);
	}
	fputc(c, j->f);
}

static void json_str(struct json *j, const char *key, const char *v)
{
	json_prefix(j, key);
	json_string(j->f, v);
}

static void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_prefix(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

static void json_i64(struct json *j, const char *key, int64_t v)
{
	json_prefix(j, key);
	fprintf(j->f, "%" PRId64, v);
}

static void json_dbl(struct json *j, const char *key, double v)
{
	json_prefix(j, key);
	fprintf(j->f, "%f", finite_or_0(v));
}

static void json_bool(struct json *j, const char *key, bool v)
{
	json_prefix(j, key);
	fputs(v ? "true" : "false", j->f);
}

static void json_lat(struct json *j, const char *key, const struct hist *h)
{
	char pct[32];
	unsigned int i;

	json_open(j, key, '{');
	json_u64(j, "min", h->count ? h->min : 0);
	json_u64(j, "max", h->max);
	json_dbl(j, "mean", hist_mean(h));
	json_dbl(j, "stddev", hist_stddev(h));
	json_u64(j, "N", h->count);
	json_open(j, "percentile", '{');
	for (i = 0; i < NR_PERCENTILES; i++) {
		/* fio's keys: "%f" of the percentile, "99.900000". */
		snprintf(pct, sizeof(pct), "%f", report_percentiles[i]);
		json_u64(j, pct, hist_percentile(h, report_percentiles[i]));
	}
	json_close(j, '}');
	json_close(j, '}');
}

static void json_dir(struct json *j, const char *key, const struct job_result *r,
		     int d)
{
	const struct dir_stats *ds = &r->dir[d];
	double bw = finite_or_0(result_bw_bytes(r, d));

	json_open(j, key, '{');
	json_u64(j, "io_bytes", ds->bytes);
	json_u64(j, "io_kbytes", ds->bytes / 1024);
	json_u64(j, "bw_bytes", (uint64_t)llround(bw));
	json_u64(j, "bw", (uint64_t)llround(bw / 1024));
	json_dbl(j, "iops", result_iops(r, d));
	json_u64(j, "runtime", ds->ios ? r->elapsed_ns / 1000000 : 0);
	json_u64(j, "total_ios", ds->ios);
	json_u64(j, "short_ios", 0);
	json_u64(j, "drop_ios", 0);
	/* No submission latency is measured: clat is the whole latency. */
	json_lat(j, "clat_ns", &ds->clat);
	json_lat(j, "lat_ns", &ds->clat);
	json_close(j, '}');
}

static void json_global(struct json *j, const struct options *opt,
			const struct report_target *tgt)
{
	char buf[64];
	unsigned int i;

	json_open(j, "global options", '{');
	/* fio separates the files of --filename with ':'. */
	json_prefix(j, "filename");
	fputc('"', j->f);
	if (opt->nr_files && opt->filenames[0]) {
		for (i = 0; i < opt->nr_files; i++) {
			if (i)
				fputc(':', j->f);
			json_chars(j->f, opt->filenames[i]);
		}
	} else {
		json_chars(j->f, tgt->path);
	}
	fputc('"', j->f);
	snprintf(buf, sizeof(buf), "%" PRIu64, tgt->size);
	json_str(j, "size", buf);
	json_str(j, "rw", rw_str(opt->rw));
	json_str(j, "bs", bs_str(opt->bs, buf, sizeof(buf)));
	snprintf(buf, sizeof(buf), "%u", opt->iodepth);
	json_str(j, "iodepth", buf);
	snprintf(buf, sizeof(buf), "%u", opt->numjobs);
	json_str(j, "numjobs", buf);
	snprintf(buf, sizeof(buf), "%u", opt->runtime);
	json_str(j, "runtime", buf);
	json_str(j, "direct", opt->direct ? "1" : "0");
	if (opt->verify != VERIFY_NONE)
		json_str(j, "verify", "crc32c");
	json_close(j, '}');
}

static void json_job(struct json *j, const struct job_result *r,
		     const struct workload_walk *w)
{
	char buf[32];
	double elapsed = (double)r->elapsed_ns;

	json_open(j, NULL, '{');
	json_str(j, "jobname", engine_str(r->engine));
	json_u64(j, "groupid", w->group);
	json_i64(j, "error", positive_errno(r->error));
	json_open(j, "job options", '{');
	json_str(j, "rw", rw_str(r->rw));
	json_str(j, "bs", bs_str(r->bs, buf, sizeof(buf)));
	snprintf(buf, sizeof(buf), "%u", r->iodepth);
	json_str(j, "iodepth", buf);
	snprintf(buf, sizeof(buf), "%u", r->numjobs);
	json_str(j, "numjobs", buf);
	json_str(j, "ioengine", engine_str(r->engine));
	json_close(j, '}');
	json_dir(j, "read", r, DIR_READ);
	json_dir(j, "write", r, DIR_WRITE);
	json_u64(j, "job_runtime", r->elapsed_ns / 1000000);
	json_dbl(j, "usr_cpu", ratio((double)r->usr_ns * 100, elapsed));
	json_dbl(j, "sys_cpu", ratio((double)r->sys_ns * 100, elapsed));
	json_u64(j, "ctx", 0);
	json_u64(j, "majf", 0);
	json_u64(j, "minf", 0);
	json_u64(j, "elapsed", (r->elapsed_ns + 999999999) / 1000000000);
	json_open(j, "pindio", '{');
	json_str(j, "engine", engine_str(r->engine));
	json_dbl(j, "cpu_per_io_ns", result_cpu_per_io_ns(r));
	json_u64(j, "pinned_bytes", r->pinned_bytes);
	json_u64(j, "pin_regions", r->pin_regions);
	json_u64(j, "register_ns", r->register_ns);
	json_bool(j, "vmpin_checked", r->vmpin_checked);
	json_bool(j, "vmpin_agrees", r->vmpin_agrees);
	json_i64(j, "vmpin_diff", r->vmpin_diff);
	json_u64(j, "verify_blocks", r->verify_blocks);
	json_u64(j, "verify_errors", r->verify_errors);
	json_dbl(j, "ratio_iops", ratio_iops(r, w->base));
	json_dbl(j, "ratio_cpu_per_io", ratio_cpu(r, w->base));
	json_close(j, '}');
	json_close(j, '}');
}

static void report_json(FILE *f, const struct options *opt,
			const struct report_target *tgt,
			struct job_result *const *results, unsigned int nr)
{
	struct workload_walk w = { 0 };
	struct json j = { .f = f };
	char when[64] = "";
	time_t now = time(NULL);
	struct tm tm;
	unsigned int i;

	if (localtime_r(&now, &tm))
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	json_open(&j, NULL, '{');
	json_str(&j, "fio version", "dio-bench-" PACKAGE_VERSION);
	json_i64(&j, "timestamp", (int64_t)now);
	json_i64(&j, "timestamp_ms", (int64_t)now * 1000);
	json_str(&j, "time", when);
	json_global(&j, opt, tgt);
	json_open(&j, "jobs", '[');
	for (i = 0; i < nr; i++) {
		workload_next(&w, results[i], i == 0);
		json_job(&j, results[i], &w);
	}
	json_close(&j, ']');
	json_close(&j, '}');
	fputc('\n', f);
}

/* ---- csv ----------------------------------------------------------------- */

/* RFC 4180: quoted only when it must be, quotes doubled. */
static void csv_field(FILE *f, const char *s, bool last)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (p = s; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void report_csv(FILE *f, struct job_result *const *results, unsigned int nr)
{
	unsigned int i, k;
	int d;

	fputs("engine,rw,bs,iodepth,numjobs,dir,iops,bw_bytes,clat_mean_ns,"
	      "clat_stddev_ns,p50_ns,p90_ns,p99_ns,p99_9_ns,p99_99_ns,usr_ns,"
	      "sys_ns,cpu_per_io_ns,pinned_bytes,pin_regions,register_ns,"
	      "verify_errors,error\n", f);
	for (i = 0; i < nr; i++) {
		const struct job_result *r = results[i];
		unsigned int mask = dir_mask(r);

		for (d = 0; d < NR_DIRS; d++) {
			const struct hist *h = &r->dir[d].clat;

			if (!(mask & (1U << d)))
				continue;
			csv_field(f, engine_str(r->engine), false);
			csv_field(f, rw_str(r->rw), false);
			fprintf(f, "%" PRIu64 ",%u,%u,%s,%.3f,%.0f,%.1f,%.1f",
				r->bs, r->iodepth, r->numjobs, dir_names[d],
				finite_or_0(result_iops(r, d)),
				finite_or_0(result_bw_bytes(r, d)),
				finite_or_0(hist_mean(h)),
				finite_or_0(hist_stddev(h)));
			for (k = 0; k < NR_PERCENTILES; k++)
				fprintf(f, ",%" PRIu64,
					hist_percentile(h, report_percentiles[k]));
			fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%.1f,%" PRIu64 ",%u,%"
				PRIu64 ",%" PRIu64 ",%d\n",
				r->usr_ns, r->sys_ns,
				finite_or_0(result_cpu_per_io_ns(r)),
				r->pinned_bytes, r->pin_regions, r->register_ns,
				r->verify_errors, positive_errno(r->error));
		}
	}
}

int report_write(FILE *f, const struct options *opt,
		 const struct report_target *tgt,
		 struct job_result *const *results, unsigned int nr)
{
	errno = 0;
	switch (opt->format) {
	case OUTPUT_JSON:
		report_json(f, opt, tgt, results, nr);
		break;
	case OUTPUT_CSV:
		report_csv(f, results, nr);
		break;
	default:
		report_normal(f, opt, tgt, results, nr);
		break;
	}
	/*
	 * stdio keeps the first failure: a full disk or a closed pipe shows
	 * here even when it happened in the middle of the report.
	 */
	if (fflush(f) != 0 || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}
