// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dio-bench: measure what registered (fixed) buffers buy over plain
 * O_DIRECT I/O through the same io_uring context, and over libaio,
 * pread/pwrite and splice, on the same workload, one engine after the
 * other.
 *
 *   uring-fixed  buffers from pindio_buf_alloc(), registered with the
 *                ring: READ_FIXED/WRITE_FIXED, no per-request pinning;
 *   uring        posix_memalign() memory through the same kind of ring:
 *                the kernel pins and unpins the pages of every request;
 *   libaio       the same plain memory through pindio's libaio backend;
 *   psync        pread(2)/pwrite(2), one request at a time per job;
 *   splice       reads only: file -> pipe -> /dev/null, no user memory.
 *
 * This file is the command: options, targets, the scratch file, signals,
 * the progress line.  The jobs are dio-job.c, the output dio-report.c.
 *
 * Exit status: 0 success, 1 I/O, library or verify error, 2 bad option.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pindio.h>

#include "dio-job.h"
#include "dio-options.h"
#include "dio-probe.h"
#include "dio-report.h"
#include "dio-stats.h"
#include "dio-verify.h"

#define EXIT_IO		1
#define EXIT_USAGE	2

#define DEF_SCRATCH	(256 * MIB)
#define FILL_CHUNK	MIB
#define SCRATCH_TMPL	"dio-bench.scratch.XXXXXX"
/* The default comparison's seconds per engine and workload. */
#define DEFAULT_CMP_RUNTIME	3U

/*
 * Set by the SIGINT/SIGTERM handler; everything else happens outside the
 * handler: the jobs stop and drain, the scratch file is removed, and then
 * the signal is raised again so our parent sees how we died.
 */
static volatile sig_atomic_t stop_signal;

/* The scratch file to remove at exit, if we created one. */
static char scratch_path[sizeof(SCRATCH_TMPL)];
static bool scratch_created;

static void on_signal(int signo)
{
	stop_signal = signo;
}

