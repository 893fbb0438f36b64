// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dio-bench's jobs (dio-job.h): the threads that do the I/O of one
 * engine, their buffers, and the I/O loop.
 *
 * Every job owns the blocks b of each file with b % numjobs == its
 * number, so jobs never write the same block and --verify can trust
 * what it reads.  A job keeps iodepth requests in flight: a completion
 * callback queues its slot's next request at once, and the reap call
 * that follows submits it in the same io_uring_enter() that waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <pindio.h>

#include "dio-job.h"
#include "dio-verify.h"


#define HUGE_2M		(2UL << 20)
/*
 * What the request path touches is laid out by cache line: between two
 * reaps the kernel's work (most of the CPU time per I/O) can evict it,
 * and every line it comes back to is then a miss.  Slots are one line
 * each, the job's hot fields come first, and jobs on different threads
 * never share a line.
 */
#define CACHE_LINE	64

#define unlikely(x)	__builtin_expect(!!(x), 0)
#define force_inline	inline __attribute__((always_inline))

struct job;

/* One request slot: its own slice of the job's buffer. */
struct slot {
	struct job *job;
	char *buf;
	size_t buf_off;			/* in the registered buffer */
	unsigned int file;
	uint64_t offset;
	uint64_t start_ns;
	bool write;
	bool measured;			/* queued while measuring */
	bool busy;			/* in flight */
	bool deferred;			/* refused with -EBUSY in a callback */
} __attribute__((aligned(CACHE_LINE)));

/* What a job keeps of one file, together. */
struct job_file {
	struct pindio_file *file;
	uint64_t base;			/* offset of the job's first block */
	uint64_t nr_blocks;		/* the job's blocks in the file */
	uint64_t seqpos;		/* sequential: the next of them */
	uint64_t *written;		/* verify: bitmap of blocks written */
	int fd;				/* psync */
};

/* What the jobs of one engine run share. */
struct shared {
	struct engine_run *run;
	pthread_barrier_t barrier;
	pthread_mutex_t clone_lock;
	/* uring-fixed with numjobs > 1: one buffer, cloned into every ring */
	struct pindio_ctx *src_ctx;
	struct pindio_buf *src_buf;
	uint64_t register_ns;
};

struct job {
	/*
	 * The request path's fields, first.  The workload's figures it needs
	 * are copied here (job_init()), not read through opt and wl.
	 */
	struct pindio_ctx *ctx;
	struct pindio_buf *pbuf;	/* uring-fixed */
	struct engine_run *run;
	struct job_result *res;
	struct slot **deferred;
	unsigned int nr_deferred;
	unsigned int inflight;
	uint64_t now;			/* clock read by this reap's first completion, 0 */
	uint64_t rng;
	uint64_t bs;
	uint64_t block_stride;		/* bytes from one of the job's blocks to
					 * the next: numjobs * bs */
	uint64_t issued;		/* bytes queued while measuring */
	uint64_t io_limit;		/* 0: none */
	uint64_t prog_ios;		/* not yet added to run->progress */
	/* completions with one latency, not yet counted (account()) */
	uint64_t run_lat;
	uint64_t run_n;
	bool run_write;
	enum engine_id engine;
	unsigned int next_file;
	unsigned int nr_files;
	unsigned int batch;		/* --iodepth_batch */
	unsigned int rwmixread;
	bool random;			/* random offsets */
	bool mixed;			/* reads and writes (--rwmixread) */
	bool writes;			/* not mixed: writes only */
	bool verify;			/* --verify */
	bool measuring;
	bool counting;			/* what is queued now is measured:
					 * measuring, and not reading back */
	bool stopping;
	bool failed;
	/* read-back of written blocks after a --verify write workload */
	bool readback;
	unsigned int rb_file;
	uint64_t rb_block;

	struct shared *sh;
	const struct options *opt;
	const struct workload *wl;
	unsigned int id;
	pthread_t thread;
	bool started;
	int null_fd;			/* splice target */
	char *mem;			/* the job's slots' memory */
	void *map;			/* what to free: mmap()ed or malloc()ed */
	size_t map_len;
	struct slot *slots;
	unsigned int depth;		/* slots in use: 1 for psync */
	uint64_t seq;			/* blocks written, for the header */
	uint64_t measure_start;
	uint64_t deadline;		/* 0: none */
	struct rusage ru_start;
	uint64_t end_ns;
	struct job_file jf[MAX_FILES];
} __attribute__((aligned(CACHE_LINE)));

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: fast, and good enough to scatter offsets and fill data. */
uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void fill_random(void *p, size_t len, uint64_t *state)
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

uint32_t targets_mem_align(const struct engine_run *run)
{
	uint32_t a = 1;
	unsigned int f;

	for (f = 0; f < run->nr_targets; f++)
		if (run->targets[f].mem_align > a)
			a = run->targets[f].mem_align;
	return a;
}

uint64_t slot_stride(uint64_t bs, uint32_t mem_align)
{
	uint64_t a = mem_align ? mem_align : 1;

	return (bs + a - 1) / a * a;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ULL +
	       (uint64_t)tv->tv_usec * 1000ULL;
}

static const char *job_fn_name(const struct job *job, bool write)
{
	switch (job->run->engine) {
	case ENGINE_SPLICE:
		return "pindio_file_splice";
	case ENGINE_FIXED:
		return write ? "pindio_file_write_fixed" : "pindio_file_read_fixed";
	case ENGINE_PSYNC:
		return write ? "pwrite" : "pread";
	default:
		return write ? "pindio_file_write" : "pindio_file_read";
	}
}

