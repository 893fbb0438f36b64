/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dio-bench's command line: the options, their limits and their parser.
 * Kept apart from the benchmark so that it can be fuzzed: the parser does
 * no I/O and never exits; errors go to a callback.
 */
#ifndef DIO_OPTIONS_H
#define DIO_OPTIONS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KIB		1024ULL
#define MIB		(1024ULL * KIB)
#define GIB		(1024ULL * MIB)

#define DEF_BS		(4 * KIB)
#define DEF_IODEPTH	32U
#define MAX_IODEPTH	4096U
#define DEF_RUNTIME	5U
#define MAX_RUNTIME	86400U
/*
 * The largest block size we accept.  The kernel moves at most
 * PINDIO_IO_MAX_LEN (just under 2 GiB) per request; 1g is the largest
 * power of two below that and also the largest registered buffer.
 */
#define MAX_BS		GIB

enum rw_mode {
	RW_READ,
	RW_WRITE,
	RW_RANDREAD,
	RW_RANDWRITE,
	RW_RW,			/* sequential, reads and writes mixed */
	RW_RANDRW,		/* random, reads and writes mixed */
	NR_RW_MODES,
};

extern const char *const rw_names[NR_RW_MODES];

enum engine_id {
	ENGINE_FIXED,
	ENGINE_PLAIN,
	ENGINE_AIO,
	ENGINE_PSYNC,		/* pread/pwrite, not through libpindio */
	ENGINE_SPLICE,
	NR_ENGINES,
};

extern const char *const engine_names[NR_ENGINES];

#define DEFAULT_ENGINES	((1U << ENGINE_FIXED) | (1U << ENGINE_PLAIN))

enum output_format {
	OUTPUT_NORMAL,
	OUTPUT_JSON,		/* fio's --output-format=json shape */
	OUTPUT_CSV,		/* one line per job and direction, with a header */
	NR_OUTPUT_FORMATS,
};

extern const char *const output_format_names[NR_OUTPUT_FORMATS];

#define MAX_FILES	64U
#define MAX_NUMJOBS	256U
#define MAX_RAMP_TIME	3600U
#define DEF_RWMIXREAD	50U
/*
 * --seed when not given: fixed, so that two runs without --seed do the
 * same I/O and write the same data.
 */
#define DEF_SEED	0x89ULL

enum verify_mode {
	VERIFY_NONE,
	VERIFY_CRC32C,
};

struct options {
	/* --filename=A,B,...: NULL entries when not given (scratch file) */
	const char *filenames[MAX_FILES];
	unsigned int nr_files;
	/* A copy of --filename's value that filenames[] point into. */
	char *filename_buf;
	enum rw_mode rw;
	unsigned int rwmixread;		/* percent of reads in rw/randrw, 0-100 */
	uint64_t bs;
	unsigned int iodepth;
	unsigned int iodepth_batch;	/* submit after this many queued, 1-iodepth */
	unsigned int iodepth_batch_complete; /* wait for this many, 1-iodepth */
	uint64_t size;			/* 0: not given */
	uint64_t offset;		/* where in each file the region starts */
	unsigned int runtime;		/* seconds of measurement per engine */
	bool runtime_set;
	uint64_t io_size;		/* 0: not given; bytes per job, then stop */
	unsigned int ramp_time;		/* seconds run before measuring */
	unsigned int numjobs;		/* threads, each with its own context */
	bool direct;			/* --direct=0 is for psync only */
	bool sqpoll;
	bool hipri;			/* IOPOLL */
	bool registerfiles;
	bool hugepages;			/* buffers on 2 MiB pages */
	enum verify_mode verify;
	uint64_t seed;
	bool seed_set;
	enum output_format format;
	const char *output;		/* NULL: stdout */
	unsigned int engines;		/* bit per enum engine_id */
	enum engine_id order[NR_ENGINES];	/* in the order given */
	unsigned int nr_engines;
	bool engines_set;
	bool pins;			/* print the pin account after each run */
	const char *probe;		/* --probe: print what backs it, exit */
	/* no option at all: the README's default comparison */
	bool default_comparison;
};

/*
 * The defaults: randread, 4k, iodepth 32 submitted one by one, 5 s, one
 * job, O_DIRECT, rwmixread 50, seed DEF_SEED, normal output, uring-fixed
 * then uring.
 */
void options_init(struct options *opt);
/* Free what parse_options() allocated (filename_buf). */
void options_free(struct options *opt);

/*
 * Called once for the first bad option with a message (no "dio-bench: "
 * prefix, no newline); may exit.
 */
typedef void options_error_fn(void *data, const char *fmt, va_list ap);

#define OPTIONS_HELP	1

/*
 * Parse argv[1..argc-1] into @opt (see dio-bench --help).  Returns 0,
 * OPTIONS_HELP as soon as --help is seen (the rest is not looked at), or
 * -1 after calling @error for the first bad option or, once every option
 * was read, for the first rule between options that is broken.  String
 * values point into argv, except filenames[], which point into
 * filename_buf: call options_free() whatever the return value.
 */
int parse_options(int argc, char **argv, struct options *opt,
		  options_error_fn *error, void *data);

/* dio-bench --help: every option, its range and its default. */
void options_usage(FILE *f);

/*
 * Strict unsigned decimal, no blanks, no sign.  Returns a pointer to the
 * first character after the digits, or NULL.
 */
const char *parse_digits(const char *s, uint64_t *out);
/* Strict unsigned decimal, the whole string. */
bool parse_uint(const char *s, uint64_t *out);
/* A number with an optional k, m or g suffix (1024-based). */
bool parse_size(const char *s, uint64_t *out);
/* "4k", "128k", "1m", or plain bytes: what parse_size() reads back. */
const char *human_size(uint64_t v, char *buf, size_t len);

#endif
