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
	NR_RW_MODES,
};

extern const char *const rw_names[NR_RW_MODES];

enum engine_id {
	ENGINE_FIXED,
	ENGINE_PLAIN,
	ENGINE_AIO,
	ENGINE_SPLICE,
	NR_ENGINES,
};

extern const char *const engine_names[NR_ENGINES];

#define DEFAULT_ENGINES	((1U << ENGINE_FIXED) | (1U << ENGINE_PLAIN))

struct options {
	const char *filename;		/* NULL: scratch file */
	enum rw_mode rw;
	uint64_t bs;
	unsigned int iodepth;
	uint64_t size;			/* 0: not given */
	unsigned int runtime;
	unsigned int engines;		/* bit per enum engine_id */
	enum engine_id order[NR_ENGINES];	/* in the order given */
	unsigned int nr_engines;
	bool pins;			/* print the pin account after each run */
	const char *probe;		/* --probe: print what backs it, exit */
};

/* The defaults: randread, 4k, iodepth 32, 5 s, uring-fixed then uring. */
void options_init(struct options *opt);

/*
 * Called once for the first bad option with a message (no "dio-bench: "
 * prefix, no newline); may exit.
 */
typedef void options_error_fn(void *data, const char *fmt, va_list ap);

#define OPTIONS_HELP	1

/*
 * Parse argv[1..argc-1] into @opt (see dio-bench --help).  Returns 0,
 * OPTIONS_HELP as soon as --help is seen (the rest is not looked at), or
 * -1 after calling @error for the first bad option.  Values point into
 * argv.
 */
int parse_options(int argc, char **argv, struct options *opt,
		  options_error_fn *error, void *data);

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