static void job_fail(struct job *job, int err)
{
	if (!job->res->error)
		job->res->error = err;
	job->failed = true;
	job->stopping = true;
}

/* ---- offsets ------------------------------------------------------------ */

static bool offset_in_flight(const struct job *job, unsigned int file,
			     uint64_t offset)
{
	unsigned int i;

	for (i = 0; i < job->depth; i++)
		if (job->slots[i].busy && job->slots[i].file == file &&
		    job->slots[i].offset == offset)
			return true;
	return false;
}

static uint64_t block_offset(const struct job *job, unsigned int f, uint64_t k)
{
	return job->jf[f].base + k * job->block_stride;
}

/* A block of @jf's for the next request: sequential or random. */
static inline uint64_t draw_block(struct job *job, struct job_file *jf)
{
	uint64_t k;

	if (job->random) {
		/* Multiply-shift, not %: no division per request. */
		return (uint64_t)(((unsigned __int128)rng_next(&job->rng) *
				   jf->nr_blocks) >> 64);
	}
	k = jf->seqpos;
	jf->seqpos = k + 1 == jf->nr_blocks ? 0 : k + 1;
	return k;
}

/* --verify: block @k of file @f, or another one if it is in flight. */
static __attribute__((noinline)) uint64_t
free_block(struct job *job, unsigned int f, uint64_t k)
{
	struct job_file *jf = &job->jf[f];
	unsigned int tries;

	for (tries = 1; tries < 64 &&
	     offset_in_flight(job, f, block_offset(job, f, k)); tries++)
		k = draw_block(job, jf);
	/* Unlucky draws: the next free block, and one exists (depth < blocks). */
	while (offset_in_flight(job, f, block_offset(job, f, k)))
		k = k + 1 == jf->nr_blocks ? 0 : k + 1;
	return k;
}

/*
 * The next block of the workload for @slot: files round-robin, then
 * sequential or random among the job's blocks.  With --verify, a block
 * already in flight is skipped: a read racing a write to the same block
 * could see half of each (dio-bench.c makes sure a job has more blocks
 * than requests).
 */
static inline void next_offset(struct job *job, struct slot *slot)
{
	unsigned int f = job->next_file;
	struct job_file *jf = &job->jf[f];
	uint64_t k = draw_block(job, jf);

	job->next_file = f + 1 == job->nr_files ? 0 : f + 1;
	if (unlikely(job->verify))
		k = free_block(job, f, k);
	slot->file = f;
	slot->offset = block_offset(job, f, k);
	slot->write = job->mixed ?
		      rng_next(&job->rng) % 100 >= job->rwmixread : job->writes;
	if (slot->write && jf->written)
		jf->written[k / 64] |= 1ULL << (k % 64);
}

/* The next written block to read back; false when none is left. */
static bool next_readback(struct job *job, struct slot *slot)
{
	while (job->rb_file < job->run->nr_targets) {
		unsigned int f = job->rb_file;
		uint64_t k = job->rb_block;

		while (k < job->jf[f].nr_blocks) {
			uint64_t w = job->jf[f].written[k / 64] >> (k % 64);

			if (!w) {
				k = (k / 64 + 1) * 64;
				continue;
			}
			k += (uint64_t)__builtin_ctzll(w);
			if (k >= job->jf[f].nr_blocks)
				break;
			job->rb_block = k + 1;
			slot->file = f;
			slot->offset = block_offset(job, f, k);
			slot->write = false;
			return true;
		}
		job->rb_file++;
		job->rb_block = 0;
	}
	return false;
}

/* ---- requests --------------------------------------------------------- */

static void complete(void *data, int res);

/*
 * --io_size: the bytes issued while measuring, so that exactly that many
 * are transferred (requests in flight when it is reached are not extra).
 */
static bool io_limit_reached(const struct job *job)
{
	return job->io_limit && job->counting && job->issued >= job->io_limit;
}

/*
 * Queue @slot's next request.  Returns 0, 1 when there is nothing left to
 * do (read-back finished), -EBUSY when the library has no free request
 * (retry after reaping), or another negative errno after reporting it.
 * Inline: flush_deferred() calls it for every request, and as a call of
 * its own it cost ~18 instructions a request in saving and restoring
 * registers (callgrind, bench/NOTES.md step 11).
 */
static force_inline int queue_slot(struct slot *slot, uint64_t now)
{
	struct job *job = slot->job;
	struct pindio_file *file;
	uint64_t bs = job->bs;
	int ret;

	if (!slot->deferred) {
		if (job->readback) {
			if (!next_readback(job, slot))
				return 1;
		} else {
			if (io_limit_reached(job))
				return 1;
			next_offset(job, slot);
		}
		if (slot->write && job->verify)
			verify_fill(slot->buf, bs, slot->offset, job->opt->seed,
				    job->id, job->seq++);
	}
	file = job->jf[slot->file].file;
	slot->start_ns = now;
	switch (job->engine) {
	case ENGINE_SPLICE:
		ret = pindio_file_splice(file, slot->offset,
					 job->null_fd, PINDIO_SPLICE_NO_OFFSET,
					 bs, complete, slot);
		break;
	case ENGINE_FIXED:
		ret = slot->write ?
			pindio_file_write_fixed(file, job->pbuf, slot->buf_off,
						bs, slot->offset, complete,
						slot) :
			pindio_file_read_fixed(file, job->pbuf, slot->buf_off,
					       bs, slot->offset, complete, slot);
		break;
	default:
		ret = slot->write ?
			pindio_file_write(file, slot->buf, bs, slot->offset,
					  complete, slot) :
			pindio_file_read(file, slot->buf, bs, slot->offset,
					 complete, slot);
		break;
	}
	if (ret == 0) {
		slot->busy = true;
		job->inflight++;
		slot->measured = job->counting;
		if (slot->measured)
			job->issued += bs;
		return 0;
	}
	if (ret == -EBUSY)
		return ret;
	fprintf(stderr, "dio-bench: %s(%s, offset %llu): %s\n",
		job_fn_name(job, slot->write),
		job->run->targets[slot->file].path,
		(unsigned long long)slot->offset,
		pindio_ctx_last_error(job->ctx));
	job_fail(job, ret);
	return ret;
}