static void remove_scratch(void)
{
	if (!scratch_created)
		return;
	scratch_created = false;
	if (unlink(scratch_path) < 0 && errno != ENOENT)
		fprintf(stderr, "dio-bench: removing %s: %s\n", scratch_path,
			strerror(errno));
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the progress wait must return -EINTR at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Die the way the signal would have killed us, now that cleanup is done. */
static void reraise(int signo)
{
	signal(signo, SIG_DFL);
	raise(signo);
	/* Only reached if the signal is blocked or ignored by the parent. */
	exit(128 + signo);
}

static void __attribute__((format(printf, 1, 0), noreturn))
vbad_option(const char *fmt, va_list ap)
{
	fputs("dio-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'dio-bench --help' for more information.\n", stderr);
	remove_scratch();
	exit(EXIT_USAGE);
}

static void __attribute__((format(printf, 1, 2), noreturn))
bad_option(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad_option(fmt, ap);
	/* vbad_option() does not return, so va_end() would never run. */
	/* cppcheck-suppress va_end_missing */
}

/* parse_options()'s error callback. */
static void __attribute__((format(printf, 2, 0), noreturn))
option_error(void *data, const char *fmt, va_list ap)
{
	(void)data;
	vbad_option(fmt, ap);
}

/* ---- the scratch file --------------------------------------------------- */

/*
 * Create the scratch file empty: its O_DIRECT alignment is known as soon
 * as it exists, so bad --bs/--size values are refused before we spend
 * time writing it.
 */
static int create_scratch(void)
{
	int fd;

	memcpy(scratch_path, SCRATCH_TMPL, sizeof(SCRATCH_TMPL));
	fd = mkstemp(scratch_path);
	if (fd < 0) {
		fprintf(stderr, "dio-bench: creating %s in the current directory: %s\n",
			SCRATCH_TMPL, strerror(errno));
		return -1;
	}
	scratch_created = true;
	return fd;
}

/*
 * Random contents, so a device or filesystem that compresses or
 * deduplicates cannot make reads cheaper than they are; with --verify,
 * blocks with verify headers, so reads have something to check.
 * Written through the page cache and fsync()ed, so the direct I/O that
 * follows reads what is on the device.
 */
static int fill_scratch(int fd, const struct options *opt,
			const struct target *tgt)
{
	uint64_t off = 0, rng = 0x9e3779b97f4a7c15ULL, seq = 0;
	uint64_t size = tgt->offset + tgt->size;
	uint64_t chunk_len = FILL_CHUNK;
	char *chunk;
	int ret = 0;

	if (opt->verify != VERIFY_NONE)
		chunk_len = (FILL_CHUNK + opt->bs - 1) / opt->bs * opt->bs;
	chunk = malloc(chunk_len);
	if (!chunk) {
		fprintf(stderr, "dio-bench: filling %s: %s\n", scratch_path,
			strerror(ENOMEM));
		return EXIT_IO;
	}
	while (off < size && !stop_signal) {
		size_t len = size - off < chunk_len ? size - off : chunk_len;
		ssize_t n;

		if (opt->verify == VERIFY_NONE || off < tgt->offset) {
			/*
			 * Before --offset, a piece that ends there, so that
			 * the verify blocks start exactly at it.
			 */
			if (opt->verify != VERIFY_NONE && tgt->offset - off < len)
				len = (size_t)(tgt->offset - off);
			fill_random(chunk, len, &rng);
		} else {
			size_t b;

			/* Whole blocks from --offset on; the tail is filler. */
			for (b = 0; b + opt->bs <= len; b += opt->bs)
				verify_fill(chunk + b, opt->bs, off + b, opt->seed,
					    0, seq++);
			memset(chunk + b, 0, len - b);
		}
		n = pwrite(fd, chunk, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "dio-bench: filling %s at offset %llu: %s\n",
				scratch_path, (unsigned long long)off,
				strerror(errno));
			ret = EXIT_IO;
			goto out;
		}
		if ((uint64_t)n != len) {
			fprintf(stderr, "dio-bench: filling %s at offset %llu: short write\n",
				scratch_path, (unsigned long long)off);
			ret = EXIT_IO;
			goto out;
		}
		off += (uint64_t)n;
	}
	if (!stop_signal && fsync(fd) < 0) {
		fprintf(stderr, "dio-bench: fsync %s: %s\n", scratch_path,
			strerror(errno));
		ret = EXIT_IO;
		goto out;
	}
	/*
	 * Drop the now clean pages: an O_DIRECT write must invalidate any
	 * cached page it overlaps, and that cost does not belong in the
	 * measurement.  Advice only, so a failure changes nothing.
	 */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
out:
	free(chunk);
	return ret;
}

/* ---- targets -------------------------------------------------------------- */

static bool any_write(const struct options *opt, const struct workload *wls,
		      unsigned int nr)
{
	unsigned int i;

	(void)opt;
	for (i = 0; i < nr; i++)
		if (rw_has_write(wls[i].rw))
			return true;
	return false;
}

/*
 * --direct=0 (psync only): buffered I/O needs no alignment, and the
 * filesystem need not support O_DIRECT, so ask the kernel directly.
 */
static int buffered_geometry(bool writes, struct target *tgt, uint64_t *size)
{
	struct stat st;
	int fd, ret = 0;

	fd = open(tgt->path, (writes ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "dio-bench: %s: %s\n", tgt->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_IO;
	}
	*size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, size) < 0) {
		fprintf(stderr, "dio-bench: BLKGETSIZE64 %s: %s\n", tgt->path,
			strerror(errno));
		ret = EXIT_IO;
	}
	close(fd);
	tgt->mem_align = 1;
	tgt->offset_align = 1;
	return ret;
}

