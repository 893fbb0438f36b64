// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: dio-bench's option parser (bench/dio-options.c).  The
 * input is split at newlines into argv[1..]; argv[0] is "dio-bench".
 * Checked: the error callback runs exactly when the parser fails, once,
 * with a message; a successful parse leaves every option within the
 * limits dio-bench --help states, the engine list consistent and the
 * rules between options kept; sizes and numbers survive a round trip
 * through their printed form; options_free() after every input, so that
 * LeakSanitizer sees any copy the parser leaks.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dio-options.h"
#include "dio-verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct errors {
	unsigned int calls;
	char msg[512];
};

static void on_error(void *data, const char *fmt, va_list ap)
{
	struct errors *e = data;

	e->calls++;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

/* @p is NULL or points into one of the argument strings. */
static int in_argv(const char *p, int argc, char **argv)
{
	int i;

	if (!p)
		return 1;
	for (i = 1; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return 1;
	return 0;
}

static void check_size_round_trip(uint64_t v)
{
	char buf[32];
	uint64_t back;

	if (!parse_size(human_size(v, buf, sizeof(buf)), &back) || back != v)
		abort();
}

/* Whatever parse_uint()/parse_size() accept reads back the same. */
static void check_numbers(const char *s)
{
	uint64_t u, v, back;
	char buf[32];

	if (parse_uint(s, &u)) {
		if (!parse_size(s, &v) || v != u)
			abort();
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)u);
		if (!parse_uint(buf, &back) || back != u)
			abort();
	}
	if (parse_size(s, &v))
		check_size_round_trip(v);
}

/* filenames[] are the non-empty pieces of filename_buf, in order. */
static void check_files(const struct options *opt)
{
	const char *p = opt->filename_buf;
	unsigned int i;

	if (opt->nr_files > MAX_FILES || (opt->nr_files == 0) != !p)
		abort();
	for (i = 0; i < MAX_FILES; i++) {
		if (i >= opt->nr_files) {
			if (opt->filenames[i])
				abort();
			continue;
		}
		if (opt->filenames[i] != p || !*p || strchr(p, ','))
			abort();
		p += strlen(p) + 1;
	}
}

#define URING_ENGINES	((1U << ENGINE_FIXED) | (1U << ENGINE_PLAIN) | \
			 (1U << ENGINE_SPLICE))

/* What parse_options() refuses between options never gets through. */
static void check_rules(const struct options *opt)
{
	bool writes = opt->rw != RW_READ && opt->rw != RW_RANDREAD;
	bool splice = opt->engines & (1U << ENGINE_SPLICE);

	if (!opt->direct && opt->engines != (1U << ENGINE_PSYNC))
		abort();
	if (splice && (writes || opt->hipri || opt->verify != VERIFY_NONE))
		abort();
	if (opt->verify != VERIFY_NONE && opt->bs < VERIFY_MIN_BS)
		abort();
	if ((opt->sqpoll || opt->registerfiles || opt->hipri) &&
	    !(opt->engines & URING_ENGINES))
		abort();
	if (opt->hugepages && opt->engines == (1U << ENGINE_SPLICE))
		abort();
	if (opt->size && opt->offset > UINT64_MAX - opt->size)
		abort();
	if (opt->probe && opt->nr_files)
		abort();
	/* --rwmixread is refused with the modes that do not mix */
	if (opt->rw != RW_RW && opt->rw != RW_RANDRW &&
	    opt->rwmixread != DEF_RWMIXREAD)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct options opt;
	struct errors err;
	char *buf, **argv, *p;
	int argc = 1, i, ret;
	unsigned int e, seen = 0;

	buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0; (size_t)i < size; i++)
		argc += buf[i] == '\n';
	argc++;
	argv = calloc((size_t)argc + 1, sizeof(*argv));
	if (!argv)
		abort();
	argv[0] = (char *)"dio-bench";
	for (argc = 1, p = buf;; argc++) {
		char *nl = strchr(p, '\n');

		argv[argc] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	argc++;
	/* An empty input is no arguments at all. */
	if (size == 0)
		argc = 1;

	for (i = 1; i < argc; i++)
		check_numbers(argv[i]);

	options_init(&opt);
	memset(&err, 0, sizeof(err));
	ret = parse_options(argc, argv, &opt, on_error, &err);
	if (ret < 0) {
		if (ret != -1 || err.calls != 1 || !err.msg[0])
			abort();
		goto out;
	}
	if (err.calls || (ret != 0 && ret != OPTIONS_HELP))
		abort();
	if (ret == OPTIONS_HELP)
		goto out;

	if ((unsigned int)opt.rw >= NR_RW_MODES || opt.rwmixread > 100)
		abort();
	if (opt.bs < 1 || opt.bs > MAX_BS || opt.iodepth < 1 ||
	    opt.iodepth > MAX_IODEPTH || opt.runtime < 1 ||
	    opt.runtime > MAX_RUNTIME)
		abort();
	if (opt.iodepth_batch < 1 || opt.iodepth_batch > opt.iodepth ||
	    opt.iodepth_batch_complete < 1 ||
	    opt.iodepth_batch_complete > opt.iodepth ||
	    opt.numjobs < 1 || opt.numjobs > MAX_NUMJOBS ||
	    opt.ramp_time > MAX_RAMP_TIME)
		abort();
	if ((unsigned int)opt.format >= NR_OUTPUT_FORMATS ||
	    (opt.verify != VERIFY_NONE && opt.verify != VERIFY_CRC32C))
		abort();
	if (!opt.seed_set && opt.seed != DEF_SEED)
		abort();
	if (opt.default_comparison != (argc == 1))
		abort();
	if (opt.nr_engines < 1 || opt.nr_engines > NR_ENGINES)
		abort();
	for (e = 0; e < opt.nr_engines; e++) {
		if ((unsigned int)opt.order[e] >= NR_ENGINES ||
		    (seen & (1U << opt.order[e])))
			abort();
		seen |= 1U << opt.order[e];
	}
	if (seen != opt.engines)
		abort();
	check_rules(&opt);
	if (!in_argv(opt.probe, argc, argv) || !in_argv(opt.output, argc, argv) ||
	    (opt.probe && !*opt.probe) || (opt.output && !*opt.output))
		abort();
	check_files(&opt);
	check_size_round_trip(opt.bs);
	if (opt.size)
		check_size_round_trip(opt.size);
	if (opt.io_size)
		check_size_round_trip(opt.io_size);
	check_size_round_trip(opt.offset);
out:
	options_free(&opt);
	if (opt.filename_buf || opt.nr_files)
		abort();
	free(argv);
	free(buf);
	return 0;
}
