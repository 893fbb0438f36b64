/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One engine's run of one workload: --numjobs threads, each with its own
 * context (or plain descriptors for psync), doing I/O until the runtime
 * or --io_size is used up, then summed into one struct job_result.
 */
#ifndef DIO_JOB_H
#define DIO_JOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dio-options.h"
#include "dio-stats.h"

/* One file or block device of the workload, as probed by dio-bench.c. */
struct target {
	const char *path;
	bool scratch;
	bool blockdev;
	uint64_t offset;		/* where the region starts (--offset) */
	uint64_t size;			/* bytes of the region */
	uint32_t mem_align;
	uint32_t offset_align;
};

struct workload {
	enum rw_mode rw;
	uint64_t bs;
	unsigned int iodepth;
};

/* What the progress line reads while the jobs run. */
struct progress {
	atomic_uint_fast64_t ios;	/* measured I/Os, all jobs */
	atomic_uint_fast64_t bytes;
	atomic_bool measuring;		/* ramp is over */
};

struct engine_run {
	const struct options *opt;
	const struct workload *wl;
	enum engine_id engine;
	const struct target *targets;
	unsigned int nr_targets;
	struct progress progress;
	/* Set by the caller (signal, ^C): every job stops and drains. */
	atomic_bool stop;
	/* Set when every job has finished. */
	atomic_bool done;
};

static inline bool rw_is_random(enum rw_mode rw)
{
	return rw == RW_RANDREAD || rw == RW_RANDWRITE || rw == RW_RANDRW;
}

static inline bool rw_has_write(enum rw_mode rw)
{
	return rw != RW_READ && rw != RW_RANDREAD;
}

static inline bool rw_has_read(enum rw_mode rw)
{
	return rw != RW_WRITE && rw != RW_RANDWRITE;
}

/* The largest memory alignment among the targets: what every buffer gets. */
uint32_t targets_mem_align(const struct engine_run *run);

/* Bytes between two requests' buffers: bs rounded up to @mem_align. */
uint64_t slot_stride(uint64_t bs, uint32_t mem_align);

/*
 * Run @run->engine over @run->wl with @run->opt->numjobs threads.  The
 * caller may watch @run->progress and set @run->stop from another
 * thread; @run->done is set when the threads are finished.  Fills @res.
 * Returns 0, or 1 after printing an error (I/O, library or verify
 * failure).  Blocks the calling thread only through @wait: when it is
 * non-NULL it is called every 100 ms until the jobs are done.
 */
int engine_run(struct engine_run *run, struct job_result *res,
	       void (*wait)(struct engine_run *run, void *data), void *data);

/* Random-looking data for the scratch file and write buffers. */
uint64_t rng_next(uint64_t *state);
void fill_random(void *p, size_t len, uint64_t *state);
uint64_t now_ns(void);

#endif
