// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: dio-bench's option parser (bench/dio-options.c).  The
 * input is split at newlines into argv[1..]; argv[0] is "dio-bench".
 * Checked: the error callback runs exactly when the parser fails, once,
 * with a message; a successful parse leaves every option within the
 * limits dio-bench --help states and the engine list consistent; sizes
 * and numbers survive a round trip through their printed form.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dio-options.h"

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

	if ((unsigned int)opt.rw >= NR_RW_MODES)
		abort();
	if (opt.bs < 1 || opt.bs > MAX_BS || opt.iodepth < 1 ||
	    opt.iodepth > MAX_IODEPTH || opt.runtime < 1 ||
	    opt.runtime > MAX_RUNTIME)
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
	if (!in_argv(opt.filename, argc, argv) ||
	    !in_argv(opt.probe, argc, argv) ||
	    (opt.filename && !*opt.filename) || (opt.probe && !*opt.probe))
		abort();
	check_size_round_trip(opt.bs);
	if (opt.size)
		check_size_round_trip(opt.size);
out:
	free(argv);
	free(buf);
	return 0;
}