/* Open a target once through the library: its O_DIRECT alignment and size. */
static int direct_geometry(bool writes, struct target *tgt, uint64_t *size)
{
	struct pindio_ctx *ctx;
	struct pindio_file *file;
	int ret;

	ret = pindio_ctx_new(1, PINDIO_CTX_DEFAULT, &ctx);
	if (ret < 0) {
		fprintf(stderr, "dio-bench: pindio_ctx_new: %s\n", strerror(-ret));
		return EXIT_IO;
	}
	ret = pindio_file_open(ctx, tgt->path, writes ? O_RDWR : O_RDONLY, 0,
			       &file);
	if (ret < 0) {
		fprintf(stderr, "dio-bench: pindio_file_open(%s): %s\n",
			tgt->path, pindio_ctx_last_error(ctx));
		pindio_ctx_unref(ctx);
		return EXIT_IO;
	}
	tgt->mem_align = pindio_file_get_mem_align(file);
	tgt->offset_align = pindio_file_get_offset_align(file);
	ret = pindio_file_get_size(file, size);
	if (ret < 0)
		fprintf(stderr, "dio-bench: pindio_file_get_size(%s): %s\n",
			tgt->path, pindio_ctx_last_error(ctx));
	pindio_file_unref(file);
	pindio_ctx_unref(ctx);
	return ret < 0 ? EXIT_IO : 0;
}

/*
 * Learn a target's alignment and size, and check the options against
 * them.  Bad values exit with EXIT_USAGE; returns 0 or EXIT_IO.
 */
static int probe_target(const struct options *opt, bool writes,
			struct target *tgt)
{
	char a[32], b[32];
	uint64_t size = 0;
	int ret;

	ret = opt->direct ? direct_geometry(writes, tgt, &size) :
	      buffered_geometry(writes, tgt, &size);
	if (ret)
		return ret;

	/* A library that reports no alignment must not make us divide by 0. */
	if (!tgt->offset_align)
		tgt->offset_align = 1;
	if (!tgt->mem_align)
		tgt->mem_align = 1;

	if (opt->bs % tgt->offset_align)
		bad_option("--bs=%s: must be a multiple of the O_DIRECT offset alignment of %s, %u bytes",
			   human_size(opt->bs, a, sizeof(a)), tgt->path,
			   tgt->offset_align);
	if (opt->offset % tgt->offset_align)
		bad_option("--offset=%s: must be a multiple of the O_DIRECT offset alignment of %s, %u bytes",
			   human_size(opt->offset, a, sizeof(a)), tgt->path,
			   tgt->offset_align);
	tgt->offset = opt->offset;
	if (tgt->scratch) {
		tgt->size = opt->size ? opt->size : DEF_SCRATCH;
	} else if (opt->offset >= size) {
		bad_option("--offset=%s: at or past the end of %s, which has %llu bytes",
			   human_size(opt->offset, a, sizeof(a)), tgt->path,
			   (unsigned long long)size);
	} else if (opt->size) {
		if (opt->size > size - opt->offset)
			bad_option("--size=%s: larger than the %llu bytes of %s after --offset=%llu; give at most that, or omit --size to use all of it",
				   human_size(opt->size, a, sizeof(a)),
				   (unsigned long long)(size - opt->offset),
				   tgt->path, (unsigned long long)opt->offset);
		tgt->size = opt->size;
	} else {
		/* The aligned part; the file's tail is not O_DIRECT-able. */
		tgt->size = size - opt->offset;
		tgt->size -= tgt->size % tgt->offset_align;
	}
	if (tgt->size % tgt->offset_align)
		bad_option("--size=%s: must be a multiple of the O_DIRECT offset alignment of %s, %u bytes",
			   human_size(tgt->size, a, sizeof(a)), tgt->path,
			   tgt->offset_align);
	if (tgt->size / opt->bs < opt->numjobs)
		bad_option("--size=%s --bs=%s --numjobs=%u: %s holds %llu blocks; every job needs at least one: give a larger --size or fewer --numjobs",
			   human_size(tgt->size, a, sizeof(a)),
			   human_size(opt->bs, b, sizeof(b)), opt->numjobs,
			   tgt->path, (unsigned long long)(tgt->size / opt->bs));
	if (opt->verify != VERIFY_NONE &&
	    tgt->size / opt->bs / opt->numjobs <= opt->iodepth)
		bad_option("--verify: each job needs more blocks of %s than --iodepth=%u, so that no two requests in flight share a block; it has %llu: give a larger --size or a smaller --iodepth or --numjobs",
			   tgt->path, opt->iodepth,
			   (unsigned long long)(tgt->size / opt->bs / opt->numjobs));
	return 0;
}

