// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dio-bench: measure what registered (fixed) buffers buy over plain
 * O_DIRECT I/O through the same io_uring context, and over libaio and
 * splice.
 *
 * The engines run the same workload one after the other:
 *   uring-fixed  one buffer from pindio_buf_alloc(), registered with the
 *                ring, so every request is READ_FIXED/WRITE_FIXED and the
 *                kernel does not pin pages per request;
 *   uring        the same amount of posix_memalign() memory, so every
 *                request is a plain READ/WRITE that pins its pages itself;
 *   libaio       the same plain memory through pindio's libaio backend;
 *   splice       reads only: each request splices bs bytes of the file
 *                into /dev/null through a pipe (pindio_file_splice()), so
 *                no user memory at all; bandwidth is what it measures.
 *
 * Exit status: 0 success, 1 I/O or library error, 2 bad option.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pindio.h>

#include "dio-options.h"
#include "dio-probe.h"

#define EXIT_IO		1
#define EXIT_USAGE	2

#define DEF_SCRATCH	(256 * MIB)
#define FILL_CHUNK	MIB
#define SCRATCH_TMPL	"dio-bench.scratch.XXXXXX"

struct target {
	const char *path;
	bool scratch;
	bool blockdev;
	uint64_t size;			/* the region the workload covers */
	uint32_t mem_align;
	uint32_t offset_align;
};

struct result {
	uint64_t ios;
	uint64_t bytes;
	uint64_t lat_sum_ns;
	uint64_t elapsed_ns;
};

struct run;

/* One in-flight request: its own slice of the buffer. */
struct slot {
	struct run *run;
	char *buf;
	uint64_t offset;
	uint64_t start_ns;
	bool deferred;
};

struct run {
	enum engine_id engine;
	int null_fd;			/* splice target: /dev/null */
	const struct options *opt;
	const struct target *tgt;
	struct pindio_ctx *ctx;
	struct pindio_file *file;
	struct slot *slots;
	/*
	 * Slots whose next request the library refused with -EBUSY from
	 * inside a callback: queued again once pindio_ctx_reap() returns.
	 */
	struct slot **deferred;
	unsigned int nr_deferred;
	unsigned int inflight;
	uint64_t next_offset;		/* sequential workloads */
	uint64_t nr_blocks;		/* random workloads */
	uint64_t rng;
	bool stopping;
	bool failed;
	struct result res;
};

/*
 * Set by the SIGINT/SIGTERM handler; everything else happens outside the
 * handler: the I/O loop stops, the scratch file is removed, and then the
 * signal is raised again so our parent sees how we died.
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
	/*
	 * No SA_RESTART: a wait inside io_uring_enter() must return -EINTR
	 * so the loop sees the flag now rather than at the next timeout.
	 */
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: fast, and good enough to scatter offsets and fill data. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void fill_random(void *p, size_t len, uint64_t *state)
{
	unsigned char *c = p;

	while (len >= sizeof(uint64_t)) {
		uint64_t v = rng_next(state);

		memcpy(c, &v, sizeof(v));
		c += sizeof(v);
		len -= sizeof(v);
	}
	while (len--)
		*c++ = (unsigned char)rng_next(state);
}

/* ---- options ---------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: dio-bench [OPTION]...\n"
"Compare O_DIRECT I/O from registered buffers (uring-fixed) with plain\n"
"buffers (uring) through the same io_uring context, and with libaio and\n"
"splice.\n"
"\n"
"  --filename=PATH   existing file or block device; default: a scratch file\n"
"                    " SCRATCH_TMPL " in the current directory,\n"
"                    removed at exit\n"
"  --rw=MODE         read, write, randread or randwrite (default randread)\n"
"  --bs=SIZE         block size (default 4k); a multiple of the O_DIRECT\n"
"                    offset alignment, at most 1g\n"
"  --iodepth=N       requests in flight, 1-%u (default %u)\n"
"  --size=SIZE       bytes of the target to use; default 256m for the\n"
"                    scratch file, the whole file or device otherwise\n"
"  --runtime=SECS    seconds per engine, 1-%u (default %u)\n"
"  --engine=LIST     comma-separated engines to run in that order:\n"
"                    uring-fixed, uring, libaio, splice (reads only:\n"
"                    file -> pipe -> /dev/null), or all; default\n"
"                    uring-fixed,uring.  Ratios compare each to the first\n"
"  --pins            after each engine's run, print pindio's pin account\n"
"                    (every buffer, plain DMA in flight, the memlock\n"
"                    budget) and whether it agrees with the kernel's VmPin\n"
"  --probe=PATH      print what storage backs PATH (filesystem-DAX,\n"
"                    device-DAX or neither, the NVDIMM namespace behind\n"
"                    it) and its O_DIRECT alignment, then exit without\n"
"                    benchmarking\n"
"  --help            show this help\n"
"\n"
"SIZE is a number with an optional suffix k, m or g (powers of 1024).\n"
"Options take their value as --opt=value or --opt value.\n"
"Write workloads overwrite the data in --filename.\n"
"\n"
"Exit status: 0 success, 1 I/O or library error, 2 bad option.\n",
		MAX_IODEPTH, DEF_IODEPTH, MAX_RUNTIME, DEF_RUNTIME);
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
/* ---- the target ------------------------------------------------------- */