/* Check a block just read; false (after reporting it) when it is bad. */
static bool check_block(struct job *job, const struct slot *slot)
{
	struct verify_error err;
	char msg[256];

	job->res->verify_blocks++;
	if (verify_check(slot->buf, job->bs, slot->offset, &err) == 0)
		return true;
	job->res->verify_errors++;
	verify_describe(&err, slot->offset, msg, sizeof(msg));
	fprintf(stderr, "dio-bench: verify: %s: %s\n",
		job->run->targets[slot->file].path, msg);
	return false;
}

/*
 * Count the completions account() has been gathering: @run_n requests
 * in one direction that took @run_lat ns each.
 */
static void account_run(struct job *job)
{
	struct dir_stats *d;
	uint64_t n = job->run_n;

	if (!n)
		return;
	d = &job->res->dir[job->run_write ? DIR_WRITE : DIR_READ];
	d->ios += n;
	d->bytes += n * job->bs;
	hist_add_n(&d->clat, job->run_lat, n);
	job->prog_ios += n;
	job->run_n = 0;
}

/*
 * Count a completed request.  Requests queued before the ramp was over,
 * and read-back requests, are not part of the measurement.  Requests
 * are counted in runs of equal latency: a batch is queued with one clock
 * read and reaped with another, so with --iodepth_batch at the queue
 * depth a reap's whole batch is one histogram update instead of one per
 * request.  publish_progress() counts the last run of each reap.
 */
static inline void account(struct job *job, const struct slot *slot,
			   uint64_t now)
{
	uint64_t lat;

	if (!slot->measured)
		return;
	lat = now - slot->start_ns;
	if (lat == job->run_lat && slot->write == job->run_write) {
		job->run_n++;
		return;
	}
	account_run(job);
	job->run_lat = lat;
	job->run_write = slot->write;
	job->run_n = 1;
}

/*
 * A request failed or came up short.  Offsets never reach past the
 * region: a short count is an error.  Only the job's first one is told:
 * the requests in flight with it usually fail the same way.
 */
static void request_failed(struct job *job, const struct slot *slot, int res)
{
	if (!job->failed) {
		fprintf(stderr, "dio-bench: %s at offset %llu of %s: %s\n",
			slot->write ? "write" : "read",
			(unsigned long long)slot->offset,
			job->run->targets[slot->file].path,
			res < 0 ? strerror(-res) : "short transfer");
		if (res >= 0)
			fprintf(stderr, "dio-bench: %d of %llu bytes transferred\n",
				res, (unsigned long long)job->bs);
		if (res == -EOPNOTSUPP && job->opt->hipri)
			fprintf(stderr, "dio-bench: --hipri polls for completions (IOPOLL), which needs a block device with poll queues (for NVMe, the nvme module's poll_queues); leave --hipri out here\n");
	}
	job_fail(job, res < 0 ? res : -EIO);
}

/*
 * With --iodepth_batch=1: queue @slot's next request at once, and submit
 * it on its own (out of complete(), whose batched path stays short).
 */
static __attribute__((noinline)) void requeue(struct slot *slot, uint64_t now)
{
	struct job *job = slot->job;
	int ret = queue_slot(slot, now);

	if (ret == 0) {
		/*
		 * fio's iodepth_batch=1: each request enters the kernel on
		 * its own.  Three or more in one io_uring_enter() or
		 * io_submit() go under one block plug, which merges
		 * sequential requests: on the root disk here, 128k reads
		 * reached the device as ~285 KiB requests at ~11k IOPS, where
		 * fio's stayed 128 KiB and got up to 18k (bench/NOTES.md).
		 */
		pindio_ctx_submit(job->ctx);
	} else if (ret == -EBUSY) {
		slot->deferred = true;
		job->deferred[job->nr_deferred++] = slot;
	}
}

static void complete(void *data, int res)
{
	struct slot *slot = data;
	struct job *job = slot->job;
	uint64_t now;

	/*
	 * One clock read per reap: a request completes, for us, when the
	 * reap that delivers it returns, and the clock costs more per
	 * request than anything else dio-bench does.
	 */
	if (!job->now)
		job->now = now_ns();
	now = job->now;

	job->inflight--;
	slot->busy = false;
	/* An error is negative: as a uint64_t, never bs. */
	if (unlikely((uint64_t)res != job->bs)) {
		request_failed(job, slot, res);
		return;
	}
	if (unlikely(job->verify) && !slot->write &&
	    job->engine != ENGINE_SPLICE && !check_block(job, slot)) {
		job_fail(job, -EILSEQ);
		return;
	}
	account(job, slot, now);
	/*
	 * A stop asked for (run->stop) is seen once this reap returns
	 * (async_loop()), not here: a shared line read per request.
	 */
	if (job->stopping)
		return;
	/* --iodepth_batch: queued together once a batch is ready. */
	if (job->batch > 1) {
		job->deferred[job->nr_deferred++] = slot;
		return;
	}
	requeue(slot, now);
}