static const char *target_kind(const struct target *tgt)
{
	return tgt->scratch ? "scratch file" :
	       tgt->blockdev ? "block device" : "file";
}

/* ---- the progress line ------------------------------------------------------ */

struct progress_state {
	bool tty;			/* draw the line at all */
	bool drawn;
	uint64_t start_ns;
	uint64_t last_ns;
	uint64_t last_ios;
	uint64_t last_bytes;
	const char *label;
};

/* engine_run()'s wait: sleep a little, pass signals on, draw once a second. */
static void progress_wait(struct engine_run *run, void *data)
{
	struct progress_state *ps = data;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 100L * 1000 * 1000 };
	uint64_t now, ios, bytes;
	double dt;

	nanosleep(&ts, NULL);
	if (stop_signal)
		atomic_store(&run->stop, true);
	if (!ps->tty)
		return;
	now = now_ns();
	if (now - ps->last_ns < 1000000000ULL)
		return;
	ios = atomic_load_explicit(&run->progress.ios, memory_order_relaxed);
	bytes = atomic_load_explicit(&run->progress.bytes, memory_order_relaxed);
	dt = (double)(now - ps->last_ns) / 1e9;
	printf("\r\033[K%s: %.0f s, %s%.0f IOPS, %.1f MiB/s", ps->label,
	       (double)(now - ps->start_ns) / 1e9,
	       atomic_load(&run->progress.measuring) ? "" : "ramp, ",
	       (double)(ios - ps->last_ios) / dt,
	       (double)(bytes - ps->last_bytes) / dt / (double)MIB);
	fflush(stdout);
	ps->drawn = true;
	ps->last_ns = now;
	ps->last_ios = ios;
	ps->last_bytes = bytes;
}

/* ---- running ---------------------------------------------------------------- */

static int run_one(const struct options *opt, const struct workload *wl,
		   enum engine_id engine, const struct target *tgts,
		   unsigned int nr_tgts, bool tty, struct job_result **out)
{
	struct engine_run run;
	struct progress_state ps;
	struct job_result *res;
	char label[96], h[32];
	int status;

	*out = NULL;
	res = job_result_new();
	if (!res) {
		fprintf(stderr, "dio-bench: %s\n", strerror(ENOMEM));
		return EXIT_IO;
	}
	memset(&run, 0, sizeof(run));
	run.opt = opt;
	run.wl = wl;
	run.engine = engine;
	run.targets = tgts;
	run.nr_targets = nr_tgts;
	snprintf(label, sizeof(label), "%s %s %s QD%u", engine_names[engine],
		 rw_names[wl->rw], human_size(wl->bs, h, sizeof(h)),
		 engine == ENGINE_PSYNC ? 1 : wl->iodepth);
	memset(&ps, 0, sizeof(ps));
	ps.tty = tty;
	ps.label = label;
	ps.start_ns = now_ns();
	ps.last_ns = ps.start_ns;

	status = engine_run(&run, res, progress_wait, &ps);
	if (ps.drawn) {
		printf("\r\033[K");
		fflush(stdout);
	}
	if (res->verify_errors)
		status = EXIT_IO;
	*out = res;
	return status ? EXIT_IO : 0;
}

/*
 * No option at all: the README's comparison.  4k random reads at QD32
 * show the per-request cost; 128k sequential reads at QD8 show the
 * per-page pinning that registered buffers avoid.
 */
