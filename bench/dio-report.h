/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dio-bench's output: the human table, fio-shaped JSON and CSV, from the
 * results of every engine and workload of one invocation.
 */
#ifndef DIO_REPORT_H
#define DIO_REPORT_H

#include <stdio.h>

#include "dio-options.h"
#include "dio-stats.h"

struct report_target {
	const char *path;		/* the first file; "+N more" is added */
	unsigned int nr_files;
	const char *kind;		/* "scratch file", "file", "block device" */
	uint64_t size;			/* bytes used per file */
	uint32_t mem_align;
	uint32_t offset_align;
	bool buffered;			/* --direct=0: no alignment applies */
};

/*
 * Write @nr results in @opt->format to @f.  Results of one workload (same
 * rw and bs: psync's iodepth differs from the others') are consecutive; within each, ratios compare every
 * engine with the workload's first.  Returns 0, or -errno when writing
 * failed.
 */
int report_write(FILE *f, const struct options *opt,
		 const struct report_target *tgt,
		 struct job_result *const *results, unsigned int nr);

#endif