/*
 * Queue the slots set aside in callbacks: the ones the library refused
 * with -EBUSY (slot->deferred: same offset again), and with
 * --iodepth_batch the ones waiting for a whole batch, which goes once
 * it is complete or nothing else is in flight.
 */
static int flush_deferred(struct job *job, uint64_t *clock)
{
	uint64_t now;

	if (job->nr_deferred < job->batch && job->inflight)
		return 0;
	now = now_ns();
	*clock = now;
	while (job->nr_deferred && !job->stopping) {
		struct slot *slot = job->deferred[job->nr_deferred - 1];
		int ret = queue_slot(slot, now);

		/*
		 * Once reap has returned, every completed request is back in
		 * the pool: a refusal now means the library counts more in
		 * flight than we do, and waiting will not fix that.
		 */
		if (ret == -EBUSY) {
			fprintf(stderr, "dio-bench: %s: %s\n",
				job_fn_name(job, slot->write),
				pindio_ctx_last_error(job->ctx));
			job_fail(job, ret);
			return ret;
		}
		if (ret < 0)
			return ret;
		slot->deferred = false;
		job->nr_deferred--;
	}
	return 0;
}

/*
 * Wait for everything in flight; its callbacks still count.  The
 * buffers must not go away under the kernel, so nothing but a library
 * error ends the wait.
 */
static int drain(struct job *job)
{
	int ret;

	job->stopping = true;
	while (job->inflight) {
		ret = pindio_ctx_reap(job->ctx, 1, 1000);
		job->now = 0;
		if (ret == -EINTR || ret >= 0)
			continue;
		fprintf(stderr, "dio-bench: pindio_ctx_reap: %s\n",
			pindio_ctx_last_error(job->ctx));
		job_fail(job, ret);
		return ret;
	}
	return 0;
}

/* Count the last run of completions, and show what was counted. */
static void publish_progress(struct job *job)
{
	struct progress *p = &job->run->progress;

	account_run(job);
	if (job->prog_ios) {
		atomic_fetch_add_explicit(&p->ios, job->prog_ios,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&p->bytes, job->prog_ios * job->bs,
					  memory_order_relaxed);
		job->prog_ios = 0;
	}
}

static void start_measuring(struct job *job, uint64_t now)
{
	job->measuring = true;
	job->counting = true;
	job->measure_start = now;
	getrusage(RUSAGE_THREAD, &job->ru_start);
	if (job->id == 0)
		atomic_store(&job->run->progress.measuring, true);
}

static void stop_measuring(struct job *job)
{
	struct rusage ru;

	job->end_ns = now_ns();
	if (!job->measuring)
		return;
	getrusage(RUSAGE_THREAD, &ru);
	job->res->usr_ns = tv_ns(&ru.ru_utime) - tv_ns(&job->ru_start.ru_utime);
	job->res->sys_ns = tv_ns(&ru.ru_stime) - tv_ns(&job->ru_start.ru_stime);
	job->res->elapsed_ns = job->end_ns - job->measure_start;
}

/*
 * Is it time to stop (runtime, signal), or to start measuring?  @now: the
 * clock as the caller read it a moment ago, or 0.
 */
static bool check_clock(struct job *job, uint64_t now)
{
	if (!now)
		now = now_ns();
	if (atomic_load_explicit(&job->run->stop, memory_order_relaxed))
		return true;
	if (!job->measuring && now >= job->measure_start)
		start_measuring(job, now);
	return job->deadline && now >= job->deadline;
}

/* Fill the queue, then reap and refill until told to stop. */
static int async_loop(struct job *job)
{
	unsigned int i, batch = job->opt->iodepth_batch;
	unsigned int batch_complete = job->opt->iodepth_batch_complete;
	int ret;

	for (i = 0; i < job->depth && !job->stopping; i++) {
		ret = queue_slot(&job->slots[i], now_ns());
		if (ret == 1)
			break;
		if (ret == -EBUSY) {
			fprintf(stderr, "dio-bench: queueing request %u of %u: %s\n",
				i + 1, job->depth, pindio_ctx_last_error(job->ctx));
			job_fail(job, ret);
		}
		if (ret < 0)
			break;
		/* --iodepth_batch: submit in groups of that many. */
		if ((i + 1) % batch == 0)
			pindio_ctx_submit(job->ctx);
	}
	while (!job->stopping && job->inflight) {
		unsigned int min = batch_complete < job->inflight ?
				   batch_complete : job->inflight;
		uint64_t clock;

		/*
		 * With iodepth_batch_complete_min=1, as fio's loop does:
		 * collect what has completed without sleeping, and sleep only
		 * when nothing has.  Waiting for a batch asks for the sleep.
		 */
		ret = min == 1 ? pindio_ctx_reap(job->ctx, 0, 0) : 0;
		/*
		 * Without a timeout: a timed wait arms a timer per wait, which
		 * cost ~5% of the IOPS at 4k (bench/NOTES.md).  Requests are
		 * in flight, so a completion ends the wait; a stop asked for
		 * meanwhile is seen right after it.
		 */
		if (ret == 0)
			ret = pindio_ctx_reap(job->ctx, min, -1);
		clock = job->now;
		job->now = 0;
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "dio-bench: pindio_ctx_reap: %s\n",
				pindio_ctx_last_error(job->ctx));
			job_fail(job, ret);
			break;
		}
		if (flush_deferred(job, &clock) < 0)
			break;
		/*
		 * Submit what flush_deferred() queued (a batch, or requests
		 * the library refused in a callback) now rather than with the
		 * next reap, as fio's commit does: measured on a loop device
		 * over tmpfs (bench/NOTES.md), this gives ~15% more IOPS for
		 * ~10% less CPU per I/O than submitting in the enter that
		 * collects.  With a batch to complete, the reap that waits
		 * submits it.  Single requests were submitted in complete().
		 */
		if (min == 1)
			pindio_ctx_submit(job->ctx);
		publish_progress(job);
		/*
		 * The last clock read (by the completions, or for the
		 * requests flush_deferred() queued) does: a read costs ~22 ns
		 * in a loop here, more after a trip through the kernel.
		 * Reading back has no clock to watch, only a stop (^C).
		 */
		if (job->readback ?
		    atomic_load_explicit(&job->run->stop,
					 memory_order_relaxed) :
		    check_clock(job, clock))
			break;
	}
	ret = drain(job);
	publish_progress(job);
	return ret;
}