static unsigned int default_comparison(struct options *opt,
				       struct workload *wls)
{
	opt->engines = 0;
	opt->nr_engines = 0;
	opt->order[opt->nr_engines++] = ENGINE_FIXED;
	opt->order[opt->nr_engines++] = ENGINE_PLAIN;
	opt->order[opt->nr_engines++] = ENGINE_AIO;
	opt->order[opt->nr_engines++] = ENGINE_PSYNC;
	opt->engines = (1U << ENGINE_FIXED) | (1U << ENGINE_PLAIN) |
		       (1U << ENGINE_AIO) | (1U << ENGINE_PSYNC);
	opt->runtime = DEFAULT_CMP_RUNTIME;
	wls[0] = (struct workload){ .rw = RW_RANDREAD, .bs = 4 * KIB, .iodepth = 32 };
	wls[1] = (struct workload){ .rw = RW_READ, .bs = 128 * KIB, .iodepth = 8 };
	/* probe_target() checks bs against the alignment: the larger one. */
	opt->bs = 4 * KIB;
	return 2;
}

/* @mem_align: the largest of the targets', which every buffer gets. */
static void check_buffers(const struct options *opt,
			  const struct workload *wls, unsigned int nr_wls,
			  uint32_t mem_align)
{
	unsigned int i;
	char h[32];

	if (!(opt->engines & (1U << ENGINE_FIXED)))
		return;
	for (i = 0; i < nr_wls; i++) {
		uint64_t len = slot_stride(wls[i].bs, mem_align) *
			       wls[i].iodepth * opt->numjobs;

		if (len > PINDIO_BUF_MAX_LEN)
			bad_option("--iodepth=%u --bs=%s --numjobs=%u: uring-fixed needs iodepth x bs x numjobs in one registered buffer, at most 1g",
				   wls[i].iodepth, human_size(wls[i].bs, h, sizeof(h)),
				   opt->numjobs);
	}
}