/* Report a failed library call with the context's explanation of it. */
static int lib_error(struct pindio_ctx *ctx, const char *fn, const char *what,
		     int err)
{
	const char *msg = ctx ? pindio_ctx_last_error(ctx) : "";

	fprintf(stderr, "dio-bench: %s%s%s%s: %s\n", fn, what ? "(" : "",
		what ? what : "", what ? ")" : "", *msg ? msg : strerror(-err));
	return EXIT_IO;
}

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
 * deduplicates cannot make reads cheaper than they are; written through
 * the page cache and fsync()ed so the direct I/O that follows reads
 * what is on the device.
 */
static int fill_scratch(int fd, uint64_t size)
{
	uint64_t off = 0, rng = 0x9e3779b97f4a7c15ULL;
	char *chunk;
	int ret = 0;

	chunk = malloc(FILL_CHUNK);
	if (!chunk) {
		fprintf(stderr, "dio-bench: filling %s: %s\n", scratch_path,
			strerror(ENOMEM));
		return EXIT_IO;
	}
	while (off < size && !stop_signal) {
		size_t len = size - off < FILL_CHUNK ? size - off : FILL_CHUNK;
		ssize_t n;

		fill_random(chunk, len, &rng);
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

static int open_flags(const struct options *opt)
{
	return opt->rw == RW_WRITE || opt->rw == RW_RANDWRITE ? O_RDWR : O_RDONLY;
}

static bool is_write(const struct options *opt)
{
	return opt->rw == RW_WRITE || opt->rw == RW_RANDWRITE;
}

/*
 * Open the target once through the library to learn its O_DIRECT
 * alignment and size, and check the options against them.  Bad values
 * exit with EXIT_USAGE; returns 0 or EXIT_IO.
 */
static int probe_target(const struct options *opt, struct target *tgt)
{
	struct pindio_ctx *ctx;
	struct pindio_file *file;
	char a[32], b[32];
	uint64_t size;
	int ret;

	ret = pindio_ctx_new(1, PINDIO_CTX_DEFAULT, &ctx);
	if (ret < 0) {
		fprintf(stderr, "dio-bench: pindio_ctx_new: %s\n", strerror(-ret));
		return EXIT_IO;
	}
	ret = pindio_file_open(ctx, tgt->path, open_flags(opt), 0, &file);
	if (ret < 0) {
		ret = lib_error(ctx, "pindio_file_open", tgt->path, ret);
		pindio_ctx_unref(ctx);
		return ret;
	}
	tgt->mem_align = pindio_file_get_mem_align(file);
	tgt->offset_align = pindio_file_get_offset_align(file);
	ret = pindio_file_get_size(file, &size);
	if (ret < 0) {
		ret = lib_error(ctx, "pindio_file_get_size", tgt->path, ret);
		pindio_file_unref(file);
		pindio_ctx_unref(ctx);
		return ret;
	}
	pindio_file_unref(file);
	pindio_ctx_unref(ctx);

	/* A library that reports no alignment must not make us divide by 0. */
	if (!tgt->offset_align)
		tgt->offset_align = 1;
	if (!tgt->mem_align)
		tgt->mem_align = 1;

	if (opt->bs % tgt->offset_align)
		bad_option("--bs=%s: must be a multiple of the O_DIRECT offset alignment of %s, %u bytes",
			   human_size(opt->bs, a, sizeof(a)), tgt->path,
			   tgt->offset_align);
	if (tgt->scratch) {
		tgt->size = opt->size ? opt->size : DEF_SCRATCH;
	} else if (opt->size) {
		if (opt->size > size)
			bad_option("--size=%s: larger than %s, which has %llu bytes (%s); give at most that, or omit --size to use all of it",
				   human_size(opt->size, a, sizeof(a)),
				   tgt->path, (unsigned long long)size,
				   human_size(size, b, sizeof(b)));
		tgt->size = opt->size;
	} else {
		if (size == 0)
			bad_option("--filename=%s: the file is empty; give a non-empty file or device, or omit --filename for a scratch file",
				   tgt->path);
		/* Use the aligned part of the file; its tail is not O_DIRECT-able. */
		tgt->size = size - size % tgt->offset_align;
	}
	if (tgt->size % tgt->offset_align)
		bad_option("--size=%s: must be a multiple of the O_DIRECT offset alignment of %s, %u bytes",
			   human_size(tgt->size, a, sizeof(a)), tgt->path,
			   tgt->offset_align);
	if (tgt->size < opt->bs && !tgt->scratch && !opt->size)
		bad_option("--bs=%s: larger than the %llu usable bytes of %s; the target must hold at least one block",
			   human_size(opt->bs, b, sizeof(b)),
			   (unsigned long long)tgt->size, tgt->path);
	if (tgt->size < opt->bs)
		bad_option("--size=%s: smaller than --bs=%s; the target must hold at least one block",
			   human_size(tgt->size, a, sizeof(a)),
			   human_size(opt->bs, b, sizeof(b)));
	return 0;
}

/* Bytes between two slots: bs, rounded up so every slice is aligned. */
static uint64_t slot_stride(const struct options *opt, const struct target *tgt)
{
	uint64_t a = tgt->mem_align;

	return (opt->bs + a - 1) / a * a;
}

/* ---- the I/O loop ----------------------------------------------------- */

static uint64_t next_offset(struct run *run)
{
	uint64_t off;

	if (run->opt->rw == RW_RANDREAD || run->opt->rw == RW_RANDWRITE)
		return rng_next(&run->rng) % run->nr_blocks * run->opt->bs;
	off = run->next_offset;
	run->next_offset += run->opt->bs;
	if (run->next_offset + run->opt->bs > run->tgt->size)
		run->next_offset = 0;
	return off;
}

static void complete(void *data, int res);

/*
 * Queue the next request of @slot.  Returns 0, -EBUSY when the library
 * has no free request (the caller may retry after reaping), or another
 * negative errno after reporting it.
 */
static int queue_slot(struct slot *slot)
{
	struct run *run = slot->run;
	const char *fn;
	int ret;

	/* A deferred slot retries the offset it was refused for. */
	if (!slot->deferred)
		slot->offset = next_offset(run);
	slot->start_ns = now_ns();
	if (run->engine == ENGINE_SPLICE) {
		fn = "pindio_file_splice";
		ret = pindio_file_splice(run->file, slot->offset, run->null_fd,
					 PINDIO_SPLICE_NO_OFFSET, run->opt->bs,
					 complete, slot);
	} else if (is_write(run->opt)) {
		fn = "pindio_file_write";
		ret = pindio_file_write(run->file, slot->buf, run->opt->bs,
					slot->offset, complete, slot);
	} else {
		fn = "pindio_file_read";
		ret = pindio_file_read(run->file, slot->buf, run->opt->bs,
				       slot->offset, complete, slot);
	}
	if (ret == 0) {
		run->inflight++;
		return 0;
	}
	if (ret == -EBUSY)
		return ret;
	fprintf(stderr, "dio-bench: %s(offset %llu): %s\n", fn,
		(unsigned long long)slot->offset,
		pindio_ctx_last_error(run->ctx));
	run->failed = true;
	run->stopping = true;
	return ret;
}

static void complete(void *data, int res)
{
	struct slot *slot = data;
	struct run *run = slot->run;
	uint64_t now = now_ns();

	run->inflight--;
	if (res < 0 || (uint64_t)res != run->opt->bs) {
		/* Offsets never reach past the size, so a short count is an error too. */
		fprintf(stderr, "dio-bench: %s at offset %llu of %s: %s\n",
			is_write(run->opt) ? "write" : "read",
			(unsigned long long)slot->offset, run->tgt->path,
			res < 0 ? strerror(-res) : "short transfer");
		if (res >= 0)
			fprintf(stderr, "dio-bench: %d of %llu bytes transferred\n",
				res, (unsigned long long)run->opt->bs);
		run->failed = true;
		run->stopping = true;
		return;
	}
	run->res.ios++;
	run->res.bytes += (uint64_t)res;
	run->res.lat_sum_ns += now - slot->start_ns;

	if (run->stopping || stop_signal)
		return;
	/*
	 * Queue the slot's next request right away: the reap call that
	 * follows submits it in the same io_uring_enter() that waits.
	 */
	if (queue_slot(slot) == -EBUSY) {
		slot->deferred = true;
		run->deferred[run->nr_deferred++] = slot;
	}
}

static int flush_deferred(struct run *run)
{
	while (run->nr_deferred && !run->stopping && !stop_signal) {
		struct slot *slot = run->deferred[run->nr_deferred - 1];
		int ret = queue_slot(slot);

		/*
		 * Once reap has returned, every completed request is back in
		 * the pool: a refusal now means the library counts more in
		 * flight than we do, and waiting will not fix that.
		 */
		if (ret == -EBUSY) {
			fprintf(stderr, "dio-bench: %s: %s\n",
				is_write(run->opt) ? "pindio_file_write" :
				"pindio_file_read", pindio_ctx_last_error(run->ctx));
			run->failed = true;
			run->stopping = true;
			return ret;
		}
		if (ret < 0)
			return ret;
		slot->deferred = false;
		run->nr_deferred--;
	}
	return 0;
}

/*
 * Wait for everything in flight; its callbacks still count.  Signals
 * only interrupt the wait, they do not end it: the buffers must not go
 * away under the kernel.
 */
static int drain(struct run *run)
{
	int ret;

	run->stopping = true;
	while (run->inflight) {
		ret = pindio_ctx_reap(run->ctx, 1, 1000);
		if (ret == -EINTR || ret >= 0)
			continue;
		lib_error(run->ctx, "pindio_ctx_reap", NULL, ret);
		return EXIT_IO;
	}
	return 0;
}

static int io_loop(struct run *run)
{
	uint64_t start, deadline;
	unsigned int i;
	int ret, status = 0;

	start = now_ns();
	deadline = start + (uint64_t)run->opt->runtime * 1000000000ULL;
	for (i = 0; i < run->opt->iodepth; i++) {
		ret = queue_slot(&run->slots[i]);
		if (ret == -EBUSY) {
			fprintf(stderr, "dio-bench: queueing request %u of %u: %s\n",
				i + 1, run->opt->iodepth,
				pindio_ctx_last_error(run->ctx));
			run->failed = true;
			run->stopping = true;
		}
		if (ret < 0)
			break;
	}
	while (!run->stopping && !stop_signal) {
		ret = pindio_ctx_reap(run->ctx, 1, 1000);
		if (ret < 0 && ret != -EINTR) {
			status = lib_error(run->ctx, "pindio_ctx_reap", NULL, ret);
			break;
		}
		if (flush_deferred(run) < 0)
			break;
		if (now_ns() >= deadline)
			break;
	}
	ret = drain(run);
	if (!status)
		status = ret;
	run->res.elapsed_ns = now_ns() - start;
	if (run->failed && !status)
		status = EXIT_IO;
	return status;
}

/* The account while the engine's buffer is still registered. */
static void print_pins(struct pindio_ctx *ctx, enum engine_id engine)
{
	int64_t diff = 0;
	int ret;

	printf("pin account after %s:\n", engine_names[engine]);
	pindio_ctx_dump_pins(ctx, stdout);
	ret = pindio_ctx_check_pins(ctx, &diff);
	if (ret == 0)
		printf("VmPin check: the kernel agrees\n");
	else
		printf("VmPin check: %s\n", pindio_ctx_last_error(ctx));
}

static int run_engine(enum engine_id engine, const struct options *opt,
		      const struct target *tgt, struct result *res)
{
	struct run run;
	struct pindio_buf *pbuf = NULL;
	char *mem = NULL;
	uint64_t stride = slot_stride(opt, tgt);
	size_t len = (size_t)(stride * opt->iodepth);
	unsigned int i;
	int ret, status;

	memset(&run, 0, sizeof(run));
	run.engine = engine;
	run.null_fd = -1;
	run.opt = opt;
	run.tgt = tgt;
	run.nr_blocks = tgt->size / opt->bs;
	/* The same seed for both engines: they see the same offsets. */
	run.rng = 0x853c49e6748fea9bULL;

	/*
	 * The io_uring engines must not fall back to libaio behind our
	 * back; a splice holds two of the context's requests.
	 */
	ret = pindio_ctx_new(engine == ENGINE_SPLICE ? 2 * opt->iodepth :
			     opt->iodepth,
			     engine == ENGINE_AIO ? PINDIO_CTX_LIBAIO :
			     PINDIO_CTX_DEFAULT | PINDIO_CTX_NO_FALLBACK,
			     &run.ctx);
	if (ret < 0) {
		fprintf(stderr, "dio-bench: pindio_ctx_new(%u) for engine %s: %s\n",
			opt->iodepth, engine_names[engine], strerror(-ret));
		if (ret == -ENOSYS || ret == -EPERM)
			fprintf(stderr, "dio-bench: io_uring is not available here; --engine=libaio still runs\n");
		return EXIT_IO;
	}
	status = EXIT_IO;
	ret = pindio_file_open(run.ctx, tgt->path, open_flags(opt), 0, &run.file);
	if (ret < 0) {
		lib_error(run.ctx, "pindio_file_open", tgt->path, ret);
		goto out_ctx;
	}

	if (engine == ENGINE_SPLICE) {
		run.null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (run.null_fd < 0) {
			fprintf(stderr, "dio-bench: /dev/null: %s\n",
				strerror(errno));
			goto out_file;
		}
	} else if (engine == ENGINE_FIXED) {
		ret = pindio_buf_alloc(run.ctx, len, 0, &pbuf);
		if (ret < 0) {
			char h[32];

			lib_error(run.ctx, "pindio_buf_alloc",
				  human_size(len, h, sizeof(h)), ret);
			if (ret == -ENOMEM)
				fprintf(stderr, "dio-bench: registered buffers are charged to RLIMIT_MEMLOCK (ulimit -l) without CAP_IPC_LOCK; lower --iodepth or --bs, or use --engine=uring\n");
			goto out_file;
		}
		mem = pindio_buf_get_addr(pbuf);
	} else {
		size_t align = tgt->mem_align > 4096 ? tgt->mem_align : 4096;
		void *p;

		ret = posix_memalign(&p, align, len);
		if (ret) {
			fprintf(stderr, "dio-bench: posix_memalign(%zu, %zu): %s\n",
				align, len, strerror(ret));
			goto out_file;
		}
		mem = p;
	}
	/* Writes carry random data, for the same reason the scratch file does. */
	if (mem && is_write(opt)) {
		uint64_t rng = 0xda942042e4dd58b5ULL;

		fill_random(mem, len, &rng);
	}

	run.slots = calloc(opt->iodepth, sizeof(*run.slots));
	run.deferred = calloc(opt->iodepth, sizeof(*run.deferred));
	if (!run.slots || !run.deferred) {
		fprintf(stderr, "dio-bench: %s\n", strerror(ENOMEM));
		goto out_mem;
	}
	for (i = 0; i < opt->iodepth; i++) {
		run.slots[i].run = &run;
		run.slots[i].buf = mem ? mem + (size_t)(i * stride) : NULL;
	}

	status = io_loop(&run);
	*res = run.res;
	if (opt->pins)
		print_pins(run.ctx, engine);

out_mem:
	free(run.deferred);
	free(run.slots);
	if (pbuf)
		pindio_buf_unref(pbuf);
	else
		free(mem);
	if (run.null_fd >= 0)
		close(run.null_fd);
out_file:
	pindio_file_unref(run.file);
out_ctx:
	pindio_ctx_unref(run.ctx);
	return status;
}

/* ---- report ----------------------------------------------------------- */

static double iops_of(const struct result *r)
{
	return r->elapsed_ns ? (double)r->ios * 1e9 / (double)r->elapsed_ns : 0.0;
}

static void print_target(const struct target *tgt)
{
	char h[32];

	printf("target: %s (%s), size %s (%llu bytes), O_DIRECT alignment: mem %u, offset %u\n",
	       tgt->path,
	       tgt->scratch ? "scratch file" :
	       tgt->blockdev ? "block device" : "file",
	       human_size(tgt->size, h, sizeof(h)),
	       (unsigned long long)tgt->size, tgt->mem_align, tgt->offset_align);
}

static void print_header(void)
{
	printf("%-12s %-10s %6s %8s %12s %10s %14s\n", "engine", "rw", "bs",
	       "iodepth", "IOPS", "MiB/s", "lat-mean(us)");
}

static void print_row(enum engine_id engine, const struct options *opt,
		      const struct result *r)
{
	double secs = (double)r->elapsed_ns / 1e9;
	char h[32];

	printf("%-12s %-10s %6s %8u %12.0f %10.1f %14.1f\n",
	       engine_names[engine], rw_names[opt->rw],
	       human_size(opt->bs, h, sizeof(h)), opt->iodepth, iops_of(r),
	       secs > 0 ? (double)r->bytes / (double)MIB / secs : 0.0,
	       r->ios ? (double)r->lat_sum_ns / (double)r->ios / 1e3 : 0.0);
}

/*
 * The default pair keeps its historical line, fixed over plain; any other
 * list compares every engine with the first one given.
 */
static void print_ratios(const struct options *opt,
			 const struct result *results)
{
	enum engine_id base = opt->order[0], e;
	double b;
	unsigned int i;

	if (opt->engines == DEFAULT_ENGINES) {
		double plain = iops_of(&results[ENGINE_PLAIN]);

		if (plain > 0)
			printf("ratio uring-fixed/uring IOPS: %.3f\n",
			       iops_of(&results[ENGINE_FIXED]) / plain);
		else
			printf("ratio uring-fixed/uring IOPS: n/a (uring did no I/O)\n");
		return;
	}
	b = iops_of(&results[base]);
	for (i = 1; i < opt->nr_engines; i++) {
		e = opt->order[i];
		if (b > 0)
			printf("ratio %s/%s bandwidth: %.3f\n", engine_names[e],
			       engine_names[base], iops_of(&results[e]) / b);
		else
			printf("ratio %s/%s bandwidth: n/a (%s did no I/O)\n",
			       engine_names[e], engine_names[base],
			       engine_names[base]);
	}
}

int main(int argc, char **argv)
{
	struct options opt;
	struct result results[NR_ENGINES];
	struct target tgt;
	struct stat st;
	unsigned int i;
	int fd = -1, status = 0, ret;

	install_signals();
	options_init(&opt);
	ret = parse_options(argc, argv, &opt, option_error, NULL);
	if (ret == OPTIONS_HELP) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if (ret < 0)
		return EXIT_USAGE;	/* not reached: option_error() exits */
	if (opt.probe)
		return dio_probe(opt.probe);

	memset(&tgt, 0, sizeof(tgt));
	memset(results, 0, sizeof(results));
	if (opt.filename) {
		if (stat(opt.filename, &st) < 0)
			bad_option("--filename=%s: %s; give an existing file or block device, or omit --filename for a scratch file",
				   opt.filename, strerror(errno));
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
			bad_option("--filename=%s: not a regular file or block device",
				   opt.filename);
		tgt.path = opt.filename;
		tgt.blockdev = S_ISBLK(st.st_mode);
	} else {
		fd = create_scratch();
		if (fd < 0)
			return EXIT_IO;
		tgt.path = scratch_path;
		tgt.scratch = true;
	}

	if ((opt.engines & (1U << ENGINE_SPLICE)) && is_write(&opt))
		bad_option("--engine=splice --rw=%s: splice reads the file into /dev/null; use --rw=read or randread, or leave splice out",
			   rw_names[opt.rw]);
	status = probe_target(&opt, &tgt);
	if (status)
		goto out;
	if ((opt.engines & (1U << ENGINE_FIXED)) &&
	    slot_stride(&opt, &tgt) * opt.iodepth > PINDIO_BUF_MAX_LEN) {
		char h[32];

		bad_option("--iodepth=%u --bs=%s: uring-fixed needs iodepth x bs in one registered buffer, at most 1g",
			   opt.iodepth, human_size(opt.bs, h, sizeof(h)));
	}
	if (tgt.scratch) {
		status = fill_scratch(fd, tgt.size);
		if (status || stop_signal)
			goto out;
	} else if (is_write(&opt)) {
		fprintf(stderr, "dio-bench: warning: --rw=%s overwrites the data in %s\n",
			rw_names[opt.rw], tgt.path);
	}

	print_target(&tgt);
	fflush(stdout);
	for (i = 0; i < opt.nr_engines; i++) {
		status = run_engine(opt.order[i], &opt, &tgt,
				    &results[opt.order[i]]);
		if (status || stop_signal)
			goto out;
	}

	print_header();
	for (i = 0; i < opt.nr_engines; i++)
		print_row(opt.order[i], &opt, &results[opt.order[i]]);
	print_ratios(&opt, results);

out:
	if (fd >= 0)
		close(fd);
	remove_scratch();
	if (stop_signal) {
		fprintf(stderr, "dio-bench: stopped by %s\n",
			stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
		fflush(stdout);
		reraise(stop_signal);
	}
	return status;
}