/* psync: one request at a time with pread(2)/pwrite(2). */
static int sync_loop(struct job *job)
{
	struct slot *slot = &job->slots[0];
	uint64_t bs = job->bs;
	unsigned int n = 0;

	while (!job->stopping) {
		ssize_t res;

		if (job->readback) {
			if (!next_readback(job, slot))
				break;
		} else {
			if (io_limit_reached(job))
				break;
			next_offset(job, slot);
		}
		if (slot->write && job->verify)
			verify_fill(slot->buf, bs, slot->offset, job->opt->seed,
				    job->id, job->seq++);
		slot->start_ns = now_ns();
		slot->measured = job->counting;
		if (slot->measured)
			job->issued += bs;
		if (slot->write)
			res = pwrite(job->jf[slot->file].fd, slot->buf, bs,
				     (off_t)slot->offset);
		else
			res = pread(job->jf[slot->file].fd, slot->buf, bs,
				    (off_t)slot->offset);
		if (res < 0 && errno == EINTR)
			continue;
		if (res < 0 || (uint64_t)res != bs) {
			int err = res < 0 ? errno : EIO;

			fprintf(stderr, "dio-bench: %s at offset %llu of %s: %s\n",
				slot->write ? "pwrite" : "pread",
				(unsigned long long)slot->offset,
				job->run->targets[slot->file].path,
				res < 0 ? strerror(err) : "short transfer");
			job_fail(job, -err);
			break;
		}
		if (!slot->write && job->verify && !check_block(job, slot)) {
			job_fail(job, -EILSEQ);
			break;
		}
		account(job, slot, now_ns());
		/* The clock is read once per 64 requests: cheap enough either way. */
		if (!job->readback && (++n % 64 == 0 || job->stopping)) {
			publish_progress(job);
			if (check_clock(job, 0))
				break;
		}
	}
	publish_progress(job);
	return job->failed ? -EIO : 0;
}

/* ---- setup ------------------------------------------------------------ */

/*
 * Plain memory for the slots: page-aligned, or on 2 MiB pages with
 * --hugepages (transparent huge pages, so no hugetlb reservation is
 * needed; without THP it is 4 KiB pages, as pindio_buf_alloc() does).
 */