int main(int argc, char **argv)
{
	struct options opt;
	struct target tgts[MAX_FILES];
	struct workload wls[2];
	struct job_result *results[2 * NR_ENGINES] = { NULL };
	struct report_target rt;
	unsigned int nr_wls = 1, nr_results = 0, nr_tgts, i, w;
	uint32_t align;
	bool tty, writes;
	FILE *out = stdout;
	int out_fd = -1;
	bool out_created = false;
	struct stat st;
	int fd = -1, status = 0, ret;

	install_signals();
	/* Also when a job thread cannot be started (engine_run() exits). */
	atexit(remove_scratch);
	options_init(&opt);
	ret = parse_options(argc, argv, &opt, option_error, NULL);
	if (ret == OPTIONS_HELP) {
		options_usage(stdout);
		options_free(&opt);
		return EXIT_SUCCESS;
	}
	if (ret < 0)
		return EXIT_USAGE;	/* not reached: option_error() exits */
	if (opt.probe) {
		ret = dio_probe(opt.probe);
		options_free(&opt);
		return ret;
	}

	if (opt.default_comparison) {
		nr_wls = default_comparison(&opt, wls);
	} else {
		wls[0] = (struct workload){ .rw = opt.rw, .bs = opt.bs,
					    .iodepth = opt.iodepth };
	}
	writes = any_write(&opt, wls, nr_wls);

	memset(tgts, 0, sizeof(tgts));
	if (opt.nr_files) {
		nr_tgts = opt.nr_files;
		for (i = 0; i < nr_tgts; i++) {
			const char *path = opt.filenames[i];

			if (stat(path, &st) < 0)
				bad_option("--filename=%s: %s; give an existing file or block device, or omit --filename for a scratch file",
					   path, strerror(errno));
			if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
				bad_option("--filename=%s: not a regular file or block device",
					   path);
			tgts[i].path = path;
			tgts[i].blockdev = S_ISBLK(st.st_mode);
		}
	} else {
		nr_tgts = 1;
		fd = create_scratch();
		if (fd < 0)
			return EXIT_IO;
		tgts[0].path = scratch_path;
		tgts[0].scratch = true;
	}
	for (i = 0; i < nr_tgts; i++) {
		status = probe_target(&opt, writes, &tgts[i]);
		if (status)
			goto out;
	}
	for (w = 0; w < nr_wls; w++)
		if (wls[w].bs % tgts[0].offset_align)
			bad_option("the default comparison's %llu-byte blocks are not a multiple of the O_DIRECT offset alignment of %s (%u bytes); run dio-bench in a directory on another filesystem",
				   (unsigned long long)wls[w].bs, tgts[0].path,
				   tgts[0].offset_align);
	for (i = 0, align = 1; i < nr_tgts; i++)
		if (tgts[i].mem_align > align)
			align = tgts[i].mem_align;
	check_buffers(&opt, wls, nr_wls, align);

	/*
	 * --output is opened now, so that a bad path is said before the
	 * runs, but emptied only when the report is written: a run stopped
	 * by a signal leaves an existing file as it was (and removes one it
	 * created).
	 */
	if (opt.output) {
		out_fd = open(opt.output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (out_fd >= 0)
			out_created = true;
		else if (errno == EEXIST)
			out_fd = open(opt.output, O_WRONLY | O_CLOEXEC);
		if (out_fd < 0) {
			fprintf(stderr, "dio-bench: --output=%s: %s\n", opt.output,
				strerror(errno));
			status = EXIT_IO;
			goto out;
		}
	}

	if (tgts[0].scratch) {
		status = fill_scratch(fd, &opt, &tgts[0]);
		if (status || stop_signal)
			goto out;
	} else if (writes) {
		fprintf(stderr, "dio-bench: warning: --rw=%s overwrites the data in %s\n",
			rw_names[opt.rw], opt.filename_buf);
	}

	/* The progress line only where a person watches the report. */
	tty = !opt.output && opt.format == OUTPUT_NORMAL && isatty(STDOUT_FILENO);
	for (w = 0; w < nr_wls; w++) {
		for (i = 0; i < opt.nr_engines; i++) {
			ret = run_one(&opt, &wls[w], opt.order[i], tgts, nr_tgts,
				      tty, &results[nr_results]);
			/* None when there was no memory for one. */
			if (results[nr_results])
				nr_results++;
			if (ret)
				status = ret;
			if (stop_signal)
				goto out;
			/* A failed engine stops the run: its error is the news. */
			if (ret)
				goto report;
		}
	}

report:
	memset(&rt, 0, sizeof(rt));
	rt.path = tgts[0].path;
	rt.nr_files = nr_tgts;
	rt.kind = target_kind(&tgts[0]);
	rt.size = tgts[0].size;
	rt.mem_align = tgts[0].mem_align;
	rt.offset_align = tgts[0].offset_align;
	rt.buffered = !opt.direct;
	if (out_fd >= 0) {
		if (ftruncate(out_fd, 0) < 0 || !(out = fdopen(out_fd, "w"))) {
			fprintf(stderr, "dio-bench: --output=%s: %s\n", opt.output,
				strerror(errno));
			out = NULL;
			status = EXIT_IO;
			goto out;
		}
		out_fd = -1;	/* out owns it now */
		out_created = false;
	}
	ret = report_write(out, &opt, &rt, results, nr_results);
	if (ret < 0) {
		fprintf(stderr, "dio-bench: writing the report%s%s: %s\n",
			opt.output ? " to " : "", opt.output ? opt.output : "",
			strerror(-ret));
		status = EXIT_IO;
	}

out:
	for (i = 0; i < nr_results; i++)
		free(results[i]);
	if (out != stdout && out && fclose(out) != 0 && !status) {
		fprintf(stderr, "dio-bench: --output=%s: %s\n", opt.output,
			strerror(errno));
		status = EXIT_IO;
	}
	if (out_fd >= 0)
		close(out_fd);
	if (out_created)
		unlink(opt.output);
	if (fd >= 0)
		close(fd);
	remove_scratch();
	options_free(&opt);
	if (stop_signal) {
		fprintf(stderr, "dio-bench: stopped by %s\n",
			stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
		fflush(stdout);
		reraise(stop_signal);
	}
	return status;
}