static int alloc_plain(struct job *job, size_t len)
{
	size_t map_len;
	char *p;

	if (!job->opt->hugepages) {
		size_t align = targets_mem_align(job->run) > 4096 ?
			       targets_mem_align(job->run) : 4096;
		void *m;
		int ret = posix_memalign(&m, align, len);

		if (ret)
			return -ret;
		job->map = m;
		job->mem = m;
		return 0;
	}
	map_len = (len + HUGE_2M - 1) / HUGE_2M * HUGE_2M + HUGE_2M;
	p = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	job->map = p;
	job->map_len = map_len;
	job->mem = (char *)(((uintptr_t)p + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
	madvise(job->mem, map_len - HUGE_2M, MADV_HUGEPAGE);
	return 0;
}

static void free_plain(struct job *job)
{
	if (job->map_len)
		munmap(job->map, job->map_len);
	else
		free(job->map);
	job->map = NULL;
	job->mem = NULL;
}

static unsigned int ctx_flags(const struct job *job, bool single_issuer)
{
	unsigned int flags;

	if (job->run->engine == ENGINE_AIO)
		return PINDIO_CTX_LIBAIO;
	/* The io_uring engines must never become libaio behind our back. */
	flags = PINDIO_CTX_NO_FALLBACK | PINDIO_CTX_COOP_TASKRUN;
	if (single_issuer)
		flags |= PINDIO_CTX_SINGLE_ISSUER | PINDIO_CTX_DEFER_TASKRUN;
	if (job->opt->sqpoll)
		flags = (flags & ~(PINDIO_CTX_COOP_TASKRUN |
				   PINDIO_CTX_DEFER_TASKRUN)) | PINDIO_CTX_SQPOLL;
	if (job->opt->hipri)
		flags |= PINDIO_CTX_IOPOLL;
	if (!job->opt->registerfiles)
		flags |= PINDIO_CTX_NO_FIXED_FILES;
	return flags;
}

/*
 * O_NOATIME, as fio's t/io_uring opens its files: reads would otherwise
 * update the access time as they go, which is not what is measured.  The
 * kernel allows it only to the file's owner (or CAP_FOWNER): job_open()
 * opens without it when it is refused.
 */
static int open_flags(const struct job *job)
{
	return (rw_has_write(job->wl->rw) ? O_RDWR : O_RDONLY) | O_NOATIME;
}

static int job_open(struct job *job)
{
	unsigned int f;
	int ret;

	for (f = 0; f < job->run->nr_targets; f++) {
		const char *path = job->run->targets[f].path;

		if (job->run->engine == ENGINE_PSYNC) {
			int fl = open_flags(job) | O_CLOEXEC |
				 (job->opt->direct ? O_DIRECT : 0);

			job->jf[f].fd = open(path, fl);
			if (job->jf[f].fd < 0 && errno == EPERM)
				job->jf[f].fd = open(path, fl & ~O_NOATIME);
			if (job->jf[f].fd < 0) {
				ret = -errno;
				fprintf(stderr, "dio-bench: open %s: %s\n", path,
					strerror(errno));
				return ret;
			}
			continue;
		}
		ret = pindio_file_open(job->ctx, path, open_flags(job), 0,
				       &job->jf[f].file);
		if (ret == -EPERM)
			ret = pindio_file_open(job->ctx, path,
					       open_flags(job) & ~O_NOATIME, 0,
					       &job->jf[f].file);
		if (ret < 0) {
			fprintf(stderr, "dio-bench: pindio_file_open(%s): %s\n",
				path, pindio_ctx_last_error(job->ctx));
			return ret;
		}
	}
	return 0;
}

/* uring-fixed: the job's registered buffer, its own or a clone. */
static int job_fixed_buf(struct job *job, size_t len)
{
	struct shared *sh = job->sh;
	uint64_t t0 = now_ns();
	char h[32];
	int ret;

	if (!sh->src_ctx) {
		ret = pindio_buf_alloc(job->ctx, len,
				       job->opt->hugepages ? PINDIO_BUF_HUGE : 0,
				       &job->pbuf);
		if (ret < 0) {
			fprintf(stderr, "dio-bench: pindio_buf_alloc(%s): %s\n",
				human_size(len, h, sizeof(h)),
				pindio_ctx_last_error(job->ctx));
			if (ret == -ENOMEM)
				fprintf(stderr, "dio-bench: registered buffers are charged to RLIMIT_MEMLOCK (ulimit -l) without CAP_IPC_LOCK; lower --iodepth, --bs or --numjobs, or use --engine=uring\n");
			return ret;
		}
		job->res->register_ns = now_ns() - t0;
		job->mem = pindio_buf_get_addr(job->pbuf);
		return 0;
	}
	/* pindio_ctx_clone_bufs() wants nobody else using the source. */
	pthread_mutex_lock(&sh->clone_lock);
	ret = pindio_ctx_clone_bufs(job->ctx, sh->src_ctx);
	pthread_mutex_unlock(&sh->clone_lock);
	if (ret < 0) {
		fprintf(stderr, "dio-bench: pindio_ctx_clone_bufs: %s\n",
			pindio_ctx_last_error(job->ctx));
		return ret;
	}
	job->res->register_ns = now_ns() - t0;
	job->pbuf = pindio_buf_get_first(job->ctx);
	job->mem = (char *)pindio_buf_get_addr(job->pbuf) + (size_t)job->id * len;
	return 0;
}

static int job_setup(struct job *job)
{
	const struct workload *wl = job->wl;
	uint64_t stride = slot_stride(wl->bs, targets_mem_align(job->run));
	unsigned int f, i;
	size_t len;
	int ret;

	job->depth = job->run->engine == ENGINE_PSYNC ? 1 : wl->iodepth;
	len = (size_t)(stride * job->depth);
	for (f = 0; f < job->nr_files; f++) {
		const struct target *t = &job->run->targets[f];
		struct job_file *jf = &job->jf[f];
		uint64_t blocks = t->size / wl->bs;

		/* dio-bench.c made sure every job has at least one block. */
		jf->nr_blocks = (blocks - job->id + job->opt->numjobs - 1) /
				job->opt->numjobs;
		jf->base = t->offset + job->id * wl->bs;
		if (job->verify && rw_has_write(wl->rw)) {
			jf->written = calloc((jf->nr_blocks + 63) / 64,
					     sizeof(uint64_t));
			if (!jf->written)
				return -ENOMEM;
		}
	}

	if (job->run->engine != ENGINE_PSYNC) {
		unsigned int depth = job->run->engine == ENGINE_SPLICE ?
				     2 * job->depth : job->depth;

		ret = pindio_ctx_new(depth, ctx_flags(job, true), &job->ctx);
		if (ret < 0) {
			fprintf(stderr, "dio-bench: pindio_ctx_new(%u) for engine %s: %s\n",
				depth, engine_names[job->run->engine],
				strerror(-ret));
			if (ret == -ENOSYS || ret == -EPERM)
				fprintf(stderr, "dio-bench: io_uring is not available here; --engine=libaio still runs\n");
			return ret;
		}
	}
	ret = job_open(job);
	if (ret < 0)
		return ret;

	if (job->run->engine == ENGINE_SPLICE) {
		job->null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (job->null_fd < 0) {
			ret = -errno;
			fprintf(stderr, "dio-bench: /dev/null: %s\n", strerror(errno));
			return ret;
		}
	} else if (job->run->engine == ENGINE_FIXED) {
		ret = job_fixed_buf(job, len);
		if (ret < 0)
			return ret;
	} else {
		ret = alloc_plain(job, len);
		if (ret < 0) {
			fprintf(stderr, "dio-bench: allocating %zu bytes of buffers: %s\n",
				len, strerror(-ret));
			return ret;
		}
	}
	/* Writes carry random data, so nothing can compress or dedupe them. */
	if (job->mem && rw_has_write(wl->rw) && job->opt->verify == VERIFY_NONE) {
		uint64_t rng = 0xda942042e4dd58b5ULL ^ job->id;

		fill_random(job->mem, len, &rng);
	}

	if (posix_memalign((void **)&job->slots, CACHE_LINE,
			   job->depth * sizeof(*job->slots)))
		return -ENOMEM;
	memset(job->slots, 0, job->depth * sizeof(*job->slots));
	job->deferred = calloc(job->depth, sizeof(*job->deferred));
	if (!job->deferred)
		return -ENOMEM;
	for (i = 0; i < job->depth; i++) {
		job->slots[i].job = job;
		job->slots[i].buf_off = (size_t)(i * stride);
		if (job->mem)
			job->slots[i].buf = job->mem + job->slots[i].buf_off;
		if (job->run->engine == ENGINE_FIXED)
			job->slots[i].buf_off = (size_t)(job->slots[i].buf -
				(char *)pindio_buf_get_addr(job->pbuf));
	}
	return 0;
}

static void job_teardown(struct job *job)
{
	unsigned int f;

	free(job->deferred);
	free(job->slots);
	/*
	 * The job's own registered buffer is its reference to drop; a
	 * clone belongs to the context and goes with it.
	 */
	if (job->run->engine != ENGINE_FIXED)
		free_plain(job);
	else if (!job->sh->src_ctx)
		pindio_buf_unref(job->pbuf);
	if (job->null_fd >= 0)
		close(job->null_fd);
	for (f = 0; f < job->nr_files; f++) {
		pindio_file_unref(job->jf[f].file);
		if (job->jf[f].fd >= 0)
			close(job->jf[f].fd);
		free(job->jf[f].written);
	}
	pindio_ctx_unref(job->ctx);
	job->ctx = NULL;
}

/*
 * With every job's I/O done and their buffers still registered, job 0
 * reads the process's pin account and checks it against VmPin.
 */
static void job_pin_figures(struct job *job)
{
	struct pindio_pin_stats st;
	struct job_result *r = job->res;

	if (job->run->engine != ENGINE_FIXED || job->id != 0)
		return;
	if (pindio_process_get_pin_stats(&st, sizeof(st)) == 0) {
		r->pinned_bytes = st.pinned_bytes;
		r->pin_regions = st.nr_registered;
	}
	r->vmpin_checked = true;
	r->vmpin_agrees = pindio_ctx_check_pins(job->ctx, &r->vmpin_diff) == 0;
	if (!r->vmpin_agrees)
		fprintf(stderr, "dio-bench: VmPin check: %s\n",
			pindio_ctx_last_error(job->ctx));
	if (job->opt->pins) {
		/* Never inside a JSON or CSV document on stdout. */
		FILE *f = job->opt->format == OUTPUT_NORMAL || job->opt->output ?
			  stdout : stderr;

		fprintf(f, "pin account after %s:\n", engine_names[job->run->engine]);
		pindio_ctx_dump_pins(job->ctx, f);
		fflush(f);
	}
}

static void *job_main(void *arg)
{
	struct job *job = arg;
	uint64_t start;
	int ret;

	ret = job_setup(job);
	if (ret < 0)
		job_fail(job, ret);
	/* Every job starts together, after every buffer is registered. */
	pthread_barrier_wait(&job->sh->barrier);
	if (!job->failed) {
		start = now_ns();
		job->measure_start = start + (uint64_t)job->opt->ramp_time * 1000000000ULL;
		if (job->opt->runtime_set || !job->opt->io_size)
			job->deadline = job->measure_start +
					(uint64_t)job->opt->runtime * 1000000000ULL;
		job->io_limit = job->opt->io_size;
		if (!job->opt->ramp_time)
			start_measuring(job, start);
		ret = job->run->engine == ENGINE_PSYNC ? sync_loop(job) :
		      async_loop(job);
		stop_measuring(job);
		/* --verify after writes: read back every block written. */
		if (!job->failed && job->jf[0].written &&
		    !atomic_load(&job->run->stop)) {
			unsigned int i;

			job->readback = true;
			job->counting = false;
			job->stopping = false;
			job->nr_deferred = 0;
			for (i = 0; i < job->depth; i++)
				job->slots[i].deferred = false;
			ret = job->run->engine == ENGINE_PSYNC ? sync_loop(job) :
			      async_loop(job);
		}
	}
	/* Keep the buffers registered until job 0 has read the account. */
	pthread_barrier_wait(&job->sh->barrier);
	if (job->ctx)
		job_pin_figures(job);
	pthread_barrier_wait(&job->sh->barrier);
	job_teardown(job);
	(void)ret;
	return NULL;
}

/* Job @id of @sh's run, before its thread starts. */
static void job_init(struct job *job, struct shared *sh, unsigned int id)
{
	struct engine_run *run = sh->run;
	const struct options *opt = run->opt;
	enum rw_mode rw = run->wl->rw;
	unsigned int f;

	job->sh = sh;
	job->run = run;
	job->opt = opt;
	job->wl = run->wl;
	job->id = id;
	job->null_fd = -1;
	for (f = 0; f < MAX_FILES; f++)
		job->jf[f].fd = -1;
	job->rng = opt->seed ^ (0x9e3779b97f4a7c15ULL * (id + 1));
	if (!job->rng)
		job->rng = 1;
	job->engine = run->engine;
	job->nr_files = run->nr_targets;
	job->bs = run->wl->bs;
	job->block_stride = (uint64_t)opt->numjobs * run->wl->bs;
	job->batch = opt->iodepth_batch;
	job->rwmixread = opt->rwmixread;
	job->random = rw_is_random(rw);
	job->mixed = rw == RW_RW || rw == RW_RANDRW;
	job->writes = rw_has_write(rw);
	job->verify = opt->verify != VERIFY_NONE;
}

/* uring-fixed with several jobs: one buffer, registered once, cloned. */
static int shared_buf_setup(struct shared *sh, const struct engine_run *run)
{
	const struct workload *wl = run->wl;
	uint64_t stride = slot_stride(wl->bs, targets_mem_align(run));
	size_t len = (size_t)(stride * wl->iodepth * run->opt->numjobs);
	struct job probe = { .run = (struct engine_run *)run, .opt = run->opt };
	uint64_t t0;
	char h[32];
	int ret;

	/* Rings on other threads clone from it: no SINGLE_ISSUER here. */
	ret = pindio_ctx_new(1, ctx_flags(&probe, false), &sh->src_ctx);
	if (ret < 0) {
		fprintf(stderr, "dio-bench: pindio_ctx_new for the shared buffer: %s\n",
			strerror(-ret));
		return ret;
	}
	t0 = now_ns();
	ret = pindio_buf_alloc(sh->src_ctx, len,
			       run->opt->hugepages ? PINDIO_BUF_HUGE : 0,
			       &sh->src_buf);
	if (ret < 0) {
		fprintf(stderr, "dio-bench: pindio_buf_alloc(%s) shared by %u jobs: %s\n",
			human_size(len, h, sizeof(h)), run->opt->numjobs,
			pindio_ctx_last_error(sh->src_ctx));
		if (ret == -ENOMEM)
			fprintf(stderr, "dio-bench: registered buffers are charged to RLIMIT_MEMLOCK (ulimit -l) without CAP_IPC_LOCK; lower --iodepth, --bs or --numjobs, or use --engine=uring\n");
		pindio_ctx_unref(sh->src_ctx);
		sh->src_ctx = NULL;
		return ret;
	}
	sh->register_ns = now_ns() - t0;
	return 0;
}

int engine_run(struct engine_run *run, struct job_result *res,
	       void (*wait)(struct engine_run *run, void *data), void *data)
{
	unsigned int n = run->opt->numjobs, i;
	struct shared sh;
	struct job *jobs;
	sigset_t all, old;
	int status = 0, ret;

	memset(&sh, 0, sizeof(sh));
	sh.run = run;
	res->engine = run->engine;
	res->rw = run->wl->rw;
	res->bs = run->wl->bs;
	res->iodepth = run->engine == ENGINE_PSYNC ? 1 : run->wl->iodepth;
	res->numjobs = n;

	if (posix_memalign((void **)&jobs, CACHE_LINE, n * sizeof(*jobs))) {
		fprintf(stderr, "dio-bench: %s\n", strerror(ENOMEM));
		return 1;
	}
	memset(jobs, 0, n * sizeof(*jobs));
	if (run->engine == ENGINE_FIXED && n > 1 &&
	    shared_buf_setup(&sh, run) < 0) {
		free(jobs);
		return 1;
	}
	pthread_barrier_init(&sh.barrier, NULL, n);
	pthread_mutex_init(&sh.clone_lock, NULL);

	/* Signals go to the caller's thread, which tells the jobs. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < n; i++) {
		struct job *job = &jobs[i];

		job_init(job, &sh, i);
		job->res = job_result_new();
		if (!job->res) {
			fprintf(stderr, "dio-bench: %s\n", strerror(ENOMEM));
			status = 1;
			break;
		}
		ret = pthread_create(&job->thread, NULL, job_main, job);
		if (ret) {
			fprintf(stderr, "dio-bench: pthread_create: %s\n",
				strerror(ret));
			status = 1;
			break;
		}
		job->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (status) {
		/*
		 * The barrier counts n jobs: ones that never started would
		 * leave the others waiting.  Nothing sensible to do but stop.
		 */
		fprintf(stderr, "dio-bench: could not start %u jobs\n", n);
		exit(1);
	}

	if (wait) {
		while (!atomic_load(&run->done)) {
			wait(run, data);
			/* Done when every thread has reached its end. */
			for (i = 0; i < n; i++)
				if (pthread_tryjoin_np(jobs[i].thread, NULL) == 0)
					jobs[i].started = false;
			for (i = 0; i < n && !jobs[i].started; i++)
				;
			if (i == n)
				atomic_store(&run->done, true);
		}
	}
	for (i = 0; i < n; i++)
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
	atomic_store(&run->done, true);

	for (i = 0; i < n; i++) {
		job_result_merge(res, jobs[i].res);
		if (jobs[i].failed)
			status = 1;
		free(jobs[i].res);
	}
	res->register_ns += sh.register_ns;
	if (sh.src_ctx) {
		pindio_buf_unref(sh.src_buf);
		pindio_ctx_unref(sh.src_ctx);
	}
	pthread_barrier_destroy(&sh.barrier);
	pthread_mutex_destroy(&sh.clone_lock);
	free(jobs);
	return status;
}
